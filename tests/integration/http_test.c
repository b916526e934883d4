// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/http_test.c -- the HTTP API of one real blobbyd:
// round trips of 0 B to 100 MiB, every error status, id contents.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"
#include "storage/id.h"

#define MACHINE 7

static const char conf_text[] = "machine_id = 7\n"
                                "[log]\n"
                                "file = @DIR@/blobbyd.log\n"
                                "[server]\n"
                                "addr = 127.0.0.1\n"
                                "port = 0\n"
                                "rpc_port = 0\n"
                                "[namespace.test]\n"
                                "directory = @DIR@/test\n"
                                "replicas = 0\n"
                                "archive = dir\n"
                                "archive_directory = @DIR@/archive\n"
                                "[namespace.small]\n"
                                "directory = @DIR@/small\n"
                                "replicas = 0\n"
                                "archive = dir\n"
                                "archive_directory = @DIR@/archive\n"
                                "max_blob_size = 1k\n"
                                "[server.access_log]\n"
                                "file = @DIR@/access.log\n"
                                "format = json\n";

static bbt_node node;

static int
setup(void **state)
{
	(void) state;
	bbt_node_init(&node);
	bbt_node_start(&node, conf_text);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	// A clean exit also proves the sanitizers found nothing in blobbyd.
	assert_int_equal(bbt_node_stop(&node, SIGTERM), 0);
	bbt_node_cleanup(&node);
	return 0;
}

// roundtrip inserts n bytes and reads them back with GET and HEAD.
static void
roundtrip(size_t n, unsigned seed)
{
	char    *data = malloc(n + 1);
	char     url[512];
	bbt_resp r;
	store_id id;

	assert_non_null(data);
	bbt_fill(data, n, seed);
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("POST", url, data, n, &r), 200);
	assert_string_equal(r.ctype, "text/plain");
	assert_int_equal(r.len, STORE_ID_SHORT_LEN);
	assert_int_equal(store_id_parse(r.body, r.len, &id), BB_OK);
	assert_int_equal(store_fid_machine(&id.fid), MACHINE);
	assert_int_equal(id.length, n);
	(void) snprintf(url, sizeof(url), "%s/test/%s", node.url, r.body);
	bbt_resp_free(&r);

	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_int_equal(r.len, n);
	assert_true(n == 0 || memcmp(r.body, data, n) == 0);
	assert_string_equal(r.ctype, "application/octet-stream");
	bbt_resp_free(&r);

	assert_int_equal(bbt_http("HEAD", url, NULL, 0, &r), 200);
	assert_int_equal(r.content_length, (long long) n);
	assert_int_equal(r.len, 0);
	bbt_resp_free(&r);
	free(data);
}

static void
test_roundtrip_sizes(void **state)
{
	(void) state;
	roundtrip(0, 1);
	roundtrip(1, 2);
	roundtrip(1024, 3);
	roundtrip(1024 * 1024, 4);
	roundtrip(100 * 1024 * 1024, 5);
}

static void
test_chunked_insert(void **state)
{
	char     data[5000];
	char     url[512];
	bbt_resp r;

	(void) state;
	bbt_fill(data, sizeof(data), 9);
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http_chunked(url, data, sizeof(data), &r), 200);
	(void) snprintf(url, sizeof(url), "%s/test/%s", node.url, r.body);
	bbt_resp_free(&r);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_int_equal(r.len, sizeof(data));
	assert_memory_equal(r.body, data, sizeof(data));
	bbt_resp_free(&r);
}

// expect requests method path and checks the status and the one-line body.
static void
expect(const char *method, const char *path, const void *body, size_t len,
       long status, const char *line)
{
	char     url[1024];
	bbt_resp r;

	(void) snprintf(url, sizeof(url), "%s%s", node.url, path);
	assert_int_equal(bbt_http(method, url, body, len, &r), status);
	if (line != NULL && strcmp(method, "HEAD") != 0) {
		assert_string_equal(r.body, line);
	}
	bbt_resp_free(&r);
}

static void
test_error_statuses(void **state)
{
	char     big[2000];
	char     url[512];
	char     path[256];
	char     idtext[STORE_ID_STRMAX + 1];
	bbt_resp r;
	store_id id;

	(void) state;
	memset(big, 'x', sizeof(big));
	expect("POST", "/test/extra", "a", 1, 400, "Invalid POST path.\n");
	expect("POST", "/", "a", 1, 400, "Invalid POST path.\n");
	expect("POST", "/nope", "a", 1, 404, "Name space does not exist.\n");
	expect("GET", "/test", NULL, 0, 400, "Invalid GET path.\n");
	expect("GET", "/test/", NULL, 0, 400, "Invalid GET path.\n");
	expect("GET", "/test/a/b", NULL, 0, 400, "Invalid GET path.\n");
	expect("GET", "/test/!!!!", NULL, 0, 400,
	       "The given ID is not valid.\n");
	expect("GET", "/test/AAECAwQFBgcICgAAAAAAAAA", NULL, 0, 400,
	       "The given ID is not valid.\n");
	expect("GET", "/nope/AAECAwQFBgcICgAAAAAAAAAB", NULL, 0, 404,
	       "Name space does not exist.\n");
	// A well-formed id of a file that does not exist here.
	expect("GET", "/test/AAECAwQFBgcICgAAAAAAAAAB", NULL, 0, 404,
	       "The requested ID was not found.\n");
	expect("HEAD", "/test/AAECAwQFBgcICgAAAAAAAAAB", NULL, 0, 404, NULL);
	expect("GET", "/_nothing", NULL, 0, 404,
	       "The URL you are requesting does not exist.\n");

	// An id in a real file, but past its committed end, is 404, never a
	// short 200.
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("POST", url, "hello", 5, &r), 200);
	assert_int_equal(store_id_parse(r.body, r.len, &id), BB_OK);
	bbt_resp_free(&r);
	id.length = 6;
	(void) store_id_format(&id, idtext);
	(void) snprintf(path, sizeof(path), "/test/%s", idtext);
	expect("GET", path, NULL, 0, 404, "The requested ID was not found.\n");
	id.length = 5;
	id.start += 1u << 20;
	(void) store_id_format(&id, idtext);
	(void) snprintf(path, sizeof(path), "/test/%s", idtext);
	expect("GET", path, NULL, 0, 404, "The requested ID was not found.\n");

	// Methods: replication is RPC now, so its HTTP methods are 405.
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("PUT", url, "a", 1, &r), 405);
	assert_string_equal(r.allow, "GET, HEAD, POST");
	assert_string_equal(r.body, "Unsupported method.\n");
	bbt_resp_free(&r);
	expect("DELETE", "/test/AAECAwQFBgcICgAAAAAAAAAB", NULL, 0, 405,
	       "Unsupported method.\n");
	expect("INITIALIZE", "/test/AAECAwQFBgcICg", NULL, 0, 405,
	       "Unsupported method.\n");
	expect("REPLICATE", "/test/AAECAwQFBgcICg", "x", 1, 405,
	       "Unsupported method.\n");

	// Size limit of [namespace.small]: 1k = 1000 bytes.
	expect("POST", "/small", big, 1000, 200, NULL);
	expect("POST", "/small", big, 1001, 413,
	       "The blob is larger than this name space accepts.\n");
	(void) snprintf(url, sizeof(url), "%s/small", node.url);
	assert_int_equal(bbt_http_chunked(url, big, sizeof(big), &r), 413);
	bbt_resp_free(&r);
	// The node still serves after the refusals.
	expect("POST", "/small", "ok", 2, 200, NULL);
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void) p;
	(void) arg;
	return size * nmemb;
}

// Reads keep the connection open (a benchmark with keep-alive depends on
// it): the second GET on one handle must not open a new connection.
static void
test_reads_keep_alive(void **state)
{
	char     url[512];
	bbt_resp r;
	CURL    *c;
	long     status;
	long     conns;
	int      i;

	(void) state;
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("POST", url, "keep", 4, &r), 200);
	(void) snprintf(url, sizeof(url), "%s/test/%s", node.url, r.body);
	bbt_resp_free(&r);
	c = curl_easy_init();
	assert_non_null(c);
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	for (i = 0; i < 3; i++) {
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		(void) curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
		assert_int_equal(status, i < 2 ? 200 : 404);
		assert_int_equal(conns, i == 0 ? 1 : 0);
		// The last round asks for an id that does not exist.
		(void) snprintf(url, sizeof(url), "%s/test/%s", node.url,
		                "AAECAwQFBgcICgAAAAAAAAAB");
		if (i == 1) {
			(void) curl_easy_setopt(c, CURLOPT_URL, url);
		}
	}
	curl_easy_cleanup(c);
}

static void
test_get_with_body(void **state)
{
	char     url[256];
	char     req[512];
	char     buf[1024];
	char     id[64];
	bbt_resp r;
	ssize_t  n;
	size_t   got = 0;
	int      fd;

	(void) state;
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("POST", url, "abc", 3, &r), 200);
	(void) snprintf(id, sizeof(id), "%s", r.body);
	bbt_resp_free(&r);
	// A body on a GET means nothing: it is read, dropped, and the GET
	// answered.
	fd = bbt_connect(node.port);
	assert_true(fd >= 0);
	(void) snprintf(req, sizeof(req),
	                "GET /test/%s HTTP/1.1\r\nHost: x\r\n"
	                "Content-Length: 5\r\nConnection: close\r\n\r\nhello",
	                id);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t) strlen(req));
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += (size_t) n;
	}
	buf[got] = '\0';
	(void) close(fd);
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
	assert_non_null(strstr(buf, "\r\n\r\nabc"));
}

static void
test_access_log(void **state)
{
	char     url[256];
	char     path[512];
	char     moved[512];
	bbt_resp r;

	(void) state;
	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("POST", url, "logged", 6, &r), 200);
	bbt_resp_free(&r);
	(void) snprintf(url, sizeof(url), "%s/test/notanid", node.url);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 400);
	bbt_resp_free(&r);
	(void) snprintf(path, sizeof(path), "%s/access.log", node.dir);
	assert_true(bbt_file_has(path,
	                         "\"client\":\"127.0.0.1\",\"method\":"
	                         "\"POST\",\"path\":\"/test\","
	                         "\"status\":200",
	                         5000));
	assert_true(bbt_file_has(path,
	                         "\"method\":\"GET\",\"path\":"
	                         "\"/test/notanid\",\"status\":400",
	                         5000));
	// Rotation: the file is moved away, SIGHUP makes a new one.
	(void) snprintf(moved, sizeof(moved), "%s/access.log.1", node.dir);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(kill(node.pid, SIGHUP), 0);
	bbt_sleep_ms(300);
	(void) snprintf(url, sizeof(url), "%s/_nothing", node.url);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 404);
	bbt_resp_free(&r);
	assert_true(
	    bbt_file_has(path, "\"path\":\"/_nothing\",\"status\":404", 5000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_chunked_insert),
		cmocka_unit_test(test_error_statuses),
		cmocka_unit_test(test_reads_keep_alive),
		cmocka_unit_test(test_access_log),
		cmocka_unit_test(test_get_with_body),
	};
	int rc;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
