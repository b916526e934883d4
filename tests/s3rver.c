// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/s3rver.c -- running s3rver for tests: spawn it on port 0, read the
// port it prints, wait until it accepts connections, stop it and start it
// again on the same port, and make sure none outlives the test.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "tests/s3rver.h"
#include "tests/clock.h"

#define S3RVER_START_MS 20000
#define S3RVER_STOP_MS  10000
#define S3RVER_MAXARGS  64

struct bbt_s3 {
	char    *dir;     // owned
	char   **buckets; // owned, NULL-terminated
	pid_t    pid;     // -1 while paused
	int      out;     // its standard output (kept open), or -1
	uint16_t port;    // 0 until the first start
	char     endpoint[64];
};

static void
s3t_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	(void) nanosleep(&ts, NULL);
}

// Servers running now, killed at exit if a test forgot them (cmocka
// leaves a failing test by longjmp, past its clean-up).
#define S3T_MAX_LIVE 16
static pid_t s3t_live[S3T_MAX_LIVE];

static void
s3t_kill_live(void)
{
	int i;

	for (i = 0; i < S3T_MAX_LIVE; i++) {
		if (s3t_live[i] > 0) {
			(void) kill(s3t_live[i], SIGKILL);
			(void) waitpid(s3t_live[i], NULL, 0);
			s3t_live[i] = 0;
		}
	}
}

static void
s3t_live_set(pid_t old, pid_t pid)
{
	static bool registered;
	int         i;

	if (!registered) {
		(void) atexit(s3t_kill_live);
		registered = true;
	}
	for (i = 0; i < S3T_MAX_LIVE; i++) {
		if (s3t_live[i] == old) {
			s3t_live[i] = pid;
			return;
		}
	}
}

// s3t_read_port reads the child's output until it names its port.
static uint16_t
s3t_read_port(int fd, int64_t deadline)
{
	static const char tag[] = "S3rver listening on 127.0.0.1:";
	char              buf[4096];
	size_t            used = 0;
	struct pollfd     pfd  = { .fd = fd, .events = POLLIN };
	const char       *at;
	ssize_t           r;
	long              port;
	int               wait;

	for (;;) {
		buf[used] = '\0';
		at        = strstr(buf, tag);
		if (at != NULL && strchr(at, '\n') != NULL) {
			port = strtol(at + sizeof(tag) - 1, NULL, 10);
			return port > 0 && port < 65536 ? (uint16_t) port : 0;
		}
		wait = (int) (deadline - bbt_now_ms());
		if (wait <= 0 || used + 1 >= sizeof(buf)) {
			return 0;
		}
		if (poll(&pfd, 1, wait) <= 0) {
			continue; // timeout (checked above) or EINTR
		}
		r = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (r <= 0) {
			return 0; // it exited
		}
		used += (size_t) r;
	}
}

// s3t_answers says whether something accepts connections on port.
static bool
s3t_answers(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	bool               ok;
	int                fd;

	sa.sin_port        = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd                 = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		return false;
	}
	ok = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	(void) close(fd);
	return ok;
}

static void
s3t_wait_exit(bbt_s3 *s)
{
	int64_t end = bbt_now_ms() + S3RVER_STOP_MS;

	while (waitpid(s->pid, NULL, WNOHANG) == 0) {
		if (bbt_now_ms() > end) {
			(void) kill(s->pid, SIGKILL);
			(void) waitpid(s->pid, NULL, 0);
			break;
		}
		s3t_sleep_ms(10);
	}
	s3t_live_set(s->pid, 0);
	s->pid = -1;
	if (s->out >= 0) {
		(void) close(s->out);
		s->out = -1;
	}
}

// s3t_spawn starts s3rver on port (0: any) and waits until it answers.
static int
s3t_spawn(bbt_s3 *s, uint16_t port)
{
	const char *prog = getenv("BB_S3RVER");
	const char *argv[S3RVER_MAXARGS];
	char        portstr[8];
	int64_t     deadline = bbt_now_ms() + S3RVER_START_MS;
	pid_t       parent   = getpid();
	int         fds[2];
	size_t      n = 0;
	size_t      i;

	if (prog == NULL || prog[0] == '\0' || access(prog, X_OK) != 0) {
		(void) fprintf(
		    stderr,
		    "s3rver: BB_S3RVER must name the s3rver program "
		    "(tools/test installs it into build-npm/); got "
		    "'%s'\n",
		    prog != NULL ? prog : "(unset)");
		return -1;
	}
	(void) snprintf(portstr, sizeof(portstr), "%u", (unsigned) port);
	argv[n++] = prog;
	argv[n++] = "-d";
	argv[n++] = s->dir;
	argv[n++] = "-a";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = portstr;
	argv[n++] = "-s";
	for (i = 0; s->buckets[i] != NULL && n + 3 < S3RVER_MAXARGS; i++) {
		argv[n++] = "--configure-bucket";
		argv[n++] = s->buckets[i];
	}
	argv[n] = NULL;
	if (pipe(fds) != 0) {
		perror("s3rver: pipe");
		return -1;
	}
	(void) fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	s->pid = fork();
	if (s->pid == 0) {
		// Only async-signal-safe calls between fork and exec.
		(void) prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) {
			_exit(126); // the test died already
		}
		(void) dup2(fds[1], 1);
		(void) close(fds[1]);
		(void) execv(prog, (char *const *) argv);
		_exit(127);
	}
	(void) close(fds[1]);
	if (s->pid < 0) {
		perror("s3rver: fork");
		(void) close(fds[0]);
		return -1;
	}
	s3t_live_set(0, s->pid);
	s->out  = fds[0];
	s->port = s3t_read_port(s->out, deadline);
	while (s->port != 0 && !s3t_answers(s->port) &&
	       bbt_now_ms() < deadline) {
		s3t_sleep_ms(20);
	}
	if (s->port == 0 || !s3t_answers(s->port) ||
	    (port != 0 && s->port != port)) {
		(void) fprintf(stderr, "s3rver: %s did not start on port %u\n",
		               prog, (unsigned) port);
		(void) kill(s->pid, SIGKILL);
		s3t_wait_exit(s);
		s->port = port;
		return -1;
	}
	(void) snprintf(s->endpoint, sizeof(s->endpoint),
	                "http://127.0.0.1:%u", (unsigned) s->port);
	return 0;
}

static void
s3t_free(bbt_s3 *s)
{
	size_t i;

	for (i = 0; s->buckets != NULL && s->buckets[i] != NULL; i++) {
		free(s->buckets[i]);
	}
	free(s->buckets);
	free(s->dir);
	free(s);
}

bbt_s3 *
bbt_s3_start(const char *dir, const char *const *buckets)
{
	bbt_s3 *s;
	size_t  n = 0;
	size_t  i;

	while (buckets != NULL && buckets[n] != NULL) {
		n++;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return NULL;
	}
	s->pid     = -1;
	s->out     = -1;
	s->dir     = strdup(dir);
	s->buckets = calloc(n + 1, sizeof(*s->buckets));
	if (s->dir == NULL || s->buckets == NULL) {
		s3t_free(s);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		s->buckets[i] = strdup(buckets[i]);
		if (s->buckets[i] == NULL) {
			s3t_free(s);
			return NULL;
		}
	}
	if (s3t_spawn(s, 0) != 0) {
		s3t_free(s);
		return NULL;
	}
	return s;
}

const char *
bbt_s3_endpoint(const bbt_s3 *s)
{
	return s->endpoint;
}

uint16_t
bbt_s3_port(const bbt_s3 *s)
{
	return s->port;
}

void
bbt_s3_pause(bbt_s3 *s)
{
	if (s->pid > 0) {
		(void) kill(s->pid, SIGTERM);
		s3t_wait_exit(s);
	}
}

int
bbt_s3_resume(bbt_s3 *s)
{
	if (s->pid > 0) {
		return 0;
	}
	return s3t_spawn(s, s->port);
}

void
bbt_s3_stop(bbt_s3 *s)
{
	if (s == NULL) {
		return;
	}
	bbt_s3_pause(s);
	s3t_free(s);
}

int
bbt_s3_object_path(const bbt_s3 *s, const char *bucket, const char *key,
                   char *buf, size_t len)
{
	int n =
	    snprintf(buf, len, "%s/%s/%s._S3rver_object", s->dir, bucket, key);

	return n >= 0 && (size_t) n < len ? 0 : -1;
}
