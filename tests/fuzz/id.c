// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/id.c -- storage/id.h: the object id and file id parsers on
// any input, and the format/parse round trip.  An id that parses formats
// back to an id that parses to the same value, spelled as the input when
// it has the length format chooses (24 characters below 2^32, else 30;
// base64url has one spelling per value).  The input's bytes read as an
// id value must also survive format then parse.
#include <stdbool.h>
#include <string.h>

#include "storage/id.h"
#include "tests/fuzz/fuzz.h"

static bool
id_same(const store_id *a, const store_id *b)
{
	return store_fid_equal(&a->fid, &b->fid) && a->start == b->start &&
	    a->length == b->length;
}

static void
id_text(const char *s, size_t n)
{
	store_id  id;
	store_id  back;
	store_fid fid;
	store_fid fback;
	char      buf[STORE_ID_STRMAX + 1];
	size_t    len;

	if (store_id_parse(s, n, &id) == BB_OK) {
		FUZZ_CHECK(n == STORE_ID_SHORT_LEN || n == STORE_ID_LONG_LEN);
		len = store_id_format(&id, buf);
		FUZZ_CHECK(len == strlen(buf));
		FUZZ_CHECK(store_id_parse(buf, len, &back) == BB_OK);
		FUZZ_CHECK(id_same(&id, &back));
		if (len == n) {
			FUZZ_CHECK(memcmp(buf, s, n) == 0);
		}
	}
	if (store_fid_parse(s, n, &fid) == BB_OK) {
		FUZZ_CHECK(n == STORE_FID_STRLEN);
		(void) store_fid_format(&fid, buf);
		FUZZ_CHECK(strlen(buf) == STORE_FID_STRLEN);
		FUZZ_CHECK(memcmp(buf, s, n) == 0);
		FUZZ_CHECK(store_fid_parse(buf, STORE_FID_STRLEN, &fback) ==
		           BB_OK);
		FUZZ_CHECK(store_fid_equal(&fid, &fback));
	}
}

// id_value reads 22 bytes as an id value (fid, start, length) and checks
// that format then parse gives it back.
static void
id_value(const uint8_t *data, size_t size)
{
	uint8_t  raw[STORE_FID_LEN + 12] = { 0 };
	store_id id;
	store_id back;
	char     buf[STORE_ID_STRMAX + 1];
	size_t   len;

	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	memcpy(id.fid.b, raw, STORE_FID_LEN);
	memcpy(&id.start, raw + STORE_FID_LEN, sizeof(id.start));
	memcpy(&id.length, raw + STORE_FID_LEN + 8, sizeof(id.length));
	len = store_id_format(&id, buf);
	FUZZ_CHECK(
	    len ==
	    (id.start >> 32 == 0 ? STORE_ID_SHORT_LEN : STORE_ID_LONG_LEN));
	FUZZ_CHECK(store_id_parse(buf, len, &back) == BB_OK);
	FUZZ_CHECK(id_same(&id, &back));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	id_text((const char *) data, size);
	id_value(data, size);
	return 0;
}
