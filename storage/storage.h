// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/storage.h -- the storage module: namespaces, their primary
// files, inserts and local reads.  An insert appends a spooled body to an
// idle primary and returns the id; a read names a range inside a file's
// committed length.  There is no per-object index: the id is the index.
// The replica side of replication (what the RPC server calls) and reads
// from the archive are here too; the archive itself, the lifecycle, the
// counters and the spool have their own headers.
#ifndef STORAGE_STORAGE_H
#define STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"
#include "storage/id.h"
#include "storage/idsign.h"
#include "storage/remote.h"

typedef struct store    store;
typedef struct store_ns store_ns;

// Types the prototypes below only pass by pointer: their functions are in
// storage/archive/archive.h, storage/lifecycle/lifecycle.h,
// storage/metrics.h and storage/spool.h; include those where they are used.
typedef struct store_archive    store_archive;
typedef struct store_archive_rd store_archive_rd;
typedef struct store_lifecycle  store_lifecycle;
typedef struct store_metrics    store_metrics;
typedef struct store_spool      store_spool;

// What store_ns_foreach reports about one file.
typedef struct store_file_info {
	store_fid   fid;
	bool        replica; // named r-<fid>
	bool        primary; // created by this process for appends
	const char *state;   // the original's state name; static
	uint64_t    size;    // committed bytes
	int64_t     first_insert_wall_ns; // 0 if never written
	// A primary's replicas: the machine ids of the peers holding them
	// (nrepl 0 without replicas, and for every file not a primary).
	uint32_t repl[STORE_MAX_REPLICAS];
	uint32_t nrepl;
} store_file_info;

// store_conf_check checks, for every namespace of conf, what store_open
// would refuse only once it has opened the namespaces before it: S3
// credentials, s3_key_format, id_key_file (read, then freed).  It
// creates, recovers and archives nothing, so that a bad file stops the
// node before it touches its data.  On error why[0..whylen) names the
// namespace and the file; BB_ECONFIG, or the error reading a file.
bb_err store_conf_check(const bb_conf *conf, char *why, size_t whylen);

// store_open opens every namespace of conf: its archive (S3 or a
// directory), its directory (created if missing), the files found in it
// (recovered, and archived) and min_open_files primaries; then starts
// the timer thread (sealing, heart beats, orphans).  Sealed files go
// through the archive lifecycle.
// remotes reaches the peers (NULL when there are none).  conf and remotes
// are borrowed and must outlive the store.  On BB_OK the caller owns *sp;
// release with store_close().  On error why[0..whylen) gets the reason,
// naming the namespace, when there is one to give (left as it was
// otherwise: callers start it empty and fall back to bb_strerror).
bb_err store_open(const bb_conf *conf, const store_remotes *remotes,
                  store **sp, char *why, size_t whylen);

// store_quiesce stops the timer thread (and so every call it makes to
// peers: heart beats, new primaries), waiting for the tick in progress.
// Inserts and reads still work.  Idempotent; store_close calls it too.
void store_quiesce(store *s);

// store_close stops the timer thread and closes every namespace.  No
// insert or read may be running.  NULL is a no-op.
void store_close(store *s);

// store_get_lifecycle returns the archive lifecycle of the store (for
// its counters).  Borrowed; valid until store_close().
store_lifecycle *store_get_lifecycle(store *s);

// store_find_ns returns the namespace called name[0..len), or NULL.
// Borrowed; valid until store_close().  Thread-safe.
store_ns *store_find_ns(store *s, const char *name, size_t len);

// What a namespace works with besides its configuration; all borrowed,
// and each must outlive the namespace.
typedef struct store_ns_env {
	uint32_t             machine_id; // put in new fids
	const store_remotes *remotes;    // the peers; NULL if none
	// A [remote.<id>] names machine_id: the node may hold replicas of
	// its own fids (a node that is its own replica).
	bool             self_peer;
	store_archive   *archive;   // NULL: sealed files stay local
	store_lifecycle *lifecycle; // NULL: sealed files stay local
} store_ns_env;

// store_ns_open opens one namespace (what store_open does for each):
// directory, recovery, minimum primaries.  Sealed and recovered files go
// to env->lifecycle and are archived in env->archive (both needed for
// that), and reads can fall back to the archive.  conf and env's members
// are borrowed and must outlive the namespace (env itself need not).  On
// BB_OK the caller owns *nsp; release with store_ns_close().  On error
// why[0..whylen) gets the reason, naming the namespace, when there is one
// to give (as store_open).
bb_err store_ns_open(const bb_ns_conf *conf, const store_ns_env *env,
                     store_ns **nsp, char *why, size_t whylen);

// store_ns_close closes all files of ns and frees it.  NULL is a no-op.
void store_ns_close(store_ns *ns);

// store_ns_conf returns the configuration of ns.  Borrowed.
const bb_ns_conf *store_ns_conf(const store_ns *ns);

// store_ns_id_format writes the text of id as ns gives it out (signed
// when ns has id_key_file, see idsign.h) and a NUL into buf, which must
// hold STORE_ID_TEXT_MAX + 1 bytes.  Returns the number of characters, 0
// if signing failed.
size_t store_ns_id_format(const store_ns *ns, const store_id *id, char *buf);

// store_ns_id_parse parses an id of ns from s[0..n): BB_OK with *id set;
// BB_EINVAL when s is not an id; with signed ids, BB_ENOENT for one
// whose tag is missing or does not verify (answer it as an id that names
// nothing).
bb_err store_ns_id_parse(const store_ns *ns, const char *s, size_t n,
                         store_id *id);

// store_ns_signs_ids says whether ns gives out signed ids.
bool store_ns_signs_ids(const store_ns *ns);

// store_ns_spool starts a body for an insert into ns, limited to the
// namespace's max_blob_size (BB_ETOOBIG if expected is already above it).
// expected is the announced length or UINT64_MAX.  Caller owns *sp; free
// with store_spool_free().  Thread-safe.
bb_err store_ns_spool(store_ns *ns, uint64_t expected, store_spool **sp);

// store_ns_insert appends the whole body to an idle primary and commits
// it; on BB_OK *id names the bytes.  body is borrowed.  Waits at most
// STORE_INSERT_WAIT_NS in all for an idle primary (BB_EBUSY after that),
// its retry on another primary included.  On any failure the primary is
// truncated back: nothing half-written is ever readable.  Thread-safe;
// inserts run in parallel up to max_open_files.
bb_err store_ns_insert(store_ns *ns, store_spool *body, store_id *id);

#define STORE_INSERT_WAIT_NS (INT64_C(10) * 1000000000)

// store_insert_done receives the outcome of an insert started with
// store_ns_insert_start: rv as store_ns_insert's, and on BB_OK the id
// (borrowed for the call).  It must not block: it runs on a storage thread
// or, for an insert that ends at once, on the starting thread before
// store_ns_insert_start returns.
typedef void (*store_insert_done)(void *arg, bb_err rv, const store_id *id);

// store_ns_insert_start is store_ns_insert without waiting: done(arg, ...)
// is called exactly once with the outcome.  body is borrowed until then.
// Thread-safe.
void store_ns_insert_start(store_ns *ns, store_spool *body,
                           store_insert_done done, void *arg);

// store_ns_read finds id in the local files of ns.  On BB_OK *fdp is a new
// descriptor for the file (the caller owns it and closes it) and *offp
// the offset of the first byte; the file holds at least id->length bytes
// from there.  BB_ENOENT if no local file holds the whole range (unknown
// file, or beyond its committed length).  Thread-safe.
bb_err store_ns_read(store_ns *ns, const store_id *id, int *fdp,
                     uint64_t *offp);

// store_ns_read_copy reads the bytes of id from a local file of ns into
// buf (id->length bytes).  Local only, like store_ns_read: it serves the
// Read RPC.  BB_ENOENT if no local file holds the whole range.
bb_err store_ns_read_copy(store_ns *ns, const store_id *id, void *buf);

// store_ns_read_archive starts reading the bytes of id from the archive
// of ns (after the local files and the owner missed).  On BB_OK the
// caller owns *rdp (store_archive_rd_close): a file-backed reader (serve
// its fd) or a transfer that delivers exactly id->length bytes.  BB_ENOENT
// if the namespace has no archive or the archive has no such range;
// BB_ENOTSUP if the namespace compresses its objects (gzip streams cannot
// be read by range); other errors if the archive cannot be asked.
bb_err store_ns_read_archive(store_ns *ns, const store_id *id,
                             store_archive_rd **rdp);

// store_ns_read_archive_copy reads the bytes of id from the archive of ns
// into buf (id->length bytes), for the owner's Read RPC: a node that
// archives to a directory of its own is the only one that can reach it.
// Errors as store_ns_read_archive; BB_ESHORT if the transfer ends early.
bb_err store_ns_read_archive_copy(store_ns *ns, const store_id *id, void *buf);

// store_ns_archive_key writes the object key of fid in ns (s3_base_path
// joined with s3_key_format, as the original) into buf.  BB_ETOOBIG if it
// does not fit.
bb_err store_ns_archive_key(const store_ns *ns, const store_fid *fid,
                            char *buf, size_t len);

// --- Replica side: what the RPC server calls for a peer's primary. ---
//
// Copies are ranked: a node never holds a replica r-<fid> that could
// shadow a primary.  Every call below first applies
// store_ns_replica_check and fails with its BB_EACCES.

// store_ns_replica_check says whether ns may hold a replica of fid: not
// when fid names this node's own machine id and the node is not its own
// peer (no [remote.<id>] with its id), nor when ns holds the primary
// <fid>, unless that is a primary of this process that chose this node
// as one of its replicas (a node that is its own replica).  BB_OK, or
// BB_EACCES with a one-line reason in why[0..whylen) (common/err.h).
// Thread-safe.
bb_err store_ns_replica_check(store_ns *ns, const store_fid *fid, char *why,
                              size_t whylen);

// store_ns_replica_initialize creates the empty replica file r-<fid>
// (state waiting) and starts its orphan timer.  Idempotent: if a replica
// of fid exists already, BB_OK.  Errors: BB_EACCES (see
// store_ns_replica_check), BB_ESTATE the replica is sealed or failed,
// file system errors.
bb_err store_ns_replica_initialize(store_ns *ns, const store_fid *fid);

// store_ns_replica_replicate appends data[0..len) at offset start of the
// replica of fid, after checking that store_hash(data) == hash, puts the
// file on stable storage when sync is set, and restarts its orphan timer.  An
// exact duplicate of a range already applied (same offset, same bytes, which
// are read back and compared) answers BB_OK without writing: NNG may deliver a
// request twice.  On BB_OK *offsetp is the replica's length.  Errors:
// BB_EACCES (see store_ns_replica_check; and, for a replica of this node's own
// fid, data is not what its primary holds at start); BB_ENOENT no such
// replica; BB_ESTATE the replica takes no more writes (sealed, failed);
// BB_ERANGE start is not the replica's length (a gap, or an overlap with
// different bytes); BB_ECORRUPT the hash does not match (nothing kept);
// file errors (the replica is truncated back and marked failed).
bb_err store_ns_replica_replicate(store_ns *ns, const store_fid *fid,
                                  uint64_t start, const void *data, size_t len,
                                  uint64_t hash, bool sync, uint64_t *offsetp);

// store_ns_replica_heartbeat restarts the orphan timer of the replica of
// fid.  BB_EACCES (store_ns_replica_check); BB_ENOENT unknown; BB_ESTATE
// the replica is sealed or failed.
bb_err store_ns_replica_heartbeat(store_ns *ns, const store_fid *fid);

// store_ns_replica_delete removes the replica of fid and its file.
// Idempotent: an unknown replica answers BB_OK.  BB_EACCES
// (store_ns_replica_check) leaves everything as it was.
bb_err store_ns_replica_delete(store_ns *ns, const store_fid *fid);

// store_ns_tick does the timed work of ns at monotonic time now_ns: seals
// idle primaries older than upload_older and opens primaries up to
// min_open_files.  The store's timer thread calls it every second; tests
// call it directly.
void store_ns_tick(store_ns *ns, int64_t now_ns);

// store_ns_foreach calls fn for every file of ns, in no set order, under
// the namespace's read lock: fn must not call back into ns.
void store_ns_foreach(store_ns *ns,
                      void (*fn)(const store_file_info *info, void *arg),
                      void *arg);

// --- What operators see (ns_admin.c): health, counters, ages. ---

// store_ns_metrics returns the counters of ns, for the gateway to count
// reads in and to render.  Borrowed; valid until store_ns_close().
store_metrics *store_ns_metrics(store_ns *ns);

// store_ns_health says whether ns can take inserts: false when its last
// attempts to create a primary failed (no success since), for example
// because its replicas are not reachable.  If why is not NULL it gets the
// reasons, one per line, each ending in a newline ("" when healthy),
// truncated to len.  Thread-safe.
bool store_ns_health(store_ns *ns, char *why, size_t len);

// STORE_UPLOAD_TROUBLE is how many uploads of a namespace must fail in a
// row before store_ns_archive_trouble reports them: one failure is often
// a blip, three span several seconds of the retry schedule.
#define STORE_UPLOAD_TROUBLE 3

// store_ns_archive_trouble says whether the last STORE_UPLOAD_TROUBLE or
// more uploads of ns failed in a row (none succeeded since).  If so and
// why is not NULL, why gets "uploads failing (N in a row, last error:
// REASON)", one line without a newline, truncated to len.  It says
// nothing about reads or inserts, which go on: the files stay on disk.
// Thread-safe.
bool store_ns_archive_trouble(store_ns *ns, char *why, size_t len);

// store_ns_ages reports, at the current time, how long the oldest file
// of ns has been queued for upload (*queued_ns: pending-upload or
// uploading, primaries and replicas) and how old the oldest first insert
// of a primary still on disk is (*unuploaded_ns); 0 when there is none.
// Thread-safe.
void store_ns_ages(store_ns *ns, int64_t *queued_ns, int64_t *unuploaded_ns);

// store_ns_locate says which local file of ns would serve id now: on
// BB_OK *info describes it (the first file whose committed range covers
// the whole id, as store_ns_read picks).  BB_ENOENT if none does.
bb_err store_ns_locate(store_ns *ns, const store_id *id,
                       store_file_info *info);

#endif // STORAGE_STORAGE_H
