// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/pool.h -- the pool of primaries of a namespace (pool.c), as the
// namespace (ns.c) uses it.  Internal to storage/ (the engine's root files);
// repl/ and lifecycle/ do not include it.  The pool's fields are in struct
// store_ns (ns_impl.h), under pool_mu.
#ifndef STORAGE_POOL_H
#define STORAGE_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/file.h"
#include "storage/storage.h"

// store__pool_init sets up the pool's lock and condition variable (on the
// monotonic clock).  BB_ENOMEM if it cannot.
bb_err store__pool_init(store_ns *ns);

// store__pool_close stops lending: waiting and later acquires answer
// BB_ESHUTDOWN.  Thread-safe.
void store__pool_close(store_ns *ns);

// store__pool_fini destroys the pool's lock and condition variable; the
// files stay the map's.  No other thread may use the pool.
void store__pool_fini(store_ns *ns);

// store__pool_acquire takes an idle primary for one insert, creating one
// if the pool may grow, else waiting until one is returned (until the
// monotonic deadline_ns: BB_EBUSY).  On BB_OK *fp is the caller's until
// store__pool_release (borrowed from the map; state inserting).
// BB_ESHUTDOWN once the pool is closed; a creation's error otherwise.
bb_err store__pool_acquire(store_ns *ns, int64_t deadline_ns,
                           store__file **fp);

// store__pool_release gives f back after an insert: sealed when broken,
// draining (a replica is shutting down), unhealthy, full (strictly above
// upload_file_size, as the original) or expired while it was busy (the
// original forgot to re-arm that case), else idle again.
void store__pool_release(store_ns *ns, store__file *f, bool broken,
                         bool draining);

// store__pool_tick does the pool's timed work at monotonic now_ns: seals
// idle primaries that expired or whose replica missed a heart beat, drops
// expired empty ones, and opens primaries up to min_open_files.  Timer
// thread (and the namespace's open).
void store__pool_tick(store_ns *ns, int64_t now_ns);

#endif // STORAGE_POOL_H
