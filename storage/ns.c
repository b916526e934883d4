// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/ns.c -- one namespace: open (directory, recovery, minimum
// primaries) and close, the insert entry points (on the caller's thread
// without replicas or fsync; else through commit.c's batches) and the
// dispatch of its timed work.  The pool of primaries is pool.c; heart
// beats and replicas are repl/.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/fileio.h"
#include "storage/file.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/commit.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"
#include "storage/pool.h"
#include "storage/repl/repl.h"
#include "storage/spool.h"

// ns_mkdirs creates path and its missing parents (mkdir -p).
static bb_err
ns_mkdirs(const char *path)
{
	char   buf[4096];
	size_t i;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf)) {
		return BB_EINVAL;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0') {
			continue;
		}
		buf[i] = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST) {
			return bb_err_from_errno(errno);
		}
		buf[i] = path[i];
	}
	return BB_OK;
}

// ns_internal says whether an insert failed through no fault of the
// client and not for want of a free file or a peer: the original's
// internal_errors{type="insert"} (what the gateway answers with 500).
static bool
ns_internal(bb_err rv)
{
	return rv != BB_OK && rv != BB_ETOOBIG && rv != BB_EBUSY &&
	    rv != BB_ETIMEDOUT && rv != BB_EUNAVAIL && rv != BB_ESHUTDOWN;
}

void
store__ns_insert_counted(store_ns *ns, int64_t t0, bb_err rv,
                         const store_id *id)
{
	if (rv == BB_OK) {
		store_metrics_add(ns->metrics, STORE_CTR_BYTES_INSERTED,
		                  id->length);
	}
	store_metrics_op(ns->metrics, STORE_OP_PRIMARY_INSERT, rv == BB_OK);
	if (ns_internal(rv)) {
		store_metrics_add(ns->metrics,
		                  STORE_CTR_INTERNAL_ERRORS_INSERT, 1);
	}
	store_metrics_observe(ns->metrics, STORE_HIST_INSERT,
	                      bb_clock_mono_ns() - t0);
}

// ns_insert_here is an insert on the caller's thread, for a namespace
// without replicas or fsync (the others go through commit.c): an idle
// primary (waiting for one at most STORE_INSERT_WAIT_NS), the local
// write, the commit.  A failed write is truncated back: nothing
// half-written is readable.
static bb_err
ns_insert_here(store_ns *ns, store_spool *body, store_id *idp)
{
	uint64_t     len = store_spool_size(body);
	int64_t      t0  = bb_clock_mono_ns();
	int64_t      tw;
	store__file *f = NULL;
	uint64_t     start;
	bool         broken = false;
	bb_err       rv;
	char         name[STORE_FID_STRLEN + 3];

	rv = store__pool_acquire(ns, t0 + STORE_INSERT_WAIT_NS, &f);
	if (rv != BB_OK) {
		goto out;
	}
	// Only the owner of a primary writes it, so committed is its end.
	start = atomic_load(&f->committed);
	tw    = bb_clock_mono_ns();
	rv    = store_spool_copy_to(body, f->fd, start);
	store_metrics_add(ns->metrics, STORE_CTR_TIME_WRITE_NS,
	                  (uint64_t) (bb_clock_mono_ns() - tw));
	if (rv != BB_OK) {
		bb_log_warn("namespace %s: write to %s failed: %s",
		            ns->conf->name, store__file_name(f, name),
		            bb_strerror(rv));
		broken = store_io_truncate(f->fd, start) != BB_OK;
	} else {
		atomic_store_explicit(&f->committed, start + len,
		                      memory_order_release);
		if (atomic_load(&f->first_insert_ns) == 0) {
			atomic_store(&f->first_insert_ns, bb_clock_wall_ns());
		}
		idp->fid    = f->fid;
		idp->start  = start;
		idp->length = (uint32_t) len;
	}
	store__pool_release(ns, f, broken, false);
out:
	store__ns_insert_counted(ns, t0, rv, rv == BB_OK ? idp : NULL);
	return rv;
}

// The outcome of a batched insert that a caller waits for.
typedef struct ns_wait {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            done;
	bb_err          rv;
	store_id        id;
} ns_wait;

static void
ns_wait_done(void *arg, bb_err rv, const store_id *id)
{
	ns_wait *w = arg;

	(void) pthread_mutex_lock(&w->mu);
	w->rv = rv;
	if (rv == BB_OK) {
		w->id = *id;
	}
	w->done = true;
	(void) pthread_cond_signal(&w->cv);
	(void) pthread_mutex_unlock(&w->mu);
}

void
store_ns_insert_start(store_ns *ns, store_spool *body, store_insert_done done,
                      void *arg)
{
	store_id id;
	bb_err   rv;

	if (store_spool_size(body) > UINT32_MAX) {
		// The id stores the length in 32 bits.
		store__ns_insert_counted(ns, bb_clock_mono_ns(), BB_ETOOBIG,
		                         NULL);
		done(arg, BB_ETOOBIG, NULL);
		return;
	}
	if (ns->commit != NULL) {
		store__commit_submit(ns, body, done, arg);
		return;
	}
	rv = ns_insert_here(ns, body, &id);
	done(arg, rv, rv == BB_OK ? &id : NULL);
}

bb_err
store_ns_insert(store_ns *ns, store_spool *body, store_id *idp)
{
	ns_wait w = { .done = false };

	(void) pthread_mutex_init(&w.mu, NULL);
	(void) pthread_cond_init(&w.cv, NULL);
	store_ns_insert_start(ns, body, ns_wait_done, &w);
	(void) pthread_mutex_lock(&w.mu);
	while (!w.done) {
		(void) pthread_cond_wait(&w.cv, &w.mu);
	}
	(void) pthread_mutex_unlock(&w.mu);
	(void) pthread_cond_destroy(&w.cv);
	(void) pthread_mutex_destroy(&w.mu);
	if (w.rv == BB_OK) {
		*idp = w.id;
	}
	return w.rv;
}

void
store_ns_tick(store_ns *ns, int64_t now_ns)
{
	store__pool_tick(ns, now_ns);
	store__repl_heartbeats(ns, now_ns);
	store__replica_tick(ns, now_ns);
}

bb_err
store_ns_spool(store_ns *ns, uint64_t expected, store_spool **sp)
{
	if (expected != UINT64_MAX && expected > ns->conf->max_blob_size) {
		return BB_ETOOBIG;
	}
	return store_spool_new(ns->conf->directory, expected,
	                       ns->conf->max_blob_size, sp);
}

const bb_ns_conf *
store_ns_conf(const store_ns *ns)
{
	return ns->conf;
}

// ns_archive_sealed hands the files sealed while the namespace opened
// (recovered ones, and primaries that failed at once) to the lifecycle.
static bool
ns_sealed(store__file *f, void *arg)
{
	(void) arg;
	return atomic_load(&f->state) == STORE__PENDING_UPLOAD;
}

static void
ns_archive_sealed(store_ns *ns)
{
	store__file **v = NULL;
	size_t        n = 0;
	size_t        i;

	if (store__fidmap_collect(&ns->map, ns_sealed, NULL, &v, &n) !=
	    BB_OK) {
		bb_log_error("namespace %s: out of memory: the files found "
		             "on disk are archived at the next start",
		             ns->conf->name);
		return;
	}
	for (i = 0; i < n; i++) {
		atomic_store(&v[i]->state, store__seal_next(ns, v[i]));
		store__lc_enqueue(ns->lifecycle, ns, v[i]);
	}
	store__fidmap_release(v, n);
}

// ns_init_locks sets up the pool's locks and the map's.
static bb_err
ns_init_locks(store_ns *ns)
{
	bb_err rv = store__pool_init(ns);

	if (rv != BB_OK) {
		return rv;
	}
	return store__fidmap_init(&ns->map);
}

bb_err
store_ns_open(const bb_ns_conf *conf, const store_ns_env *env, store_ns **nsp,
              char *why, size_t whylen)
{
	char      kerr[256];
	store_ns *ns;
	bb_err    rv;

	ns = calloc(1, sizeof(*ns));
	if (ns == NULL) {
		return BB_ENOMEM;
	}
	ns->conf      = conf;
	ns->machine   = env->machine_id;
	ns->self_peer = env->self_peer;
	ns->remotes   = env->remotes;
	ns->archive   = env->archive;
	ns->dirfd     = -1;
	rv            = store_metrics_new(&ns->metrics);
	if (rv != BB_OK) {
		free(ns);
		return rv;
	}
	rv = ns_init_locks(ns);
	if (rv != BB_OK) {
		store_metrics_free(ns->metrics);
		free(ns);
		return rv;
	}
	rv = store_keyfmt_new(conf->s3_key_format, &ns->keyfmt, kerr,
	                      sizeof(kerr));
	if (rv == BB_OK) {
		rv = store_keyfmt_check_unique(ns->keyfmt, kerr, sizeof(kerr));
	}
	if (rv == BB_EINVAL) {
		rv = BB_ECONFIG; // the configuration's fault
	}
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen,
		              "namespace %s: s3_key_format: %s", conf->name,
		              kerr);
		goto fail;
	}
	if (conf->id_key_file != NULL) {
		rv = store_idkeys_load(conf->id_key_file, &ns->idkeys, kerr,
		                       sizeof(kerr));
		if (rv != BB_OK) {
			(void) bb_why(rv, why, whylen,
			              "namespace %s: id_key_file: %s",
			              conf->name, kerr);
			goto fail;
		}
	}
	rv = ns_mkdirs(conf->directory);
	if (rv == BB_OK) {
		ns->dirfd =
		    open(conf->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rv = ns->dirfd >= 0 ? BB_OK : bb_err_from_errno(errno);
	}
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen,
		              "namespace %s: directory %s: %s", conf->name,
		              conf->directory, bb_strerror(rv));
		goto fail;
	}
	rv = store__ns_recover(ns, why, whylen);
	if (rv != BB_OK) {
		goto fail;
	}
	// Open the minimum now, so a directory that cannot take new files
	// fails start-up instead of the first insert.  With replicas, peers
	// that are down must not stop the node: it serves reads meanwhile,
	// and the timer keeps trying.
	store_ns_tick(ns, bb_clock_mono_ns());
	if (ns->appendable < conf->min_open_files && conf->replicas > 0) {
		bb_log_warn("namespace %s: no primary yet: replicas are not "
		            "reachable; inserts answer 503 until they are",
		            conf->name);
	} else if (ns->appendable < conf->min_open_files) {
		rv = BB_EIO;
		(void) bb_why(rv, why, whylen,
		              "namespace %s: cannot create files in %s",
		              conf->name, conf->directory);
		goto fail;
	}
	rv = store__commit_open(ns);
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen,
		              "namespace %s: cannot start its committers: %s",
		              conf->name, bb_strerror(rv));
		goto fail;
	}
	// Only now: a namespace that failed to open must not leave files in
	// the lifecycle, and recovery has to see the directory before the
	// lifecycle writes .gz copies into it.
	if (env->archive != NULL && env->lifecycle != NULL) {
		ns->lifecycle = env->lifecycle;
		ns_archive_sealed(ns);
	}
	*nsp = ns;
	return BB_OK;

fail:
	store_ns_close(ns);
	return rv;
}

// ns_drop_empty removes the file of an empty primary at close: it holds
// nothing, and leaving it would only come back as an empty recovered
// file.
static void
ns_drop_empty(store__file *f, void *arg)
{
	store_ns *ns = arg;

	if (f->primary && atomic_load(&f->committed) == 0) {
		store__file_drop_name(ns, f);
	}
}

void
store_ns_close(store_ns *ns)
{
	if (ns == NULL) {
		return;
	}
	// The beat workers hold file references and use ns: first.  The
	// committers wait for primaries: after the pool closes.
	store__repl_beats_close(ns);
	store__pool_close(ns);
	store__commit_close(ns);
	store__fidmap_visit(&ns->map, ns_drop_empty, ns);
	store__fidmap_fini(&ns->map); // drops the map's references
	store_keyfmt_free(ns->keyfmt);
	store_idkeys_free(ns->idkeys);
	if (ns->dirfd >= 0) {
		(void) close(ns->dirfd);
	}
	store__pool_fini(ns);
	store_metrics_free(ns->metrics);
	free(ns);
}

size_t
store_ns_id_format(const store_ns *ns, const store_id *id, char *buf)
{
	if (ns->idkeys != NULL) {
		return store_id_sign(ns->idkeys, ns->conf->name, id, buf);
	}
	return store_id_format(id, buf);
}

bb_err
store_ns_id_parse(const store_ns *ns, const char *s, size_t n, store_id *id)
{
	if (ns->idkeys != NULL) {
		return store_id_verify(ns->idkeys, ns->conf->name, s, n, id);
	}
	return store_id_parse(s, n, id);
}

bool
store_ns_signs_ids(const store_ns *ns)
{
	return ns->idkeys != NULL;
}
