// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/range_test.c -- gateway/range.c's parsers: the Range
// header against a blob length (the three forms, clipping, 416 cases,
// what is ignored, numbers past 64 bits, garbage), and the entity tag
// comparisons of If-None-Match (weak, lists, "*") and If-Range (strong).
// The answers themselves are tested with real nodes (integration.range).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_impl.h"

typedef struct {
	const char    *value;
	uint64_t       total;
	gw__range_kind kind;
	uint64_t       first, count; // GW__RANGE_PART only
} range_case;

static void
check_cases(const range_case *c, size_t n)
{
	uint64_t       first, count;
	gw__range_kind k;
	size_t         i;

	for (i = 0; i < n; i++) {
		first = 777;
		count = 777;
		k = gw__range_parse(c[i].value, c[i].total, &first, &count);
		if (k != c[i].kind) {
			fail_msg("\"%s\" of %llu: kind %d, want %d",
			         c[i].value != NULL ? c[i].value : "(null)",
			         (unsigned long long) c[i].total, (int) k,
			         (int) c[i].kind);
		}
		if (k == GW__RANGE_PART &&
		    (first != c[i].first || count != c[i].count)) {
			fail_msg("\"%s\" of %llu: [%llu, +%llu), want [%llu, "
			         "+%llu)",
			         c[i].value, (unsigned long long) c[i].total,
			         (unsigned long long) first,
			         (unsigned long long) count,
			         (unsigned long long) c[i].first,
			         (unsigned long long) c[i].count);
		}
		if (k != GW__RANGE_PART) {
			// Written for a range only.
			assert_true(first == 777 && count == 777);
		}
	}
}

// The three forms, clipped to the blob.
static void
test_forms(void **state)
{
	static const range_case c[] = {
		{ "bytes=0-4", 10, GW__RANGE_PART, 0, 5 },
		{ "bytes=0-0", 10, GW__RANGE_PART, 0, 1 },
		{ "bytes=9-9", 10, GW__RANGE_PART, 9, 1 },
		{ "bytes=3-", 10, GW__RANGE_PART, 3, 7 },
		{ "bytes=0-", 10, GW__RANGE_PART, 0, 10 },
		{ "bytes=-3", 10, GW__RANGE_PART, 7, 3 },
		{ "bytes=-10", 10, GW__RANGE_PART, 0, 10 },
		// Past the end: clipped (RFC 9110 section 14.1.2).
		{ "bytes=5-100", 10, GW__RANGE_PART, 5, 5 },
		{ "bytes=-100", 10, GW__RANGE_PART, 0, 10 },
		{ "bytes=0-0", 1, GW__RANGE_PART, 0, 1 },
		{ "bytes=-1", 1, GW__RANGE_PART, 0, 1 },
		// The unit is case-insensitive; blanks and empty list
		// elements around the one range are allowed.
		{ "Bytes=1-2", 10, GW__RANGE_PART, 1, 2 },
		{ "BYTES=1-2", 10, GW__RANGE_PART, 1, 2 },
		{ " bytes=1-2 ", 10, GW__RANGE_PART, 1, 2 },
		{ "bytes=1-2,", 10, GW__RANGE_PART, 1, 2 },
		{ "bytes=, 1-2 ,\t", 10, GW__RANGE_PART, 1, 2 },
		{ "bytes=007-008", 10, GW__RANGE_PART, 7, 2 },
		// The largest blob an id can name.
		{ "bytes=4294967294-", 4294967295ULL, GW__RANGE_PART,
		  4294967294ULL, 1 },
	};

	(void) state;
	check_cases(c, sizeof(c) / sizeof(c[0]));
}

// 416: a first byte at or past the end, a suffix of 0, any range of an
// empty blob.
static void
test_unsatisfiable(void **state)
{
	static const range_case c[] = {
		{ "bytes=10-", 10, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=10-20", 10, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=11-11", 10, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=-0", 10, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=0-", 0, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=0-0", 0, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=-5", 0, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=-0", 0, GW__RANGE_UNSAT, 0, 0 },
	};

	(void) state;
	check_cases(c, sizeof(c) / sizeof(c[0]));
}

// Ignored (the whole blob): no header, another unit, several ranges,
// an invalid range, syntax errors.
static void
test_ignored(void **state)
{
	static const range_case c[] = {
		{ NULL, 10, GW__RANGE_WHOLE, 0, 0 },
		{ "", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=-", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=--1", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=1", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=a-b", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=1-2x", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=1 -2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=+1-2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=-+1", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=0x1-2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes 1-2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "byte=1-2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "items=1-2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "=1-2", 10, GW__RANGE_WHOLE, 0, 0 },
		// last < first: invalid, not unsatisfiable.
		{ "bytes=5-2", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=20-2", 10, GW__RANGE_WHOLE, 0, 0 },
		// Several ranges, even overlapping or unsatisfiable ones.
		{ "bytes=0-1,3-4", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=0-1, 0-1", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=-1,0-", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=20-,30-", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=0-1 3-4", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=0-1;", 10, GW__RANGE_WHOLE, 0, 0 },
		{ "bytes=0-1\r\n", 10, GW__RANGE_WHOLE, 0, 0 },
	};

	(void) state;
	check_cases(c, sizeof(c) / sizeof(c[0]));
}

// Numbers past 64 bits saturate: a first byte past any end is 416, a
// last byte past the end is clipped, a suffix past the length is all.
static void
test_overflow(void **state)
{
	static const range_case c[] = {
		{ "bytes=18446744073709551615-", 10, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=18446744073709551616-", 10, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=99999999999999999999999999999999-", 10,
		  GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=2-18446744073709551615", 10, GW__RANGE_PART, 2, 8 },
		{ "bytes=2-99999999999999999999999999999", 10, GW__RANGE_PART,
		  2, 8 },
		{ "bytes=-18446744073709551616", 10, GW__RANGE_PART, 0, 10 },
		{ "bytes=18446744073709551615-18446744073709551615",
		  UINT64_MAX, GW__RANGE_UNSAT, 0, 0 },
		{ "bytes=18446744073709551614-99999999999999999999999",
		  UINT64_MAX, GW__RANGE_PART, UINT64_MAX - 1, 1 },
		{ "bytes=0-", UINT64_MAX, GW__RANGE_PART, 0, UINT64_MAX },
		// Saturated last below first: still invalid.
		{ "bytes=99999999999999999999999-18446744073709551614", 10,
		  GW__RANGE_WHOLE, 0, 0 },
	};

	(void) state;
	check_cases(c, sizeof(c) / sizeof(c[0]));
}

// A long header of digits or separators ends, and parses as it should.
static void
test_long_garbage(void **state)
{
	static char buf[1 << 16];
	uint64_t    first, count;

	(void) state;
	memcpy(buf, "bytes=", 6);
	memset(buf + 6, '9', sizeof(buf) - 7);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(gw__range_parse(buf, 10, &first, &count),
	                 GW__RANGE_WHOLE);
	buf[sizeof(buf) - 2] = '-';
	assert_int_equal(gw__range_parse(buf, 10, &first, &count),
	                 GW__RANGE_UNSAT);
	memset(buf + 6, ',', sizeof(buf) - 7);
	assert_int_equal(gw__range_parse(buf, 10, &first, &count),
	                 GW__RANGE_WHOLE);
	buf[7] = '1';
	buf[8] = '-';
	assert_int_equal(gw__range_parse(buf, 10, &first, &count),
	                 GW__RANGE_PART);
	assert_true(first == 1 && count == 9);
}

#define ID "axR-RQABAAAAAQAAAAAAAAAW"

static bool
inm(const char *v)
{
	return gw__etag_match(v, ID, strlen(ID), false);
}

static bool
ifr(const char *v)
{
	return gw__etag_match(v, ID, strlen(ID), true);
}

// If-None-Match compares weakly, in a list, or "*".
static void
test_if_none_match(void **state)
{
	(void) state;
	assert_true(inm("\"" ID "\""));
	assert_true(inm("W/\"" ID "\""));
	assert_true(inm("*"));
	assert_true(inm("\"a\", \"" ID "\""));
	assert_true(inm("\"a\",W/\"b\" ,\t\"" ID "\" , \"c\""));
	assert_true(inm(" , \"" ID "\""));
	assert_false(inm(NULL));
	assert_false(inm(""));
	assert_false(inm(ID)); // unquoted
	assert_false(inm("\"" ID));
	assert_false(inm("\"" ID "x\""));
	assert_false(inm("\"x" ID "\""));
	assert_false(inm("\"\""));
	assert_false(inm("\"a\", \"b\""));
	assert_false(inm("w/\"" ID "\""));
	assert_false(inm("W/" ID));
	// A syntax error ends the list.
	assert_false(inm("x, \"" ID "\""));
	assert_false(inm("\"a\" junk \"" ID "\""));
	assert_false(inm("\"a"));
}

// If-Range compares strongly, one tag.
static void
test_if_range(void **state)
{
	(void) state;
	assert_true(ifr("\"" ID "\""));
	assert_true(ifr("  \"" ID "\"  "));
	assert_false(ifr(NULL));
	assert_false(ifr(""));
	assert_false(ifr("W/\"" ID "\""));
	assert_false(ifr("*"));
	assert_false(ifr("\"" ID "\", \"" ID "\""));
	assert_false(ifr("\"" ID "\"x"));
	assert_false(ifr("Sat, 05 Dec 2026 21:00:00 GMT"));
	assert_false(ifr("\"" ID));
	assert_false(ifr("\"a\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_long_garbage),
		cmocka_unit_test(test_if_none_match),
		cmocka_unit_test(test_if_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
