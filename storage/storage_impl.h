// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/storage_impl.h -- declarations shared by the files of the
// storage module only; other modules include storage/storage.h.
#ifndef STORAGE_STORAGE_IMPL_H
#define STORAGE_STORAGE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "storage/remote.h"
#include "storage/storage.h"

// States of a data file, a subset of the original's (spec 3.1, 4) until
// the archive lands.  The numbering is internal; new states go at the end.
typedef enum {
	STORE__OPENING = 0,    // primary being created
	STORE__WAITING,        // primary idle / replica ready for appends
	STORE__INSERTING,      // primary owned by one insert
	STORE__PENDING_UPLOAD, // sealed: read-only, waiting for the archive
	STORE__APPENDING,      // replica: a Replicate is writing
	STORE__FAILED,         // replica: a write failed; no more appends
} store__state;

typedef struct store__file store__file;

struct store__file {
	store_fid  fid;
	bool       replica; // file name is r-<fid>
	bool       primary; // created here for appends
	int        fd;      // owned
	atomic_int state;   // store__state
	// Readers may read [0, committed).  Only the insert that owns the
	// primary advances it, after its bytes are in the file.
	_Atomic uint64_t committed;
	int64_t          expires_ns;      // monotonic; primaries only
	_Atomic int64_t  first_insert_ns; // wall clock; 0 if never written
	store__file     *hnext;           // fid map chain
	store__file     *idle_next;       // idle list
	// Primaries with replicas: the machine ids, set before the file is
	// in the idle list and constant after; the heart beat schedule; and
	// whether a replica failed a heart beat (the file then retires).
	uint32_t        repl[STORE_MAX_REPLICAS];
	uint32_t        nrepl;
	atomic_bool     unhealthy;
	_Atomic int64_t next_hb_ns; // monotonic

	// Replicas only (replica.c).  mu serialises the operations on one
	// replica.  refs counts the map's reference (1 from
	// store__file_alloc) plus each replica operation that found the file
	// and may still lock mu; whoever drops the last one frees the file.
	// gone (under mu) says it was deleted while an operation waited.
	pthread_mutex_t mu;
	atomic_uint     refs;
	bool            gone;
	_Atomic int64_t heard_ns; // monotonic: last initialize/replicate/beat
};

struct store_ns {
	const bb_ns_conf    *conf;    // borrowed
	uint32_t             machine; // machine id put in new fids
	int                  dirfd;   // owned, the namespace directory
	const store_remotes *remotes; // borrowed, NULL without peers

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
};

// store__file_alloc makes a file record for fd (ownership of fd passes
// to the record on BB_OK only).
bb_err store__file_alloc(const store_fid *fid, bool replica, bool primary,
                         int fd, uint64_t committed, store__state state,
                         store__file **fp);

// store__file_free closes and frees f.  NULL is a no-op.
void store__file_free(store__file *f);

// store__file_name writes "<fid>" or "r-<fid>" into buf (17 bytes).
char *store__file_name(const store__file *f, char *buf);

// store__state_name returns the original's name of a state.
const char *store__state_name(store__state s);

// store__map_add inserts f into the fid map of ns (takes the write lock;
// the map owns f from then on).
bb_err store__map_add(store_ns *ns, store__file *f);

// store__map_hash is the bucket of fid in a map of nbuckets (a power of
// two).  Callers walk the bucket under the map lock.
size_t store__map_hash(const store_fid *fid, size_t nbuckets);

// store__map_has says whether a file with fid is in the map of ns.
bool store__map_has(store_ns *ns, const store_fid *fid);

// store__map_remove takes f out of the map (takes the write lock) and
// gives ownership back to the caller.
void store__map_remove(store_ns *ns, store__file *f);

// store__repl_init assigns the replicas of a new primary f and
// initializes them (primary_repl.c).  BB_EUNAVAIL if any fails; nothing
// is left behind on the peers then.
bb_err store__repl_init(store_ns *ns, store__file *f);

// store__repl_send copies the body just written at start of primary f to
// every replica, in chunks.  *draining is set when a replica said it is
// shutting down.  BB_EREMOTE if any replica failed.
bb_err store__repl_send(store_ns *ns, store__file *f, store_spool *body,
                        uint64_t start, bool *draining);

// store__repl_heartbeat sends f's heart beat when it is due at now_ns; a
// failure marks f unhealthy.  Timer thread only.
void store__repl_heartbeat(store_ns *ns, store__file *f, int64_t now_ns);

// store__replica_tick does the timed work of the replicas of ns at
// monotonic time now_ns: a replica in state waiting or failed that has not
// been heard from for the namespace's orphan_timeout_ns is orphaned: sealed
// (pending-upload, still readable) or, when empty, removed with its file.
// orphan_timeout_ns <= 0 (a hand-built conf) disables it.  Called by
// store_ns_tick; thread-safe.
void store__replica_tick(store_ns *ns, int64_t now_ns);

// store__ns_recover turns every data file found in the namespace
// directory into a sealed, readable file (spec 4, start-up recovery).
bb_err store__ns_recover(store_ns *ns, const char **errmsg);

#endif // STORAGE_STORAGE_IMPL_H
