// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/slow_test.c -- the phase deadlines of connections
// (gateway/conn.c) against a real blobbyd: a request head or body that
// trickles in, and a kept-alive connection left idle, are cut off; a busy
// client never is.
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include "tests/integration/access_fixture.h"

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
	double  bytes = metric("blobby_inserted_bytes_total{bb_namespace="
	                        "\"test\"}");
	int64_t t0, ms;
	int     fd;

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
	assert_true(
	    metric("blobby_inserted_bytes_total{bb_namespace=\"test\"}") ==
	    bytes);
	assert_true(metric("blobby_primary_insert_failures_total{bb_namespace="
	                   "\"test\"}") == 0);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_head_cut),
		cmocka_unit_test(test_slow_body_cut),
		cmocka_unit_test(test_idle_cut),
		cmocka_unit_test(test_busy_client_kept),
	};
	int rc;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("slow", tests, slow_setup,
	                                 slow_teardown);
	curl_global_cleanup();
	return rc;
}
