// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/lifecycle/workq_test.c -- storage/lifecycle/workq.c: at most
// max_workers files run at once, a file is not taken before it is due and
// due files go in due order, stop waits for running work and drops the
// queued references, info reports queued, busy and the oldest.  The
// records are bare store__file records (no namespace, no data file).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "storage/file.h"
#include "storage/lifecycle/workq.h"

#define NFILES  16
#define WAIT_MS 10000 // every wait gives up after this
#define MS      (BB_NS_PER_SEC / 1000)

// What the worker function saw.  mu guards everything below it.
typedef struct {
	pthread_mutex_t mu;
	store__file    *files[NFILES];
	int             running;     // in fn now
	int             max_running; // most ever in fn at once
	int             ncalls;
	int             order[NFILES];     // indexes of files, call order
	int64_t         called_ns[NFILES]; // by index
	bool            hold;              // fn waits for gate
	bool            gate;
	bool            timed_out; // a held fn gave up waiting
} wctx;

static wctx g;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	(void) nanosleep(&ts, NULL);
}

static int
index_of(const store__file *f)
{
	int i;

	for (i = 0; i < NFILES; i++) {
		if (g.files[i] == f) {
			return i;
		}
	}
	return -1;
}

// work is the queue's function: record the call, wait for the gate if
// held (bounded), drop the reference the queue handed over.
static void
work(void *arg, store__file *f)
{
	int64_t start = bb_clock_mono_ns();
	int     i     = index_of(f);

	assert_ptr_equal(arg, &g);
	(void) pthread_mutex_lock(&g.mu);
	g.running++;
	if (g.running > g.max_running) {
		g.max_running = g.running;
	}
	if (g.ncalls < NFILES) {
		g.order[g.ncalls] = i;
	}
	g.ncalls++;
	if (i >= 0) {
		g.called_ns[i] = start;
	}
	while (g.hold && !g.gate) {
		(void) pthread_mutex_unlock(&g.mu);
		sleep_ms(1);
		(void) pthread_mutex_lock(&g.mu);
		if (bb_clock_mono_ns() - start > WAIT_MS * MS) {
			g.timed_out = true;
			break;
		}
	}
	g.running--;
	(void) pthread_mutex_unlock(&g.mu);
	store__file_put(f);
}

// locked reads of the context.
static int
get_int(const int *p)
{
	int v;

	(void) pthread_mutex_lock(&g.mu);
	v = *p;
	(void) pthread_mutex_unlock(&g.mu);
	return v;
}

// wait_int waits (bounded) until *p == want; true if it got there.
static bool
wait_int(const int *p, int want)
{
	int64_t end = bb_clock_mono_ns() + WAIT_MS * MS;

	while (get_int(p) != want) {
		if (bb_clock_mono_ns() > end) {
			return false;
		}
		sleep_ms(1);
	}
	return true;
}

// wait_quiet waits (bounded) until q has nothing queued and no worker
// busy; true if it got there.  A worker leaves fn (where the test counts
// it out) before the queue counts it idle again, so a test that saw its
// last call end must still wait for the queue.
static bool
wait_quiet(store__wq *q)
{
	int64_t end = bb_clock_mono_ns() + WAIT_MS * MS;
	size_t  queued;
	bool    busy;

	for (;;) {
		store__wq_info(q, &queued, &busy, NULL);
		if (queued == 0 && !busy) {
			return true;
		}
		if (bb_clock_mono_ns() > end) {
			return false;
		}
		sleep_ms(1);
	}
}

static void
open_gate(void)
{
	(void) pthread_mutex_lock(&g.mu);
	g.gate = true;
	(void) pthread_mutex_unlock(&g.mu);
}

static int
setup(void **state)
{
	store_fid fid;
	int       i;

	(void) state;
	memset(&g, 0, sizeof(g));
	(void) pthread_mutex_init(&g.mu, NULL);
	for (i = 0; i < NFILES; i++) {
		memset(&fid, 0, sizeof(fid));
		fid.b[0] = (uint8_t) i;
		if (store__file_new(&fid, false, false, -1, 0,
		                    STORE__PENDING_UPLOAD,
		                    &g.files[i]) != BB_OK) {
			return -1;
		}
	}
	return 0;
}

// teardown drops the test's own references; every other one must be gone
// by now (the queue dropped or the worker released it).
static int
teardown(void **state)
{
	int i;

	(void) state;
	for (i = 0; i < NFILES; i++) {
		if (g.files[i] != NULL) {
			assert_int_equal(atomic_load(&g.files[i]->refs), 1);
			store__file_put(g.files[i]);
		}
	}
	assert_false(g.timed_out);
	(void) pthread_mutex_destroy(&g.mu);
	return 0;
}

// put queues file i due at due_ns, handing the queue a reference of its
// own (the test keeps one to look at the file afterwards).
static void
put(store__wq *q, int i, int64_t due_ns)
{
	store__file_get(g.files[i]);
	store__wq_put(q, g.files[i], due_ns);
}

// ---- tests ------------------------------------------------------------

// Workers start as files arrive while the others are busy, never more
// than max_workers; the rest wait queued until a worker is free.
static void
test_max_workers(void **state)
{
	static const uint32_t maxw[] = { 1, 2, 3, 5 };
	store__wq            *q      = NULL;
	size_t                queued = 0;
	bool                  busy   = false;
	size_t                k;
	int                   i;
	int                   n = 8;

	(void) state;
	for (k = 0; k < sizeof(maxw) / sizeof(maxw[0]); k++) {
		(void) pthread_mutex_lock(&g.mu);
		g.hold        = true;
		g.gate        = false;
		g.ncalls      = 0;
		g.max_running = 0;
		(void) pthread_mutex_unlock(&g.mu);
		assert_int_equal(store__wq_new("test", maxw[k], work, &g, &q),
		                 BB_OK);
		for (i = 0; i < n; i++) {
			put(q, i, 0);
			// Each new file finds the workers busy, so the pool
			// grows one at a time up to its limit.
			assert_true(wait_int(
			    &g.running,
			    i + 1 < (int) maxw[k] ? i + 1 : (int) maxw[k]));
		}
		sleep_ms(50); // nothing more starts
		assert_int_equal(get_int(&g.running), (int) maxw[k]);
		store__wq_info(q, &queued, &busy, NULL);
		assert_int_equal(queued, (size_t) n - maxw[k]);
		assert_true(busy);
		open_gate();
		assert_true(wait_int(&g.ncalls, n));
		assert_true(wait_int(&g.running, 0));
		assert_int_equal(get_int(&g.max_running), (int) maxw[k]);
		assert_true(wait_quiet(q));
		store__wq_info(q, &queued, &busy, NULL);
		assert_int_equal(queued, 0);
		assert_false(busy);
		store__wq_stop(q);
		store__wq_free(q);
		q = NULL;
	}
	// A limit of 0 means one worker.
	(void) pthread_mutex_lock(&g.mu);
	g.gate        = false;
	g.ncalls      = 0;
	g.max_running = 0;
	(void) pthread_mutex_unlock(&g.mu);
	assert_int_equal(store__wq_new("zero", 0, work, &g, &q), BB_OK);
	put(q, 0, 0);
	assert_true(wait_int(&g.running, 1));
	put(q, 1, 0);
	sleep_ms(50);
	assert_int_equal(get_int(&g.running), 1);
	open_gate();
	assert_true(wait_int(&g.ncalls, 2));
	store__wq_stop(q);
	store__wq_free(q);
}

// Files put faster than the workers take them (recovery queues many
// sealed files at once) still get every worker there may be: a burst of
// puts starts max_workers workers, not one.
static void
test_burst(void **state)
{
	store__wq *q = NULL;
	int        i;

	(void) state;
	(void) pthread_mutex_lock(&g.mu);
	g.hold = true;
	(void) pthread_mutex_unlock(&g.mu);
	assert_int_equal(store__wq_new("burst", 3, work, &g, &q), BB_OK);
	for (i = 0; i < 8; i++) {
		put(q, i, 0);
	}
	assert_true(wait_int(&g.running, 3));
	sleep_ms(50); // and no more than that
	assert_int_equal(get_int(&g.running), 3);
	open_gate();
	assert_true(wait_int(&g.ncalls, 8));
	assert_int_equal(get_int(&g.max_running), 3);
	store__wq_stop(q);
	store__wq_free(q);
}

// A file is not taken before it is due; with one worker, files become
// due in due order whatever order they were queued in, and files due at
// once go in queue order.  The steps are 250 ms apart so that a slow
// (sanitized, shared) machine does not make two of them due at once.
static void
test_due_order(void **state)
{
	static const struct {
		int64_t due_ms; // from now; < 0: already due
	} files[] = {
		{ 1000 }, { 750 }, { -5 }, { 500 }, { -1 }, { 250 },
	};
	static const int want[] = { 2, 4, 5, 3, 1, 0 };
	store__wq       *q      = NULL;
	int64_t          now;
	int64_t          due[6];
	int              i;
	int              n = 6;

	(void) state;
	assert_int_equal(store__wq_new("due", 1, work, &g, &q), BB_OK);
	// Hold the worker on a first file while the others are queued, so
	// the picks depend on due times only.
	(void) pthread_mutex_lock(&g.mu);
	g.hold = true;
	(void) pthread_mutex_unlock(&g.mu);
	put(q, 15, 0);
	assert_true(wait_int(&g.running, 1));
	now = bb_clock_mono_ns();
	for (i = 0; i < n; i++) {
		due[i] = now + files[i].due_ms * MS;
		put(q, i, due[i]);
	}
	open_gate();
	assert_true(wait_int(&g.ncalls, n + 1));
	for (i = 0; i < n; i++) {
		assert_int_equal(g.order[i + 1], want[i]);
		assert_true(g.called_ns[i] >= due[i]);
	}
	store__wq_stop(q);
	store__wq_free(q);
}

// A file due later than the one a worker waits for wakes it no sooner; one
// due earlier cuts the wait short.
static void
test_due_wakeup(void **state)
{
	store__wq *q = NULL;
	int64_t    now;
	int64_t    t;

	(void) state;
	assert_int_equal(store__wq_new("wake", 1, work, &g, &q), BB_OK);
	now = bb_clock_mono_ns();
	put(q, 0, now + 60 * BB_NS_PER_SEC); // far away
	sleep_ms(20);                        // the worker waits for it
	put(q, 1, now + 150 * MS);
	assert_true(wait_int(&g.ncalls, 1));
	t = g.called_ns[1];
	assert_true(t >= now + 150 * MS);
	assert_true(t < now + 150 * MS + 5 * BB_NS_PER_SEC);
	sleep_ms(50);
	assert_int_equal(get_int(&g.ncalls), 1); // file 0 still waits
	store__wq_stop(q);                       // and is dropped
	store__wq_free(q);
	assert_int_equal(g.order[0], 1);
}

typedef struct {
	store__wq  *q;
	atomic_bool returned;
	int         running_at_return;
} stopper;

static void *
stop_main(void *arg)
{
	stopper *s = arg;

	store__wq_stop(s->q);
	s->running_at_return = get_int(&g.running);
	atomic_store(&s->returned, true);
	return NULL;
}

// stop waits for the file a worker runs, drops the queued ones without
// running them, and a put after stop drops its reference at once.
static void
test_stop(void **state)
{
	store__wq *q = NULL;
	stopper    s;
	pthread_t  t;
	int64_t    end;

	(void) state;
	assert_int_equal(store__wq_new("stop", 2, work, &g, &q), BB_OK);
	(void) pthread_mutex_lock(&g.mu);
	g.hold = true;
	(void) pthread_mutex_unlock(&g.mu);
	put(q, 0, 0);
	assert_true(wait_int(&g.running, 1));
	put(q, 1, bb_clock_mono_ns() + 60 * BB_NS_PER_SEC);
	put(q, 2, bb_clock_mono_ns() + 60 * BB_NS_PER_SEC);
	assert_int_equal(atomic_load(&g.files[1]->refs), 2);
	memset(&s, 0, sizeof(s));
	s.q = q;
	atomic_init(&s.returned, false);
	assert_int_equal(pthread_create(&t, NULL, stop_main, &s), 0);
	sleep_ms(100);
	assert_false(atomic_load(&s.returned)); // file 0 still runs
	open_gate();
	end = bb_clock_mono_ns() + WAIT_MS * MS;
	while (!atomic_load(&s.returned) && bb_clock_mono_ns() < end) {
		sleep_ms(1);
	}
	assert_true(atomic_load(&s.returned));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.running_at_return, 0);
	assert_int_equal(get_int(&g.ncalls), 1);
	assert_int_equal(atomic_load(&g.files[1]->refs), 1);
	assert_int_equal(atomic_load(&g.files[2]->refs), 1);
	// After stop a put only drops the reference.
	put(q, 3, 0);
	assert_int_equal(atomic_load(&g.files[3]->refs), 1);
	store__wq_stop(q); // idempotent
	store__wq_free(q);
	store__wq_free(NULL);
	assert_int_equal(get_int(&g.ncalls), 1);
}

// info: queued files, busy workers, and the earliest lc_queued_ns.
static void
test_info(void **state)
{
	store__wq *q      = NULL;
	size_t     queued = 99;
	bool       busy   = true;
	int64_t    oldest = -1;
	int64_t    later  = bb_clock_mono_ns() + 60 * BB_NS_PER_SEC;

	(void) state;
	assert_int_equal(store__wq_new("info", 1, work, &g, &q), BB_OK);
	store__wq_info(q, &queued, &busy, &oldest);
	assert_int_equal(queued, 0);
	assert_false(busy);
	assert_int_equal(oldest, 0);
	atomic_store(&g.files[0]->lc_queued_ns, 5000);
	atomic_store(&g.files[1]->lc_queued_ns, 3000);
	atomic_store(&g.files[2]->lc_queued_ns, 4000);
	put(q, 0, later);
	put(q, 1, later);
	put(q, 2, later);
	store__wq_info(q, &queued, &busy, &oldest);
	assert_int_equal(queued, 3);
	assert_false(busy);
	assert_int_equal(oldest, 3000);
	store__wq_info(q, &queued, &busy, NULL); // oldest is optional
	assert_int_equal(queued, 3);
	(void) pthread_mutex_lock(&g.mu);
	g.hold = true;
	(void) pthread_mutex_unlock(&g.mu);
	put(q, 3, 0);
	assert_true(wait_int(&g.running, 1));
	store__wq_info(q, &queued, &busy, &oldest);
	assert_int_equal(queued, 3);
	assert_true(busy);
	assert_int_equal(oldest, 3000);
	open_gate();
	assert_true(wait_int(&g.running, 0));
	store__wq_stop(q);
	store__wq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_max_workers, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_order, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_due_wakeup, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
