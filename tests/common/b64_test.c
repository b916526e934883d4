// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/b64_test.c -- common/b64.h: round trips of every length
// 0..64, known vectors, and the strictness of the decoder.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/b64.h"

// A fixed-seed generator: the test is repeatable.
static uint32_t
rnd_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static bb_err
decode_str(const char *s, uint8_t *dst, size_t cap, size_t *outlen)
{
	return bb_b64url_decode(s, strlen(s), dst, cap, outlen);
}

static void
test_round_trip_every_length(void **state)
{
	uint8_t  src[64];
	uint8_t  back[64 + 8];
	char     enc[BB_B64_ENCLEN(64) + 1];
	uint32_t seed = 12345;
	size_t   n;
	size_t   len;
	size_t   got;
	size_t   i;
	int      round;

	(void) state;
	for (round = 0; round < 8; round++) {
		for (n = 0; n <= 64; n++) {
			for (i = 0; i < n; i++) {
				src[i] = (uint8_t) rnd_next(&seed);
			}
			// A canary after the encoding checks the NUL position.
			memset(enc, '#', sizeof(enc));
			len = bb_b64url_encode(src, n, enc);
			assert_int_equal(len, BB_B64_ENCLEN(n));
			assert_int_equal(enc[len], '\0');
			assert_int_equal(strlen(enc), len);
			for (i = 0; i < len; i++) {
				assert_non_null(
				    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				           "abcdefghijklmnopqrstuvwxyz"
				           "0123456789-_",
				           enc[i]));
			}
			assert_int_not_equal(len % 4, 1);
			got = 999;
			assert_int_equal(
			    bb_b64url_decode(enc, len, back, n, &got), BB_OK);
			assert_int_equal(got, n);
			assert_memory_equal(back, src, n);
		}
	}
}

static void
test_known_vectors(void **state)
{
	static const struct {
		const char *raw;
		const char *enc;
	} cases[] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
		// 0xfb 0xff: '+' and '/' in the standard alphabet.
		{ "\xfb\xff", "-_8" },
		{ "\xff\xff\xff", "____" },
	};
	char    enc[32];
	uint8_t back[32];
	size_t  got;
	size_t  i;
	size_t  n;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].raw);
		assert_int_equal(
		    bb_b64url_encode((const uint8_t *) cases[i].raw, n, enc),
		    strlen(cases[i].enc));
		assert_string_equal(enc, cases[i].enc);
		assert_int_equal(
		    decode_str(cases[i].enc, back, sizeof(back), &got), BB_OK);
		assert_int_equal(got, n);
		assert_memory_equal(back, cases[i].raw, n);
	}
}

static void
test_rejects(void **state)
{
	static const char *bad[] = {
		"Zm9v=",     // padding char
		"Zg==",      // padded
		"Zm8=",      // padded
		"Zm+v",      // standard alphabet
		"Zm/v",      // standard alphabet
		"Zm9 ",      // space
		"Zm9.",      // dot
		"Zm9\x80",   // high byte
		"Zm9\xff",   // high byte
		"A",         // length % 4 == 1
		"AAAAA",     // length % 4 == 1
		"AAAAAAAAA", // length % 4 == 1
		"AB",        // low 4 bits of 'B' set
		"Zh",        // 'h' leaves non-zero unused bits
		"AAB",       // low 2 bits of 'B' set
		"Zm9",       // '9' leaves non-zero unused bits
		"Zm9vYh",    // after a full group
		"Zm9vYmF",   // after a full group
		"\n",        // control char
		"Zm9v\n",    // trailing newline
	};
	uint8_t out[64];
	size_t  got;
	size_t  i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = 12345;
		if (decode_str(bad[i], out, sizeof(out), &got) != BB_EINVAL) {
			fail_msg("case %zu \"%s\" not rejected with BB_EINVAL",
			         i, bad[i]);
		}
		assert_int_equal(got, 12345); // untouched on error
	}
}

static void
test_nul_inside(void **state)
{
	const char s[] = { 'Z', 'm', '\0', 'v' };
	uint8_t    out[8];
	size_t     got;

	(void) state;
	assert_int_equal(
	    bb_b64url_decode(s, sizeof(s), out, sizeof(out), &got), BB_EINVAL);
}

static void
test_trailing_bits(void **state)
{
	uint8_t out[4];
	size_t  got;
	char    s[3];
	int     c;
	size_t  ok = 0;

	(void) state;
	assert_int_equal(decode_str("AA", out, sizeof(out), &got), BB_OK);
	assert_int_equal(got, 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(decode_str("AB", out, sizeof(out), &got), BB_EINVAL);
	assert_int_equal(decode_str("AAA", out, sizeof(out), &got), BB_OK);
	assert_int_equal(got, 2);
	assert_int_equal(decode_str("AAE", out, sizeof(out), &got), BB_OK);
	assert_int_equal(out[1], 1);
	// Exactly the 4 second characters with zero low bits are accepted
	// for a one-byte value (A, Q, g, w).
	s[0] = 'A';
	s[2] = '\0';
	for (c = 0; c < 256; c++) {
		s[1] = (char) c;
		if (c == 0) {
			continue;
		}
		if (bb_b64url_decode(s, 2, out, sizeof(out), &got) == BB_OK) {
			ok++;
			assert_non_null(strchr("AQgw", c));
		}
	}
	assert_int_equal(ok, 4);
}

static void
test_cap(void **state)
{
	uint8_t out[8];
	size_t  got = 777;

	(void) state;
	assert_int_equal(decode_str("Zm9v", out, 2, &got), BB_ETOOBIG);
	assert_int_equal(decode_str("Zm9vYg", out, 3, &got), BB_ETOOBIG);
	assert_int_equal(decode_str("Zg", out, 0, &got), BB_ETOOBIG);
	assert_int_equal(got, 777);
	assert_int_equal(decode_str("Zm9v", out, 3, &got), BB_OK);
	assert_int_equal(got, 3);
	assert_int_equal(decode_str("", out, 0, &got), BB_OK);
	assert_int_equal(got, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_length),
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_trailing_bits),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
