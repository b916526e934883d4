// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/metrics_test.c -- a namespace's counters and latency
// histograms: operation triples, plain counters, the queued gauge, bucket
// boundaries (le is inclusive), cumulative snapshots, sums, the name
// tables, and counting from many threads at once.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "storage/metrics.h"

static void
test_ops_and_counters(void **state)
{
	store_metrics     *m = NULL;
	store_metrics_snap s;

	(void) state;
	assert_int_equal(store_metrics_new(&m), BB_OK);
	store_metrics_snapshot(m, &s);
	assert_int_equal(s.total[STORE_OP_PRIMARY_INSERT], 0);

	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, false);
	store_metrics_op(m, STORE_OP_REPLICA_UPLOAD, false);
	store_metrics_add(m, STORE_CTR_BYTES_INSERTED, 1000);
	store_metrics_add(m, STORE_CTR_BYTES_INSERTED, 24);
	store_metrics_queued(m, 1);
	store_metrics_queued(m, 1);
	store_metrics_queued(m, -1);
	// Out of range ids and a NULL set are ignored, never a crash.
	store_metrics_op(m, STORE_OP_N_, true);
	store_metrics_add(m, STORE_CTR_N_, 1);
	store_metrics_op(NULL, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_add(NULL, STORE_CTR_BYTES_INSERTED, 1);
	store_metrics_queued(NULL, 1);
	store_metrics_observe(NULL, STORE_HIST_READ, 1);

	store_metrics_snapshot(m, &s);
	assert_int_equal(s.total[STORE_OP_PRIMARY_INSERT], 3);
	assert_int_equal(s.successes[STORE_OP_PRIMARY_INSERT], 2);
	assert_int_equal(s.failures[STORE_OP_PRIMARY_INSERT], 1);
	assert_int_equal(s.total[STORE_OP_REPLICA_UPLOAD], 1);
	assert_int_equal(s.failures[STORE_OP_REPLICA_UPLOAD], 1);
	assert_int_equal(s.successes[STORE_OP_REPLICA_UPLOAD], 0);
	assert_int_equal(s.total[STORE_OP_PRIMARY_OPEN], 0);
	assert_int_equal(s.counters[STORE_CTR_BYTES_INSERTED], 1024);
	assert_int_equal(s.counters[STORE_CTR_REPLICAS_ORPHANED], 0);
	assert_int_equal(s.queued_inserts, 1);
	store_metrics_free(m);
	store_metrics_free(NULL);
}

typedef struct {
	int64_t dur_ns;
	int     bucket; // the first cumulative bucket that counts it
} hist_case;

static void
test_histogram_buckets(void **state)
{
	static const hist_case cases[] = {
		{ 0, 0 },
		{ -5, 0 },     // a clock step backwards counts as 0
		{ 100000, 0 }, // exactly 100 us: le is inclusive
		{ 100001, 1 },
		{ 250000, 1 },
		{ 999999, 3 },
		{ 1000000, 3 },
		{ 1000000000, 12 },  // 1 s
		{ 10000000000, 15 }, // 10 s, the last finite bound
		{ 10000000001, 16 }, // +Inf
		{ INT64_MAX, 16 },
	};
	store_metrics     *m = NULL;
	store_metrics_snap s;
	size_t             i;
	int                k;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_metrics_new(&m), BB_OK);
		store_metrics_observe(m, STORE_HIST_REPLICATE,
		                      cases[i].dur_ns);
		store_metrics_snapshot(m, &s);
		for (k = 0; k <= STORE_HIST_NBOUNDS; k++) {
			uint64_t want = k >= cases[i].bucket ? 1 : 0;
			if (s.hists[STORE_HIST_REPLICATE].buckets[k] != want) {
				fail_msg("%lld ns: bucket %d has %llu, want "
				         "%llu",
				         (long long) cases[i].dur_ns, k,
				         (unsigned long long) s
				             .hists[STORE_HIST_REPLICATE]
				             .buckets[k],
				         (unsigned long long) want);
			}
		}
		assert_int_equal(s.hists[STORE_HIST_REPLICATE].count, 1);
		// The other histograms saw nothing.
		assert_int_equal(s.hists[STORE_HIST_INSERT].count, 0);
		assert_int_equal(s.hists[STORE_HIST_READ].buckets[16], 0);
		store_metrics_free(m);
	}
}

static void
test_histogram_sum_and_count(void **state)
{
	store_metrics     *m = NULL;
	store_metrics_snap s;
	store_hist_snap   *h;

	(void) state;
	assert_int_equal(store_metrics_new(&m), BB_OK);
	store_metrics_observe(m, STORE_HIST_INSERT, 50000);       // 50 us
	store_metrics_observe(m, STORE_HIST_INSERT, 3000000);     // 3 ms
	store_metrics_observe(m, STORE_HIST_INSERT, 3000000);     // 3 ms
	store_metrics_observe(m, STORE_HIST_INSERT, 20000000000); // 20 s
	store_metrics_snapshot(m, &s);
	h = &s.hists[STORE_HIST_INSERT];
	assert_int_equal(h->count, 4);
	assert_int_equal(h->sum_ns, 50000 + 3000000 * 2 + 20000000000ULL);
	assert_int_equal(h->buckets[0], 1);  // <= 100 us
	assert_int_equal(h->buckets[4], 1);  // <= 2.5 ms
	assert_int_equal(h->buckets[5], 3);  // <= 5 ms
	assert_int_equal(h->buckets[15], 3); // <= 10 s
	assert_int_equal(h->buckets[STORE_HIST_NBOUNDS], h->count);
	store_metrics_free(m);
}

static void
test_bounds_and_names(void **state)
{
	int i;

	(void) state;
	assert_int_equal(store_metrics_bound_ns(0), 100000);
	assert_string_equal(store_metrics_bound_le(0), "0.0001");
	assert_int_equal(store_metrics_bound_ns(STORE_HIST_NBOUNDS - 1),
	                 10000000000LL);
	assert_string_equal(store_metrics_bound_le(STORE_HIST_NBOUNDS - 1),
	                    "10");
	assert_string_equal(store_metrics_bound_le(STORE_HIST_NBOUNDS),
	                    "+Inf");
	// The bounds grow, and each le string says the same value.
	for (i = 1; i < STORE_HIST_NBOUNDS; i++) {
		double le = 0;
		assert_true(store_metrics_bound_ns(i) >
		            store_metrics_bound_ns(i - 1));
		assert_int_equal(sscanf(store_metrics_bound_le(i), "%lf", &le),
		                 1);
		assert_int_equal((int64_t) (le * 1e9 + 0.5),
		                 store_metrics_bound_ns(i));
	}
	assert_string_equal(store_metrics_op_name(STORE_OP_PRIMARY_INSERT),
	                    "primary_insert");
	assert_string_equal(store_metrics_op_what(STORE_OP_REPLICA_INITIALIZE),
	                    "replica initializations");
	assert_string_equal(store_metrics_ctr_name(STORE_CTR_BYTES_INSERTED),
	                    "bytes_inserted");
	assert_string_equal(store_metrics_hist_name(STORE_HIST_READ),
	                    "blobby_read_duration_seconds");
	assert_null(store_metrics_op_name(STORE_OP_N_));
	assert_null(store_metrics_ctr_name(STORE_CTR_N_));
	assert_null(store_metrics_hist_name(STORE_HIST_N_));
	// The original's families are sorted by name: so are the ops.
	for (i = 1; i < STORE_OP_N_; i++) {
		assert_true(strcmp(store_metrics_op_name((store_op) (i - 1)),
		                   store_metrics_op_name((store_op) i)) < 0);
	}
}

#define THREADS 8
#define ROUNDS  20000

static void *
hammer(void *arg)
{
	store_metrics *m = arg;
	int            i;

	for (i = 0; i < ROUNDS; i++) {
		store_metrics_op(m, STORE_OP_REPLICA_REPLICATE, i % 2 == 0);
		store_metrics_add(m, STORE_CTR_BYTES_INSERTED, 3);
		store_metrics_observe(m, STORE_HIST_READ, (int64_t) i * 1000);
		store_metrics_queued(m, 1);
		store_metrics_queued(m, -1);
	}
	return NULL;
}

// Lock-free counting loses nothing when many threads count at once (and
// the TSan build checks that it is race-free).
static void
test_concurrent(void **state)
{
	store_metrics     *m = NULL;
	store_metrics_snap s;
	pthread_t          t[THREADS];
	int                i;

	(void) state;
	assert_int_equal(store_metrics_new(&m), BB_OK);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
	}
	for (i = 0; i < 50; i++) {
		store_metrics_snapshot(m, &s); // readers meanwhile
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	store_metrics_snapshot(m, &s);
	assert_int_equal(s.total[STORE_OP_REPLICA_REPLICATE],
	                 THREADS * ROUNDS);
	assert_int_equal(s.successes[STORE_OP_REPLICA_REPLICATE],
	                 THREADS * ROUNDS / 2);
	assert_int_equal(s.counters[STORE_CTR_BYTES_INSERTED],
	                 3 * THREADS * ROUNDS);
	assert_int_equal(s.hists[STORE_HIST_READ].count, THREADS * ROUNDS);
	assert_int_equal(s.queued_inserts, 0);
	store_metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_and_counters),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_histogram_sum_and_count),
		cmocka_unit_test(test_bounds_and_names),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
