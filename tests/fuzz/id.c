// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/id.c -- storage/id.h: the object id and file id parsers on
// any input, and the format/parse round trip.  An id that parses formats
// back to an id that parses to the same value, spelled as the input when
// it has the length format chooses (24 characters below 2^32, else 30;
// base64url has one spelling per value).  The input's bytes read as an
// id value must also survive format then parse.
//
// Signed ids (storage/idsign.h) under a fixed key in namespace "test":
// any text decodes or fails; a text that verifies is exactly the text
// signing its id gives (an id has one signed spelling: any other is an
// edited id, answered as unknown) and verifies in no other namespace; a
// signed id value verifies back to itself, and with one character
// changed it no longer verifies.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/id.h"
#include "storage/idsign.h"
#include "tests/fuzz/fuzz.h"

// The key of the seeds' signed ids (tests/fuzz/seeds.py).
#define ID_KEY "000102030405060708090a0b0c0d0e0f"

static store_idkeys *id_keys;

// id_keys_get loads the key once, from a file as a node does.
static const store_idkeys *
id_keys_get(void)
{
	const char *dir = getenv("TMPDIR");
	char        path[64];
	char        why[256];
	FILE       *f;
	int         fd;

	if (id_keys != NULL) {
		return id_keys;
	}
	(void) snprintf(path, sizeof(path), "%s/fuzz-idkey-XXXXXX",
	                dir != NULL && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(path); // mode 0600: the key file must not be readable
	FUZZ_CHECK(fd >= 0);
	f = fdopen(fd, "w");
	FUZZ_CHECK(f != NULL);
	(void) fprintf(f, "%s\n", ID_KEY);
	FUZZ_CHECK(fclose(f) == 0);
	if (store_idkeys_load(path, &id_keys, why, sizeof(why)) != BB_OK) {
		(void) fprintf(stderr, "store_idkeys_load: %s\n", why);
		abort();
	}
	(void) unlink(path);
	return id_keys;
}

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

static void
id_signed_text(const char *s, size_t n)
{
	const store_idkeys *k = id_keys_get();
	store_id            id;
	store_id            back;
	bool                is_signed = false;
	uint8_t             tag[STORE_ID_TAG_LEN];
	char                buf[STORE_ID_TEXT_MAX + 1];
	size_t              len;

	if (store_id_decode(s, n, &id, &is_signed, tag) == BB_OK &&
	    !is_signed) {
		FUZZ_CHECK(store_id_parse(s, n, &back) == BB_OK);
		FUZZ_CHECK(id_same(&id, &back));
	}
	if (store_id_verify(k, "test", s, n, &id) != BB_OK) {
		return;
	}
	len = store_id_sign(k, "test", &id, buf);
	FUZZ_CHECK(len == n && memcmp(buf, s, n) == 0);
	FUZZ_CHECK(store_id_verify(k, "tesT", s, n, &back) == BB_ENOENT);
}

// id_signed_value signs the id value v, verifies it, and verifies it
// again with the character at edit (any position) changed.
static void
id_signed_value(const store_id *v, size_t edit)
{
	static const char   abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	                            "opqrstuvwxyz0123456789-_";
	const store_idkeys *k     = id_keys_get();
	store_id            back;
	bool                is_signed = false;
	uint8_t             tag[STORE_ID_TAG_LEN];
	char                buf[STORE_ID_TEXT_MAX + 1];
	size_t              len;
	const char         *c;

	len = store_id_sign(k, "test", v, buf);
	FUZZ_CHECK(len ==
	           (v->start >> 32 == 0 ? STORE_ID_SIGNED_SHORT_LEN
	                                : STORE_ID_SIGNED_LONG_LEN));
	FUZZ_CHECK(store_id_verify(k, "test", buf, len, &back) == BB_OK);
	FUZZ_CHECK(id_same(v, &back));
	FUZZ_CHECK(store_id_decode(buf, len, &back, &is_signed, tag) == BB_OK);
	FUZZ_CHECK(is_signed && id_same(v, &back));
	FUZZ_CHECK(store_id_verify(k, "other", buf, len, &back) == BB_ENOENT);
	edit %= len;
	c         = strchr(abc, buf[edit]);
	buf[edit] = c != NULL && c[1] != '\0' ? c[1] : abc[0];
	FUZZ_CHECK(store_id_verify(k, "test", buf, len, &back) != BB_OK);
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
	id_signed_value(&id, size > sizeof(raw) ? data[sizeof(raw)] : 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	id_text((const char *) data, size);
	id_signed_text((const char *) data, size);
	id_value(data, size);
	return 0;
}
