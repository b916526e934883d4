// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/metrics.h -- the counters and latency histograms of one
// namespace.  Every value is an atomic, so the insert path, the replica
// calls and the archive lifecycle count where things happen without a
// lock; a snapshot copies them out for whoever renders them
// (gateway/admin/metrics.c).  Knows no text format and no namespace.
#ifndef STORAGE_METRICS_H
#define STORAGE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

// Operations counted as the original's <name>_failures, <name>_successes
// and <name>_total: X(id, name, what), where what completes "Number of
// failed ...".  Sorted by name, so the families render in the original's
// order.
#define STORE_METRICS_OPS(X)                                              \
	X(FILE_DELETION, "file_deletion", "file deletes")                 \
	X(PRIMARY_DELETE, "primary_delete", "primary deletes")            \
	X(PRIMARY_INSERT, "primary_insert", "primary inserts")            \
	X(PRIMARY_OPEN, "primary_open", "primary opens")                  \
	X(PRIMARY_UPLOAD, "primary_upload", "primary uploads")            \
	X(REPLICA_DELETE, "replica_delete", "replica deletes")            \
	X(REPLICA_HEARTBEAT, "replica_heartbeat", "replica heartbeats")   \
	X(REPLICA_INITIALIZE, "replica_initialize",                       \
	  "replica initializations")                                      \
	X(REPLICA_QUEUEDELETE, "replica_queuedelete",                     \
	  "replica queue deletes")                                        \
	X(REPLICA_REPLICATE, "replica_replicate", "replica replications") \
	X(REPLICA_UPLOAD, "replica_upload", "replica uploads")

// Plain counters: X(id, name).  The TIME_* ones are the original's
// timing_data_nanoseconds{type=...}; the renderer names and labels them.
#define STORE_METRICS_COUNTERS(X)                        \
	X(ARCHIVE_CONFLICTS, "archive_conflicts")        \
	X(BYTES_INSERTED, "bytes_inserted")              \
	X(BYTES_READ, "bytes_read")                      \
	X(INSERT_BATCHES, "insert_batches")              \
	X(INTERNAL_ERRORS_INSERT, "internal_errors")     \
	X(REPLICAS_ORPHANED, "replicas_orphaned")        \
	X(TIME_QUEUE_NS, "primary_insert_queue")         \
	X(TIME_REPLICATE_NS, "primary_insert_replicate") \
	X(TIME_WRITE_NS, "primary_insert_write")

// Latency histograms (new in blobby-c): X(id, name).
#define STORE_METRICS_HISTS(X)                            \
	X(INSERT, "blobby_insert_duration_seconds")       \
	X(REPLICATE, "blobby_replicate_duration_seconds") \
	X(READ, "blobby_read_duration_seconds")

#define STORE_METRICS_ENUM_OP(id, name, what) STORE_OP_##id,
#define STORE_METRICS_ENUM_CTR(id, name)      STORE_CTR_##id,
#define STORE_METRICS_ENUM_HIST(id, name)     STORE_HIST_##id,

typedef enum { STORE_METRICS_OPS(STORE_METRICS_ENUM_OP) STORE_OP_N_ } store_op;

typedef enum {
	STORE_METRICS_COUNTERS(STORE_METRICS_ENUM_CTR) STORE_CTR_N_
} store_ctr;

typedef enum {
	STORE_METRICS_HISTS(STORE_METRICS_ENUM_HIST) STORE_HIST_N_
} store_hist;

// The finite bucket bounds of every histogram, 100 us to 10 s; one more
// bucket (+Inf) takes the rest.
#define STORE_HIST_NBOUNDS 16

typedef struct store_metrics store_metrics;

// One histogram as Prometheus shows it: buckets are cumulative (bucket i
// counts observations <= bound i; the last is +Inf and equals count).
typedef struct store_hist_snap {
	uint64_t buckets[STORE_HIST_NBOUNDS + 1];
	uint64_t count;
	uint64_t sum_ns;
} store_hist_snap;

// A copy of every value of a store_metrics, for rendering.  A plain value.
typedef struct store_metrics_snap {
	uint64_t        failures[STORE_OP_N_];
	uint64_t        successes[STORE_OP_N_];
	uint64_t        total[STORE_OP_N_];
	uint64_t        counters[STORE_CTR_N_];
	int64_t         queued_inserts; // gauge: inserts waiting for a file
	store_hist_snap hists[STORE_HIST_N_];
} store_metrics_snap;

// store_metrics_new makes a zeroed set.  On BB_OK the caller owns *mp;
// free with store_metrics_free().  BB_ENOMEM otherwise.
bb_err store_metrics_new(store_metrics **mp);

// store_metrics_free frees m.  NULL is a no-op.
void store_metrics_free(store_metrics *m);

// store_metrics_op counts one operation: <op>_total, and <op>_successes
// or <op>_failures as ok says.  NULL m is a no-op (namespaces built by
// hand in tests).  Thread-safe and lock-free, like all the counting
// functions below.
void store_metrics_op(store_metrics *m, store_op op, bool ok);

// store_metrics_add adds n to counter c.  NULL m is a no-op.
void store_metrics_add(store_metrics *m, store_ctr c, uint64_t n);

// store_metrics_queued moves the queued_inserts gauge by delta (+1 when
// an insert starts waiting for a file, -1 when it stops).
void store_metrics_queued(store_metrics *m, int delta);

// store_metrics_observe records one duration of dur_ns nanoseconds in
// histogram h (negative durations count as 0).  NULL m is a no-op.
void store_metrics_observe(store_metrics *m, store_hist h, int64_t dur_ns);

// store_metrics_snapshot copies every value of m into *out.  Each value
// is read atomically; the set is not one instant, but a histogram's
// count always equals its +Inf bucket.  Thread-safe.
void store_metrics_snapshot(const store_metrics *m, store_metrics_snap *out);

// store_metrics_bound_ns is the upper bound of finite bucket i
// (0 <= i < STORE_HIST_NBOUNDS) in nanoseconds; store_metrics_bound_le
// the same bound as Prometheus' le label value ("0.0001" .. "10").
// Static strings.  store_metrics_bound_ns is for tests (the renderer
// uses the le strings).
int64_t     store_metrics_bound_ns(int i);
const char *store_metrics_bound_le(int i);

// The names and descriptions of the tables above, for renderers (static
// strings; NULL for an id out of range).
const char *store_metrics_op_name(store_op op);
const char *store_metrics_op_what(store_op op);
const char *store_metrics_ctr_name(store_ctr c);
const char *store_metrics_hist_name(store_hist h);

#endif // STORAGE_METRICS_H
