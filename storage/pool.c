// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/pool.c -- the pool of primaries of a namespace: creating them
// (with their replicas), lending an idle one to each insert and taking it
// back, sealing them by size, age or a replica's failure, and the pool's
// timed work.  The insert itself is ns.c; the file records datafile.c.
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/fidmap.h"
#include "storage/file.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"
#include "storage/pool.h"
#include "storage/repl/repl.h"

bb_err
store__pool_init(store_ns *ns)
{
	if (bb_clock_cond_init(&ns->pool_cv) != 0) {
		return BB_ENOMEM;
	}
	(void) pthread_mutex_init(&ns->pool_mu, NULL);
	return BB_OK;
}

void
store__pool_close(store_ns *ns)
{
	(void) pthread_mutex_lock(&ns->pool_mu);
	ns->closing = true;
	(void) pthread_cond_broadcast(&ns->pool_cv);
	(void) pthread_mutex_unlock(&ns->pool_mu);
}

void
store__pool_fini(store_ns *ns)
{
	(void) pthread_cond_destroy(&ns->pool_cv);
	(void) pthread_mutex_destroy(&ns->pool_mu);
}

// pool_primary_setup gives a new primary its expiry and its replicas: they
// exist before the first write can reach them, and before the map (and
// so the heart beats) can see the file.
static bb_err
pool_primary_setup(store_ns *ns, store__file *f, void *arg)
{
	(void) arg;
	f->expires_ns = bb_clock_mono_ns() + ns->conf->upload_older_ns;
	return store__repl_setup(ns, f);
}

// pool_create_primary makes a new, empty primary file under a fresh fid.
static bb_err
pool_create_primary(store_ns *ns, store__file **fp)
{
	store_fid fid;
	int       tries;
	bb_err    rv;

	for (tries = 0; tries < 64; tries++) {
		store_fid_next(&fid, ns->machine);
		// A recovered r-<fid> holds the same fid under another name:
		// sharing it would mix two files in reads and in the archive.
		if (store__fidmap_has(&ns->map, &fid)) {
			continue;
		}
		rv = store__file_create(ns, &fid, false, pool_primary_setup,
		                        NULL, fp);
		if (rv != BB_EEXIST) {
			return rv;
		}
	}
	return BB_EEXIST;
}

// pool_open_primary is pool_create_primary, counted: primary_open_*, and
// the failures in a row that /_health reports.
static bb_err
pool_open_primary(store_ns *ns, store__file **fp)
{
	bb_err rv = pool_create_primary(ns, fp);

	store_metrics_op(ns->metrics, STORE_OP_PRIMARY_OPEN, rv == BB_OK);
	if (rv == BB_OK) {
		atomic_store(&ns->open_failures, 0);
	} else {
		atomic_store(&ns->open_err, (int) rv);
		atomic_fetch_add(&ns->open_failures, 1);
	}
	return rv;
}

// pool_put_idle adds f to the idle list in expiry order.  pool_mu held.
static void
pool_put_idle(store_ns *ns, store__file *f)
{
	store__file **pp = &ns->idle;

	while (*pp != NULL && (*pp)->expires_ns <= f->expires_ns) {
		pp = &(*pp)->idle_next;
	}
	atomic_store(&f->state, STORE__WAITING);
	f->idle_next = *pp;
	*pp          = f;
}

// pool_seal retires primary f: it is never appended to again and goes
// to the archive lifecycle, readable meanwhile.  pool_mu held.
static void
pool_seal(store_ns *ns, store__file *f, const char *why)
{
	char name[STORE_FID_STRLEN + 3];

	atomic_store(&f->state, store__seal_next(ns, f));
	ns->appendable--;
	bb_log_info("namespace %s: sealed %s (%s), %llu bytes; %s",
	            ns->conf->name, store__file_name(f, name), why,
	            (unsigned long long) atomic_load(&f->committed),
	            store__file_state_name(f));
	store__lc_enqueue(ns->lifecycle, ns, f);
}

// pool_replica_silent says whether a replica of primary f is on a peer
// that is not thought to answer now (store_remotes.answers).
static bool
pool_replica_silent(const store_ns *ns, const store__file *f)
{
	uint32_t i;

	if (ns->remotes == NULL || ns->remotes->answers == NULL) {
		return false;
	}
	for (i = 0; i < f->nrepl; i++) {
		if (!ns->remotes->answers(ns->remotes->ctx, f->repl[i])) {
			return true;
		}
	}
	return false;
}

bb_err
store__pool_acquire(store_ns *ns, int64_t deadline, store__file **fp)
{
	int64_t         t0 = bb_clock_mono_ns();
	struct timespec ts;
	store__file    *f  = NULL;
	bb_err          rv = BB_OK;
	int             waited;

	ts = bb_clock_ts(deadline);
	(void) pthread_mutex_lock(&ns->pool_mu);
	while (f == NULL) {
		if (ns->closing) {
			rv = BB_ESHUTDOWN;
			break;
		}
		if (ns->idle != NULL) {
			f            = ns->idle;
			ns->idle     = f->idle_next;
			f->idle_next = NULL;
			if (pool_replica_silent(ns, f)) {
				// Its insert would fail at once, and its retry
				// might meet another such file: retire it now.
				atomic_store(&f->unhealthy, true);
				pool_seal(ns, f, "a replica does not answer");
				f = NULL;
				continue;
			}
			break;
		}
		if (ns->appendable < ns->conf->max_open_files) {
			ns->appendable++;
			(void) pthread_mutex_unlock(&ns->pool_mu);
			rv = pool_open_primary(ns, &f);
			if (rv == BB_EUNAVAIL) {
				// Round robin moves on: the next peers may be
				// up.
				rv = pool_open_primary(ns, &f);
			}
			(void) pthread_mutex_lock(&ns->pool_mu);
			if (rv != BB_OK) {
				ns->appendable--;
				(void) pthread_cond_signal(&ns->pool_cv);
			}
			break;
		}
		// queued_inserts counts the inserts blocked right here.
		store_metrics_queued(ns->metrics, 1);
		waited =
		    pthread_cond_timedwait(&ns->pool_cv, &ns->pool_mu, &ts);
		store_metrics_queued(ns->metrics, -1);
		if (waited == ETIMEDOUT) {
			rv = BB_EBUSY;
			break;
		}
	}
	if (f != NULL) {
		atomic_store(&f->state, STORE__INSERTING);
	}
	(void) pthread_mutex_unlock(&ns->pool_mu);
	store_metrics_add(ns->metrics, STORE_CTR_TIME_QUEUE_NS,
	                  (uint64_t) (bb_clock_mono_ns() - t0));
	if (rv == BB_OK) {
		*fp = f;
	}
	return rv;
}

void
store__pool_release(store_ns *ns, store__file *f, bool broken, bool draining)
{
	uint64_t size = atomic_load(&f->committed);

	(void) pthread_mutex_lock(&ns->pool_mu);
	if (broken) {
		pool_seal(ns, f, "write or replication error");
	} else if (draining) {
		pool_seal(ns, f, "a replica is shutting down");
	} else if (atomic_load(&f->unhealthy)) {
		pool_seal(ns, f, "a replica missed a heart beat");
	} else if (size > ns->conf->upload_file_size) {
		pool_seal(ns, f, "size");
	} else if (size > 0 && bb_clock_mono_ns() >= f->expires_ns) {
		pool_seal(ns, f, "age");
	} else {
		pool_put_idle(ns, f);
	}
	(void) pthread_cond_signal(&ns->pool_cv);
	(void) pthread_mutex_unlock(&ns->pool_mu);
}

void
store__pool_tick(store_ns *ns, int64_t now_ns)
{
	store__file **pp;
	store__file  *f;
	store__file  *empties = NULL;
	store__file  *nf;
	uint32_t      need = 0;

	(void) pthread_mutex_lock(&ns->pool_mu);
	pp = &ns->idle;
	while (*pp != NULL) {
		f = *pp;
		if (now_ns < f->expires_ns && !atomic_load(&f->unhealthy)) {
			pp = &f->idle_next;
			continue;
		}
		*pp = f->idle_next;
		if (atomic_load(&f->committed) > 0 &&
		    atomic_load(&f->unhealthy)) {
			pool_seal(ns, f, "a replica missed a heart beat");
		} else if (atomic_load(&f->committed) > 0) {
			pool_seal(ns, f, "age");
		} else if (ns->lifecycle != NULL && f->nrepl > 0) {
			// Its replicas go too, through the lifecycle.
			pool_seal(ns, f, "expired empty");
		} else {
			// An expired empty file is dropped, not archived, so
			// the fid time of the next file stays close to its
			// data.
			ns->appendable--;
			f->idle_next = empties;
			empties      = f;
		}
	}
	if (!ns->closing && ns->appendable < ns->conf->min_open_files) {
		need = ns->conf->min_open_files - ns->appendable;
		ns->appendable += need;
	}
	(void) pthread_mutex_unlock(&ns->pool_mu);

	while (empties != NULL) {
		f       = empties;
		empties = f->idle_next;
		store__file_drop(ns, f);
	}
	for (; need > 0; need--) {
		nf = NULL;
		(void) pool_open_primary(ns, &nf);
		(void) pthread_mutex_lock(&ns->pool_mu);
		if (nf != NULL) {
			pool_put_idle(ns, nf);
		} else {
			ns->appendable--;
		}
		(void) pthread_cond_signal(&ns->pool_cv);
		(void) pthread_mutex_unlock(&ns->pool_mu);
	}
}
