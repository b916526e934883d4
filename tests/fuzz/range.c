// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/range.c -- gateway/range.c's parsers on any text: the Range
// header against a blob length (the input's first 8 bytes, little
// endian), and the entity tag comparisons on the same text.  A range
// found lies inside the blob and is not empty.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_impl.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tag[] = "axR-RQABAAAAAQAAAAAAAAAW";
	uint64_t          total = 0;
	uint64_t          first, count;
	gw__range_kind    k;
	char             *s;
	size_t            i;

	if (size < 8) {
		return 0;
	}
	for (i = 0; i < 8; i++) {
		total |= (uint64_t) data[i] << (8 * i);
	}
	s = fuzz_str(data + 8, size - 8);
	if (s == NULL) {
		return 0;
	}
	k = gw__range_parse(s, total, &first, &count);
	if (k == GW__RANGE_PART) {
		FUZZ_CHECK(first < total);
		FUZZ_CHECK(count >= 1 && count <= total - first);
	}
	if (total == 0) {
		FUZZ_CHECK(k != GW__RANGE_PART);
	}
	(void) gw__etag_match(s, tag, sizeof(tag) - 1, false);
	(void) gw__etag_match(s, tag, sizeof(tag) - 1, true);
	free(s);
	return 0;
}
