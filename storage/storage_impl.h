// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/storage_impl.h -- declarations shared by the files of the
// storage module only; other modules include storage/storage.h.
#ifndef STORAGE_STORAGE_IMPL_H
#define STORAGE_STORAGE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "storage/archive/archive.h"
#include "storage/keyfmt.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/metrics.h"
#include "storage/remote.h"
#include "storage/storage.h"

// States of a data file: the original's (spec 3.1, 4).  The numbering is
// internal; new states go at the end.  A sealed file (every state from
// STORE__PENDING_UPLOAD on but APPENDING and FAILED) is read-only and
// moves through the archive lifecycle (lifecycle.c) one state at a time.
typedef enum {
	STORE__OPENING = 0,    // primary being created
	STORE__WAITING,        // primary idle / replica ready for appends
	STORE__INSERTING,      // primary owned by one insert
	STORE__PENDING_UPLOAD, // sealed: waiting for the upload queue
	STORE__APPENDING,      // replica: a Replicate is writing
	STORE__FAILED,         // replica: a write failed; no more appends
	STORE__PENDING_COMPRESSION,
	STORE__COMPRESSING,
	STORE__UPLOADING,
	STORE__PENDING_DELETE_COMPRESSED,
	STORE__DELETING_COMPRESSED,
	STORE__PENDING_DELETE_REMOTES,
	STORE__DELETING_REMOTES,
	STORE__DELETE_DELAY,
	STORE__PENDING_DELETE_LOCAL,
	STORE__DELETING_LOCAL,
	STORE__COMPLETE,
	STORE__NSTATES_,
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

	// refs counts the map's reference (1 from store__file_alloc) plus
	// each replica operation that found the file and may still lock mu,
	// plus the archive lifecycle's while the file is queued; whoever drops
	// the last one frees the file.  mu serialises the operations on one
	// replica, and removal of any file; gone (under mu) says the file was
	// removed while an operation waited.
	pthread_mutex_t mu;
	atomic_uint     refs;
	bool            gone;
	_Atomic int64_t heard_ns; // monotonic: last initialize/replicate/beat
	// The peer's primary asked for this sealed replica's removal: its
	// data is archived, so the lifecycle deletes instead of uploading.
	atomic_bool delete_requested;

	// The archive lifecycle (lifecycle.c): the queue link and when the
	// file is due, owned by the queue the file is in (at most one), and
	// the failures of the current step in a row (for the backoff).
	store_ns    *lc_ns;
	store__file *lc_next;
	int64_t      lc_due_ns; // monotonic
	// Monotonic: entered the current step.  Atomic because the status
	// pages read it while a worker moves the file on.
	_Atomic int64_t lc_queued_ns;
	uint32_t        lc_failures;
};

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

// store__file_alloc makes a file record for fd (ownership of fd passes
// to the record on BB_OK only).
bb_err store__file_alloc(const store_fid *fid, bool replica, bool primary,
                         int fd, uint64_t committed, store__state state,
                         store__file **fp);

// store__file_free closes and frees f.  NULL is a no-op.
void store__file_free(store__file *f);

// store__file_get takes one more reference to f; store__file_put drops
// one, and the last frees f.
void store__file_get(store__file *f);
void store__file_put(store__file *f);

// store__file_remove deletes the file of f from disk (and its .gz, if
// any) and takes f out of the map of ns, dropping the map's reference;
// the caller's own reference stays its own.  Reads that dup'ed the
// descriptor before keep their bytes.  BB_OK also when f was removed
// already.  Thread-safe against replica operations (replica.c).
bb_err store__file_remove(store_ns *ns, store__file *f);

// store__file_info fills *info with what store_ns_foreach reports about
// f.  The map lock held (read or write).
void store__file_info(const store__file *f, store_file_info *info);

// store__file_state_name returns the original's name of the state of f
// (replicas name their delete states as the original's replicas did).
const char *store__file_state_name(const store__file *f);

// store__gz_name writes "<name>.gz", the compressed copy of f (20 bytes).
char *store__gz_name(const store__file *f, char *buf);

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

// store__map_covering returns the first file of ns whose committed range
// holds all of id, or NULL.  The map lock is held by the caller.
store__file *store__map_covering(store_ns *ns, const store_id *id);

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

// --- Work queues of files (workq.c). ---

typedef struct store__wq store__wq;

// What a worker does with a file it took; it owns the queue's reference
// from then on (queue it again, or drop it).
typedef void (*store__wq_fn)(void *arg, store__file *f);

// store__wq_new makes a queue served by at most max_workers threads that
// call fn(arg, file).  Caller owns *qp: store__wq_stop, store__wq_free.
bb_err store__wq_new(const char *name, uint32_t max_workers, store__wq_fn fn,
                     void *arg, store__wq **qp);

// store__wq_put queues f to run from monotonic time due_ns on, taking
// over the caller's reference; after stop, the reference is dropped.
void store__wq_put(store__wq *q, store__file *f, int64_t due_ns);

// store__wq_stop waits for the workers to finish what they run and drops
// the queued files' references.  Idempotent.
void store__wq_stop(store__wq *q);

// store__wq_free frees a stopped queue.  NULL is a no-op.
void store__wq_free(store__wq *q);

// store__wq_info reports the files queued, whether a worker is busy and
// (if oldest_ns is not NULL) the earliest lc_queued_ns of the queued
// files, 0 if none.
void store__wq_info(store__wq *q, size_t *queued, bool *busy,
                    int64_t *oldest_ns);

// --- The archive lifecycle (lifecycle.c). ---

// store__lc_enqueue hands the sealed file f of ns, in the state it was
// just given, to the queue of that state; the lifecycle takes its own
// reference.  A state without a queue is a no-op.
void store__lc_enqueue(store_lifecycle *lc, store_ns *ns, store__file *f);

// store__gzip compresses the size bytes of in (from offset 0) into out,
// which is empty, as one gzip member at zlib level (-1 default, 0 none,
// 1..9).  cancel becoming true stops it (BB_ESHUTDOWN).
bb_err store__gzip(int in, uint64_t size, int out, int level,
                   const atomic_bool *cancel);

// store__seal_next is the state a file enters when it is sealed with
// size bytes: compression or upload, or, for an empty file, removal
// (after its replicas').  Without a lifecycle, pending-upload: the file
// then stays, readable, until the next start.
store__state store__seal_next(const store_ns *ns, const store__file *f);

// store__ns_recover turns every data file found in the namespace
// directory into a sealed, readable file (spec 4, start-up recovery).
bb_err store__ns_recover(store_ns *ns, const char **errmsg);

#endif // STORAGE_STORAGE_IMPL_H
