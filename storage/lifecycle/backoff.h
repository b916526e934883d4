// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/backoff.h -- the retry schedule of the archive
// lifecycle (backoff.c).  Private to storage/lifecycle/.
#ifndef STORAGE_LIFECYCLE_BACKOFF_H
#define STORAGE_LIFECYCLE_BACKOFF_H

#include <stdint.h>

// store_backoff is the delay before the next try after `failures` failed
// tries in a row (>= 1): initial_ns * 2^(failures-1), at most max_ns, of
// which a random part (the upper half) is jitter, so files that failed
// together do not retry together.  *seed is the caller's random state
// (not thread-safe: the caller serialises calls on one seed).
int64_t store_backoff(uint32_t failures, int64_t initial_ns, int64_t max_ns,
                      uint64_t *seed);

#endif // STORAGE_LIFECYCLE_BACKOFF_H
