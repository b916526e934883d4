// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/pool_fixture.h -- what the tests of rpc_pool share: a server
// node (machine SERVER) and the pool of machine PRIMARY with three
// configured peers, SERVER and two that are down (DOWN_A, DOWN_B on
// ::1), and calls through the pool's store_remotes.  What each test file
// checks stays in it.  Define _XOPEN_SOURCE 700 first (nftw).
#ifndef TESTS_RPC_POOL_FIXTURE_H
#define TESTS_RPC_POOL_FIXTURE_H

#include "tests/rpc/rpc_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "storage/remote.h"

#define SERVER  2u // the one peer that listens
#define DOWN_A  3u
#define DOWN_B  4u
#define PRIMARY 1u // the machine id of the pool's own node

// The server node and the pool: setup owns all of it, teardown frees it.
typedef struct {
	rpct_node     n;     // the server node
	bb_conf      *pconf; // the pool's node
	rpc_pool     *pool;
	store_remotes rem;
} fix;

// ---- fixture --------------------------------------------------------

// free_port returns a loopback port that nobody listens on.
static inline unsigned
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

static inline int
setup(void **state)
{
	char text[1024];
	fix *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	// The server takes replica calls for PRIMARY's fids from its
	// configured address only.
	rpct_node_start(&fx->n, "bb_pool_test", SERVER, "replica",
	                "[remote.1]\nhost = 127.0.0.1\n");
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n[client]\ntimeout = 5s\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[remote.%u]\nhost = ::1\nrpc_port = %u\n"
	                "[namespace.test]\ndirectory = %s/primary\n"
	                "replicas = 1\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                PRIMARY, SERVER, (unsigned) rpc_server_port(fx->n.srv),
	                DOWN_A, free_port(), DOWN_B, free_port(), fx->n.tmp,
	                fx->n.tmp);
	fx->pconf = rpct_load(text);
	assert_int_equal(rpc_pool_open(fx->pconf, &fx->pool, NULL, 0), BB_OK);
	rpc_pool_remotes(fx->pool, &fx->rem);
	rpct_wait_connected(rpc_pool_peer(fx->pool, SERVER));
	*state = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	fix *fx = *state;

	rpc_pool_close(fx->pool);
	rpct_node_stop(&fx->n);
	bb_conf_free(fx->pconf);
	free(fx);
	return 0;
}

// ---- helpers --------------------------------------------------------

// call1 makes c to the single peer id and returns its result.
static inline store_call_result
call1(fix *fx, uint32_t id, const store_call *c)
{
	store_call_result res;

	memset(&res, 0xa5, sizeof(res)); // call must set every field
	fx->rem.call(fx->rem.ctx, &id, 1, c, &res);
	return res;
}

static inline void
expect(const store_call_result *r, bb_err want)
{
	if (r->err != want) {
		fail_msg("got %s (%s), want %s", bb_err_name(r->err), r->msg,
		         bb_err_name(want));
	}
}

static inline store_call
mkcall(store_call_kind kind, const store_fid *fid)
{
	store_call c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.ns   = "test";
	c.fid  = *fid;
	return c;
}

#endif // TESTS_RPC_POOL_FIXTURE_H
