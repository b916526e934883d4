// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/rpc_fixture.h -- what the rpc tests share: a server node (a
// temporary directory, a store with namespace "test" and an rpc_server on
// 127.0.0.1:0), configurations from text, and connected peers.  What each
// test file checks stays in it.  Define _XOPEN_SOURCE 700 first (nftw).
#ifndef TESTS_RPC_RPC_FIXTURE_H
#define TESTS_RPC_RPC_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "tests/tmpdir.h"
#include "common/clock.h"
#include "rpc/rpc.h"

#define TIMEOUT (5 * BB_NS_PER_SEC)

// A server node: owns all its fields.
typedef struct {
	char        tmp[64];
	bb_conf    *conf;
	store      *st;
	rpc_server *srv;
} rpct_node;

// rpct_load parses a configuration; a bad one fails the test.  Caller
// owns the result (bb_conf_free).
static inline bb_conf *
rpct_load(const char *text)
{
	bb_conf *conf = NULL;
	char    *errs = NULL;

	if (bb_conf_load_string(text, "t.ini", &conf, &errs) != BB_OK) {
		fail_msg("config: %s", errs != NULL ? errs : "?");
	}
	return conf;
}

// rpct_wait_connected waits (at most TIMEOUT) until p has a connection.
static inline void
rpct_wait_connected(const rpc_peer *p)
{
	int64_t end = bb_clock_mono_ns() + TIMEOUT;

	while (!rpc_peer_connected(p)) {
		if (bb_clock_mono_ns() > end) {
			fail_msg("no connection to %s", rpc_peer_url(p));
		}
		bb_clock_sleep_ns(2 * BB_NS_PER_MS);
	}
}

// rpct_node_start makes a temporary directory /tmp/<prefix>.XXXXXX and
// starts machine's node in it: namespace "test" in <tmp>/<dir> without
// replicas, archived to <tmp>/ar, with the extra namespace keys given,
// and its RPC server on 127.0.0.1:0.  Stop with rpct_node_stop().
static inline void
rpct_node_start(rpct_node *n, const char *prefix, unsigned machine,
                const char *dir, const char *extra)
{
	char why[BB_WHY_LEN];
	char text[1024];

	(void) snprintf(n->tmp, sizeof(n->tmp), "/tmp/%s.XXXXXX", prefix);
	assert_non_null(mkdtemp(n->tmp));
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n"
	                "[server]\nport = 0\nrpc_addr = 127.0.0.1\n"
	                "rpc_port = 0\n"
	                "[namespace.test]\ndirectory = %s/%s\nreplicas = 0\n"
	                "archive = dir\narchive_directory = %s/ar\n%s",
	                machine, n->tmp, dir, n->tmp, extra);
	n->conf = rpct_load(text);
	if (store_open(n->conf, NULL, &n->st, why, sizeof(why)) != BB_OK) {
		fail_msg("store_open: %s", why);
	}
	if (rpc_server_start(n->conf, n->st, &n->srv, why, sizeof(why)) !=
	    BB_OK) {
		fail_msg("rpc_server_start: %s", why);
	}
	assert_int_not_equal(rpc_server_port(n->srv), 0);
}

// rpct_node_stop stops what rpct_node_start started and removes the
// directory.
static inline void
rpct_node_stop(rpct_node *n)
{
	rpc_server_stop(n->srv);
	store_close(n->st);
	bb_conf_free(n->conf);
	bbt_rmtree(n->tmp);
}

// rpct_url writes the tcp:// url of srv into url.
static inline void
rpct_url(const rpc_server *srv, char *url, size_t len)
{
	(void) snprintf(url, len, "tcp://127.0.0.1:%u",
	                (unsigned) rpc_server_port(srv));
}

// rpct_peer_open opens a peer of srv with nctx contexts and waits until
// it is connected.  Caller owns it (rpc_peer_close).
static inline rpc_peer *
rpct_peer_open(const rpc_server *srv, unsigned nctx)
{
	rpc_peer *p = NULL;
	char      url[64];

	rpct_url(srv, url, sizeof(url));
	assert_int_equal(rpc_peer_open(url, nctx, &p), BB_OK);
	rpct_wait_connected(p);
	return p;
}

#endif // TESTS_RPC_RPC_FIXTURE_H
