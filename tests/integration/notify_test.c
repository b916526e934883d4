// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/notify_test.c -- blobbyd as a Type=notify service: the
// test plays systemd's part, an AF_UNIX datagram socket named by
// $NOTIFY_SOCKET, and checks READY=1 once the ports answer, RELOADING=1
// (with MONOTONIC_USEC=) then READY=1 around a SIGHUP, and STOPPING=1 on
// SIGTERM.
#define _XOPEN_SOURCE 700 // mkdtemp
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 30000 // for one message, on a loaded machine

static const char conf_text[] =
    "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
    "[namespace.a]\ndirectory = @DIR@/data\nreplicas = 0\n"
    "archive = dir\narchive_directory = @DIR@/archive\n";

// next_msg waits up to WAIT_MS for one datagram on fd and returns it in
// buf (NUL-terminated); fails the test on a timeout.
static void
next_msg(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t       n;

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	n = recv(fd, buf, cap - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void
test_notify(void **state)
{
	struct sockaddr_un sa;
	char               path[300];
	char               msg[1024];
	int                fd;
	int                c;
	bbt_node           n;

	(void) state;
	bbt_node_init(&n);
	bbt_fmt(path, sizeof(path), "%s/notify", n.dir);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	bbt_node_start(&n, conf_text);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);

	next_msg(fd, msg, sizeof(msg));
	assert_non_null(strstr(msg, "READY=1"));
	assert_non_null(strstr(msg, "STATUS=serving"));
	// READY=1 came after both ports were open.
	c = bbt_connect(n.port);
	assert_true(c >= 0);
	(void) close(c);
	c = bbt_connect(n.rpc_port);
	assert_true(c >= 0);
	(void) close(c);

	assert_int_equal(kill(n.pid, SIGHUP), 0);
	next_msg(fd, msg, sizeof(msg));
	assert_non_null(strstr(msg, "RELOADING=1"));
	assert_non_null(strstr(msg, "MONOTONIC_USEC="));
	next_msg(fd, msg, sizeof(msg));
	assert_non_null(strstr(msg, "READY=1"));

	assert_int_equal(kill(n.pid, SIGTERM), 0);
	next_msg(fd, msg, sizeof(msg));
	assert_non_null(strstr(msg, "STOPPING=1"));
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	(void) close(fd);
	bbt_node_cleanup(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
