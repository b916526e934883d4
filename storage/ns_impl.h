// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/ns_impl.h -- the body of a namespace (struct store_ns): the
// engine's interface to its parts.  The engine's files (ns.c, pool.c,
// datafile.c, ns_*.c, store.c) and its folders repl/ and lifecycle/
// include it; no other module does (they see storage/storage.h).
#ifndef STORAGE_NS_IMPL_H
#define STORAGE_NS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"
#include "storage/archive/archive.h"
#include "storage/file.h"
#include "storage/keyfmt.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/metrics.h"
#include "storage/remote.h"
#include "storage/storage.h"

struct store_ns {
	const bb_ns_conf    *conf;      // borrowed
	uint32_t             machine;   // machine id put in new fids
	int                  dirfd;     // owned, the namespace directory
	const store_remotes *remotes;   // borrowed, NULL without peers
	store_archive       *archive;   // borrowed, NULL: none
	store_lifecycle     *lifecycle; // borrowed, NULL: files stay sealed
	store_keyfmt        *keyfmt;    // owned: the object key of a fid

	// The fid map: every open file, for reads.  Writers (file open and
	// removal) take it exclusively, reads share it.
	pthread_rwlock_t map_lock;
	store__file    **buckets; // owned array; files owned through it
	size_t           nbuckets;
	size_t           nfiles;

	// The pool of primaries.  appendable counts primaries being opened,
	// idle or inserting; idle is sorted by expiry, oldest first, so the
	// oldest file fills up first (as the original).
	pthread_mutex_t pool_mu;
	pthread_cond_t  pool_cv;
	store__file    *idle;
	uint32_t        appendable;
	bool            closing;

	// What operators see (ns_admin.c): the counters, and the primary
	// creations that failed in a row (0 after a success) with the last
	// error, for /_health.
	store_metrics   *metrics; // owned
	_Atomic uint32_t open_failures;
	atomic_int       open_err; // bb_err
};

// store__map_add inserts f into the fid map of ns (takes the write lock;
// the map owns f from then on).
bb_err store__map_add(store_ns *ns, store__file *f);

// store__map_hash is the bucket of fid in a map of nbuckets (a power of
// two).  Callers walk the bucket under the map lock.
size_t store__map_hash(const store_fid *fid, size_t nbuckets);

// store__map_covering returns the first file of ns whose committed range
// holds all of id, or NULL.  The map lock is held by the caller.
store__file *store__map_covering(store_ns *ns, const store_id *id);

// store__map_has says whether a file with fid is in the map of ns.
bool store__map_has(store_ns *ns, const store_fid *fid);

// store__map_remove takes f out of the map (takes the write lock) and
// gives ownership back to the caller.
void store__map_remove(store_ns *ns, store__file *f);

// store__ns_recover turns every data file found in the namespace
// directory into a sealed, readable file (spec 4, start-up recovery).
bb_err store__ns_recover(store_ns *ns, const char **errmsg);

#endif // STORAGE_NS_IMPL_H
