// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/pool_test.c -- rpc_pool as storage sees it (store_remotes):
// round-robin assignment over three configured peers, and the replica
// calls (Initialize, Replicate, HeartBeat, Delete) against a real server
// over a real store, with peers that are down or not configured.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "common/clock.h"
#include "rpc/rpc.h"
#include "storage/remote.h"

#define SERVER  2u // the one peer that listens
#define DOWN_A  3u
#define DOWN_B  4u
#define PRIMARY 1u // the machine id of the pool's own node
#define TIMEOUT (5 * BB_NS_PER_SEC)

typedef struct {
	char          tmp[64];
	bb_conf      *sconf; // the server node's
	bb_conf      *pconf; // the pool's node
	store        *st;
	rpc_server   *srv;
	rpc_pool     *pool;
	store_remotes rem;
} fix;

// ---- fixture --------------------------------------------------------

static bb_conf *
load(const char *text)
{
	bb_conf *conf = NULL;
	char    *errs = NULL;

	if (bb_conf_load_string(text, "t.ini", &conf, &errs) != BB_OK) {
		fail_msg("config: %s", errs != NULL ? errs : "?");
	}
	return conf;
}

// free_port returns a loopback port that nobody listens on.
static unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t          len = sizeof(sa);
	int                fd  = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	(void) close(fd);
	return ntohs(sa.sin_port);
}

static int
setup(void **state)
{
	const char *errmsg = NULL;
	char        text[1024];
	rpc_peer   *p;
	int64_t     end;
	fix        *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_pool_test.XXXXXX");
	assert_non_null(mkdtemp(fx->tmp));
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n"
	                "[server]\nport = 0\nrpc_addr = 127.0.0.1\n"
	                "rpc_port = 0\n"
	                "[namespace.test]\ndirectory = %s/replica\n"
	                "replicas = 0\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                SERVER, fx->tmp, fx->tmp);
	fx->sconf = load(text);
	assert_int_equal(store_open(fx->sconf, NULL, &fx->st, &errmsg),
	                 BB_OK);
	assert_int_equal(rpc_server_start(fx->sconf, fx->st, &fx->srv, &errmsg),
	                 BB_OK);
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n[client]\ntimeout = 5s\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = ::1\nrpc_port = %u\n"
	                "[namespace.test]\ndirectory = %s/primary\n"
	                "replicas = 1\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                PRIMARY, SERVER, (unsigned) rpc_server_port(fx->srv),
	                DOWN_A, free_port(), DOWN_B, free_port(), fx->tmp,
	                fx->tmp);
	fx->pconf = load(text);
	assert_int_equal(rpc_pool_open(fx->pconf, &fx->pool), BB_OK);
	rpc_pool_remotes(fx->pool, &fx->rem);
	p   = rpc_pool_peer(fx->pool, SERVER);
	end = bb_clock_mono_ns() + TIMEOUT;
	while (!rpc_peer_connected(p)) {
		assert_true(bb_clock_mono_ns() < end);
		bb_clock_sleep_ns(2 * BB_NS_PER_MS);
	}
	*state = fx;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	fix *fx = *state;

	rpc_pool_close(fx->pool);
	rpc_server_stop(fx->srv);
	store_close(fx->st);
	bb_conf_free(fx->pconf);
	bb_conf_free(fx->sconf);
	(void) nftw(fx->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

// ---- helpers --------------------------------------------------------

// call1 makes c to the single peer id and returns its result.
static store_call_result
call1(fix *fx, uint32_t id, const store_call *c)
{
	store_call_result res;

	memset(&res, 0xa5, sizeof(res)); // call must set every field
	fx->rem.call(fx->rem.ctx, &id, 1, c, &res);
	return res;
}

static void
expect(const store_call_result *r, bb_err want)
{
	if (r->err != want) {
		fail_msg("got %s (%s), want %s", bb_err_name(r->err), r->msg,
		         bb_err_name(want));
	}
}

static store_call
mkcall(store_call_kind kind, const store_fid *fid)
{
	store_call c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.ns   = "test";
	c.fid  = *fid;
	return c;
}

// ---- tests ----------------------------------------------------------

static void
test_assign(void **state)
{
	fix     *fx = *state;
	uint32_t ids[4], prev = 0, next;
	int      i;

	assert_int_equal(fx->rem.max_chunk, RPC_MAX_CHUNK);
	assert_ptr_equal(fx->rem.ctx, fx->pool);
	// One at a time: each call takes the next peer, wrapping around.
	for (i = 0; i < 7; i++) {
		assert_int_equal(fx->rem.assign(fx->rem.ctx, 1, ids), BB_OK);
		assert_true(ids[0] >= SERVER && ids[0] <= DOWN_B);
		if (i > 0) {
			next = prev == DOWN_B ? SERVER : prev + 1;
			assert_int_equal(ids[0], next);
		}
		prev = ids[0];
	}
	// Several: consecutive peers, all different.
	for (i = 0; i < 3; i++) {
		assert_int_equal(fx->rem.assign(fx->rem.ctx, 3, ids), BB_OK);
		assert_int_not_equal(ids[0], ids[1]);
		assert_int_not_equal(ids[1], ids[2]);
		assert_int_not_equal(ids[0], ids[2]);
		assert_int_equal(ids[1], ids[0] == DOWN_B ? SERVER : ids[0] + 1);
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
	fix                           *fx = *state;
	store_fid                      fid, other;
	store_call                     c;
	store_call_result              r;
	static uint8_t                 data[RPC_MAX_CHUNK + 1];
	Blobby__Rpc__V1__ReadRequest   rq = BLOBBY__RPC__V1__READ_REQUEST__INIT;
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
	c.fid  = other;
	c.len  = 10;
	c.hash = store_hash(data, c.len);
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
	rpc_server_set_draining(fx->srv, true);
	c = mkcall(STORE_CALL_HEARTBEAT, &fid);
	r = call1(fx, SERVER, &c);
	expect(&r, BB_OK);
	assert_true(r.shutting_down);
	rpc_server_set_draining(fx->srv, false);

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

static void
test_no_remotes(void **state)
{
	bb_conf      *conf;
	rpc_pool     *pool = NULL;
	store_remotes rem;
	uint32_t      id;

	(void) state;
	conf = load("machine_id = 1\n[namespace.a]\ndirectory = /d\n"
	            "replicas = 0\narchive = dir\narchive_directory = /ar\n");
	assert_int_equal(rpc_pool_open(conf, &pool), BB_OK);
	rpc_pool_remotes(pool, &rem);
	assert_int_equal(rem.assign(rem.ctx, 0, &id), BB_OK);
	assert_int_equal(rem.assign(rem.ctx, 1, &id), BB_EUNAVAIL);
	assert_null(rpc_pool_peer(pool, 1));
	rpc_pool_close(pool);
	rpc_pool_close(NULL);
	bb_conf_free(conf);
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
		cmocka_unit_test(test_no_remotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
