// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/metrics.c -- a namespace's counters and histograms as plain
// atomics.  Relaxed ordering is enough: each value is a count on its own,
// and nothing is decided by comparing two of them.
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "storage/metrics.h"

typedef struct {
	_Atomic uint64_t buckets[STORE_HIST_NBOUNDS + 1]; // not cumulative
	_Atomic uint64_t sum_ns;
} metrics_hist;

struct store_metrics {
	_Atomic uint64_t failures[STORE_OP_N_];
	_Atomic uint64_t successes[STORE_OP_N_];
	_Atomic uint64_t total[STORE_OP_N_];
	_Atomic uint64_t counters[STORE_CTR_N_];
	_Atomic int64_t  queued_inserts;
	metrics_hist     hists[STORE_HIST_N_];
};

// Prometheus' usual latency buckets, widened to 100 us at the bottom (a
// local insert of a small blob) and 10 s at the top (the insert wait).
static const int64_t bounds_ns[STORE_HIST_NBOUNDS] = {
	100000,     250000,     500000,     1000000,     2500000,   5000000,
	10000000,   25000000,   50000000,   100000000,   250000000, 500000000,
	1000000000, 2500000000, 5000000000, 10000000000,
};

static const char *const bounds_le[STORE_HIST_NBOUNDS] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
	"0.01",   "0.025",   "0.05",   "0.1",   "0.25",   "0.5",
	"1",      "2.5",     "5",      "10",
};

#define NAME_OP(id, name, what) name,
#define WHAT_OP(id, name, what) what,
#define NAME_2(id, name)        name,

static const char *const op_names[STORE_OP_N_]     = { STORE_METRICS_OPS(
	NAME_OP) };
static const char *const op_whats[STORE_OP_N_]     = { STORE_METRICS_OPS(
	WHAT_OP) };
static const char *const ctr_names[STORE_CTR_N_]   = { STORE_METRICS_COUNTERS(
      NAME_2) };
static const char *const hist_names[STORE_HIST_N_] = { STORE_METRICS_HISTS(
    NAME_2) };

bb_err
store_metrics_new(store_metrics **mp)
{
	store_metrics *m;

	// calloc's zero bytes are valid zero atomics on every platform we
	// build for; atomic_init of each would say the same at length.
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return BB_ENOMEM;
	}
	*mp = m;
	return BB_OK;
}

void
store_metrics_free(store_metrics *m)
{
	free(m);
}

void
store_metrics_op(store_metrics *m, store_op op, bool ok)
{
	if (m == NULL || (unsigned) op >= STORE_OP_N_) {
		return;
	}
	atomic_fetch_add_explicit(ok ? &m->successes[op] : &m->failures[op], 1,
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&m->total[op], 1, memory_order_relaxed);
}

void
store_metrics_add(store_metrics *m, store_ctr c, uint64_t n)
{
	if (m == NULL || (unsigned) c >= STORE_CTR_N_) {
		return;
	}
	atomic_fetch_add_explicit(&m->counters[c], n, memory_order_relaxed);
}

void
store_metrics_queued(store_metrics *m, int delta)
{
	if (m == NULL) {
		return;
	}
	atomic_fetch_add_explicit(&m->queued_inserts, delta,
	                          memory_order_relaxed);
}

void
store_metrics_observe(store_metrics *m, store_hist h, int64_t dur_ns)
{
	metrics_hist *hs;
	int           i = 0;

	if (m == NULL || (unsigned) h >= STORE_HIST_N_) {
		return;
	}
	if (dur_ns < 0) {
		dur_ns = 0;
	}
	hs = &m->hists[h];
	// le is inclusive: a duration equal to a bound belongs to it.
	while (i < STORE_HIST_NBOUNDS && dur_ns > bounds_ns[i]) {
		i++;
	}
	atomic_fetch_add_explicit(&hs->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hs->sum_ns, (uint64_t) dur_ns,
	                          memory_order_relaxed);
}

void
store_metrics_snapshot(const store_metrics *m, store_metrics_snap *out)
{
	const metrics_hist *hs;
	store_hist_snap    *o;
	uint64_t            run;
	int                 i;
	int                 h;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < STORE_OP_N_; i++) {
		out->failures[i]  = atomic_load_explicit(&m->failures[i],
		                                         memory_order_relaxed);
		out->successes[i] = atomic_load_explicit(&m->successes[i],
		                                         memory_order_relaxed);
		out->total[i] =
		    atomic_load_explicit(&m->total[i], memory_order_relaxed);
	}
	for (i = 0; i < STORE_CTR_N_; i++) {
		out->counters[i] = atomic_load_explicit(&m->counters[i],
		                                        memory_order_relaxed);
	}
	out->queued_inserts =
	    atomic_load_explicit(&m->queued_inserts, memory_order_relaxed);
	for (h = 0; h < STORE_HIST_N_; h++) {
		hs  = &m->hists[h];
		o   = &out->hists[h];
		run = 0;
		// The count is the sum of the buckets read here, so it always
		// equals the +Inf bucket, as Prometheus requires.
		for (i = 0; i <= STORE_HIST_NBOUNDS; i++) {
			run += atomic_load_explicit(&hs->buckets[i],
			                            memory_order_relaxed);
			o->buckets[i] = run;
		}
		o->count = run;
		o->sum_ns =
		    atomic_load_explicit(&hs->sum_ns, memory_order_relaxed);
	}
}

int64_t
store_metrics_bound_ns(int i)
{
	return i >= 0 && i < STORE_HIST_NBOUNDS ? bounds_ns[i] : INT64_MAX;
}

const char *
store_metrics_bound_le(int i)
{
	return i >= 0 && i < STORE_HIST_NBOUNDS ? bounds_le[i] : "+Inf";
}

const char *
store_metrics_op_name(store_op op)
{
	return (unsigned) op < STORE_OP_N_ ? op_names[op] : NULL;
}

const char *
store_metrics_op_what(store_op op)
{
	return (unsigned) op < STORE_OP_N_ ? op_whats[op] : NULL;
}

const char *
store_metrics_ctr_name(store_ctr c)
{
	return (unsigned) c < STORE_CTR_N_ ? ctr_names[c] : NULL;
}

const char *
store_metrics_hist_name(store_hist h)
{
	return (unsigned) h < STORE_HIST_N_ ? hist_names[h] : NULL;
}
