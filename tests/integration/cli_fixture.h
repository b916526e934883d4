// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/cli_fixture.h -- what the tests of the blobby client
// ($BLOBBY) share: one real blobbyd (setup, teardown), running the client
// as a child process with pipes (or a pseudo terminal), every wait
// bounded, and checks of what it wrote.  Define _XOPEN_SOURCE 700 first.
#ifndef TESTS_INTEGRATION_CLI_FIXTURE_H
#define TESTS_INTEGRATION_CLI_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "storage/id.h"
#include "tests/clock.h"
#include "tests/tmpdir.h"

#define MACHINE    12
#define RUN_MS     60000 // the longest a client run may take
#define MIB        (1024 * 1024)
#define BIG        (3 * MIB)
#define MAX_ARGS   32
#define MAX_ENV    512
#define ERR_MAX    16384
#define VEC_TIME   UINT32_C(1582164122) // 2020-02-20 02:02:02 UTC
#define CLI_ID_BUF (STORE_ID_STRMAX + 1)

extern char **environ;

// The node's configuration; a test that needs more appends sections to
// CLI_CONF_TEXT.
#define CLI_CONF_TEXT                \
	"machine_id = 12\n"          \
	"[log]\n"                    \
	"file = @DIR@/blobbyd.log\n" \
	"[server]\n"                 \
	"addr = 127.0.0.1\n"         \
	"port = 0\n"                 \
	"rpc_port = 0\n"             \
	"[namespace.test]\n"         \
	"directory = @DIR@/test\n"   \
	"replicas = 0\n"             \
	"archive = dir\n"            \
	"archive_directory = @DIR@/archive\n"

static const char conf_text[] = CLI_CONF_TEXT;

static bbt_node node;
static char     work[256]; // the test's own files
static char     dead_url[64];

// What one run of the client did.
typedef struct run_res {
	int    code; // exit status, or 128 + signal
	char  *out;  // standard output, owned, NUL-terminated
	size_t out_len;
	size_t out_cap;
	char   err[ERR_MAX]; // standard error, NUL-terminated
	size_t err_len;
} run_res;

// How to run it: standard input, BLOBBY_URL, a terminal as stderr.
typedef struct run_how {
	const void *in; // NULL: /dev/null
	size_t      in_len;
	const char *env_url; // BLOBBY_URL, or NULL to leave it unset
	bool        pty;     // standard error is a pseudo terminal, and the
	                     // controlling one (/dev/tty)
	bool        pty_out; // with pty: standard output is that terminal too
	const char *env[4];  // more "NAME=value" entries, NULL-ended
	const char *typed;   // with pty: typed on the terminal once the
	                     // client wrote "Password"
} run_how;

static inline void
res_free(run_res *r)
{
	free(r->out);
	memset(r, 0, sizeof(*r));
}

static inline void
res_out_add(run_res *r, const char *p, size_t n)
{
	size_t cap = r->out_cap > 0 ? r->out_cap : 4096;
	char  *b;

	while (r->out_len + n + 1 > cap) {
		cap *= 2;
	}
	if (cap != r->out_cap) {
		b = realloc(r->out, cap);
		assert_non_null(b);
		r->out     = b;
		r->out_cap = cap;
	}
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	r->out[r->out_len] = '\0';
}

static inline void
res_err_add(run_res *r, const char *p, size_t n)
{
	if (n > ERR_MAX - 1 - r->err_len) {
		n = ERR_MAX - 1 - r->err_len;
	}
	memcpy(r->err + r->err_len, p, n);
	r->err_len += n;
	r->err[r->err_len] = '\0';
}

// build_env copies the environment without the BLOBBY_ variables (URL,
// credentials) and those extra replaces, adding url's and extra.
static inline void
build_env(char **envp, const char *url, const char *const *extra, char *buf,
          size_t len)
{
	size_t i, j;
	size_t k = 0;
	bool   keep;

	for (i = 0; environ[i] != NULL && k < MAX_ENV - 6; i++) {
		keep = strncmp(environ[i], "BLOBBY_", 7) != 0;
		// An extra entry replaces the variable of the same name.
		for (j = 0; keep && j < 4 && extra[j] != NULL; j++) {
			keep = strncmp(environ[i], extra[j],
			               strcspn(extra[j], "=") + 1) != 0;
		}
		if (keep) {
			envp[k++] = environ[i];
		}
	}
	if (url != NULL) {
		(void) snprintf(buf, len, "BLOBBY_URL=%s", url);
		envp[k++] = buf;
	}
	for (i = 0; i < 4 && extra[i] != NULL; i++) {
		envp[k++] = (char *) extra[i];
	}
	envp[k] = NULL;
}

static inline void
set_nonblock(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	                 0);
}

// child_exec wires the child's standard streams and runs the client.
// Its own session: without pts it has no terminal at all (/dev/tty fails
// whatever runs the tests); with pts, that one is its terminal.
static inline void
child_exec(int in, int out, int err, const char *pts, bool pty_out,
           char **argv, char **envp)
{
	int fd;

	(void) setsid();
	if (in < 0) {
		in = open("/dev/null", O_RDONLY);
	}
	if (pts != NULL) {
		err = open(pts, O_RDWR);
		if (pty_out) {
			out = err;
		}
	}
	if (in < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0) {
		_exit(126);
	}
	for (fd = 3; fd < 256; fd++) {
		(void) close(fd);
	}
	(void) execve(argv[0], argv, envp);
	_exit(127);
}

// wait_exit reaps pid within the deadline; returns its status as a shell
// would.
static inline int
wait_exit(pid_t pid, int64_t end)
{
	int   status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			break;
		}
		if (bbt_now_ms() > end) {
			(void) kill(pid, SIGKILL);
			(void) waitpid(pid, &status, 0);
			fail_msg("blobby did not exit within %d ms", RUN_MS);
		}
		bbt_sleep_ms(5);
	}
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status)
	                           : WEXITSTATUS(status);
}

// run_v runs $BLOBBY with the NULL-terminated argument list and collects
// its exit status and output into r (res_free it).
static inline int
run_v(run_res *r, const run_how *how, va_list ap)
{
	const char   *bin = getenv("BLOBBY");
	char         *argv[MAX_ARGS + 2];
	char         *envp[MAX_ENV];
	char          envbuf[256];
	char          buf[65536];
	int           in[2]  = { -1, -1 };
	int           out[2] = { -1, -1 };
	int           err[2] = { -1, -1 };
	int           errfd;
	int           ptm = -1;
	const char   *pts = NULL;
	const char   *p;
	size_t        sent  = 0;
	bool          typed = false;
	int           n     = 0;
	int64_t       end   = bbt_now_ms() + RUN_MS;
	struct pollfd pf[3];
	pid_t         pid;
	ssize_t       got;

	assert_non_null(bin);
	memset(r, 0, sizeof(*r));
	argv[n++] = (char *) bin;
	for (;;) {
		p = va_arg(ap, const char *);
		if (p == NULL) {
			break;
		}
		assert_true(n < MAX_ARGS);
		argv[n++] = (char *) p;
	}
	argv[n] = NULL;
	build_env(envp, how->env_url, how->env, envbuf, sizeof(envbuf));
	if (how->in != NULL) {
		assert_int_equal(pipe(in), 0);
	}
	assert_int_equal(pipe(out), 0);
	if (how->pty) {
		ptm = posix_openpt(O_RDWR | O_NOCTTY);
		assert_true(ptm >= 0);
		assert_int_equal(grantpt(ptm), 0);
		assert_int_equal(unlockpt(ptm), 0);
		pts = ptsname(ptm);
		assert_non_null(pts);
	} else {
		assert_int_equal(pipe(err), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_exec(in[0], out[1], err[1], pts, how->pty_out, argv,
		           envp);
	}
	(void) close(in[0]);
	(void) close(out[1]);
	(void) close(err[1]);
	errfd = how->pty ? ptm : err[0];
	if (in[1] >= 0) {
		set_nonblock(in[1]);
		if (how->in_len == 0) {
			(void) close(in[1]);
			in[1] = -1;
		}
	}
	while (out[0] >= 0 || errfd >= 0) {
		pf[0] = (struct pollfd) { .fd = out[0], .events = POLLIN };
		pf[1] = (struct pollfd) { .fd = errfd, .events = POLLIN };
		pf[2] = (struct pollfd) { .fd = in[1], .events = POLLOUT };
		if (bbt_now_ms() > end) {
			(void) kill(pid, SIGKILL);
			(void) wait_exit(pid, bbt_now_ms() + 5000);
			fail_msg("blobby did not finish within %d ms", RUN_MS);
		}
		if (poll(pf, 3, 100) <= 0) {
			continue;
		}
		if (pf[2].revents != 0) {
			got = write(in[1], (const char *) how->in + sent,
			            how->in_len - sent);
			if (got > 0) {
				sent += (size_t) got;
			}
			if ((got < 0 && errno != EAGAIN) ||
			    sent == how->in_len) {
				(void) close(in[1]);
				in[1] = -1;
			}
		}
		if (pf[0].revents != 0) {
			got = read(out[0], buf, sizeof(buf));
			if (got > 0) {
				res_out_add(r, buf, (size_t) got);
			} else if (got == 0 || errno != EINTR) {
				(void) close(out[0]);
				out[0] = -1;
			}
		}
		if (pf[1].revents != 0) {
			// A pty master reads EIO once the child is gone.
			got = read(errfd, buf, sizeof(buf));
			if (got > 0) {
				res_err_add(r, buf, (size_t) got);
				if (how->typed != NULL && !typed &&
				    strstr(r->err, "Password") != NULL) {
					typed = write(ptm, how->typed,
					              strlen(how->typed)) > 0;
				}
			} else if (got == 0 || errno != EINTR) {
				(void) close(errfd);
				errfd = -1;
			}
		}
	}
	if (in[1] >= 0) {
		(void) close(in[1]);
	}
	if (r->out == NULL) {
		res_out_add(r, "", 0);
	}
	r->code = wait_exit(pid, end + 5000);
	return r->code;
}

static inline int
run_how_args(run_res *r, const run_how *how, ...)
{
	va_list ap;
	int     rc;

	va_start(ap, how);
	rc = run_v(r, how, ap);
	va_end(ap);
	return rc;
}

// run: no standard input, no BLOBBY_URL.
static inline int
run(run_res *r, ...)
{
	static const run_how plain = { 0 };
	va_list              ap;
	int                  rc;

	va_start(ap, r);
	rc = run_v(r, &plain, ap);
	va_end(ap);
	return rc;
}

static inline void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

// read_file returns the contents of path (caller frees), its size in
// *len.
static inline char *
read_file(const char *path, size_t *len)
{
	FILE  *f = fopen(path, "rb");
	char  *b;
	long   n;
	size_t got;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	b = malloc((size_t) n + 1);
	assert_non_null(b);
	got = fread(b, 1, (size_t) n, f);
	(void) fclose(f);
	assert_int_equal(got, (size_t) n);
	*len = got;
	return b;
}

// count_entries counts what a directory holds (temporary files too).
static inline int
count_entries(const char *dir)
{
	DIR           *d = opendir(dir);
	struct dirent *de;
	int            k = 0;

	assert_non_null(d);
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			k++;
		}
	}
	(void) closedir(d);
	return k;
}

// fresh_dir makes an empty directory below work.
static inline void
fresh_dir(char *path, size_t len, const char *name)
{
	(void) snprintf(path, len, "%s/%s", work, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

// id_of takes the ID line a put printed.
static inline void
id_of(const run_res *r, char *id)
{
	assert_true(r->out_len > 1 && r->out_len <= STORE_ID_STRMAX + 1);
	assert_int_equal(r->out[r->out_len - 1], '\n');
	(void) snprintf(id, CLI_ID_BUF, "%.*s", (int) r->out_len - 1, r->out);
}

// check_get reads id back to standard output and to a file.
static inline void
check_get(const char *id, const char *data, size_t len, const char *tag)
{
	char    dir[512];
	char    out[600];
	char   *back;
	size_t  blen;
	run_res r;

	assert_int_equal(run(&r, "--url", node.url, "get", "test", id, NULL),
	                 0);
	assert_int_equal(r.out_len, len);
	assert_memory_equal(r.out, data, len);
	assert_int_equal(r.err_len, 0);
	res_free(&r);

	fresh_dir(dir, sizeof(dir), tag);
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL), 0);
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	back = read_file(out, &blen);
	assert_int_equal(blen, len);
	assert_memory_equal(back, data, len);
	free(back);
	assert_int_equal(count_entries(dir), 1); // no temporary file left
}

static inline char *
make_data(size_t len, unsigned seed)
{
	char *d = malloc(len + 1);

	assert_non_null(d);
	bbt_fill(d, len, seed);
	return d;
}

// put_bytes stores len seeded bytes through the client; returns the ID.
static inline void
put_bytes(size_t len, unsigned seed, char *id)
{
	run_how how = { 0 };
	char   *data;
	run_res r;

	data       = make_data(len, seed);
	how.in     = data;
	how.in_len = len;
	assert_int_equal(
	    run_how_args(&r, &how, "--url", node.url, "put", "test", NULL), 0);
	id_of(&r, id);
	res_free(&r);
	free(data);
}

// setup_dirs makes work, dead_url and node's directory; the node is not
// started (a test may put files there first).
static inline void
setup_dirs(void)
{
	const char *tmp = getenv("TMPDIR");

	(void) snprintf(work, sizeof(work), "%s/blobbycli-XXXXXX",
	                tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(work));
	(void) snprintf(dead_url, sizeof(dead_url), "http://127.0.0.1:%d",
	                bbt_free_port());
	bbt_node_init(&node);
}

static inline int
setup(void **state)
{
	(void) state;
	setup_dirs();
	bbt_node_start(&node, conf_text);
	return 0;
}

static inline int
teardown(void **state)
{
	int st;

	(void) state;
	st = bbt_node_stop(&node, SIGTERM);
	bbt_node_cleanup(&node);
	bbt_rmtree(work);
	// A clean exit also proves the sanitizers found nothing in blobbyd.
	assert_int_equal(st, 0);
	return 0;
}

#endif // TESTS_INTEGRATION_CLI_FIXTURE_H
