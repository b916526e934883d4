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
#include "storage/fidmap.h"
#include "storage/file.h"
#include "storage/idsign.h"
#include "storage/keyfmt.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/metrics.h"
#include "storage/remote.h"
#include "storage/storage.h"

struct store_ns {
	const bb_ns_conf    *conf;      // borrowed
	uint32_t             machine;   // machine id put in new fids
	bool                 self_peer; // may hold replicas of its own fids
	int                  dirfd;     // owned, the namespace directory
	const store_remotes *remotes;   // borrowed, NULL without peers
	store_archive       *archive;   // borrowed, NULL: none
	store_lifecycle     *lifecycle; // borrowed, NULL: files stay sealed
	store_keyfmt        *keyfmt;    // owned: the object key of a fid
	store_idkeys        *idkeys;    // owned, NULL: ids are not signed
	// owned, NULL until the first heart beat: the peers' beat workers
	// (repl/beats.c)
	struct store__beats *beats;
	// owned, NULL when inserts are written on the caller's thread: the
	// insert queue and its committers (commit.c)
	struct store__commit *commit;

	// The fid map: every open file, for reads; files are owned through
	// it (fidmap.h).
	store__fidmap map;

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

	// Uploads that failed in a row (0 after one succeeded) and the
	// reason of the last, for /_health's archive line (ns_admin.c;
	// upload_why under that file's lock).
	_Atomic uint32_t upload_failures;
	char             upload_why[256];
};

// store__ns_insert_counted counts one insert as the client sees it (its
// retry included) that started at monotonic t0 and ended with rv; id
// (NULL unless BB_OK) names its bytes.  Thread-safe.
void store__ns_insert_counted(store_ns *ns, int64_t t0, bb_err rv,
                              const store_id *id);

// store__ns_upload_done notes the outcome of one upload of a file of ns:
// ok, or failed with the reason why (copied).  Thread-safe.
void store__ns_upload_done(store_ns *ns, bool ok, const char *why);

// store__ns_recover turns every data file found in the namespace
// directory into a sealed, readable file (start-up recovery).  A
// file that cannot be recovered fails it, with its name in
// why[0..whylen).
bb_err store__ns_recover(store_ns *ns, char *why, size_t whylen);

#endif // STORAGE_NS_IMPL_H
