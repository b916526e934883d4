// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/fidmap.h -- the fid map of a namespace: every open file by fid,
// for reads (a chained hash table with its read-write lock, as nng's
// idhash).  It knows file records only by their fid, replica flag and
// committed length; what the files are for is the engine's business.
// Internal to storage/ (the engine and its folders).
#ifndef STORAGE_FIDMAP_H
#define STORAGE_FIDMAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "storage/file.h"
#include "storage/id.h"

// NB: the fields are private to fidmap.c; the body is here only so that a
// namespace can embed the map.  Files are chained through store__file's
// hnext, which no other file touches either.
typedef struct store__fidmap {
	pthread_rwlock_t lock;     // writers exclusive, reads shared
	store__file    **buckets;  // owned array; the map owns one
	size_t           nbuckets; // reference to each file in it
	size_t           nfiles;
} store__fidmap;

// store__fidmap_init makes an empty map in m (no allocation until the
// first add).  BB_ENOMEM if the lock cannot be made.
bb_err store__fidmap_init(store__fidmap *m);

// store__fidmap_fini drops the map's reference to every file still in it
// (the last reference frees the file) and frees the map.  No other thread
// may use m.  Zeroed memory (a failed init) is fine.
void store__fidmap_fini(store__fidmap *m);

// store__fidmap_add puts f into m, which takes over the caller's (first)
// reference on BB_OK; BB_ENOMEM leaves f the caller's.  Write lock.
bb_err store__fidmap_add(store__fidmap *m, store__file *f);

// store__fidmap_remove takes f out of m (if it is in it) and hands the
// map's reference back to the caller.  Write lock.
void store__fidmap_remove(store__fidmap *m, store__file *f);

// store__fidmap_has says whether a file with fid, <fid> or r-<fid>, is in
// m.  Read lock.
bool store__fidmap_has(store__fidmap *m, const store_fid *fid);

// store__fidmap_get returns the file of fid with that replica flag (a
// node that is its own replica holds both <fid> and r-<fid>) with one
// more reference, which the caller drops with store__file_put; NULL if
// there is none.  Read lock.
store__file *store__fidmap_get(store__fidmap *m, const store_fid *fid,
                               bool replica);

// store__fidmap_peek calls fn(f, arg) under the read lock with the file
// of fid with that replica flag, or with f NULL when there is none, and
// returns what fn returns.  It takes no reference: f is valid only
// inside fn (a removal waits for the lock), which must not take the
// map's lock nor block.
bb_err store__fidmap_peek(store__fidmap *m, const store_fid *fid, bool replica,
                          bb_err (*fn)(const store__file *f, void *arg),
                          void *arg);

// store__fidmap_rdlock and store__fidmap_unlock hold the read lock
// around store__fidmap_covering, so that the reader can use the file
// found (dup its descriptor) before a removal can close it.
void store__fidmap_rdlock(store__fidmap *m);
void store__fidmap_unlock(store__fidmap *m);

// store__fidmap_covering returns the file of m whose committed range
// holds all of id: the primary <fid> when it does, else a replica
// r-<fid>, else NULL.  Borrowed: valid
// while the caller holds the read lock.  No allocation.
store__file *store__fidmap_covering(store__fidmap *m, const store_id *id);

// store__fidmap_visit calls fn(f, arg) for every file of m, in no set
// order, under the read lock: fn must not take the map's lock (add,
// remove, get) nor anything a writer holds while it takes the map's.
void store__fidmap_visit(store__fidmap *m,
                         void (*fn)(store__file *f, void *arg), void *arg);

// store__fidmap_collect gathers, under the read lock, every file for
// which pick(f, arg) is true, each with one more reference, so that the
// caller can act on them after the lock (which may block).  On BB_OK the
// caller owns *vp (NULL when *np is 0) and the references: release both
// with store__fidmap_release.  BB_ENOMEM: nothing is taken.
bb_err store__fidmap_collect(store__fidmap *m,
                             bool (*pick)(store__file *f, void *arg),
                             void *arg, store__file ***vp, size_t *np);

// store__fidmap_release drops the references of v[0..n) and frees v, what
// store__fidmap_collect gave.  NULL is a no-op.
void store__fidmap_release(store__file **v, size_t n);

#endif // STORAGE_FIDMAP_H
