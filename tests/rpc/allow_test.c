// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/allow_test.c -- who may call the RPC server over plain TCP
// (rpc/allow.c): loopback in both families, the peers' address literals,
// IPv4 peers seen as IPv4-mapped IPv6 (a dual-stack listener), and
// nothing else.  The expectations are those of the byte-compare the
// allow list had before it was built on common/ipset.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rpc/rpc_impl.h"

// sa_of makes the NNG address of the literal text.
static nng_sockaddr
sa_of(const char *text)
{
	nng_sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	if (inet_pton(AF_INET, text, &sa.s_in.sa_addr) == 1) {
		sa.s_in.sa_family = NNG_AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, sa.s_in6.sa_addr),
		                 1);
		sa.s_in6.sa_family = NNG_AF_INET6;
	}
	return sa;
}

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

static const char conf_text[] =
    "machine_id = 1\n"
    "[server]\nport = 0\nrpc_port = 0\n"
    "[remote.2]\nhost = 10.1.2.3\n"
    "[remote.3]\nhost = fd00::7\n"
    "[remote.4]\nhost = ::ffff:10.9.9.9\n"
    "[namespace.test]\ndirectory = /nonexistent/d\nreplicas = 0\n"
    "archive = dir\narchive_directory = /nonexistent/ar\n";

static void
test_who_may_call(void **state)
{
	static const struct {
		const char *addr;
		bool        ok;
	} cases[] = {
		{ "127.0.0.1", true },        // local tools
		{ "::1", true },              // the same over IPv6
		{ "::ffff:127.0.0.1", true }, // on a dual-stack listener
		{ "127.0.0.2", false },       // loopback, but not the address
		{ "10.1.2.3", true },         // a peer
		{ "::ffff:10.1.2.3",
		  true },              // the peer on a dual-stack listener
		{ "10.1.2.4", false }, // its neighbour
		{ "fd00::7", true },   // an IPv6 peer
		{ "fd00::8", false },  //
		{ "10.9.9.9", true },  // written as IPv4-mapped
		{ "::ffff:10.9.9.9", true }, //
		{ "::10.1.2.3", false },     // IPv4-compatible is not mapped
		{ "0.0.0.0", false },        //
		{ "::", false },             //
	};
	bb_conf     *conf = load(conf_text);
	bb_ipset    *set  = NULL;
	nng_sockaddr sa;
	size_t       i;

	(void) state;
	assert_int_equal(rpc__allow_new(conf, &set), BB_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sa = sa_of(cases[i].addr);
		if (rpc__allow_has(set, &sa) != cases[i].ok) {
			fail_msg("%s: expected %s", cases[i].addr,
			         cases[i].ok ? "allowed" : "refused");
		}
	}
	// Neither an unknown family nor IPC is ever a peer.
	memset(&sa, 0, sizeof(sa));
	sa.s_family = NNG_AF_IPC;
	assert_false(rpc__allow_has(set, &sa));
	bb_ipset_free(set);
	bb_conf_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who_may_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
