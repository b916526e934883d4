// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/acl/acl_test.c -- gateway/acl/acl.h: the white list and
// X-Forwarded-For through the ACL, the Authorization header with every
// hash format and tags, the Required/Any combinations, the defaults,
// errors at build time and a reload seen through the ACL.  CIDRs in
// depth are ipset_test.c; the htpasswd file's format, reloads and races
// htpasswd_test.c.
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/acl/acl.h"
#include "acl_fixture.h"

#define WL   "IP is not allowed to access this resource."
#define BA   "Authentication is required."
#define NONE ((bb_strlist) { NULL, 0 })
#define L(...)                                               \
	((bb_strlist) { (char *[]) { __VA_ARGS__ },          \
	                sizeof((char *[]) { __VA_ARGS__ }) / \
	                    sizeof(char *) })

// ---- helpers --------------------------------------------------------

// peer fills ss with ip (either family) and returns it as a sockaddr.
static const struct sockaddr *
peer(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in  *in4 = (struct sockaddr_in *) ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return (const struct sockaddr *) ss;
}

// client returns gw__acl_client_ip's address, or "EINVAL".
static const char *
client(const gw__acl *acl, const char *ip, const char *xff)
{
	static char             text[64];
	struct sockaddr_storage ss;

	if (gw__acl_client_ip(acl, peer(&ss, ip), xff, text, sizeof(text)) !=
	    BB_OK) {
		return "EINVAL";
	}
	return text;
}

static gw__acl *
acl_of(const bb_acl_conf *c, bool loopback)
{
	gw__acl *acl = NULL;
	char     err[512];

	err[0] = '\0';
	if (gw__acl_new(c, loopback, &acl, err, sizeof(err)) != BB_OK) {
		fail_msg("gw__acl_new: %s", err);
	}
	return acl;
}

// verdict runs a check and returns 'A' (allowed), 'W' (white list
// denial) or 'B' (basic auth denial, with its header).
static char
verdict(gw__acl *acl, const char *ip, const char *xff, const char *auth)
{
	struct sockaddr_storage ss;
	gw__acl_verdict         v;

	gw__acl_check(acl, ip != NULL ? peer(&ss, ip) : NULL, xff, auth, &v);
	if (v.allowed) {
		assert_null(v.message);
		assert_string_equal(v.www_authenticate, "");
		return 'A';
	}
	assert_int_equal(v.status, 401);
	if (strcmp(v.message, WL) == 0) {
		assert_string_equal(v.www_authenticate, "");
		return 'W';
	}
	assert_string_equal(v.message, BA);
	assert_string_equal(v.www_authenticate, "Basic realm=\"Blobby\"");
	return 'B';
}

static bb_acl_conf
wl_conf(bb_strlist cidrs)
{
	bb_acl_conf c = { .present = true, .white_list_cidrs = cidrs };

	return c;
}

static bb_acl_conf
ba_conf(bb_strlist tags)
{
	bb_acl_conf c = { .present                  = true,
		          .basic_auth_htpasswd_file = pw_path,
		          .basic_auth_realm         = "Blobby",
		          .basic_auth_user_tags     = tags };

	return c;
}

// ---- white list -----------------------------------------------------

// The white list through the ACL; CIDRs and X-Forwarded-For in depth
// are tests/common/ipset_test.c.
static void
test_white_list(void **state)
{
	static const char *garbage[] = { "", "garbage", "10.1.1.1,",
		                         "10.1.1.1, 192.168.5.5,, " };
	bb_acl_conf        c   = wl_conf(L("10.0.0.0/8", "2001:db8:1::/48"));
	gw__acl           *acl = NULL;
	char               ip[64], err[256];
	size_t             i;
	struct sockaddr_storage ss;

	(void) state;
	c.allow_x_forwarded_from_cidrs = L("192.168.0.0/16");
	acl                            = acl_of(&c, false);
	assert_int_equal(verdict(acl, "10.0.0.1", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "::ffff:10.0.0.1", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "2001:db8:1::1", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "11.0.0.1", NULL, NULL), 'W');
	assert_int_equal(verdict(acl, NULL, NULL, NULL), 'W');
	// The header counts from a trusted proxy only.
	assert_int_equal(verdict(acl, "8.8.8.8", "10.1.1.1", NULL), 'W');
	assert_int_equal(verdict(acl, "10.0.0.5", "8.8.8.8", NULL), 'A');
	assert_int_equal(verdict(acl, "192.168.0.1", NULL, NULL), 'W');
	assert_int_equal(verdict(acl, "192.168.0.1", "10.1.1.1", NULL), 'A');
	assert_int_equal(
	    verdict(acl, "192.168.0.1", "10.1.1.1, 192.168.9.9", NULL), 'A');
	assert_int_equal(
	    verdict(acl, "192.168.0.1", "10.1.1.1, 8.8.8.8", NULL), 'W');
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		assert_int_equal(verdict(acl, "192.168.0.1", garbage[i], NULL),
		                 'W');
		assert_string_equal(client(acl, "192.168.0.1", garbage[i]),
		                    "EINVAL");
	}
	// The client address as the white list saw it.
	assert_string_equal(client(acl, "192.168.0.1", "1.1.1.1, 8.8.4.4"),
	                    "8.8.4.4");
	assert_string_equal(client(acl, "8.8.8.8", "10.1.1.1"), "8.8.8.8");
	assert_string_equal(client(acl, "::ffff:1.2.3.4", NULL), "1.2.3.4");
	assert_string_equal(client(NULL, "2001:db8::1", "10.1.1.1"),
	                    "2001:db8::1");
	assert_int_equal(
	    gw__acl_client_ip(NULL, peer(&ss, "2001:db8::1"), NULL, ip, 11),
	    BB_ETOOBIG);
	ss.ss_family = AF_UNIX;
	assert_int_equal(gw__acl_client_ip(acl, (struct sockaddr *) &ss, NULL,
	                                   ip, sizeof(ip)),
	                 BB_EINVAL);
	gw__acl_free(acl);
	// A bad CIDR is a configuration error that names the key.
	c = wl_conf(L("10.0.0.0/33"));
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	assert_string_equal(err,
	                    "white_list_cidrs: '10.0.0.0/33' is not a CIDR");
	c                              = wl_conf(L("10.0.0.0/8"));
	c.allow_x_forwarded_from_cidrs = L("nope");
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	assert_string_equal(
	    err, "allow_x_forwarded_from_cidrs: 'nope' is not a CIDR");
}

// ---- basic auth -----------------------------------------------------

static void
test_basic_hashes(void **state)
{
	static const char *users[] = { "alice", "bob",  "carol", "dave",
		                       "erin",  "gina", "hank" };
	bb_acl_conf        c       = ba_conf(NONE);
	gw__acl           *acl     = acl_of(&c, false);
	char               cred[64];
	size_t             i;

	(void) state;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		(void) snprintf(cred, sizeof(cred), "%s:%s-pw", users[i],
		                users[i]);
		assert_int_equal(verdict(acl, "10.0.0.1", NULL, basic(cred)),
		                 'A');
		(void) snprintf(cred, sizeof(cred), "%s:%s-pW", users[i],
		                users[i]);
		assert_int_equal(verdict(acl, "10.0.0.1", NULL, basic(cred)),
		                 'B');
	}
	assert_int_equal(verdict(acl, NULL, NULL, basic("test:test")), 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("test:")), 'B');
	assert_int_equal(verdict(acl, NULL, NULL, basic("nobody:test")), 'B');
	// The scheme is case-insensitive; spaces around the token are fine.
	assert_int_equal(verdict(acl, NULL, NULL, "basic   dGVzdDp0ZXN0  "),
	                 'A');
	assert_int_equal(verdict(acl, NULL, NULL, "BASIC dGVzdDp0ZXN0"), 'A');
	gw__acl_free(acl);
}

static void
test_basic_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"Basic",
		"Basic ",
		"Bearer dGVzdDp0ZXN0",
		"BasicdGVzdDp0ZXN0",
		"Basic dGVzdDp0ZXN",    // length
		"Basic dGVzdDp0ZXN0=",  // length (apr would take it)
		"Basic dGVzd=p0ZXN0",   // padding inside
		"Basic dGVzdDp0ZXN0 x", // trailing junk
		"Basic dGVz!Dp0ZXN0",   // alphabet
		"Basic dGVzdDp0ZXN0\x01",
		"Basic dGVzdHRlc3Q=",     // "testtest": no colon
		"Basic OnRlc3Q=",         // ":test": no user
		"Basic dGVzdAA6dGVzdA==", // "test\0:test"
	};
	bb_acl_conf c   = ba_conf(NONE);
	gw__acl    *acl = acl_of(&c, false);
	char        big[2000];
	size_t      i;

	(void) state;
	assert_int_equal(verdict(acl, NULL, NULL, NULL), 'B');
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(verdict(acl, NULL, NULL, bad[i]), 'B');
	}
	// Credentials past the cap (1024 base64 characters) are refused
	// without being decoded.
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(verdict(acl, NULL, NULL, basic(big)), 'B');
	gw__acl_free(acl);
}

static void
test_basic_tags(void **state)
{
	bb_acl_conf c   = ba_conf(L("read"));
	gw__acl    *acl = acl_of(&c, false);

	(void) state;
	assert_int_equal(verdict(acl, NULL, NULL, basic("alice:alice-pw")),
	                 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("bob:bob-pw")), 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("carol:carol-pw")),
	                 'B');
	assert_int_equal(verdict(acl, NULL, NULL, basic("frank:frank-old")),
	                 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("frank:frank-new")),
	                 'A');
	gw__acl_free(acl);

	c   = ba_conf(L("write", "read"));
	acl = acl_of(&c, false);
	assert_int_equal(verdict(acl, NULL, NULL, basic("alice:alice-pw")),
	                 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("erin:erin-pw")), 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("bob:bob-pw")), 'B');
	assert_int_equal(verdict(acl, NULL, NULL, basic("dave:dave-pw")), 'B');
	// Several lines per user: the tags of the line that matched count.
	assert_int_equal(verdict(acl, NULL, NULL, basic("frank:frank-old")),
	                 'B');
	assert_int_equal(verdict(acl, NULL, NULL, basic("frank:frank-new")),
	                 'A');
	gw__acl_free(acl);
}

// ---- combinations and defaults --------------------------------------

// Every combination of the two methods (absent, any, required), each
// against the four requests (good/bad address x good/bad password):
// 'A' allowed, 'W' white list answer, 'B' basic auth answer.
static void
test_combinations(void **state)
{
	static const struct {
		int         wl, ba; // 0 absent, 1 any, 2 required
		const char *want;   // ++ +- -+ --
	} cases[] = {
		{ 0, 0, "AAAA" }, { 1, 0, "AAWW" }, { 2, 0, "AAWW" },
		{ 0, 1, "ABAB" }, { 0, 2, "ABAB" }, { 1, 1, "AAAW" },
		{ 2, 1, "ABWW" }, { 1, 2, "ABWB" }, { 2, 2, "ABWW" },
	};
	static const char *ips[]   = { "10.0.0.1", "8.8.8.8" };
	static const char *creds[] = { "bob:bob-pw", "bob:nope" };
	const bb_strlist   ten     = L("10.0.0.0/8");
	bb_acl_conf        c;
	gw__acl           *acl;
	size_t             i, r;
	char               got[5];

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.present = true;
		if (cases[i].wl > 0) {
			c.white_list_cidrs    = ten;
			c.white_list_required = cases[i].wl == 2;
		}
		if (cases[i].ba > 0) {
			c.basic_auth_htpasswd_file = pw_path;
			c.basic_auth_required      = cases[i].ba == 2;
		}
		acl = acl_of(&c, false);
		assert_int_equal(gw__acl_is_open(acl), i == 0);
		for (r = 0; r < 4; r++) {
			got[r] = verdict(acl, ips[r / 2], NULL,
			                 basic(creds[r % 2]));
		}
		got[4] = '\0';
		if (strcmp(got, cases[i].want) != 0) {
			fail_msg("wl=%d ba=%d: got %s, want %s", cases[i].wl,
			         cases[i].ba, got, cases[i].want);
		}
		gw__acl_free(acl);
	}
}

static void
test_defaults(void **state)
{
	bb_acl_conf c;
	gw__acl    *acl;

	(void) state;
	// Admin ACLs without a section: loopback only, the header ignored.
	acl = acl_of(NULL, true);
	assert_false(gw__acl_is_open(acl));
	assert_int_equal(verdict(acl, "127.0.0.1", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "127.200.0.9", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "::1", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "::ffff:127.0.0.1", NULL, NULL), 'A');
	assert_int_equal(verdict(acl, "10.0.0.1", "127.0.0.1", NULL), 'W');
	assert_int_equal(verdict(acl, "::2", NULL, NULL), 'W');
	assert_int_equal(verdict(acl, "128.0.0.1", NULL, NULL), 'W');
	gw__acl_free(acl);
	memset(&c, 0, sizeof(c)); // parsed, section absent
	acl = acl_of(&c, true);
	assert_int_equal(verdict(acl, "10.0.0.1", NULL, NULL), 'W');
	gw__acl_free(acl);
	// A section that is present replaces the default...
	c   = wl_conf(L("10.0.0.0/8"));
	acl = acl_of(&c, true);
	assert_int_equal(verdict(acl, "127.0.0.1", NULL, NULL), 'W');
	assert_int_equal(verdict(acl, "10.0.0.1", NULL, NULL), 'A');
	gw__acl_free(acl);
	// ... even an empty one, which opens it, as the original.
	memset(&c, 0, sizeof(c));
	c.present = true;
	acl       = acl_of(&c, true);
	assert_true(gw__acl_is_open(acl));
	assert_int_equal(verdict(acl, "8.8.8.8", NULL, NULL), 'A');
	gw__acl_free(acl);
	// Other ACLs are open without a section; so is a NULL ACL.
	acl = acl_of(NULL, false);
	assert_true(gw__acl_is_open(acl));
	assert_int_equal(verdict(acl, NULL, NULL, NULL), 'A');
	assert_int_equal(gw__acl_refresh(acl), BB_OK);
	gw__acl_free(acl);
	assert_true(gw__acl_is_open(NULL));
	assert_int_equal(verdict(NULL, NULL, "garbage", "garbage"), 'A');
	gw__acl_free(NULL);
}

static void
test_build_errors(void **state)
{
	bb_acl_conf             c;
	gw__acl                *acl = NULL;
	gw__acl_verdict         v;
	char                    err[512], path[160], want[400], realm[147];
	struct sockaddr_storage ss;

	(void) state;
	c                     = wl_conf(NONE);
	c.white_list_required = true;
	assert_int_equal(gw__acl_new(&c, true, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	assert_string_equal(err, "white_list_required needs white_list_cidrs");
	c                          = ba_conf(L("read"));
	c.basic_auth_htpasswd_file = NULL;
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	assert_non_null(strstr(err, "basic_auth_user_tags needs"));
	c                  = ba_conf(NONE);
	c.basic_auth_realm = "say \"hi\"";
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	assert_non_null(strstr(err, "basic_auth_realm"));
	memset(realm, 'r', sizeof(realm) - 1); // 146: one too many
	realm[sizeof(realm) - 1] = '\0';
	c.basic_auth_realm       = realm;
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	realm[sizeof(realm) - 2] = '\0';
	acl                      = acl_of(&c, false);
	gw__acl_free(acl);
	acl = NULL;
	// A file that cannot be loaded fails the build and is named.
	(void) snprintf(path, sizeof(path), "%s/missing", dir);
	c.basic_auth_realm         = NULL; // "Blobby"
	c.basic_auth_htpasswd_file = path;
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	assert_non_null(strstr(err, path));
	(void) snprintf(path, sizeof(path), "%s/bad", dir);
	write_file(path, "# ok\n" U_BOB "\n" U_CAROL ":a:b:a\n");
	assert_int_equal(gw__acl_new(&c, false, &acl, err, sizeof(err)),
	                 BB_ECONFIG);
	(void) snprintf(want, sizeof(want),
	                "basic_auth_htpasswd_file: %s:3: user 'carol': "
	                "duplicate tag 'a'",
	                path);
	assert_string_equal(err, want);
	assert_null(acl);
	// A realm of its own goes into the header.
	c.basic_auth_htpasswd_file = pw_path;
	c.basic_auth_realm         = "Blobby admin";
	acl                        = acl_of(&c, false);
	gw__acl_check(acl, peer(&ss, "::1"), NULL, NULL, &v);
	assert_false(v.allowed);
	assert_string_equal(v.www_authenticate,
	                    "Basic realm=\"Blobby admin\"");
	gw__acl_free(acl);
}

// The ACL sees a new version of the file through gw__acl_refresh; the
// table itself is tested in htpasswd_test.c.
static void
test_refresh(void **state)
{
	char        path[160];
	bb_acl_conf c = ba_conf(NONE);
	gw__acl    *acl;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/refresh", dir);
	write_file(path, U_BOB "\n");
	c.basic_auth_htpasswd_file = path;
	acl                        = acl_of(&c, false);
	assert_int_equal(verdict(acl, NULL, NULL, basic("bob:bob-pw")), 'A');
	assert_int_equal(verdict(acl, NULL, NULL, basic("carol:carol-pw")),
	                 'B');
	write_file(path, U_CAROL "\n");
	assert_int_equal(gw__acl_refresh(acl), BB_OK);
	assert_int_equal(verdict(acl, NULL, NULL, basic("bob:bob-pw")), 'B');
	assert_int_equal(verdict(acl, NULL, NULL, basic("carol:carol-pw")),
	                 'A');
	write_file(path, "carol:carol-pw\n"); // plain text: refused
	assert_int_equal(gw__acl_refresh(acl), BB_ECONFIG);
	assert_int_equal(verdict(acl, NULL, NULL, basic("carol:carol-pw")),
	                 'A');
	gw__acl_free(acl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_white_list),
		cmocka_unit_test(test_basic_hashes),
		cmocka_unit_test(test_basic_malformed),
		cmocka_unit_test(test_basic_tags),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_refresh),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
