// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/read_test.c -- the asynchronous remote reads (rpc/read.c)
// and calls (rpc_peer_call_async): each completion is called exactly
// once, with the bytes from a live peer, BB_EUNAVAIL at once for a peer
// that is down, BB_ETIMEDOUT for one that never answers, BB_ECLOSED when
// its calls are aborted or its pool closes, and more calls than a peer
// has contexts wait in its queue, not in threads.
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
#include <time.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "rpc/rpc_impl.h"
#include "storage/spool.h"
#include "tests/rpc/rpc_fixture.h"

#define PRIMARY 1u // the pool's own node
#define SERVER  2u // a live peer
#define DOWN    3u // a peer nobody listens for
#define MUTE    4u // a peer that takes requests and never answers
#define NQUEUED 40 // more than the 16 contexts of a pool's peer

// ---- completions that count ------------------------------------------

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             calls;
	bb_err          rv;
	uint32_t        machine;
} counter;

static void
counter_init(counter *c)
{
	pthread_condattr_t ca;

	memset(c, 0, sizeof(*c));
	(void) pthread_mutex_init(&c->mu, NULL);
	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&c->cv, &ca);
	(void) pthread_condattr_destroy(&ca);
}

static void
counter_fini(counter *c)
{
	(void) pthread_cond_destroy(&c->cv);
	(void) pthread_mutex_destroy(&c->mu);
}

static void
read_done(void *arg, bb_err rv, uint32_t machine)
{
	counter *c = arg;

	(void) pthread_mutex_lock(&c->mu);
	c->calls++;
	c->rv      = rv;
	c->machine = machine;
	(void) pthread_cond_broadcast(&c->cv);
	(void) pthread_mutex_unlock(&c->mu);
}

static void
call_done(void *arg, bb_err rv, ProtobufCMessage *resp)
{
	counter *c = arg;

	if (resp != NULL) {
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	read_done(c, rv, 0);
}

// counter_wait waits up to ms for at least n calls and returns how many
// came.
static int
counter_wait(counter *c, int n, int64_t ms)
{
	int64_t         end = bb_clock_mono_ns() + ms * BB_NS_PER_MS;
	struct timespec ts  = { (time_t) (end / BB_NS_PER_SEC),
		                (long) (end % BB_NS_PER_SEC) };
	int             got;

	(void) pthread_mutex_lock(&c->mu);
	while (c->calls < n &&
	       pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0) {
	}
	got = c->calls;
	(void) pthread_mutex_unlock(&c->mu);
	return got;
}

// counter_once checks that c was called exactly once within ms, and
// still once a little later (no second call).
static void
counter_once(counter *c, int64_t ms)
{
	assert_int_equal(counter_wait(c, 1, ms), 1);
	bb_clock_sleep_ns(20 * BB_NS_PER_MS);
	assert_int_equal(counter_wait(c, 1, 0), 1);
}

// ---- fixture ---------------------------------------------------------

typedef struct {
	rpct_node  n;     // the live peer, with a store
	nng_socket mute;  // the peer that never answers
	bb_conf   *pconf; // the pool's node
	rpc_pool  *pool;  // peers SERVER, DOWN, MUTE
	store_id   id;    // a blob on SERVER
	uint8_t   *body;  // its bytes
	size_t     len;
} fix;

static unsigned
mute_open(nng_socket *s)
{
	nng_listener l;
	int          port;

	assert_int_equal(nng_rep0_open(s), 0);
	assert_int_equal(nng_listen(*s, "tcp://127.0.0.1:0", &l, 0), 0);
	assert_int_equal(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	return (unsigned) port;
}

// pool_open opens fx's pool with [client] timeout timeout.
static void
pool_open(fix *fx, const char *timeout, unsigned mute_port)
{
	char text[1024];

	// No probe in the tests' time: the calls themselves find out.
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n[client]\ntimeout = %s\n"
	                "probe_interval = 10m\nprobe_timeout = 1m\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = 1\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[namespace.test]\ndirectory = %s/pool\n"
	                "replicas = 0\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                PRIMARY, timeout, SERVER,
	                (unsigned) rpc_server_port(fx->n.srv), DOWN, MUTE,
	                mute_port, fx->n.tmp, fx->n.tmp);
	fx->pconf = rpct_load(text);
	assert_int_equal(rpc_pool_open(fx->pconf, &fx->pool, NULL, 0), BB_OK);
	rpct_wait_connected(rpc_pool_peer(fx->pool, SERVER));
	rpct_wait_connected(rpc_pool_peer(fx->pool, MUTE));
}

static int
setup(void **state)
{
	fix         *fx = calloc(1, sizeof(*fx));
	store_ns    *ns;
	store_spool *sp = NULL;
	size_t       i;

	assert_non_null(fx);
	rpct_node_start(&fx->n, "bb_read_test", SERVER, "data", "");
	fx->len  = 3 * RPC_MAX_CHUNK + 5; // several chunks, a short last
	fx->body = malloc(fx->len);
	assert_non_null(fx->body);
	for (i = 0; i < fx->len; i++) {
		fx->body[i] = (uint8_t) (i * 13 + i / 257);
	}
	ns = store_find_ns(fx->n.st, "test", 4);
	assert_non_null(ns);
	assert_int_equal(store_ns_spool(ns, fx->len, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, fx->body, fx->len), BB_OK);
	assert_int_equal(store_ns_insert(ns, sp, &fx->id), BB_OK);
	store_spool_free(sp);
	pool_open(fx, "5s", mute_open(&fx->mute));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fix *fx = *state;

	rpc_pool_close(fx->pool);
	(void) nng_close(fx->mute);
	rpct_node_stop(&fx->n);
	bb_conf_free(fx->pconf);
	free(fx->body);
	free(fx);
	return 0;
}

// ---- tests -------------------------------------------------------------

// A live peer: the whole blob in a window of chunks, a range, and the
// first chunk from any peer; each completion once, with the bytes.
static void
test_read_ok(void **state)
{
	fix     *fx  = *state;
	uint8_t *got = malloc(fx->len);
	counter  c;

	assert_non_null(got);
	counter_init(&c);
	rpc_pool_read_start(fx->pool, SERVER, "test", &fx->id, 0, got, fx->len,
	                    read_done, &c);
	counter_once(&c, 5000);
	assert_int_equal(c.rv, BB_OK);
	assert_int_equal(c.machine, SERVER);
	assert_memory_equal(got, fx->body, fx->len);
	counter_fini(&c);

	counter_init(&c);
	memset(got, 0, fx->len);
	rpc_pool_read_start(fx->pool, SERVER, "test", &fx->id, 77, got,
	                    RPC_MAX_CHUNK + 9, read_done, &c);
	counter_once(&c, 5000);
	assert_int_equal(c.rv, BB_OK);
	assert_memory_equal(got, fx->body + 77, RPC_MAX_CHUNK + 9);
	counter_fini(&c);

	// Nothing to read, or a range outside the blob: done before the
	// start returns.
	counter_init(&c);
	rpc_pool_read_start(fx->pool, SERVER, "test", &fx->id, 0, got, 0,
	                    read_done, &c);
	assert_int_equal(counter_wait(&c, 1, 0), 1);
	assert_int_equal(c.rv, BB_OK);
	counter_fini(&c);
	counter_init(&c);
	rpc_pool_read_start(fx->pool, SERVER, "test", &fx->id, fx->len, got, 1,
	                    read_done, &c);
	assert_int_equal(counter_wait(&c, 1, 0), 1);
	assert_int_equal(c.rv, BB_EINVAL);
	counter_fini(&c);

	// Any peer but PRIMARY: SERVER has it (DOWN fails at once; MUTE
	// is asked too, after SERVER in the pool's order, and must not
	// hold the outcome).
	counter_init(&c);
	memset(got, 0, fx->len);
	rpc_pool_read_any_start(fx->pool, PRIMARY, "test", &fx->id, got, 1000,
	                        read_done, &c);
	counter_once(&c, 3000);
	assert_int_equal(c.rv, BB_OK);
	assert_int_equal(c.machine, SERVER);
	assert_memory_equal(got, fx->body, 1000);
	counter_fini(&c);
	free(got);
}

// A peer that is down: BB_EUNAVAIL at once, once; any peer when every
// one asked is down: BB_EUNAVAIL too (never "not found").
static void
test_read_down(void **state)
{
	fix     *fx = *state;
	uint8_t  got[64];
	store_id other = fx->id;
	counter  c;
	int64_t  t0;

	counter_init(&c);
	store_fid_make(&other.fid, 1700000000u, 1, DOWN);
	t0 = bb_clock_mono_ns();
	rpc_pool_read_start(fx->pool, DOWN, "test", &other, 0, got,
	                    sizeof(got), read_done, &c);
	counter_once(&c, 1000);
	assert_int_equal(c.rv, BB_EUNAVAIL);
	assert_true(bb_clock_mono_ns() - t0 < BB_NS_PER_SEC);
	counter_fini(&c);

	// Not configured at all: BB_ENOENT.
	counter_init(&c);
	rpc_pool_read_start(fx->pool, 99, "test", &other, 0, got, sizeof(got),
	                    read_done, &c);
	assert_int_equal(counter_wait(&c, 1, 0), 1);
	assert_int_equal(c.rv, BB_ENOENT);
	counter_fini(&c);
}

// A peer that never answers: BB_ETIMEDOUT at the [client] timeout, once;
// the peer is then taken for one that does not answer, and its next
// calls fail at once.
static void
test_read_timeout(void **state)
{
	fix     *fx = *state;
	uint8_t  got[64];
	store_id other = fx->id;
	counter  c;
	int64_t  t0, dt;

	rpc_pool_close(fx->pool);
	fx->pool = NULL;
	bb_conf_free(fx->pconf);
	fx->pconf = NULL;
	(void) nng_close(fx->mute);
	pool_open(fx, "1s", mute_open(&fx->mute));
	store_fid_make(&other.fid, 1700000000u, 1, MUTE);
	counter_init(&c);
	t0 = bb_clock_mono_ns();
	rpc_pool_read_start(fx->pool, MUTE, "test", &other, 0, got,
	                    sizeof(got), read_done, &c);
	counter_once(&c, 5000);
	dt = bb_clock_mono_ns() - t0;
	print_message("a read from a peer that never answers ended after "
	              "%.0f ms\n",
	              (double) dt / 1e6);
	assert_int_equal(c.rv, BB_ETIMEDOUT);
	assert_true(dt >= 900 * BB_NS_PER_MS);
	counter_fini(&c);
	assert_false(rpc_peer_responsive(rpc_pool_peer(fx->pool, MUTE)));

	counter_init(&c);
	rpc_pool_read_start(fx->pool, MUTE, "test", &other, 0, got,
	                    sizeof(got), read_done, &c);
	assert_int_equal(counter_wait(&c, 1, 0), 1);
	assert_int_equal(c.rv, BB_EUNAVAIL);
	counter_fini(&c);
}

// Calls in flight aborted (as the prober's stop and a peer found not
// answering do): BB_ECLOSED at once, once.  And a pool closed with a
// read in flight ends it before rpc_pool_close returns.
static void
test_read_cancel(void **state)
{
	fix     *fx = *state;
	uint8_t  got[64];
	store_id other = fx->id;
	counter  c;
	int64_t  t0;

	store_fid_make(&other.fid, 1700000000u, 1, MUTE);
	counter_init(&c);
	rpc_pool_read_start(fx->pool, MUTE, "test", &other, 0, got,
	                    sizeof(got), read_done, &c);
	bb_clock_sleep_ns(50 * BB_NS_PER_MS); // sent, waiting for a reply
	assert_int_equal(counter_wait(&c, 1, 0), 0);
	t0 = bb_clock_mono_ns();
	rpc__peer_abort(rpc_pool_peer(fx->pool, MUTE));
	counter_once(&c, 2000);
	assert_int_equal(c.rv, BB_ECLOSED);
	assert_true(bb_clock_mono_ns() - t0 < BB_NS_PER_SEC);
	counter_fini(&c);

	counter_init(&c);
	rpc_pool_read_start(fx->pool, MUTE, "test", &other, 0, got,
	                    sizeof(got), read_done, &c);
	bb_clock_sleep_ns(50 * BB_NS_PER_MS);
	rpc_pool_close(fx->pool);
	fx->pool = NULL;
	assert_int_equal(counter_wait(&c, 1, 0), 1);
	assert_int_equal(c.rv, BB_ECLOSED);
	counter_fini(&c);
}

// More asynchronous calls than the peer has contexts: the rest wait in
// its queue (no thread waits), and every one ends once: at once with a
// live peer; with one that never answers, when the peer is found out.
static void
test_queue(void **state)
{
	fix                               *fx = *state;
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	counter c;
	int64_t t0, dt;
	int     i;

	counter_init(&c);
	for (i = 0; i < NQUEUED; i++) {
		rpc_peer_call_async(rpc_pool_peer(fx->pool, SERVER),
		                    RPC_M_NODE_STATUS, &req.base, TIMEOUT,
		                    call_done, &c);
	}
	assert_int_equal(counter_wait(&c, NQUEUED, 5000), NQUEUED);
	bb_clock_sleep_ns(20 * BB_NS_PER_MS);
	assert_int_equal(counter_wait(&c, NQUEUED, 0), NQUEUED);
	assert_int_equal(c.rv, BB_OK);
	counter_fini(&c);

	// The mute peer: 16 calls take its contexts, the rest queue; once
	// the contexts time out, the queued calls, past their deadline,
	// end with BB_EBUSY.
	counter_init(&c);
	t0 = bb_clock_mono_ns();
	for (i = 0; i < NQUEUED; i++) {
		rpc_peer_call_async(rpc_pool_peer(fx->pool, MUTE),
		                    RPC_M_NODE_STATUS, &req.base,
		                    300 * BB_NS_PER_MS, call_done, &c);
	}
	assert_int_equal(counter_wait(&c, 1, 0), 0);
	assert_int_equal(counter_wait(&c, NQUEUED, 10000), NQUEUED);
	dt = bb_clock_mono_ns() - t0;
	bb_clock_sleep_ns(20 * BB_NS_PER_MS);
	assert_int_equal(counter_wait(&c, NQUEUED, 0), NQUEUED);
	assert_int_not_equal(c.rv, BB_OK);
	print_message("%d calls to a mute peer (16 contexts) all ended in "
	              "%.0f ms\n",
	              NQUEUED, (double) dt / 1e6);
	counter_fini(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_down, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_timeout, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_cancel, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
