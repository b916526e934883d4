// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/admin_test.c -- the operator endpoints of a real
// blobbyd: every endpoint and status code, /_status (text and JSON) and
// /_id after inserts, /_metrics counting exactly what happened, drain mode
// (500 health, Shutting-Down and Connection: close on every answer), and
// refusals from a non-loopback address.  Drain mode seen by a peer:
// drain_test.c.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin_http.h"
#include "harness.h"
#include "storage/id.h"
#include "tests/clock.h"

#define WAIT_MS 30000

// One node for most tests: it listens on every address, so that the
// admin endpoints can be asked from a non-loopback one.
static const char conf_text[] = "machine_id = 7\n"
                                "[log]\nfile = @DIR@/blobbyd.log\n"
                                "[server]\naddr = 0.0.0.0\nport = 0\n"
                                "rpc_addr = 127.0.0.1\nrpc_port = 0\n"
                                "prometheus_tag_prefix = bb_\n"
                                "[namespace.arch]\n"
                                "directory = @DIR@/arch\nreplicas = 0\n"
                                "archive = dir\n"
                                "archive_directory = @DIR@/archive\n"
                                "upload_file_size = 1\n"
                                "[namespace.small]\n"
                                "directory = @DIR@/small\nreplicas = 0\n"
                                "archive = dir\n"
                                "archive_directory = @DIR@/archive\n"
                                "max_blob_size = 1k\n"
                                "[namespace.test]\n"
                                "directory = @DIR@/test\nreplicas = 0\n"
                                "archive = dir\n"
                                "archive_directory = @DIR@/archive\n";

static bbt_node node;
static char     base[64]; // http://127.0.0.1:PORT

// req makes one request to path on the node (a fresh connection).
static long
req(const char *method, const char *path, adm_resp *r)
{
	return adm_req(base, method, path, r);
}

// expect checks status and (if not NULL) the whole body of a request.
static void
expect(const char *method, const char *path, long status, const char *body)
{
	static adm_resp r;

	assert_int_equal(req(method, path, &r), status);
	if (body != NULL && strcmp(r.body, body) != 0) {
		fail_msg("%s %s: body \"%s\", want \"%s\"", method, path,
		         r.body, body);
	}
}

static double
metric_now(const char *key)
{
	static adm_resp r;

	assert_int_equal(req("GET", "/_metrics", &r), 200);
	return adm_metric(r.body, key);
}

static int
setup(void **state)
{
	(void) state;
	bbt_node_init(&node);
	bbt_node_start(&node, conf_text);
	(void) snprintf(base, sizeof(base), "http://127.0.0.1:%d", node.port);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	assert_int_equal(bbt_node_stop(&node, SIGTERM), 0);
	bbt_node_cleanup(&node);
	return 0;
}

static void
test_endpoints_and_codes(void **state)
{
	static adm_resp r;

	(void) state;
	assert_int_equal(req("GET", "/_health", &r), 200);
	assert_string_equal(r.body, "arch: OK\nsmall: OK\ntest: OK\n");
	assert_true(adm_has_header(&r, "Content-Type: text/plain\r"));
	assert_false(adm_has_header(&r, "Shutting-Down:"));
	expect("HEAD", "/_health", 200, "");
	expect("GET", "/_health/anything", 200, NULL);
	assert_int_equal(req("GET", "/_status", &r), 200);
	assert_true(adm_has_header(&r, "Content-Type: text/plain\r"));
	assert_int_equal(req("GET", "/_status?format=json", &r), 200);
	assert_true(adm_has_header(&r, "Content-Type: application/json\r"));
	expect("GET", "/_status?format=xml", 400,
	       "Unknown format: use format=json or format=text.\n");
	assert_int_equal(req("GET", "/_metrics", &r), 200);
	assert_true(
	    adm_has_header(&r, "Content-Type: text/plain; version=0.0.4"));
	expect("GET", "/_shutdown/status", 200,
	       "server is not shutting down.\n");
	expect("GET", "/_shutdown/nope", 400, "Invalid request.\n");
	expect("GET", "/_shutdown/start/x", 400, "Invalid request.\n");
	// HEAD must not change state; the node is still not draining.
	expect("HEAD", "/_shutdown/start", 405, NULL);
	expect("GET", "/_shutdown/status", 200,
	       "server is not shutting down.\n");

	expect("GET", "/_nothing", 404,
	       "The URL you are requesting does not exist.\n");
	expect("GET", "/_", 404,
	       "The URL you are requesting does not exist.\n");
	expect("GET", "/_debug/stack", 404, NULL);
	// POST only where something changes.
	expect("POST", "/_status", 405, "Unsupported method.\n");
	expect("POST", "/_nothing", 404,
	       "The URL you are requesting does not exist.\n");
	expect("PUT", "/_health", 405, "Unsupported method.\n");
	expect("DELETE", "/_shutdown", 405, "Unsupported method.\n");

	expect("GET", "/_id/test", 400,
	       "Expected path: /_id/<namespace>/<id>\n");
	expect("GET", "/_id//AAECAwQFBgcICgAAAAAAAAAB", 400, NULL);
	expect("GET", "/_id/test/a/b", 400, NULL);
	expect("GET", "/_id/nope/AAECAwQFBgcICgAAAAAAAAAB", 404,
	       "Name space does not exist.\n");
	expect("GET", "/_id/test/abc", 400,
	       "Invalid ID: an ID has 24 or 30 characters (40 or 46 signed), "
	       "not 3.\n");
	expect("GET", "/_id/test/!!!!!!!!!!!!!!!!!!!!!!!!", 400,
	       "Invalid ID: not base64url, or not the encoding of an ID.\n");
}

static void
test_status_and_id(void **state)
{
	static adm_resp r;
	char            id[STORE_ID_STRMAX + 1];
	char            fid[STORE_FID_STRLEN + 1];
	char            want[1024];
	char            path[128];
	const char     *p;
	store_id        sid;
	long long       first;
	int64_t         now_s = (int64_t) time(NULL);

	(void) state;
	assert_int_equal(adm_insert(base, "test", "0123456789", id), 200);
	assert_int_equal(adm_insert(base, "test", "abc", NULL), 200);
	assert_true(adm_fid_of(id, fid));

	// The text: the namespace, its primary with size and age.
	assert_int_equal(req("GET", "/_status", &r), 200);
	(void) snprintf(want, sizeof(want),
	                "test:\n    Primaries:\n        %s state=waiting "
	                "size=13B oldest=",
	                fid);
	if (strstr(r.body, want) == NULL) {
		fail_msg("no \"%s\" in:\n%s", want, r.body);
	}
	assert_non_null(strstr(r.body, "small:\n    Primaries:\n"));
	assert_null(strstr(r.body, "Replicas:"));
	assert_null(strstr(r.body, "shutting down"));

	// The same in JSON, with the first insert's time.
	assert_int_equal(req("GET", "/_status?format=json", &r), 200);
	assert_true(strncmp(r.body, "{\"shutting_down\":false,", 23) == 0);
	(void) snprintf(want, sizeof(want),
	                "{\"fid\":\"%s\",\"replica\":false,\"primary\":true,"
	                "\"state\":\"waiting\",\"size\":13,"
	                "\"first_insert_unix_ns\":",
	                fid);
	p = strstr(r.body, want);
	assert_non_null(p);
	first = strtoll(p + strlen(want), NULL, 10);
	assert_true(first / 1000000000 >= now_s - 5 &&
	            first / 1000000000 <= now_s + 5);

	// /_id: what the id names and where it is served from.
	assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
	(void) snprintf(path, sizeof(path), "/_id/test/%s", id);
	(void) snprintf(want, sizeof(want),
	                "Name space: test\nFile ID: %s\nMachine ID: 7\n"
	                "Start offset: 0\nLength: 10\n"
	                "Archive destination: %s/archive/%s\n"
	                "This ID is served locally by a primary that is in "
	                "the waiting state.\n",
	                fid, node.dir, fid);
	expect("GET", path, 200, want);
	// A machine this node does not know: only the archive is asked,
	// which has no such object, so a read is a 404.
	store_fid_make(&sid.fid, store_fid_seconds(&sid.fid), 1, 99);
	(void) store_id_format(&sid, id);
	(void) snprintf(path, sizeof(path), "/_id/test/%s", id);
	assert_int_equal(req("GET", path, &r), 200);
	assert_non_null(strstr(r.body, "Machine ID: 99\n"));
	assert_non_null(strstr(r.body,
	                       "This ID is not served now: a read answers "
	                       "404 (The requested ID was not found.)\n"));
}

// wait_metric waits until the sample key has the value want.
static void
wait_metric(const char *key, double want)
{
	int64_t end = bbt_now_ms() + WAIT_MS;
	double  v;

	while ((v = metric_now(key)) != want) {
		if (bbt_now_ms() > end) {
			fail_msg("%s is %g, want %g", key, v, want);
		}
		bbt_sleep_ms(100);
	}
}

static void
test_metrics_count_exactly(void **state)
{
	static adm_resp r;
	static char     big[1002];
	char            id[STORE_ID_STRMAX + 1];
	char            fid[STORE_FID_STRLEN + 1];
	char            data[64];
	char            path[128];
	double          bytes = 0;
	int             k;

	(void) state;
	// Nothing has touched [namespace.small] yet: everything is 0.
	assert_int_equal(req("GET", "/_metrics", &r), 200);
	assert_true(adm_metric(r.body, "blobby_shutting_down") == 0);
	assert_true(
	    adm_metric(r.body,
	               "blobby_namespace_healthy{bb_namespace=\"small\"}") ==
	    1);
	assert_true(
	    adm_metric(
	        r.body,
	        "blobby_primary_insert_total{bb_namespace=\"small\"}") == 0);
	for (k = 1; k <= 5; k++) {
		(void) snprintf(data, sizeof(data), "%0*d", k * 10, k);
		assert_int_equal(adm_insert(base, "small", data, id), 200);
		bytes += k * 10;
	}
	// A 413 is refused before storage: not an insert at all.
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(adm_insert(base, "small", big, NULL), 413);
	for (k = 0; k < 3; k++) {
		(void) snprintf(path, sizeof(path), "/small/%s", id);
		assert_int_equal(req("GET", path, &r), 200);
		assert_string_equal(r.body, data);
	}
	assert_int_equal(req("GET", "/_metrics", &r), 200);
#define M(name) adm_metric(r.body, name "{bb_namespace=\"small\"}")
	assert_true(M("blobby_primary_insert_total") == 5);
	assert_true(M("blobby_primary_insert_successes_total") == 5);
	assert_true(M("blobby_primary_insert_failures_total") == 0);
	assert_true(M("blobby_inserted_bytes_total") == bytes);
	assert_true(M("blobby_primary_open_successes_total") >= 1);
	assert_true(M("blobby_primary_open_failures_total") == 0);
	assert_true(M("blobby_queued_inserts") == 0);
	assert_true(M("blobby_insert_duration_seconds_count") == 5);
	assert_true(M("blobby_replicate_duration_seconds_count") == 0);
	assert_true(M("blobby_read_duration_seconds_count") == 3);
	assert_true(
	    adm_metric(r.body,
	               "blobby_internal_errors_total{bb_namespace=\"small\","
	               "bb_type=\"insert\"}") == 0);
	assert_true(
	    adm_metric(r.body,
	               "blobby_insert_duration_seconds_bucket{bb_namespace="
	               "\"small\",le=\"+Inf\"}") == 5);
	assert_true(M("blobby_insert_duration_seconds_sum") > 0);
#undef M

	// [namespace.arch] seals a file as soon as it holds a byte: the
	// lifecycle archives it and removes the local copy.
	assert_int_equal(adm_insert(base, "arch", "archive me", id), 200);
	wait_metric(
	    "blobby_primary_upload_successes_total{bb_namespace=\"arch\"}", 1);
	wait_metric(
	    "blobby_primary_delete_successes_total{bb_namespace=\"arch\"}", 1);
	wait_metric("blobby_file_deletion_total{bb_namespace=\"arch\"}", 1);
	assert_true(metric_now("blobby_primary_upload_failures_total{bb_"
	                       "namespace=\"arch\"}") == 0);
	assert_true(metric_now("blobby_archive_uploads_total") >= 1);
	assert_true(
	    metric_now("blobby_inserted_bytes_total{bb_namespace=\"arch\"}") ==
	    10);
	// Now only the archive has it, and /_id says so.
	assert_true(adm_fid_of(id, fid));
	(void) snprintf(path, sizeof(path), "/_id/arch/%s", id);
	assert_int_equal(req("GET", path, &r), 200);
	assert_non_null(strstr(r.body,
	                       "This ID is not held locally: a read "
	                       "is served from the archive.\n"));
	(void) snprintf(path, sizeof(path), "/arch/%s", id);
	assert_int_equal(req("GET", path, &r), 200);
	assert_string_equal(r.body, "archive me");
	assert_int_equal(req("GET", "/_status", &r), 200);
	assert_null(strstr(r.body, fid));
}

// reconnects makes two requests to path on one handle and reports whether
// the second needed a new connection.
static bool
reconnects(const char *path, adm_resp *r)
{
	char  url[256];
	CURL *c = curl_easy_init();

	assert_non_null(c);
	(void) snprintf(url, sizeof(url), "%s%s", base, path);
	assert_int_equal(adm_do(c, "GET", url, r), 200);
	assert_int_equal(adm_do(c, "GET", url, r), 200);
	curl_easy_cleanup(c);
	return r->connects == 1;
}

static void
test_drain_mode(void **state)
{
	static adm_resp r;
	char            id[STORE_ID_STRMAX + 1];
	char            path[128];

	(void) state;
	assert_int_equal(adm_insert(base, "test", "kept", id), 200);
	(void) snprintf(path, sizeof(path), "/test/%s", id);
	assert_false(reconnects(path, &r));

	expect("GET", "/_shutdown/start", 200, "shutting down.\n");
	expect("GET", "/_shutdown", 200, "already shutting down.\n");
	expect("GET", "/_shutdown/status", 200, "server is shutting down.\n");
	assert_int_equal(req("GET", "/_health", &r), 500);
	assert_string_equal(r.body,
	                    "Server is shutting down.\narch: OK\n"
	                    "small: OK\ntest: OK\n");
	// Every answer says it, and closes its connection.
	assert_true(reconnects(path, &r));
	assert_true(adm_has_header(&r, "Shutting-Down: true"));
	assert_true(adm_has_header(&r, "Connection: close"));
	assert_string_equal(r.body, "kept");
	// Inserts and reads go on, as in the original.
	assert_int_equal(adm_insert(base, "test", "while draining", NULL),
	                 200);
	assert_int_equal(req("GET", "/_status", &r), 200);
	assert_true(
	    strncmp(r.body, "This server is shutting down.\n\ntest", 30) == 0);
	assert_int_equal(req("GET", "/_status?format=json", &r), 200);
	assert_true(strncmp(r.body, "{\"shutting_down\":true,", 22) == 0);
	assert_true(metric_now("blobby_shutting_down") == 1);

	expect("GET", "/_shutdown/stop", 200,
	       "server is no longer shutting down.\n");
	expect("GET", "/_shutdown/stop", 200,
	       "server was not shutting down.\n");
	expect("GET", "/_health", 200, NULL);
	assert_false(reconnects(path, &r));
	assert_false(adm_has_header(&r, "Shutting-Down:"));
	assert_true(metric_now("blobby_shutting_down") == 0);
}

// other_address finds an IPv4 address of this machine that is not
// loopback, or returns false.
static bool
other_address(char *buf, size_t len)
{
	struct ifaddrs *ifa = NULL;
	struct ifaddrs *i;
	bool            found = false;

	if (getifaddrs(&ifa) != 0) {
		return false;
	}
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		const struct sockaddr_in *sin = (void *) i->ifa_addr;
		if (sin == NULL || sin->sin_family != AF_INET ||
		    (ntohl(sin->sin_addr.s_addr) >> 24) == 127) {
			continue;
		}
		found = inet_ntop(AF_INET, &sin->sin_addr, buf,
		                  (socklen_t) len) != NULL;
	}
	freeifaddrs(ifa);
	return found;
}

static void
test_refused_from_other_address(void **state)
{
	static const char *const paths[] = {
		"/_health",         "/_status",
		"/_metrics",        "/_shutdown/status",
		"/_shutdown/start", "/_id/test/AAECAwQFBgcICgAAAAAAAAAB"
	};
	static adm_resp r;
	char            ip[64];
	char            other[128];
	char            url[256];
	CURL           *c;
	size_t          i;

	(void) state;
	if (!other_address(ip, sizeof(ip))) {
		print_message("skipped: this machine has no IPv4 address "
		              "besides loopback\n");
		return;
	}
	(void) snprintf(other, sizeof(other), "http://%s:%d", ip, node.port);
	c = curl_easy_init();
	assert_non_null(c);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		(void) snprintf(url, sizeof(url), "%s%s", other, paths[i]);
		assert_int_equal(adm_do(c, "GET", url, &r), 401);
		assert_string_equal(r.body,
		                    "IP is not allowed to access this "
		                    "resource.\n");
	}
	(void) snprintf(url, sizeof(url), "%s/_nothing", other);
	assert_int_equal(adm_do(c, "GET", url, &r), 404);
	curl_easy_cleanup(c);
	// The refused /_shutdown/start changed nothing; data paths are open.
	expect("GET", "/_shutdown/status", 200,
	       "server is not shutting down.\n");
	assert_int_equal(adm_insert(other, "test", "from outside", NULL), 200);
}

int
main(void)
{
	const struct CMUnitTest node_tests[] = {
		cmocka_unit_test(test_endpoints_and_codes),
		cmocka_unit_test(test_status_and_id),
		cmocka_unit_test(test_metrics_count_exactly),
		cmocka_unit_test(test_drain_mode),
		cmocka_unit_test(test_refused_from_other_address),
	};
	int rc;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(node_tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
