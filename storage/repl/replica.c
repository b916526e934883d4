// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/repl/replica.c -- the replica side of replication: r-<fid> files
// that a peer's primary creates (Initialize), appends to at the expected
// offset (Replicate, idempotent for exact duplicates), keeps alive (HeartBeat)
// and removes (Delete); and the orphan timer that seals a replica whose
// primary went quiet.  Nothing here sends a request,
// and the archive of sealed replicas is not done here.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/fileio.h"
#include "storage/file.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"
#include "storage/remote.h"
#include "storage/repl/repl.h"

// A duplicate is compared through a bounded stack buffer, so a resent
// chunk of any size costs no allocation.
#define REPLICA_CMP_BUF (16 * 1024)

// replica_chosen says whether primary p chose this node (machine) as one
// of its replicas.  p->repl is set before p is in the map and constant
// after, so no lock is needed.
static bool
replica_chosen(const store__file *p, uint32_t machine)
{
	uint32_t i;

	for (i = 0; i < p->nrepl; i++) {
		if (p->repl[i] == machine) {
			return true;
		}
	}
	return false;
}

// What replica_rank looks at.
typedef struct {
	uint32_t machine; // this node's
	bool     own;     // the fid names this node
} replica_rank_arg;

// replica_rank decides, under the map's read lock, whether a replica may
// sit beside primary p (NULL: there is none).  Under the lock, because an
// expired empty primary is freed without waiting for references.
static bb_err
replica_rank(const store__file *p, void *arg)
{
	const replica_rank_arg *a = arg;

	// Only a live primary of this process that picked this node keeps
	// its own replica; any other r-<fid> beside <fid> could shadow it.
	if (p == NULL ||
	    (a->own && p->primary && replica_chosen(p, a->machine))) {
		return BB_OK;
	}
	return BB_EACCES;
}

bb_err
store_ns_replica_check(store_ns *ns, const store_fid *fid, char *why,
                       size_t whylen)
{
	char             name[STORE_FID_STRLEN + 1];
	replica_rank_arg a = { ns->machine, false };

	a.own = store_fid_machine(fid) == ns->machine;
	if (a.own && !ns->self_peer) {
		return bb_why(BB_EACCES, why, whylen,
		              "fid %s names this node's machine id %lu, which "
		              "is not its own peer",
		              store_fid_format(fid, name),
		              (unsigned long) ns->machine);
	}
	if (store__fidmap_peek(&ns->map, fid, false, replica_rank, &a) ==
	    BB_OK) {
		return BB_OK;
	}
	return bb_why(BB_EACCES, why, whylen,
	              "this node holds the primary %s: no replica of it",
	              store_fid_format(fid, name));
}

// replica_allowed is store_ns_replica_check without the reason.
static bb_err
replica_allowed(store_ns *ns, const store_fid *fid)
{
	char why[BB_WHY_LEN];

	return store_ns_replica_check(ns, fid, why, sizeof(why));
}

// replica_acquire finds the replica of fid and locks it.  Only records
// with replica set count: a node that is its own replica also holds the
// primary <fid>, which replica calls must never touch.  The reference
// taken under the map lock keeps f alive until it is locked even if a
// Delete removes it meanwhile (then gone is set: BB_ENOENT).  On BB_OK
// release with replica_release().
static bb_err
replica_acquire(store_ns *ns, const store_fid *fid, store__file **fp)
{
	store__file *f = store__fidmap_get(&ns->map, fid, true);

	if (f == NULL) {
		return BB_ENOENT;
	}
	(void) pthread_mutex_lock(&f->mu);
	if (f->gone) {
		(void) pthread_mutex_unlock(&f->mu);
		store__file_put(f);
		return BB_ENOENT;
	}
	*fp = f;
	return BB_OK;
}

static void
replica_release(store__file *f)
{
	(void) pthread_mutex_unlock(&f->mu);
	store__file_put(f);
}

// replica_heard restarts the orphan timer of f.  f locked.
static void
replica_heard(store__file *f)
{
	atomic_store(&f->heard_ns, bb_clock_mono_ns());
}

// replica_remove removes f: its files, and its record from the map.  f is
// acquired (locked, one reference) and released here, whatever happens;
// the life lock held.  Reads that dup'ed the descriptor before keep
// their bytes.  On an unlink error the replica stays as it was.
static bb_err
replica_remove(store_ns *ns, store__file *f)
{
	bb_err rv = store__file_remove_locked(ns, f);

	store__file_put(f); // ours
	return rv;
}

// replica_setup starts the orphan timer of a new replica.
static bb_err
replica_setup(store_ns *ns, store__file *f, void *arg)
{
	(void) ns;
	(void) arg;
	atomic_store(&f->heard_ns, bb_clock_mono_ns());
	return BB_OK;
}

bb_err
store_ns_replica_initialize(store_ns *ns, const store_fid *fid)
{
	store__file *f = NULL;
	bb_err       rv;

	store__file_life_lock();
	rv = replica_allowed(ns, fid);
	if (rv != BB_OK) {
		goto done;
	}
	rv = replica_acquire(ns, fid, &f);
	if (rv == BB_ENOENT) {
		rv = store__file_create(ns, fid, true, replica_setup, NULL,
		                        NULL);
		goto done;
	}
	// A resent Initialize finds its replica: fine whatever its length,
	// but only while it can still take appends.  A sealed one (orphaned,
	// or recovered at start-up) or a failed one cannot.
	if (atomic_load(&f->state) == STORE__WAITING) {
		replica_heard(f);
	} else {
		rv = BB_ESTATE;
	}
	replica_release(f);
done:
	store__file_life_unlock();
	store_metrics_op(ns->metrics, STORE_OP_REPLICA_INITIALIZE,
	                 rv == BB_OK);
	return rv;
}

// replica_append writes data at start, the length of f.  On a write error
// the file is truncated back (what was written is no acknowledged data,
// but the archive copies whole files) and f fails: its primary has to
// retire the file anyway, and a later append would leave a hole.  f
// locked.
static bb_err
replica_append(store_ns *ns, store__file *f, uint64_t start, const void *data,
               size_t len)
{
	char   name[STORE_FID_STRLEN + 3];
	bb_err rv;
	bb_err trv;

	if (len == 0) {
		return BB_OK;
	}
	atomic_store(&f->state, STORE__APPENDING);
	rv = store_io_write(f->fd, data, len, start);
	if (rv != BB_OK) {
		trv = store_io_truncate(f->fd, start);
		atomic_store(&f->state, STORE__FAILED);
		bb_log_warn("namespace %s: replica %s failed: write of %zu "
		            "bytes at %llu: %s%s%s",
		            ns->conf->name, store__file_name(f, name), len,
		            (unsigned long long) start, bb_strerror(rv),
		            trv != BB_OK ? "; truncate back: " : "",
		            trv != BB_OK ? bb_strerror(trv) : "");
		return rv;
	}
	atomic_store_explicit(&f->committed, start + len,
	                      memory_order_release);
	if (atomic_load(&f->first_insert_ns) == 0) {
		atomic_store(&f->first_insert_ns, bb_clock_wall_ns());
	}
	atomic_store(&f->state, STORE__WAITING);
	return BB_OK;
}

// replica_sync puts f on stable storage.  On an error f fails: what the
// kernel kept of its pages is unknown, so the primary must retire the
// file (its own copy is the one archived).  f locked.
static bb_err
replica_sync(store_ns *ns, store__file *f)
{
	char   name[STORE_FID_STRLEN + 3];
	bb_err rv = store__file_sync(ns, f);

	if (rv != BB_OK) {
		atomic_store(&f->state, STORE__FAILED);
		bb_log_warn("namespace %s: replica %s failed: fdatasync: %s",
		            ns->conf->name, store__file_name(f, name),
		            bb_strerror(rv));
	}
	return rv;
}

// replica_compare answers BB_OK when data[0..len) equals the bytes at
// start of file fd (of a replica: a resent Replicate already applied),
// BB_ERANGE when they differ, BB_ESHORT when the file ends first.
static bb_err
replica_compare(int fd, uint64_t start, const void *data, size_t len)
{
	unsigned char  buf[REPLICA_CMP_BUF];
	const uint8_t *p = data;
	size_t         off;
	size_t         n;
	bb_err         rv;

	for (off = 0; off < len; off += n) {
		n  = len - off < sizeof(buf) ? len - off : sizeof(buf);
		rv = store_io_read(fd, buf, n, start + off);
		if (rv != BB_OK) {
			return rv;
		}
		if (memcmp(buf, p + off, n) != 0) {
			return BB_ERANGE;
		}
	}
	return BB_OK;
}

// replica_dup_primary duplicates the descriptor of primary p into *arg
// (an int), under the map's read lock.  BB_ENOENT without a primary.
static bb_err
replica_dup_primary(const store__file *p, void *arg)
{
	int *fdp = arg;

	if (p == NULL) {
		return BB_ENOENT;
	}
	*fdp = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	return *fdp < 0 ? bb_err_from_errno(errno) : BB_OK;
}

// replica_own_bytes checks a Replicate into a node's own replica: the
// primary wrote these bytes at start before it replicates them, so they
// must be there.  A caller that passes for this node (a process of the
// same host, on its address) can then put no other bytes into r-<fid>.
// BB_OK for a fid of another machine; else BB_EACCES unless the primary
// holds exactly data at start.
static bb_err
replica_own_bytes(store_ns *ns, const store_fid *fid, uint64_t start,
                  const void *data, size_t len)
{
	int    fd = -1;
	bb_err rv;

	if (store_fid_machine(fid) != ns->machine) {
		return BB_OK;
	}
	rv =
	    store__fidmap_peek(&ns->map, fid, false, replica_dup_primary, &fd);
	if (rv == BB_OK) {
		rv = replica_compare(fd, start, data, len);
		(void) close(fd);
	}
	return rv == BB_OK ? BB_OK : BB_EACCES;
}

bb_err
store_ns_replica_replicate(store_ns *ns, const store_fid *fid, uint64_t start,
                           const void *data, size_t len, uint64_t hash,
                           bool sync, uint64_t *offsetp)
{
	store__file *f = NULL;
	uint64_t     length;
	bb_err       rv;

	// The hash first, outside any lock: corrupt bytes change nothing.
	if (store_hash(data, len) != hash) {
		rv = BB_ECORRUPT;
		goto out;
	}
	rv = replica_allowed(ns, fid);
	if (rv == BB_OK) {
		rv = replica_own_bytes(ns, fid, start, data, len);
	}
	if (rv != BB_OK) {
		goto out;
	}
	rv = replica_acquire(ns, fid, &f);
	if (rv != BB_OK) {
		goto out;
	}
	if (atomic_load(&f->state) != STORE__WAITING) {
		rv = BB_ESTATE;
		goto done;
	}
	// Calls on f are serialised by its mu: committed is its length.
	length = atomic_load_explicit(&f->committed, memory_order_relaxed);
	if (start == length) {
		rv = replica_append(ns, f, start, data, len);
	} else if (start < length && len <= length - start) {
		rv = replica_compare(f->fd, start, data, len);
	} else {
		rv = BB_ERANGE; // a gap, or an overlap that runs past the end
	}
	if (rv == BB_OK && sync) {
		rv = replica_sync(ns, f);
	}
	if (rv == BB_OK) {
		replica_heard(f);
		length =
		    atomic_load_explicit(&f->committed, memory_order_relaxed);
	}
done:
	replica_release(f);
	if (rv == BB_OK) {
		*offsetp = length;
	}
out:
	store_metrics_op(ns->metrics, STORE_OP_REPLICA_REPLICATE, rv == BB_OK);
	return rv;
}

bb_err
store_ns_replica_heartbeat(store_ns *ns, const store_fid *fid)
{
	store__file *f = NULL;
	bb_err       rv;

	rv = replica_allowed(ns, fid);
	if (rv == BB_OK) {
		rv = replica_acquire(ns, fid, &f);
	}
	if (rv == BB_OK) {
		if (atomic_load(&f->state) == STORE__WAITING) {
			replica_heard(f);
		} else {
			rv = BB_ESTATE;
		}
		replica_release(f);
	}
	store_metrics_op(ns->metrics, STORE_OP_REPLICA_HEARTBEAT, rv == BB_OK);
	return rv;
}

// replica_sealed says whether f takes no more appends and is (or will
// be) in the archive lifecycle.  f locked.
static bool
replica_sealed(store__file *f)
{
	int s = atomic_load(&f->state);

	return s != STORE__WAITING && s != STORE__APPENDING &&
	    s != STORE__FAILED;
}

bb_err
store_ns_replica_delete(store_ns *ns, const store_fid *fid)
{
	store__file *f = NULL;
	bb_err       rv;

	store__file_life_lock();
	rv = replica_allowed(ns, fid);
	if (rv == BB_OK) {
		rv = replica_acquire(ns, fid, &f);
	}
	if (rv == BB_OK && ns->lifecycle != NULL && replica_sealed(f)) {
		// In the archive lifecycle: the lifecycle removes it (at
		// once, or after the step in progress) instead of archiving.
		atomic_store(&f->delete_requested, true);
		replica_release(f);
	} else if (rv == BB_OK) {
		rv = replica_remove(ns, f);
	} else if (rv == BB_ENOENT) {
		rv = BB_OK; // a resent Delete, or one for a replica never made
	}
	store__file_life_unlock();
	store_metrics_op(ns->metrics, STORE_OP_REPLICA_QUEUEDELETE,
	                 rv == BB_OK);
	return rv;
}

// replica_orphaned says whether f is a replica whose primary has been
// silent for timeout_ns at now_ns, in a state where that matters.
static bool
replica_orphaned(store__file *f, int64_t now_ns, int64_t timeout_ns)
{
	int state;

	if (!f->replica) {
		return false;
	}
	state = atomic_load(&f->state);
	if (state != STORE__WAITING && state != STORE__FAILED) {
		return false;
	}
	return now_ns - atomic_load(&f->heard_ns) >= timeout_ns;
}

// replica_orphan seals f, or removes it when empty, if it is (still)
// orphaned.  Takes over the caller's reference to f.
static void
replica_orphan(store_ns *ns, store__file *f, int64_t now_ns,
               int64_t timeout_ns)
{
	char     name[STORE_FID_STRLEN + 3];
	uint64_t size;
	int64_t  silent_s;

	store__file_life_lock();
	(void) pthread_mutex_lock(&f->mu);
	// Re-check under the lock: a call may have come in since.
	if (f->gone || !replica_orphaned(f, now_ns, timeout_ns)) {
		replica_release(f);
		goto done;
	}
	(void) store__file_name(f, name);
	size     = atomic_load(&f->committed);
	silent_s = (now_ns - atomic_load(&f->heard_ns)) / BB_NS_PER_SEC;
	// Counted whether it is sealed for the archive or, empty, removed.
	store_metrics_add(ns->metrics, STORE_CTR_REPLICAS_ORPHANED, 1);
	if (size == 0) {
		bb_log_warn("namespace %s: replica %s (%s) orphaned, no word "
		            "from its primary for %llds; empty, removed",
		            ns->conf->name, name,
		            store__state_name(atomic_load(&f->state)),
		            (long long) silent_s);
		(void) replica_remove(ns, f);
		goto done;
	}
	bb_log_warn("namespace %s: replica %s (%s) orphaned, no word from "
	            "its primary for %llds; sealed with %llu bytes",
	            ns->conf->name, name,
	            store__state_name(atomic_load(&f->state)),
	            (long long) silent_s, (unsigned long long) size);
	atomic_store(&f->state, store__seal_next(ns, f));
	store__lc_enqueue(ns->lifecycle, ns, f);
	replica_release(f);
done:
	store__file_life_unlock();
}

// The times replica_orphan_pick compares with.
typedef struct {
	int64_t now_ns;
	int64_t timeout_ns;
} replica_clock;

static bool
replica_orphan_pick(store__file *f, void *arg)
{
	const replica_clock *c = arg;

	return replica_orphaned(f, c->now_ns, c->timeout_ns);
}

void
store__replica_tick(store_ns *ns, int64_t now_ns)
{
	replica_clock c = { now_ns, ns->conf->orphan_timeout_ns };
	store__file **v = NULL;
	size_t        n = 0;
	size_t        i;

	if (c.timeout_ns <= 0) {
		return;
	}
	// Collect the candidates under the read lock, each with a
	// reference, and act on them after it: sealing or removing takes a
	// replica's mu, which may be held by a long write.  Out of memory:
	// try again next tick.
	if (store__fidmap_collect(&ns->map, replica_orphan_pick, &c, &v, &n) !=
	    BB_OK) {
		// The next tick tries again.
		bb_log_warn(
		    "namespace %s: orphan check skipped: out of memory",
		    ns->conf->name);
		return;
	}
	for (i = 0; i < n; i++) {
		// replica_orphan takes over the reference collect took.
		replica_orphan(ns, v[i], now_ns, c.timeout_ns);
	}
	free(v);
}
