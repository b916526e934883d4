// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/ns_admin.c -- what operators ask of a namespace: its health,
// its counters, the ages behind the original's gauges, and which local
// file serves an id.  Read-only: nothing here changes a file or the pool;
// the counting itself happens where the events do (ns.c, replica.c,
// primary_repl.c, lifecycle.c).
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

void
store_ns_ages(store_ns *ns, int64_t *queued_ns, int64_t *unuploaded_ns)
{
	int64_t      now_mono = bb_clock_mono_ns();
	int64_t      now_wall = bb_clock_wall_ns();
	int64_t      oldest_q = 0; // monotonic time, 0: none
	int64_t      oldest_w = 0; // wall time, 0: none
	store__file *f;
	int64_t      t;
	size_t       i;
	int          s;

	(void) pthread_rwlock_rdlock(&ns->map_lock);
	for (i = 0; i < ns->nbuckets; i++) {
		for (f = ns->buckets[i]; f != NULL; f = f->hnext) {
			s = atomic_load(&f->state);
			t = atomic_load(&f->lc_queued_ns);
			// lc_queued_ns is 0 for a file no lifecycle holds
			// (a namespace without an archive).
			if ((s == STORE__PENDING_UPLOAD ||
			     s == STORE__UPLOADING) &&
			    t != 0 && (oldest_q == 0 || t < oldest_q)) {
				oldest_q = t;
			}
			t = atomic_load(&f->first_insert_ns);
			if (f->primary && admin_unuploaded(s) && t != 0 &&
			    (oldest_w == 0 || t < oldest_w)) {
				oldest_w = t;
			}
		}
	}
	(void) pthread_rwlock_unlock(&ns->map_lock);
	*queued_ns = oldest_q != 0 ? now_mono - oldest_q : 0;
	*unuploaded_ns =
	    oldest_w != 0 && now_wall > oldest_w ? now_wall - oldest_w : 0;
}

bb_err
store_ns_locate(store_ns *ns, const store_id *id, store_file_info *info)
{
	store__file *f;
	bb_err       rv = BB_ENOENT;

	(void) pthread_rwlock_rdlock(&ns->map_lock);
	// The same choice as store_ns_read.
	f = store__map_covering(ns, id);
	if (f != NULL) {
		store__file_info(f, info);
		rv = BB_OK;
	}
	(void) pthread_rwlock_unlock(&ns->map_lock);
	return rv;
}
