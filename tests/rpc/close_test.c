// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/close_test.c -- rpc__sock_close (rpc/close.c): a close that
// finishes calls after() before it returns; one that hangs returns after
// its bound, and after() runs when the close finally ends.  The hang of
// libnng 1.5.2 itself needs a message in transit at the moment of the
// close, which no test can time; a pipe callback that blocks holds
// nng_close the same way (NNG runs it on its reaper before it removes
// the pipe, and nng_close waits for every pipe to go).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/clock.h"
#include "rpc/rpc_impl.h"

typedef struct fix {
	nng_socket      rep;
	nng_socket      req;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            hold;  // the pipe callback blocks while set
	atomic_int      after; // calls of after_cb
} fix;

static void
pipe_gone(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	fix *fx = arg;

	(void) p;
	(void) ev;
	(void) pthread_mutex_lock(&fx->mu);
	while (fx->hold) {
		(void) pthread_cond_wait(&fx->cv, &fx->mu);
	}
	(void) pthread_mutex_unlock(&fx->mu);
}

static void
after_cb(void *arg)
{
	fix *fx = arg;

	atomic_fetch_add(&fx->after, 1);
}

static int
setup(void **state)
{
	fix         *fx = calloc(1, sizeof(*fx));
	nng_listener l;
	char         url[64];
	int          port = 0;

	assert_non_null(fx);
	(void) pthread_mutex_init(&fx->mu, NULL);
	(void) pthread_cond_init(&fx->cv, NULL);
	assert_int_equal(nng_rep0_open(&fx->rep), 0);
	assert_int_equal(nng_listen(fx->rep, "tcp://127.0.0.1:0", &l, 0), 0);
	assert_int_equal(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	assert_int_equal(nng_req0_open(&fx->req), 0);
	assert_int_equal(
	    nng_pipe_notify(fx->req, NNG_PIPE_EV_REM_POST, pipe_gone, fx), 0);
	(void) snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(nng_dial(fx->req, url, NULL, 0), 0); // connected
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fix *fx = *state;

	(void) nng_close(fx->rep);
	(void) pthread_cond_destroy(&fx->cv);
	(void) pthread_mutex_destroy(&fx->mu);
	free(fx);
	return 0;
}

static void
test_close_in_time(void **state)
{
	fix *fx = *state;

	assert_true(rpc__sock_close(fx->req, after_cb, fx, "a test socket"));
	assert_int_equal(atomic_load(&fx->after), 1);
}

static void
test_close_late(void **state)
{
	fix    *fx = *state;
	int64_t t0, waited;
	int     i;

	fx->hold = true;
	t0       = bb_clock_mono_ns();
	assert_false(rpc__sock_close(fx->req, after_cb, fx, "a test socket"));
	waited = bb_clock_mono_ns() - t0;
	// Its bound is two seconds; generous above for a loaded machine.
	assert_true(waited >= 1900 * BB_NS_PER_MS);
	assert_true(waited < 20 * BB_NS_PER_SEC);
	assert_int_equal(atomic_load(&fx->after), 0); // still closing
	(void) pthread_mutex_lock(&fx->mu);
	fx->hold = false;
	(void) pthread_cond_broadcast(&fx->cv);
	(void) pthread_mutex_unlock(&fx->mu);
	for (i = 0; i < 1000 && atomic_load(&fx->after) == 0; i++) {
		bb_clock_sleep_ns(10 * BB_NS_PER_MS);
	}
	assert_int_equal(atomic_load(&fx->after), 1); // once, by the closer
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_close_in_time, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_close_late, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
