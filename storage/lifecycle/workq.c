// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/workq.c -- a work queue of files with a bounded pool of
// worker threads (the original's WorkQueue and DelayQueue in one): a file may
// be queued to run at once or from a given time on; workers take the first
// file that is due, in queue order.  Workers start on demand, up to the
// limit, and stay until the queue stops.  The queues hold a handful of
// sealed files, so a list scan per pick costs nothing.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/file.h"
#include "storage/lifecycle/workq.h"

struct store__wq {
	char            name[24];
	store__wq_fn    fn;
	void           *arg;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	store__file    *head; // owned references, queue order
	store__file   **tail;
	size_t          len;
	pthread_t      *threads; // max_workers slots
	uint32_t        max_workers;
	uint32_t        nthreads;
	uint32_t        busy;
	bool            stopping;
};

// wq_take unlinks and returns the first due file, or NULL; *next_due is
// the earliest time a queued file becomes due (INT64_MAX if none).  mu
// held.
static store__file *
wq_take(store__wq *q, int64_t now, int64_t *next_due)
{
	store__file **pp;
	store__file  *f;

	*next_due = INT64_MAX;
	for (pp = &q->head; *pp != NULL; pp = &(*pp)->lc_next) {
		f = *pp;
		if (f->lc_due_ns <= now) {
			*pp = f->lc_next;
			if (q->tail == &f->lc_next) {
				q->tail = pp;
			}
			f->lc_next = NULL;
			q->len--;
			return f;
		}
		if (f->lc_due_ns < *next_due) {
			*next_due = f->lc_due_ns;
		}
	}
	return NULL;
}

static void *
wq_main(void *arg)
{
	store__wq      *q = arg;
	store__file    *f;
	struct timespec ts;
	int64_t         due;

	(void) pthread_mutex_lock(&q->mu);
	while (!q->stopping) {
		f = wq_take(q, bb_clock_mono_ns(), &due);
		if (f != NULL) {
			q->busy++;
			(void) pthread_mutex_unlock(&q->mu);
			q->fn(q->arg, f);
			(void) pthread_mutex_lock(&q->mu);
			q->busy--;
			(void) pthread_cond_broadcast(&q->cv);
			continue;
		}
		if (due == INT64_MAX) {
			(void) pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		ts = bb_clock_ts(due);
		(void) pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	(void) pthread_mutex_unlock(&q->mu);
	return NULL;
}

bb_err
store__wq_new(const char *name, uint32_t max_workers, store__wq_fn fn,
              void *arg, store__wq **qp)
{
	store__wq *q;

	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		return BB_ENOMEM;
	}
	q->max_workers = max_workers > 0 ? max_workers : 1;
	q->threads     = calloc(q->max_workers, sizeof(*q->threads));
	if (q->threads == NULL) {
		free(q);
		return BB_ENOMEM;
	}
	(void) snprintf(q->name, sizeof(q->name), "%s", name);
	q->fn   = fn;
	q->arg  = arg;
	q->tail = &q->head;
	(void) pthread_mutex_init(&q->mu, NULL);
	(void) bb_clock_cond_init(&q->cv);
	*qp = q;
	return BB_OK;
}

void
store__wq_put(store__wq *q, store__file *f, int64_t due_ns)
{
	(void) pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		(void) pthread_mutex_unlock(&q->mu);
		store__file_put(f);
		return;
	}
	f->lc_due_ns = due_ns;
	f->lc_next   = NULL;
	*q->tail     = f;
	q->tail      = &f->lc_next;
	q->len++;
	// One more worker while the queued files outnumber the idle workers
	// (a burst of puts comes before any worker wakes to take one, so
	// "every worker busy" alone would leave the burst to one worker).  A
	// failed start leaves the file to the workers there are (there is at
	// least one unless the very first start failed, and then the next
	// put tries again).
	if (q->nthreads < q->max_workers && q->len > q->nthreads - q->busy) {
		if (pthread_create(&q->threads[q->nthreads], NULL, wq_main,
		                   q) == 0) {
			q->nthreads++;
		} else {
			bb_log_warn("%s queue: cannot start a worker: %s",
			            q->name, strerror(errno));
		}
	}
	(void) pthread_cond_broadcast(&q->cv);
	(void) pthread_mutex_unlock(&q->mu);
}

void
store__wq_stop(store__wq *q)
{
	store__file *f;
	uint32_t     i;
	int64_t      due;

	(void) pthread_mutex_lock(&q->mu);
	q->stopping = true;
	(void) pthread_cond_broadcast(&q->cv);
	(void) pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthreads; i++) {
		(void) pthread_join(q->threads[i], NULL);
	}
	q->nthreads = 0;
	(void) pthread_mutex_lock(&q->mu);
	while ((f = wq_take(q, INT64_MAX, &due)) != NULL) {
		store__file_put(f);
	}
	(void) pthread_mutex_unlock(&q->mu);
}

void
store__wq_free(store__wq *q)
{
	if (q == NULL) {
		return;
	}
	(void) pthread_cond_destroy(&q->cv);
	(void) pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q);
}

void
store__wq_info(store__wq *q, size_t *queued, bool *busy, int64_t *oldest_ns)
{
	store__file *f;

	(void) pthread_mutex_lock(&q->mu);
	*queued = q->len;
	*busy   = q->busy > 0;
	if (oldest_ns != NULL) {
		*oldest_ns = 0;
		for (f = q->head; f != NULL; f = f->lc_next) {
			if (*oldest_ns == 0 || f->lc_queued_ns < *oldest_ns) {
				*oldest_ns = f->lc_queued_ns;
			}
		}
	}
	(void) pthread_mutex_unlock(&q->mu);
}
