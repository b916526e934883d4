// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/buf_test.c -- the capped text buffer (cap, failure is
// sticky, long printf lines) and the JSON string escaper: a table of
// inputs and their escaped forms (short escapes, \u00XX, UTF-8 kept,
// invalid UTF-8 replaced) through both forms, and the fixed-size form
// never splitting an escape.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static void
test_buf_cap(void **state)
{
	bb_buf b;
	char   big[600];

	(void) state;
	bb_buf_init(&b, 16);
	bb_buf_printf(&b, "%s", "0123456789");
	assert_false(b.failed);
	assert_string_equal(b.p, "0123456789");
	bb_buf_put(&b, "abcdefg", 7); // 17 bytes: past the cap
	assert_true(b.failed);
	bb_buf_put(&b, "x", 1); // no effect once failed
	assert_int_equal(b.len, 10);
	bb_buf_fini(&b);
	bb_buf_fini(&b); // zeroed: fine

	// A long line goes past the stack buffer of bb_buf_printf.
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bb_buf_init(&b, 1 << 20);
	bb_buf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.p[0], '<');
	assert_int_equal(b.p[b.len - 1], '>');
	bb_buf_fini(&b);
}

static void
test_buf_cap_exact(void **state)
{
	bb_buf b;

	(void) state;
	// Exactly max bytes fit; one more fails, through every append.
	bb_buf_init(&b, 4);
	bb_buf_put(&b, "abcd", 4);
	assert_false(b.failed);
	assert_string_equal(b.p, "abcd");
	bb_buf_printf(&b, "%d", 5);
	assert_true(b.failed);
	bb_buf_fini(&b);

	bb_buf_init(&b, 4);
	bb_buf_json_str(&b, "ab\n"); // "ab\n" quoted is 7 bytes
	assert_true(b.failed);
	bb_buf_fini(&b);

	bb_buf_init(&b, 0);
	bb_buf_put(&b, "", 0);
	assert_false(b.failed);
	bb_buf_put(&b, "a", 1);
	assert_true(b.failed);
	bb_buf_fini(&b);
}

static void
test_json_escape(void **state)
{
	bb_buf b;

	(void) state;
	bb_buf_init(&b, 1024);
	bb_buf_json_str(&b, "plain");
	bb_buf_json_str(&b, "q\"b\\s/");
	bb_buf_json_str(&b, "\n\t\x01\x1f\x7f");
	bb_buf_json_str(&b, "caf\xc3\xa9");
	bb_buf_json_str(&b, "");
	// \n and \t in their short forms since the escapers were merged.
	assert_string_equal(b.p,
	                    "\"plain\""
	                    "\"q\\\"b\\\\s/\""
	                    "\"\\n\\t\\u0001\\u001f\\u007f\""
	                    "\"caf\xc3\xa9\""
	                    "\"\"");
	bb_buf_fini(&b);
}

// The escaping table: input, the inside of the JSON string.
static const struct {
	const char *in;
	const char *out;
} json_cases[] = {
	{ "", "" },
	{ "plain / text", "plain / text" },
	{ "\"", "\\\"" },
	{ "\\", "\\\\" },
	{ "\b\f\n\r\t", "\\b\\f\\n\\r\\t" },
	{ "\x01\x0b\x1b\x1f", "\\u0001\\u000b\\u001b\\u001f" },
	{ "\x7f", "\\u007f" },
	{ "\x20~", " ~" },
	// Valid UTF-8 of every length, and the range edges.
	{ "\xc2\x80", "\xc2\x80" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe2\x82\xac", "\xe2\x82\xac" },
	{ "\xe0\xa0\x80", "\xe0\xa0\x80" },
	{ "\xed\x9f\xbf", "\xed\x9f\xbf" },
	{ "\xef\xbf\xbf", "\xef\xbf\xbf" },
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
	// Invalid UTF-8: one \ufffd per byte that starts no character.
	{ "\x80", "\\ufffd" },
	{ "a\xbfz", "a\\ufffdz" },
	{ "\xc0\xaf", "\\ufffd\\ufffd" },                       // overlong '/'
	{ "\xc1\xbf", "\\ufffd\\ufffd" },                       // overlong
	{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd" },            // overlong
	{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" },            // surrogate
	{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" }, // > U+10FFFF
	{ "\xf5\x80", "\\ufffd\\ufffd" },
	{ "\xff", "\\ufffd" },
	{ "\xc3", "\\ufffd" },              // cut short by the end
	{ "\xe2\x82", "\\ufffd\\ufffd" },   // cut short by the end
	{ "\xe2\x82z", "\\ufffd\\ufffdz" }, // cut short by a letter
	{ "\xc3\"", "\\ufffd\\\"" },
};

static void
test_json_table(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		bb_buf b;
		char   want[128];
		char   fixed[128];
		size_t n;

		bb_buf_init(&b, 1024);
		bb_buf_json_str(&b, json_cases[i].in);
		(void) snprintf(want, sizeof(want), "\"%s\"",
		                json_cases[i].out);
		if (b.p == NULL || strcmp(b.p, want) != 0) {
			fail_msg("case %zu: got %s, want %s", i,
			         b.p != NULL ? b.p : "(null)", want);
		}
		bb_buf_fini(&b);

		n = bb_json_escape(fixed, sizeof(fixed), json_cases[i].in);
		assert_string_equal(fixed, json_cases[i].out);
		assert_int_equal(n, strlen(json_cases[i].out));
	}
}

static void
test_json_escape_fixed_cap(void **state)
{
	char dst[16];

	(void) state;
	// "ab" then \n (2 bytes): with room for 3 bytes and the NUL the
	// escape fits; with one byte less it is left out, never split.
	memset(dst, 'X', sizeof(dst));
	assert_int_equal(bb_json_escape(dst, 5, "ab\ncd"), 4);
	assert_string_equal(dst, "ab\\n");
	assert_int_equal(bb_json_escape(dst, 4, "ab\ncd"), 2);
	assert_string_equal(dst, "ab");
	assert_int_equal(bb_json_escape(dst, 8, "a\x01"), 7);
	assert_string_equal(dst, "a\\u0001");
	assert_int_equal(bb_json_escape(dst, 7, "a\x01"), 1);
	assert_string_equal(dst, "a");
	// A UTF-8 sequence is not split either.
	assert_int_equal(bb_json_escape(dst, 4, "a\xe2\x82\xac"), 1);
	assert_string_equal(dst, "a");
	assert_int_equal(bb_json_escape(dst, 5, "a\xe2\x82\xac"), 4);
	assert_string_equal(dst, "a\xe2\x82\xac");
	// cap 1: only the NUL; cap 0: nothing at all.
	assert_int_equal(bb_json_escape(dst, 1, "abc"), 0);
	assert_string_equal(dst, "");
	dst[0] = 'X';
	assert_int_equal(bb_json_escape(dst, 0, "abc"), 0);
	assert_int_equal(dst[0], 'X');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_cap_exact),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_table),
		cmocka_unit_test(test_json_escape_fixed_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
