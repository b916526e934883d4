// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/stall_test.c -- clients that stall or send slowly
// must not block inserts of others into the same namespace, and a large
// upload must not grow the node's memory with its size.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"

#define STALLED     24
#define INSERTS     20
#define LIVENESS_MS 10000 // far above a normal insert, far below timeouts

// Two HTTP threads only: more stalled clients than threads shows that a
// stalled client does not hold a thread either.
static const char conf_text[] = "machine_id = 3\n"
                                "[log]\n"
                                "file = @DIR@/blobbyd.log\n"
                                "[server]\n"
                                "addr = 127.0.0.1\n"
                                "port = 0\n"
                                "rpc_port = 0\n"
                                "threads = 2\n"
                                "read_timeout = 2m\n"
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

static void
send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t     w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		assert_true(w > 0);
		p += w;
		n -= (size_t) w;
	}
}

// read_status reads a response head from fd (10 s at most) and returns
// its status code; the body, if any, is left to be read into body.
static int
read_response(int fd, char *body, size_t cap)
{
	char          buf[4096];
	size_t        used   = 0;
	int64_t       end    = bbt_now_ms() + 10000;
	struct pollfd p      = { .fd = fd, .events = POLLIN };
	int           status = -1;
	ssize_t       r;
	char         *eoh;

	while (bbt_now_ms() < end && used < sizeof(buf) - 1) {
		if (poll(&p, 1, 100) <= 0) {
			continue;
		}
		r = recv(fd, buf + used, sizeof(buf) - 1 - used, 0);
		if (r <= 0) {
			break;
		}
		used += (size_t) r;
		buf[used] = '\0';
		eoh       = strstr(buf, "\r\n\r\n");
		if (eoh != NULL && strstr(buf, "Content-Length: ") != NULL) {
			size_t clen = strtoul(
			    strstr(buf, "Content-Length: ") + 16, NULL, 10);
			if (used - (size_t) (eoh + 4 - buf) >= clen) {
				(void) snprintf(body, cap, "%.*s", (int) clen,
				                eoh + 4);
				break;
			}
		}
	}
	(void) sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

static void
test_stalled_clients_do_not_block(void **state)
{
	static const char head[] = "POST /test HTTP/1.1\r\nHost: t\r\n"
	                           "Content-Length: 100\r\n\r\n0123456789";
	int               fds[STALLED];
	char              url[256];
	char              data[3000];
	char              id[64];
	bbt_resp          r;
	int64_t           t0;
	int               i;

	(void) state;
	for (i = 0; i < STALLED; i++) {
		fds[i] = bbt_connect(node.port);
		assert_true(fds[i] >= 0);
		if (i % 3 == 0) {
			// Stalled inside the request head.
			send_all(fds[i], "POST /test HTTP/1.1\r\nHo", 23);
		} else {
			// Stalled inside the body: 10 of 100 bytes sent.
			send_all(fds[i], head, sizeof(head) - 1);
		}
	}
	bbt_sleep_ms(200); // let the node read what was sent

	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	for (i = 0; i < INSERTS; i++) {
		bbt_fill(data, sizeof(data), (unsigned) i);
		t0 = bbt_now_ms();
		assert_int_equal(bbt_http("POST", url, data, sizeof(data), &r),
		                 200);
		assert_true(bbt_now_ms() - t0 < LIVENESS_MS);
		bbt_resp_free(&r);
	}

	// A stalled client that resumes completes its insert normally.
	send_all(fds[1],
	         "0123456789012345678901234567890123456789"
	         "01234567890123456789012345678901234567890123456789",
	         90);
	memset(id, 0, sizeof(id));
	assert_int_equal(read_response(fds[1], id, sizeof(id)), 200);
	assert_int_equal(strlen(id), 24);
	(void) snprintf(url, sizeof(url), "%s/test/%s", node.url, id);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_int_equal(r.len, 100);
	assert_memory_equal(r.body, "0123456789", 10);
	bbt_resp_free(&r);
	for (i = 0; i < STALLED; i++) {
		(void) close(fds[i]);
	}
}

// rss_kib reads the resident set size of the node from /proc.
static long
rss_kib(void)
{
	char  path[64];
	char  line[256];
	long  kib = -1;
	FILE *f;

	(void) snprintf(path, sizeof(path), "/proc/%d/status", (int) node.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
			break;
		}
	}
	(void) fclose(f);
	return kib;
}

static void
test_large_upload_memory_is_bounded(void **state)
{
	static const char head[] = "POST /test HTTP/1.1\r\nHost: t\r\n"
	                           "Content-Length: 900000000\r\n\r\n";
	char             *chunk;
	long              before;
	long              after;
	int               fd;
	int               i;
	bbt_resp          r;
	char              url[256];

	(void) state;
	chunk = malloc(1 << 20);
	assert_non_null(chunk);
	bbt_fill(chunk, 1 << 20, 42);
	before = rss_kib();
	fd     = bbt_connect(node.port);
	assert_true(fd >= 0);
	send_all(fd, head, sizeof(head) - 1);
	for (i = 0; i < 64; i++) {
		send_all(fd, chunk, 1 << 20);
	}
	bbt_sleep_ms(300);
	after = rss_kib();
	print_message("rss before %ld KiB, after 64 MiB of body %ld KiB\n",
	              before, after);
	// The body is spooled to a file: memory must not follow its size.
	assert_true(after - before < 16 * 1024);
	(void) close(fd); // abandon the upload mid-way

	(void) snprintf(url, sizeof(url), "%s/test", node.url);
	assert_int_equal(bbt_http("POST", url, "after", 5, &r), 200);
	bbt_resp_free(&r);
	free(chunk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_clients_do_not_block),
		cmocka_unit_test(test_large_upload_memory_is_bounded),
	};
	int rc;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
