// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/primary_test.c -- the primary's side of replication
// with fake peers (repl_fixture.h): every byte on every replica, a
// failed replication retried elsewhere, draining replicas, heart beats.
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sys/stat.h>

#include "tests/storage/repl/repl_fixture.h"

// Every replica holds exactly the primary's bytes, in chunks of at most
// max_chunk, whether the body was spooled in memory or to a file.
static void
test_replicates_every_byte(void **state)
{
	fixture *fx      = *state;
	size_t   sizes[] = { 1, 999, 1000, 1001, 5000, 70000, 300000 };
	uint8_t *data[7];
	store_id ids[7];
	size_t   k;
	int      p;

	fx_open(fx, 2);
	for (k = 0; k < 7; k++) {
		data[k] = malloc(sizes[k]);
		assert_non_null(data[k]);
		fill(data[k], sizes[k], (unsigned) k);
		assert_int_equal(insert(fx, data[k], sizes[k], &ids[k]),
		                 BB_OK);
	}
	for (k = 0; k < 7; k++) {
		file_bytes(fx->dir, "", &ids[k], data[k]);
		// min = max = 1 primary: the first two peers by round robin.
		for (p = 0; p < 2; p++) {
			file_bytes(fx->peers[p].dir, "r-", &ids[k], data[k]);
		}
		free(data[k]);
	}
	assert_int_equal(fx->peers[2].calls[STORE_CALL_INITIALIZE], 0);
}

// A replica that fails: the primary is truncated back and retired, and
// the insert is retried on a new primary with other replicas.
static void
test_replication_failure_retries_elsewhere(void **state)
{
	fixture *fx = *state;
	uint8_t  data[2500];
	store_id first;
	store_id id;

	fx_open(fx, 1);
	fill(data, sizeof(data), 3);
	assert_int_equal(insert(fx, data, 100, &first), BB_OK); // peer 1
	fx->peers[0].fail[STORE_CALL_REPLICATE] = 1;
	assert_int_equal(insert(fx, data, sizeof(data), &id), BB_OK);
	// The retry went to a new file whose replica is peer 2.
	assert_false(store_fid_equal(&id.fid, &first.fid));
	assert_int_equal(id.start, 0);
	file_bytes(fx->peers[1].dir, "r-", &id, data);
	// The failed file kept only what was acknowledged before.
	{
		char        path[300];
		char        fid[STORE_FID_STRLEN + 1];
		struct stat st;
		(void) snprintf(path, sizeof(path), "%s/%s", fx->dir,
		                store_fid_format(&first.fid, fid));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_size, 100);
	}
	// Both tries failing: a clean error, nothing acknowledged.
	fx->peers[1].fail[STORE_CALL_REPLICATE] = 1;
	fx->peers[2].fail[STORE_CALL_REPLICATE] = 1;
	fx->peers[0].fail[STORE_CALL_REPLICATE] = 1;
	assert_int_equal(insert(fx, data, 10, &id), BB_EREMOTE);
}

static void
test_initialize_failure_is_unavailable(void **state)
{
	fixture *fx = *state;
	store_id id;
	int      p;

	for (p = 0; p < PEERS; p++) {
		fx->peers[p].fail[STORE_CALL_INITIALIZE] = 100;
	}
	fx_open(fx, 1); // starts anyway: peers may come up later
	assert_int_equal(insert(fx, "x", 1, &id), BB_EUNAVAIL);
	for (p = 0; p < PEERS; p++) {
		fx->peers[p].fail[STORE_CALL_INITIALIZE] = 0;
	}
	assert_int_equal(insert(fx, "x", 1, &id), BB_OK);
}

// state_of returns the state of the primary file of fid.
typedef struct {
	store_fid   fid;
	const char *state;
} find_arg;

static void
find_state(const store_file_info *info, void *arg)
{
	find_arg *a = arg;

	if (info->primary && store_fid_equal(&info->fid, &a->fid)) {
		a->state = info->state;
	}
}

static const char *
state_of(fixture *fx, const store_fid *fid)
{
	find_arg a = { *fid, NULL };

	store_ns_foreach(fx->ns, find_state, &a);
	return a.state;
}

static void
test_draining_replica_retires_primary(void **state)
{
	fixture *fx = *state;
	store_id id;
	store_id id2;

	fx_open(fx, 1);
	fx->peers[0].draining = true;
	assert_int_equal(insert(fx, "abc", 3, &id), BB_OK);
	assert_string_equal(state_of(fx, &id.fid), "pending-upload");
	fx->peers[0].draining = false;
	assert_int_equal(insert(fx, "def", 3, &id2), BB_OK);
	assert_false(store_fid_equal(&id.fid, &id2.fid));
}

static void
nap10ms(void)
{
	struct timespec ts = { 0, 10000000 };

	(void) nanosleep(&ts, NULL);
}

// wait_calls waits (5 s at most) until peer p has had want calls of kind.
static bool
wait_calls(fake_peer *p, int kind, int want)
{
	int i;

	for (i = 0; i < 500 && p->calls[kind] < want; i++) {
		nap10ms();
	}
	return p->calls[kind] == want;
}

// wait_state ticks the primary at now_ns until fid's file is in state
// want, or gone for NULL (5 s at most): heart beats answer on the beat
// workers' threads.
static bool
wait_state(fixture *fx, const store_fid *fid, const char *want, int64_t now_ns)
{
	const char *got = NULL;
	int         i;

	for (i = 0; i < 500; i++) {
		store_ns_tick(fx->ns, now_ns);
		got = state_of(fx, fid);
		if (got == NULL ? want == NULL
		                : want != NULL && strcmp(got, want) == 0) {
			return true;
		}
		nap10ms();
	}
	return false;
}

static void
fx_block(fixture *fx, int peer, bool block)
{
	(void) pthread_mutex_lock(&fx->mu);
	fx->peers[peer].block = block;
	(void) pthread_cond_broadcast(&fx->cv);
	(void) pthread_mutex_unlock(&fx->mu);
}

// tick_timed ticks the primary at now_ns and returns how long it took.
static int64_t
tick_timed(fixture *fx, int64_t now_ns)
{
	int64_t t0 = bb_clock_mono_ns();

	store_ns_tick(fx->ns, now_ns);
	return bb_clock_mono_ns() - t0;
}

static void
test_heartbeats(void **state)
{
	fixture *fx = *state;
	int64_t  now;
	store_id id;

	fx_open(fx, 1);
	assert_int_equal(insert(fx, "abc", 3, &id), BB_OK);
	now = bb_clock_mono_ns();
	store_ns_tick(fx->ns, now);
	assert_int_equal(fx->peers[0].calls[STORE_CALL_HEARTBEAT], 0);
	store_ns_tick(fx->ns, now + 31 * BB_NS_PER_SEC);
	assert_true(wait_calls(&fx->peers[0], STORE_CALL_HEARTBEAT, 1));
	// A missed beat retires the primary at a next tick.
	fx->peers[0].fail[STORE_CALL_HEARTBEAT] = 1;
	store_ns_tick(fx->ns, now + 62 * BB_NS_PER_SEC);
	assert_true(wait_state(fx, &id.fid, "pending-upload",
	                       now + 63 * BB_NS_PER_SEC));
}

// Every due heart beat goes out in one tick, however many primaries are
// due (the timer once sent at most 64 per tick and namespace, so the rest
// of a large backlog of sealed primaries could orphan their replicas).
static void
test_heartbeats_beyond_64(void **state)
{
	enum { N = 100 };
	fixture *fx = *state;
	int64_t  now;
	int      beats = 0;
	int      i;

	fx_open(fx, 1);
	fx->conf.min_open_files = N; // borrowed by the namespace
	fx->conf.max_open_files = N;
	store_ns_tick(fx->ns, bb_clock_mono_ns()); // opens N - 1 more
	now = bb_clock_mono_ns();
	store_ns_tick(fx->ns, now + 31 * BB_NS_PER_SEC);
	for (i = 0; i < 500 && beats < N; i++) { // 5 s at most
		nap10ms();
		beats = 0;
		for (int p = 0; p < PEERS; p++) {
			beats += fx->peers[p].calls[STORE_CALL_HEARTBEAT];
		}
	}
	assert_int_equal(beats, N);
}

// One hung peer delays only the beats addressed to it: the tick returns
// at once, the other peers' files beat on every tick, the hung peer gets
// one beat in flight and one queued (not one per tick), and its file is
// retired only when that beat fails.
static void
test_hung_peer_delays_only_its_files(void **state)
{
	fixture  *fx = *state;
	store_fid fid[PEERS];
	int64_t   now;
	int       k;
	int       i;

	fx_open(fx, 1);
	fx->conf.min_open_files = PEERS; // one primary per peer
	fx->conf.max_open_files = PEERS;
	store_ns_tick(fx->ns, bb_clock_mono_ns());
	now = bb_clock_mono_ns();
	store_ns_tick(fx->ns, now + 31 * BB_NS_PER_SEC);
	for (i = 0; i < PEERS; i++) {
		assert_true(
		    wait_calls(&fx->peers[i], STORE_CALL_HEARTBEAT, 1));
		(void) pthread_mutex_lock(&fx->mu);
		fid[i] = fx->peers[i].hb_fid;
		(void) pthread_mutex_unlock(&fx->mu);
	}
	fx_block(fx, 0, true);
	for (k = 2; k <= 4; k++) {
		// The fake hangs 5 s: the tick must not wait for it.
		assert_true(tick_timed(fx, now + k * 31 * BB_NS_PER_SEC) <
		            BB_NS_PER_SEC);
		assert_true(
		    wait_calls(&fx->peers[1], STORE_CALL_HEARTBEAT, k));
		assert_true(
		    wait_calls(&fx->peers[2], STORE_CALL_HEARTBEAT, k));
		// The hung peer's worker may take its queued beat a moment
		// later (one in flight, one taken): wait for it, then never
		// more than that.
		assert_true(
		    wait_calls(&fx->peers[0], STORE_CALL_HEARTBEAT, 2));
		assert_int_equal(fx->peers[0].calls[STORE_CALL_HEARTBEAT], 2);
		assert_string_equal(state_of(fx, &fid[0]), "waiting");
	}
	// The hung call fails (as at its deadline): only its file retires
	// (an empty one is dropped).
	fx_block(fx, 0, false);
	assert_true(wait_state(fx, &fid[0], NULL, now + 125 * BB_NS_PER_SEC));
	assert_string_equal(state_of(fx, &fid[1]), "waiting");
	assert_string_equal(state_of(fx, &fid[2]), "waiting");
}

// Closing a namespace while a beat hangs waits for that call (bounded by
// its deadline, here the fake's 1 s) and drops the queued beats with their
// file references (ASan finds a leak or a use after free).
static void
test_close_while_beat_hangs(void **state)
{
	fixture *fx = *state;
	int64_t  now;
	int64_t  t0;

	fx->block_ns = BB_NS_PER_SEC;
	fx_open(fx, 1);
	fx_block(fx, 0, true);
	now = bb_clock_mono_ns();
	assert_true(tick_timed(fx, now + 31 * BB_NS_PER_SEC) <
	            BB_NS_PER_SEC / 2);
	assert_true(wait_calls(&fx->peers[0], STORE_CALL_HEARTBEAT, 1));
	// A second beat of the same file waits in the queue.
	assert_true(tick_timed(fx, now + 62 * BB_NS_PER_SEC) <
	            BB_NS_PER_SEC / 2);
	t0 = bb_clock_mono_ns();
	store_ns_close(fx->ns);
	fx->ns = NULL;
	assert_true(bb_clock_mono_ns() - t0 < 4 * BB_NS_PER_SEC);
	assert_int_equal(fx->peers[0].calls[STORE_CALL_HEARTBEAT], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replicates_every_byte,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_replication_failure_retries_elsewhere, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_initialize_failure_is_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_draining_replica_retires_primary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeats, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_heartbeats_beyond_64,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hung_peer_delays_only_its_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_while_beat_hangs,
		                                setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
