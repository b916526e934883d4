// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/primary_test.c -- the primary's side of replication
// with fake peers: each fake peer is a real namespace in its own
// directory, driven through the real replica functions, so only the
// transport is faked (and faults are injected there).
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/tmpdir.h"
#include "common/clock.h"
#include "storage/remote.h"
#include "storage/storage.h"
#include "storage/spool.h"

#define PEERS 3
#define CHUNK 1000 // small, so that modest bodies take several calls

typedef struct {
	char       dir[160];
	bb_ns_conf conf;
	store_ns  *ns;
	// Faults: fail the next n calls of a kind; report draining; hang
	// heart beats (under fixture.mu) until released or block_ns passed,
	// then fail them.  Heart beats come from the beat workers' threads.
	atomic_int  fail[4];
	atomic_bool draining;
	atomic_int  calls[4];
	bool        block;
	store_fid   hb_fid; // under fixture.mu: of the last heart beat
} fake_peer;

typedef struct {
	char          tmp[64];
	char          dir[128];
	bb_ns_conf    conf;
	store_ns     *ns;
	fake_peer     peers[PEERS];
	unsigned      next; // round robin
	store_remotes remotes;

	pthread_mutex_t mu; // the peers' block and hb_fid
	pthread_cond_t  cv; // a peer released
	int64_t         block_ns;
} fixture;

// fake_hang waits while p is blocked (fx->block_ns at most), as a hung
// peer does until the call's deadline.  Under fx->mu.
static void
fake_hang(fixture *fx, fake_peer *p)
{
	struct timespec ts;
	int64_t         end;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	end = (int64_t) ts.tv_sec * BB_NS_PER_SEC + ts.tv_nsec + fx->block_ns;
	ts.tv_sec  = (time_t) (end / BB_NS_PER_SEC);
	ts.tv_nsec = (long) (end % BB_NS_PER_SEC);
	while (p->block) {
		if (pthread_cond_timedwait(&fx->cv, &fx->mu, &ts) != 0) {
			break;
		}
	}
}

static bb_err
fake_assign(void *ctx, uint32_t n, uint32_t *ids)
{
	fixture *fx = ctx;
	uint32_t i;

	if (n > PEERS) {
		return BB_EUNAVAIL;
	}
	for (i = 0; i < n; i++) {
		ids[i] = (fx->next++ % PEERS) + 1; // machine ids 1..PEERS
	}
	return BB_OK;
}

static void
fake_call(void *ctx, const uint32_t *ids, size_t n, const store_call *c,
          store_call_result *res)
{
	fixture   *fx = ctx;
	fake_peer *p;
	uint64_t   off;
	size_t     i;

	for (i = 0; i < n; i++) {
		p = &fx->peers[ids[i] - 1];
		p->calls[c->kind]++;
		res[i].shutting_down = p->draining;
		if (c->kind == STORE_CALL_HEARTBEAT) {
			bool hung;

			(void) pthread_mutex_lock(&fx->mu);
			p->hb_fid = c->fid;
			hung      = p->block;
			fake_hang(fx, p);
			(void) pthread_mutex_unlock(&fx->mu);
			if (hung) {
				res[i].err = BB_EUNAVAIL;
				(void) snprintf(res[i].msg, sizeof(res[i].msg),
				                "timed out");
				continue;
			}
		}
		if (p->fail[c->kind] > 0) {
			p->fail[c->kind]--;
			res[i].err = BB_EUNAVAIL;
			(void) snprintf(res[i].msg, sizeof(res[i].msg),
			                "fault");
			continue;
		}
		switch (c->kind) {
		case STORE_CALL_INITIALIZE:
			res[i].err =
			    store_ns_replica_initialize(p->ns, &c->fid);
			break;
		case STORE_CALL_REPLICATE:
			assert_true(c->len <= CHUNK);
			res[i].err = store_ns_replica_replicate(
			    p->ns, &c->fid, c->start, c->data, c->len, c->hash,
			    c->sync, &off);
			break;
		case STORE_CALL_HEARTBEAT:
			res[i].err =
			    store_ns_replica_heartbeat(p->ns, &c->fid);
			break;
		case STORE_CALL_DELETE:
			res[i].err = store_ns_replica_delete(p->ns, &c->fid);
			break;
		}
	}
}

static void
conf_init(bb_ns_conf *c, char *dir, uint32_t replicas)
{
	memset(c, 0, sizeof(*c));
	c->name                   = "test";
	c->directory              = dir;
	c->min_open_files         = 1;
	c->max_open_files         = 1;
	c->replicas               = replicas;
	c->upload_file_size       = UINT64_C(1) << 30;
	c->upload_older_ns        = 3600 * BB_NS_PER_SEC;
	c->max_blob_size          = 8u << 20;
	c->heart_beat_interval_ns = 30 * BB_NS_PER_SEC;
	c->orphan_timeout_ns      = 60 * BB_NS_PER_SEC;
}

static void
fx_open(fixture *fx, uint32_t replicas)
{
	store_ns_env env = { .machine_id = 100, .remotes = &fx->remotes };
	char         why[BB_WHY_LEN];
	int          i;

	for (i = 0; i < PEERS; i++) {
		fake_peer   *p    = &fx->peers[i];
		store_ns_env penv = { .machine_id = (uint32_t) i + 1 };
		(void) snprintf(p->dir, sizeof(p->dir), "%s/peer%d", fx->tmp,
		                i + 1);
		conf_init(&p->conf, p->dir, 0);
		assert_int_equal(
		    store_ns_open(&p->conf, &penv, &p->ns, why, sizeof(why)),
		    BB_OK);
	}
	conf_init(&fx->conf, fx->dir, replicas);
	assert_int_equal(
	    store_ns_open(&fx->conf, &env, &fx->ns, why, sizeof(why)), BB_OK);
}

static int
setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_prim.XXXXXX");
	assert_non_null(mkdtemp(fx->tmp));
	(void) snprintf(fx->dir, sizeof(fx->dir), "%s/primary", fx->tmp);
	fx->remotes.ctx       = fx;
	fx->remotes.max_chunk = CHUNK;
	fx->remotes.assign    = fake_assign;
	fx->remotes.call      = fake_call;
	fx->block_ns          = 5 * BB_NS_PER_SEC;
	(void) pthread_mutex_init(&fx->mu, NULL);
	(void) pthread_cond_init(&fx->cv, NULL);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fixture *fx = *state;
	int      i;

	store_ns_close(fx->ns);
	for (i = 0; i < PEERS; i++) {
		store_ns_close(fx->peers[i].ns);
	}
	bbt_rmtree(fx->tmp);
	(void) pthread_cond_destroy(&fx->cv);
	(void) pthread_mutex_destroy(&fx->mu);
	free(fx);
	return 0;
}

static bb_err
insert(fixture *fx, const void *data, size_t len, store_id *id)
{
	store_spool *sp = NULL;
	bb_err       rv;

	assert_int_equal(store_ns_spool(fx->ns, len, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, data, len), BB_OK);
	rv = store_ns_insert(fx->ns, sp, id);
	store_spool_free(sp);
	return rv;
}

// file_bytes checks that file name under dir holds data at off.
static void
file_bytes(const char *dir, const char *prefix, const store_id *id,
           const void *data)
{
	char  path[300];
	char  fid[STORE_FID_STRLEN + 1];
	char *got = malloc(id->length + 1);
	int   fd;

	assert_non_null(got);
	(void) snprintf(path, sizeof(path), "%s/%s%s", dir, prefix,
	                store_fid_format(&id->fid, fid));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, id->length, (off_t) id->start),
	                 id->length);
	assert_memory_equal(got, data, id->length);
	(void) close(fd);
	free(got);
}

static void
fill(uint8_t *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		b[i] = (uint8_t) (seed * 31 + i * 7 + (i >> 8));
	}
}

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
