// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/access_test.c -- the ACLs (spec 7.6) and the phase
// deadlines of connections, end to end against real blobbyd processes:
// white lists and X-Forwarded-For on reads, Basic authentication on
// inserts and on the admin pages, the Required/Any combinations, htpasswd
// reloads on SIGHUP, slow clients cut off, and bad ACL configurations
// that stop start-up.  The ACL decisions themselves are unit-tested in
// tests/gateway/acl_test.c; this file proves the wiring.
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin_http.h"
#include "harness.h"
#include "tests/clock.h"
#include "tests/gateway/acl_fixture.h"

#define ID_MAX     64
#define BOUND_MS   10000 // the longest any wait for a close may take
#define RELOAD_MS  2000  // a SIGHUP reload must show within this
#define STATUS_PW  "test:test"
#define METRIC(ns) "primary_insert_total{bb_namespace=\"" ns "\"}"

// Every namespace: its own directory, no replicas, a local archive.
#define NS(name)                                             \
	"[namespace." name "]\ndirectory = @DIR@/" name "\n" \
	"replicas = 0\narchive = dir\n"                      \
	"archive_directory = @DIR@/archive\n"

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

// The node of the slow-client tests: short deadlines for each phase.
// read_timeout is also libmicrohttpd's inactivity timeout (2 s), so a
// cut before that is the guard's.
static const char slow_conf[] = "machine_id = 10\n"
                                "[log]\nfile = @DIR@/blobbyd.log\n"
                                "[server]\nport = 0\nrpc_port = 0\n"
                                "prometheus_tag_prefix = bb_\n"
                                "read_header_timeout = 1s\n"
                                "read_timeout = 2s\n"
                                "idle_timeout = 1s\n" NS("test");

static const char ip_denied[]   = "IP is not allowed to access this "
                                  "resource.\n";
static const char auth_denied[] = "Authentication is required.\n";

static bbt_node node;
static char     base[64];       // http://127.0.0.1:PORT
static char     reload_pw[160]; // the htpasswd file of [namespace.reload]

// subst writes tmpl to out (cap bytes) with every @PW@ and @RELOAD@
// replaced; @DIR@ is left for the harness.
static void
subst(const char *tmpl, char *out, size_t cap)
{
	static const struct {
		const char *token;
		const char *value;
	} t[]            = { { "@PW@", pw_path }, { "@RELOAD@", reload_pw } };
	size_t      used = 0;
	size_t      i, n;
	const char *p = tmpl;

	while (*p != '\0') {
		for (i = 0; i < 2; i++) {
			n = strlen(t[i].token);
			if (strncmp(p, t[i].token, n) == 0) {
				break;
			}
		}
		if (i < 2) {
			n = strlen(t[i].value);
			assert_true(used + n < cap);
			memcpy(out + used, t[i].value, n);
			used += n;
			p += strlen(t[i].token);
			continue;
		}
		assert_true(used + 1 < cap);
		out[used++] = *p++;
	}
	out[used] = '\0';
}

// auth_hdr returns "Authorization: Basic <user:pass>" in buf.
static const char *
auth_hdr(char *buf, size_t len, const char *cred)
{
	(void) snprintf(buf, len, "Authorization: %s", basic(cred));
	return buf;
}

// hreq makes one request to base + path on a fresh connection, with the
// header lines hdrs (NULL-terminated, may be NULL) and, for POST, body.
// Returns the status, or -1 on a transport error.
static long
hreq(const char *method, const char *path, const char *body,
     const char *const *hdrs, adm_resp *r)
{
	struct curl_slist *h = NULL;
	char               url[512];
	CURL              *c = curl_easy_init();
	size_t             i;

	assert_non_null(c);
	memset(r, 0, sizeof(*r));
	(void) snprintf(url, sizeof(url), "%s%s", base, path);
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	(void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, adm_body);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	(void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, adm_header);
	(void) curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	h = curl_slist_append(h, "Expect:");
	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
		h = curl_slist_append(h, hdrs[i]);
	}
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (strcmp(method, "POST") == 0) {
		(void) curl_easy_setopt(c, CURLOPT_POST, 1L);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                        (curl_off_t) strlen(body));
	}
	if (curl_easy_perform(c) != CURLE_OK) {
		r->status = -1;
	} else {
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
		                         &r->status);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r->status;
}

// insert posts data to ns, as cred ("user:password") when not NULL, and
// copies the id into id (ID_MAX bytes) when not NULL.  Returns the status.
static long
insert(const char *ns, const char *data, const char *cred, char *id)
{
	static adm_resp r;
	char            path[128];
	char            auth[512];
	const char     *hdrs[2] = { NULL, NULL };

	if (cred != NULL) {
		hdrs[0] = auth_hdr(auth, sizeof(auth), cred);
	}
	(void) snprintf(path, sizeof(path), "/%s", ns);
	if (hreq("POST", path, data, hdrs, &r) == 200 && id != NULL) {
		assert_true(r.len > 0 && r.len < ID_MAX);
		memcpy(id, r.body, r.len + 1);
	}
	return r.status;
}

// read_blob reads ns/id with the header lines hdrs into *r.
static long
read_blob(const char *ns, const char *id, const char *const *hdrs, adm_resp *r)
{
	char path[160];

	(void) snprintf(path, sizeof(path), "/%s/%s", ns, id);
	return hreq("GET", path, NULL, hdrs, r);
}

// expect_denied checks that r is a 401 with the body want, and with the
// WWW-Authenticate header realm (a full header line prefix) or none.
static void
expect_denied(const adm_resp *r, const char *want, const char *realm)
{
	assert_int_equal(r->status, 401);
	if (strcmp(r->body, want) != 0) {
		fail_msg("body \"%s\", want \"%s\"", r->body, want);
	}
	if (realm != NULL) {
		if (!adm_has_header(r, realm)) {
			fail_msg("no \"%s\" in:\n%s", realm, r->headers);
		}
	} else {
		assert_false(adm_has_header(r, "WWW-Authenticate:"));
	}
}

// metric reads a sample of /_metrics (which needs the status ACL's
// credentials on the ACL node; they do no harm on the other).
static double
metric(const char *key)
{
	static adm_resp r;
	char            auth[512];
	const char *hdrs[] = { auth_hdr(auth, sizeof(auth), STATUS_PW), NULL };

	assert_int_equal(hreq("GET", "/_metrics", NULL, hdrs, &r), 200);
	return adm_metric(r.body, key);
}

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
	assert_true(
	    metric("primary_insert_successes{bb_namespace=\"auth\"}") ==
	    stored);
	assert_true(metric(METRIC("tagged")) == 3);
	assert_true(metric("bytes_inserted{bb_namespace=\"tagged\"}") ==
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
	assert_true(adm_metric(r.body, "shutting_down") == 0);
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

// ---- slow clients ----

static int
slow_setup(void **state)
{
	(void) state;
	bbt_node_init(&node);
	bbt_node_start(&node, slow_conf);
	(void) snprintf(base, sizeof(base), "http://127.0.0.1:%d", node.port);
	return 0;
}

static int
slow_teardown(void **state)
{
	(void) state;
	assert_int_equal(bbt_node_stop(&node, SIGTERM), 0);
	bbt_node_cleanup(&node);
	return 0;
}

// drain reads what fd has for up to ms, appending to buf (cap bytes,
// *used so far; the rest is dropped).  Returns true once the server has
// closed (end of file or an error); *last_ms is set when data came.
static bool
drain(int fd, int ms, char *buf, size_t cap, size_t *used, int64_t *last_ms)
{
	struct pollfd p   = { .fd = fd, .events = POLLIN };
	int64_t       end = bbt_now_ms() + ms;
	char          tmp[4096];
	ssize_t       n;
	size_t        k;
	int           left;

	for (;;) {
		left = (int) (end - bbt_now_ms());
		if (left < 0) {
			left = 0;
		}
		if (poll(&p, 1, left) <= 0) {
			return false;
		}
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n <= 0) {
			return true;
		}
		k = (size_t) n < cap - 1 - *used ? (size_t) n
		                                 : cap - 1 - *used;
		memcpy(buf + *used, tmp, k);
		*used += k;
		buf[*used] = '\0';
		if (last_ms != NULL) {
			*last_ms = bbt_now_ms();
		}
	}
}

// trickle sends text one byte every 200 ms on fd until the server closes
// it or BOUND_MS pass; once, after about 600 ms, mid is called.  Returns
// the milliseconds from start to the close, or -1 if it stayed open.
static int64_t
trickle(int fd, const char *text, int64_t start, void (*mid)(void))
{
	static char buf[8192];
	size_t      used = 0;
	size_t      i;
	bool        closed = false;

	for (i = 0; !closed && bbt_now_ms() - start < BOUND_MS; i++) {
		if (send(fd, text + i % strlen(text), 1, MSG_NOSIGNAL) != 1) {
			closed = true; // reset: the server is gone too
			break;
		}
		if (i == 3 && mid != NULL) {
			mid();
		}
		closed = drain(fd, 200, buf, sizeof(buf), &used, NULL);
	}
	// Whatever the cut, no answer was ever sent.
	assert_int_equal(used, 0);
	return closed ? bbt_now_ms() - start : -1;
}

static char slow_id[ID_MAX]; // a blob of [namespace.test]

// normal_read is an ordinary client, served while another connection
// trickles.
static void
normal_read(void)
{
	static adm_resp r;

	assert_int_equal(read_blob("test", slow_id, NULL, &r), 200);
	assert_string_equal(r.body, "slow test");
	assert_int_equal(hreq("GET", "/_health", NULL, NULL, &r), 200);
}

// 7a: a request head that trickles in is cut at read_header_timeout.
static void
test_slow_head_cut(void **state)
{
	char    head[512];
	int64_t t0, ms;
	int     fd;

	(void) state;
	assert_int_equal(insert("test", "slow test", NULL, slow_id), 200);
	(void) snprintf(head, sizeof(head),
	                "GET /test/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                "User-Agent: slowloris/1.0 (one byte at a time)\r\n"
	                "Accept: */*\r\n\r\n",
	                slow_id);
	// 1 s at 5 bytes a second: far from the end of the head.
	assert_true(strlen(head) > BOUND_MS / 200);
	fd = bbt_connect(node.port);
	assert_true(fd >= 0);
	t0 = bbt_now_ms();
	ms = trickle(fd, head, t0, normal_read);
	(void) close(fd);
	print_message("slow head cut after %lld ms\n", (long long) ms);
	assert_true(ms >= 0);
	assert_true(ms >= 800 && ms <= 3000);
}

// 7b: a body that trickles in is cut at read_timeout, and is not stored.
static void
test_slow_body_cut(void **state)
{
	static const char head[] = "POST /test HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                           "Content-Length: 1000\r\n\r\n";
	static const char body[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	double            before = metric(METRIC("test"));
	double            bytes  = metric("bytes_inserted{bb_namespace="
	                                              "\"test\"}");
	int64_t           t0, ms;
	int               fd;

	(void) state;
	fd = bbt_connect(node.port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL),
	                 (ssize_t) strlen(head));
	t0 = bbt_now_ms();
	ms = trickle(fd, body, t0, normal_read);
	(void) close(fd);
	print_message("slow body cut after %lld ms\n", (long long) ms);
	assert_true(ms >= 0);
	assert_true(ms >= 1800 && ms <= 5000);
	assert_true(metric(METRIC("test")) == before);
	assert_true(metric("bytes_inserted{bb_namespace=\"test\"}") == bytes);
	assert_true(metric("primary_insert_failures{bb_namespace=\"test\"}") ==
	            0);
}

// 7c: a kept-alive connection with no next request is closed after
// idle_timeout (before libmicrohttpd's own 2 s would).
static void
test_idle_cut(void **state)
{
	static const char req[] =
	    "GET /_health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "\r\n";
	static char buf[8192];
	size_t      used = 0;
	int64_t     last = 0;
	int64_t     t0;
	bool        closed;
	int         fd;

	(void) state;
	fd = bbt_connect(node.port);
	assert_true(fd >= 0);
	t0 = bbt_now_ms();
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
	                 (ssize_t) strlen(req));
	closed = drain(fd, BOUND_MS, buf, sizeof(buf), &used, &last);
	(void) close(fd);
	assert_true(closed);
	assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	assert_null(strstr(buf, "Connection: close"));
	assert_true(last > 0);
	print_message("idle connection closed %lld ms after the answer\n",
	              (long long) (bbt_now_ms() - last));
	// The close of an answer sent in full, not of a cut answer.
	assert_true(last - t0 < 1000);
	assert_true(bbt_now_ms() - last >= 800);
	assert_true(bbt_now_ms() - last < 1900);
}

// busy_post posts data to url on c (a kept connection, as adm_do), with
// the header lines h.
static long
busy_post(CURL *c, const char *url, struct curl_slist *h, const char *data,
          adm_resp *r)
{
	memset(r, 0, sizeof(*r));
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	(void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	(void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
	(void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	                        (curl_off_t) strlen(data));
	(void) curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (curl_easy_perform(c) != CURLE_OK) {
		r->status = -1;
		return -1;
	}
	(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	(void) curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
	return r->status;
}

// 7d: a client that keeps busy on one connection is never cut: each
// request moves its deadline, whether requests come back to back or
// just inside idle_timeout of each other.
static void
test_busy_client_kept(void **state)
{
	static adm_resp    r;
	char               get[256];
	char               post[256];
	CURL              *c      = curl_easy_init();
	struct curl_slist *h      = curl_slist_append(NULL, "Expect:");
	double             before = metric(METRIC("test"));
	int64_t            end;
	int                n = 0, posts = 0, i;

	(void) state;
	assert_non_null(c);
	assert_non_null(h);
	(void) snprintf(get, sizeof(get), "%s/test/%s", base, slow_id);
	(void) snprintf(post, sizeof(post), "%s/test", base);
	end = bbt_now_ms() + 3000;
	while (bbt_now_ms() < end) {
		if (n % 2 == 0) {
			assert_int_equal(adm_do(c, "GET", get, &r), 200);
			assert_string_equal(r.body, "slow test");
		} else {
			assert_int_equal(busy_post(c, post, h, "busy", &r),
			                 200);
			posts++;
		}
		// One connection for all of them: curl would reconnect
		// (and count it) had the server closed it.
		assert_int_equal(r.connects, n == 0 ? 1 : 0);
		n++;
	}
	print_message("%d requests on one connection in 3 s\n", n);
	assert_true(n >= 10);
	// 3 s more, a request every 600 ms: each within idle_timeout.
	for (i = 0; i < 5; i++) {
		bbt_sleep_ms(600);
		assert_int_equal(adm_do(c, "GET", get, &r), 200);
		assert_int_equal(r.connects, 0);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	assert_true(metric(METRIC("test")) == before + posts);
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
	const struct CMUnitTest slow_tests[] = {
		cmocka_unit_test(test_slow_head_cut),
		cmocka_unit_test(test_slow_body_cut),
		cmocka_unit_test(test_idle_cut),
		cmocka_unit_test(test_busy_client_kept),
	};
	const struct CMUnitTest conf_tests[] = {
		cmocka_unit_test(test_bad_acl_conf),
	};
	int rc = 0;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc |= cmocka_run_group_tests_name("acl", acl_tests, acl_setup,
	                                  acl_teardown);
	rc |= cmocka_run_group_tests_name("slow", slow_tests, slow_setup,
	                                  slow_teardown);
	rc |= cmocka_run_group_tests_name("conf", conf_tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
