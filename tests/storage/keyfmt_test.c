// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/keyfmt_test.c -- storage/keyfmt.h, the s3_key_format
// language: every output the original's format_test.go pins, the exact
// error messages, the odd escapes kept for compatibility, UTF-8 text,
// bounded output on small buffers (exact-size heap buffers, so ASan sees
// any overrun) and formatting from several threads.  Joining keys, the
// object key and the uniqueness check are keyfmt_key_test.c.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/keyfmt.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

// The fids of the original's format_test.go (short literals padded with
// zeros, as a Go array literal is).
static const uint8_t f_epoch[10]     = { 0 }; // 1970-01-01 00:00:00 Thu
static const uint8_t f_hour1[10]     = { 0, 0, 14, 16 };
static const uint8_t f_hour12[10]    = { 0, 0, 168, 192 };
static const uint8_t f_day1[10]      = { 0, 1, 81, 128 };
static const uint8_t f_day2[10]      = { 0, 2, 163, 0 };
static const uint8_t f_day3[10]      = { 0, 3, 244, 128 };
static const uint8_t f_day4[10]      = { 0, 5, 70, 0 };
static const uint8_t f_day5[10]      = { 0, 6, 151, 128 };
static const uint8_t f_day6[10]      = { 0, 7, 233, 0 };
static const uint8_t f_day10[10]     = { 0, 11, 221, 128 };
static const uint8_t f_month2[10]    = { 0, 40, 222, 128 };
static const uint8_t f_month3[10]    = { 0, 77, 200, 128 };
static const uint8_t f_month4[10]    = { 0, 118, 167, 0 };
static const uint8_t f_month5[10]    = { 0, 158, 52, 0 };
static const uint8_t f_month6[10]    = { 0, 199, 18, 128 };
static const uint8_t f_month7[10]    = { 0, 238, 159, 128 };
static const uint8_t f_month8[10]    = { 1, 23, 126, 0 };
static const uint8_t f_month9[10]    = { 1, 64, 92, 128 };
static const uint8_t f_month10[10]   = { 1, 103, 233, 128 };
static const uint8_t f_month11[10]   = { 1, 144, 200, 0 };
static const uint8_t f_month12[10]   = { 1, 184, 85, 0 };
static const uint8_t f_year2000[10]  = { 56, 109, 67, 128 };
static const uint8_t f_localhost[10] = { 0, 0, 0, 0, 255, 255, 127, 0, 0, 1 };
static const uint8_t f_13[10]        = { 0, 0, 182, 208 }; // 13:00
static const uint8_t f_max[10]       = { 255, 255, 255, 255, 255,
	                                 255, 255, 255, 255, 255 };

// expect_fmt compiles fmt and checks the name it gives the fid fb.
static void
expect_fmt(const char *fmt, const uint8_t *fb, const char *want)
{
	store_keyfmt *k = NULL;
	store_fid     fid;
	char          buf[256];
	char          err[128] = "";
	bb_err        rv;

	if (store_keyfmt_new(fmt, &k, err, sizeof(err)) != BB_OK) {
		fail_msg("%s: %s", fmt, err);
	}
	memcpy(fid.b, fb, STORE_FID_LEN);
	memset(buf, '#', sizeof(buf));
	rv = store_keyfmt_format(k, &fid, buf, sizeof(buf));
	store_keyfmt_free(k);
	assert_int_equal(rv, BB_OK);
	if (strcmp(buf, want) != 0) {
		fail_msg("\"%s\" gave \"%s\", want \"%s\"", fmt, buf, want);
	}
}

static void
test_static(void **state)
{
	(void) state;
	expect_fmt("static_string", f_epoch, "static_string");
	expect_fmt("static%%%n%tstring", f_epoch, "static%\n\tstring");
}

static void
test_ampm(void **state)
{
	(void) state;
	expect_fmt("%p %P", f_epoch, "am AM");
	expect_fmt("%p %P", f_hour12, "pm PM");
	expect_fmt("%p %P", f_hour1, "am AM");
	expect_fmt("%p %P", f_13, "pm PM");
}

static void
test_century(void **state)
{
	(void) state;
	expect_fmt("%C", f_epoch, "19");
	expect_fmt("%C", f_year2000, "20");
	expect_fmt("%C", f_max, "21");
}

static void
test_day(void **state)
{
	(void) state;
	expect_fmt("'%d' '%-d' '%_d'", f_epoch, "'01' '1' ' 1'");
	expect_fmt("'%d' '%-d' '%_d'", f_day10, "'10' '10' '10'");
}

static void
test_default(void **state)
{
	store_keyfmt *k = NULL;
	store_fid     fid;
	char          buf[STORE_FID_STRLEN + 1];

	(void) state;
	memset(&fid, 0, sizeof(fid));
	assert_int_equal(store_keyfmt_new(NULL, &k, NULL, 0), BB_OK);
	assert_int_equal(store_keyfmt_format(k, &fid, buf, sizeof(buf)),
	                 BB_OK);
	assert_string_equal(buf, "AAAAAAAAAAAAAA");
	store_keyfmt_free(k);
	k = NULL;
	assert_int_equal(store_keyfmt_new("", &k, NULL, 0), BB_OK);
	store_fid_make(&fid, UINT32_C(1582164122), 1, 2);
	assert_int_equal(store_keyfmt_format(k, &fid, buf, sizeof(buf)),
	                 BB_OK);
	assert_string_equal(buf, "Xk3omgABAAAAAg");
	store_keyfmt_free(k);
	// A NULL formatter is the default one, as a nil one in Go.
	assert_int_equal(store_keyfmt_format(NULL, &fid, buf, sizeof(buf)),
	                 BB_OK);
	assert_string_equal(buf, "Xk3omgABAAAAAg");
	store_keyfmt_free(NULL);
}

static void
test_epoch(void **state)
{
	(void) state;
	expect_fmt("%s", f_epoch, "0");
	expect_fmt("%s", f_year2000, "946684800");
	expect_fmt("%s", f_max, "4294967295");
}

static void
test_errors(void **state)
{
	static const struct {
		const char *fmt;
		const char *msg;
	} cases[] = {
		{ "%*", "Unknown or unsupported escape sequence %* at 1" },
		{ "%_*", "Unknown or unsupported escape sequence %_* at 2" },
		{ "%-*", "Unknown or unsupported escape sequence %-* at 2" },
		{ "%.*", "Unknown or unsupported escape sequence %.* at 2" },
		{ "%", "Unterminated escape sequence." },
		{ "%-", "Unterminated escape sequence." },
		{ "%_", "Unterminated escape sequence." },
		{ "%.", "Unterminated escape sequence." },
		{ "abc%", "Unterminated escape sequence." },
		{ "ab/%Z", "Unknown or unsupported escape sequence %Z at 4" },
		{ "%E", "Unknown or unsupported escape sequence %E at 1" },
		{ "%-a", "Unknown or unsupported escape sequence %-a at 2" },
		{ "%_y", "Unknown or unsupported escape sequence %_y at 2" },
		{ "%.K", "Unknown or unsupported escape sequence %.K at 2" },
		{ "%--d", "Unknown or unsupported escape sequence %-- at 2" },
		{ "%-%", "Unknown or unsupported escape sequence %-% at 2" },
		{ "%_n", "Unknown or unsupported escape sequence %_n at 2" },
		{ "%y%*%", "Unknown or unsupported escape sequence %* at 3" },
		// Go reports the whole rune and its byte index.
		{ "\xc3\xa9%\xc3\xa9",
		  "Unknown or unsupported escape sequence %\xc3\xa9 at 3" },
		{ "%\xff",
		  "Unknown or unsupported escape sequence "
		  "%\xef\xbf\xbd at 1" },
	};
	store_keyfmt *k = NULL;
	char          err[128];
	char          tiny[8];
	size_t        i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		memset(err, '#', sizeof(err));
		assert_int_equal(
		    store_keyfmt_new(cases[i].fmt, &k, err, sizeof(err)),
		    BB_EINVAL);
		assert_null(k);
		assert_string_equal(err, cases[i].msg);
	}
	// The message is cut to the buffer; no buffer at all is fine.
	memset(tiny, '#', sizeof(tiny));
	assert_int_equal(store_keyfmt_new("%*", &k, tiny, sizeof(tiny)),
	                 BB_EINVAL);
	assert_string_equal(tiny, "Unknown");
	assert_int_equal(store_keyfmt_new("%*", &k, NULL, 0), BB_EINVAL);
	assert_int_equal(store_keyfmt_new("%", &k, tiny, 0), BB_EINVAL);
	assert_null(k);
}

static void
test_hour(void **state)
{
	(void) state;
	expect_fmt("'%H' '%-H' '%_H'", f_epoch, "'00' '0' ' 0'");
	expect_fmt("'%H' '%-H' '%_H'", f_hour1, "'01' '1' ' 1'");
	expect_fmt("'%H' '%-H' '%_H'", f_13, "'13' '13' '13'");
	expect_fmt("'%I' '%-I' '%_I'", f_epoch, "'12' '12' '12'");
	expect_fmt("'%I' '%-I' '%_I'", f_hour1, "'01' '1' ' 1'");
	expect_fmt("'%I' '%-I' '%_I'", f_13, "'01' '1' ' 1'");
}

static void
test_id(void **state)
{
	(void) state;
	expect_fmt("'%K' '%-K' '%_K'", f_epoch, "'00000' '0' '    0'");
	expect_fmt("'%K' '%-K' '%_K'", f_localhost, "'65535' '65535' '65535'");
}

static void
test_minute(void **state)
{
	static const uint8_t f_min[10] = { 0, 0, 2, 88 }; // 00:10:00

	(void) state;
	expect_fmt("'%M' '%-M' '%_M'", f_epoch, "'00' '0' ' 0'");
	expect_fmt("'%M' '%-M' '%_M'", f_min, "'10' '10' '10'");
}

static void
test_month(void **state)
{
	static const char *const fmt = "%b %B '%m' '%-m' '%_m'";

	(void) state;
	expect_fmt(fmt, f_epoch, "Jan January '01' '1' ' 1'");
	expect_fmt(fmt, f_month2, "Feb February '02' '2' ' 2'");
	expect_fmt(fmt, f_month3, "Mar March '03' '3' ' 3'");
	expect_fmt(fmt, f_month4, "Apr April '04' '4' ' 4'");
	expect_fmt(fmt, f_month5, "May May '05' '5' ' 5'");
	expect_fmt(fmt, f_month6, "Jun June '06' '6' ' 6'");
	expect_fmt(fmt, f_month7, "Jul July '07' '7' ' 7'");
	expect_fmt(fmt, f_month8, "Aug August '08' '8' ' 8'");
	expect_fmt(fmt, f_month9, "Sep September '09' '9' ' 9'");
	expect_fmt(fmt, f_month10, "Oct October '10' '10' '10'");
	expect_fmt(fmt, f_month11, "Nov November '11' '11' '11'");
	expect_fmt(fmt, f_month12, "Dec December '12' '12' '12'");
}

static void
test_machine(void **state)
{
	static const char *const fmt = "'%L' '%-L' '%_L' '%.L'";

	(void) state;
	expect_fmt(fmt, f_epoch, "'0000000000' '0' '         0' '0.0.0.0'");
	expect_fmt(fmt, f_localhost,
	           "'2130706433' '2130706433' '2130706433' '127.0.0.1'");
	expect_fmt(fmt, f_max,
	           "'4294967295' '4294967295' '4294967295' "
	           "'255.255.255.255'");
}

static void
test_quarter(void **state)
{
	(void) state;
	// month/3+1 with January as 1: the original's, kept on purpose.
	expect_fmt("%q", f_epoch, "1");
	expect_fmt("%q", f_month2, "1");
	expect_fmt("%q", f_month3, "2");
	expect_fmt("%q", f_month5, "2");
	expect_fmt("%q", f_month6, "3");
	expect_fmt("%q", f_month8, "3");
	expect_fmt("%q", f_month9, "4");
	expect_fmt("%q", f_month11, "4");
	expect_fmt("%q", f_month12, "5");
}

static void
test_specials(void **state)
{
	(void) state;
	expect_fmt("%F", f_epoch, "1970-01-01");
	expect_fmt("%F", f_day1, "1970-01-02");
	expect_fmt("%F", f_year2000, "2000-01-01");
	expect_fmt("%r", f_epoch, "12:00:00 AM");
	expect_fmt("%r", f_hour12, "12:00:00 PM");
	expect_fmt("%r", f_13, "01:00:00 PM");
	expect_fmt("%R", f_epoch, "00:00");
	expect_fmt("%R", f_hour12, "12:00");
	expect_fmt("%T", f_epoch, "00:00:00");
	expect_fmt("%T", f_hour12, "12:00:00");
	expect_fmt("%T", f_max, "06:28:15");
}

static void
test_second(void **state)
{
	static const uint8_t f_sec[10] = { 0, 0, 0, 42 };

	(void) state;
	expect_fmt("'%S' '%-S' '%_S'", f_epoch, "'00' '0' ' 0'");
	expect_fmt("'%S' '%-S' '%_S'", f_sec, "'42' '42' '42'");
}

static void
test_weekday(void **state)
{
	static const char *const fmt = "%a %A %u %w";

	(void) state;
	expect_fmt(fmt, f_epoch, "Thu Thursday 5 4");
	expect_fmt(fmt, f_day1, "Fri Friday 6 5");
	expect_fmt(fmt, f_day2, "Sat Saturday 7 6");
	expect_fmt(fmt, f_day3, "Sun Sunday 1 0");
	expect_fmt(fmt, f_day4, "Mon Monday 2 1");
	expect_fmt(fmt, f_day5, "Tue Tuesday 3 2");
	expect_fmt(fmt, f_day6, "Wed Wednesday 4 3");
}

static void
test_year(void **state)
{
	static const char *const fmt = "%y '%Y' '%_Y' '%-Y'";

	(void) state;
	// %y is the 4-digit year and %Y the 2-digit one (swapped against
	// strftime, as in the original).
	expect_fmt(fmt, f_epoch, "1970 '70' '70' '70'");
	expect_fmt(fmt, f_year2000, "2000 '00' ' 0' '0'");
	expect_fmt(fmt, f_max, "2106 '06' ' 6' '6'");
}

static void
test_yearday(void **state)
{
	static const char *const fmt        = "%j '%j' '%_j' '%-j'";
	static const uint8_t     f_leap[10] = { 58, 78, 119, 0 }; // 2000-12-31

	(void) state;
	expect_fmt(fmt, f_epoch, "001 '001' '  1' '1'");
	expect_fmt(fmt, f_day10, "010 '010' ' 10' '10'");
	expect_fmt(fmt, f_leap, "366 '366' '366' '366'");
}

static void
test_realistic(void **state)
{
	store_fid fid;

	(void) state;
	// 2020-02-20 02:02:02 UTC, counter 1, machine 2.
	store_fid_make(&fid, UINT32_C(1582164122), 1, 2);
	expect_fmt("%y/%m/%d/%H/%.L/%K-%s_%j%%", fid.b,
	           "2020/02/20/02/0.0.0.2/00001-1582164122_051%");
}

static void
test_utf8_text(void **state)
{
	(void) state;
	// Go reads the format rune by rune: valid UTF-8 is kept, each byte
	// that does not start a valid sequence becomes U+FFFD.
	expect_fmt("\xc3\xa9t\xc3\xa9/%y", f_epoch, "\xc3\xa9t\xc3\xa9/1970");
	expect_fmt("a\xff"
	           "b",
	           f_epoch,
	           "a\xef\xbf\xbd"
	           "b");
	expect_fmt("\xc0\x80", f_epoch, "\xef\xbf\xbd\xef\xbf\xbd");
	expect_fmt("\xed\xa0\x80", f_epoch, // a surrogate
	           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	expect_fmt("\xf0\x9f\x98\x80\xe2\x82%y", f_epoch, // a cut rune
	           "\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd"
	           "1970");
}

// check_bounded formats into exact-size heap buffers of every length up to
// the one that fits: each shorter one gives BB_ETOOBIG and "".
static void
check_bounded(const store_keyfmt *k, const store_fid *fid, const char *want)
{
	size_t need = strlen(want) + 1;
	size_t len;
	char  *buf;

	assert_int_equal(store_keyfmt_format(k, fid, NULL, 0), BB_ETOOBIG);
	for (len = 1; len <= need; len++) {
		buf = malloc(len);
		assert_non_null(buf);
		memset(buf, '#', len);
		if (len < need) {
			assert_int_equal(store_keyfmt_format(k, fid, buf, len),
			                 BB_ETOOBIG);
			assert_string_equal(buf, "");
		} else {
			assert_int_equal(store_keyfmt_format(k, fid, buf, len),
			                 BB_OK);
			assert_string_equal(buf, want);
		}
		free(buf);
	}
}

static void
test_too_small(void **state)
{
	static const char all[] =
	    "x%a%A%b%B%C%d%F%H%I%j%K%L%.L%m%M%p%P%q%r%R%s%S%T%u%w%y%Y"
	    "%-d%-H%-I%-j%-K%-L%-m%-M%-S%-Y%_d%_H%_I%_j%_K%_L%_m%_M%_S%_Y";
	store_keyfmt *k = NULL;
	store_fid     fid;

	(void) state;
	memcpy(fid.b, f_max, STORE_FID_LEN);
	assert_int_equal(store_keyfmt_new(all, &k, NULL, 0), BB_OK);
	// Sunday 2106-02-07 06:28:15, the last second a fid can hold.
	check_bounded(
	    k, &fid,
	    "xSunSundayFebFebruary21072106-02-070606038655354294967295"
	    "255.255.255.2550228amAM106:28:15 AM06:284294967295150"
	    "6:28:1510210606766386553542949672952281"
	    "56 7 6 6 38655354294967295 22815 6");
	store_keyfmt_free(k);
	check_bounded(NULL, &fid, "_____________w");
}

static void *
thread_main(void *arg)
{
	const store_keyfmt *k = arg;
	store_fid           fid;
	char                buf[64];
	char                want[64];
	uint32_t            i;

	for (i = 0; i < 2000; i++) {
		store_fid_make(&fid, 946684800 + i * 86400, (uint16_t) i, i);
		if (store_keyfmt_format(k, &fid, buf, sizeof(buf)) != BB_OK) {
			return "format failed";
		}
		(void) snprintf(want, sizeof(want), "%05u/%u",
		                (unsigned) (uint16_t) i, (unsigned) i);
		if (strcmp(buf + 11, want) != 0) {
			return "wrong name";
		}
	}
	return NULL;
}

static void
test_threads(void **state)
{
	store_keyfmt *k = NULL;
	pthread_t     t[4];
	void         *ret;
	size_t        i;

	(void) state;
	assert_int_equal(store_keyfmt_new("%F/%K/%-L", &k, NULL, 0), BB_OK);
	for (i = 0; i < ARRAY_LEN(t); i++) {
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, k),
		                 0);
	}
	for (i = 0; i < ARRAY_LEN(t); i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	store_keyfmt_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_ampm),
		cmocka_unit_test(test_century),
		cmocka_unit_test(test_day),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hour),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_minute),
		cmocka_unit_test(test_month),
		cmocka_unit_test(test_machine),
		cmocka_unit_test(test_quarter),
		cmocka_unit_test(test_specials),
		cmocka_unit_test(test_second),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_year),
		cmocka_unit_test(test_yearday),
		cmocka_unit_test(test_realistic),
		cmocka_unit_test(test_utf8_text),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
