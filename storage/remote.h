// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/remote.h -- how storage reaches its peers: a function table that
// the rpc module implements over NNG and unit tests implement with fakes
// (the original's storage.Remote interface).  Peers are named by their
// machine id; storage never sees a socket.
#ifndef STORAGE_REMOTE_H
#define STORAGE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/id.h"

// The most replicas a namespace may ask for.
#define STORE_MAX_REPLICAS 16

typedef enum {
	STORE_CALL_INITIALIZE = 0,
	STORE_CALL_REPLICATE,
	STORE_CALL_HEARTBEAT,
	STORE_CALL_DELETE,
} store_call_kind;

// One call, made to several peers at once.  Borrowed by the callee for
// the duration of the call only.
typedef struct store_call {
	store_call_kind kind;
	const char     *ns;
	store_fid       fid;
	uint64_t        start; // REPLICATE: offset of data in the file
	const void     *data;  // REPLICATE
	size_t          len;   // REPLICATE: at most store_remotes.max_chunk
	uint64_t        hash;  // REPLICATE: XXH3-64 of data
	bool            sync; // REPLICATE: on stable storage before the answer
} store_call;

// What one peer answered.
typedef struct store_call_result {
	bb_err err;           // BB_OK, or why the call failed
	bool   shutting_down; // the peer is draining
	char   msg[160];      // the peer's or transport's reason, for logs
} store_call_result;

// The peers of a node.  All functions are thread-safe.
typedef struct store_remotes {
	void  *ctx;
	size_t max_chunk; // the most data one REPLICATE may carry

	// assign picks n peers for a new primary, round robin over all
	// configured peers (which may include this node itself).  On BB_OK
	// ids[0..n) are set.  BB_EUNAVAIL if fewer than n peers exist.
	bb_err (*assign)(void *ctx, uint32_t n, uint32_t *ids);

	// call makes the same call to the n peers ids[0..n) in parallel and
	// waits for every answer (each bounded by the call deadline);
	// results[i] is the answer of ids[i].
	void (*call)(void *ctx, const uint32_t *ids, size_t n,
	             const store_call *call, store_call_result *results);

	// answers says whether peer id is thought to answer now (connected,
	// not found hung); cheap, no call.  NULL: every peer is.
	bool (*answers)(void *ctx, uint32_t id);
} store_remotes;

// store_hash is the hash of replicated bytes: XXH3-64 with seed 0.
uint64_t store_hash(const void *data, size_t len);

#endif // STORAGE_REMOTE_H
