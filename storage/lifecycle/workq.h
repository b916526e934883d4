// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/workq.h -- a work queue of files served by a bounded
// pool of worker threads (workq.c).  Private to storage/lifecycle/.
#ifndef STORAGE_LIFECYCLE_WORKQ_H
#define STORAGE_LIFECYCLE_WORKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/file.h"

typedef struct store__wq store__wq;

// What a worker does with a file it took; it owns the queue's reference
// from then on (queue it again, or drop it).
typedef void (*store__wq_fn)(void *arg, store__file *f);

// store__wq_new makes a queue served by at most max_workers threads that
// call fn(arg, file).  Caller owns *qp: store__wq_stop, store__wq_free.
bb_err store__wq_new(const char *name, uint32_t max_workers, store__wq_fn fn,
                     void *arg, store__wq **qp);

// store__wq_put queues f to run from monotonic time due_ns on, taking
// over the caller's reference; after stop, the reference is dropped.
void store__wq_put(store__wq *q, store__file *f, int64_t due_ns);

// store__wq_stop waits for the workers to finish what they run and drops
// the queued files' references.  Idempotent.
void store__wq_stop(store__wq *q);

// store__wq_free frees a stopped queue.  NULL is a no-op.
void store__wq_free(store__wq *q);

// store__wq_info reports the files queued, whether a worker is busy and
// (if oldest_ns is not NULL) the earliest lc_queued_ns of the queued
// files, 0 if none.
void store__wq_info(store__wq *q, size_t *queued, bool *busy,
                    int64_t *oldest_ns);

#endif // STORAGE_LIFECYCLE_WORKQ_H
