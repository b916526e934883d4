// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/idsign_test.c -- storage/idsign.h: signed ids round trip
// and keep the locator; an edited id, an unsigned one, one of another
// namespace or under a key not in the file never verify; an id has one
// signed spelling (the long form of a start below 4 GiB, found by
// tests/fuzz/id.c, is refused); rotation (the
// first key signs, every key verifies); the key file's errors name file
// and line; a key file readable by others is refused.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h, and mkdtemp
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/b64.h"
#include "storage/id.h"
#include "storage/idsign.h"
#include "tests/tmpdir.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa9988"

static char dir[64];

static int
setup(void **state)
{
	(void) state;
	(void) snprintf(dir, sizeof(dir), "/tmp/bb_idsign.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	bbt_rmtree(dir);
	return 0;
}

// keys_of writes text as a key file of mode mode and loads it; the
// result and the reason.
static bb_err
keys_of(const char *text, mode_t mode, store_idkeys **kp, char *why,
        size_t whylen)
{
	char  path[128];
	FILE *f;

	(void) snprintf(path, sizeof(path), "%s/keys", dir);
	(void) remove(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	*kp = NULL;
	return store_idkeys_load(path, kp, why, whylen);
}

static store_idkeys *
keys(const char *text)
{
	store_idkeys *k = NULL;
	char          why[256];

	if (keys_of(text, 0600, &k, why, sizeof(why)) != BB_OK) {
		fail_msg("%s", why);
	}
	return k;
}

static void
test_round_trip(void **state)
{
	store_idkeys *k = keys("# the cluster's id key\n\n" KEY_A "\n");
	store_id      id, back;
	uint8_t       tag[STORE_ID_TAG_LEN];
	char          s[STORE_ID_TEXT_MAX + 1];
	char          plain[STORE_ID_TEXT_MAX + 1];
	bool          is_signed = false;
	size_t        n;

	(void) state;
	assert_int_equal(store_idkeys_count(k), 1);
	store_fid_make(&id.fid, 1582164122u, 7, 3);
	id.start  = 4096;
	id.length = 1000;
	n         = store_id_sign(k, "photos", &id, s);
	assert_int_equal(n, STORE_ID_SIGNED_SHORT_LEN);
	assert_int_equal(strlen(s), n);
	assert_int_equal(store_id_verify(k, "photos", s, n, &back), BB_OK);
	assert_memory_equal(&back.fid, &id.fid, sizeof(id.fid));
	assert_int_equal(back.start, id.start);
	assert_int_equal(back.length, id.length);
	// The text starts with the unsigned id: same locator, decodable
	// without the key.
	(void) store_id_format(&id, plain);
	assert_memory_equal(s, plain, STORE_ID_SHORT_LEN - 1);
	assert_int_equal(store_id_decode(s, n, &back, &is_signed, tag), BB_OK);
	assert_true(is_signed);
	assert_int_equal(back.length, id.length);
	assert_int_equal(
	    store_id_decode(plain, strlen(plain), &back, &is_signed, tag),
	    BB_OK);
	assert_false(is_signed);
	// Past 4 GiB: the long form.
	id.start = (uint64_t) 5 << 32;
	n        = store_id_sign(k, "photos", &id, s);
	assert_int_equal(n, STORE_ID_SIGNED_LONG_LEN);
	assert_int_equal(store_id_verify(k, "photos", s, n, &back), BB_OK);
	assert_int_equal(back.start, id.start);
	store_idkeys_free(k);
	store_idkeys_free(NULL);
}

static void
test_forgeries(void **state)
{
	store_idkeys *k     = keys(KEY_A "\n");
	store_idkeys *other = keys(KEY_B "\n");
	store_id      id, back;
	char          s[STORE_ID_TEXT_MAX + 1];
	char          t[STORE_ID_TEXT_MAX + 1];
	char          plain[STORE_ID_TEXT_MAX + 1];
	size_t        n, i;
	int           c;

	(void) state;
	store_fid_make(&id.fid, 1582164122u, 7, 3);
	id.start  = 4096;
	id.length = 1000;
	n         = store_id_sign(k, "photos", &id, s);
	// Every single-character edit, anywhere (locator or tag): never
	// taken.  The last character carries padding bits only partly.
	for (i = 0; i < n; i++) {
		for (c = 0; c < 64; c++) {
			memcpy(t, s, n + 1);
			t[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
			       "uvwxyz"
			       "0123456789-_"[c];
			if (strcmp(t, s) == 0) {
				continue;
			}
			bb_err rv = store_id_verify(k, "photos", t, n, &back);
			if (rv == BB_OK) {
				fail_msg("edit %zu:%d taken: %s", i, c, t);
			}
		}
	}
	// Unsigned, another namespace, another key: names nothing.
	(void) store_id_format(&id, plain);
	assert_int_equal(
	    store_id_verify(k, "photos", plain, strlen(plain), &back),
	    BB_ENOENT);
	assert_int_equal(store_id_verify(k, "photo", s, n, &back), BB_ENOENT);
	assert_int_equal(store_id_verify(other, "photos", s, n, &back),
	                 BB_ENOENT);
	// Not an id at all.
	assert_int_equal(store_id_verify(k, "photos", "x", 1, &back),
	                 BB_EINVAL);
	assert_int_equal(store_id_verify(k, "photos", s, n - 1, &back),
	                 BB_EINVAL);
	s[3] = '*';
	assert_int_equal(store_id_verify(k, "photos", s, n, &back), BB_EINVAL);
	store_idkeys_free(k);
	store_idkeys_free(other);
}

// The long form of an id whose start is below 4 GiB, with the tag of its
// short form (which signing computes over the short form's bytes): never
// given out, so an edited id.  It was taken (tests/fuzz/id.c found it):
// verify packed the decoded id again, in the short form, before checking
// the tag.
static void
test_long_form_of_short_id(void **state)
{
	store_idkeys *k = keys(KEY_A "\n");
	store_id      id, back;
	uint8_t       raw[STORE_ID_LONG_BYTES + STORE_ID_TAG_LEN];
	uint8_t       tag[STORE_ID_TAG_LEN];
	char          s[STORE_ID_TEXT_MAX + 1];
	char          t[STORE_ID_TEXT_MAX + 1];
	bool          is_signed = false;
	size_t        n, i;

	(void) state;
	store_fid_make(&id.fid, 1582164122u, 7, 3);
	id.start  = 4096;
	id.length = 1000;
	n         = store_id_sign(k, "photos", &id, s);
	assert_int_equal(n, STORE_ID_SIGNED_SHORT_LEN);
	assert_int_equal(store_id_decode(s, n, &back, &is_signed, tag), BB_OK);
	// fid, start as 8 bytes, length, then the same tag.
	memcpy(raw, id.fid.b, STORE_FID_LEN);
	for (i = 0; i < 8; i++) {
		raw[STORE_FID_LEN + i] = (uint8_t) (id.start >> (56 - 8 * i));
	}
	for (i = 0; i < 4; i++) {
		raw[STORE_FID_LEN + 8 + i] =
		    (uint8_t) (id.length >> (24 - 8 * i));
	}
	memcpy(raw + STORE_ID_LONG_BYTES, tag, sizeof(tag));
	n = bb_b64url_encode(raw, sizeof(raw), t);
	assert_int_equal(n, STORE_ID_SIGNED_LONG_LEN);
	assert_int_equal(store_id_decode(t, n, &back, &is_signed, tag), BB_OK);
	assert_int_equal(back.start, id.start);
	assert_int_equal(store_id_verify(k, "photos", t, n, &back), BB_ENOENT);
	store_idkeys_free(k);
}

static void
test_rotation(void **state)
{
	store_idkeys *old  = keys(KEY_A "\n");
	store_idkeys *both = keys(KEY_B "\n" KEY_A "\n");
	store_idkeys *gone = keys(KEY_B "\n");
	store_id      id, back;
	char          s[STORE_ID_TEXT_MAX + 1];
	char          s2[STORE_ID_TEXT_MAX + 1];
	size_t        n;

	(void) state;
	store_fid_make(&id.fid, 1582164122u, 9, 1);
	id.start  = 0;
	id.length = 5;
	n         = store_id_sign(old, "ns", &id, s);
	// The new key signs, the old one still verifies: ids given out
	// before the rotation keep working.
	assert_int_equal(store_id_verify(both, "ns", s, n, &back), BB_OK);
	assert_int_equal(store_id_sign(both, "ns", &id, s2), n);
	assert_string_not_equal(s, s2);
	assert_int_equal(store_id_verify(both, "ns", s2, n, &back), BB_OK);
	assert_int_equal(store_id_verify(old, "ns", s2, n, &back), BB_ENOENT);
	// Once the old key is dropped, its ids name nothing.
	assert_int_equal(store_id_verify(gone, "ns", s, n, &back), BB_ENOENT);
	store_idkeys_free(old);
	store_idkeys_free(both);
	store_idkeys_free(gone);
}

static void
test_key_file_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "", ": no key" },
		{ "# only a comment\n\n", ": no key" },
		{ "00112233\n", ":1: a key is 32 to 128" },
		{ KEY_A "\n" KEY_A "0\n", ":2: a key is 32 to 128" },
		{ "\n" KEY_A "zz\n", ":2: a key is 32 to 128" },
		{ KEY_A KEY_A KEY_A KEY_A "00\n", ":1: a key is 32 to 128" },
		{ KEY_A "\n" KEY_A "\n" KEY_A "\n" KEY_A "\n" KEY_A "\n" KEY_A
		        "\n" KEY_A "\n" KEY_A "\n" KEY_A "\n",
		  ":9: more than 8 keys" },
	};
	store_idkeys *k;
	char          why[256];
	char          path[128];
	size_t        i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    keys_of(cases[i].text, 0600, &k, why, sizeof(why)),
		    BB_ECONFIG);
		assert_null(k);
		if (strstr(why, cases[i].want) == NULL ||
		    strstr(why, "/keys") == NULL) {
			fail_msg("case %zu: '%s' does not say '%s'", i, why,
			         cases[i].want);
		}
	}
	// Keys that anyone may read forge ids for anyone.
	assert_int_equal(keys_of(KEY_A "\n", 0644, &k, why, sizeof(why)),
	                 BB_ECONFIG);
	assert_non_null(strstr(why, "readable by others"));
	// CR LF and spaces around a key are fine; so is a group bit.
	k = NULL;
	assert_int_equal(
	    keys_of("  " KEY_A " \r\n", 0640, &k, why, sizeof(why)), BB_OK);
	assert_int_equal(store_idkeys_count(k), 1);
	store_idkeys_free(k);
	(void) snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(store_idkeys_load(path, &k, why, sizeof(why)),
	                 BB_ENOENT);
	assert_non_null(strstr(why, path));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_long_form_of_short_id),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_key_file_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
