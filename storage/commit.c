// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/commit.c -- group commit: the inserts of a namespace with
// replicas (or fsync) wait in one queue, and a few committer threads each
// take a primary and everything queued that fits, write it, make it
// durable if asked, replicate the whole range with as few calls as its
// size allows, commit it, and complete every insert of the batch.  One
// round trip (and one fdatasync per node) then serves many inserts, and
// no caller's thread waits on the network.  A batch that fails is
// truncated back, its primary retired, and its inserts retried once on
// another primary, as a lone insert is (ns.c).
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/commit.h"
#include "storage/fileio.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"
#include "storage/pool.h"
#include "storage/repl/repl.h"
#include "storage/spool.h"

// The most bytes one batch takes (at least one insert, whatever its size):
// a bound on what one failure sends back to the queue, and on how long
// the inserts behind a large batch wait.
#define COMMIT_BATCH_MAX (4u << 20)

// The committers of a namespace.  One: a batch takes what arrived while
// the previous one was out, so a single committer batches best, and
// measured on two cores it beats more of them (1 KiB inserts, replicas =
// 1, 32 clients: 1.1-1.9x the inserts per second of four committers, for
// less CPU): every committer more splits the same inserts into smaller
// batches, each paying its own round trip.
#define COMMIT_THREADS 1

// One insert in the queue or in a batch.
typedef struct commit_ins {
	store_spool       *body; // borrowed from the caller until done
	store_insert_done  done;
	void              *arg;
	int64_t            t0;       // monotonic, when it was submitted
	int64_t            deadline; // for a primary to take it
	int                tries;    // batches it failed in
	uint64_t           start;    // in the batch's primary
	struct commit_ins *next;
} commit_ins;

struct store__commit {
	pthread_mutex_t mu;
	pthread_cond_t  cv; // an insert was queued, or stop
	commit_ins     *head;
	commit_ins     *tail;
	bool            stop;
	pthread_t      *threads; // owned array
	uint32_t        nthreads;
};

// commit_end completes ins with rv (id on BB_OK), counts it and frees it.
static void
commit_end(store_ns *ns, commit_ins *ins, bb_err rv, const store_id *id)
{
	store__ns_insert_counted(ns, ins->t0, rv, id);
	ins->done(ins->arg, rv, id);
	free(ins);
}

// commit_fail_all completes every insert of the list l with rv.
static void
commit_fail_all(store_ns *ns, commit_ins *l, bb_err rv)
{
	commit_ins *next;

	for (; l != NULL; l = next) {
		next = l->next;
		commit_end(ns, l, rv, NULL);
	}
}

// commit_pop moves the head of the queue to the end of the list whose
// last link is *tailp.  c->mu held, queue not empty.
static void
commit_pop(store_ns *ns, struct store__commit *c, commit_ins ***tailp)
{
	**tailp = c->head;
	c->head = c->head->next;
	if (c->head == NULL) {
		c->tail = NULL;
	}
	*tailp  = &(**tailp)->next;
	**tailp = NULL;
	store_metrics_queued(ns->metrics, -1);
}

// commit_take moves the inserts at the head of the queue that fit one
// batch on a primary of committed bytes into a list.  c->mu held.
static commit_ins *
commit_take(store_ns *ns, struct store__commit *c, uint64_t committed)
{
	commit_ins  *l    = NULL;
	commit_ins **tail = &l;
	uint64_t     size = 0;
	uint64_t     n;

	while (c->head != NULL) {
		n = store_spool_size(c->head->body);
		// A file past upload_file_size seals after this batch: it
		// need not grow far past it first.
		if (l != NULL &&
		    (size + n > COMMIT_BATCH_MAX ||
		     committed + size >= ns->conf->upload_file_size)) {
			break;
		}
		commit_pop(ns, c, &tail);
		size += n;
	}
	return l;
}

// commit_take_expired moves the inserts at the head of the queue whose
// wait for a primary ended by now into a list.  c->mu held.
static commit_ins *
commit_take_expired(store_ns *ns, struct store__commit *c, int64_t now)
{
	commit_ins  *l    = NULL;
	commit_ins **tail = &l;

	while (c->head != NULL && c->head->deadline <= now) {
		commit_pop(ns, c, &tail);
	}
	return l;
}

// commit_requeue puts the inserts of l back at the head of the queue, in
// their order.
static void
commit_requeue(store_ns *ns, commit_ins *l)
{
	struct store__commit *c    = ns->commit;
	commit_ins           *last = l;

	if (l == NULL) {
		return;
	}
	store_metrics_queued(ns->metrics, 1);
	while (last->next != NULL) {
		last = last->next;
		store_metrics_queued(ns->metrics, 1);
	}
	(void) pthread_mutex_lock(&c->mu);
	last->next = c->head;
	c->head    = l;
	if (c->tail == NULL) {
		c->tail = last;
	}
	(void) pthread_cond_signal(&c->cv);
	(void) pthread_mutex_unlock(&c->mu);
}

// commit_write writes the bodies of l one after the other from the end
// of f.  An insert whose write fails ends with that error: the inserts
// before it stay the batch, the ones after it go back to the queue.
// *endp is the end of what was written; *brokenp is set when f could not
// be truncated back.
static commit_ins *
commit_write(store_ns *ns, store__file *f, commit_ins *l, uint64_t *endp,
             bool *brokenp)
{
	commit_ins **pp  = &l;
	uint64_t     off = atomic_load(&f->committed);
	commit_ins  *bad;
	char         name[STORE_FID_STRLEN + 3];
	bb_err       rv = BB_OK;

	while (*pp != NULL) {
		rv = store_spool_copy_to((*pp)->body, f->fd, off);
		if (rv != BB_OK) {
			break;
		}
		(*pp)->start = off;
		off += store_spool_size((*pp)->body);
		pp = &(*pp)->next;
	}
	*endp = off;
	if (*pp == NULL) {
		return l;
	}
	bad = *pp;
	*pp = NULL;
	bb_log_warn("namespace %s: write to %s failed: %s", ns->conf->name,
	            store__file_name(f, name), bb_strerror(rv));
	if (store_io_truncate(f->fd, off) != BB_OK) {
		*brokenp = true;
	}
	commit_requeue(ns, bad->next);
	bad->next = NULL;
	commit_fail_all(ns, bad, rv);
	return l;
}

// commit_batch writes, syncs, replicates and commits the batch l on
// primary f, completes its inserts (or sends them back to the queue for
// their retry), and gives f back.
static void
commit_batch(store_ns *ns, store__file *f, commit_ins *l)
{
	uint64_t     start = atomic_load(&f->committed);
	uint64_t     end;
	bool         broken   = false;
	bool         draining = false;
	int64_t      t0       = bb_clock_mono_ns();
	commit_ins  *next;
	commit_ins  *retry = NULL;
	commit_ins **rtail = &retry;
	store_id     id;
	bb_err       rv = BB_OK;

	l = commit_write(ns, f, l, &end, &broken);
	store_metrics_add(ns->metrics, STORE_CTR_TIME_WRITE_NS,
	                  (uint64_t) (bb_clock_mono_ns() - t0));
	if (l == NULL) {
		store__pool_release(ns, f, broken, false);
		return;
	}
	if (ns->conf->fsync) {
		rv     = store__file_sync(ns, f);
		broken = rv != BB_OK; // the kernel's pages are in doubt
	}
	if (rv == BB_OK && f->nrepl > 0) {
		rv = store__repl_send_range(ns, f, start, end - start,
		                            ns->conf->fsync, &draining);
		// Replicas that took the bytes keep them: no id names them.
		broken = rv != BB_OK;
	}
	if (rv != BB_OK) {
		if (store_io_truncate(f->fd, start) != BB_OK) {
			broken = true;
		}
	} else {
		// Committed only now: a reader never sees bytes that are not
		// on every replica.
		atomic_store_explicit(&f->committed, end,
		                      memory_order_release);
		if (atomic_load(&f->first_insert_ns) == 0) {
			atomic_store(&f->first_insert_ns, bb_clock_wall_ns());
		}
		store_metrics_add(ns->metrics, STORE_CTR_INSERT_BATCHES, 1);
	}
	id.fid = f->fid; // f is another committer's once given back
	store__pool_release(ns, f, broken, draining);
	for (; l != NULL; l = next) {
		next = l->next;
		if (rv == BB_OK) {
			id.start  = l->start;
			id.length = (uint32_t) store_spool_size(l->body);
			commit_end(ns, l, BB_OK, &id);
		} else if (rv == BB_EREMOTE && l->tries++ == 0) {
			// The body is still at hand: one more try, on another
			// primary with its own replicas.
			l->next = NULL;
			*rtail  = l;
			rtail   = &l->next;
		} else {
			l->next = NULL;
			commit_end(ns, l, rv, NULL);
		}
	}
	commit_requeue(ns, retry);
}

// commit_round waits for queued inserts, gets a primary for them and
// commits one batch.  false once the committers stop.
static bool
commit_round(store_ns *ns, struct store__commit *c)
{
	store__file *f = NULL;
	commit_ins  *l;
	int64_t      deadline;
	int64_t      now;
	bb_err       rv;

	(void) pthread_mutex_lock(&c->mu);
	while (!c->stop && c->head == NULL) {
		(void) pthread_cond_wait(&c->cv, &c->mu);
	}
	if (c->stop) {
		(void) pthread_mutex_unlock(&c->mu);
		return false;
	}
	deadline = c->head->deadline;
	(void) pthread_mutex_unlock(&c->mu);

	now = bb_clock_mono_ns();
	rv  = store__pool_acquire(ns, deadline, &f);
	store_metrics_add(ns->metrics, STORE_CTR_TIME_QUEUE_NS,
	                  (uint64_t) (bb_clock_mono_ns() - now));
	(void) pthread_mutex_lock(&c->mu);
	if (rv == BB_EBUSY) {
		l = commit_take_expired(ns, c, bb_clock_mono_ns());
	} else {
		l = commit_take(ns, c,
		                rv == BB_OK ? atomic_load(&f->committed) : 0);
	}
	(void) pthread_mutex_unlock(&c->mu);
	if (rv != BB_OK) {
		// What the inserts would each have met (no primary free in
		// their time, no peers, closing).  The rest of the queue
		// tries again.
		commit_fail_all(ns, l, rv);
		return true;
	}
	if (l == NULL) {
		// Another committer took them meanwhile.
		store__pool_release(ns, f, false, false);
		return true;
	}
	commit_batch(ns, f, l);
	return true;
}

static void *
commit_main(void *arg)
{
	store_ns *ns = arg;

	while (commit_round(ns, ns->commit)) {
	}
	return NULL;
}

bool
store__commit_batches(const bb_ns_conf *conf)
{
	return conf->replicas > 0 || conf->fsync;
}

bb_err
store__commit_open(store_ns *ns)
{
	struct store__commit *c;
	uint32_t              n = COMMIT_THREADS;

	if (!store__commit_batches(ns->conf)) {
		return BB_OK;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return BB_ENOMEM;
	}
	c->threads = calloc(n, sizeof(*c->threads));
	if (c->threads == NULL) {
		free(c);
		return BB_ENOMEM;
	}
	(void) pthread_mutex_init(&c->mu, NULL);
	(void) pthread_cond_init(&c->cv, NULL);
	ns->commit = c;
	for (; c->nthreads < n; c->nthreads++) {
		if (pthread_create(&c->threads[c->nthreads], NULL, commit_main,
		                   ns) != 0) {
			store__commit_close(ns);
			return BB_ESYS;
		}
	}
	return BB_OK;
}

void
store__commit_close(store_ns *ns)
{
	struct store__commit *c = ns->commit;
	commit_ins           *l;
	uint32_t              i;

	if (c == NULL) {
		return;
	}
	(void) pthread_mutex_lock(&c->mu);
	c->stop = true;
	(void) pthread_cond_broadcast(&c->cv);
	(void) pthread_mutex_unlock(&c->mu);
	// A committer in a batch finishes it (its calls have deadlines); one
	// waiting for a primary is woken by the pool's close.
	for (i = 0; i < c->nthreads; i++) {
		(void) pthread_join(c->threads[i], NULL);
	}
	l = commit_take_expired(ns, c, INT64_MAX); // all of them
	commit_fail_all(ns, l, BB_ESHUTDOWN);
	(void) pthread_cond_destroy(&c->cv);
	(void) pthread_mutex_destroy(&c->mu);
	free(c->threads);
	free(c);
	ns->commit = NULL;
}

void
store__commit_submit(store_ns *ns, store_spool *body, store_insert_done done,
                     void *arg)
{
	struct store__commit *c = ns->commit;
	commit_ins           *ins;

	ins = calloc(1, sizeof(*ins));
	if (ins == NULL) {
		store__ns_insert_counted(ns, bb_clock_mono_ns(), BB_ENOMEM,
		                         NULL);
		done(arg, BB_ENOMEM, NULL);
		return;
	}
	ins->body     = body;
	ins->done     = done;
	ins->arg      = arg;
	ins->t0       = bb_clock_mono_ns();
	ins->deadline = ins->t0 + STORE_INSERT_WAIT_NS;
	(void) pthread_mutex_lock(&c->mu);
	if (c->stop) {
		(void) pthread_mutex_unlock(&c->mu);
		commit_end(ns, ins, BB_ESHUTDOWN, NULL);
		return;
	}
	if (c->tail != NULL) {
		c->tail->next = ins;
	} else {
		c->head = ins;
	}
	c->tail = ins;
	store_metrics_queued(ns->metrics, 1);
	(void) pthread_cond_signal(&c->cv);
	(void) pthread_mutex_unlock(&c->mu);
}
