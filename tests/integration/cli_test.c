// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/cli_test.c -- the blobby client ($BLOBBY) against one
// real blobbyd: round trips through files, standard input and output,
// the offline id decoder, every exit code, help texts, BLOBBY_URL, the
// progress bar on a pseudo terminal.  The client runs as a child process
// with pipes; every wait is bounded.
#define _XOPEN_SOURCE 700
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

#include "harness.h"
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

static const char conf_text[] = "machine_id = 12\n"
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
	bool        pty;     // standard error is a pseudo terminal
} run_how;

static void
res_free(run_res *r)
{
	free(r->out);
	memset(r, 0, sizeof(*r));
}

static void
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

static void
res_err_add(run_res *r, const char *p, size_t n)
{
	if (n > ERR_MAX - 1 - r->err_len) {
		n = ERR_MAX - 1 - r->err_len;
	}
	memcpy(r->err + r->err_len, p, n);
	r->err_len += n;
	r->err[r->err_len] = '\0';
}

// build_env copies the environment without BLOBBY_URL, adding url's.
static void
build_env(char **envp, const char *url, char *buf, size_t len)
{
	size_t i;
	size_t k = 0;

	for (i = 0; environ[i] != NULL && k < MAX_ENV - 2; i++) {
		if (strncmp(environ[i], "BLOBBY_URL=", 11) != 0) {
			envp[k++] = environ[i];
		}
	}
	if (url != NULL) {
		(void) snprintf(buf, len, "BLOBBY_URL=%s", url);
		envp[k++] = buf;
	}
	envp[k] = NULL;
}

static void
set_nonblock(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	                 0);
}

// child_exec wires the child's standard streams and runs the client.
static void
child_exec(int in, int out, int err, const char *pts, char **argv, char **envp)
{
	int fd;

	if (in < 0) {
		in = open("/dev/null", O_RDONLY);
	}
	if (pts != NULL) {
		err = open(pts, O_RDWR | O_NOCTTY);
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
static int
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
static int
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
	size_t        sent = 0;
	int           n    = 0;
	int64_t       end  = bbt_now_ms() + RUN_MS;
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
	build_env(envp, how->env_url, envbuf, sizeof(envbuf));
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
		child_exec(in[0], out[1], err[1], pts, argv, envp);
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

static int
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
static int
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

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

// read_file returns the contents of path (caller frees), its size in
// *len.
static char *
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
static int
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
static void
fresh_dir(char *path, size_t len, const char *name)
{
	(void) snprintf(path, len, "%s/%s", work, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

// id_of takes the ID line a put printed.
static void
id_of(const run_res *r, char *id)
{
	assert_true(r->out_len > 1 && r->out_len <= STORE_ID_STRMAX + 1);
	assert_int_equal(r->out[r->out_len - 1], '\n');
	(void) snprintf(id, CLI_ID_BUF, "%.*s", (int) r->out_len - 1, r->out);
}

// check_get reads id back to standard output and to a file.
static void
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

static char *
make_data(size_t len, unsigned seed)
{
	char *d = malloc(len + 1);

	assert_non_null(d);
	bbt_fill(d, len, seed);
	return d;
}

static void
test_put_get_file(void **state)
{
	static const size_t sizes[] = { 0, 1, BIG };
	char                path[512];
	char                tag[32];
	char                id[CLI_ID_BUF];
	store_id            sid;
	run_res             r;
	size_t              i;
	char               *data;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		data = make_data(sizes[i], (unsigned) i + 1);
		(void) snprintf(path, sizeof(path), "%s/in-%zu", work, i);
		write_file(path, data, sizes[i]);
		assert_int_equal(
		    run(&r, "--url", node.url, "put", "test", path, NULL), 0);
		assert_int_equal(r.err_len, 0);
		id_of(&r, id);
		res_free(&r);
		assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
		assert_int_equal(sid.length, sizes[i]);
		(void) snprintf(tag, sizeof(tag), "file-%zu", i);
		check_get(id, data, sizes[i], tag);
		free(data);
	}
}

static void
test_put_get_stdin(void **state)
{
	static const size_t sizes[] = { 0, 1, BIG };
	run_how             how     = { 0 };
	char                tag[32];
	char                id[CLI_ID_BUF];
	store_id            sid;
	run_res             r;
	size_t              i;
	char               *data;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		data       = make_data(sizes[i], (unsigned) i + 10);
		how.in     = data;
		how.in_len = sizes[i];
		// "-" names standard input as well as no FILE at all.
		if (i == 1) {
			assert_int_equal(run_how_args(&r, &how, "put", "test",
			                              "-", "--url", node.url,
			                              NULL),
			                 0);
		} else {
			assert_int_equal(run_how_args(&r, &how, "--url",
			                              node.url, "put", "test",
			                              NULL),
			                 0);
		}
		assert_int_equal(r.err_len, 0);
		id_of(&r, id);
		res_free(&r);
		assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
		assert_int_equal(sid.length, sizes[i]);
		(void) snprintf(tag, sizeof(tag), "stdin-%zu", i);
		check_get(id, data, sizes[i], tag);
		free(data);
	}
}

// put_bytes stores len seeded bytes through the client; returns the ID.
static void
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

static void
test_head(void **state)
{
	char    id[CLI_ID_BUF];
	run_res r;

	(void) state;
	put_bytes(12345, 7, id);
	assert_int_equal(run(&r, "--url", node.url, "head", "test", id, NULL),
	                 0);
	assert_string_equal(r.out, "length: 12345\nstatus: 200 OK\n");
	res_free(&r);
	put_bytes(0, 7, id);
	assert_int_equal(run(&r, "--url", node.url, "head", "test", id, NULL),
	                 0);
	assert_string_equal(r.out, "length: 0\nstatus: 200 OK\n");
	res_free(&r);
}

static void
test_id_decode(void **state)
{
	run_res r;

	(void) state;
	// Spec 2.1: time 2020-02-20 02:02:02 UTC, counter 1, machine 2 is
	// the fid Xk3omgABAAAAAg; start 4096 and length 1000 follow.
	assert_int_equal(run(&r, "id", "Xk3omgABAAAAAgAAEAAAAAPo", NULL), 0);
	assert_string_equal(r.out,
	                    "id:       Xk3omgABAAAAAgAAEAAAAAPo\n"
	                    "file id:  Xk3omgABAAAAAg\n"
	                    "created:  2020-02-20T02:02:02Z\n"
	                    "counter:  1\n"
	                    "machine:  2 (0.0.0.2)\n"
	                    "start:    4096\n"
	                    "length:   1000\n"
	                    "file:     Xk3omgABAAAAAg (a replica's: "
	                    "r-Xk3omgABAAAAAg)\n");
	assert_int_equal(r.err_len, 0);
	res_free(&r);
	// Spec 2.2: the long form, f = {0,1,2,3,4,5,6,7,8,10}.
	assert_int_equal(run(&r, "id", "AAECAwQFBgcICv_______________w", NULL),
	                 0);
	assert_string_equal(r.out,
	                    "id:       AAECAwQFBgcICv_______________w\n"
	                    "file id:  AAECAwQFBgcICg\n"
	                    "created:  1970-01-01T18:20:51Z\n"
	                    "counter:  1029\n"
	                    "machine:  101124106 (6.7.8.10)\n"
	                    "start:    18446744073709551615\n"
	                    "length:   4294967295\n"
	                    "file:     AAECAwQFBgcICg (a replica's: "
	                    "r-AAECAwQFBgcICg)\n");
	res_free(&r);
}

static void
test_invalid_id(void **state)
{
	static const char *bad[] = {
		"garbage",
		"Xk3omgABAAAAAgAAEAAAAAP",   // 23 characters
		"Xk3omgABAAAAAgAAEAAAAAP!",  // not base64url
		"Xk3omgABAAAAAgAAEAAAAAPoA", // 25 characters
		"Xk3omgABAAAAAg",            // a file id, not an object id
	};
	run_res r;
	size_t  i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run(&r, "id", bad[i], NULL), EX_DATAERR);
		assert_int_equal(r.out_len, 0);
		assert_non_null(strstr(r.err, "not a valid blob ID"));
		res_free(&r);
	}
	// No network needed: the node named is down, the answer is still 65.
	assert_int_equal(
	    run(&r, "--url", dead_url, "get", "test", "garbage", NULL),
	    EX_DATAERR);
	assert_string_equal(r.err,
	                    "blobby: ID 'garbage': not a valid blob ID\n");
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", dead_url, "head", "test", "garbage", NULL),
	    EX_DATAERR);
	res_free(&r);
	// A namespace that would change the request's path.
	assert_int_equal(run(&r, "--url", dead_url, "get", "a/b",
	                     "Xk3omgABAAAAAgAAEAAAAAPo", NULL),
	                 EX_DATAERR);
	res_free(&r);
}

static void
test_http_errors(void **state)
{
	char     path[512];
	char     want[256];
	char     id[CLI_ID_BUF];
	store_id sid;
	run_res  r;

	(void) state;
	// A well-formed ID of this machine for a file that does not exist.
	store_fid_make(&sid.fid, VEC_TIME, 1, MACHINE);
	sid.start  = 0;
	sid.length = 10;
	(void) store_id_format(&sid, id);
	assert_int_equal(run(&r, "--url", node.url, "get", "test", id, NULL),
	                 1);
	(void) snprintf(want, sizeof(want),
	                "blobby: GET /test/%s: 404 The requested ID was not "
	                "found.\n",
	                id);
	assert_string_equal(r.err, want);
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	// Unknown namespace, for each command that names one.
	assert_int_equal(run(&r, "--url", node.url, "get", "nosuch", id, NULL),
	                 1);
	(void) snprintf(want, sizeof(want),
	                "blobby: GET /nosuch/%s: 404 Name space does not "
	                "exist.\n",
	                id);
	assert_string_equal(r.err, want);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "head", "nosuch", id, NULL), 1);
	(void) snprintf(want, sizeof(want), "blobby: HEAD /nosuch/%s: 404 ",
	                id);
	assert_memory_equal(r.err, want, strlen(want));
	res_free(&r);
	(void) snprintf(path, sizeof(path), "%s/small", work);
	write_file(path, "hello", 5);
	assert_int_equal(
	    run(&r, "--url", node.url, "put", "nosuch", path, NULL), 1);
	assert_string_equal(
	    r.err, "blobby: POST /nosuch: 404 Name space does not exist.\n");
	assert_int_equal(r.out_len, 0);
	res_free(&r);
}

static void
test_missing_input(void **state)
{
	char    path[512];
	run_res r;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/does-not-exist", work);
	assert_int_equal(run(&r, "--url", node.url, "put", "test", path, NULL),
	                 EX_NOINPUT);
	assert_non_null(strstr(r.err, "No such file or directory"));
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "put", "test", work, NULL),
	                 EX_NOINPUT);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "--cacert", path, "status", NULL),
	    EX_NOINPUT);
	res_free(&r);
}

static void
test_node_down(void **state)
{
	char    path[512];
	char    dir[512];
	char    out[600];
	run_res r;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/down", work);
	write_file(path, "hello", 5);
	assert_int_equal(run(&r, "--url", dead_url, "put", "test", path, NULL),
	                 EX_UNAVAILABLE);
	assert_non_null(strstr(r.err, "blobby: POST /test: "));
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	fresh_dir(dir, sizeof(dir), "down-get");
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(run(&r, "--url", dead_url, "get", "test",
	                     "Xk3omgABAAAAAgAAEAAAAAPo", "-o", out, NULL),
	                 EX_UNAVAILABLE);
	res_free(&r);
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(run(&r, "--url", dead_url, "health", NULL),
	                 EX_UNAVAILABLE);
	res_free(&r);
}

// A node that accepts the connection and never answers: --timeout.
static void
test_timeout(void **state)
{
	struct sockaddr_in sa;
	socklen_t          slen = sizeof(sa);
	char               url[64];
	int64_t            t0;
	run_res            r;
	int                s;

	(void) state;
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *) &sa, &slen), 0);
	(void) snprintf(url, sizeof(url), "http://127.0.0.1:%d",
	                ntohs(sa.sin_port));
	t0 = bbt_now_ms();
	assert_int_equal(run(&r, "--url", url, "--timeout", "0.5", "get",
	                     "test", "Xk3omgABAAAAAgAAEAAAAAPo", NULL),
	                 EX_TEMPFAIL);
	assert_true(bbt_now_ms() - t0 < 10000);
	assert_non_null(strstr(r.err, "blobby: GET /test/"));
	res_free(&r);
	(void) close(s);
}

static void
test_usage_errors(void **state)
{
	run_res r;

	(void) state;
#define USAGE(...)                                                      \
	do {                                                            \
		assert_int_equal(run(&r, __VA_ARGS__, NULL), EX_USAGE); \
		assert_non_null(strstr(r.err, "blobby: "));             \
		assert_int_equal(r.out_len, 0);                         \
		res_free(&r);                                           \
	} while (0)
	assert_int_equal(run(&r, NULL), EX_USAGE);
	res_free(&r);
	USAGE("frobnicate");
	USAGE("--bogus", "status");
	USAGE("status", "--bogus");
	USAGE("-x", "status");
	USAGE("put");
	USAGE("get", "test");
	USAGE("head", "test");
	USAGE("id");
	USAGE("id", "a", "b");
	USAGE("status", "extra");
	USAGE("put", "test", "file", "-o", "out");
	USAGE("get", "test", "Xk3omgABAAAAAgAAEAAAAAPo", "--json");
	USAGE("--timeout", "abc", "status");
	USAGE("--timeout", "-1", "status");
	USAGE("--url");
	USAGE("--url", "ftp://127.0.0.1/", "status");
	USAGE("--url", "127.0.0.1:1091", "status");
	USAGE("--url", "http://127.0.0.1:1091/?x=1", "status");
	USAGE("--url", node.url, "shutdown", "bogus");
	USAGE("help", "frobnicate");
#undef USAGE
}

static void
test_help(void **state)
{
	static const char *cmds[] = { "put",    "get",      "head",  "id",
		                      "status", "shutdown", "health" };
	char               want[64];
	run_res            r;
	size_t             i;

	(void) state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		(void) snprintf(want, sizeof(want),
		                "usage: blobby [OPTIONS] %s", cmds[i]);
		assert_int_equal(run(&r, cmds[i], "--help", NULL), 0);
		assert_memory_equal(r.out, want, strlen(want));
		assert_non_null(strstr(r.out, "Exit codes:"));
		assert_int_equal(r.err_len, 0);
		res_free(&r);
		assert_int_equal(run(&r, "help", cmds[i], NULL), 0);
		assert_memory_equal(r.out, want, strlen(want));
		res_free(&r);
		assert_int_equal(run(&r, cmds[i], "-h", NULL), 0);
		assert_memory_equal(r.out, want, strlen(want));
		res_free(&r);
	}
	assert_int_equal(run(&r, "--help", NULL), 0);
	assert_memory_equal(r.out, "usage: blobby [OPTIONS] COMMAND", 31);
	assert_non_null(strstr(r.out, "  66  input file"));
	assert_non_null(strstr(r.out, "BLOBBY_URL"));
	res_free(&r);
	assert_int_equal(run(&r, "-h", NULL), 0);
	res_free(&r);
	assert_int_equal(run(&r, "--version", NULL), 0);
	assert_memory_equal(r.out, "blobby 0.1.0 (libcurl ", 22);
	res_free(&r);
}

static void
test_env_url(void **state)
{
	run_how how = { .in = "env", .in_len = 3 };
	char    id[CLI_ID_BUF];
	run_res r;

	(void) state;
	how.env_url = node.url;
	assert_int_equal(run_how_args(&r, &how, "put", "test", NULL), 0);
	id_of(&r, id);
	res_free(&r);
	how.in      = NULL;
	how.in_len  = 0;
	how.env_url = node.url;
	assert_int_equal(run_how_args(&r, &how, "get", "test", id, NULL), 0);
	assert_string_equal(r.out, "env");
	res_free(&r);
	// --url wins over BLOBBY_URL.
	how.env_url = dead_url;
	assert_int_equal(
	    run_how_args(&r, &how, "--url", node.url, "get", "test", id, NULL),
	    0);
	assert_string_equal(r.out, "env");
	res_free(&r);
	assert_int_equal(run_how_args(&r, &how, "get", "test", id, NULL),
	                 EX_UNAVAILABLE);
	res_free(&r);
}

static void
test_get_output_failures(void **state)
{
	char     dir[512];
	char     out[600];
	char     id[CLI_ID_BUF];
	store_id sid;
	run_res  r;

	(void) state;
	store_fid_make(&sid.fid, VEC_TIME, 2, MACHINE);
	sid.start  = 0;
	sid.length = 10;
	(void) store_id_format(&sid, id);
	fresh_dir(dir, sizeof(dir), "fail-get");
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL), 1);
	res_free(&r);
	assert_int_equal(count_entries(dir), 0);
	// An existing FILE is left alone by a failure.
	write_file(out, "old", 3);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL), 1);
	res_free(&r);
	assert_int_equal(count_entries(dir), 1);
	(void) snprintf(out, sizeof(out), "%s/no-dir/blob.bin", dir);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL),
	    EX_CANTCREAT);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", dir, NULL),
	    EX_CANTCREAT);
	res_free(&r);
}

// The progress bar: on a terminal for a transfer above 1 MiB, erased at
// the end; never with --quiet or on a pipe.
static void
test_progress(void **state)
{
	run_how how = { .pty = true };
	char    dir[512];
	char    out[600];
	char    in[600];
	char    id[CLI_ID_BUF];
	char   *data;
	run_res r;

	(void) state;
	data = make_data(BIG, 99);
	(void) snprintf(in, sizeof(in), "%s/progress.in", work);
	write_file(in, data, BIG);
	free(data);
	assert_int_equal(
	    run_how_args(&r, &how, "--url", node.url, "put", "test", in, NULL),
	    0);
	assert_non_null(strstr(r.err, "%"));
	assert_non_null(strstr(r.err, "3.0 MiB"));
	assert_int_equal(r.err[r.err_len - 1], '\r'); // erased
	id_of(&r, id);
	res_free(&r);
	fresh_dir(dir, sizeof(dir), "progress");
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "get",
	                              "test", id, "-o", out, NULL),
	                 0);
	assert_non_null(strstr(r.err, "%  "));
	assert_non_null(strstr(r.err, " / 3.0 MiB"));
	assert_int_equal(r.err[r.err_len - 1], '\r');
	res_free(&r);
	assert_int_equal(run_how_args(&r, &how, "-q", "--url", node.url, "get",
	                              "test", id, "-o", out, NULL),
	                 0);
	assert_int_equal(r.err_len, 0);
	res_free(&r);
	// Small transfers draw nothing.
	put_bytes(1000, 5, id);
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "get",
	                              "test", id, "-o", out, NULL),
	                 0);
	assert_int_equal(r.err_len, 0);
	res_free(&r);
}

// check_admin: the command succeeded and printed want.
static void
check_admin(run_res *r, int code, const char *want)
{
	if (code != 0) {
		fail_msg("exit %d: %s", code, r->err);
	}
	assert_non_null(strstr(r->out, want));
}

static void
test_health(void **state)
{
	run_res r;
	int     code;

	(void) state;
	code = run(&r, "--url", node.url, "health", NULL);
	check_admin(&r, code, "test");
	res_free(&r);
}

static void
test_status(void **state)
{
	run_res r;
	int     code;

	(void) state;
	code = run(&r, "--url", node.url, "status", NULL);
	check_admin(&r, code, "test");
	res_free(&r);
	code = run(&r, "--url", node.url, "status", "--json", NULL);
	check_admin(&r, code, "test");
	res_free(&r);
}

static void
test_shutdown(void **state)
{
	run_res r;
	int     code;

	(void) state;
	// Only the query: starting a shutdown would stop the other tests.
	code = run(&r, "--url", node.url, "shutdown", "status", NULL);
	check_admin(&r, code, "shutting down");
	res_free(&r);
	code = run(&r, "--url", node.url, "shutdown", NULL);
	check_admin(&r, code, "shutting down");
	res_free(&r);
	// A round trip through shutdown mode, during
	// which the node reports itself unhealthy (500, or 503 → 69).
	assert_int_equal(run(&r, "--url", node.url, "shutdown", "start", NULL),
	                 0);
	assert_non_null(strstr(r.out, "shutting down"));
	res_free(&r);
	code = run(&r, "--url", node.url, "health", NULL);
	assert_true(code == 1 || code == EX_UNAVAILABLE);
	assert_memory_equal(r.err, "blobby: GET /_health: 5", 23);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "shutdown", "stop", NULL),
	                 0);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "health", NULL), 0);
	res_free(&r);
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void) state;
	(void) snprintf(work, sizeof(work), "%s/blobbycli-XXXXXX",
	                tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(work));
	(void) snprintf(dead_url, sizeof(dead_url), "http://127.0.0.1:%d",
	                bbt_free_port());
	bbt_node_init(&node);
	bbt_node_start(&node, conf_text);
	return 0;
}

static int
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_file),
		cmocka_unit_test(test_put_get_stdin),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_id_decode),
		cmocka_unit_test(test_invalid_id),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_missing_input),
		cmocka_unit_test(test_node_down),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_env_url),
		cmocka_unit_test(test_get_output_failures),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_shutdown),
	};
	int rc;

	// A client that exits before reading its input must not kill us.
	(void) signal(SIGPIPE, SIG_IGN);
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
