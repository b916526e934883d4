// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/replica_test.c -- the replica side of storage (storage.h
// "Replica side", remote.h store_hash): r-<fid> files, appends at the
// expected offset, duplicates, failures, the orphan timer, a node that is
// its own replica, and calls from several threads.
#define _XOPEN_SOURCE 700 // nftw, in ns_fixture.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "common/clock.h"
#include "storage/fileio.h"
#include "storage/remote.h"
#include "tests/storage/ns_fixture.h"

#define PEER        UINT32_C(7) // the machine id of the primaries' node
#define ORPHAN_NS   (60 * BB_NS_PER_SEC)
#define NCHUNKS     100
#define NTHREADS    4
#define MAX_CHUNK   3000
#define THREAD_SIZE (NCHUNKS * MAX_CHUNK)

// ---- helpers --------------------------------------------------------

// ropen opens the fixture's namespace with the orphan timer on.
static ns_fix *
ropen(void **state)
{
	ns_fix *fx = *state;

	fx->conf.heart_beat_interval_ns = 30 * BB_NS_PER_SEC;
	fx->conf.orphan_timeout_ns      = ORPHAN_NS;
	fx_open(fx);
	return fx;
}

static store_fid
peer_fid(uint16_t counter)
{
	store_fid fid;

	store_fid_make(&fid, 1700000000u, counter, PEER);
	return fid;
}

static void
rpath(const ns_fix *fx, const store_fid *fid, char *path, size_t n)
{
	char name[STORE_FID_STRLEN + 1];

	(void) snprintf(path, n, "%s/r-%s", fx->dir,
	                store_fid_format(fid, name));
}

// rsize returns the size on disk of r-<fid>, or -1 if there is none.
static long long
rsize(const ns_fix *fx, const store_fid *fid)
{
	char        path[256];
	struct stat st;

	rpath(fx, fid, path, sizeof(path));
	if (stat(path, &st) != 0) {
		return -1;
	}
	return (long long) st.st_size;
}

// rcheck fails unless r-<fid> holds exactly data[0..n).
static void
rcheck(const ns_fix *fx, const store_fid *fid, const uint8_t *data, size_t n)
{
	char     path[256];
	uint8_t *buf = malloc(n + 1);
	ssize_t  r;
	int      fd;

	assert_non_null(buf);
	assert_int_equal(rsize(fx, fid), (long long) n);
	rpath(fx, fid, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = pread(fd, buf, n + 1, 0);
	(void) close(fd);
	assert_int_equal(r, (ssize_t) n);
	assert_memory_equal(buf, data, n);
	free(buf);
}

static bb_err
repl(store_ns *ns, const store_fid *fid, uint64_t start, const void *data,
     size_t len, uint64_t *offp)
{
	uint64_t off = UINT64_MAX;
	bb_err   rv;

	rv = store_ns_replica_replicate(ns, fid, start, data, len,
	                                store_hash(data, len), false, &off);
	if (offp != NULL) {
		*offp = off;
	}
	return rv;
}

static void
repl_ok(store_ns *ns, const store_fid *fid, uint64_t start, const void *data,
        size_t len)
{
	uint64_t off = 0;
	bb_err   rv  = repl(ns, fid, start, data, len, &off);

	if (rv != BB_OK) {
		fail_msg("replicate %zu bytes at %llu: %s", len,
		         (unsigned long long) start, bb_err_name(rv));
	}
	assert_int_equal(off, start + len);
}

// replica_info returns what foreach reports about the replica of fid.
static const store_file_info *
replica_info(const infos *in, const store_fid *fid)
{
	int i;

	for (i = 0; i < in->n; i++) {
		if (in->v[i].replica && store_fid_equal(&in->v[i].fid, fid)) {
			return &in->v[i];
		}
	}
	return NULL;
}

static void
expect_state(store_ns *ns, const store_fid *fid, const char *state)
{
	infos                  in;
	const store_file_info *fi;

	collect(ns, &in);
	fi = replica_info(&in, fid);
	if (state == NULL) {
		assert_null(fi);
		return;
	}
	assert_non_null(fi);
	assert_string_equal(fi->state, state);
}

// expect_closed checks that a sealed or failed replica refuses appends
// (even at its length), heart beats and a new Initialize.
static void
expect_closed(store_ns *ns, const store_fid *fid, uint64_t length)
{
	assert_int_equal(repl(ns, fid, length, "x", 1, NULL), BB_ESTATE);
	assert_int_equal(store_ns_replica_heartbeat(ns, fid), BB_ESTATE);
	assert_int_equal(store_ns_replica_initialize(ns, fid), BB_ESTATE);
}

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

// ---- ranks: no replica may shadow a primary --------------------------

// The fake peers of a node that is its own peer ([remote.<id>] with its
// own machine id): the one peer is the namespace itself, reached through
// the real replica calls, as blobbyd reaches itself over the RPC.
static bb_err
self_assign(void *ctx, uint32_t n, uint32_t *ids)
{
	uint32_t i;

	(void) ctx;
	for (i = 0; i < n; i++) {
		ids[i] = MACHINE;
	}
	return BB_OK;
}

static void
self_call(void *ctx, const uint32_t *ids, size_t n, const store_call *c,
          store_call_result *res)
{
	ns_fix  *fx = ctx;
	uint64_t off;
	size_t   i;

	for (i = 0; i < n; i++) {
		assert_int_equal(ids[i], MACHINE);
		res[i].shutting_down = false;
		res[i].msg[0]        = '\0';
		switch (c->kind) {
		case STORE_CALL_INITIALIZE:
			res[i].err =
			    store_ns_replica_initialize(fx->ns, &c->fid);
			break;
		case STORE_CALL_REPLICATE:
			res[i].err = store_ns_replica_replicate(
			    fx->ns, &c->fid, c->start, c->data, c->len,
			    c->hash, false, &off);
			break;
		case STORE_CALL_HEARTBEAT:
			res[i].err =
			    store_ns_replica_heartbeat(fx->ns, &c->fid);
			break;
		case STORE_CALL_DELETE:
			res[i].err = store_ns_replica_delete(fx->ns, &c->fid);
			break;
		}
	}
}

// self_open opens the fixture's namespace as a node whose [remote.<id>]
// sections name its own machine id (self_peer), with replicas copies.
static store_remotes self_remotes;

static ns_fix *
self_open(void **state, uint32_t replicas)
{
	ns_fix      *fx              = *state;
	store_ns_env env             = { .machine_id = MACHINE,
		                         .remotes    = &self_remotes,
		                         .self_peer  = true };
	char         why[BB_WHY_LEN] = "";

	self_remotes.ctx                = fx;
	self_remotes.max_chunk          = MAX_CHUNK;
	self_remotes.assign             = self_assign;
	self_remotes.call               = self_call;
	fx->conf.heart_beat_interval_ns = 30 * BB_NS_PER_SEC;
	fx->conf.orphan_timeout_ns      = ORPHAN_NS;
	fx->conf.replicas               = replicas;
	// The first primary is made on the first insert: one made while
	// opening would call back into a namespace not yet returned.
	fx->conf.min_open_files = 0;
	if (store_ns_open(&fx->conf, &env, &fx->ns, why, sizeof(why)) !=
	    BB_OK) {
		fail_msg("store_ns_open: %s", why);
	}
	return fx;
}

// expect_refused checks that every replica call on fid is refused with
// BB_EACCES, that the reason names the cause, and that no r-<fid> exists.
static void
expect_refused(ns_fix *fx, const store_fid *fid, const char *cause)
{
	static const uint8_t junk[100] = { 0xee };
	char                 why[BB_WHY_LEN];

	why[0] = '\0';
	assert_int_equal(store_ns_replica_check(fx->ns, fid, why, sizeof(why)),
	                 BB_EACCES);
	if (strstr(why, cause) == NULL) {
		fail_msg("reason \"%s\" does not say \"%s\"", why, cause);
	}
	assert_int_equal(store_ns_replica_initialize(fx->ns, fid), BB_EACCES);
	assert_int_equal(repl(fx->ns, fid, 0, junk, sizeof(junk), NULL),
	                 BB_EACCES);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, fid), BB_EACCES);
	assert_int_equal(store_ns_replica_delete(fx->ns, fid), BB_EACCES);
	assert_int_equal(rsize(fx, fid), -1);
}

// A node that is not its own peer refuses every replica of a fid that
// names it, whether it holds the primary or not (defect 2: Initialize
// made r-<fid> beside the primary and Replicate filled it with the
// caller's bytes, which reads then returned).
static void
test_own_fid_refused(void **state)
{
	ns_fix   *fx   = ropen(state);
	uint8_t  *blob = make_body(6000, 14);
	store_id  id;
	store_fid later;
	char      why[BB_WHY_LEN];

	insert_ok(fx->ns, blob, 6000, &id);
	expect_refused(fx, &id.fid, "not its own peer");
	store_fid_make(&later, 1900000000u, 77, MACHINE); // not held here
	expect_refused(fx, &later, "not its own peer");
	check_read(fx->ns, &id, blob, 6000);
	assert_int_equal(file_size(fx, &id.fid), 6000);
	// A peer's fid is still fine.
	later = peer_fid(30);
	assert_int_equal(
	    store_ns_replica_check(fx->ns, &later, why, sizeof(why)), BB_OK);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &later), BB_OK);
	free(blob);
}

// A primary <fid> in the map that does not name this node (a file found
// at start-up) gets no replica beside it either.
static void
test_foreign_primary_refused(void **state)
{
	ns_fix   *fx  = *state;
	store_fid fid = peer_fid(31);
	uint8_t  *all = make_body(700, 31);
	store_id  id  = { .fid = fid, .start = 0, .length = 700 };
	char      name[STORE_FID_STRLEN + 1];
	char      path[256];
	int       fd;

	assert_int_equal(mkdir(fx->dir, 0755), 0);
	(void) snprintf(path, sizeof(path), "%s/%s", fx->dir,
	                store_fid_format(&fid, name));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, all, 700), 700);
	(void) close(fd);
	(void) ropen(state);
	expect_refused(fx, &fid, "holds the primary");
	check_read(fx->ns, &id, all, 700);
	free(all);
}

// A node that is its own peer keeps a replica of its own primary when
// that primary chose it: the insert replicates into r-<fid> through the
// replica calls, and reads still serve the primary.
static void
test_own_replica(void **state)
{
	ns_fix   *fx   = self_open(state, 1);
	uint8_t  *blob = make_body(6000, 14);
	uint8_t  *more = make_body(500, 15);
	uint8_t   both[6500];
	store_id  id;
	store_id  id2;
	store_fid f;
	infos     in;

	insert_ok(fx->ns, blob, 6000, &id);
	f = id.fid;
	assert_int_equal(file_size(fx, &f), 6000);
	rcheck(fx, &f, blob, 6000);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, &f), BB_OK);
	// Only the primary's bytes: a caller that passes for this node
	// can neither extend the replica nor rewrite it.
	assert_int_equal(repl(fx->ns, &f, 6000, more, 500, NULL), BB_EACCES);
	assert_int_equal(repl(fx->ns, &f, 0, more, 500, NULL), BB_EACCES);
	repl_ok(fx->ns, &f, 0, blob, 6000); // a resend of what it holds
	rcheck(fx, &f, blob, 6000);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 2); // the primary and its own replica
	assert_int_equal(replica_info(&in, &f)->size, 6000);
	check_read(fx->ns, &id, blob, 6000);

	insert_ok(fx->ns, more, 500, &id2);
	assert_true(store_fid_equal(&id2.fid, &f));
	assert_int_equal(id2.start, 6000);
	(void) memcpy(both, blob, 6000);
	(void) memcpy(both + 6000, more, 500);
	rcheck(fx, &f, both, 6500);
	assert_int_equal(file_size(fx, &f), 6500);
	assert_int_equal(store_ns_replica_delete(fx->ns, &f), BB_OK);
	assert_int_equal(rsize(fx, &f), -1);
	check_read(fx->ns, &id, blob, 6000);
	check_read(fx->ns, &id2, more, 500);
	free(blob);
	free(more);
}

// Its own peer, but the primary did not choose it (no replicas): no
// r-<fid> beside that primary.  A fid of its own machine that it does not
// hold (a primary being set up) is allowed.
static void
test_own_peer_unchosen(void **state)
{
	ns_fix   *fx   = self_open(state, 0);
	uint8_t  *blob = make_body(3000, 16);
	store_id  id;
	store_fid next;
	char      why[BB_WHY_LEN];

	insert_ok(fx->ns, blob, 3000, &id);
	expect_refused(fx, &id.fid, "holds the primary");
	check_read(fx->ns, &id, blob, 3000);
	store_fid_make(&next, 1900000000u, 78, MACHINE);
	assert_int_equal(
	    store_ns_replica_check(fx->ns, &next, why, sizeof(why)), BB_OK);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &next), BB_OK);
	// ... but no bytes reach it while there is no primary to match.
	assert_int_equal(repl(fx->ns, &next, 0, blob, 100, NULL), BB_EACCES);
	assert_int_equal(rsize(fx, &next), 0);
	free(blob);
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
		T(test_own_fid_refused),
		T(test_foreign_primary_refused),
		T(test_own_replica),
		T(test_own_peer_unchosen),
		T(test_recovered_replica),
		T(test_parallel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
