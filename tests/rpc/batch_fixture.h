// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/batch_fixture.h -- what the tests of coalesced reads share:
// the outcomes of NREADS reads started with rpc__bread_start (a tally
// that bread_done fills and tally_wait waits on) and the bytes every
// test blob holds (pattern).  Define _XOPEN_SOURCE 700 first (nftw).
#ifndef TESTS_RPC_BATCH_FIXTURE_H
#define TESTS_RPC_BATCH_FIXTURE_H

#include "tests/rpc/rpc_fixture.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "rpc/rpc_impl.h"

#define NREADS  80 // more than one batch can carry
#define WAIT_MS 5000

typedef Blobby__Rpc__V1__ReadRequest  read_req;
typedef Blobby__Rpc__V1__ReadResponse read_resp;

// pattern is the byte at offset off of every blob of the fake peer.
static inline uint8_t
pattern(uint64_t off)
{
	return (uint8_t) (off * 7 + off / 251 + 1);
}

// ---- the outcomes of many reads --------------------------------------

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             total;
	int             calls[NREADS];
	bb_err          rv[NREADS];
} tally;

typedef struct {
	tally *t;
	int    i;
} slot_arg;

static tally    tl;
static slot_arg args[NREADS];

static inline void
tally_init(void)
{
	pthread_condattr_t ca;
	int                i;

	memset(&tl, 0, sizeof(tl));
	(void) pthread_mutex_init(&tl.mu, NULL);
	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&tl.cv, &ca);
	(void) pthread_condattr_destroy(&ca);
	for (i = 0; i < NREADS; i++) {
		args[i].t = &tl;
		args[i].i = i;
	}
}

static inline void
tally_fini(void)
{
	(void) pthread_cond_destroy(&tl.cv);
	(void) pthread_mutex_destroy(&tl.mu);
}

static inline void
bread_done(void *arg, bb_err rv)
{
	slot_arg *a = arg;

	(void) pthread_mutex_lock(&a->t->mu);
	a->t->calls[a->i]++;
	a->t->rv[a->i] = rv;
	a->t->total++;
	(void) pthread_cond_broadcast(&a->t->cv);
	(void) pthread_mutex_unlock(&a->t->mu);
}

// tally_wait waits up to ms for at least n ends in all and returns how
// many came.
static inline int
tally_wait(int n, int64_t ms)
{
	struct timespec ts =
	    bb_clock_ts(bb_clock_mono_ns() + ms * BB_NS_PER_MS);
	int got;

	(void) pthread_mutex_lock(&tl.mu);
	while (tl.total < n &&
	       pthread_cond_timedwait(&tl.cv, &tl.mu, &ts) == 0) {
	}
	got = tl.total;
	(void) pthread_mutex_unlock(&tl.mu);
	return got;
}

#endif // TESTS_RPC_BATCH_FIXTURE_H
