// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/repl/repl.h -- what the engine calls of replication: the
// primary's side (primary.c: set up replicas, send inserts; beats.c:
// heart beats) and the replica side's timer (replica.c).  The RPC server
// reaches the replica side through storage.h; peers are reached through
// remote.h.  Internal to storage/ (the engine calls it).
#ifndef STORAGE_REPL_REPL_H
#define STORAGE_REPL_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/file.h"
#include "storage/storage.h"

// store__repl_setup assigns the replicas of a new primary f (f->repl,
// f->nrepl) and initializes them on the peers (primary.c), before f is in
// the map.  BB_EUNAVAIL if any fails; nothing is left behind on the peers
// then.  BB_OK at once for a namespace without replicas.
bb_err store__repl_setup(store_ns *ns, store__file *f);

// store__repl_send_range copies the len bytes just written at start of
// primary f to every replica, in chunks of the peers' largest (so one call
// carries a whole batch of small inserts); with sync, the replicas put
// the file on stable storage before they answer the last.  *draining is
// set when a replica said it is shutting down.  BB_EREMOTE if any
// replica failed; BB_ENOMEM, or the error of reading the range back.
bb_err store__repl_send_range(store_ns *ns, store__file *f, uint64_t start,
                              uint64_t len, bool sync, bool *draining);

// store__repl_heartbeats queues the heart beats of ns that are due at
// monotonic now_ns, all of them, to the workers of their peers (beats.c)
// and returns without waiting for any: each peer's worker sends its
// beats in turn, at most one queued per file, holding a file reference
// while queued; a primary whose replica fails one or drains is marked
// unhealthy (it seals when idle).  Timer thread only (it makes ns->beats
// and the workers on first use).
void store__repl_heartbeats(store_ns *ns, int64_t now_ns);

// store__repl_beats_close stops the heart beat workers of ns, waits for
// a beat in flight (bounded by the call deadline), drops the queued ones
// and frees ns->beats.  Before the files of ns go; not with a tick.
void store__repl_beats_close(store_ns *ns);

// store__repl_delete asks the replicas of primary f to remove their
// copies (its data is archived) and returns how many failed, each logged;
// 0 without peers or replicas.  A replica that failed orphans later,
// finds the object in the archive and removes its copy then.
uint32_t store__repl_delete(store_ns *ns, store__file *f);

// store__replica_tick does the timed work of the replicas of ns at
// monotonic time now_ns: a replica in state waiting or failed that has not
// been heard from for the namespace's orphan_timeout_ns is orphaned: sealed
// (pending-upload, still readable) or, when empty, removed with its file.
// orphan_timeout_ns <= 0 (a hand-built conf) disables it.  Called by
// store_ns_tick; thread-safe.
void store__replica_tick(store_ns *ns, int64_t now_ns);

#endif // STORAGE_REPL_REPL_H
