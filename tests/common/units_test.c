// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/units_test.c -- sizes, durations, booleans and the human
// byte form, against the original's rules (spec sections 7.2 and 8).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/units.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
	const char *in;
	bb_err      rv;
	uint64_t    want;
} size_case;

static const size_case size_cases[] = {
	{ "0", BB_OK, 0 },
	{ "1", BB_OK, 1 },
	{ "1024", BB_OK, 1024 },
	{ "1,024", BB_OK, 1024 },
	{ "1,000,000", BB_OK, 1000000 },
	{ "10b", BB_OK, 10 },
	{ "1k", BB_OK, 1000 },
	{ "1kb", BB_OK, 1000 },
	{ "1KB", BB_OK, 1000 },
	{ "1kib", BB_OK, 1024 },
	{ "1KiB", BB_OK, 1024 },
	{ "100m", BB_OK, 100000000 },
	{ "100mb", BB_OK, 100000000 },
	{ "1mib", BB_OK, 1048576 },
	{ "1g", BB_OK, 1000000000 },
	{ "1gb", BB_OK, 1000000000 },
	{ "1gib", BB_OK, 1073741824 },
	{ "1 GiB", BB_OK, 1073741824 },
	{ "2t", BB_OK, 2000000000000ULL },
	{ "1tib", BB_OK, 1099511627776ULL },
	{ "1p", BB_OK, 1000000000000000ULL },
	{ "1pib", BB_OK, 1125899906842624ULL },
	{ "1e", BB_OK, 1000000000000000000ULL },
	{ "1eb", BB_OK, 1000000000000000000ULL },
	{ "1eib", BB_OK, 1152921504606846976ULL },
	{ "15eib", BB_OK, 15ULL * 1152921504606846976ULL },
	{ "18446744073709551615", BB_OK, UINT64_MAX },
	{ "18,446,744,073,709,551,615", BB_OK, UINT64_MAX },
	{ "18446744073709551616", BB_ERANGE, 0 },
	{ "16eib", BB_ERANGE, 0 },
	{ "19e", BB_ERANGE, 0 },
	{ "99999999999999999999999k", BB_ERANGE, 0 },
	{ "", BB_EINVAL, 0 },
	{ "k", BB_EINVAL, 0 },
	{ "-1", BB_EINVAL, 0 },
	{ "+1", BB_EINVAL, 0 },
	{ " 1", BB_EINVAL, 0 },
	{ "1.5g", BB_EINVAL, 0 },
	{ "1x", BB_EINVAL, 0 },
	{ "1kbb", BB_EINVAL, 0 },
	{ "1ki", BB_EINVAL, 0 },
	{ ",1", BB_EINVAL, 0 },
	{ "1,", BB_EINVAL, 0 },
	{ "1,,0", BB_EINVAL, 0 },
	{ "1 ", BB_EINVAL, 0 },
	{ "0x10", BB_EINVAL, 0 },
	{ "99999999999999999999999x", BB_EINVAL, 0 },
};

static void
test_parse_size(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < N(size_cases); i++) {
		uint64_t v  = 12345;
		bb_err   rv = bb_parse_size(size_cases[i].in, &v);
		if (rv != size_cases[i].rv) {
			fail_msg("bb_parse_size(\"%s\") = %s, want %s",
			         size_cases[i].in, bb_err_name(rv),
			         bb_err_name(size_cases[i].rv));
		}
		if (rv == BB_OK) {
			assert_int_equal(v, size_cases[i].want);
		} else {
			assert_int_equal(v, 12345); // untouched on error
		}
	}
}

typedef struct {
	const char *in;
	bb_err      rv;
	int64_t     want;
} dur_case;

#define MS 1000000LL
#define S  (1000 * MS)

static const dur_case dur_cases[] = {
	{ "0", BB_OK, 0 },
	{ "-0", BB_OK, 0 },
	{ "+0", BB_OK, 0 },
	{ "0s", BB_OK, 0 },
	{ "1ns", BB_OK, 1 },
	{ "1us", BB_OK, 1000 },
	{ "1\xc2\xb5s", BB_OK, 1000 },
	{ "1\xce\xbcs", BB_OK, 1000 },
	{ "300ms", BB_OK, 300 * MS },
	{ "30s", BB_OK, 30 * S },
	{ "1m", BB_OK, 60 * S },
	{ "5m", BB_OK, 300 * S },
	{ "1h", BB_OK, 3600 * S },
	{ "24h", BB_OK, 86400 * S },
	{ "1.5h", BB_OK, 5400 * S },
	{ "2h45m", BB_OK, 9900 * S },
	{ "1h30m", BB_OK, 5400 * S },
	{ "1m1s", BB_OK, 61 * S },
	{ "-1.5h", BB_OK, -5400 * S },
	{ "+5s", BB_OK, 5 * S },
	{ ".5s", BB_OK, 500 * MS },
	{ "1.s", BB_OK, S },
	{ "1.000000001s", BB_OK, S + 1 },
	{ "0.1s", BB_OK, 100 * MS },
	{ "100000000000000000000ns", BB_ERANGE, 0 },
	{ "9223372036854775807ns", BB_OK, INT64_MAX },
	{ "9223372036854775808ns", BB_ERANGE, 0 },
	{ "-9223372036854775808ns", BB_OK, INT64_MIN },
	{ "2562047h", BB_OK, 2562047LL * 3600 * S },
	{ "2562048h", BB_ERANGE, 0 },
	{ "2562047h48m", BB_ERANGE, 0 },
	{ "", BB_EINVAL, 0 },
	{ "-", BB_EINVAL, 0 },
	{ "1", BB_EINVAL, 0 },
	{ "10", BB_EINVAL, 0 },
	{ "s", BB_EINVAL, 0 },
	{ ".s", BB_EINVAL, 0 },
	{ "1d", BB_EINVAL, 0 },
	{ "1sm", BB_EINVAL, 0 },
	{ "1mss", BB_EINVAL, 0 },
	{ "1h ", BB_EINVAL, 0 },
	{ " 1h", BB_EINVAL, 0 },
	{ "1h-1m", BB_EINVAL, 0 },
	{ "1H", BB_EINVAL, 0 },
	{ "--1s", BB_EINVAL, 0 },
	{ "1\xc2s", BB_EINVAL, 0 },
};

static void
test_parse_duration(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < N(dur_cases); i++) {
		int64_t v  = 777;
		bb_err  rv = bb_parse_duration(dur_cases[i].in, &v);
		if (rv != dur_cases[i].rv) {
			fail_msg("bb_parse_duration(\"%s\") = %s, want %s",
			         dur_cases[i].in, bb_err_name(rv),
			         bb_err_name(dur_cases[i].rv));
		}
		if (rv == BB_OK && v != dur_cases[i].want) {
			fail_msg("bb_parse_duration(\"%s\") = %lld, want %lld",
			         dur_cases[i].in, (long long) v,
			         (long long) dur_cases[i].want);
		}
		if (rv != BB_OK) {
			assert_int_equal(v, 777);
		}
	}
}

typedef struct {
	const char *in;
	bb_err      rv;
	bool        want;
} bool_case;

static const bool_case bool_cases[] = {
	{ "true", BB_OK, true },       { "TRUE", BB_OK, true },
	{ "yes", BB_OK, true },        { "On", BB_OK, true },
	{ "1", BB_OK, true },          { "false", BB_OK, false },
	{ "No", BB_OK, false },        { "off", BB_OK, false },
	{ "0", BB_OK, false },         { "", BB_EINVAL, false },
	{ "2", BB_EINVAL, false },     { "y", BB_EINVAL, false },
	{ "truee", BB_EINVAL, false }, { " true", BB_EINVAL, false },
};

static void
test_parse_bool(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < N(bool_cases); i++) {
		bool   v  = !bool_cases[i].want;
		bb_err rv = bb_parse_bool(bool_cases[i].in, &v);
		if (rv != bool_cases[i].rv) {
			fail_msg("bb_parse_bool(\"%s\") = %s",
			         bool_cases[i].in, bb_err_name(rv));
		}
		if (rv == BB_OK) {
			assert_int_equal(v, bool_cases[i].want);
		}
	}
}

static void
test_parse_null(void **state)
{
	uint64_t u;
	int64_t  d;
	bool     b;

	(void) state;
	assert_int_equal(bb_parse_size(NULL, &u), BB_EINVAL);
	assert_int_equal(bb_parse_duration(NULL, &d), BB_EINVAL);
	assert_int_equal(bb_parse_bool(NULL, &b), BB_EINVAL);
}

typedef struct {
	uint64_t    n;
	const char *want;
} bytes_case;

// The vectors of spec section 7.2 and the edges between units.
static const bytes_case bytes_cases[] = {
	{ 0, "0B" },
	{ 1, "1B" },
	{ 999, "999B" },
	{ 1000, "1kB" },
	{ 1001, "1kB" },
	{ 1009, "1kB" },
	{ 1010, "1.01kB" },
	{ 1100, "1.1kB" },
	{ 1999, "1.99kB" },
	{ 9999, "9.99kB" },
	{ 10000, "10kB" },
	{ 10000, "10kB" },
	{ 10100, "10.1kB" },
	{ 10099, "10kB" },
	{ 99900, "99.9kB" },
	{ 100000, "100kB" },
	{ 999000, "999kB" },
	{ 999999, "999kB" },
	{ 1000000, "1MB" },
	{ 1500000, "1.5MB" },
	{ 1073741824, "1.07GB" },
	{ 1000000000000ULL, "1TB" },
	{ 1000000000000000ULL, "1PB" },
	{ 1000000000000000000ULL, "1EB" },
	{ UINT64_MAX, "18.4EB" },
};

static void
test_format_bytes(void **state)
{
	char   buf[32];
	size_t i;

	(void) state;
	for (i = 0; i < N(bytes_cases); i++) {
		char *r = bb_format_bytes(bytes_cases[i].n, buf, sizeof(buf));
		assert_ptr_equal(r, buf);
		if (strcmp(buf, bytes_cases[i].want) != 0) {
			fail_msg("bb_format_bytes(%llu) = \"%s\", want \"%s\"",
			         (unsigned long long) bytes_cases[i].n, buf,
			         bytes_cases[i].want);
		}
	}
}

static void
test_format_bytes_small_buffer(void **state)
{
	char buf[4] = { 'x', 'x', 'x', 'x' };

	(void) state;
	// Truncated but terminated; a zero length writes nothing.
	bb_format_bytes(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "18.");
	buf[0] = 'z';
	bb_format_bytes(1, buf, 0);
	assert_int_equal(buf[0], 'z');
}

typedef struct {
	int64_t     ns;
	const char *want;
} fmt_dur_case;

// What Go's time.Duration.String() prints for these values.
static const fmt_dur_case fmt_dur_cases[] = {
	{ 0, "0s" },
	{ 1, "1ns" },
	{ 999, "999ns" },
	{ 1000, "1\xc2\xb5s" },
	{ 1500, "1.5\xc2\xb5s" },
	{ 1000000, "1ms" },
	{ 1234567, "1.234567ms" },
	{ 999999999, "999.999999ms" },
	{ 1000000000, "1s" },
	{ 1500000000, "1.5s" },
	{ 61000000000, "1m1s" },
	{ 60000000000, "1m0s" },
	{ 3600000000000, "1h0m0s" },
	{ 3723000000001, "1h2m3.000000001s" },
	{ 90061000000000, "25h1m1s" },
	{ -1500000000, "-1.5s" },
	{ -1, "-1ns" },
	{ INT64_MAX, "2562047h47m16.854775807s" },
	{ INT64_MIN, "-2562047h47m16.854775808s" },
};

static void
test_format_duration(void **state)
{
	char    buf[32];
	int64_t back;
	size_t  i;

	(void) state;
	for (i = 0; i < N(fmt_dur_cases); i++) {
		char *r =
		    bb_format_duration(fmt_dur_cases[i].ns, buf, sizeof(buf));
		assert_ptr_equal(r, buf);
		if (strcmp(buf, fmt_dur_cases[i].want) != 0) {
			fail_msg(
			    "bb_format_duration(%lld) = \"%s\", want \"%s\"",
			    (long long) fmt_dur_cases[i].ns, buf,
			    fmt_dur_cases[i].want);
		}
		// What is printed parses back to the same value (Go's rule),
		// except INT64_MIN, whose magnitude does not fit in int64.
		if (fmt_dur_cases[i].ns != INT64_MIN) {
			assert_int_equal(bb_parse_duration(buf, &back), BB_OK);
			assert_int_equal(back, fmt_dur_cases[i].ns);
		}
	}
	// Truncated but terminated; a zero length writes nothing.
	bb_format_duration(61000000000, buf, 3);
	assert_string_equal(buf, "1m");
	buf[0] = 'z';
	bb_format_duration(1, buf, 0);
	assert_int_equal(buf[0], 'z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_format_bytes_small_buffer),
		cmocka_unit_test(test_format_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
