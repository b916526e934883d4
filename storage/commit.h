// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/commit.h -- group commit (commit.c): the queue of a namespace's
// inserts and the committer threads that write, replicate and commit them
// in batches.  Internal to storage/ (ns.c uses it).
#ifndef STORAGE_COMMIT_H
#define STORAGE_COMMIT_H

#include <stdbool.h>

#include "common/conf/conf.h"
#include "common/err.h"
#include "storage/spool.h"
#include "storage/storage.h"

// store__commit_batches says whether the inserts of a namespace with conf
// go through committers: with replicas (a round trip to share) or fsync
// (an fdatasync to share).  The others are written on the caller's
// thread, which never waits on the network then.
bool store__commit_batches(const bb_ns_conf *conf);

// store__commit_open starts the committer of ns (ns->commit) when its
// inserts batch.  BB_OK at once otherwise.  Errors: BB_ENOMEM, BB_ESYS
// (no thread).
bb_err store__commit_open(store_ns *ns);

// store__commit_close stops the committers: a batch in progress finishes
// (its calls have deadlines), a committer waiting for a primary needs the
// pool closed first (store__pool_close); inserts still queued end with
// BB_ESHUTDOWN.  NULL ns->commit is a no-op; ns->commit is NULL after.
void store__commit_close(store_ns *ns);

// store__commit_submit queues an insert of body (borrowed until done) for
// the committers; done(arg, ...) is called exactly once, on a committer's
// thread, or on this one if the insert cannot be queued.  It waits at
// most STORE_INSERT_WAIT_NS for a primary, its retry included.
void store__commit_submit(store_ns *ns, store_spool *body,
                          store_insert_done done, void *arg);

#endif // STORAGE_COMMIT_H
