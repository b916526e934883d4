// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/log_test.c -- common/log.h: JSON and plain lines written
// to a file, escaping, the debug switch, reopen after rotation, and the
// folding of repeated lines.
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

typedef struct {
	char dir[64];
	char path[128];
	char rotated[128];
} log_fix;

static int
setup(void **state)
{
	log_fix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->dir, sizeof(fx->dir), "/tmp/bb_log_test.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	(void) snprintf(fx->path, sizeof(fx->path), "%s/blobby.log", fx->dir);
	(void) snprintf(fx->rotated, sizeof(fx->rotated), "%s/blobby.log.1",
	                fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	log_fix *fx = *state;

	bb_log_close();
	bb_log_set_repeat_window(BB_LOG_REPEAT_WINDOW_NS);
	(void) unlink(fx->path);
	(void) unlink(fx->rotated);
	(void) rmdir(fx->dir);
	free(fx);
	return 0;
}

// read_file returns the whole file as a string; the caller frees it.
static char *
read_file(const char *path)
{
	FILE  *f;
	char  *buf;
	size_t n;

	f = fopen(path, "rb");
	assert_non_null(f);
	buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	n      = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	(void) fclose(f);
	return buf;
}

// A tiny parser for one flat JSON object of string values, strict enough
// to catch a bad escape: no raw control characters inside strings, only
// the escapes JSON allows, nothing after the closing brace.
#define JS_MAXKEYS 8

typedef struct {
	int  n;
	char key[JS_MAXKEYS][32];
	char val[JS_MAXKEYS][8192];
} js_obj;

static int
js_hex(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

// js_string parses a string at *p (at the opening quote) into out.
static int
js_string(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t      o = 0;
	int         i;
	int         v;
	int         h;

	if (*s++ != '"') {
		return -1;
	}
	while (*s != '"') {
		char c = *s++;
		if (c == '\0' || (unsigned char) c < 0x20) {
			return -1;
		}
		if (c == '\\') {
			c = *s++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				v = 0;
				for (i = 0; i < 4; i++) {
					h = js_hex(*s++);
					if (h < 0) {
						return -1;
					}
					v = v * 16 + h;
				}
				if (v == 0 || v > 0x7f) {
					return -1; // not needed by these tests
				}
				c = (char) v;
				break;
			default:
				return -1;
			}
		}
		if (o + 1 >= cap) {
			return -1;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	*p     = s + 1;
	return 0;
}

static int
js_parse(const char *line, js_obj *obj)
{
	const char *p = line;

	obj->n = 0;
	if (*p++ != '{') {
		return -1;
	}
	for (;;) {
		if (obj->n >= JS_MAXKEYS) {
			return -1;
		}
		if (js_string(&p, obj->key[obj->n], sizeof(obj->key[0])) !=
		    0) {
			return -1;
		}
		if (*p++ != ':') {
			return -1;
		}
		if (js_string(&p, obj->val[obj->n], sizeof(obj->val[0])) !=
		    0) {
			return -1;
		}
		obj->n++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}') {
			return -1;
		}
		return *p == '\0' ? 0 : -1;
	}
}

static const char *
js_get(const js_obj *obj, const char *key)
{
	int i;

	for (i = 0; i < obj->n; i++) {
		if (strcmp(obj->key[i], key) == 0) {
			return obj->val[i];
		}
	}
	return NULL;
}

// check_time asserts an RFC 3339 UTC timestamp with milliseconds.
static void
check_time(const char *t)
{
	const char *pat = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t      i;

	assert_non_null(t);
	assert_int_equal(strlen(t), strlen(pat));
	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd') {
			assert_true(t[i] >= '0' && t[i] <= '9');
		} else {
			assert_int_equal(t[i], pat[i]);
		}
	}
}

// split_lines cuts buf at newlines in place; every line must end with one.
static int
split_lines(char *buf, char **lines, int max)
{
	int   n = 0;
	char *nl;

	while (*buf != '\0') {
		nl = strchr(buf, '\n');
		assert_non_null(nl); // the last line is terminated too
		assert_true(n < max);
		*nl        = '\0';
		lines[n++] = buf;
		buf        = nl + 1;
	}
	return n;
}

static void
test_json_lines(void **state)
{
	log_fix           *fx = *state;
	char              *buf;
	char              *lines[8];
	js_obj             obj;
	int                n;
	int                i;
	static const char *levels[] = { "info", "warn", "error" };

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_JSON, false),
	                 BB_OK);
	bb_log_info("hello %d", 42);
	bb_log_warn("second");
	bb_log_error("third %s", "line");
	buf = read_file(fx->path);
	n   = split_lines(buf, lines, 8);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		if (js_parse(lines[i], &obj) != 0) {
			fail_msg("not a flat JSON object: %s", lines[i]);
		}
		check_time(js_get(&obj, "time"));
		assert_non_null(js_get(&obj, "level"));
		assert_string_equal(js_get(&obj, "level"), levels[i]);
		assert_non_null(js_get(&obj, "msg"));
	}
	assert_int_equal(js_parse(lines[0], &obj), 0);
	assert_string_equal(js_get(&obj, "msg"), "hello 42");
	assert_int_equal(js_parse(lines[2], &obj), 0);
	assert_string_equal(js_get(&obj, "msg"), "third line");
	free(buf);
}

static void
test_json_escaping(void **state)
{
	log_fix    *fx  = *state;
	const char *msg = "a \"quoted\" back\\slash\nnew\ttab\x01\x1f\r end";
	char       *buf;
	char       *lines[4];
	js_obj      obj;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_JSON, false),
	                 BB_OK);
	bb_log_info("%s", msg);
	buf = read_file(fx->path);
	// One line only: the newline in the message must be escaped.
	assert_int_equal(split_lines(buf, lines, 4), 1);
	if (js_parse(lines[0], &obj) != 0) {
		fail_msg("not a flat JSON object: %s", lines[0]);
	}
	assert_string_equal(js_get(&obj, "msg"), msg);
	assert_non_null(strstr(lines[0], "\\u0001"));
	assert_non_null(strstr(lines[0], "\\\"quoted\\\""));
	assert_non_null(strstr(lines[0], "back\\\\slash"));
	free(buf);
}

static void
test_debug_switch(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	char    *lines[8];
	js_obj   obj;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_JSON, false),
	                 BB_OK);
	assert_false(bb_log_enabled(BB_LOG_DEBUG));
	assert_true(bb_log_enabled(BB_LOG_INFO));
	bb_log_debug("dropped");
	bb_log_info("kept1");
	buf = read_file(fx->path);
	assert_int_equal(split_lines(buf, lines, 8), 1);
	assert_null(strstr(lines[0], "dropped"));
	free(buf);

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_JSON, true),
	                 BB_OK);
	assert_true(bb_log_enabled(BB_LOG_DEBUG));
	bb_log_debug("shown");
	buf = read_file(fx->path);
	assert_int_equal(split_lines(buf, lines, 8), 2);
	assert_int_equal(js_parse(lines[1], &obj), 0);
	assert_string_equal(js_get(&obj, "level"), "debug");
	assert_string_equal(js_get(&obj, "msg"), "shown");
	free(buf);
}

static void
test_plain_format(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	char    *lines[4];

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	bb_log_warn("disk %s at %d%%", "sda", 93);
	bb_log_debug("not shown");
	buf = read_file(fx->path);
	assert_int_equal(split_lines(buf, lines, 4), 1);
	assert_non_null(strstr(lines[0], "warn"));
	assert_non_null(strstr(lines[0], "disk sda at 93%"));
	assert_null(strchr(lines[0], '{'));
	// The line starts with the timestamp.
	assert_true(lines[0][0] >= '0' && lines[0][0] <= '9');
	free(buf);
}

static void
test_reopen_after_rename(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	char    *lines[4];

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	bb_log_info("before rotation");
	assert_int_equal(rename(fx->path, fx->rotated), 0);
	// Until the reopen, lines still go to the renamed file.
	bb_log_info("still old");
	assert_int_equal(access(fx->path, F_OK), -1);
	assert_int_equal(bb_log_reopen(), BB_OK);
	bb_log_info("after rotation");

	buf = read_file(fx->rotated);
	assert_int_equal(split_lines(buf, lines, 4), 2);
	assert_non_null(strstr(lines[0], "before rotation"));
	assert_non_null(strstr(lines[1], "still old"));
	free(buf);

	buf = read_file(fx->path);
	assert_int_equal(split_lines(buf, lines, 4), 1);
	assert_non_null(strstr(lines[0], "after rotation"));
	free(buf);

	// After close the file is left alone.
	bb_log_close();
	bb_log_error("to stderr, not the file");
	buf = read_file(fx->path);
	assert_int_equal(split_lines(buf, lines, 4), 1);
	free(buf);
}

// Lines longer than 4 KiB are cut, but stay one well-formed line: the
// JSON escaping never splits an escape sequence.
static void
test_long_lines(void **state)
{
	log_fix      *fx = *state;
	static char   msg[6000];
	static js_obj obj;
	char         *buf;
	char         *lines[4];
	size_t        i;
	size_t        n;

	for (i = 0; i + 1 < sizeof(msg); i++) {
		msg[i] = i % 3 == 0 ? '"' : (i % 3 == 1 ? '\\' : '\x02');
	}
	msg[sizeof(msg) - 1] = '\0';
	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_JSON, false),
	                 BB_OK);
	bb_log_info("%s", msg);
	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	bb_log_info("%s", msg);
	buf = read_file(fx->path);
	assert_int_equal(split_lines(buf, lines, 4), 2);
	if (js_parse(lines[0], &obj) != 0) {
		fail_msg("truncated JSON line is not valid: ...%s",
		         lines[0] + strlen(lines[0]) - 40);
	}
	n = strlen(js_get(&obj, "msg"));
	assert_true(n > 0 && n < 4096);
	assert_memory_equal(js_get(&obj, "msg"), msg, n);
	assert_true(strlen(lines[0]) <= 4096 + 128);
	assert_true(strlen(lines[1]) <= 4096 + 128);
	assert_non_null(strstr(lines[1], "info"));
	free(buf);
}

static void
test_open_error(void **state)
{
	log_fix *fx = *state;
	char     bad[160];

	(void) snprintf(bad, sizeof(bad), "%s/missing/dir/x.log", fx->dir);
	assert_int_equal(bb_log_open(bad, BB_LOG_FORMAT_JSON, false),
	                 BB_ENOENT);
}

// --- Repeated lines. ---

// read_all returns the whole file, however long, as a string.
static char *
read_all(const char *path)
{
	FILE  *f;
	char  *buf;
	long   size;
	size_t n;

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = calloc(1, (size_t) size + 1);
	assert_non_null(buf);
	n      = fread(buf, 1, (size_t) size, f);
	buf[n] = '\0';
	(void) fclose(f);
	return buf;
}

// rep_tally counts, in the plain log buf, the lines written with exactly
// the text msg and the repeats the summaries of msg report; *lines gets
// the number of lines in buf.  Written plus reported is what was logged.
static void
rep_tally(const char *buf, const char *msg, unsigned *written,
          unsigned *reported, unsigned *lines)
{
	static const char pre[] = "last message repeated ";
	const char       *p     = buf;
	const char       *nl;
	const char       *text;
	const char       *colon;
	size_t            len;
	size_t            mlen = strlen(msg);

	*written = *reported = *lines = 0;
	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		(*lines)++;
		// "<24-char time> <level, 5 wide> <text>"
		assert_true(nl - p > 31);
		text = p + 31;
		len  = (size_t) (nl - text);
		if (len == mlen && memcmp(text, msg, mlen) == 0) {
			(*written)++;
			continue;
		}
		if (strncmp(text, pre, sizeof(pre) - 1) != 0) {
			continue;
		}
		colon = strstr(text, " s: ");
		assert_non_null(colon);
		colon += 4;
		if ((size_t) (nl - colon) == mlen &&
		    memcmp(colon, msg, mlen) == 0) {
			*reported += (unsigned) strtoul(text + sizeof(pre) - 1,
			                                NULL, 10);
		}
	}
}

// 1000 identical warnings in a tight loop: one line, and one summary at
// close with the right count.
static void
test_repeat_folded(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	unsigned w, r, n;
	int      i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 1000; i++) {
		bb_log_warn("peer %u: connection refused", 7u);
	}
	buf = read_all(fx->path);
	rep_tally(buf, "peer 7: connection refused", &w, &r, &n);
	assert_int_equal(w, 1);
	assert_int_equal(r, 0);
	assert_int_equal(n, 1);
	free(buf);

	bb_log_close();
	buf = read_all(fx->path);
	rep_tally(buf, "peer 7: connection refused", &w, &r, &n);
	assert_int_equal(w, 1);
	assert_int_equal(r, 999);
	assert_int_equal(n, 2);
	assert_non_null(strstr(buf, "warn  last message repeated 999 times"));
	free(buf);
}

// The summary comes out when the window has passed: from the next line
// (before it), and from bb_log_tick when nothing else is logged.
static void
test_repeat_window_end(void **state)
{
	log_fix        *fx = *state;
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	char           *buf;
	char           *other;
	char           *sum;
	unsigned        w, r, n;
	int             i;

	bb_log_set_repeat_window(200 * 1000 * 1000);
	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 100; i++) {
		bb_log_error("same");
	}
	(void) nanosleep(&ts, NULL);
	bb_log_info("other");
	buf = read_all(fx->path);
	rep_tally(buf, "same", &w, &r, &n);
	assert_int_equal(w, 1);
	assert_int_equal(r, 99);
	assert_int_equal(n, 3);
	sum   = strstr(buf, "error last message repeated 99 times");
	other = strstr(buf, "info  other");
	assert_non_null(sum);
	assert_non_null(other);
	assert_true(sum < other);
	free(buf);

	for (i = 0; i < 50; i++) {
		bb_log_error("same");
	}
	bb_log_tick(); // within the window: nothing yet
	(void) nanosleep(&ts, NULL);
	bb_log_tick();
	buf = read_all(fx->path);
	rep_tally(buf, "same", &w, &r, &n);
	assert_int_equal(w + r, 150);
	assert_true(n <= 5);
	free(buf);
	bb_log_close();
	buf = read_all(fx->path);
	rep_tally(buf, "same", &w, &r, &n);
	assert_int_equal(w + r, 150);
	free(buf);
}

// Different lines are never folded, even interleaved with repeats, and
// debug lines are never folded.
static void
test_repeat_different(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	char     msg[32];
	unsigned w, r, n;
	int      i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, true),
	                 BB_OK);
	for (i = 0; i < 1000; i++) {
		bb_log_warn("line %d", i);
		bb_log_warn("A");
		bb_log_info("A"); // another level: another line
		bb_log_debug("debug");
	}
	bb_log_close();
	buf = read_all(fx->path);
	for (i = 0; i < 1000; i++) {
		(void) snprintf(msg, sizeof(msg), "line %d", i);
		rep_tally(buf, msg, &w, &r, &n);
		assert_int_equal(w, 1);
		assert_int_equal(r, 0);
	}
	rep_tally(buf, "debug", &w, &r, &n);
	assert_int_equal(w, 1000);
	// Both A lines: written and reported add up, per level.
	assert_non_null(strstr(buf, "warn  A\n"));
	assert_non_null(strstr(buf, "info  A\n"));
	rep_tally(buf, "A", &w, &r, &n);
	assert_int_equal(w + r, 2000);
	// Written anew only when a "line %d" took their slot for a while.
	assert_true(w < 200);
	assert_true(n < 1000 + 1000 + 400);
	free(buf);
}

// count_reported adds up the counts of the summaries whose text starts
// with prefix.
static unsigned
count_reported(const char *buf, const char *prefix)
{
	static const char pre[] = "last message repeated ";
	const char       *p     = buf;
	const char       *text;
	unsigned          sum = 0;

	while ((p = strstr(p, pre)) != NULL) {
		text = strstr(p, " s: ");
		assert_non_null(text);
		if (strncmp(text + 4, prefix, strlen(prefix)) == 0) {
			sum +=
			    (unsigned) strtoul(p + sizeof(pre) - 1, NULL, 10);
		}
		p = text;
	}
	return sum;
}

// Lines that differ only in an id (a new file each time, as when a peer
// is down) are folded, and the summary shows the id as '*'; a word, a
// short number or another machine is never taken for an id.
static void
test_repeat_ids(void **state)
{
	log_fix    *fx = *state;
	char       *buf;
	const char *p;
	unsigned    w, r, n;
	unsigned    written;
	int         i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 500; i++) {
		bb_log_warn("initialize of axQnzQI%07d on machine %d failed: "
		            "tcp://127.0.0.1:45104: service unavailable",
		            i, 2 + i % 2);
		bb_log_warn("initialization %s failed",
		            i % 2 ? "failed" : "ok");
		bb_log_warn("size %d", 100000 + i);
	}
	bb_log_close();
	buf = read_all(fx->path);
	// Written and reported add up per machine; written again only when
	// a "size" line took the slot for a while.
	rep_tally(
	    buf,
	    "initialize of * on machine 2 failed: tcp://127.0.0.1:45104: "
	    "service unavailable",
	    &w, &r, &n);
	assert_true(r > 150);
	rep_tally(
	    buf,
	    "initialize of * on machine 3 failed: tcp://127.0.0.1:45104: "
	    "service unavailable",
	    &w, &r, &n);
	assert_true(r > 150);
	assert_non_null(
	    strstr(buf, "initialize of axQnzQI0000000 on machine 2"));
	assert_non_null(
	    strstr(buf, "initialize of axQnzQI0000001 on machine 3"));
	for (p = buf, written = 0; (p = strstr(p, "of axQnzQI")) != NULL;
	     p++) {
		written++;
	}
	assert_int_equal(written + count_reported(buf, "initialize of *"),
	                 500);
	assert_true(written < 100);
	rep_tally(buf, "initialization failed failed", &w, &r, &n);
	assert_int_equal(w + r, 250);
	rep_tally(buf, "initialization ok failed", &w, &r, &n);
	assert_int_equal(w + r, 250);
	rep_tally(buf, "size 100499", &w, &r, &n);
	assert_int_equal(w, 1);
	free(buf);

	// Info lines keep their ids: each file's line is written.
	assert_int_equal(unlink(fx->path), 0);
	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 20; i++) {
		bb_log_info("sealed axQnzQI%07d", i);
	}
	bb_log_close();
	buf = read_all(fx->path);
	assert_non_null(strstr(buf, "sealed axQnzQI0000019\n"));
	assert_null(strstr(buf, "repeated"));
	free(buf);
}

#define REP_THREADS 4
#define REP_LINES   1000

static void *
rep_thread(void *arg)
{
	int t = (int) (intptr_t) arg;
	int i;

	for (i = 0; i < REP_LINES; i++) {
		bb_log_warn("shared %s", "warning");
		bb_log_warn("thread %d line %d", t, i);
	}
	return NULL;
}

// Threads folding the same line lose no count and fold nothing else.
static void
test_repeat_threads(void **state)
{
	log_fix  *fx = *state;
	pthread_t th[REP_THREADS];
	char     *buf;
	char      msg[48];
	unsigned  w, r, n;
	int       t;
	int       i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (t = 0; t < REP_THREADS; t++) {
		assert_int_equal(pthread_create(&th[t], NULL, rep_thread,
		                                (void *) (intptr_t) t),
		                 0);
	}
	for (t = 0; t < REP_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
	}
	bb_log_close();
	buf = read_all(fx->path);
	rep_tally(buf, "shared warning", &w, &r, &n);
	assert_int_equal(w + r, REP_THREADS * REP_LINES);
	// Some are written anew: when a distinct line took the slot for a
	// moment, or while another thread (preempted on a loaded machine)
	// held the slot to rewrite it.  How many depends on scheduling, so
	// only "folded at all" is asserted here; test_repeat_folded checks
	// the folding itself on one thread.
	assert_true(w < REP_THREADS * REP_LINES);
	for (t = 0; t < REP_THREADS; t++) {
		for (i = 0; i < REP_LINES; i += 97) {
			(void) snprintf(msg, sizeof(msg), "thread %d line %d",
			                t, i);
			rep_tally(buf, msg, &w, &r, &n);
			assert_int_equal(w, 1);
		}
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_lines, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_json_escaping, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_debug_switch, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_plain_format, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_reopen_after_rename,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_open_error, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_folded, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_window_end, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_different, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_ids, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_threads, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
