// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/gzip.h -- compression of a sealed file into its .gz
// copy with zlib (gzip.c), and the mapping of the configured level to
// zlib's.  Private to storage/lifecycle/.
#ifndef STORAGE_LIFECYCLE_GZIP_H
#define STORAGE_LIFECYCLE_GZIP_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/err.h"

// store__gzip compresses the size bytes of in (from offset 0) into out,
// which is empty, as one gzip member at zlib level (-1 default, 0 none,
// 1..9).  Both descriptors stay the caller's.  cancel becoming true
// stops it (BB_ESHUTDOWN).  Thread-safe.
bb_err store__gzip(int in, uint64_t size, int out, int level,
                   const atomic_bool *cancel);

// store__gzip_level maps a namespace's compress_level (the original's:
// 0 zlib's default, -1 no compression, 1..9 as zlib) to the zlib
// level store__gzip takes.
int store__gzip_level(int compress_level);

#endif // STORAGE_LIFECYCLE_GZIP_H
