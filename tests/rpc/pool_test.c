// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/pool_test.c -- rpc_pool as storage sees it, against a real
// server over a real store: round-robin assignment over three configured
// peers, the replica calls, peers down or unknown, who may make replica
// calls (caller identity), status codes, and peers added and removed by
// a reload.  pool_read_test.c has the reads, pool_peer_test.c rpc_peer.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "tests/rpc/pool_fixture.h"

// ---- tests ----------------------------------------------------------

static void
test_assign(void **state)
{
	fix     *fx = *state;
	uint32_t ids[4];
	int      i;

	assert_int_equal(fx->rem.max_chunk, RPC_MAX_CHUNK);
	assert_ptr_equal(fx->rem.ctx, fx->pool);
	// Connected peers come first: only SERVER listens, so a single
	// replica is always SERVER once it is connected.
	for (i = 0;
	     i < 200 && !rpc_peer_connected(rpc_pool_peer(fx->pool, SERVER));
	     i++) {
		bb_clock_sleep_ns(10 * BB_NS_PER_MS);
	}
	assert_true(rpc_peer_connected(rpc_pool_peer(fx->pool, SERVER)));
	for (i = 0; i < 7; i++) {
		assert_int_equal(fx->rem.assign(fx->rem.ctx, 1, ids), BB_OK);
		assert_int_equal(ids[0], SERVER);
	}
	// Several: SERVER first, then the peers that are down, all
	// different.
	for (i = 0; i < 4; i++) {
		assert_int_equal(fx->rem.assign(fx->rem.ctx, 3, ids), BB_OK);
		assert_int_equal(ids[0], SERVER);
		assert_true(ids[1] == DOWN_A || ids[1] == DOWN_B);
		assert_true(ids[2] == DOWN_A || ids[2] == DOWN_B);
		assert_int_not_equal(ids[1], ids[2]);
	}
	assert_int_equal(fx->rem.assign(fx->rem.ctx, 4, ids), BB_EUNAVAIL);
	assert_int_equal(fx->rem.assign(fx->rem.ctx, 0, ids), BB_OK);
	// Lookup by machine id.
	assert_non_null(rpc_pool_peer(fx->pool, SERVER));
	assert_non_null(rpc_pool_peer(fx->pool, DOWN_A));
	assert_non_null(rpc_pool_peer(fx->pool, DOWN_B));
	assert_null(rpc_pool_peer(fx->pool, PRIMARY));
	assert_null(rpc_pool_peer(fx->pool, 99));
	assert_non_null(strstr(rpc_peer_url(rpc_pool_peer(fx->pool, DOWN_B)),
	                       "tcp://[::1]:"));
}

static void
test_replica_calls(void **state)
{
	fix                         *fx = *state;
	store_fid                    fid, other;
	store_call                   c;
	store_call_result            r;
	static uint8_t               data[RPC_MAX_CHUNK + 1];
	Blobby__Rpc__V1__ReadRequest rq = BLOBBY__RPC__V1__READ_REQUEST__INIT;
	Blobby__Rpc__V1__ReadResponse *rr;
	ProtobufCMessage              *resp = NULL;
	size_t                         i, n1 = 100000;

	for (i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t) (i * 7 + 3);
	}
	store_fid_make(&fid, 1700000000u, 1, PRIMARY);
	store_fid_make(&other, 1700000000u, 2, PRIMARY);

	c = mkcall(STORE_CALL_INITIALIZE, &fid);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	assert_false(r.shutting_down);
	r = call1(fx, SERVER, &c); // idempotent: NNG may resend it
	expect(&r, BB_OK);

	c       = mkcall(STORE_CALL_REPLICATE, &fid);
	c.data  = data;
	c.len   = n1;
	c.hash  = store_hash(data, n1);
	c.start = 0;
	r       = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	r = call1(fx, SERVER, &c); // an exact duplicate
	expect(&r, BB_OK);
	// A full chunk after it.
	c.start = n1;
	c.len   = RPC_MAX_CHUNK;
	c.hash  = store_hash(data, RPC_MAX_CHUNK);
	r       = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	// A gap, a bad hash, a chunk that is too big, an unknown replica.
	c.start = 10 * (uint64_t) RPC_MAX_CHUNK;
	r       = call1(fx, SERVER, &c);
	expect(&r, BB_ERANGE);
	c.start = n1 + RPC_MAX_CHUNK;
	c.hash ^= 1;
	r = call1(fx, SERVER, &c);
	expect(&r, BB_ECORRUPT);
	c.len  = RPC_MAX_CHUNK + 1;
	c.hash = store_hash(data, c.len);
	r      = call1(fx, SERVER, &c);
	expect(&r, BB_ETOOBIG);
	c.fid   = other;
	c.len   = 10;
	c.hash  = store_hash(data, c.len);
	c.start = 0;
	r       = call1(fx, SERVER, &c);
	expect(&r, BB_ENOENT);

	// The replica reads back through Read, which serves replicas too.
	rq.namespace_ = "test";
	rq.fid.data   = fid.b;
	rq.fid.len    = STORE_FID_LEN;
	rq.start      = n1 - 10;
	rq.length     = 20;
	assert_int_equal(rpc_peer_call(rpc_pool_peer(fx->pool, SERVER),
	                               RPC_M_READ, &rq.base, TIMEOUT, &resp),
	                 BB_OK);
	rr = (Blobby__Rpc__V1__ReadResponse *) resp;
	assert_int_equal(rr->status->code, BLOBBY__RPC__V1__CODE__OK);
	assert_int_equal(rr->data.len, 20);
	assert_memory_equal(rr->data.data, data + n1 - 10, 10);
	assert_memory_equal(rr->data.data + 10, data, 10);
	protobuf_c_message_free_unpacked(resp, NULL);

	c = mkcall(STORE_CALL_HEARTBEAT, &fid);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	c = mkcall(STORE_CALL_HEARTBEAT, &other);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_ENOENT);
	assert_string_not_equal(r.msg, "");

	// Drain mode shows in every answer.
	rpc_server_set_draining(fx->n.srv, true);
	c = mkcall(STORE_CALL_HEARTBEAT, &fid);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	assert_true(r.shutting_down);
	rpc_server_set_draining(fx->n.srv, false);

	c = mkcall(STORE_CALL_DELETE, &fid);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	r = call1(fx, SERVER, &c); // idempotent
	expect(&r, BB_OK);
	c = mkcall(STORE_CALL_HEARTBEAT, &fid);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_ENOENT);

	// A namespace the peer does not have.
	c    = mkcall(STORE_CALL_INITIALIZE, &fid);
	c.ns = "elsewhere";
	r    = call1(fx, SERVER, &c);
	expect(&r, BB_ENOENT);
}

static void
test_several_peers(void **state)
{
	fix              *fx    = *state;
	const uint32_t    ids[] = { SERVER, DOWN_A, 99, SERVER, DOWN_B };
	store_call_result res[5];
	store_fid         fid;
	store_call        c;
	int64_t           t0, dt;

	store_fid_make(&fid, 1700000000u, 3, PRIMARY);
	c  = mkcall(STORE_CALL_INITIALIZE, &fid);
	t0 = bb_clock_mono_ns();
	fx->rem.call(fx->rem.ctx, ids, 5, &c, res);
	dt = bb_clock_mono_ns() - t0;
	print_message("5 calls (2 live, 2 down, 1 unknown) in %.3f ms\n",
	              (double) dt / 1e6);
	expect(&res[0], BB_OK);
	expect(&res[1], BB_EUNAVAIL);
	assert_non_null(strstr(res[1].msg, "tcp://127.0.0.1:"));
	expect(&res[2], BB_ENOENT);
	expect(&res[3], BB_OK); // the same peer twice: two contexts
	expect(&res[4], BB_EUNAVAIL);
	assert_true(dt < BB_NS_PER_SEC); // down peers fail fast
	// No peers at all is not an error.
	fx->rem.call(fx->rem.ctx, ids, 0, &c, res);
}

// rpc_init makes an Initialize, Replicate, HeartBeat or Delete of fid in
// "test" on p and returns the status code; msg gets its message.
static int
rpc_replica_call(rpc_peer *p, rpc_method m, const store_fid *fid, char *msg,
                 size_t len)
{
	static const uint8_t               data[10] = { 1, 2, 3 };
	Blobby__Rpc__V1__InitializeRequest in =
	    BLOBBY__RPC__V1__INITIALIZE_REQUEST__INIT;
	Blobby__Rpc__V1__ReplicateRequest rq =
	    BLOBBY__RPC__V1__REPLICATE_REQUEST__INIT;
	Blobby__Rpc__V1__HeartBeatRequest hb =
	    BLOBBY__RPC__V1__HEART_BEAT_REQUEST__INIT;
	Blobby__Rpc__V1__DeleteRequest dl =
	    BLOBBY__RPC__V1__DELETE_REQUEST__INIT;
	const ProtobufCMessage        *req  = &in.base;
	ProtobufCMessage              *resp = NULL;
	const Blobby__Rpc__V1__Status *st;
	ProtobufCBinaryData fb = { STORE_FID_LEN, (uint8_t *) fid->b };
	int                 code;

	in.namespace_ = rq.namespace_ = hb.namespace_ = dl.namespace_ = "test";
	in.fid = rq.fid = hb.fid = dl.fid = fb;
	rq.data.data                      = (uint8_t *) data;
	rq.data.len                       = sizeof(data);
	rq.hash                           = store_hash(data, sizeof(data));
	if (m == RPC_M_REPLICATE) {
		req = &rq.base;
	} else if (m == RPC_M_HEARTBEAT) {
		req = &hb.base;
	} else if (m == RPC_M_DELETE) {
		req = &dl.base;
	}
	assert_int_equal(rpc_peer_call(p, m, req, TIMEOUT, &resp), BB_OK);
	// Every response has its status first: Initialize's layout.
	st   = ((Blobby__Rpc__V1__InitializeResponse *) resp)->status;
	code = st->code;
	(void) snprintf(msg, len, "%s", st->message);
	protobuf_c_message_free_unpacked(resp, NULL);
	return code;
}

static void
expect_code(rpc_peer *p, rpc_method m, const store_fid *fid, int want,
            const char *text)
{
	char msg[256];
	int  code = rpc_replica_call(p, m, fid, msg, sizeof(msg));

	if (code != want || (text != NULL && strstr(msg, text) == NULL)) {
		fail_msg("method %d on machine %lu: code %d \"%s\", want %d "
		         "\"%s\"",
		         (int) m, (unsigned long) store_fid_machine(fid), code,
		         msg, want, text != NULL ? text : "");
	}
}

// Copies are ranked: a node takes the replica calls of a fid only from
// the configured address of the machine the fid names.  Machine 1 is at
// 127.0.0.1, machine 5 at 127.0.0.5; a peer opened with rpc_addr =
// 127.0.0.5 calls from that address (the client binds it).
static void
test_caller_identity(void **state)
{
	static const int denied = BLOBBY__RPC__V1__CODE__PERMISSION_DENIED;
	rpct_node        n;
	bb_conf         *c5;
	rpc_peer        *p1 = NULL;
	rpc_peer        *p5 = NULL;
	store_fid        f1, f5, f9, f2;
	char             url[64];
	char             why[BB_WHY_LEN];

	(void) state;
	rpct_node_start(&n, "bb_ident", 2, "replica",
	                "[remote.1]\nhost = 127.0.0.1\n"
	                "[remote.5]\nhost = 127.0.0.5\n");
	c5 = rpct_load("machine_id = 5\n[server]\nrpc_addr = 127.0.0.5\n"
	               "[namespace.a]\ndirectory = /d\nreplicas = 0\n"
	               "archive = dir\narchive_directory = /ar\n");
	rpct_url(n.srv, url, sizeof(url));
	p1 = rpct_peer_open(n.srv, 2);
	assert_int_equal(rpc_peer_open_conf(url, 2, c5, &p5, why, sizeof(why)),
	                 BB_OK);
	rpct_wait_connected(p5);
	store_fid_make(&f1, 1700000000u, 1, 1);
	store_fid_make(&f5, 1700000000u, 1, 5);
	store_fid_make(&f9, 1700000000u, 1, 9);
	store_fid_make(&f2, 1700000000u, 1, 2);

	expect_code(p1, RPC_M_INITIALIZE, &f1, 0, NULL);
	expect_code(p5, RPC_M_INITIALIZE, &f5, 0, NULL);
	// Another machine's fids, from the wrong address: every call that
	// changes a replica is refused, and the replicas stay.
	expect_code(p1, RPC_M_INITIALIZE, &f5, denied, "127.0.0.5");
	expect_code(p5, RPC_M_INITIALIZE, &f1, denied, "machine 1");
	expect_code(p5, RPC_M_REPLICATE, &f1, denied, "machine 1");
	expect_code(p5, RPC_M_HEARTBEAT, &f1, denied, "machine 1");
	expect_code(p5, RPC_M_DELETE, &f1, denied, "machine 1");
	expect_code(p1, RPC_M_HEARTBEAT, &f1, 0, NULL); // still there
	expect_code(p1, RPC_M_REPLICATE, &f1, 0, NULL);
	// A machine without [remote.<id>], and the node's own id.
	expect_code(p1, RPC_M_INITIALIZE, &f9, denied, "not a configured");
	expect_code(p1, RPC_M_INITIALIZE, &f2, denied, "not a configured");
	expect_code(p5, RPC_M_DELETE, &f5, 0, NULL);
	expect_code(p1, RPC_M_DELETE, &f1, 0, NULL);

	rpc_peer_close(p1);
	rpc_peer_close(p5);
	bb_conf_free(c5);
	rpct_node_stop(&n);
}

static void
test_no_remotes(void **state)
{
	bb_conf      *conf;
	rpc_pool     *pool = NULL;
	store_remotes rem;
	uint32_t      id;

	(void) state;
	conf = rpct_load(
	    "machine_id = 1\n[namespace.a]\ndirectory = /d\n"
	    "replicas = 0\narchive = dir\narchive_directory = /ar\n");
	assert_int_equal(rpc_pool_open(conf, &pool, NULL, 0), BB_OK);
	rpc_pool_remotes(pool, &rem);
	assert_int_equal(rem.assign(rem.ctx, 0, &id), BB_OK);
	assert_int_equal(rem.assign(rem.ctx, 1, &id), BB_EUNAVAIL);
	assert_null(rpc_pool_peer(pool, 1));
	rpc_pool_close(pool);
	rpc_pool_close(NULL);
	bb_conf_free(conf);
}

static void
test_status_codes(void **state)
{
	static const struct {
		bb_err err;
		int    code;
		bb_err back;
	} cases[] = {
		{ BB_OK, BLOBBY__RPC__V1__CODE__OK, BB_OK },
		{ BB_EINVAL, BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT,
		  BB_EINVAL },
		{ BB_ENOENT, BLOBBY__RPC__V1__CODE__NOT_FOUND, BB_ENOENT },
		{ BB_EEXIST, BLOBBY__RPC__V1__CODE__ALREADY_EXISTS,
		  BB_EEXIST },
		{ BB_EACCES, BLOBBY__RPC__V1__CODE__PERMISSION_DENIED,
		  BB_EACCES },
		{ BB_ETOOBIG, BLOBBY__RPC__V1__CODE__RESOURCE_EXHAUSTED,
		  BB_ENOSPC },
		{ BB_ENOSPC, BLOBBY__RPC__V1__CODE__RESOURCE_EXHAUSTED,
		  BB_ENOSPC },
		{ BB_ESTATE, BLOBBY__RPC__V1__CODE__FAILED_PRECONDITION,
		  BB_ESTATE },
		{ BB_ERANGE, BLOBBY__RPC__V1__CODE__OUT_OF_RANGE, BB_ERANGE },
		{ BB_ECORRUPT, BLOBBY__RPC__V1__CODE__DATA_LOSS, BB_ECORRUPT },
		{ BB_EUNAVAIL, BLOBBY__RPC__V1__CODE__UNAVAILABLE,
		  BB_EUNAVAIL },
		{ BB_ESHUTDOWN, BLOBBY__RPC__V1__CODE__UNAVAILABLE,
		  BB_EUNAVAIL },
		{ BB_EBUSY, BLOBBY__RPC__V1__CODE__UNAVAILABLE, BB_EUNAVAIL },
		{ BB_ETIMEDOUT, BLOBBY__RPC__V1__CODE__DEADLINE_EXCEEDED,
		  BB_ETIMEDOUT },
		{ BB_EIO, BLOBBY__RPC__V1__CODE__INTERNAL, BB_EREMOTE },
		{ BB_ENOMEM, BLOBBY__RPC__V1__CODE__INTERNAL, BB_EREMOTE },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rpc_code_from_err(cases[i].err),
		                 cases[i].code);
		assert_int_equal(rpc_err_from_code(cases[i].code),
		                 cases[i].back);
	}
	assert_int_equal(
	    rpc_err_from_code(BLOBBY__RPC__V1__CODE__UNIMPLEMENTED),
	    BB_EPROTO);
	assert_int_equal(rpc_err_from_code(99), BB_EREMOTE);
	assert_int_equal(rpc_err_from_code(-1), BB_EREMOTE);
}

// port_of is the port at the end of a peer's url.
static unsigned
port_of(const rpc_peer *peer)
{
	const char *colon = strrchr(rpc_peer_url(peer), ':');

	assert_non_null(colon);
	return (unsigned) strtoul(colon + 1, NULL, 10);
}

// reload_conf loads the pool node's configuration with the peers given
// as "[remote.<id>]..." text.
static bb_conf *
reload_conf(fix *fx, const char *remotes)
{
	char text[1024];

	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n[client]\ntimeout = 5s\n%s"
	                "[namespace.test]\ndirectory = %s/primary\n"
	                "replicas = 1\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                PRIMARY, remotes, fx->n.tmp, fx->n.tmp);
	return rpct_load(text);
}

// A reload of the peers: one removed is no longer called (its calls
// answer as for an unknown machine) but stays valid for whoever holds
// it, one added is used, one kept keeps its connection, one added back
// at the same address gets its old connection, and a prepared change
// that is dropped changes nothing.
static void
test_reload_peers(void **state)
{
	fix              *fx     = *state;
	rpc_peer         *server = rpc_pool_peer(fx->pool, SERVER);
	rpc_peer         *down_b = rpc_pool_peer(fx->pool, DOWN_B);
	rpc_pool_next    *next   = NULL;
	bb_conf          *c1, *c2;
	char              remotes[512];
	store_fid         fid;
	store_call        c;
	store_call_result r;
	uint32_t          ids[4];

	(void) snprintf(remotes, sizeof(remotes),
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.5]\nhost = 127.0.0.1\nrpc_port = %u\n",
	                SERVER, port_of(server), DOWN_A,
	                port_of(rpc_pool_peer(fx->pool, DOWN_A)), free_port());
	c1 = reload_conf(fx, remotes);
	// Prepared, then dropped: nothing changes.
	assert_int_equal(rpc_pool_prepare(fx->pool, c1, &next, NULL, 0),
	                 BB_OK);
	rpc_pool_next_free(next);
	assert_ptr_equal(rpc_pool_peer(fx->pool, DOWN_B), down_b);
	assert_null(rpc_pool_peer(fx->pool, 5));

	assert_int_equal(rpc_pool_prepare(fx->pool, c1, &next, NULL, 0),
	                 BB_OK);
	rpc_pool_commit(fx->pool, next);
	assert_ptr_equal(rpc_pool_peer(fx->pool, SERVER), server);
	assert_null(rpc_pool_peer(fx->pool, DOWN_B));
	assert_non_null(rpc_pool_peer(fx->pool, 5));
	assert_non_null(strstr(rpc_peer_url(down_b), "tcp://[::1]:"));
	memset(&fid, 0, sizeof(fid));
	c = mkcall(STORE_CALL_HEARTBEAT, &fid);
	r = call1(fx, DOWN_B, &c);
	expect(&r, BB_ENOENT);
	assert_non_null(strstr(r.msg, "no [remote.4] configured"));
	// Three peers now, none of them DOWN_B.
	assert_int_equal(fx->rem.assign(fx->rem.ctx, 3, ids), BB_OK);
	assert_true(ids[0] != DOWN_B && ids[1] != DOWN_B && ids[2] != DOWN_B);
	assert_int_equal(fx->rem.assign(fx->rem.ctx, 4, ids), BB_EUNAVAIL);

	// DOWN_B back at its address: the same connection.
	(void) snprintf(remotes + strlen(remotes),
	                sizeof(remotes) - strlen(remotes),
	                "[remote.%u]\nhost = ::1\nrpc_port = %u\n", DOWN_B,
	                port_of(down_b));
	c2 = reload_conf(fx, remotes);
	assert_int_equal(rpc_pool_prepare(fx->pool, c2, &next, NULL, 0),
	                 BB_OK);
	rpc_pool_commit(fx->pool, next);
	assert_ptr_equal(rpc_pool_peer(fx->pool, DOWN_B), down_b);
	assert_int_equal(fx->rem.assign(fx->rem.ctx, 4, ids), BB_OK);
	bb_conf_free(c1);
	bb_conf_free(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replica_calls, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_several_peers, setup,
		                                teardown),
		cmocka_unit_test(test_caller_identity),
		cmocka_unit_test(test_no_remotes),
		cmocka_unit_test(test_status_codes),
		cmocka_unit_test_setup_teardown(test_reload_peers, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
