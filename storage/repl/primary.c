// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/repl/primary.c -- the primary's side of replication: a new
// primary initializes its replicas before its first write; every insert is
// sent to all of them, chunk by chunk, and acknowledged only after each
// confirmed (heart beats, which keep idle replicas from being orphaned,
// are in beats.c); once the data is archived, the replicas are asked to
// remove their copies.  Peers are reached through store_remotes only.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/fidmap.h"
#include "storage/fileio.h"
#include "storage/file.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"
#include "storage/repl/repl.h"

// repl_check sums up the results of one call to n peers: the first error
// (logged with the peer's reason) and whether any peer is draining.
static bb_err
repl_check(store_ns *ns, const store__file *f, const char *what,
           const store_call_result *res, size_t n, bool *draining)
{
	char   name[STORE_FID_STRLEN + 3];
	bb_err rv = BB_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		if (res[i].shutting_down) {
			*draining = true;
		}
		if (res[i].err != BB_OK) {
			bb_log_warn(
			    "namespace %s: %s of %s on machine %u failed: "
			    "%s",
			    ns->conf->name, what, store__file_name(f, name),
			    (unsigned) f->repl[i],
			    res[i].msg[0] ? res[i].msg
			                  : bb_strerror(res[i].err));
			if (rv == BB_OK) {
				rv = res[i].err;
			}
		}
	}
	return rv;
}

static void
repl_call(store_ns *ns, store__file *f, store_call *c, store_call_result *res)
{
	memset(res, 0, sizeof(*res) * f->nrepl);
	c->ns  = ns->conf->name;
	c->fid = f->fid;
	ns->remotes->call(ns->remotes->ctx, f->repl, f->nrepl, c, res);
}

uint32_t
store__repl_delete(store_ns *ns, store__file *f)
{
	store_call_result res[STORE_MAX_REPLICAS];
	store_call        c = { .kind = STORE_CALL_DELETE };
	char              name[STORE_FID_STRLEN + 3];
	uint32_t          failed = 0;
	uint32_t          i;

	if (ns->remotes == NULL || f->nrepl == 0) {
		return 0;
	}
	repl_call(ns, f, &c, res);
	for (i = 0; i < f->nrepl; i++) {
		if (res[i].err == BB_OK) {
			continue;
		}
		failed++;
		bb_log_warn("namespace %s: %s: machine %u did not remove its "
		            "replica: %s; it will find the archived copy when "
		            "it orphans",
		            ns->conf->name, store__file_name(f, name),
		            f->repl[i], res[i].msg);
	}
	return failed;
}

bb_err
store__repl_setup(store_ns *ns, store__file *f)
{
	store_call_result res[STORE_MAX_REPLICAS];
	store_call        c     = { .kind = STORE_CALL_INITIALIZE };
	bool              drain = false;
	bb_err            rv;

	if (ns->conf->replicas == 0) {
		return BB_OK;
	}
	if (ns->remotes == NULL || ns->conf->replicas > STORE_MAX_REPLICAS) {
		return BB_EUNAVAIL;
	}
	rv =
	    ns->remotes->assign(ns->remotes->ctx, ns->conf->replicas, f->repl);
	if (rv != BB_OK) {
		return rv;
	}
	f->nrepl = ns->conf->replicas;
	repl_call(ns, f, &c, res);
	rv = repl_check(ns, f, "initialize", res, f->nrepl, &drain);
	if (rv == BB_OK && drain) {
		rv = BB_ESHUTDOWN; // a draining peer must not get new files
	}
	if (rv != BB_OK) {
		// The replicas that were made would only orphan: remove them.
		c.kind = STORE_CALL_DELETE;
		repl_call(ns, f, &c, res);
		f->nrepl = 0;
		return BB_EUNAVAIL;
	}
	atomic_store(&f->next_hb_ns,
	             bb_clock_mono_ns() + ns->conf->heart_beat_interval_ns);
	return BB_OK;
}

bb_err
store__repl_send_range(store_ns *ns, store__file *f, uint64_t start,
                       uint64_t len, bool sync, bool *draining)
{
	store_call_result res[STORE_MAX_REPLICAS];
	store_call        c   = { .kind = STORE_CALL_REPLICATE };
	size_t            max = ns->remotes->max_chunk;
	uint8_t          *buf;
	int64_t           t0 = bb_clock_mono_ns();
	int64_t           dt;
	uint64_t          off;
	size_t            n;
	bb_err            rv = BB_OK;

	// The bytes are read back from the primary, where they now are, one
	// chunk at a time (from the page cache: they were just written).
	buf = malloc(len < max ? (len > 0 ? (size_t) len : 1) : max);
	if (buf == NULL) {
		return BB_ENOMEM;
	}
	for (off = 0; off < len && rv == BB_OK; off += n) {
		n  = len - off < max ? (size_t) (len - off) : max;
		rv = store_io_read(f->fd, buf, n, start + off);
		if (rv != BB_OK) {
			break;
		}
		c.data  = buf;
		c.start = start + off;
		c.len   = n;
		c.hash  = store_hash(buf, n);
		c.sync  = sync && off + n == len; // once, after the last
		repl_call(ns, f, &c, res);
		rv = repl_check(ns, f, "replicate", res, f->nrepl, draining);
	}
	free(buf);
	// The replication part of an insert, whatever its outcome.
	dt = bb_clock_mono_ns() - t0;
	store_metrics_observe(ns->metrics, STORE_HIST_REPLICATE, dt);
	store_metrics_add(ns->metrics, STORE_CTR_TIME_REPLICATE_NS,
	                  (uint64_t) dt);
	if (rv == BB_OK) {
		atomic_store(&f->next_hb_ns,
		             bb_clock_mono_ns() +
		                 ns->conf->heart_beat_interval_ns);
	}
	return rv == BB_OK ? BB_OK : BB_EREMOTE;
}
