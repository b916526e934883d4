// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/units.c -- common/units.h: sizes, durations and booleans
// from any text, and their printing.  A duration that parses prints as
// Go's time.Duration.String() does, which parses back to the same value;
// printing fits the buffers the header promises.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char    *s = fuzz_str(data, size);
	char     buf[32];
	char     small[5];
	uint64_t n;
	int64_t  ns;
	int64_t  back;
	bool     b;

	if (s == NULL) {
		return 0;
	}
	if (bb_parse_size(s, &n) == BB_OK) {
		(void) bb_format_bytes(n, buf, sizeof(buf));
		FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
		(void) bb_format_bytes(n, small, sizeof(small));
		FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	}
	if (bb_parse_duration(s, &ns) == BB_OK) {
		(void) bb_format_duration(ns, buf, sizeof(buf));
		FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
		FUZZ_CHECK(bb_parse_duration(buf, &back) == BB_OK);
		FUZZ_CHECK(back == ns);
		(void) bb_format_duration(ns, small, sizeof(small));
		FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	}
	(void) bb_parse_bool(s, &b);
	free(s);
	return 0;
}
