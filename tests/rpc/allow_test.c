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
#include <stdlib.h>
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

// The address a client dials a peer from: [server] rpc_addr when it is a
// specific address fit for the peer (same family; loopback only towards
// loopback), else none (the kernel picks).
static void
test_source(void **state)
{
	static const struct {
		const char *rpc_addr; // NULL: not set
		const char *peer;
		const char *src; // NULL: none
	} cases[] = {
		{ "127.0.0.2", "127.0.0.3", "127.0.0.2" },
		{ "127.0.0.2", "10.1.2.3", NULL }, // loopback cannot reach it
		{ "10.0.0.1", "10.1.2.3", "10.0.0.1" },
		{ "10.0.0.1", "127.0.0.1", NULL },
		{ "10.0.0.1", "fd00::7", NULL }, // another family
		{ "fd00::1", "fd00::7", "fd00::1" },
		{ "::1", "::1", "::1" },
		{ "0.0.0.0", "10.1.2.3", NULL }, // wildcards
		{ "::", "fd00::7", NULL },
		{ NULL, "10.1.2.3", NULL },
	};
	char   text[512];
	char   got[BB_IP_TEXT];
	bb_ip  src;
	bb_ip  want;
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bb_conf *conf;
		bool     ok;

		(void) snprintf(text, sizeof(text),
		                "machine_id = 1\n[server]\n%s%s%s"
		                "[namespace.a]\ndirectory = /d\nreplicas = 0\n"
		                "archive = dir\narchive_directory = /ar\n",
		                cases[i].rpc_addr != NULL ? "rpc_addr = " : "",
		                cases[i].rpc_addr != NULL ? cases[i].rpc_addr
		                                          : "",
		                cases[i].rpc_addr != NULL ? "\n" : "");
		conf = load(text);
		if (cases[i].rpc_addr == NULL) {
			free(conf->server.rpc_addr); // the default's
			conf->server.rpc_addr = NULL;
		}
		ok = rpc__allow_source(conf, cases[i].peer, &src);
		if (ok != (cases[i].src != NULL)) {
			fail_msg("case %zu: %s", i,
			         ok ? "bound" : "not bound");
		}
		if (ok) {
			assert_true(bb_ip_parse(cases[i].src, &want));
			bb_ip_format(&src, got);
			if (memcmp(&src, &want, sizeof(src)) != 0) {
				fail_msg("case %zu: from %s", i, got);
			}
		}
		bb_conf_free(conf);
	}
}

// Who may act for a machine: only its configured address.
static void
test_machine(void **state)
{
	bb_conf     *conf = load(conf_text);
	nng_sockaddr sa;
	char         why[BB_WHY_LEN];

	(void) state;
	sa = sa_of("10.1.2.3");
	assert_int_equal(rpc__allow_machine(conf, &sa, 2, why, sizeof(why)),
	                 BB_OK);
	assert_int_equal(rpc__allow_machine(conf, &sa, 3, why, sizeof(why)),
	                 BB_EACCES);
	assert_non_null(strstr(why, "fd00::7"));
	assert_int_equal(rpc__allow_machine(conf, &sa, 7, why, sizeof(why)),
	                 BB_EACCES);
	assert_non_null(strstr(why, "not a configured peer"));
	assert_int_equal(rpc__allow_machine(conf, NULL, 2, why, sizeof(why)),
	                 BB_EACCES);
	sa = sa_of("::ffff:10.9.9.9"); // written as IPv4-mapped
	assert_int_equal(rpc__allow_machine(conf, &sa, 4, why, sizeof(why)),
	                 BB_OK);
	sa = sa_of("10.9.9.9");
	assert_int_equal(rpc__allow_machine(conf, &sa, 4, why, sizeof(why)),
	                 BB_OK);
	sa = sa_of("127.0.0.1"); // local tools may read, not replicate
	assert_int_equal(rpc__allow_machine(conf, &sa, 2, why, sizeof(why)),
	                 BB_EACCES);
	bb_conf_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who_may_call),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
