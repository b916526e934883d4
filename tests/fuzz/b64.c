// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/b64.c -- common/b64.h: base64url without padding on any
// input.  Text that decodes encodes back to itself (one spelling per
// value); any bytes encode to text that decodes back to them; a decode
// into a buffer too small fails without writing past it.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s   = (const char *) data;
	size_t      cap = size; // decoding never grows
	uint8_t    *dec = malloc(cap + 1);
	char       *enc = malloc(BB_B64_ENCLEN(size) + 1);
	size_t      n;
	size_t      m;
	bb_err      rv;

	if (dec == NULL || enc == NULL) {
		free(dec);
		free(enc);
		return 0;
	}
	// Text to bytes and back.
	if (bb_b64url_decode(s, size, dec, cap, &n) == BB_OK) {
		FUZZ_CHECK(n <= cap);
		m = bb_b64url_encode(dec, n, enc);
		FUZZ_CHECK(m == size && memcmp(enc, s, size) == 0);
	}
	// A buffer one byte short of the result (an exact heap block, so
	// AddressSanitizer sees a write past it).
	if (bb_b64url_decode(s, size, dec, cap, &n) == BB_OK && n > 0) {
		uint8_t *small = malloc(n - 1 > 0 ? n - 1 : 1);
		size_t   got   = 0;

		if (small != NULL) {
			rv = bb_b64url_decode(s, size, small, n - 1, &got);
			FUZZ_CHECK(rv == BB_ETOOBIG);
			free(small);
		}
	}
	// Bytes to text and back.
	m = bb_b64url_encode(data, size, enc);
	FUZZ_CHECK(m == BB_B64_ENCLEN(size) && enc[m] == '\0');
	rv = bb_b64url_decode(enc, m, dec, cap + 1, &n);
	FUZZ_CHECK(rv == BB_OK && n == size && memcmp(dec, data, size) == 0);
	free(dec);
	free(enc);
	return 0;
}
