// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/file.h -- the record of one data file (<fid> or r-<fid>), its
// states and its reference counting: the engine's type that repl/ and
// lifecycle/ share with it.  Private to storage/ and its folders; the
// namespace, its map and its pool are in ns_impl.h and fidmap.h.
#ifndef STORAGE_FILE_H
#define STORAGE_FILE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/id.h"
#include "storage/remote.h"
#include "storage/storage.h"

// States of a data file: the original's.  The numbering is
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
	// Its directory entry is on stable storage (store__file_sync): only
	// its writer (the committer holding the primary, or a replica's
	// call under mu) touches it.
	bool         dir_synced;
	store__file *hnext;     // private to fidmap.c: the bucket chain
	store__file *idle_next; // idle list
	// Primaries with replicas: the machine ids, set before the file is
	// in the idle list and constant after; the heart beat schedule; and
	// whether a replica failed a heart beat (the file then retires).
	uint32_t        repl[STORE_MAX_REPLICAS];
	uint32_t        nrepl;
	atomic_bool     unhealthy;
	_Atomic int64_t next_hb_ns; // monotonic

	// refs counts the map's reference (1 from store__file_new) plus
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

// store__file_new makes a file record for fd (ownership of fd passes
// to the record on BB_OK only).
bb_err store__file_new(const store_fid *fid, bool replica, bool primary,
                       int fd, uint64_t committed, store__state state,
                       store__file **fp);

// store__file_free closes and frees f.  NULL is a no-op.
void store__file_free(store__file *f);

// store__file_get takes one more reference to f; store__file_put drops
// one, and the last frees f.
void store__file_get(store__file *f);
void store__file_put(store__file *f);

// store__file_setup prepares a new record before store__file_create puts
// it into the map, where reads, the timer and peers' calls can find it:
// a primary gets its replicas here, a replica its orphan timer.  An error
// undoes the creation.
typedef bb_err (*store__file_setup)(store_ns *ns, store__file *f, void *arg);

// store__file_create makes the empty file <fid> (a primary) or r-<fid> (a
// replica, replica true) in the directory of ns, exclusively, with its
// record in state waiting; calls setup(ns, f, arg); and adds the record
// to the map, which owns it.  On BB_OK *fp (if not NULL) is the record,
// borrowed from the map.  On error nothing is left: no record, no file.
// BB_EEXIST when the name exists (a primary retries with another fid).
// Replicas are created under store__file_life_lock.
bb_err store__file_create(store_ns *ns, const store_fid *fid, bool replica,
                          store__file_setup setup, void *arg,
                          store__file **fp);

// store__file_life_lock and store__file_life_unlock serialise creating
// replica records and removing any record (datafile.c).  Lock order:
// this lock, a file's mu, the map lock.
void store__file_life_lock(void);
void store__file_life_unlock(void);

// store__file_remove_locked is store__file_remove for a caller that holds
// store__file_life_lock and f->mu, with f not gone: it unlocks f->mu
// whatever happens.  On an unlink error f stays as it was.
bb_err store__file_remove_locked(store_ns *ns, store__file *f);

// store__file_remove deletes the file of f from disk (and its .gz, if
// any) and takes f out of the map of ns, dropping the map's reference;
// the caller's own reference stays its own.  Reads that dup'ed the
// descriptor before keep their bytes.  BB_OK also when f was removed
// already.  Counted in the namespace's file_deletion and primary_ or
// replica_delete.  Thread-safe against replica operations (replica.c):
// takes store__file_life_lock and f->mu.
bb_err store__file_remove(store_ns *ns, store__file *f);

// store__file_drop removes an expired empty primary that only the caller
// knows (taken off the pool's idle list): out of the map, its file
// unlinked (counted as store__file_remove counts), the map's reference
// dropped: the record is freed then, or by the last heart beat still
// queued for it (repl/beats.c).  The record goes even when the unlink
// fails.
void store__file_drop(store_ns *ns, store__file *f);

// store__file_drop_name unlinks the data file of f and nothing else: for
// an empty primary at close, whose record the map's teardown frees.
void store__file_drop_name(store_ns *ns, const store__file *f);

// store__file_info fills *info with what store_ns_foreach reports about
// f.  The map lock held (read or write).
void store__file_info(const store__file *f, store_file_info *info);

// store__file_sync puts the data of f on stable storage, and the first
// time also the directory entry of its new file (a file that is not in
// its directory after a power loss is lost with its data).  By f's
// writer only.  An error is the system's: treat the data as lost.
bb_err store__file_sync(store_ns *ns, store__file *f);

// store__file_state_name returns the original's name of the state of f
// (replicas name their delete states as the original's replicas did).
const char *store__file_state_name(const store__file *f);

// store__gz_name writes "<name>.gz", the compressed copy of f (20 bytes).
char *store__gz_name(const store__file *f, char *buf);

// store__file_name writes "<fid>" or "r-<fid>" into buf (17 bytes).
char *store__file_name(const store__file *f, char *buf);

// store__state_name returns the original's name of a state.
const char *store__state_name(store__state s);

#endif // STORAGE_FILE_H
