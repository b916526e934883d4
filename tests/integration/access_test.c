// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/access_test.c -- the ACLs end to end against
// real blobbyd processes: white lists and X-Forwarded-For on reads, Basic
// authentication on inserts and on the admin pages, the Required/Any
// combinations, htpasswd reloads on SIGHUP, and bad ACL configurations
// that stop start-up.  The ACL decisions themselves are unit-tested in
// tests/gateway/acl/acl_test.c; this file proves the wiring.
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include "tests/integration/access_fixture.h"

// The node of the ACL tests.  @PW@ is the fixture's htpasswd file (one
// user per hash format), @RELOAD@ a file of its own that the reload test
// rewrites.
static const char acl_conf[] =
    "machine_id = 9\n"
    "[log]\nfile = @DIR@/blobbyd.log\n"
    "[server]\nport = 0\nrpc_port = 0\nprometheus_tag_prefix = bb_\n"
    "[server.status_acl]\n"
    "basic_auth_htpasswd_file = @PW@\nbasic_auth_required = true\n"
    // 1: a white list that leaves loopback out; inserts stay open.
    NS("closed") "[namespace.closed.read_acl]\n"
                 "white_list_cidrs = 10.0.0.0/8\n"
                 "white_list_required = true\n"
    // 2: loopback is a trusted proxy, the clients are 192.0.2.0/24.
    NS("xff") "[namespace.xff.read_acl]\n"
              "white_list_cidrs = 192.0.2.0/24\n"
              "allow_x_forwarded_from_cidrs = 127.0.0.1/32\n"
              "white_list_required = true\n"
    // 2: the same clients, but loopback is no trusted proxy.
    NS("noproxy") "[namespace.noproxy.read_acl]\n"
                  "white_list_cidrs = 192.0.2.0/24\n"
                  "allow_x_forwarded_from_cidrs = 10.0.0.0/8\n"
                  "white_list_required = true\n"
    // 3: Basic authentication required on inserts.
    NS("auth") "[namespace.auth.insert_acl]\n"
               "basic_auth_htpasswd_file = @PW@\n"
               "basic_auth_required = true\n"
    // 3: ... and the user must carry the tag "write".
    NS("tagged") "[namespace.tagged.insert_acl]\n"
                 "basic_auth_htpasswd_file = @PW@\n"
                 "basic_auth_realm = Tagged Blobs\n"
                 "basic_auth_user_tags = write\n"
                 "basic_auth_required = true\n"
    // 4: white list (loopback) or Basic auth, both optional.
    NS("anyopen") "[namespace.anyopen.read_acl]\n"
                  "white_list_cidrs = 127.0.0.1/32\n"
                  "basic_auth_htpasswd_file = @PW@\n"
    // 4: white list (not loopback) or Basic auth, both optional.
    NS("anyclosed") "[namespace.anyclosed.read_acl]\n"
                    "white_list_cidrs = 10.0.0.0/8\n"
                    "basic_auth_htpasswd_file = @PW@\n"
    // 4: white list (loopback) and Basic auth, both required.
    NS("both") "[namespace.both.read_acl]\n"
               "white_list_cidrs = 127.0.0.0/8\n"
               "white_list_required = true\n"
               "basic_auth_htpasswd_file = @PW@\n"
               "basic_auth_required = true\n"
    // 6: a file the test rewrites.
    NS("reload") "[namespace.reload.insert_acl]\n"
                 "basic_auth_htpasswd_file = @RELOAD@\n"
                 "basic_auth_required = true\n";

static int
acl_setup(void **state)
{
	static char conf[8192];

	(void) fixture_setup(state); // dir/htpasswd holds all_users
	(void) snprintf(reload_pw, sizeof(reload_pw), "%s/reload", dir);
	write_file(reload_pw, U_ALICE "\n");
	subst(acl_conf, conf, sizeof(conf));
	bbt_node_init(&node);
	bbt_node_start(&node, conf);
	(void) snprintf(base, sizeof(base), "http://127.0.0.1:%d", node.port);
	return 0;
}

static int
acl_teardown(void **state)
{
	assert_int_equal(bbt_node_stop(&node, SIGTERM), 0);
	bbt_node_cleanup(&node);
	return fixture_teardown(state);
}

// 1: a white list without loopback refuses loopback reads, by the ACL
// of reads alone.
static void
test_white_list_refuses(void **state)
{
	static adm_resp r;
	char            id[ID_MAX];

	(void) state;
	assert_int_equal(insert("closed", "kept out", NULL, id), 200);
	assert_int_equal(read_blob("closed", id, NULL, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	// The ACL comes before the id is even looked at.
	assert_int_equal(
	    read_blob("closed", "AAECAwQFBgcICgAAAAAAAAAB", NULL, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	assert_int_equal(insert("closed", "more", NULL, NULL), 200);
	assert_true(metric(METRIC("closed")) == 2);
}

// 2: X-Forwarded-For from a trusted proxy names the client; from anyone
// else it is ignored.
static void
test_x_forwarded_for(void **state)
{
	static adm_resp   r;
	char              id[ID_MAX];
	char              id2[ID_MAX];
	const char *const good[]  = { "X-Forwarded-For: 192.0.2.7", NULL };
	const char *const bad[]   = { "X-Forwarded-For: 198.51.100.1", NULL };
	const char *const split[] = { "X-Forwarded-For: 192.0.2.7",
		                      "X-Forwarded-For: 198.51.100.1", NULL };
	const char *const split_ok[] = { "X-Forwarded-For: 198.51.100.1",
		                         "X-Forwarded-For: 192.0.2.7", NULL };
	const char *const chain[]    = {
		   "X-Forwarded-For: 198.51.100.1, 192.0.2.7, 127.0.0.1", NULL
	};
	const char *const junk[] = { "X-Forwarded-For: 192.0.2.7, nope",
		                     NULL };

	(void) state;
	assert_int_equal(insert("xff", "via a proxy", NULL, id), 200);
	assert_int_equal(read_blob("xff", id, good, &r), 200);
	assert_string_equal(r.body, "via a proxy");
	assert_int_equal(read_blob("xff", id, bad, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	// Loopback itself is not in the white list.
	assert_int_equal(read_blob("xff", id, NULL, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	// Two header lines are one list: the right-most entry counts, so a
	// good address in the first line does not hide a bad one after.
	assert_int_equal(read_blob("xff", id, split, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	assert_int_equal(read_blob("xff", id, split_ok, &r), 200);
	assert_string_equal(r.body, "via a proxy");
	// A trusted proxy at the right end is skipped; what the client
	// wrote left of its address is never read.
	assert_int_equal(read_blob("xff", id, chain, &r), 200);
	assert_string_equal(r.body, "via a proxy");
	assert_int_equal(read_blob("xff", id, junk, &r), 401);
	expect_denied(&r, ip_denied, NULL);

	// Loopback is no proxy of [namespace.noproxy]: the header is
	// ignored and loopback is refused.
	assert_int_equal(insert("noproxy", "no proxy here", NULL, id2), 200);
	assert_int_equal(read_blob("noproxy", id2, good, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	assert_int_equal(read_blob("noproxy", id2, NULL, &r), 401);
	expect_denied(&r, ip_denied, NULL);
}

// 3: Basic authentication on inserts, every hash format, user tags; a
// refused insert stores nothing.
static void
test_basic_auth_insert(void **state)
{
	static const char *const users[] = {
		"alice:alice-pw", // bcrypt $2y$
		"hank:hank-pw",   // bcrypt $2b$
		"bob:bob-pw",     // apr1
		"carol:carol-pw", // {SHA}
		"test:test",      // {SHA}, the original's example
		"dave:dave-pw",   // crypt(3) DES
		"gina:gina-pw",   // crypt(3) $1$
		"erin:erin-pw",   // crypt(3) $6$
	};
	static const char *const wrong[] = {
		"alice:bob-pw", "alice:",         "nobody:nobody-pw",
		"bob:bob-pw ",  "carol:CAROL-PW",
	};
	static adm_resp r;
	const char     *hdrs[3] = { NULL, NULL, NULL };
	char            auth[512];
	char            id[ID_MAX];
	char            data[64];
	size_t          i;
	double          stored = 0;

	(void) state;
	// No credentials: the challenge with the default realm.
	assert_int_equal(hreq("POST", "/auth", "secret", NULL, &r), 401);
	expect_denied(&r, auth_denied,
	              "WWW-Authenticate: Basic "
	              "realm=\"Blobby\"\r");
	// Wrong credentials get the same answer.
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		hdrs[0] = auth_hdr(auth, sizeof(auth), wrong[i]);
		assert_int_equal(hreq("POST", "/auth", "secret", hdrs, &r),
		                 401);
		expect_denied(&r, auth_denied,
		              "WWW-Authenticate: Basic realm=\"Blobby\"\r");
	}
	// Not Basic at all.
	hdrs[0] = "Authorization: Bearer abc";
	assert_int_equal(hreq("POST", "/auth", "secret", hdrs, &r), 401);
	expect_denied(&r, auth_denied, "WWW-Authenticate: Basic");
	// Every hash format, and each blob reads back (reads are open).
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		(void) snprintf(data, sizeof(data), "stored by %s", users[i]);
		assert_int_equal(insert("auth", data, users[i], id), 200);
		stored++;
		assert_int_equal(read_blob("auth", id, NULL, &r), 200);
		assert_string_equal(r.body, data);
	}

	// Tags: the user's line must carry "write"; the configured realm.
	assert_int_equal(hreq("POST", "/tagged", "secret", NULL, &r), 401);
	expect_denied(&r, auth_denied,
	              "WWW-Authenticate: Basic realm=\"Tagged Blobs\"\r");
	assert_int_equal(insert("tagged", "secret", "bob:bob-pw", NULL), 401);
	assert_int_equal(insert("tagged", "secret", "carol:carol-pw", NULL),
	                 401);
	// frank's old password is on a line with "read" only.
	assert_int_equal(insert("tagged", "secret", "frank:frank-old", NULL),
	                 401);
	assert_int_equal(insert("tagged", "by alice", "alice:alice-pw", id),
	                 200);
	assert_int_equal(read_blob("tagged", id, NULL, &r), 200);
	assert_string_equal(r.body, "by alice");
	assert_int_equal(insert("tagged", "erin", "erin:erin-pw", NULL), 200);
	assert_int_equal(insert("tagged", "frank", "frank:frank-new", NULL),
	                 200);

	// The refused bodies never reached storage.
	assert_true(metric(METRIC("auth")) == stored);
	assert_true(metric("blobby_primary_insert_successes_total{bb_"
	                   "namespace=\"auth\"}") == stored);
	assert_true(metric(METRIC("tagged")) == 3);
	assert_true(
	    metric("blobby_inserted_bytes_total{bb_namespace=\"tagged\"}") ==
	    strlen("by alice") + strlen("erin") + strlen("frank"));
}

// 4: the Required/Any combinations of a white list and Basic auth.
static void
test_required_and_any(void **state)
{
	static adm_resp r;
	char            auth[512];
	char            id[ID_MAX];
	const char     *good[] = { auth_hdr(auth, sizeof(auth), "bob:bob-pw"),
		                   NULL };
	const char     *bad[]  = { "Authorization: Basic Ym9iOm5vcGU=", NULL };

	(void) state;
	// Either method: loopback is enough, credentials or not.
	assert_int_equal(insert("anyopen", "any open", NULL, id), 200);
	assert_int_equal(read_blob("anyopen", id, NULL, &r), 200);
	assert_string_equal(r.body, "any open");
	assert_int_equal(read_blob("anyopen", id, bad, &r), 200);
	assert_int_equal(read_blob("anyopen", id, good, &r), 200);

	// Either method, loopback not listed: credentials are needed, and
	// the refusal is the first method's (the white list).
	assert_int_equal(insert("anyclosed", "any closed", NULL, id), 200);
	assert_int_equal(read_blob("anyclosed", id, good, &r), 200);
	assert_string_equal(r.body, "any closed");
	assert_int_equal(read_blob("anyclosed", id, NULL, &r), 401);
	expect_denied(&r, ip_denied, NULL);
	assert_int_equal(read_blob("anyclosed", id, bad, &r), 401);
	expect_denied(&r, ip_denied, NULL);

	// Both required: loopback and credentials.
	assert_int_equal(insert("both", "both", NULL, id), 200);
	assert_int_equal(read_blob("both", id, good, &r), 200);
	assert_string_equal(r.body, "both");
	assert_int_equal(read_blob("both", id, NULL, &r), 401);
	expect_denied(&r, auth_denied,
	              "WWW-Authenticate: Basic realm=\"Blobby\"\r");
	assert_int_equal(read_blob("both", id, bad, &r), 401);
	expect_denied(&r, auth_denied,
	              "WWW-Authenticate: Basic realm=\"Blobby\"\r");
}

// 5: the admin ACLs: /_health keeps the loopback default; the status
// pages need credentials.
static void
test_admin_acls(void **state)
{
	static const char *const pages[] = { "/_status", "/_metrics",
		                             "/_status?format=json" };
	static adm_resp          r;
	char                     auth[512];
	const char *good[] = { auth_hdr(auth, sizeof(auth), STATUS_PW), NULL };
	const char *bad[]  = { "Authorization: Basic dGVzdDp3cm9uZw==", NULL };
	size_t      i;

	(void) state;
	assert_int_equal(hreq("GET", "/_health", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "auth: OK\n"));
	assert_false(adm_has_header(&r, "WWW-Authenticate:"));
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		assert_int_equal(hreq("GET", pages[i], NULL, NULL, &r), 401);
		expect_denied(&r, auth_denied,
		              "WWW-Authenticate: Basic realm=\"Blobby\"\r");
		assert_int_equal(hreq("GET", pages[i], NULL, bad, &r), 401);
		expect_denied(&r, auth_denied,
		              "WWW-Authenticate: Basic realm=\"Blobby\"\r");
		assert_int_equal(hreq("GET", pages[i], NULL, good, &r), 200);
		assert_true(r.len > 0);
	}
	assert_non_null(strstr(r.body, "\"shutting_down\":false"));
	assert_int_equal(hreq("GET", "/_metrics", NULL, good, &r), 200);
	assert_true(adm_metric(r.body, "blobby_shutting_down") == 0);
	// The other admin ACLs are untouched: loopback, no credentials.
	assert_int_equal(hreq("GET", "/_shutdown/status", NULL, NULL, &r),
	                 200);
	assert_string_equal(r.body, "server is not shutting down.\n");
}

// wait_log waits up to RELOAD_MS for "<reload_pw><what>" in the log,
// making no request meanwhile: only the SIGHUP can have done it (a check
// looks at the file by itself too, but there is none).
static void
wait_log(const char *what)
{
	char    text[320];
	int64_t end = bbt_now_ms() + RELOAD_MS;

	(void) snprintf(text, sizeof(text), "%s%s", reload_pw, what);
	while (!bbt_log_has(&node, text, 0)) {
		if (bbt_now_ms() > end) {
			fail_msg("no \"%s\" in the log within %d ms", text,
			         RELOAD_MS);
		}
		bbt_sleep_ms(50);
	}
}

// 6: SIGHUP reloads a rewritten htpasswd file; a broken one leaves the
// users loaded before in force.
static void
test_htpasswd_reload(void **state)
{
	(void) state;
	assert_int_equal(insert("reload", "x", "alice:alice-pw", NULL), 200);
	assert_int_equal(insert("reload", "x", "bob:bob-pw", NULL), 401);

	write_file(reload_pw, U_ALICE "\n" U_BOB "\n");
	assert_int_equal(kill(node.pid, SIGHUP), 0);
	wait_log(" reloaded: 2 entries");
	assert_int_equal(insert("reload", "x", "bob:bob-pw", NULL), 200);
	assert_int_equal(insert("reload", "x", "alice:alice-pw", NULL), 200);

	// A plain-text password is an error of its line: the whole new
	// version is refused, the old one stays.
	write_file(reload_pw, U_ALICE "\n" U_BOB "\nmallory:mallory-pw\n");
	assert_int_equal(kill(node.pid, SIGHUP), 0);
	wait_log(":3: ");
	assert_true(bbt_log_has(&node,
	                        "htpasswd reload failed, keeping the entries "
	                        "loaded before",
	                        0));
	assert_int_equal(insert("reload", "x", "mallory:mallory-pw", NULL),
	                 401);
	assert_int_equal(insert("reload", "x", "alice:alice-pw", NULL), 200);
	assert_int_equal(insert("reload", "x", "bob:bob-pw", NULL), 200);

	// A good version loads again, without the users it dropped.
	write_file(reload_pw, U_CAROL "\n");
	assert_int_equal(kill(node.pid, SIGHUP), 0);
	wait_log(" reloaded: 1 entries");
	assert_int_equal(insert("reload", "x", "carol:carol-pw", NULL), 200);
	assert_int_equal(insert("reload", "x", "bob:bob-pw", NULL), 401);
	assert_int_equal(insert("reload", "x", "alice:alice-pw", NULL), 401);
	assert_true(metric(METRIC("reload")) == 6);
}

// ---- start-up refused ----

// try_bad starts a node with conf (@PW@ replaced) and checks it fails
// with every one of the strings want (NULL-terminated) on stderr.
static void
try_bad(const char *conf, const char *const *want)
{
	static char text[4096];
	static char err[8192];
	int         st;
	size_t      i;

	subst(conf, text, sizeof(text));
	bbt_node_init(&node);
	st = bbt_node_try_start(&node, text, err, sizeof(err));
	bbt_node_cleanup(&node);
	if (st == -1) {
		fail_msg("blobbyd started with a bad ACL configuration");
	}
	assert_int_not_equal(st, 0);
	for (i = 0; want[i] != NULL; i++) {
		if (strstr(err, want[i]) == NULL) {
			fail_msg("no \"%s\" in:\n%s", want[i], err);
		}
	}
}

// 8: an htpasswd file that is missing or holds a plain-text password
// stops start-up, naming the section and the file (and line).
static void
test_bad_acl_conf(void **state)
{
	static const char missing_conf[] =
	    "machine_id = 11\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[server]\nport = 0\nrpc_port = 0\n"
	    "[server.status_acl]\n"
	    "basic_auth_htpasswd_file = @PW@.missing\n" NS("t");
	static const char plain_conf[] =
	    "machine_id = 11\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[server]\nport = 0\nrpc_port = 0\n" NS(
	        "t") "[namespace.t.insert_acl]\n"
	             "basic_auth_htpasswd_file = @RELOAD@\n"
	             "basic_auth_required = true\n";
	char        missing[200];
	char        line[200];
	const char *want[4];

	(void) fixture_setup(state);
	(void) snprintf(reload_pw, sizeof(reload_pw), "%s/plain", dir);
	write_file(reload_pw,
	           "# ok so far\n" U_ALICE "\n" U_BOB ":read\n"
	           "mallory:mallory-pw:read\n" U_CAROL "\n");

	(void) snprintf(missing, sizeof(missing), "%s.missing", pw_path);
	want[0] = "[server.status_acl]";
	want[1] = missing;
	want[2] = "No such file or directory";
	want[3] = NULL;
	try_bad(missing_conf, want);

	(void) snprintf(line, sizeof(line), "%s:4: ", reload_pw);
	want[0] = "[namespace.t.insert_acl]";
	want[1] = line;
	want[2] = NULL;
	try_bad(plain_conf, want);
	(void) fixture_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest acl_tests[] = {
		cmocka_unit_test(test_white_list_refuses),
		cmocka_unit_test(test_x_forwarded_for),
		cmocka_unit_test(test_basic_auth_insert),
		cmocka_unit_test(test_required_and_any),
		cmocka_unit_test(test_admin_acls),
		cmocka_unit_test(test_htpasswd_reload),
	};
	const struct CMUnitTest conf_tests[] = {
		cmocka_unit_test(test_bad_acl_conf),
	};
	int rc = 0;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc |= cmocka_run_group_tests_name("acl", acl_tests, acl_setup,
	                                  acl_teardown);
	rc |= cmocka_run_group_tests_name("conf", conf_tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
