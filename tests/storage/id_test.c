// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/id_test.c -- storage/id.h: the file id and object id
// vectors of the original's ids in both directions, the accessors, the fid
// counter, and the parser on hostile input.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/id.h"

// 2020-02-20 02:02:02 UTC
#define VEC_TIME UINT32_C(1582164122)

static uint32_t
rnd_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
fid_from_bytes(store_fid *fid, const uint8_t *b)
{
	memcpy(fid->b, b, STORE_FID_LEN);
}

static void
test_fid_vectors(void **state)
{
	static const struct {
		uint8_t     b[STORE_FID_LEN];
		const char *s;
	} cases[] = {
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "AAAAAAAAAAAAAA" },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff },
		  "_____________w" },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, "AQIDBAUGBwgJCg" },
	};
	store_fid fid;
	store_fid back;
	char      buf[STORE_FID_STRLEN + 1];
	size_t    i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fid_from_bytes(&fid, cases[i].b);
		memset(buf, '#', sizeof(buf));
		assert_ptr_equal(store_fid_format(&fid, buf), buf);
		assert_string_equal(buf, cases[i].s);
		memset(&back, 0x5a, sizeof(back));
		assert_int_equal(
		    store_fid_parse(cases[i].s, STORE_FID_STRLEN, &back),
		    BB_OK);
		assert_memory_equal(back.b, cases[i].b, STORE_FID_LEN);
		assert_true(store_fid_equal(&fid, &back));
	}
}

static void
test_fid_make_vector(void **state)
{
	store_fid fid;
	store_fid back;
	char      buf[STORE_FID_STRLEN + 1];

	(void) state;
	store_fid_make(&fid, VEC_TIME, 1, 2);
	assert_string_equal(store_fid_format(&fid, buf), "Xk3omgABAAAAAg");
	assert_int_equal(store_fid_parse("Xk3omgABAAAAAg", 14, &back), BB_OK);
	assert_true(store_fid_equal(&fid, &back));
	assert_int_equal(store_fid_seconds(&back), VEC_TIME);
	assert_int_equal(store_fid_counter(&back), 1);
	assert_int_equal(store_fid_machine(&back), 2);
}

static void
test_fid_accessors(void **state)
{
	static const struct {
		uint32_t secs;
		uint16_t counter;
		uint32_t machine;
	} cases[] = {
		{ 0, 0, 0 },
		{ UINT32_MAX, UINT16_MAX, UINT32_MAX },
		{ 0x01020304, 0x0506, 0x0708090a },
		{ 0x80000000, 0x8000, 0x80000000 },
		{ VEC_TIME, 65535, 0x7f000001 },
	};
	store_fid fid;
	store_fid other;
	size_t    i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store_fid_make(&fid, cases[i].secs, cases[i].counter,
		               cases[i].machine);
		assert_int_equal(store_fid_seconds(&fid), cases[i].secs);
		assert_int_equal(store_fid_counter(&fid), cases[i].counter);
		assert_int_equal(store_fid_machine(&fid), cases[i].machine);
	}
	// Big endian, field by field.
	store_fid_make(&fid, 0x01020304, 0x0506, 0x0708090a);
	assert_memory_equal(fid.b, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",
	                    STORE_FID_LEN);
	store_fid_make(&other, 0x01020304, 0x0506, 0x0708090b);
	assert_false(store_fid_equal(&fid, &other));
}

// ID(start, length) with f = {0,1,2,3,4,5,6,7,8,10}.
static void
test_id_vectors(void **state)
{
	static const uint8_t f[STORE_FID_LEN] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 10
	};
	static const struct {
		uint64_t    start;
		uint32_t    length;
		const char *s;
	} cases[] = {
		{ 0, 0, "AAECAwQFBgcICgAAAAAAAAAA" },
		{ 0xFFFFFFFFu, 0, "AAECAwQFBgcICv____8AAAAA" },
		{ 0xFFFFFFFFu, 0xFFFFFFFFu, "AAECAwQFBgcICv__________" },
		{ UINT64_MAX, 0xFFFFFFFFu, "AAECAwQFBgcICv_______________w" },
	};
	store_id id;
	store_id back;
	char     buf[STORE_ID_STRMAX + 1];
	size_t   i;
	size_t   n;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fid_from_bytes(&id.fid, f);
		id.start  = cases[i].start;
		id.length = cases[i].length;
		memset(buf, '#', sizeof(buf));
		n = store_id_format(&id, buf);
		assert_int_equal(n, strlen(cases[i].s));
		assert_string_equal(buf, cases[i].s);

		memset(&back, 0x5a, sizeof(back));
		assert_int_equal(
		    store_id_parse(cases[i].s, strlen(cases[i].s), &back),
		    BB_OK);
		assert_memory_equal(back.fid.b, f, STORE_FID_LEN);
		assert_true(back.start == cases[i].start);
		assert_int_equal(back.length, cases[i].length);
	}
}

// Short form up to 2^32-1, long form from 2^32: both round trip.
static void
test_id_short_long_boundary(void **state)
{
	static const uint64_t starts[] = { 1,
		                           4096,
		                           UINT32_MAX - 1,
		                           UINT32_MAX,
		                           (uint64_t) UINT32_MAX + 1,
		                           UINT64_C(1) << 40,
		                           UINT64_MAX - 1 };
	store_id              id;
	store_id              back;
	char                  buf[STORE_ID_STRMAX + 1];
	size_t                i;
	size_t                n;

	(void) state;
	store_fid_make(&id.fid, VEC_TIME, 7, 9);
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		id.start  = starts[i];
		id.length = (uint32_t) (i * 1000 + 1);
		n         = store_id_format(&id, buf);
		assert_int_equal(n,
		                 starts[i] <= UINT32_MAX ? STORE_ID_SHORT_LEN
		                                         : STORE_ID_LONG_LEN);
		assert_int_equal(strlen(buf), n);
		assert_int_equal(store_id_parse(buf, n, &back), BB_OK);
		assert_true(store_fid_equal(&back.fid, &id.fid));
		assert_true(back.start == id.start);
		assert_int_equal(back.length, id.length);
		assert_int_equal(store_fid_machine(&back.fid), 9);
	}
}

static void
test_fid_next(void **state)
{
	store_fid a;
	store_fid b;
	time_t    before;
	time_t    after;
	uint16_t  ca;
	int       i;

	(void) state;
	before = time(NULL);
	store_fid_next(&a, 0xdeadbeef);
	store_fid_next(&b, 42);
	after = time(NULL);
	assert_int_equal(store_fid_machine(&a), 0xdeadbeef);
	assert_int_equal(store_fid_machine(&b), 42);
	assert_int_equal(store_fid_counter(&b),
	                 (uint16_t) (store_fid_counter(&a) + 1));
	assert_true(store_fid_seconds(&a) >= (uint32_t) before);
	assert_true(store_fid_seconds(&b) <= (uint32_t) after);
	assert_false(store_fid_equal(&a, &b));

	// The counter is a u16: 65536 more calls bring it back.
	ca = store_fid_counter(&b);
	for (i = 0; i < 65536; i++) {
		store_fid_next(&a, 42);
		if (i == 0) {
			assert_int_equal(store_fid_counter(&a),
			                 (uint16_t) (ca + 1));
		}
	}
	assert_int_equal(store_fid_counter(&a), ca);
}

#define NEXT_THREADS    4
#define NEXT_PER_THREAD 2000

static void *
next_thread(void *arg)
{
	uint16_t *out = arg;
	store_fid fid;
	int       i;

	for (i = 0; i < NEXT_PER_THREAD; i++) {
		store_fid_next(&fid, 1);
		out[i] = store_fid_counter(&fid);
	}
	return NULL;
}

// Concurrent callers never get the same counter (fewer calls than 2^16).
static void
test_fid_next_threads(void **state)
{
	static uint16_t got[NEXT_THREADS][NEXT_PER_THREAD];
	static uint8_t  seen[65536];
	pthread_t       th[NEXT_THREADS];
	int             t;
	int             i;

	(void) state;
	memset(seen, 0, sizeof(seen));
	for (t = 0; t < NEXT_THREADS; t++) {
		assert_int_equal(
		    pthread_create(&th[t], NULL, next_thread, got[t]), 0);
	}
	for (t = 0; t < NEXT_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
	}
	for (t = 0; t < NEXT_THREADS; t++) {
		for (i = 0; i < NEXT_PER_THREAD; i++) {
			assert_int_equal(seen[got[t][i]], 0);
			seen[got[t][i]] = 1;
		}
	}
}

static void
test_fid_parse_rejects(void **state)
{
	static const struct {
		const char *s;
		size_t      n;
	} bad[] = {
		{ "", 0 },
		{ "AAAAAAAAAAAAA", 13 },
		{ "AAAAAAAAAAAAAAA", 15 },
		{ "AAAAAAAAAAAAAAAA", 16 },
		{ "AAAAAAAAAAAAAB", 14 },           // trailing non-zero bits
		{ "_____________x", 14 },           // trailing non-zero bits
		{ "AAAAAAAAAAAA+A", 14 },           // standard alphabet
		{ "AAAAAAAAAAAA/A", 14 },           // standard alphabet
		{ "AAAAAAAAAAAA==", 14 },           // padding
		{ "AAAAAA AAAAAAA", 14 },           // space
		{ "AAAAAA\0AAAAAAA", 14 },          // NUL inside
		{ "AAECAwQFBgcICgAAAAAAAAAA", 24 }, // an object id
	};
	store_fid fid;
	store_fid orig;
	size_t    i;

	(void) state;
	memset(&orig, 0x77, sizeof(orig));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fid = orig;
		if (store_fid_parse(bad[i].s, bad[i].n, &fid) != BB_EINVAL) {
			fail_msg("fid case %zu accepted", i);
		}
		assert_true(store_fid_equal(&fid, &orig)); // untouched
	}
}

static void
test_id_parse_rejects(void **state)
{
	static const struct {
		const char *s;
		size_t      n;
	} bad[] = {
		{ "", 0 },
		{ "AAECAwQFBgcICgAAAAAAAAA", 23 },
		{ "AAECAwQFBgcICgAAAAAAAAAAA", 25 },
		{ "AAECAwQFBgcICv_______________", 29 },
		{ "AAECAwQFBgcICv_______________ww", 31 },
		{ "AAECAwQFBgcICgAAAAAAAAAAAAAA", 28 },
		{ "AAECAwQFBgcICg", 14 }, // a file id
		{ "Xk3omgABAAAAAg", 14 }, // a file id
		{ "AAECAwQFBgcICgAAAAAAAA+A", 24 },
		{ "AAECAwQFBgcICgAAAAAAAA/A", 24 },
		{ "AAECAwQFBgcICgAAAAAAAA==", 24 },
		{ "AAECAwQFBgcICgAAAAAA.AAA", 24 },
		{ "AAECAwQFBgcICgAAAAAA\nAAA", 24 },
		{ "AAECAwQFBgcICgAA\0AAAAAAA", 24 },       // NUL inside
		{ "AAECAwQFBgcICv_______________x", 30 },  // trailing bits
		{ "AAECAwQFBgcICv________________", 30 },  // trailing bits
		{ "AAECAwQFBgcICv_______\0_______w", 30 }, // NUL inside
		{ "AAECAwQFBgcICv_______________=", 30 },
	};
	store_id id;
	size_t   i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&id, 0x77, sizeof(id));
		if (store_id_parse(bad[i].s, bad[i].n, &id) != BB_EINVAL) {
			fail_msg("id case %zu (%.*s) accepted", i,
			         (int) bad[i].n, bad[i].s);
		}
		assert_int_equal(id.length, 0x77777777u); // untouched
	}
}

static void
test_id_parse_huge(void **state)
{
	size_t   n = 1024 * 1024;
	char    *s = malloc(n);
	store_id id;

	(void) state;
	assert_non_null(s);
	memset(s, 'A', n);
	assert_int_equal(store_id_parse(s, n, &id), BB_EINVAL);
	assert_int_equal(store_fid_parse(s, n, &id.fid), BB_EINVAL);
	free(s);
}

// Random input never crashes the parser (ASan/UBSan watch), and what it
// accepts formats back to the same text (apart from a long form whose
// start would fit the short one).
static void
test_id_parse_random(void **state)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	                            "opqrstuvwxyz0123456789-_";
	uint32_t          seed    = 0x12345678;
	char              s[65];
	char              out[STORE_ID_STRMAX + 1];
	store_id          id;
	store_fid         fid;
	size_t            n;
	size_t            j;
	size_t            ok = 0;
	int               i;
	char             *heap;

	(void) state;
	for (i = 0; i < 10000; i++) {
		n = rnd_next(&seed) % 65;
		// Favour the interesting lengths.
		if (i % 4 == 0) {
			n = (i / 4) % 2 == 0 ? STORE_ID_SHORT_LEN
			                     : STORE_ID_LONG_LEN;
		}
		for (j = 0; j < n; j++) {
			uint32_t r = rnd_next(&seed);
			s[j]       = (r & 0x700) != 0 ? alpha[r % 64]
			                              : (char) (r >> 16);
		}
		// Exactly n bytes on the heap, so ASan sees any over-read.
		heap = malloc(n > 0 ? n : 1);
		assert_non_null(heap);
		memcpy(heap, s, n);
		if (store_id_parse(heap, n, &id) == BB_OK) {
			ok++;
			assert_true(n == STORE_ID_SHORT_LEN ||
			            n == STORE_ID_LONG_LEN);
			assert_int_equal(store_id_format(&id, out),
			                 id.start <= UINT32_MAX
			                     ? STORE_ID_SHORT_LEN
			                     : STORE_ID_LONG_LEN);
			if (n == STORE_ID_SHORT_LEN || id.start > UINT32_MAX) {
				assert_memory_equal(out, heap, n);
			}
		}
		if (store_fid_parse(heap, n, &fid) == BB_OK) {
			assert_int_equal(n, STORE_FID_STRLEN);
			assert_memory_equal(store_fid_format(&fid, out), heap,
			                    n);
		}
		free(heap);
	}
	assert_true(ok > 100); // the valid path was exercised
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fid_vectors),
		cmocka_unit_test(test_fid_make_vector),
		cmocka_unit_test(test_fid_accessors),
		cmocka_unit_test(test_id_vectors),
		cmocka_unit_test(test_id_short_long_boundary),
		cmocka_unit_test(test_fid_next),
		cmocka_unit_test(test_fid_next_threads),
		cmocka_unit_test(test_fid_parse_rejects),
		cmocka_unit_test(test_id_parse_rejects),
		cmocka_unit_test(test_id_parse_huge),
		cmocka_unit_test(test_id_parse_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
