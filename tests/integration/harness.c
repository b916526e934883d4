// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/harness.c -- the blobbyd processes of the integration
// tests: a node's directory and configuration, starting it and reading
// its ports back from its ready line, stopping it (and killing what a
// failed test left running), and loopback clusters of nodes.
// harness_http.c has the HTTP and socket helpers, harness_files.c files,
// logs and shell commands.
#define _XOPEN_SOURCE 700 // nftw
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
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tests/tmpdir.h"
#include "tests/clock.h"

#define READY_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS  30000

// Every node started and not yet stopped, so that a test that fails
// half-way (cmocka jumps out of it) leaves no blobbyd running.
#define MAX_LIVE 32
static pid_t live[MAX_LIVE];

static void
kill_live(void)
{
	int i;

	for (i = 0; i < MAX_LIVE; i++) {
		if (live[i] > 0) {
			(void) kill(live[i], SIGKILL);
			(void) waitpid(live[i], NULL, 0);
			live[i] = 0;
		}
	}
}

static void
live_set(pid_t old, pid_t pid)
{
	static bool registered;
	int         i;

	if (!registered) {
		(void) atexit(kill_live);
		registered = true;
	}
	for (i = 0; i < MAX_LIVE; i++) {
		if (live[i] == old) {
			live[i] = pid;
			return;
		}
	}
}

void
bbt_node_init(bbt_node *n)
{
	const char *tmp = getenv("TMPDIR");

	memset(n, 0, sizeof(*n));
	n->pid = -1;
	(void) snprintf(n->dir, sizeof(n->dir), "%s/blobbyt-XXXXXX",
	                tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(n->dir));
	(void) snprintf(n->conf, sizeof(n->conf), "%s/blobbyd.conf", n->dir);
}

void
bbt_node_write_conf(const bbt_node *n, const char *text)
{
	FILE       *f = fopen(n->conf, "w");
	const char *p = text;
	const char *at;

	assert_non_null(f);
	while ((at = strstr(p, "@DIR@")) != NULL) {
		(void) fwrite(p, 1, (size_t) (at - p), f);
		(void) fputs(n->dir, f);
		p = at + 5;
	}
	(void) fputs(p, f);
	assert_int_equal(fclose(f), 0);
}

// line_port finds "<key>HOST:PORT" in buf and returns PORT (or -1),
// copying "HOST:PORT" prefixed by scheme into url when url is not NULL.
static int
line_port(const char *buf, const char *key, const char *scheme, char *url,
          size_t urllen)
{
	const char *at = strstr(buf, key);
	const char *colon;
	size_t      n;
	int         port;

	if (at == NULL || strchr(at, '\n') == NULL) {
		return -1;
	}
	at += strlen(key);
	n     = strcspn(at, "\n");
	colon = at + n;
	while (colon > at && *colon != ':') {
		colon--;
	}
	if (*colon != ':' || sscanf(colon + 1, "%d", &port) != 1) {
		return -1;
	}
	if (url != NULL) {
		(void) snprintf(url, urllen, "%s%.*s", scheme, (int) n, at);
	}
	return port;
}

// read_ready reads the child's standard output until the ready line, end
// of file or the timeout.  Returns the HTTP port or -1.
static int
read_ready(int fd, bbt_node *n)
{
	char          buf[2048];
	size_t        used = 0;
	int64_t       end  = bbt_now_ms() + READY_TIMEOUT_MS;
	struct pollfd p    = { .fd = fd, .events = POLLIN };
	ssize_t       r;
	int           port;

	while (bbt_now_ms() < end && used < sizeof(buf) - 1) {
		if (poll(&p, 1, (int) (end - bbt_now_ms())) <= 0) {
			continue;
		}
		r = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (r <= 0) {
			return -1;
		}
		used += (size_t) r;
		buf[used] = '\0';
		port      = line_port(buf, "listening on http://", "http://",
		                      n->url, sizeof(n->url));
		if (port <= 0) {
			port = line_port(buf, "listening on https://",
			                 "https://", n->url, sizeof(n->url));
		}
		if (port > 0) {
			n->rpc_port =
			    line_port(buf, "rpc on tcp://", "", NULL, 0);
			if (n->rpc_port <= 0) {
				n->rpc_port = line_port(
				    buf, "rpc on tls+tcp://", "", NULL, 0);
			}
			return port;
		}
	}
	return -1;
}

int
bbt_node_try_start(bbt_node *n, const char *conf_text, char *errbuf,
                   size_t errlen)
{
	const char *bin = getenv("BLOBBYD");
	int         out[2];
	int         err[2];
	pid_t       pid;
	int         status;
	ssize_t     r;
	size_t      used = 0;

	assert_non_null(bin);
	bbt_node_write_conf(n, conf_text);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void) dup2(out[1], 1);
		if (errbuf != NULL) {
			(void) dup2(err[1], 2);
		}
		(void) close(out[0]);
		(void) close(err[0]);
		(void) execl(bin, bin, "-c", n->conf, (char *) NULL);
		_exit(127);
	}
	(void) close(out[1]);
	(void) close(err[1]);
	n->pid = pid;
	live_set(0, pid);
	n->port = read_ready(out[0], n);
	(void) close(out[0]);
	if (n->port > 0) {
		(void) close(err[0]);
		return -1;
	}
	// Not ready: it must have exited; collect what it said.
	if (errbuf != NULL) {
		while (used + 1 < errlen) {
			r = read(err[0], errbuf + used, errlen - 1 - used);
			if (r <= 0) {
				break;
			}
			used += (size_t) r;
		}
		errbuf[used] = '\0';
	}
	(void) close(err[0]);
	status = bbt_node_stop(n, SIGKILL);
	return status;
}

void
bbt_node_start(bbt_node *n, const char *conf_text)
{
	int st = bbt_node_try_start(n, conf_text, NULL, 0);

	if (st != -1) {
		fail_msg("blobbyd did not start (exit status %d)", st);
	}
}

int
bbt_node_stop(bbt_node *n, int sig)
{
	int64_t end = bbt_now_ms() + STOP_TIMEOUT_MS;
	int     status;
	pid_t   r;

	if (n->pid <= 0) {
		return -1;
	}
	(void) kill(n->pid, sig);
	for (;;) {
		r = waitpid(n->pid, &status, WNOHANG);
		if (r == n->pid) {
			break;
		}
		if (bbt_now_ms() > end) {
			(void) kill(n->pid, SIGKILL);
			(void) waitpid(n->pid, &status, 0);
			live_set(n->pid, 0);
			n->pid = -1;
			fail_msg("blobbyd did not stop within %d ms",
			         STOP_TIMEOUT_MS);
		}
		bbt_sleep_ms(10);
	}
	live_set(n->pid, 0);
	n->pid = -1;
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

void
bbt_node_cleanup(bbt_node *n)
{
	if (n->pid > 0) {
		(void) bbt_node_stop(n, SIGKILL);
	}
	if (n->dir[0] != '\0') {
		bbt_rmtree(n->dir);
	}
}

size_t
bbt_conf_peers(char *buf, size_t cap, size_t off, int self, int n,
               const int *rpc_ports)
{
	int j;

	for (j = 0; j < n; j++) {
		if (j == self || off >= cap) {
			continue;
		}
		off += (size_t) snprintf(
		    buf + off, cap - off,
		    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n", j + 1,
		    rpc_ports[j]);
	}
	assert_true(off < cap);
	return off;
}

void
bbt_cluster_init(bbt_cluster *c, int n)
{
	int i;

	assert_true(n > 0 && n <= BBT_CLUSTER_MAX);
	memset(c, 0, sizeof(*c));
	c->n = n;
	for (i = 0; i < n; i++) {
		c->rpc_ports[i] = bbt_free_port();
		bbt_node_init(&c->nodes[i]);
	}
}

size_t
bbt_cluster_conf_head(bbt_cluster *c, int i, const char *client)
{
	char  *buf = c->conf[i];
	size_t cap = sizeof(c->conf[i]);
	size_t off;

	off = (size_t) snprintf(buf, cap,
	                        "machine_id = %d\narchive_retry_initial = "
	                        "100ms\narchive_retry_max = 500ms\n"
	                        "[log]\nfile = @DIR@/blobbyd.log\n",
	                        i + 1);
	if (client != NULL) {
		off += (size_t) snprintf(buf + off, cap - off,
		                         "[client]\n%s\n", client);
	}
	off += (size_t) snprintf(buf + off, cap - off,
	                         "[server]\naddr = 127.0.0.1\nport = 0\n"
	                         "rpc_port = %d\n",
	                         c->rpc_ports[i]);
	return bbt_conf_peers(buf, cap, off, i, c->n, c->rpc_ports);
}

void
bbt_cluster_start(bbt_cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		bbt_node_start(&c->nodes[i], c->conf[i]);
	}
}

void
bbt_cluster_stop(bbt_cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->nodes[i].pid > 0) {
			(void) kill(c->nodes[i].pid, SIGCONT);
			(void) bbt_node_stop(&c->nodes[i], SIGTERM);
		}
		bbt_node_cleanup(&c->nodes[i]);
	}
	c->n = 0;
}
