// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/hostile_http_test.c -- requests a real blobbyd must
// refuse whatever its ACLs say: ambiguous body framing (two
// Content-Length headers, Content-Length beside chunked), answered 400
// with the connection closed so the rest is never read as a request; and
// a drain sent by a browser on behalf of another site (Sec-Fetch-Site,
// Origin), refused 403, while POST from the same origin and plain
// clients work.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

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
                                "archive_directory = @DIR@/archive\n";

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
	assert_int_equal(bbt_node_stop(&node, SIGTERM), 0);
	bbt_node_cleanup(&node);
	return 0;
}

// raw sends text on a new connection and reads into out (cap bytes, NUL
// terminated) until the server closes it; false if it did not within
// 10 s.
static bool
raw(const char *text, char *out, size_t cap)
{
	struct timeval tv  = { 10, 0 };
	size_t         got = 0;
	ssize_t        n   = 0;
	int            fd  = bbt_connect(node.port);

	assert_true(fd >= 0);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(write(fd, text, strlen(text)),
	                 (ssize_t) strlen(text));
	while (got < cap - 1 && (n = read(fd, out + got, cap - 1 - got)) > 0) {
		got += (size_t) n;
	}
	out[got] = '\0';
	(void) close(fd);
	return n == 0;
}

// count_of counts the occurrences of needle in hay.
static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

// smuggle checks that req is answered with one 400 holding why, and
// that the connection is closed after it (the GET hidden in its body is
// never answered).
static void
smuggle(const char *req, const char *why)
{
	char out[4096];

	if (!raw(req, out, sizeof(out))) {
		fail_msg("the connection stayed open after: %s", out);
	}
	if (strncmp(out, "HTTP/1.1 400", 12) != 0 || !strstr(out, why)) {
		fail_msg("want a 400 with '%s', got: %s", why, out);
	}
	assert_int_equal(count_of(out, "HTTP/1."), 1);
}

static void
test_framing(void **state)
{
	static const char hidden[] =
	    "GET /_health HTTP/1.1\r\nHost: x\r\n\r\n";
	char req[1024];
	char out[4096];

	(void) state;
	(void) snprintf(req, sizeof(req),
	                "POST /test HTTP/1.1\r\nHost: x\r\n"
	                "Content-Length: 3\r\nContent-Length: %zu\r\n\r\n"
	                "abc%s",
	                3 + strlen(hidden), hidden);
	smuggle(req, "more than one Content-Length");
	(void) snprintf(req, sizeof(req),
	                "POST /test HTTP/1.1\r\nHost: x\r\n"
	                "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
	smuggle(req, "more than one Content-Length");
	(void) snprintf(req, sizeof(req),
	                "POST /test HTTP/1.1\r\nHost: x\r\n"
	                "Content-Length: 40\r\n"
	                "Transfer-Encoding: chunked\r\n\r\n"
	                "3\r\nabc\r\n0\r\n\r\n%s",
	                hidden);
	smuggle(req, "both Content-Length and Transfer-Encoding");
	(void) snprintf(req, sizeof(req),
	                "POST /test HTTP/1.1\r\nHost: x\r\n"
	                "Transfer-Encoding: gzip, chunked\r\n\r\n"
	                "3\r\nabc\r\n0\r\n\r\n%s",
	                hidden);
	smuggle(req, "the only Transfer-Encoding taken is chunked");
	// A GET can hide a request the same way.
	(void) snprintf(req, sizeof(req),
	                "GET /_health HTTP/1.1\r\nHost: x\r\n"
	                "Transfer-Encoding: chunked\r\n"
	                "Content-Length: 0\r\n\r\n%s",
	                hidden);
	smuggle(req, "both Content-Length and Transfer-Encoding");
	// Framed one way, all is well: chunked alone, one Content-Length.
	assert_true(
	    raw("POST /test HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	        "3\r\nabc\r\n0\r\n\r\n",
	        out, sizeof(out)));
	assert_memory_equal(out, "HTTP/1.1 200", 12);
	assert_true(raw("POST /test HTTP/1.1\r\nHost: x\r\n"
	                "Content-Length: 3\r\nConnection: close\r\n\r\nabc",
	                out, sizeof(out)));
	assert_memory_equal(out, "HTTP/1.1 200", 12);
}

// admin sends method path with the extra header lines and returns the
// whole answer in out.
static void
admin(const char *method, const char *path, const char *extra, char *out,
      size_t cap)
{
	char req[1024];

	(void) snprintf(req, sizeof(req),
	                "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s"
	                "Content-Length: 0\r\nConnection: close\r\n\r\n",
	                method, path, node.port, extra);
	assert_true(raw(req, out, cap));
}

static void
expect_status(const char *out, const char *status, const char *body)
{
	if (strncmp(out + 9, status, 3) != 0 ||
	    (body != NULL && strstr(out, body) == NULL)) {
		fail_msg("want %s with '%s', got: %s", status,
		         body != NULL ? body : "", out);
	}
}

static void
test_cross_site(void **state)
{
	char out[4096];
	char origin[128];

	(void) state;
	admin("GET", "/_shutdown", "Sec-Fetch-Site: cross-site\r\n", out,
	      sizeof(out));
	expect_status(out, "403", "Cross-site request refused");
	admin("POST", "/_shutdown/start", "Sec-Fetch-Site: same-site\r\n", out,
	      sizeof(out));
	expect_status(out, "403", "Cross-site request refused");
	admin("POST", "/_shutdown", "Origin: http://evil.example\r\n", out,
	      sizeof(out));
	expect_status(out, "403", "its Origin is not this server");
	admin("GET", "/_shutdown", "Origin: null\r\n", out, sizeof(out));
	expect_status(out, "403", "its Origin is not this server");
	// None of them drained the node; reading the state is no change.
	admin("GET", "/_shutdown/status", "Sec-Fetch-Site: cross-site\r\n",
	      out, sizeof(out));
	expect_status(out, "200", "server is not shutting down.");
	// The same origin may, with POST, and so may a client that is not
	// a browser (no Origin, no Sec-Fetch-Site), with GET as before.
	(void) snprintf(origin, sizeof(origin),
	                "Origin: http://127.0.0.1:%d\r\n"
	                "Sec-Fetch-Site: same-origin\r\n",
	                node.port);
	admin("POST", "/_shutdown", origin, out, sizeof(out));
	expect_status(out, "200", "shutting down.");
	admin("POST", "/_shutdown/stop", "", out, sizeof(out));
	expect_status(out, "200", "server is no longer shutting down.");
	admin("GET", "/_shutdown/start", "", out, sizeof(out));
	expect_status(out, "200", "shutting down.");
	admin("GET", "/_shutdown/stop", "", out, sizeof(out));
	expect_status(out, "200", "server is no longer shutting down.");
	// POST changes nothing elsewhere; HEAD never changes state.
	admin("POST", "/_health", "", out, sizeof(out));
	expect_status(out, "405", "Allow: GET, HEAD");
	admin("POST", "/_shutdown/status", "", out, sizeof(out));
	expect_status(out, "405", "Allow: GET, HEAD");
	admin("HEAD", "/_shutdown", "", out, sizeof(out));
	expect_status(out, "405", "Allow: GET, POST");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_cross_site),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
