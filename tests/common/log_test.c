// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/log_test.c -- common/log.h: JSON and plain lines written
// to a file, escaping, long lines, the debug switch, reopen after rotation
// and an open error.  The folding of repeated lines is log_repeat_test.c.
#include "tests/common/log_fixture.h"

#include <time.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
