// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/spool.h -- the body of one insert while it arrives.  A slow
// client must not hold a primary file, so bytes are collected here first:
// up to STORE_SPOOL_MEM in memory, the rest in an unlinked temporary file
// beside the data files.  Memory per in-flight insert stays bounded.
#ifndef STORAGE_SPOOL_H
#define STORAGE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define STORE_SPOOL_MEM (64 * 1024)

typedef struct store_spool store_spool;

// store_spool_new starts a body of at most limit bytes; a temporary
// file, if needed, is made in dir (borrowed; copied).  expected is the
// announced length (UINT64_MAX if unknown); a body announced larger than
// STORE_SPOOL_MEM goes straight to a file.  On BB_OK the caller owns *sp;
// free with store_spool_free().
bb_err store_spool_new(const char *dir, uint64_t expected, uint64_t limit,
                       store_spool **sp);

// store_spool_write appends n bytes of data.  BB_ETOOBIG if the body would
// exceed its limit (nothing is appended); file errors as bb_err.
bb_err store_spool_write(store_spool *sp, const void *data, size_t n);

// store_spool_size returns the number of bytes appended so far.
uint64_t store_spool_size(const store_spool *sp);

// store_spool_data returns the body when it is held in memory, NULL when
// it is in a file.  Borrowed; valid until the next write or the free.
const uint8_t *store_spool_data(const store_spool *sp);

// store_spool_copy_to writes the whole body to fd at off (the primary).
// Reads the spool, never changes it, so it may be called again (a retry
// on another file).
bb_err store_spool_copy_to(store_spool *sp, int fd, uint64_t off);

// store_spool_free releases sp and its temporary file.  NULL is a no-op.
void store_spool_free(store_spool *sp);

#endif // STORAGE_SPOOL_H
