// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/accesslog_test.c -- gateway/accesslog.c: the plain and
// JSON line of a request (fields, not the escaping of odd bytes, which
// is common/'s), one write(2) per line (write is wrapped at link time,
// -Wl,--wrap=write), whole lines from many threads, a long path cut to
// one line, reopen after rotation, and a failed reopen keeping the file.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "gateway/gateway_impl.h"

// --- write(2), counted while a test asks for it. ---

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

static _Atomic int counting;
static int         nwrites;
static char        last[2048];
static size_t      last_len;

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (atomic_load(&counting)) {
		nwrites++;
		last_len = n < sizeof(last) ? n : sizeof(last);
		memcpy(last, buf, last_len);
	}
	return __real_write(fd, buf, n);
}

// --- Fixture: a temporary directory with the log in it. ---

typedef struct alog_fix {
	char dir[64];
	char path[128];
	char rotated[128];
} alog_fix;

static int
setup(void **state)
{
	alog_fix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->dir, sizeof(fx->dir), "/tmp/bb_alog_test.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	(void) snprintf(fx->path, sizeof(fx->path), "%s/access.log", fx->dir);
	(void) snprintf(fx->rotated, sizeof(fx->rotated), "%s/access.log.1",
	                fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	alog_fix *fx = *state;

	(void) unlink(fx->path);
	(void) rmdir(fx->path); // the failed-reopen test makes it a folder
	(void) unlink(fx->rotated);
	(void) rmdir(fx->dir);
	free(fx);
	return 0;
}

static gw__alog *
open_log(const char *path, bb_log_format format)
{
	bb_log_conf c;
	gw__alog   *a = NULL;

	memset(&c, 0, sizeof(c));
	c.file   = (char *) path;
	c.format = format;
	assert_int_equal(gw__alog_open(&c, &a), BB_OK);
	assert_non_null(a);
	return a;
}

// request fills a finished request that started ms milliseconds ago.
static void
request(gw__request_info *ri, const char *method, const char *path,
        unsigned status, int ms)
{
	memset(ri, 0, sizeof(*ri));
	ri->start_ns = bb_clock_mono_ns() - (int64_t) ms * BB_NS_PER_MS;
	(void) snprintf(ri->method, sizeof(ri->method), "%s", method);
	(void) snprintf(ri->path, sizeof(ri->path), "%s", path);
	(void) snprintf(ri->client, sizeof(ri->client), "%s", "192.0.2.7");
	ri->status = status;
}

// slurp returns the whole file; the caller frees it.
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *p;
	long  n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = calloc(1, (size_t) n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t) n, f), (size_t) n);
	(void) fclose(f);
	return p;
}

// count_lines counts the newlines of s.
static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

// written_once writes ri and checks it took exactly one write(2) of one
// whole line.
static void
written_once(gw__alog *a, const gw__request_info *ri)
{
	nwrites  = 0;
	last_len = 0;
	atomic_store(&counting, 1);
	gw__alog_write(a, ri);
	atomic_store(&counting, 0);
	assert_int_equal(nwrites, 1);
	assert_true(last_len > 0);
	assert_int_equal(last[last_len - 1], '\n');
	assert_null(memchr(last, '\n', last_len - 1));
}

static void
test_plain_line(void **state)
{
	alog_fix        *fx = *state;
	gw__request_info ri;
	gw__alog        *a;
	char            *text;
	char            *p;
	double           ms;

	a = open_log(fx->path, BB_LOG_FORMAT_PLAIN);
	request(&ri, "GET", "/photos/AAAAAQAAAAAAAAAAAAAAAAAAAAAA", 200, 5);
	written_once(a, &ri);
	gw__alog_close(a);

	text = slurp(fx->path);
	assert_int_equal(count_lines(text), 1);
	// "<RFC 3339 time> <client> "<method> <path>" <status> <ms>ms"
	assert_true(text[0] == '2' && strchr(text, 'T') != NULL);
	p = strstr(text,
	           " 192.0.2.7 \"GET "
	           "/photos/AAAAAQAAAAAAAAAAAAAAAAAAAAAA\" 200 ");
	assert_non_null(p);
	p  = strrchr(text, ' ');
	ms = strtod(p + 1, &p);
	assert_true(ms >= 5.0 && ms < 60000.0);
	assert_string_equal(p, "ms\n");
	free(text);
}

static void
test_json_line(void **state)
{
	alog_fix        *fx = *state;
	gw__request_info ri;
	gw__alog        *a;
	char            *text;
	char            *p;
	double           ms;

	a = open_log(fx->path, BB_LOG_FORMAT_JSON);
	request(&ri, "POST", "/photos", 413, 3);
	written_once(a, &ri);
	gw__alog_close(a);

	text = slurp(fx->path);
	assert_int_equal(count_lines(text), 1);
	assert_true(strncmp(text, "{\"time\":\"2", 10) == 0);
	assert_non_null(strstr(text, "\"client\":\"192.0.2.7\""));
	assert_non_null(strstr(text, "\"method\":\"POST\""));
	assert_non_null(strstr(text, "\"path\":\"/photos\""));
	assert_non_null(strstr(text, "\"status\":413,"));
	p = strstr(text, "\"duration_ms\":");
	assert_non_null(p);
	ms = strtod(p + strlen("\"duration_ms\":"), &p);
	assert_true(ms >= 3.0 && ms < 60000.0);
	assert_string_equal(p, "}\n");
	free(text);
}

static void
test_long_path_one_line(void **state)
{
	alog_fix        *fx = *state;
	gw__request_info ri;
	gw__alog        *a;
	char             path[1024];
	char            *text;

	memset(path, 'x', sizeof(path) - 1);
	path[0]                = '/';
	path[sizeof(path) - 1] = '\0';
	a                      = open_log(fx->path, BB_LOG_FORMAT_JSON);
	request(&ri, "GET", path, 404, 0);
	written_once(a, &ri);
	gw__alog_close(a);
	text = slurp(fx->path);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "\"client\":\"192.0.2.7\""));
	free(text);
}

#define THREADS 4
#define EACH    200

static void *
writer(void *arg)
{
	gw__alog        *a = arg;
	gw__request_info ri;
	int              i;

	for (i = 0; i < EACH; i++) {
		request(&ri, "GET", "/ns/some-id-of-a-blob", 200, 1);
		gw__alog_write(a, &ri);
	}
	return NULL;
}

static void
test_threads_whole_lines(void **state)
{
	alog_fix *fx = *state;
	pthread_t th[THREADS];
	gw__alog *a;
	char     *text;
	char     *line;
	char     *save = NULL;
	size_t    n    = 0;
	int       i;

	a = open_log(fx->path, BB_LOG_FORMAT_PLAIN);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, writer, a), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	gw__alog_close(a);
	text = slurp(fx->path);
	assert_int_equal(count_lines(text), THREADS * EACH);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_non_null(strstr(
		    line, " 192.0.2.7 \"GET /ns/some-id-of-a-blob\" 200 "));
		assert_int_equal(strcmp(line + strlen(line) - 2, "ms"), 0);
		n++;
	}
	assert_int_equal(n, THREADS * EACH);
	free(text);
}

static void
test_reopen(void **state)
{
	alog_fix        *fx = *state;
	gw__request_info ri;
	gw__alog        *a;
	char            *text;

	a = open_log(fx->path, BB_LOG_FORMAT_PLAIN);
	request(&ri, "GET", "/before", 200, 0);
	gw__alog_write(a, &ri);
	// Rotation: the file is renamed, SIGHUP reopens the path.
	assert_int_equal(rename(fx->path, fx->rotated), 0);
	gw__alog_reopen(a);
	request(&ri, "GET", "/after", 200, 0);
	gw__alog_write(a, &ri);
	text = slurp(fx->rotated);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "\"GET /before\""));
	free(text);
	// A reopen that fails (the path is a folder now) keeps the file in
	// use: the second rotation replaces the first rotated file.
	assert_int_equal(rename(fx->path, fx->rotated), 0);
	assert_int_equal(mkdir(fx->path, 0700), 0);
	gw__alog_reopen(a);
	request(&ri, "GET", "/kept", 200, 0);
	gw__alog_write(a, &ri);
	gw__alog_close(a);

	text = slurp(fx->rotated);
	assert_int_equal(count_lines(text), 2);
	assert_null(strstr(text, "/before"));
	assert_non_null(strstr(text, "\"GET /after\""));
	assert_non_null(strstr(text, "\"GET /kept\""));
	free(text);
}

static void
test_stderr_and_null(void **state)
{
	gw__request_info ri;
	gw__alog        *a;

	(void) state;
	// No file: standard error, which close leaves open.
	a = open_log(NULL, BB_LOG_FORMAT_PLAIN);
	gw__alog_reopen(a);
	gw__alog_close(a);
	assert_true(fcntl(STDERR_FILENO, F_GETFD) >= 0);
	// A NULL log does nothing.
	request(&ri, "GET", "/", 200, 0);
	gw__alog_write(NULL, &ri);
	gw__alog_reopen(NULL);
	gw__alog_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_line, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_json_line, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_long_path_one_line, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_threads_whole_lines,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test(test_stderr_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
