// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/repl/hash.c -- the hash of replicated bytes, which the primary
// (primary.c) puts in every Replicate and the replica (replica.c) checks;
// declared in remote.h beside the call it belongs to.
#include <xxhash.h>

#include "storage/remote.h"

uint64_t
store_hash(const void *data, size_t len)
{
	return XXH3_64bits(data, len); // seed 0
}
