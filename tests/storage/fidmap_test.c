// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/fidmap_test.c -- storage/fidmap.h: add, look up and remove;
// a node that is its own replica (<fid> and r-<fid> under one key); the
// covering query against committed lengths; visit and collect over more
// files than a bucket array starts with; readers against a writer.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "storage/fidmap.h"
#include "storage/file.h"

// fid_of makes the fid number n (distinct n, distinct fids).
static store_fid
fid_of(uint32_t n)
{
	store_fid fid;

	store_fid_make(&fid, 1600000000u + n / 65536, (uint16_t) (n % 65536),
	               7);
	return fid;
}

// mkfile makes a record without a descriptor, committed bytes long.
static store__file *
mkfile(uint32_t n, bool replica, uint64_t committed)
{
	store_fid    fid = fid_of(n);
	store__file *f   = NULL;

	assert_int_equal(store__file_new(&fid, replica, !replica, -1,
	                                 committed, STORE__WAITING, &f),
	                 BB_OK);
	return f;
}

static store_id
id_of(uint32_t n, uint64_t start, uint32_t length)
{
	store_id id;

	id.fid    = fid_of(n);
	id.start  = start;
	id.length = length;
	return id;
}

static void
test_add_lookup_remove(void **state)
{
	store__fidmap m;
	store__file  *a = mkfile(1, false, 10);
	store__file  *b = mkfile(2, false, 20);
	store__file  *g;
	store_fid     fid;

	(void) state;
	assert_int_equal(store__fidmap_init(&m), BB_OK);
	fid = fid_of(1);
	assert_false(store__fidmap_has(&m, &fid)); // empty: no buckets yet
	assert_null(store__fidmap_get(&m, &fid, false));
	assert_int_equal(store__fidmap_add(&m, a), BB_OK);
	assert_int_equal(store__fidmap_add(&m, b), BB_OK);
	assert_true(store__fidmap_has(&m, &fid));
	g = store__fidmap_get(&m, &fid, false);
	assert_ptr_equal(g, a);
	assert_int_equal(atomic_load(&a->refs), 2); // the map's and ours
	store__file_put(g);
	assert_null(store__fidmap_get(&m, &fid, true)); // no r-<fid>
	fid = fid_of(3);
	assert_false(store__fidmap_has(&m, &fid));

	// Removal hands the map's reference back: a stays ours to free.
	store__fidmap_remove(&m, a);
	fid = fid_of(1);
	assert_false(store__fidmap_has(&m, &fid));
	assert_null(store__fidmap_get(&m, &fid, false));
	assert_int_equal(atomic_load(&a->refs), 1);
	store__fidmap_remove(&m, a); // not in the map: a no-op
	store__file_put(a);
	fid = fid_of(2);
	assert_ptr_equal(store__fidmap_get(&m, &fid, false), b);
	store__file_put(b);
	store__fidmap_fini(&m); // frees b (ASan checks)
}

static void
test_own_replica(void **state)
{
	store__fidmap m;
	store__file  *p = mkfile(5, false, 100);
	store__file  *r = mkfile(5, true, 100);
	store__file  *g;
	store_fid     fid = fid_of(5);

	(void) state;
	assert_int_equal(store__fidmap_init(&m), BB_OK);
	assert_int_equal(store__fidmap_add(&m, p), BB_OK);
	assert_int_equal(store__fidmap_add(&m, r), BB_OK);
	g = store__fidmap_get(&m, &fid, false);
	assert_ptr_equal(g, p);
	store__file_put(g);
	g = store__fidmap_get(&m, &fid, true);
	assert_ptr_equal(g, r);
	store__file_put(g);

	// Removing the primary leaves the replica under the same key.
	store__fidmap_remove(&m, p);
	store__file_put(p);
	assert_true(store__fidmap_has(&m, &fid));
	assert_null(store__fidmap_get(&m, &fid, false));
	g = store__fidmap_get(&m, &fid, true);
	assert_ptr_equal(g, r);
	store__file_put(g);
	store__fidmap_fini(&m);
}

static void
test_covering(void **state)
{
	static const struct {
		uint32_t n;
		uint64_t start;
		uint32_t length;
		int      want; // 0 none, 1 the primary, 2 the replica
	} cases[] = {
		{ 9, 0, 100, 1 },  // exactly the primary's committed range
		{ 9, 0, 0, 1 },    // empty range at 0
		{ 9, 100, 0, 1 },  // empty range at the primary's end
		{ 9, 99, 2, 2 },   // past the primary, inside the replica
		{ 9, 150, 50, 2 }, // exactly to the replica's end
		{ 9, 150, 51, 0 }, // one byte beyond every file
		{ 9, 201, 0, 0 },  // starts beyond every file
		{ 10, 0, 1, 0 },   // unknown fid
		{ 11, 0, 10, 0 },  // a file with nothing committed yet
		{ 11, 0, 0, 3 },   // ... holds the empty range at 0
	};
	store__fidmap m;
	store__file  *p      = mkfile(9, false, 100);
	store__file  *r      = mkfile(9, true, 200);
	store__file  *e      = mkfile(11, false, 0);
	store__file  *want[] = { NULL, p, r, e };
	store__file  *f;
	store_id      id;
	size_t        i;

	(void) state;
	assert_int_equal(store__fidmap_init(&m), BB_OK);
	id = id_of(9, 0, 1);
	store__fidmap_rdlock(&m);
	assert_null(store__fidmap_covering(&m, &id)); // empty map
	store__fidmap_unlock(&m);
	// The replica goes in first, so the primary is ahead in the chain:
	// where both cover, the first one found is the primary.
	assert_int_equal(store__fidmap_add(&m, r), BB_OK);
	assert_int_equal(store__fidmap_add(&m, p), BB_OK);
	assert_int_equal(store__fidmap_add(&m, e), BB_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		id = id_of(cases[i].n, cases[i].start, cases[i].length);
		store__fidmap_rdlock(&m);
		f = store__fidmap_covering(&m, &id);
		store__fidmap_unlock(&m);
		if (f != want[cases[i].want]) {
			fail_msg("case %zu: got %p, want %p", i, (void *) f,
			         (void *) want[cases[i].want]);
		}
	}
	// Committed grows: the range is covered once the bytes are.
	id = id_of(11, 0, 10);
	atomic_store(&e->committed, 10);
	store__fidmap_rdlock(&m);
	assert_ptr_equal(store__fidmap_covering(&m, &id), e);
	store__fidmap_unlock(&m);
	store__fidmap_fini(&m);
}

// Copies are ranked: a replica added after its primary (first in the
// chain: a shadow r-<fid> made beside a live primary) never hides the
// primary where both cover the id; it serves only what the primary lacks.
static void
test_covering_prefers_primary(void **state)
{
	store__fidmap m;
	store__file  *p = mkfile(12, false, 100);
	store__file  *r = mkfile(12, true, 300);
	store_id      id;

	(void) state;
	assert_int_equal(store__fidmap_init(&m), BB_OK);
	assert_int_equal(store__fidmap_add(&m, p), BB_OK);
	assert_int_equal(store__fidmap_add(&m, r), BB_OK); // newest first
	store__fidmap_rdlock(&m);
	id = id_of(12, 0, 100);
	assert_ptr_equal(store__fidmap_covering(&m, &id), p);
	id = id_of(12, 40, 10);
	assert_ptr_equal(store__fidmap_covering(&m, &id), p);
	id = id_of(12, 100, 0);
	assert_ptr_equal(store__fidmap_covering(&m, &id), p);
	id = id_of(12, 99, 2); // past the primary: only the replica has it
	assert_ptr_equal(store__fidmap_covering(&m, &id), r);
	id = id_of(12, 300, 1);
	assert_null(store__fidmap_covering(&m, &id));
	store__fidmap_unlock(&m);
	store__fidmap_fini(&m);
}

static void
count_one(store__file *f, void *arg)
{
	size_t *n = arg;

	(void) f;
	(*n)++;
}

// pick_odd picks the files with an odd committed length.
static bool
pick_odd(store__file *f, void *arg)
{
	(void) arg;
	return atomic_load(&f->committed) % 2 == 1;
}

static void
test_visit_collect_many(void **state)
{
	enum { N = 1000 }; // far beyond 64 files, and several grows
	store__fidmap m;
	store__file  *files[N];
	store__file **v = NULL;
	size_t        n = 0;
	size_t        i;
	uint32_t      k;

	(void) state;
	assert_int_equal(store__fidmap_init(&m), BB_OK);
	// Nothing to collect in an empty map: no array either.
	assert_int_equal(store__fidmap_collect(&m, pick_odd, NULL, &v, &n),
	                 BB_OK);
	assert_null(v);
	assert_int_equal(n, 0);
	for (k = 0; k < N; k++) {
		files[k] = mkfile(k, k % 3 == 0, k);
		assert_int_equal(store__fidmap_add(&m, files[k]), BB_OK);
	}
	n = 0;
	store__fidmap_visit(&m, count_one, &n);
	assert_int_equal(n, N);
	for (k = 0; k < N; k++) {
		store_fid fid = fid_of(k);
		assert_true(store__fidmap_has(&m, &fid));
	}

	assert_int_equal(store__fidmap_collect(&m, pick_odd, NULL, &v, &n),
	                 BB_OK);
	assert_int_equal(n, N / 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(atomic_load(&v[i]->committed) % 2, 1);
		assert_int_equal(atomic_load(&v[i]->refs), 2);
	}
	store__fidmap_release(v, n);
	for (k = 0; k < N; k++) {
		assert_int_equal(atomic_load(&files[k]->refs), 1);
	}
	store__fidmap_release(NULL, 0);

	// A collected file outlives its removal and the map.
	assert_int_equal(store__fidmap_collect(&m, pick_odd, NULL, &v, &n),
	                 BB_OK);
	store__fidmap_remove(&m, files[1]);
	store__file_put(files[1]); // the map's reference, handed back
	store__fidmap_fini(&m);
	for (i = 0; i < n; i++) {
		assert_int_equal(atomic_load(&v[i]->refs), 1);
	}
	store__fidmap_release(v, n); // frees the odd ones
}

// The concurrent test: readers look up a stable set of files (always
// there) while a writer adds and removes others, growing the map.
enum { STABLE = 32, CHURN = 2000, READS = 20000, READERS = 4 };

typedef struct {
	store__fidmap m;
	atomic_bool   done;
	atomic_int    misses;
} race;

static void *
race_writer(void *arg)
{
	race        *r = arg;
	store__file *f;
	uint32_t     k;

	for (k = 0; k < CHURN; k++) {
		f = mkfile(STABLE + k, k % 2 == 0, 64);
		if (store__fidmap_add(&r->m, f) != BB_OK) {
			store__file_free(f);
			continue;
		}
		if (k % 4 != 3) { // some stay, so the map grows
			store__fidmap_remove(&r->m, f);
			store__file_put(f);
		}
	}
	atomic_store(&r->done, true);
	return NULL;
}

static void *
race_reader(void *arg)
{
	race        *r = arg;
	store__file *f;
	store_id     id;
	uint32_t     k;
	int          i;

	for (i = 0; i < READS || !atomic_load(&r->done); i++) {
		k  = (uint32_t) i % STABLE;
		id = id_of(k, 10, 20);
		store__fidmap_rdlock(&r->m);
		f = store__fidmap_covering(&r->m, &id);
		store__fidmap_unlock(&r->m);
		if (f == NULL) {
			atomic_fetch_add(&r->misses, 1);
		}
		f = store__fidmap_get(&r->m, &id.fid, false);
		if (f == NULL) {
			atomic_fetch_add(&r->misses, 1);
		} else {
			store__file_put(f);
		}
	}
	return NULL;
}

static void
test_readers_and_writer(void **state)
{
	race      r;
	pthread_t w;
	pthread_t rd[READERS];
	size_t    n = 0;
	uint32_t  k;
	int       i;

	(void) state;
	assert_int_equal(store__fidmap_init(&r.m), BB_OK);
	atomic_init(&r.done, false);
	atomic_init(&r.misses, 0);
	for (k = 0; k < STABLE; k++) {
		assert_int_equal(store__fidmap_add(&r.m, mkfile(k, false, 64)),
		                 BB_OK);
	}
	for (i = 0; i < READERS; i++) {
		assert_int_equal(pthread_create(&rd[i], NULL, race_reader, &r),
		                 0);
	}
	assert_int_equal(pthread_create(&w, NULL, race_writer, &r), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	for (i = 0; i < READERS; i++) {
		assert_int_equal(pthread_join(rd[i], NULL), 0);
	}
	assert_int_equal(atomic_load(&r.misses), 0);
	store__fidmap_visit(&r.m, count_one, &n);
	assert_int_equal(n, STABLE + CHURN / 4);
	store__fidmap_fini(&r.m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_lookup_remove),
		cmocka_unit_test(test_own_replica),
		cmocka_unit_test(test_covering),
		cmocka_unit_test(test_covering_prefers_primary),
		cmocka_unit_test(test_visit_collect_many),
		cmocka_unit_test(test_readers_and_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
