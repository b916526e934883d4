// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/stats.c -- what /_metrics shows of each peer: calls by method,
// those that ended without an answer, and a latency histogram, counted
// where a call ends (call.c) into the peer's own atomics.  Relaxed
// ordering is enough: each value is a count on its own.  The bounds are
// storage's (storage/metrics.h), so every histogram of the page has the
// same buckets.  Rendering is the gateway's.
#include <stdatomic.h>
#include <string.h>

#include "common/clock.h"
#include "rpc/rpc_impl.h"

const char *
rpc_method_name(rpc_method m)
{
	const ProtobufCServiceDescriptor *sd;

	sd = &blobby__rpc__v1__blobby__descriptor;
	if ((unsigned) m >= sd->n_methods) {
		return "unknown";
	}
	return sd->methods[m].name;
}

void
rpc__stats_note(rpc_peer *p, rpc_method m, bb_err rv, int64_t start_ns)
{
	int64_t dur;
	int     i = 0;

	if ((unsigned) m >= RPC_M_COUNT) {
		return;
	}
	atomic_fetch_add_explicit(&p->st_calls[m], 1, memory_order_relaxed);
	if (rv != BB_OK) {
		atomic_fetch_add_explicit(&p->st_errors[m], 1,
		                          memory_order_relaxed);
	}
	if (start_ns == 0) {
		return;
	}
	dur = bb_clock_mono_ns() - start_ns;
	if (dur < 0) {
		dur = 0;
	}
	// le is inclusive: a duration equal to a bound belongs to it.
	while (i < STORE_HIST_NBOUNDS && dur > store_metrics_bound_ns(i)) {
		i++;
	}
	atomic_fetch_add_explicit(&p->st_buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->st_sum_ns, (uint64_t) dur,
	                          memory_order_relaxed);
}

// stats_copy copies the counters of p into *o.
static void
stats_copy(rpc_peer *p, rpc_peer_stats *o)
{
	uint64_t run = 0;
	int      i;

	for (i = 0; i < RPC_M_COUNT; i++) {
		o->calls[i]  = atomic_load_explicit(&p->st_calls[i],
		                                    memory_order_relaxed);
		o->errors[i] = atomic_load_explicit(&p->st_errors[i],
		                                    memory_order_relaxed);
	}
	// The count is the sum of the buckets read here, so it always
	// equals the +Inf bucket, as Prometheus requires.
	for (i = 0; i <= STORE_HIST_NBOUNDS; i++) {
		run += atomic_load_explicit(&p->st_buckets[i],
		                            memory_order_relaxed);
		o->buckets[i] = run;
	}
	o->count  = run;
	o->sum_ns = atomic_load_explicit(&p->st_sum_ns, memory_order_relaxed);
	o->responsive = rpc_peer_responsive(p);
}

// Both read the view in force (a reload may publish another between the
// two calls: the stats then cover at most cap of the new view's peers).
size_t
rpc_pool_stats(const rpc_pool *p, rpc_peer_stats *out, size_t cap)
{
	const rpc__pool_view *v;
	size_t                i;

	if (p == NULL) {
		return 0;
	}
	v = rpc__pool_view_get(p);
	for (i = 0; i < v->npeers && i < cap; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].machine = v->peers[i].id;
		stats_copy(v->peers[i].peer, &out[i]);
	}
	return i;
}

size_t
rpc_pool_size(const rpc_pool *p)
{
	return p != NULL ? rpc__pool_view_get(p)->npeers : 0;
}
