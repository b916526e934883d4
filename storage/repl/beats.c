// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/repl/beats.c -- the heart beats of a namespace's primaries, off
// the timer thread.  The tick only picks the due files and queues one beat
// per (file, replica) to that peer's worker: one thread per namespace and
// peer, made when the peer first gets a beat, that sends its beats one at
// a time.  A peer that hangs so delays only the beats addressed to it,
// each call bounded by the call deadline of store_remotes; the timer and
// the other peers' beats go on.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/fidmap.h"
#include "storage/file.h"
#include "storage/ns_impl.h"
#include "storage/remote.h"
#include "storage/repl/repl.h"

// One queued beat; it holds a reference to its file.
typedef struct beat_item {
	store__file      *f;
	struct beat_item *next;
} beat_item;

// The worker of one peer.  Its queue holds each file at most once: a beat
// that is already waiting for a slow peer is not queued again.
typedef struct beat_worker {
	store_ns           *ns; // borrowed, outlives the worker
	uint32_t            peer;
	pthread_t           thread;
	pthread_cond_t      cv; // a beat queued, or stop
	beat_item          *head;
	beat_item          *tail;
	struct beat_worker *next;
} beat_worker;

struct store__beats {
	pthread_mutex_t mu; // the queues, workers and stop
	bool            stop;
	beat_worker    *workers;
};

// repl_beating says whether primary f keeps its replicas alive: from its
// creation until the lifecycle asks them to remove their copies (spec
// 1.5).
static bool
repl_beating(store__file *f)
{
	int s = atomic_load(&f->state);

	if (!f->primary || f->nrepl == 0 || s == STORE__DELETING_REMOTES ||
	    s == STORE__DELETE_DELAY || s == STORE__PENDING_DELETE_LOCAL ||
	    s == STORE__DELETING_LOCAL || s == STORE__COMPLETE) {
		return false;
	}
	// A file still taking inserts stops beating once a replica missed
	// a beat (it seals when idle); a sealed one goes on, so that its
	// replicas do not orphan and upload it too.
	return !atomic_load(&f->unhealthy) ||
	    (s != STORE__OPENING && s != STORE__WAITING &&
	     s != STORE__INSERTING);
}

// beat_send sends f's heart beat to peer; a failure or a draining peer
// marks f unhealthy.  f is checked again: a beat may have waited for a
// slow peer while the file moved on.
static void
beat_send(store_ns *ns, store__file *f, uint32_t peer)
{
	store_call_result res;
	store_call        c = { .kind = STORE_CALL_HEARTBEAT };
	char              name[STORE_FID_STRLEN + 3];

	if (!repl_beating(f)) {
		return;
	}
	memset(&res, 0, sizeof(res));
	c.ns  = ns->conf->name;
	c.fid = f->fid;
	ns->remotes->call(ns->remotes->ctx, &peer, 1, &c, &res);
	if (res.err != BB_OK) {
		bb_log_warn("namespace %s: heart beat of %s on machine %u "
		            "failed: %s",
		            ns->conf->name, store__file_name(f, name),
		            (unsigned) peer,
		            res.msg[0] ? res.msg : bb_strerror(res.err));
	}
	if (res.err != BB_OK || res.shutting_down) {
		// As the original: a replica that misses a beat or drains
		// retires the primary, which seals as soon as it is idle.
		atomic_store(&f->unhealthy, true);
	}
}

static void *
beat_worker_main(void *arg)
{
	beat_worker         *w = arg;
	struct store__beats *b = w->ns->beats;
	beat_item           *it;

	(void) pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->stop && w->head == NULL) {
			(void) pthread_cond_wait(&w->cv, &b->mu);
		}
		if (b->stop) {
			break; // close drops what is still queued
		}
		it      = w->head;
		w->head = it->next;
		if (w->head == NULL) {
			w->tail = NULL;
		}
		(void) pthread_mutex_unlock(&b->mu);
		beat_send(w->ns, it->f, w->peer);
		store__file_put(it->f);
		free(it);
		(void) pthread_mutex_lock(&b->mu);
	}
	(void) pthread_mutex_unlock(&b->mu);
	return NULL;
}

// beat_worker_of finds or starts the worker of peer; NULL if it cannot be
// started.  Under b->mu.
static beat_worker *
beat_worker_of(store_ns *ns, struct store__beats *b, uint32_t peer)
{
	beat_worker *w;

	for (w = b->workers; w != NULL; w = w->next) {
		if (w->peer == peer) {
			return w;
		}
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return NULL;
	}
	w->ns   = ns;
	w->peer = peer;
	(void) pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, beat_worker_main, w) != 0) {
		(void) pthread_cond_destroy(&w->cv);
		free(w);
		return NULL;
	}
	w->next    = b->workers;
	b->workers = w;
	return w;
}

// beat_queue queues f's beat to peer unless one is already queued.  A
// worker that cannot be had (no memory, no thread) costs only this beat:
// the next tick tries again, well before a replica orphans.
static void
beat_queue(store_ns *ns, store__file *f, uint32_t peer)
{
	struct store__beats *b = ns->beats;
	beat_worker         *w;
	beat_item           *it;

	(void) pthread_mutex_lock(&b->mu);
	w = beat_worker_of(ns, b, peer);
	if (w == NULL) {
		(void) pthread_mutex_unlock(&b->mu);
		bb_log_warn("namespace %s: heart beat to machine %u skipped: "
		            "no worker",
		            ns->conf->name, (unsigned) peer);
		return;
	}
	for (it = w->head; it != NULL; it = it->next) {
		if (it->f == f) {
			(void) pthread_mutex_unlock(&b->mu);
			return;
		}
	}
	it = calloc(1, sizeof(*it));
	if (it == NULL) {
		(void) pthread_mutex_unlock(&b->mu);
		bb_log_warn("namespace %s: heart beat to machine %u skipped: "
		            "out of memory",
		            ns->conf->name, (unsigned) peer);
		return;
	}
	store__file_get(f);
	it->f = f;
	if (w->tail != NULL) {
		w->tail->next = it;
	} else {
		w->head = it;
	}
	w->tail = it;
	(void) pthread_cond_signal(&w->cv);
	(void) pthread_mutex_unlock(&b->mu);
}

// repl_beat_due picks the files whose heart beat is due at *(int64_t *)arg.
static bool
repl_beat_due(store__file *f, void *arg)
{
	return repl_beating(f) &&
	    *(const int64_t *) arg >= atomic_load(&f->next_hb_ns);
}

void
store__repl_heartbeats(store_ns *ns, int64_t now_ns)
{
	store__file **due = NULL;
	size_t        n   = 0;
	size_t        i;
	uint32_t      r;

	if (ns->remotes == NULL) {
		return; // no peers, no replicas
	}
	if (ns->beats == NULL) {
		ns->beats = calloc(1, sizeof(*ns->beats));
		if (ns->beats == NULL) {
			bb_log_warn("namespace %s: heart beats skipped: out "
			            "of memory",
			            ns->conf->name);
			return;
		}
		(void) pthread_mutex_init(&ns->beats->mu, NULL);
	}
	if (store__fidmap_collect(&ns->map, repl_beat_due, &now_ns, &due,
	                          &n) != BB_OK) {
		// The next tick tries again, well before a replica orphans.
		bb_log_warn("namespace %s: heart beats skipped: out of memory",
		            ns->conf->name);
		return;
	}
	for (i = 0; i < n; i++) {
		atomic_store(&due[i]->next_hb_ns,
		             now_ns + ns->conf->heart_beat_interval_ns);
		for (r = 0; r < due[i]->nrepl; r++) {
			beat_queue(ns, due[i], due[i]->repl[r]);
		}
	}
	store__fidmap_release(due, n);
}

void
store__repl_beats_close(store_ns *ns)
{
	struct store__beats *b = ns->beats;
	beat_worker         *w;
	beat_item           *it;

	if (b == NULL) {
		return;
	}
	(void) pthread_mutex_lock(&b->mu);
	b->stop = true;
	for (w = b->workers; w != NULL; w = w->next) {
		(void) pthread_cond_signal(&w->cv);
	}
	(void) pthread_mutex_unlock(&b->mu);
	// A worker in a call to a hung peer ends with the call's deadline.
	while ((w = b->workers) != NULL) {
		b->workers = w->next;
		(void) pthread_join(w->thread, NULL);
		while ((it = w->head) != NULL) {
			w->head = it->next;
			store__file_put(it->f);
			free(it);
		}
		(void) pthread_cond_destroy(&w->cv);
		free(w);
	}
	(void) pthread_mutex_destroy(&b->mu);
	free(b);
	ns->beats = NULL;
}
