// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/lifecycle.h -- the archive lifecycle of sealed files,
// shared by every namespace of a node (the original's four work queues):
// optional compression, upload, removal of the remote
// replicas, optional delay, removal of the local file.  Each step runs on a
// worker pool of its own size; a failed step is retried with exponential
// backoff and jitter, forever, and the file stays on disk (and readable) until
// its data is verified in the archive.
#ifndef STORAGE_LIFECYCLE_H
#define STORAGE_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

typedef struct store_lifecycle store_lifecycle;

// The limits of the worker pools and the retry schedule.
typedef struct store_lifecycle_conf {
	uint32_t compressions;   // maximum_parallel_compressions
	uint32_t uploads;        // maximum_parallel_uploads
	uint32_t deletes;        // maximum_parallel_deletes
	uint32_t remote_deletes; // maximum_parallel_remote_deletes
	int64_t  retry_initial_ns;
	int64_t  retry_max_ns;
} store_lifecycle_conf;

// What the lifecycle has done since it started (counters only grow), and
// what is waiting now.
typedef struct store_lifecycle_stats {
	uint64_t uploads;          // objects stored and verified
	uint64_t uploads_existing; // already in the archive: not sent
	uint64_t upload_failures;  // attempts that failed (retried)
	uint64_t upload_conflicts; // of those, refused by the archive: it
	                           // holds other bytes under the key
	uint64_t uploaded_bytes;   // bytes of the objects stored
	uint64_t compressions;     // .gz files made
	uint64_t compression_failures;
	uint64_t remote_deletes; // replicas removed on peers
	uint64_t remote_delete_failures;
	uint64_t local_deletes; // local files removed (complete)
	uint64_t local_delete_failures;
	uint64_t queued;           // files waiting in any queue
	int64_t  oldest_upload_ns; // monotonic time the oldest waiting
	                           // upload was queued; 0 if none
} store_lifecycle_stats;

// store_lifecycle_new starts a lifecycle (its workers start on demand).
// On BB_OK the caller owns *lcp: store_lifecycle_stop, then
// store_lifecycle_free, after the last namespace using it is closed.
bb_err store_lifecycle_new(const store_lifecycle_conf *conf,
                           store_lifecycle           **lcp);

// store_lifecycle_stop abandons the transfers in progress, waits for the
// workers and forgets the queued files: they stay on disk, and the next
// start recovers and archives them.  Idempotent.  Must run before the
// namespaces whose files it holds are closed.
void store_lifecycle_stop(store_lifecycle *lc);

// store_lifecycle_free frees a stopped lifecycle.  NULL is a no-op.
void store_lifecycle_free(store_lifecycle *lc);

// store_lifecycle_stats_get fills *st.  Thread-safe.
void store_lifecycle_stats_get(store_lifecycle *lc, store_lifecycle_stats *st);

// store_lifecycle_idle says whether no file is queued or being worked on.
// For tests, which wait for it.
bool store_lifecycle_idle(store_lifecycle *lc);

// --- The engine's side: how a sealed file enters the lifecycle. ---
// The types are the engine's (storage/file.h, storage/ns_impl.h); they
// stay incomplete here so that the includers of this header (the gateway
// reads the counters) do not see the file record.

typedef struct store_ns    store_ns;
typedef struct store__file store__file;

// store__lc_enqueue hands the sealed file f of ns, in the state it was
// just given, to the queue of that state; the lifecycle takes its own
// reference.  A state without a queue, or lc NULL, is a no-op.
void store__lc_enqueue(store_lifecycle *lc, store_ns *ns, store__file *f);

// store__seal_next is the state (a store__state) a file enters when it
// is sealed with size bytes: compression or upload, or, for an empty file,
// removal (after its replicas').  Without a lifecycle, pending-upload: the
// file then stays, readable, until the next start.  An int, the type of
// store__file.state, so that this header needs no engine header.
int store__seal_next(const store_ns *ns, const store__file *f);

#endif // STORAGE_LIFECYCLE_H
