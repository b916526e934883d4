// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/pool_peer_test.c -- rpc_peer itself: a peer that is down
// fails fast, a peer that dies mid-call fails the call at once, parallel
// calls from more threads than contexts, and a call waiting for a
// context (against a rep0 socket that never answers).
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "tests/rpc/pool_fixture.h"

#define NTHREADS 8
#define NCALLS   50

static void
test_peer_down(void **state)
{
	fix                               *fx = *state;
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_peer         *p    = rpc_pool_peer(fx->pool, DOWN_A);
	int64_t           t0, dt;

	assert_false(rpc_peer_connected(p));
	t0 = bb_clock_mono_ns();
	assert_int_equal(
	    rpc_peer_call(p, RPC_M_NODE_STATUS, &req.base, TIMEOUT, &resp),
	    BB_EUNAVAIL);
	dt = bb_clock_mono_ns() - t0;
	print_message("a call to a peer that is down failed in %.3f ms\n",
	              (double) dt / 1e6);
	assert_true(dt < BB_NS_PER_SEC);
	assert_int_equal(rpc_peer_open("bogus://x", 1, &p), BB_EINVAL);
	assert_int_equal(rpc_peer_open(rpc_peer_url(p), 0, &p), BB_EINVAL);
}

typedef struct {
	rpc_peer *peer;
	int       ok;
} worker_arg;

static void *
worker(void *arg)
{
	worker_arg                        *w = arg;
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	ProtobufCMessage *resp;
	int               i;

	for (i = 0; i < NCALLS; i++) {
		resp = NULL;
		if (rpc_peer_call(w->peer, RPC_M_NODE_STATUS, &req.base,
		                  TIMEOUT, &resp) != BB_OK) {
			continue;
		}
		if (((Blobby__Rpc__V1__NodeStatusResponse *) resp)
		        ->machine_id == SERVER) {
			w->ok++;
		}
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	return NULL;
}

static void
test_parallel(void **state)
{
	fix       *fx = *state;
	rpc_peer  *p  = rpct_peer_open(fx->n.srv, 4);
	pthread_t  th[NTHREADS];
	worker_arg args[NTHREADS];
	int64_t    t0, dt;
	int        i, total = 0;

	t0 = bb_clock_mono_ns();
	for (i = 0; i < NTHREADS; i++) {
		args[i].peer = p; // 8 threads share 4 contexts
		args[i].ok   = 0;
		assert_int_equal(
		    pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		total += args[i].ok;
	}
	dt = bb_clock_mono_ns() - t0;
	print_message("%d NodeStatus calls from %d threads over 4 contexts "
	              "in %.1f ms: %.0f calls/s\n",
	              total, NTHREADS, (double) dt / 1e6,
	              (double) total * 1e9 / (double) dt);
	assert_int_equal(total, NTHREADS * NCALLS);
	rpc_peer_close(p);
}

// mute_open listens on a rep0 socket that takes requests and never
// answers, opens *pp, a peer of it with nctx contexts, connected, and
// starts *cp, a NodeStatus call on it (TIMEOUT).  Caller owns all three
// (nng_close, rpc_peer_close, rpc_call_cancel or rpc_call_finish).
static nng_socket
mute_open(unsigned nctx, rpc_peer **pp, rpc_call **cp)
{
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	nng_socket   mute;
	nng_listener l;
	int          port;
	char         url[64];

	assert_int_equal(nng_rep0_open(&mute), 0);
	assert_int_equal(nng_socket_set_ms(mute, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_listen(mute, "tcp://127.0.0.1:0", &l, 0), 0);
	assert_int_equal(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	(void) snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(rpc_peer_open(url, nctx, pp), BB_OK);
	rpct_wait_connected(*pp);
	assert_int_equal(rpc_peer_call_start(*pp, RPC_M_NODE_STATUS, &req.base,
	                                     TIMEOUT, cp),
	                 BB_OK);
	return mute;
}

static void
test_context_wait(void **state)
{
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	nng_socket mute;
	rpc_peer  *p  = NULL;
	rpc_call  *c1 = NULL, *c2 = NULL;
	int64_t    t0, dt;

	(void) state;
	// A context is held until its call ends (the reply, the deadline):
	// against a peer that never answers, the only context stays taken,
	// and a second call waits for it until its own deadline, then gives
	// up.
	mute = mute_open(1, &p, &c1);
	t0   = bb_clock_mono_ns();
	assert_int_equal(rpc_peer_call_start(p, RPC_M_NODE_STATUS, &req.base,
	                                     100 * BB_NS_PER_MS, &c2),
	                 BB_EBUSY);
	dt = bb_clock_mono_ns() - t0;
	assert_true(dt >= 90 * BB_NS_PER_MS && dt < 2 * BB_NS_PER_SEC);
	// Canceled: the next call gets the context at once.
	rpc_call_cancel(c1);
	t0 = bb_clock_mono_ns();
	assert_int_equal(
	    rpc_peer_call_start(p, RPC_M_NODE_STATUS, &req.base, TIMEOUT, &c2),
	    BB_OK);
	assert_true(bb_clock_mono_ns() - t0 < BB_NS_PER_SEC);
	rpc_call_cancel(c2);
	rpc_peer_close(p);
	(void) nng_close(mute);
}

// A peer that takes a request and dies before it answers: the call
// fails at once with BB_EUNAVAIL, not at its deadline.
static void
test_peer_dies_mid_call(void **state)
{
	ProtobufCMessage *resp = NULL;
	nng_socket        mute;
	nng_msg          *got = NULL;
	rpc_peer         *p   = NULL;
	rpc_call         *c   = NULL;
	int64_t           t0, dt;

	(void) state;
	mute = mute_open(2, &p, &c);
	assert_int_equal(nng_recvmsg(mute, &got, 0), 0); // taken, unanswered
	nng_msg_free(got);
	t0 = bb_clock_mono_ns();
	(void) nng_close(mute);
	assert_int_equal(rpc_call_finish(c, &resp), BB_EUNAVAIL);
	dt = bb_clock_mono_ns() - t0;
	print_message("a call in flight failed %.3f ms after its peer died\n",
	              (double) dt / 1e6);
	assert_true(dt < BB_NS_PER_SEC);
	rpc_peer_close(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peer_down, setup,
		                                teardown),
		cmocka_unit_test(test_peer_dies_mid_call),
		cmocka_unit_test_setup_teardown(test_parallel, setup,
		                                teardown),
		cmocka_unit_test(test_context_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
