// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/ns_admin.c -- what operators ask of a namespace: its health,
// its counters, the ages behind the original's gauges, and which local
// file serves an id.  Read-only: nothing here changes a file or the pool;
// the counting itself happens where the events do (ns.c, pool.c,
// datafile.c, repl/, lifecycle/).
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "storage/file.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"

store_metrics *
store_ns_metrics(store_ns *ns)
{
	return ns->metrics;
}

bool
store_ns_health(store_ns *ns, char *why, size_t len)
{
	uint32_t fails = atomic_load(&ns->open_failures);
	bb_err   err   = (bb_err) atomic_load(&ns->open_err);

	if (why != NULL && len > 0) {
		why[0] = '\0';
	}
	if (fails == 0) {
		return true;
	}
	// The original's line, then what it never said: why, and how often.
	// BB_EUNAVAIL is what a primary gets when a replica cannot be
	// initialized (a peer down or draining).
	if (why != NULL && len > 0) {
		(void) snprintf(why, len,
		                "New file creation: FAILED\n"
		                "Reason: %s (%u attempts in a row)\n",
		                err == BB_EUNAVAIL
		                    ? "replicas are not reachable or are "
		                      "shutting down"
		                    : bb_strerror(err),
		                (unsigned) fails);
	}
	return false;
}

// The reasons of failed uploads are rare and short: one lock for all
// namespaces.
static pthread_mutex_t upload_why_mu = PTHREAD_MUTEX_INITIALIZER;

void
store__ns_upload_done(store_ns *ns, bool ok, const char *why)
{
	char *p;

	if (ok) {
		atomic_store(&ns->upload_failures, 0);
		return;
	}
	(void) pthread_mutex_lock(&upload_why_mu);
	(void) snprintf(ns->upload_why, sizeof(ns->upload_why), "%s",
	                why != NULL && why[0] != '\0' ? why : "unknown");
	// One line on /_health: an error answer may hold newlines.
	for (p = ns->upload_why; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			*p = ' ';
		}
	}
	atomic_fetch_add(&ns->upload_failures, 1);
	(void) pthread_mutex_unlock(&upload_why_mu);
}

bool
store_ns_archive_trouble(store_ns *ns, char *why, size_t len)
{
	uint32_t n;

	(void) pthread_mutex_lock(&upload_why_mu);
	n = atomic_load(&ns->upload_failures);
	if (n >= STORE_UPLOAD_TROUBLE && why != NULL && len > 0) {
		(void) snprintf(
		    why, len, "uploads failing (%u in a row, last error: %s)",
		    (unsigned) n, ns->upload_why);
	}
	(void) pthread_mutex_unlock(&upload_why_mu);
	return n >= STORE_UPLOAD_TROUBLE;
}

// admin_unuploaded says whether state s is one where a primary's data is
// not in the archive yet (the original also counted files waiting for
// their delayed delete, whose data is archived: fixed).
static bool
admin_unuploaded(int s)
{
	switch (s) {
	case STORE__OPENING:
	case STORE__WAITING:
	case STORE__INSERTING:
	case STORE__PENDING_COMPRESSION:
	case STORE__COMPRESSING:
	case STORE__PENDING_UPLOAD:
	case STORE__UPLOADING:
		return true;
	default:
		return false;
	}
}

// What store_ns_ages looks for: the oldest times, 0 for none.
typedef struct {
	int64_t oldest_q; // monotonic time
	int64_t oldest_w; // wall time
} admin_ages;

static void
admin_ages_one(store__file *f, void *arg)
{
	admin_ages *a = arg;
	int         s = atomic_load(&f->state);
	int64_t     t = atomic_load(&f->lc_queued_ns);

	// lc_queued_ns is 0 for a file no lifecycle holds (a namespace
	// without an archive).
	if ((s == STORE__PENDING_UPLOAD || s == STORE__UPLOADING) && t != 0 &&
	    (a->oldest_q == 0 || t < a->oldest_q)) {
		a->oldest_q = t;
	}
	t = atomic_load(&f->first_insert_ns);
	if (f->primary && admin_unuploaded(s) && t != 0 &&
	    (a->oldest_w == 0 || t < a->oldest_w)) {
		a->oldest_w = t;
	}
}

void
store_ns_ages(store_ns *ns, int64_t *queued_ns, int64_t *unuploaded_ns)
{
	int64_t    now_mono = bb_clock_mono_ns();
	int64_t    now_wall = bb_clock_wall_ns();
	admin_ages a        = { 0, 0 };

	store__fidmap_visit(&ns->map, admin_ages_one, &a);
	*queued_ns     = a.oldest_q != 0 ? now_mono - a.oldest_q : 0;
	*unuploaded_ns = a.oldest_w != 0 && now_wall > a.oldest_w
	    ? now_wall - a.oldest_w
	    : 0;
}

bb_err
store_ns_locate(store_ns *ns, const store_id *id, store_file_info *info)
{
	store__file *f;
	bb_err       rv = BB_ENOENT;

	store__fidmap_rdlock(&ns->map);
	// The same choice as store_ns_read.
	f = store__fidmap_covering(&ns->map, id);
	if (f != NULL) {
		store__file_info(f, info);
		rv = BB_OK;
	}
	store__fidmap_unlock(&ns->map);
	return rv;
}
