// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/conn_test.c -- the connection table (gateway/conn.c): the
// head, body and idle deadlines with times of the test's own on socket
// pairs, a busy connection never cut, records removed; then the table
// behind a real libmicrohttpd daemon on 127.0.0.1:0: a stalled head cut
// by the sweeper, a slow handler not cut, records gone once connections
// close, and the drain headers found through the connection.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "gateway/gateway_impl.h"
#include "tests/clock.h"

#define HEAD_NS 100
#define BODY_NS 1000
#define IDLE_NS 500

// A socket pair: the table holds sv[0]; sv[1] sees it shut down.
typedef struct pair {
	int sv[2];
} pair;

static void
pair_open(pair *p)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->sv), 0);
}

static void
pair_close(pair *p)
{
	(void) close(p->sv[0]);
	(void) close(p->sv[1]);
}

// pair_cut says whether sv[0] was shut down: its peer reads end-of-file
// at once, where an open pair has nothing to read.
static bool
pair_cut(pair *p)
{
	char    c;
	ssize_t n = recv(p->sv[1], &c, 1, MSG_DONTWAIT);

	if (n < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return false;
	}
	assert_int_equal(n, 0);
	return true;
}

static gw__conns *
table(void)
{
	gw__conns *t = NULL;

	assert_int_equal(gw__conns_new(HEAD_NS, BODY_NS, IDLE_NS, NULL, &t),
	                 BB_OK);
	return t;
}

static void
test_head_deadline(void **state)
{
	gw__conns *t = table();
	gw__conn  *c;
	pair       p;

	(void) state;
	pair_open(&p);
	c = gw__conns_add(t, p.sv[0], 1000);
	assert_non_null(c);
	assert_int_equal(gw__conns_count(t), 1);
	assert_int_equal(gw__conns_sweep(t, 1000 + HEAD_NS - 1), 0);
	assert_false(pair_cut(&p));
	assert_int_equal(gw__conns_sweep(t, 1000 + HEAD_NS), 1);
	assert_true(pair_cut(&p));
	// Cut once: a later sweep leaves it alone (libmicrohttpd closes it).
	assert_int_equal(gw__conns_sweep(t, 1000 + 10 * HEAD_NS), 0);
	assert_int_equal(gw__conns_count(t), 1);
	gw__conns_remove(t, c);
	assert_int_equal(gw__conns_count(t), 0);
	gw__conns_stop(t);
	pair_close(&p);
}

static void
test_body_and_idle_deadlines(void **state)
{
	gw__conns *t = table();
	gw__conn  *body;
	gw__conn  *idle;
	pair       pb;
	pair       pi;

	(void) state;
	pair_open(&pb);
	pair_open(&pi);
	body = gw__conns_add(t, pb.sv[0], 0);
	idle = gw__conns_add(t, pi.sv[0], 0);
	// The head came in time; each connection enters its next phase.
	gw__conns_enter(t, body, GW__PHASE_BODY, 50);
	gw__conns_enter(t, idle, GW__PHASE_IDLE, 60);
	// Past the head deadline: neither is cut, the phase moved it.
	assert_int_equal(gw__conns_sweep(t, 60 + IDLE_NS - 1), 0);
	assert_false(pair_cut(&pi));
	assert_int_equal(gw__conns_sweep(t, 60 + IDLE_NS), 1);
	assert_true(pair_cut(&pi));
	assert_false(pair_cut(&pb));
	assert_int_equal(gw__conns_sweep(t, 50 + BODY_NS - 1), 0);
	assert_int_equal(gw__conns_sweep(t, 50 + BODY_NS), 1);
	assert_true(pair_cut(&pb));
	gw__conns_remove(t, body);
	gw__conns_remove(t, idle);
	gw__conns_stop(t);
	pair_close(&pb);
	pair_close(&pi);
}

static void
test_busy_never_cut(void **state)
{
	gw__conns *t = table();
	gw__conn  *c;
	pair       p;

	(void) state;
	pair_open(&p);
	c = gw__conns_add(t, p.sv[0], 0);
	gw__conns_enter(t, c, GW__PHASE_BUSY, 10);
	assert_int_equal(gw__conns_sweep(t, INT64_MAX - 1), 0);
	assert_false(pair_cut(&p));
	// Answered: kept alive, it has idle_timeout again.
	gw__conns_enter(t, c, GW__PHASE_IDLE, 1000);
	assert_int_equal(gw__conns_sweep(t, 1000 + IDLE_NS), 1);
	assert_true(pair_cut(&p));
	gw__conns_remove(t, c);
	gw__conns_stop(t);
	pair_close(&p);
}

static void
test_remove(void **state)
{
	gw__conns *t = table();
	gw__conn  *c[3];
	pair       p[3];
	int        i;

	(void) state;
	for (i = 0; i < 3; i++) {
		pair_open(&p[i]);
		c[i] = gw__conns_add(t, p[i].sv[0], 0);
	}
	assert_int_equal(gw__conns_count(t), 3);
	gw__conns_remove(t, c[1]);
	gw__conns_remove(t, NULL); // no-op
	assert_int_equal(gw__conns_count(t), 2);
	// A removed connection is never swept again.
	assert_int_equal(gw__conns_sweep(t, HEAD_NS), 2);
	assert_false(pair_cut(&p[1]));
	gw__conns_remove(t, c[0]);
	assert_int_equal(gw__conns_count(t), 1);
	// Stop frees what is left (c[2]); the sanitizers see any leak.
	gw__conns_stop(t);
	gw__conns_stop(NULL);
	for (i = 0; i < 3; i++) {
		pair_close(&p[i]);
	}
}

// The last slots are kept for loopback: once max - reserve connections
// are open, only loopback clients get one; at most a quarter is kept.
static void
test_loopback_reserve(void **state)
{
	gw__conns         *t = table();
	gw__conn          *c[8];
	struct sockaddr_in sa;
	pair               p[8];
	int                i;

	(void) state;
	assert_true(gw__conns_admit(t, false)); // no reserve: no limit
	gw__conns_reserve(t, 8, 2);
	for (i = 0; i < 8; i++) {
		pair_open(&p[i]);
	}
	for (i = 0; i < 6; i++) {
		assert_true(gw__conns_admit(t, false));
		c[i] = gw__conns_add(t, p[i].sv[0], 0);
	}
	assert_false(gw__conns_admit(t, false));
	assert_true(gw__conns_admit(t, true));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(0x0a000001); // 10.0.0.1
	assert_int_equal(
	    gw__conns_accept(t, (struct sockaddr *) &sa, sizeof(sa)), MHD_NO);
	sa.sin_addr.s_addr = htonl(0x7f000002); // 127.0.0.2
	assert_int_equal(
	    gw__conns_accept(t, (struct sockaddr *) &sa, sizeof(sa)), MHD_YES);
	gw__conns_remove(t, c[0]);
	assert_true(gw__conns_admit(t, false));
	// A reserve of 16 out of 8 is cut to 2: 6 remote clients.
	gw__conns_reserve(t, 8, 16);
	c[0] = gw__conns_add(t, p[0].sv[0], 0);
	assert_false(gw__conns_admit(t, false));
	gw__conns_stop(t);
	for (i = 0; i < 8; i++) {
		pair_close(&p[i]);
	}
}

// --- Behind a real daemon. ---

#define MHD_HEAD_NS (300 * BB_NS_PER_MS)

typedef struct server {
	gw__drain          drain;
	gw__conns         *conns;
	struct MHD_Daemon *mhd;
	uint16_t           port;
} server;

static int read_marker;

// on_request answers GET /fast at once and GET /slow after a second,
// longer than the head deadline: a busy connection must not be cut.
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *data,
           size_t *size, void **con_cls)
{
	server *s = cls;

	(void) method;
	(void) version;
	(void) data;
	(void) size;
	if (*con_cls == NULL) {
		gw__conns_phase(s->conns, conn, GW__PHASE_BUSY);
		*con_cls = &read_marker;
		return MHD_YES;
	}
	if (strcmp(url, "/slow") == 0) {
		bb_clock_sleep_ns(BB_NS_PER_SEC);
	}
	if (strncmp(url, "/err/", 5) == 0) {
		return gw__reply_err(conn, (bb_err) atoi(url + 5));
	}
	return gw__reply(conn, MHD_HTTP_OK, "ok");
}

static void
server_start(server *s)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in          sin;

	memset(s, 0, sizeof(*s));
	gw__drain_init(&s->drain, NULL, NULL);
	assert_int_equal(gw__conns_start(MHD_HEAD_NS, 5 * BB_NS_PER_SEC,
	                                 5 * BB_NS_PER_SEC, &s->drain,
	                                 &s->conns),
	                 BB_OK);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family      = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
	                          NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	                          (struct sockaddr *) &sin,
	                          MHD_OPTION_NOTIFY_CONNECTION,
	                          gw__conns_notify, s->conns, MHD_OPTION_END);
	assert_non_null(s->mhd);
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
}

static void
server_stop(server *s)
{
	MHD_stop_daemon(s->mhd);
	gw__conns_stop(s->conns);
	gw__drain_fini(&s->drain);
}

static int
dial(uint16_t port)
{
	struct sockaddr_in sin;
	int                fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family      = AF_INET;
	sin.sin_port        = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &sin, sizeof(sin)),
	                 0);
	return fd;
}

// read_all reads fd until end-of-file into buf (NUL-terminated) and
// returns the bytes read; fails the test after timeout_ms.
static size_t
read_all(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd      = { .fd = fd, .events = POLLIN };
	int64_t       deadline = bbt_now_ms() + timeout_ms;
	size_t        got      = 0;
	ssize_t       n;

	for (;;) {
		int left = (int) (deadline - bbt_now_ms());
		assert_true(left > 0);
		if (poll(&pfd, 1, left) <= 0) {
			continue;
		}
		n = recv(fd, buf + got, len - 1 - got, 0);
		if (n <= 0) {
			break; // end-of-file, or reset by a cut
		}
		got += (size_t) n;
		assert_true(got < len - 1);
	}
	buf[got] = '\0';
	return got;
}

// get sends a whole request for path and returns the response.
static void
get(server *s, const char *path, char *buf, size_t len)
{
	char req[128];
	int  fd = dial(s->port);
	int  n;

	n = snprintf(req, sizeof(req),
	             "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	             path);
	assert_int_equal(send(fd, req, (size_t) n, 0), n);
	(void) read_all(fd, buf, len, 5000);
	(void) close(fd);
}

// wait_empty waits until every connection has left the table.
static void
wait_empty(server *s)
{
	int64_t deadline = bbt_now_ms() + 5000;

	while (gw__conns_count(s->conns) > 0) {
		assert_true(bbt_now_ms() < deadline);
		bb_clock_sleep_ns(10 * BB_NS_PER_MS);
	}
}

static void
test_daemon_drain_headers(void **state)
{
	server s;
	char   resp[4096];

	(void) state;
	server_start(&s);
	get(&s, "/fast", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_null(strstr(resp, "Shutting-Down"));
	wait_empty(&s);
	// Drain mode reaches the response through the connection's record,
	// whatever thread queues it.
	assert_false(gw__drain_set(&s.drain, true));
	get(&s, "/fast", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "Shutting-Down: true"));
	assert_true(gw__drain_set(&s.drain, false));
	wait_empty(&s);
	server_stop(&s);
}

// What a storage error answers (gw__reply_err, gateway/reply.c): the
// status a client and a load balancer act on, and one line.  A failed
// replication (both tries) is 503: nothing was acknowledged, and a later
// try may find healthy peers.
static void
test_daemon_error_replies(void **state)
{
	static const struct {
		bb_err      err;
		const char *status;
	} cases[] = {
		{ BB_ETOOBIG, "HTTP/1.1 413" },
		{ BB_EBUSY, "HTTP/1.1 503" },
		{ BB_ETIMEDOUT, "HTTP/1.1 503" },
		{ BB_EUNAVAIL, "HTTP/1.1 503" },
		{ BB_ESHUTDOWN, "HTTP/1.1 503" },
		{ BB_EREMOTE, "HTTP/1.1 503" },
		{ BB_ENOSPC, "HTTP/1.1 507" },
		{ BB_EIO, "HTTP/1.1 500" },
	};
	server s;
	char   path[32];
	char   resp[4096];
	size_t i;

	(void) state;
	server_start(&s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void) snprintf(path, sizeof(path), "/err/%d",
		                (int) cases[i].err);
		get(&s, path, resp, sizeof(resp));
		if (strncmp(resp, cases[i].status, strlen(cases[i].status)) !=
		    0) {
			fail_msg("%s: %.40s", bb_err_name(cases[i].err), resp);
		}
	}
	wait_empty(&s);
	server_stop(&s);
}

static void
test_daemon_deadlines(void **state)
{
	static const char part[] = "GET /fast HTTP/1.1\r\n";
	server            s;
	char              resp[4096];
	int64_t           t0;
	int               fd;

	(void) state;
	server_start(&s);
	// A head that never ends is cut after the head deadline.
	fd = dial(s.port);
	assert_int_equal(send(fd, part, sizeof(part) - 1, 0),
	                 (ssize_t) sizeof(part) - 1);
	t0 = bbt_now_ms();
	assert_int_equal(read_all(fd, resp, sizeof(resp), 5000), 0);
	assert_true(bbt_now_ms() - t0 >= 250);
	(void) close(fd);
	wait_empty(&s);
	// A handler slower than the head deadline is busy, not late.
	get(&s, "/slow", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "\r\n\r\nok\n"));
	wait_empty(&s);
	server_stop(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_deadline),
		cmocka_unit_test(test_body_and_idle_deadlines),
		cmocka_unit_test(test_busy_never_cut),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_loopback_reserve),
		cmocka_unit_test(test_daemon_drain_headers),
		cmocka_unit_test(test_daemon_error_replies),
		cmocka_unit_test(test_daemon_deadlines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
