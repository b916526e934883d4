// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/health_test.c -- a peer that keeps its connection but stops
// answering (a hung process): the pool's probes find it out within their
// interval and deadline, not the [client] timeout, even with every call
// slot hung; its calls in flight fail then and new ones fail at once;
// new primaries go to the peer that answers; a call through the pool that
// times out marks it too; once it answers a probe, it is used again.
// The hung peer is a req/rep socket that takes requests and never
// answers (a real node cannot be made to hang inside one process).
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "tests/rpc/rpc_fixture.h"
#include "storage/remote.h"

#define PRIMARY 1u // the pool's own node
#define SERVER  2u // a real node that answers
#define MUTE    3u // takes requests, answers none (unless told to)
#define NCALLS  16 // every call slot of a pool's peer (rpc/pool.c)

// The bound on noticing the hung peer: probe_interval + probe_timeout
// (0.4 s here) with room for a loaded machine, far below the [client]
// timeout (30 s) that a call would wait without the probes.
#define NOTICE_BOUND (5 * BB_NS_PER_SEC)

typedef struct {
	rpct_node     n; // the node that answers
	nng_socket    mute;
	pthread_t     echo;   // answers the mute socket once started
	atomic_bool   answer; // the mute socket answers from now on
	atomic_bool   stop;
	bool          echo_on;
	bb_conf      *pconf;
	rpc_pool     *pool;
	store_remotes rem;
} fix;

// mute_main holds every request the mute socket gets; once answer is
// set it answers each with an empty message (a NodeStatusResponse
// without fields: an answer all the same).
static void *
mute_main(void *arg)
{
	fix     *fx = arg;
	nng_msg *m;

	while (!atomic_load(&fx->stop)) {
		m = NULL;
		if (nng_recvmsg(fx->mute, &m, 0) != 0) {
			continue; // its receive timeout: look at stop again
		}
		if (!atomic_load(&fx->answer)) {
			nng_msg_free(m); // held: never answered
			continue;
		}
		nng_msg_clear(m);
		if (nng_sendmsg(fx->mute, m, 0) != 0) {
			nng_msg_free(m);
		}
	}
	return NULL;
}

// fix_open starts the answering node, the mute socket and a pool of
// PRIMARY with both as peers, probes as given, and waits until both are
// connected.
static fix *
fix_open(const char *client)
{
	nng_listener l;
	char         text[1024];
	int          port;
	fix         *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	rpct_node_start(&fx->n, "bb_health_test", SERVER, "replica",
	                "[remote.1]\nhost = 127.0.0.1\n");
	assert_int_equal(nng_rep0_open(&fx->mute), 0);
	assert_int_equal(nng_socket_set_ms(fx->mute, NNG_OPT_RECVTIMEO, 100),
	                 0);
	assert_int_equal(nng_listen(fx->mute, "tcp://127.0.0.1:0", &l, 0), 0);
	assert_int_equal(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	assert_int_equal(pthread_create(&fx->echo, NULL, mute_main, fx), 0);
	fx->echo_on = true;
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n[client]\n%s\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %d\n"
	                "[namespace.test]\ndirectory = %s/primary\n"
	                "replicas = 1\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                PRIMARY, client, SERVER,
	                (unsigned) rpc_server_port(fx->n.srv), MUTE, port,
	                fx->n.tmp, fx->n.tmp);
	fx->pconf = rpct_load(text);
	assert_int_equal(rpc_pool_open(fx->pconf, &fx->pool, NULL, 0), BB_OK);
	rpc_pool_remotes(fx->pool, &fx->rem);
	rpct_wait_connected(rpc_pool_peer(fx->pool, SERVER));
	rpct_wait_connected(rpc_pool_peer(fx->pool, MUTE));
	return fx;
}

static void
fix_close(fix *fx)
{
	rpc_pool_close(fx->pool); // before the mute socket: calls end first
	atomic_store(&fx->stop, true);
	if (fx->echo_on) {
		assert_int_equal(pthread_join(fx->echo, NULL), 0);
	}
	(void) nng_close(fx->mute);
	rpct_node_stop(&fx->n);
	bb_conf_free(fx->pconf);
	free(fx);
}

static store_call
mkcall(store_call_kind kind)
{
	static const uint8_t data[16] = "0123456789abcdef";
	store_call           c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.ns   = "test";
	store_fid_next(&c.fid, PRIMARY);
	if (kind == STORE_CALL_REPLICATE) {
		c.data = data;
		c.len  = sizeof(data);
		c.hash = store_hash(data, sizeof(data));
	}
	return c;
}

// call1 makes c to peer id and returns its result; *dtp is how long it
// took.
static store_call_result
call1(fix *fx, uint32_t id, const store_call *c, int64_t *dtp)
{
	store_call_result res;
	int64_t           t0 = bb_clock_mono_ns();

	fx->rem.call(fx->rem.ctx, &id, 1, c, &res);
	*dtp = bb_clock_mono_ns() - t0;
	return res;
}

// wait_responsive waits (at most NOTICE_BOUND) until the peer's health is
// on, and returns how long that took.
static int64_t
wait_responsive(fix *fx, uint32_t id, bool on)
{
	const rpc_peer *p  = rpc_pool_peer(fx->pool, id);
	int64_t         t0 = bb_clock_mono_ns();

	while (rpc_peer_responsive(p) != on) {
		if (bb_clock_mono_ns() - t0 > NOTICE_BOUND) {
			fail_msg("machine %u: responsive is not %d after %lld "
			         "ms",
			         (unsigned) id, on,
			         (long long) (NOTICE_BOUND / BB_NS_PER_MS));
		}
		bb_clock_sleep_ns(5 * BB_NS_PER_MS);
	}
	return bb_clock_mono_ns() - t0;
}

// Every call slot of the hung peer is taken by a call that would wait
// 30 s; the probe, on its own slot, finds the peer out anyway, which
// fails them all; new calls fail at once, and new files avoid it.
static void
test_hung_peer_noticed(void **state)
{
	rpc_peer                          *p = NULL;
	rpc_call                          *calls[NCALLS];
	ProtobufCMessage                  *resp;
	store_call                         c = mkcall(STORE_CALL_HEARTBEAT);
	store_call_result                  res;
	uint32_t                           ids[1];
	int64_t                            t0, dt;
	int                                i;
	fix                               *fx;
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;

	(void) state;
	fx = fix_open("timeout = 30s\nprobe_interval = 100ms\n"
	              "probe_timeout = 300ms");
	p  = rpc_pool_peer(fx->pool, MUTE);
	assert_true(rpc_peer_responsive(p));
	assert_int_equal(rpc_pool_responsive(fx->pool), 2);
	t0 = bb_clock_mono_ns();
	for (i = 0; i < NCALLS; i++) {
		assert_int_equal(
		    rpc_peer_call_start(p, RPC_M_NODE_STATUS, &req.base,
		                        30 * BB_NS_PER_SEC, &calls[i]),
		    BB_OK);
	}
	for (i = 0; i < NCALLS; i++) {
		resp = NULL;
		assert_int_not_equal(rpc_call_finish(calls[i], &resp), BB_OK);
	}
	dt = bb_clock_mono_ns() - t0;
	print_message("%d calls to a hung peer failed after %.0f ms\n", NCALLS,
	              (double) dt / 1e6);
	assert_true(dt < NOTICE_BOUND);
	assert_false(rpc_peer_responsive(p));
	assert_true(rpc_peer_connected(p)); // hung, not gone
	assert_int_equal(rpc_pool_responsive(fx->pool), 1);

	// Now at once, with a reason that says why.
	res = call1(fx, MUTE, &c, &dt);
	assert_int_equal(res.err, BB_EUNAVAIL);
	assert_non_null(strstr(res.msg, "does not answer"));
	assert_true(dt < BB_NS_PER_SEC / 2);
	// The peer that answers is not touched, and gets every new file.
	c   = mkcall(STORE_CALL_INITIALIZE);
	res = call1(fx, SERVER, &c, &dt);
	assert_int_equal(res.err, BB_OK);
	for (i = 0; i < 6; i++) {
		assert_int_equal(fx->rem.assign(fx->rem.ctx, 1, ids), BB_OK);
		assert_int_equal(ids[0], SERVER);
	}
	fix_close(fx);
}

// A call in flight when the peer hangs (a Replicate, which keeps the
// long [client] timeout) ends with the probe's finding, not its own
// deadline.  Once the peer answers a probe again it is used again.
static void
test_hung_then_answers(void **state)
{
	store_call        c = mkcall(STORE_CALL_REPLICATE);
	store_call_result res;
	int64_t           dt;
	fix              *fx;

	(void) state;
	fx  = fix_open("timeout = 30s\nprobe_interval = 100ms\n"
	                "probe_timeout = 300ms");
	res = call1(fx, MUTE, &c, &dt);
	print_message("a replicate to a hung peer failed after %.0f ms: %s\n",
	              (double) dt / 1e6, res.msg);
	assert_int_not_equal(res.err, BB_OK);
	assert_true(dt < NOTICE_BOUND);
	assert_false(rpc_peer_responsive(rpc_pool_peer(fx->pool, MUTE)));

	atomic_store(&fx->answer, true);
	dt = wait_responsive(fx, MUTE, true);
	print_message("the peer answered again; noticed after %.0f ms\n",
	              (double) dt / 1e6);
	assert_int_equal(rpc_pool_responsive(fx->pool), 2);
	// Its calls go out again (its empty answer has no status: a
	// protocol error, but no longer "does not answer").
	c   = mkcall(STORE_CALL_HEARTBEAT);
	res = call1(fx, MUTE, &c, &dt);
	assert_int_equal(res.err, BB_EPROTO);
	fix_close(fx);
}

// With probes too slow to notice first (a 10 s deadline, the first probe
// still out), a call through the pool that times out marks the peer: the
// next call fails at once instead of waiting its own deadline too.
static void
test_call_timeout_marks(void **state)
{
	store_call        c = mkcall(STORE_CALL_HEARTBEAT);
	store_call_result res;
	int64_t           dt;
	fix              *fx;

	(void) state;
	fx = fix_open("timeout = 1s\nprobe_interval = 1h\n"
	              "probe_timeout = 10s");
	assert_true(rpc_peer_responsive(rpc_pool_peer(fx->pool, MUTE)));
	res = call1(fx, MUTE, &c, &dt);
	assert_int_equal(res.err, BB_ETIMEDOUT);
	assert_true(dt >= BB_NS_PER_SEC * 9 / 10);
	assert_false(rpc_peer_responsive(rpc_pool_peer(fx->pool, MUTE)));
	res = call1(fx, MUTE, &c, &dt);
	assert_int_equal(res.err, BB_EUNAVAIL);
	assert_true(dt < BB_NS_PER_SEC / 2);
	assert_true(rpc_peer_responsive(rpc_pool_peer(fx->pool, SERVER)));
	fix_close(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hung_peer_noticed),
		cmocka_unit_test(test_hung_then_answers),
		cmocka_unit_test(test_call_timeout_marks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
