// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/replica_test.c -- the replica side of storage (storage.h
// "Replica side", remote.h store_hash): r-<fid> files, appends at the
// expected offset, duplicates, failures, the orphan timer, a replica found
// at start-up, and calls from several threads.  Which fids a node may
// hold a replica of (ranks) is ranks_test.c.
#define _XOPEN_SOURCE 700 // nftw, in ns_fixture.h
#include "tests/storage/repl/replica_fixture.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include <xxhash.h>

#include "storage/fileio.h"

// ---- fault injection ------------------------------------------------

static store_io_ops fault_ops;
static atomic_int   fault_pwrite_calls;

// A write that gets half way, then finds the disk full.
static ssize_t
fault_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (atomic_fetch_add(&fault_pwrite_calls, 1) == 0 && n > 1) {
		return store_io_real()->pwrite(fd, buf, n / 2, off);
	}
	errno = ENOSPC;
	return -1;
}

// ---- tests ----------------------------------------------------------

static void
test_hash(void **state)
{
	(void) state;
	assert_true(store_hash("test", 4) == XXH3_64bits("test", 4));
	assert_true(store_hash("test", 4) ==
	            XXH3_64bits_withSeed("test", 4, 0));
	assert_true(store_hash("", 0) == XXH3_64bits("", 0));
	assert_true(store_hash("test", 4) != store_hash("tesu", 4));
}

static void
test_initialize(void **state)
{
	ns_fix   *fx   = ropen(state);
	store_fid fid  = peer_fid(1);
	uint8_t  *data = make_body(1000, 1);

	assert_int_equal(rsize(fx, &fid), -1);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	assert_int_equal(rsize(fx, &fid), 0);
	expect_state(fx->ns, &fid, "waiting");
	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	assert_int_equal(rsize(fx, &fid), 0);

	// Idempotent whatever the length: a resend after appends.
	repl_ok(fx->ns, &fid, 0, data, 1000);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	rcheck(fx, &fid, data, 1000);
	free(data);
}

// Appends at the right offsets, then resends of every chunk and of a
// sub-range (NNG may deliver a request twice): OK with the current
// length, and the file is unchanged.
static void
test_replicate(void **state)
{
	static const size_t sizes[] = { 1, 7919, 0, 65536, 100000, 3, 20000 };
	ns_fix             *fx      = ropen(state);
	store_fid           fid     = peer_fid(2);
	uint8_t            *all     = make_body(200000, 2);
	store_id            id  = { .fid = fid, .start = 1, .length = 70000 };
	uint64_t            off = 0;
	uint64_t            got = 0;
	uint64_t            total;
	size_t              i;

	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		repl_ok(fx->ns, &fid, off, all + off, sizes[i]);
		off += sizes[i];
		rcheck(fx, &fid, all, (size_t) off);
	}
	total = off;
	for (i = 0, off = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(
		    repl(fx->ns, &fid, off, all + off, sizes[i], &got), BB_OK);
		assert_int_equal(got, total);
		off += sizes[i];
	}
	assert_int_equal(repl(fx->ns, &fid, 100, all + 100, 5, &got), BB_OK);
	rcheck(fx, &fid, all, (size_t) off);
	expect_state(fx->ns, &fid, "waiting");
	// Readable through the namespace like any local file.
	check_read(fx->ns, &id, all + 1, 70000);
	expect_enoent(fx->ns, off - 10, 11, &fid);
	free(all);
}

// Requests a replica holding 30000 bytes must refuse, leaving it as it
// was and still appendable.  Data comes from the replica's own bytes at
// from (or a different body when from < 0), with byte flip flipped.
static const struct reject_case {
	const char *what;
	uint64_t    start;
	size_t      len;
	long        from;
	long        flip;     // index into the data, or -1
	uint64_t    hash_xor; // applied to the right hash
	bb_err      want;
} reject_cases[] = {
	{ "other bytes at 0", 0, 20000, -1, -1, 0, BB_ERANGE },
	{ "last byte off", 10000, 20000, 10000, 19999, 0, BB_ERANGE },
	{ "first byte off", 29000, 1000, 29000, 0, 0, BB_ERANGE },
	{ "gap", 30001, 10, 0, -1, 0, BB_ERANGE },
	{ "runs past the end", 29990, 20, 29990, -1, 0, BB_ERANGE },
	{ "wrong hash, append", 30000, 2000, -1, -1, 1, BB_ECORRUPT },
	{ "wrong hash, duplicate", 0, 100, 0, -1, 1, BB_ECORRUPT },
	{ "wrong hash, empty", 30000, 0, 0, -1, 1, BB_ECORRUPT },
};

static void
test_rejected(void **state)
{
	ns_fix                   *fx    = ropen(state);
	store_fid                 fid   = peer_fid(4);
	uint8_t                  *all   = make_body(32000, 4);
	uint8_t                  *other = make_body(20000, 44);
	uint8_t                   buf[20000];
	const struct reject_case *c;
	uint64_t                  off;
	size_t                    i;
	bb_err                    rv;

	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	assert_int_equal(repl(fx->ns, &fid, 1, all, 10, NULL), BB_ERANGE);
	assert_int_equal(rsize(fx, &fid), 0);
	repl_ok(fx->ns, &fid, 0, all, 30000);
	for (i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		c = &reject_cases[i];
		(void) memcpy(buf, c->from < 0 ? other : all + c->from,
		              c->len);
		if (c->flip >= 0) {
			buf[c->flip] ^= 1;
		}
		rv = store_ns_replica_replicate(
		    fx->ns, &fid, c->start, buf, c->len,
		    store_hash(buf, c->len) ^ c->hash_xor, false, &off);
		if (rv != c->want) {
			fail_msg("%s: got %s, want %s", c->what,
			         bb_err_name(rv), bb_err_name(c->want));
		}
		rcheck(fx, &fid, all, 30000);
		expect_state(fx->ns, &fid, "waiting");
	}
	repl_ok(fx->ns, &fid, 30000, other, 100);
	free(all);
	free(other);
}

static void
test_unknown_and_delete(void **state)
{
	ns_fix   *fx  = ropen(state);
	store_fid fid = peer_fid(8);
	uint8_t  *all = make_body(5000, 8);
	uint8_t   buf[5000];
	store_id  id  = { .fid = fid, .start = 0, .length = 5000 };
	uint64_t  off = 0;
	int       fd  = -1;

	// Never initialized: unknown, and a delete of it is fine.
	assert_int_equal(repl(fx->ns, &fid, 0, "abc", 3, NULL), BB_ENOENT);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, &fid), BB_ENOENT);
	assert_int_equal(store_ns_replica_delete(fx->ns, &fid), BB_OK);
	assert_int_equal(rsize(fx, &fid), -1);

	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	repl_ok(fx->ns, &fid, 0, all, 5000);
	assert_int_equal(store_ns_read(fx->ns, &id, &fd, &off), BB_OK);
	assert_int_equal(store_ns_replica_delete(fx->ns, &fid), BB_OK);
	assert_int_equal(rsize(fx, &fid), -1);
	expect_state(fx->ns, &fid, NULL);
	expect_enoent(fx->ns, 0, 5000, &fid);
	// A read that got its descriptor before keeps the bytes.
	assert_int_equal(store_io_read(fd, buf, sizeof(buf), off), BB_OK);
	assert_memory_equal(buf, all, sizeof(buf));
	(void) close(fd);
	assert_int_equal(store_ns_replica_delete(fx->ns, &fid), BB_OK);
	assert_int_equal(repl(fx->ns, &fid, 5000, all, 1, NULL), BB_ENOENT);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, &fid), BB_ENOENT);
	// The fid can be used again.
	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	assert_int_equal(rsize(fx, &fid), 0);
	free(all);
}

static void
test_write_failure(void **state)
{
	ns_fix   *fx  = ropen(state);
	store_fid fid = peer_fid(9);
	uint8_t  *all = make_body(9000, 9);
	store_id  id  = { .fid = fid, .start = 0, .length = 1000 };
	int64_t   t;
	bb_err    rv;

	assert_int_equal(store_ns_replica_initialize(fx->ns, &fid), BB_OK);
	repl_ok(fx->ns, &fid, 0, all, 1000);
	fault_ops        = *store_io_real();
	fault_ops.pwrite = fault_pwrite;
	atomic_store(&fault_pwrite_calls, 0);
	store_io_set_ops(&fault_ops);
	rv = repl(fx->ns, &fid, 1000, all + 1000, 8000, NULL);
	store_io_set_ops(NULL);
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_pwrite_calls) >= 2); // half, then fail
	rcheck(fx, &fid, all, 1000);                        // truncated back
	expect_state(fx->ns, &fid, "failed");
	expect_closed(fx->ns, &fid, 1000);
	assert_int_equal(repl(fx->ns, &fid, 0, all, 1000, NULL), BB_ESTATE);
	check_read(fx->ns, &id, all, 1000);
	rcheck(fx, &fid, all, 1000);
	// A failed replica orphans like a waiting one: sealed, readable.
	t = bb_clock_mono_ns();
	store_ns_tick(fx->ns, t + ORPHAN_NS + BB_NS_PER_SEC);
	expect_state(fx->ns, &fid, "pending-upload");
	check_read(fx->ns, &id, all, 1000);
	free(all);
}

// Orphans: a silent replica with bytes is sealed and stays readable, an
// empty one is removed; a heart beat in between keeps one alive.
static void
test_orphan(void **state)
{
	ns_fix   *fx    = ropen(state);
	store_fid full  = peer_fid(10);
	store_fid empty = peer_fid(11);
	store_fid beat  = peer_fid(12);
	uint8_t  *all   = make_body(4000, 10);
	store_id  id    = { .fid = full, .start = 100, .length = 3900 };
	int64_t   t0;
	int64_t   t1;
	int64_t   t_beat;

	t0 = bb_clock_mono_ns();
	assert_int_equal(store_ns_replica_initialize(fx->ns, &full), BB_OK);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &empty), BB_OK);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &beat), BB_OK);
	repl_ok(fx->ns, &full, 0, all, 4000);
	repl_ok(fx->ns, &beat, 0, all, 10);
	t1 = bb_clock_mono_ns();
	bb_clock_sleep_ns(20 * BB_NS_PER_MS);
	t_beat = bb_clock_mono_ns();
	assert_true(t_beat - t1 >= 20 * BB_NS_PER_MS);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, &beat), BB_OK);

	// Not yet: all were last heard at or after t0.
	store_ns_tick(fx->ns, t0 + ORPHAN_NS - BB_NS_PER_SEC);
	expect_state(fx->ns, &full, "waiting");
	expect_state(fx->ns, &empty, "waiting");
	assert_int_equal(rsize(fx, &empty), 0);

	// 10 ms before the beaten one's time is up, the others are 10 ms
	// past theirs.
	store_ns_tick(fx->ns, t_beat + ORPHAN_NS - 10 * BB_NS_PER_MS);
	expect_state(fx->ns, &beat, "waiting");
	expect_state(fx->ns, &full, "pending-upload");
	check_read(fx->ns, &id, all + 100, 3900);
	rcheck(fx, &full, all, 4000);
	expect_state(fx->ns, &empty, NULL);
	assert_int_equal(rsize(fx, &empty), -1);
	store_ns_tick(fx->ns, bb_clock_mono_ns() + ORPHAN_NS + BB_NS_PER_SEC);
	expect_state(fx->ns, &beat, "pending-upload");

	// Sealed: no more appends, beats or initialize; delete still works.
	expect_closed(fx->ns, &full, 4000);
	store_ns_tick(fx->ns, t1 + 10 * ORPHAN_NS);
	expect_state(fx->ns, &full, "pending-upload");
	assert_int_equal(store_ns_replica_delete(fx->ns, &full), BB_OK);
	assert_int_equal(rsize(fx, &full), -1);
	free(all);
}

static void
test_recovered_replica(void **state)
{
	ns_fix   *fx  = *state;
	store_fid fid = peer_fid(16);
	uint8_t  *all = make_body(700, 16);
	store_id  id  = { .fid = fid, .start = 0, .length = 700 };
	char      path[256];
	int       fd;

	assert_int_equal(mkdir(fx->dir, 0755), 0);
	rpath(fx, &fid, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, all, 700), 700);
	(void) close(fd);
	(void) ropen(state);

	expect_state(fx->ns, &fid, "pending-upload");
	expect_closed(fx->ns, &fid, 700);
	store_ns_tick(fx->ns, bb_clock_mono_ns() + 10 * ORPHAN_NS);
	expect_state(fx->ns, &fid, "pending-upload");
	check_read(fx->ns, &id, all, 700);
	assert_int_equal(store_ns_replica_delete(fx->ns, &fid), BB_OK);
	assert_int_equal(rsize(fx, &fid), -1);
	free(all);
}

// ---- threads --------------------------------------------------------

// A worker initializes fid and sends a run of NCHUNKS chunks in order,
// each waiting for its answer, as the primary side does.
typedef struct {
	store_ns          *ns;
	pthread_barrier_t *go; // all Initialize at once
	store_fid          fid;
	uint8_t           *data; // the whole expected file
	atomic_int         errors;
	bb_err             first;
	pthread_t          th;
} worker;

// chunk_len is the length of chunk i of a run; some are empty.
static size_t
chunk_len(size_t i)
{
	return (i * 7919u) % MAX_CHUNK;
}

static void *
worker_main(void *arg)
{
	worker  *w   = arg;
	uint64_t off = 0;
	uint64_t got = 0;
	size_t   i;
	size_t   n;
	bb_err   rv;

	(void) pthread_barrier_wait(w->go);
	rv = store_ns_replica_initialize(w->ns, &w->fid);
	for (i = 0; i < NCHUNKS && rv == BB_OK; i++) {
		n  = chunk_len(i);
		rv = repl(w->ns, &w->fid, off, w->data + off, n, &got);
		if (rv == BB_OK && got < off + n) {
			rv = BB_ERANGE;
		}
		off += n;
	}
	if (rv != BB_OK && atomic_fetch_add(&w->errors, 1) == 0) {
		w->first = rv;
	}
	return NULL;
}

// run_workers runs w[0..n) in parallel and checks every file they wrote.
static void
run_workers(ns_fix *fx, worker *w, int n)
{
	pthread_barrier_t go;
	size_t            total = 0;
	size_t            i;
	int               k;

	for (i = 0; i < NCHUNKS; i++) {
		total += chunk_len(i);
	}
	assert_int_equal(pthread_barrier_init(&go, NULL, (unsigned) n), 0);
	for (k = 0; k < n; k++) {
		w[k].ns = fx->ns;
		w[k].go = &go;
		atomic_init(&w[k].errors, 0);
		assert_int_equal(
		    pthread_create(&w[k].th, NULL, worker_main, &w[k]), 0);
	}
	for (k = 0; k < n; k++) {
		assert_int_equal(pthread_join(w[k].th, NULL), 0);
	}
	(void) pthread_barrier_destroy(&go);
	for (k = 0; k < n; k++) {
		if (atomic_load(&w[k].errors) != 0) {
			fail_msg("thread %d: %s", k, bb_err_name(w[k].first));
		}
		rcheck(fx, &w[k].fid, w[k].data, total);
	}
}

// NTHREADS threads replicate to as many replicas while two more send
// the same run to one more replica (a request resent while the first is
// still served): every file is exact, the shared one holds one copy.
// The two racing Initialize calls of the shared one both succeed.
static void
test_parallel(void **state)
{
	ns_fix  *fx     = ropen(state);
	uint8_t *shared = make_body(THREAD_SIZE, 200);
	worker   w[NTHREADS + 2];
	int      k;

	(void) memset(w, 0, sizeof(w));
	for (k = 0; k < NTHREADS; k++) {
		w[k].fid  = peer_fid((uint16_t) (100 + k));
		w[k].data = make_body(THREAD_SIZE, (uint32_t) (100 + k));
	}
	for (; k < NTHREADS + 2; k++) {
		w[k].fid  = peer_fid(200);
		w[k].data = shared;
	}
	run_workers(fx, w, NTHREADS + 2);
	for (k = 0; k < NTHREADS; k++) {
		free(w[k].data);
	}
	free(shared);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		T(test_initialize),
		T(test_replicate),
		T(test_rejected),
		T(test_unknown_and_delete),
		T(test_write_failure),
		T(test_orphan),
		T(test_recovered_replica),
		T(test_parallel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
