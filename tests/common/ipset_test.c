// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/ipset_test.c -- common/ipset.h: CIDR matching for IPv4,
// IPv6 and IPv4-mapped addresses at prefix lengths 0, 8, 32, 128 and odd
// ones; malformed CIDRs; the X-Forwarded-For rule (trusted proxies only,
// several hops, garbage); formatting.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/ipset.h"

#define L(...)                      \
	(char *[]) { __VA_ARGS__ }, \
	    sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *)

static bb_ipset *
set_of(char *const *cidrs, size_t n)
{
	bb_ipset *set = NULL;
	char      err[256];

	if (bb_ipset_new(cidrs, n, &set, err, sizeof(err)) != BB_OK) {
		fail_msg("bb_ipset_new: %s", err);
	}
	return set;
}

// wl answers for a peer and an X-Forwarded-For value: 'A' when the
// client is in allow, 'W' when not, 'X' for a malformed header.
static char
wl(const bb_ipset *allow, const bb_ipset *proxies, const char *peer,
   const char *xff)
{
	bb_ip p, c;

	assert_true(bb_ip_parse(peer, &p));
	if (!bb_ip_client(&p, xff, proxies, &c)) {
		return 'X';
	}
	return bb_ipset_contains(allow, &c) ? 'A' : 'W';
}

static void
test_cidr_ipv4(void **state)
{
	bb_ipset *set =
	    set_of(L("10.0.0.0/8", "192.168.1.128/25", "1.2.3.4/32",
	             "172.16.0.0/12", "100.64.0.1/31", "11.22.33.44/8"));

	(void) state;
	assert_int_equal(wl(set, NULL, "10.255.0.1", NULL), 'A');
	assert_int_equal(wl(set, NULL, "11.0.0.1", NULL), 'A'); // host bits
	assert_int_equal(wl(set, NULL, "12.0.0.1", NULL), 'W');
	assert_int_equal(wl(set, NULL, "192.168.1.128", NULL), 'A');
	assert_int_equal(wl(set, NULL, "192.168.1.255", NULL), 'A');
	assert_int_equal(wl(set, NULL, "192.168.1.127", NULL), 'W');
	assert_int_equal(wl(set, NULL, "1.2.3.4", NULL), 'A');
	assert_int_equal(wl(set, NULL, "1.2.3.5", NULL), 'W');
	assert_int_equal(wl(set, NULL, "172.31.255.255", NULL), 'A');
	assert_int_equal(wl(set, NULL, "172.32.0.0", NULL), 'W');
	assert_int_equal(wl(set, NULL, "100.64.0.0", NULL), 'A');
	assert_int_equal(wl(set, NULL, "100.64.0.2", NULL), 'W');
	assert_int_equal(wl(set, NULL, "::a00:1", NULL), 'W'); // not mapped
	assert_int_equal(wl(set, NULL, "::ffff:10.1.2.3", NULL), 'A');
	assert_int_equal(wl(set, NULL, "::ffff:12.1.2.3", NULL), 'W');
	bb_ipset_free(set);

	set = set_of(L("0.0.0.0/0"));
	assert_int_equal(wl(set, NULL, "255.255.255.255", NULL), 'A');
	assert_int_equal(wl(set, NULL, "0.0.0.0", NULL), 'A');
	assert_int_equal(wl(set, NULL, "::ffff:8.8.8.8", NULL), 'A');
	assert_int_equal(wl(set, NULL, "2001:db8::1", NULL), 'W');
	bb_ipset_free(set);
	assert_false(bb_ipset_contains(NULL, &(bb_ip) { { 0 } }));
}

static void
test_cidr_ipv6(void **state)
{
	bb_ipset *set = set_of(L("::1/128", "2001:db8::/32",
	                         "2001:db9:abcd:12::/63", "::ffff:0:0/104"));

	(void) state;
	assert_int_equal(wl(set, NULL, "::1", NULL), 'A');
	assert_int_equal(wl(set, NULL, "::2", NULL), 'W');
	assert_int_equal(wl(set, NULL, "2001:db8:ffff::1", NULL), 'A');
	assert_int_equal(wl(set, NULL, "2001:db9::1", NULL), 'W');
	assert_int_equal(wl(set, NULL, "2001:db9:abcd:13::9", NULL), 'A');
	assert_int_equal(wl(set, NULL, "2001:db9:abcd:14::", NULL), 'W');
	// ::ffff:0:0/104 is 0.0.0.0/8 in IPv4 terms: both spellings match.
	assert_int_equal(wl(set, NULL, "0.1.2.3", NULL), 'A');
	assert_int_equal(wl(set, NULL, "::ffff:0.1.2.3", NULL), 'A');
	assert_int_equal(wl(set, NULL, "1.1.2.3", NULL), 'W');
	assert_int_equal(wl(set, NULL, "127.0.0.1", NULL), 'W');
	bb_ipset_free(set);

	set = set_of(L("::/0"));
	assert_int_equal(wl(set, NULL, "fe80::1", NULL), 'A');
	assert_int_equal(wl(set, NULL, "8.8.8.8", NULL), 'A');
	bb_ipset_free(set);
}

static void
test_bad_cidr(void **state)
{
	static char *bad[] = { "10.0.0.0/33", "10.0.0.0",    "::1/129",
		               "foo/8",       "10.0.0.0/-1", "10.0.0.0/ 8",
		               "10.0.0.0/8x", "1.2.3/8",     "",
		               "10.0.0.0/",   "/8",          "::1%lo/128" };
	bb_ipset    *set   = NULL;
	char         err[256], want[64];
	size_t       i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    bb_ipset_new(bad + i, 1, &set, err, sizeof(err)),
		    BB_EINVAL);
		(void) snprintf(want, sizeof(want), "'%s' is not a CIDR",
		                bad[i]);
		assert_string_equal(err, want);
		assert_null(set);
	}
	set = set_of(NULL, 0); // empty: contains nothing
	assert_int_equal(wl(set, NULL, "10.0.0.1", NULL), 'W');
	bb_ipset_free(set);
	bb_ipset_free(NULL);
}

static void
test_xff(void **state)
{
	static const char *garbage[] = {
		"",
		" ",
		"garbage",
		"10.1.1.1,",
		"10.1.1.1 x",
		"10.1.1.1:80",
		"[2001:db8:1::1]",
		"10.1.1.1,,",
		"10.1.1.1, 192.168.5.5,, ",
		"10.1.1.1,192.168.5.5,nope",
		"10.1.1.1, "
		"0000000000000000000000000000000000000000000000000000001",
	};
	bb_ipset *allow = set_of(L("10.0.0.0/8", "2001:db8:1::/48"));
	bb_ipset *px    = set_of(L("192.168.0.0/16", "fd00::/8"));
	size_t    i;

	(void) state;
	// From a peer that is no proxy, the header is ignored.
	assert_int_equal(wl(allow, px, "8.8.8.8", "10.1.1.1"), 'W');
	assert_int_equal(wl(allow, px, "10.0.0.5", "8.8.8.8"), 'A');
	assert_int_equal(wl(allow, px, "10.0.0.5", "garbage"), 'A');
	assert_int_equal(wl(allow, NULL, "192.168.0.1", "10.1.1.1"), 'W');
	// From a proxy: the header gives the client, absent it the proxy.
	assert_int_equal(wl(allow, px, "192.168.0.1", "10.1.1.1"), 'A');
	assert_int_equal(wl(allow, px, "192.168.0.1", " 10.1.1.1 "), 'A');
	assert_int_equal(wl(allow, px, "192.168.0.1", "8.8.8.8"), 'W');
	assert_int_equal(wl(allow, px, "192.168.0.1", NULL), 'W');
	assert_int_equal(wl(allow, px, "fd00::7", "2001:db8:1::9"), 'A');
	assert_int_equal(wl(allow, px, "::ffff:192.168.3.3", "10.9.9.9"), 'A');
	// Several hops: the right-most address that is no proxy.
	assert_int_equal(wl(allow, px, "192.168.0.1", "8.8.8.8, 10.1.1.1"),
	                 'A');
	assert_int_equal(wl(allow, px, "192.168.0.1", "10.1.1.1, 8.8.8.8"),
	                 'W'); // 8.8.8.8 cannot hide behind what it wrote
	assert_int_equal(wl(allow, px, "192.168.0.1",
	                    "8.8.8.8,10.1.1.1, 192.168.5.5,\tfd00::1"),
	                 'A');
	assert_int_equal(wl(allow, px, "192.168.0.1", "192.168.5.5"),
	                 'W'); // all proxies: the left-most one
	// What the client wrote left of its own address is never read.
	assert_int_equal(wl(allow, px, "192.168.0.1", "garbage, 10.1.1.1"),
	                 'A');
	assert_int_equal(wl(allow, px, "192.168.0.1", ",10.1.1.1"), 'A');
	// Garbage on the way from the right.
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		assert_int_equal(wl(allow, px, "192.168.0.1", garbage[i]),
		                 'X');
	}
	bb_ipset_free(allow);
	bb_ipset_free(px);
}

static void
test_ip_text(void **state)
{
	static const char  *ips[] = { "1.2.3.4", "::1", "2001:db8::7",
		                      "0.0.0.0", "255.255.255.255" };
	struct sockaddr_in6 in6;
	struct sockaddr_in  in4;
	struct sockaddr     un;
	bb_ip               ip;
	char                text[BB_IP_TEXT];
	size_t              i;

	(void) state;
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		assert_true(bb_ip_parse(ips[i], &ip));
		bb_ip_format(&ip, text);
		assert_string_equal(text, ips[i]);
	}
	assert_true(bb_ip_parse("::ffff:1.2.3.4", &ip));
	bb_ip_format(&ip, text);
	assert_string_equal(text, "1.2.3.4");
	assert_false(bb_ip_parse("1.2.3.4 ", &ip));
	assert_false(bb_ip_parse("[::1]", &ip));

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "10.9.8.7", &in4.sin_addr), 1);
	assert_true(bb_ip_from_sockaddr((struct sockaddr *) &in4, &ip));
	bb_ip_format(&ip, text);
	assert_string_equal(text, "10.9.8.7");
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "fe80::2", &in6.sin6_addr), 1);
	assert_true(bb_ip_from_sockaddr((struct sockaddr *) &in6, &ip));
	bb_ip_format(&ip, text);
	assert_string_equal(text, "fe80::2");
	memset(&un, 0, sizeof(un));
	un.sa_family = AF_UNIX;
	assert_false(bb_ip_from_sockaddr(&un, &ip));
	assert_false(bb_ip_from_sockaddr(NULL, &ip));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_ipv4),
		cmocka_unit_test(test_cidr_ipv6),
		cmocka_unit_test(test_bad_cidr),
		cmocka_unit_test(test_xff),
		cmocka_unit_test(test_ip_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
