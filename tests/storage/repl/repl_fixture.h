// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/repl_fixture.h -- what the replication tests share:
// a primary namespace whose peers are fake (each a real namespace in its
// own directory, driven through the real replica functions, so only the
// transport is faked and faults are injected there), inserts, and checks
// of the bytes in the files.  Define _XOPEN_SOURCE 700 first (nftw).
#ifndef TESTS_STORAGE_REPL_REPL_FIXTURE_H
#define TESTS_STORAGE_REPL_REPL_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	atomic_int  syncs;  // Replicate calls that asked for an fdatasync
	atomic_bool silent; // store_remotes.answers says no
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
	atomic_int      replicate_us; // each Replicate takes this long
	bool            fsync;        // of the primary's namespace
} fixture;

// fake_hang waits while p is blocked (fx->block_ns at most), as a hung
// peer does until the call's deadline.  Under fx->mu.
static inline void
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

static inline bb_err
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

static inline void
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
			assert_true(c->len <= fx->remotes.max_chunk);
			if (atomic_load(&fx->replicate_us) > 0) {
				bb_clock_sleep_ns(
				    atomic_load(&fx->replicate_us) *
				    (int64_t) 1000);
			}
			if (c->sync) {
				p->syncs++;
			}
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

static inline bool
fake_answers(void *ctx, uint32_t id)
{
	fixture *fx = ctx;

	return id >= 1 && id <= PEERS &&
	    !atomic_load(&fx->peers[id - 1].silent);
}

static inline void
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

static inline void
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
	fx->conf.fsync = fx->fsync;
	assert_int_equal(
	    store_ns_open(&fx->conf, &env, &fx->ns, why, sizeof(why)), BB_OK);
}

static inline int
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
	fx->remotes.answers   = fake_answers;
	fx->block_ns          = 5 * BB_NS_PER_SEC;
	(void) pthread_mutex_init(&fx->mu, NULL);
	(void) pthread_cond_init(&fx->cv, NULL);
	*state = fx;
	return 0;
}

static inline int
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

static inline bb_err
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
static inline void
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

static inline void
fill(uint8_t *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		b[i] = (uint8_t) (seed * 31 + i * 7 + (i >> 8));
	}
}

#endif // TESTS_STORAGE_REPL_REPL_FIXTURE_H
