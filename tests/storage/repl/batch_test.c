// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/batch_test.c -- group commit (storage/commit.c) with
// fake peers (repl_fixture.h): inserts that arrive while a batch
// replicates share the next batch's round trip; every byte is on every
// replica; a failed batch is retried elsewhere as a whole and none of its
// bytes stay in the failed primary; with fsync, one fdatasync per batch
// on each node, and a failed fdatasync fails the batch.
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include "tests/storage/repl/repl_fixture.h"
#include "storage/fileio.h"

#define BATCH 24 // inserts that arrive while the first replicates
#define LEN   1000

// ---- inserts in flight ----------------------------------------------

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             done;
	bb_err          rv[BATCH + 1];
	store_id        id[BATCH + 1];
	store_spool    *sp[BATCH + 1];
	uint8_t         data[BATCH + 1][LEN];
} flight;

typedef struct {
	flight *fl;
	int     i;
} slot_arg;

static slot_arg args[BATCH + 1];

static void
flight_done(void *arg, bb_err rv, const store_id *id)
{
	slot_arg *a = arg;

	(void) pthread_mutex_lock(&a->fl->mu);
	a->fl->rv[a->i] = rv;
	if (rv == BB_OK) {
		a->fl->id[a->i] = *id;
	}
	a->fl->done++;
	(void) pthread_cond_signal(&a->fl->cv);
	(void) pthread_mutex_unlock(&a->fl->mu);
}

// flight_start starts insert i of fl (its bytes from seed i).
static void
flight_start(fixture *fx, flight *fl, int i)
{
	fill(fl->data[i], LEN, (unsigned) i + 1);
	assert_int_equal(store_ns_spool(fx->ns, LEN, &fl->sp[i]), BB_OK);
	assert_int_equal(store_spool_write(fl->sp[i], fl->data[i], LEN),
	                 BB_OK);
	args[i].fl = fl;
	args[i].i  = i;
	store_ns_insert_start(fx->ns, fl->sp[i], flight_done, &args[i]);
}

// flight_run inserts a plug (insert 0), and while its replication takes
// fx->replicate_us, BATCH more; waits (at most 30 s) for all of them.
static flight *
flight_run(fixture *fx)
{
	flight *fl = calloc(1, sizeof(*fl));
	int64_t end;
	int     i;

	assert_non_null(fl);
	(void) pthread_mutex_init(&fl->mu, NULL);
	(void) pthread_cond_init(&fl->cv, NULL);
	flight_start(fx, fl, 0);
	for (i = 1; i <= BATCH; i++) {
		flight_start(fx, fl, i);
	}
	end = bb_clock_mono_ns() + 30 * BB_NS_PER_SEC;
	(void) pthread_mutex_lock(&fl->mu);
	while (fl->done < BATCH + 1) {
		assert_true(bb_clock_mono_ns() < end);
		(void) pthread_mutex_unlock(&fl->mu);
		bb_clock_sleep_ns(BB_NS_PER_MS);
		(void) pthread_mutex_lock(&fl->mu);
	}
	(void) pthread_mutex_unlock(&fl->mu);
	for (i = 0; i <= BATCH; i++) {
		store_spool_free(fl->sp[i]);
	}
	return fl;
}

static void
flight_free(flight *fl)
{
	(void) pthread_cond_destroy(&fl->cv);
	(void) pthread_mutex_destroy(&fl->mu);
	free(fl);
}

static int
replicates(const fixture *fx)
{
	int n = 0;
	int p;

	for (p = 0; p < PEERS; p++) {
		n += fx->peers[p].calls[STORE_CALL_REPLICATE];
	}
	return n;
}

// file_size returns the size of dir/<prefix><fid>.
static off_t
file_size(const char *dir, const char *prefix, const store_fid *fid)
{
	char        path[300];
	char        name[STORE_FID_STRLEN + 1];
	struct stat st;

	(void) snprintf(path, sizeof(path), "%s/%s%s", dir, prefix,
	                store_fid_format(fid, name));
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

// primary_bytes sums the sizes of the primary files (not r-*) in dir.
static off_t
primary_bytes(const char *dir)
{
	char           path[400];
	struct dirent *e;
	struct stat    st;
	DIR           *d = opendir(dir);
	off_t          n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "r-", 2) == 0) {
			continue;
		}
		(void) snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			n += st.st_size;
		}
	}
	(void) closedir(d);
	return n;
}

// ---- tests ----------------------------------------------------------

static int
setup_batch(void **state)
{
	fixture *fx;

	(void) setup(state);
	fx                    = *state;
	fx->remotes.max_chunk = 512 * 1024; // the RPC layer's
	return 0;
}

// The inserts that arrive while the plug replicates go out together: a
// handful of Replicate calls for BATCH + 1 inserts, every byte on the
// primary and its replica, each id its own range.
static void
test_batches_share_round_trips(void **state)
{
	fixture *fx = *state;
	flight  *fl;
	int      i;
	int      j;

	fx_open(fx, 1);
	atomic_store(&fx->replicate_us, 50000);
	fl = flight_run(fx);
	for (i = 0; i <= BATCH; i++) {
		assert_int_equal(fl->rv[i], BB_OK);
		assert_int_equal(fl->id[i].length, LEN);
		file_bytes(fx->dir, "", &fl->id[i], fl->data[i]);
		file_bytes(fx->peers[0].dir, "r-", &fl->id[i], fl->data[i]);
		for (j = 0; j < i; j++) {
			assert_true(
			    !store_fid_equal(&fl->id[i].fid, &fl->id[j].fid) ||
			    fl->id[i].start != fl->id[j].start);
		}
	}
	print_message("%d inserts took %d Replicate calls\n", BATCH + 1,
	              replicates(fx));
	// The plug alone, then the rest in one or two batches (a batch may
	// start before the last insert is queued).
	assert_true(replicates(fx) <= 4);
	flight_free(fl);
}

// A batch whose replication fails is truncated back, its primary
// retired, and every insert of it retried together on a new primary: all
// acknowledged, none in the failed file.
static void
test_failed_batch_retried_whole(void **state)
{
	fixture *fx = *state;
	store_id first;
	uint8_t  b[LEN];
	flight  *fl;
	int      i;

	fx_open(fx, 1);
	fill(b, LEN, 99);
	assert_int_equal(insert(fx, b, LEN, &first), BB_OK); // peer 1
	fx->peers[0].fail[STORE_CALL_REPLICATE] = 1;
	fl                                      = flight_run(fx);
	for (i = 0; i <= BATCH; i++) {
		assert_int_equal(fl->rv[i], BB_OK);
		assert_false(store_fid_equal(&fl->id[i].fid, &first.fid));
		file_bytes(fx->dir, "", &fl->id[i], fl->data[i]);
	}
	// The failed file holds what was acknowledged before, no more.
	assert_int_equal(file_size(fx->dir, "", &first.fid), LEN);
	flight_free(fl);
}

// Every replica fails every call: the batch fails twice (its try and its
// retry) and each insert answers BB_EREMOTE; nothing stays in the files.
static void
test_failed_retry_fails_all(void **state)
{
	fixture *fx = *state;
	flight  *fl;
	int      i;
	int      p;

	fx_open(fx, 1);
	for (p = 0; p < PEERS; p++) {
		fx->peers[p].fail[STORE_CALL_REPLICATE] = 1000;
	}
	fl = flight_run(fx);
	for (i = 0; i <= BATCH; i++) {
		assert_int_equal(fl->rv[i], BB_EREMOTE);
	}
	// None of their bytes is readable: every primary was truncated
	// back to nothing.
	assert_int_equal(primary_bytes(fx->dir), 0);
	flight_free(fl);
}

// An idle primary whose replica is on a peer that is not thought to
// answer is retired when an insert would take it: the insert goes to a
// new primary at once, without a failed call first.
static void
test_silent_replica_retired(void **state)
{
	fixture *fx = *state;
	store_id first;
	store_id id;
	uint8_t  b[LEN];
	int      calls;

	fx_open(fx, 1);
	fill(b, LEN, 7);
	assert_int_equal(insert(fx, b, LEN, &first), BB_OK); // peer 1
	atomic_store(&fx->peers[0].silent, true);
	calls = fx->peers[0].calls[STORE_CALL_REPLICATE];
	assert_int_equal(insert(fx, b, LEN, &id), BB_OK);
	assert_false(store_fid_equal(&id.fid, &first.fid));
	assert_int_equal(fx->peers[0].calls[STORE_CALL_REPLICATE], calls);
	file_bytes(fx->peers[1].dir, "r-", &id, b);
}

// fdatasync counted, and failing on demand, through the fileio table.
static store_io_ops sync_ops;
static atomic_int   sync_calls;
static atomic_bool  sync_fail;

static int
count_sync(int fd)
{
	atomic_fetch_add(&sync_calls, 1);
	if (atomic_load(&sync_fail)) {
		errno = EIO;
		return -1;
	}
	return store_io_real()->fdatasync(fd);
}

static void
sync_arm(void)
{
	sync_ops           = *store_io_real();
	sync_ops.fdatasync = count_sync;
	atomic_store(&sync_calls, 0);
	atomic_store(&sync_fail, false);
	store_io_set_ops(&sync_ops);
}

static int
teardown_sync(void **state)
{
	int rv = teardown(state);

	store_io_set_ops(NULL);
	return rv;
}

// With fsync, a batch costs one fdatasync on the primary and one on its
// replica (asked for with the last Replicate only), not one per insert;
// a new file costs one more for its directory entry.
static void
test_fsync_once_per_batch(void **state)
{
	fixture *fx = *state;
	flight  *fl;
	int      i;
	int      batches;

	fx->fsync = true;
	fx_open(fx, 1);
	sync_arm();
	atomic_store(&fx->replicate_us, 50000);
	fl = flight_run(fx);
	for (i = 0; i <= BATCH; i++) {
		assert_int_equal(fl->rv[i], BB_OK);
	}
	batches = replicates(fx); // each batch fits one call here
	print_message("%d inserts: %d batches, %d fdatasync calls\n",
	              BATCH + 1, batches, atomic_load(&sync_calls));
	assert_int_equal(fx->peers[0].syncs, batches);
	// And once per new file, its directory entry (a primary and a
	// replica file).
	assert_int_equal(atomic_load(&sync_calls), 2 * batches + 2);
	assert_true(batches <= 4);
	flight_free(fl);
}

// A failed fdatasync fails the batch (the kernel's pages are in doubt)
// and retires the primary; the next insert goes to a new one.
static void
test_fsync_failure_fails_batch(void **state)
{
	fixture *fx = *state;
	store_id first;
	store_id id;
	uint8_t  b[LEN];

	fx->fsync = true;
	fx_open(fx, 0); // no replicas: group commit for the fsync alone
	sync_arm();
	fill(b, LEN, 5);
	assert_int_equal(insert(fx, b, LEN, &first), BB_OK);
	assert_int_equal(atomic_load(&sync_calls), 2); // data, directory
	atomic_store(&sync_fail, true);
	assert_int_equal(insert(fx, b, LEN, &id), BB_EIO);
	assert_int_equal(file_size(fx->dir, "", &first.fid), LEN);
	atomic_store(&sync_fail, false);
	assert_int_equal(insert(fx, b, LEN, &id), BB_OK);
	assert_false(store_fid_equal(&id.fid, &first.fid));
	file_bytes(fx->dir, "", &id, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_share_round_trips,
		                                setup_batch, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_batch_retried_whole, setup_batch, teardown),
		cmocka_unit_test_setup_teardown(test_failed_retry_fails_all,
		                                setup_batch, teardown),
		cmocka_unit_test_setup_teardown(test_silent_replica_retired,
		                                setup_batch, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_once_per_batch,
		                                setup_batch, teardown_sync),
		cmocka_unit_test_setup_teardown(test_fsync_failure_fails_batch,
		                                setup_batch, teardown_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
