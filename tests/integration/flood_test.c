// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/flood_test.c -- floods of idle connections from one
// address against a real blobbyd (issue 12, findings 2 and 3): on HTTP,
// max_connections_per_address refuses the connections beyond it and
// /_health still answers; on tls+tcp RPC, connections that never send a
// ClientHello are closed after rpc_handshake_timeout, those beyond
// rpc_max_handshakes_per_address at once, and the pipes of a real peer
// are left alone; over plain TCP the same, with rpc_max_handshakes.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"
#include "tests/tmpdir.h"

#define FLOOD_MAX 30 // idle connections opened by a test

static char pki[64]; // the certificates of the TLS test

// is_closed says whether the server closed fd (end of file or reset)
// within ms.  What it sent is read and dropped: NNG sends its 8-byte
// protocol header unasked over plain TCP.
static bool
is_closed(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char          buf[64];
	ssize_t       n;

	if (poll(&p, 1, ms) <= 0) {
		return false;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0) {
			return true;
		}
		if (n < 0) {
			return errno != EAGAIN && errno != EWOULDBLOCK;
		}
	}
}

// count_closed polls fds[0..n) until want of them are closed or ms pass;
// closed[i] is set for each closed one.  Returns how many are closed.
static int
count_closed(const int *fds, int n, bool *closed, int want, int ms)
{
	int64_t end = bbt_now_ms() + ms;
	int     i, k;

	for (;;) {
		k = 0;
		for (i = 0; i < n; i++) {
			if (!closed[i]) {
				closed[i] = is_closed(fds[i], 0);
			}
			k += closed[i];
		}
		if (k >= want || bbt_now_ms() >= end) {
			return k;
		}
		bbt_sleep_ms(50);
	}
}

// connect_from opens a TCP connection from 127.0.0.<host> to
// 127.0.0.1:port (-1 on error): a flood from an address other than the
// probe's.
static int
connect_from(int host, int port)
{
	struct sockaddr_in sa;
	int                fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000000 | (uint32_t) host);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		(void) close(fd);
		return -1;
	}
	sa.sin_port        = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		(void) close(fd);
		return -1;
	}
	return fd;
}

// raw_get sends GET path on a new connection to port and returns the
// status of the answer, or -1 if none came within ms (the test's own
// bound, where curl would wait a minute).
static int
raw_get(int port, const char *path, int ms)
{
	struct pollfd p;
	char          buf[256];
	int64_t       end  = bbt_now_ms() + ms;
	size_t        used = 0;
	ssize_t       n;
	int           fd, status = -1, left;

	fd = bbt_connect(port);
	if (fd < 0) {
		return -1;
	}
	(void) snprintf(buf, sizeof(buf),
	                "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                "Connection: close\r\n\r\n",
	                path);
	if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) !=
	    (ssize_t) strlen(buf)) {
		(void) close(fd);
		return -1;
	}
	p.fd     = fd;
	p.events = POLLIN;
	while (used < 12) {
		left = (int) (end - bbt_now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0) {
			break;
		}
		n = recv(fd, buf + used, sizeof(buf) - 1 - used, 0);
		if (n <= 0) {
			break;
		}
		used += (size_t) n;
	}
	buf[used] = '\0';
	if (used >= 12 && strncmp(buf, "HTTP/1.", 7) == 0) {
		status = atoi(buf + 9);
	}
	(void) close(fd);
	return status;
}

// An HTTP node with few slots: 20 in all, 8 per address, and a head
// deadline far beyond the test, so that only the per-address limit can
// free a slot.
static const char http_conf[] =
    "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
    "max_connections = 20\nmax_connections_per_address = 8\n"
    "read_header_timeout = 1m\nread_timeout = 1m\n"
    "[namespace.test]\ndirectory = @DIR@/test\nreplicas = 0\n"
    "archive = dir\narchive_directory = @DIR@/archive\n";

// Finding 3: 30 idle connections from 127.0.0.2 hold 8 slots; the others
// are closed at once, and /_health from 127.0.0.1 answers (without the
// limit, 20 held every slot and the probe waited in the listen queue for
// the minute of the head deadline).
static void
test_http_flood_one_address(void **state)
{
	bbt_node n;
	int      fds[FLOOD_MAX];
	bool     closed[FLOOD_MAX];
	int      i, k, st;
	int64_t  t0;

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n, http_conf);
	for (i = 0; i < FLOOD_MAX; i++) {
		fds[i] = connect_from(2, n.port);
		assert_true(fds[i] >= 0);
		closed[i] = false;
	}
	k  = count_closed(fds, FLOOD_MAX, closed, FLOOD_MAX - 8, 5000);
	t0 = bbt_now_ms();
	st = raw_get(n.port, "/_health", 5000);
	print_message("http: %d of %d idle connections refused; /_health "
	              "%d after %lld ms\n",
	              k, FLOOD_MAX, st, (long long) (bbt_now_ms() - t0));
	assert_int_equal(st, 200);
	assert_int_equal(k, FLOOD_MAX - 8);
	// The 8 held are still open: refused are only those beyond.
	assert_int_equal(count_closed(fds, FLOOD_MAX, closed, FLOOD_MAX, 0),
	                 FLOOD_MAX - 8);
	for (i = 0; i < FLOOD_MAX; i++) {
		(void) close(fds[i]);
	}
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

// tls_conf: a node of a TLS pair, with a handshake deadline of 1 s and
// at most 8 handshakes at once from one address.
static void
tls_conf(char *buf, size_t cap, int id, int port, int peer_id, int peer_port)
{
	bbt_fmt(buf, cap,
	        "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
	        "[client]\ntimeout = 5s\n"
	        "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n"
	        "rpc_handshake_timeout = 1s\n"
	        "rpc_max_handshakes_per_address = 8\n"
	        "rpc_tls = true\nrpc_tls_certificate_file = %s/n%d.crt\n"
	        "rpc_tls_private_key_file = %s/n%d.key\n"
	        "rpc_tls_ca_file = %s/ca.crt\n"
	        "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n"
	        "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = 1\n"
	        "archive = dir\narchive_directory = @DIR@/archive\n",
	        id, port, pki, id, pki, id, pki, peer_id, peer_port);
}

static long
post(const bbt_node *n, const char *body)
{
	char     url[256];
	bbt_resp r;
	long     st;

	bbt_fmt(url, sizeof(url), "%s/rep", n->url);
	st = bbt_http("POST", url, body, strlen(body), &r);
	bbt_resp_free(&r);
	return st;
}

// Finding 2: 20 connections to node 2's tls+tcp port that never send a
// byte: 12 are closed at once (8 per address), the other 8 after the 1 s
// deadline (without the guard, all 20 stayed open).  Node 1's pipes,
// admitted long before, are not touched.
static void
test_rpc_tls_handshake_deadline(void **state)
{
	bbt_node a, b;
	char     conf[4096];
	int      fds[20];
	bool     closed[20];
	int      pa = bbt_free_port();
	int      pb = bbt_free_port();
	int      i, k;
	int64_t  t0, end, ms;

	(void) state;
	bbt_pki_ca(pki, "ca");
	bbt_pki_node(pki, "n1", "ca");
	bbt_pki_node(pki, "n2", "ca");
	bbt_node_init(&a);
	bbt_node_init(&b);
	tls_conf(conf, sizeof(conf), 1, pa, 2, pb);
	bbt_node_start(&a, conf);
	tls_conf(conf, sizeof(conf), 2, pb, 1, pa);
	bbt_node_start(&b, conf);
	end = bbt_now_ms() + 30000;
	while (post(&a, "ready") != 200) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	// Established pipes live on past the deadline.
	bbt_sleep_ms(2000);
	assert_int_equal(post(&a, "still replicated"), 200);
	assert_false(bbt_log_has(&b, "did not complete their handshake", 0));

	t0 = bbt_now_ms();
	for (i = 0; i < 20; i++) {
		fds[i] = bbt_connect(b.rpc_port);
		assert_true(fds[i] >= 0);
		closed[i] = false;
	}
	k = count_closed(fds, 20, closed, 12, 3000);
	print_message("rpc: %d of 20 closed within %lld ms\n", k,
	              (long long) (bbt_now_ms() - t0));
	assert_true(k >= 12);
	k  = count_closed(fds, 20, closed, 20, 8000);
	ms = bbt_now_ms() - t0;
	print_message("rpc: all %d closed after %lld ms\n", k, (long long) ms);
	assert_int_equal(k, 20);
	assert_true(ms >= 900); // the last 8 waited for the deadline
	for (i = 0; i < 20; i++) {
		(void) close(fds[i]);
	}
	assert_true(bbt_log_has(&b, "did not complete their handshake", 5000));
	// The pair goes on.
	assert_int_equal(post(&a, "after the flood"), 200);
	assert_int_equal(bbt_node_stop(&a, SIGTERM), 0);
	assert_int_equal(bbt_node_stop(&b, SIGTERM), 0);
	bbt_node_cleanup(&a);
	bbt_node_cleanup(&b);
}

// The same guard over plain TCP, from three addresses: 12 silent
// connections (NNG's header exchange never finishes), at most 3 kept
// per address and 5 in all, the oldest cut first; the 5 left go at the
// deadline.  Without the guard NNG cut them after its own 10 s.
static void
test_rpc_tcp_handshake_limits(void **state)
{
	bbt_node n;
	int      fds[12];
	bool     closed[12];
	int      i, k;
	int64_t  t0, ms;

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n,
	               "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
	               "[server]\naddr = 127.0.0.1\nport = 0\n"
	               "rpc_port = 0\nrpc_handshake_timeout = 1s\n"
	               "rpc_max_handshakes = 5\n"
	               "rpc_max_handshakes_per_address = 3\n"
	               "[namespace.test]\ndirectory = @DIR@/test\n"
	               "replicas = 0\narchive = dir\n"
	               "archive_directory = @DIR@/archive\n");
	t0 = bbt_now_ms();
	for (i = 0; i < 12; i++) {
		fds[i] = connect_from(2 + i % 3, n.rpc_port);
		assert_true(fds[i] >= 0);
		closed[i] = false;
	}
	k = count_closed(fds, 12, closed, 7, 3000);
	print_message("rpc tcp: %d of 12 closed within %lld ms\n", k,
	              (long long) (bbt_now_ms() - t0));
	assert_true(k >= 7);
	k  = count_closed(fds, 12, closed, 12, 8000);
	ms = bbt_now_ms() - t0;
	print_message("rpc tcp: all %d closed after %lld ms\n", k,
	              (long long) ms);
	assert_int_equal(k, 12);
	assert_true(ms >= 900 && ms < 9000);
	for (i = 0; i < 12; i++) {
		(void) close(fds[i]);
	}
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

// open_fds counts the descriptors process pid has open.
static int
open_fds(pid_t pid)
{
	char           path[64];
	DIR           *d;
	struct dirent *de;
	int            n = 0;

	bbt_fmt(path, sizeof(path), "/proc/%d/fd", (int) pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		n += de->d_name[0] != '.';
	}
	(void) closedir(d);
	return n;
}

#define EXHAUST_FDS   128 // the node's descriptor limit in this test
#define EXHAUST_FLOOD 150 // silent connections: more than it has left

// Finding 2 as reported: a flood of silent tls+tcp connections from one
// address takes every descriptor the node has (here 128), so that HTTP
// cannot accept.  The guard, which needs no new descriptor to work,
// cuts all but rpc_max_handshakes_per_address of them and /_health
// answers again; without it the node stays out of descriptors for good.
static void
test_rpc_descriptor_exhaustion(void **state)
{
	struct rlimit lim, low;
	bbt_node      n;
	char          conf[2048];
	int           fds[EXHAUST_FLOOD];
	bool          closed[EXHAUST_FLOOD];
	int           i, k, st, base;
	int64_t       t0;

	(void) state;
	bbt_pki_ca(pki, "ca");
	bbt_pki_node(pki, "n1", "ca");
	bbt_fmt(conf, sizeof(conf),
	        "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
	        "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
	        "rpc_handshake_timeout = 1m\n"
	        "rpc_max_handshakes_per_address = 16\n"
	        "rpc_tls = true\nrpc_tls_certificate_file = %s/n1.crt\n"
	        "rpc_tls_private_key_file = %s/n1.key\n"
	        "rpc_tls_ca_file = %s/ca.crt\n"
	        "[namespace.test]\ndirectory = @DIR@/test\nreplicas = 0\n"
	        "archive = dir\narchive_directory = @DIR@/archive\n",
	        pki, pki, pki);
	// The node inherits the low limit; the test keeps its own.
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	low          = lim;
	low.rlim_cur = EXHAUST_FDS;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	bbt_node_init(&n);
	bbt_node_start(&n, conf);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	base = open_fds(n.pid);
	print_message("rpc: the node has %d descriptors open of %d\n", base,
	              EXHAUST_FDS);
	assert_true(base + EXHAUST_FLOOD > EXHAUST_FDS + 16);

	t0 = bbt_now_ms();
	for (i = 0; i < EXHAUST_FLOOD; i++) {
		fds[i] = connect_from(2, n.rpc_port);
		assert_true(fds[i] >= 0);
		closed[i] = false;
	}
	k = count_closed(fds, EXHAUST_FLOOD, closed, EXHAUST_FLOOD - 16, 4000);
	st = raw_get(n.port, "/_health", 4000);
	print_message("rpc: %d of %d closed, /_health %d, after %lld ms\n", k,
	              EXHAUST_FLOOD, st, (long long) (bbt_now_ms() - t0));
	assert_int_equal(st, 200);
	assert_int_equal(k, EXHAUST_FLOOD - 16);
	assert_true(bbt_log_has(&n, "did not complete their handshake", 0));
	for (i = 0; i < EXHAUST_FLOOD; i++) {
		(void) close(fds[i]);
	}
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_flood_one_address),
		cmocka_unit_test(test_rpc_tls_handshake_deadline),
		cmocka_unit_test(test_rpc_tcp_handshake_limits),
		cmocka_unit_test(test_rpc_descriptor_exhaustion),
	};
	int rv;

	(void) snprintf(pki, sizeof(pki), "/tmp/bb_flood_test.XXXXXX");
	if (mkdtemp(pki) == NULL) {
		return 1;
	}
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	bbt_rmtree(pki);
	return rv;
}
