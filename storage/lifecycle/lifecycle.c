// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/lifecycle.c -- the steps of the archive lifecycle and the
// transitions between them:
//
//   pending-compression -> compressing -> pending-upload
//   pending-upload -> uploading -> pending-delete-compressed (compress)
//                               |  pending-delete-remotes (replicas)
//                               |  delete-delay (delay_delete)
//                               |  pending-delete-local
//   pending-delete-compressed -> deleting-compressed -> ...
//   pending-delete-remotes -> deleting-remotes -> delete-delay | ...
//   delete-delay, pending-delete-local -> deleting-local -> complete
//
// A failed step goes back to its pending state and is retried after a
// backoff; nothing is deleted before the upload is verified.  An upload
// the archive refuses as a conflict (it holds other bytes under the key,
// neither copy a prefix of the other) is an error for the operator: it
// is logged as one and counted (archive_conflicts), the local file stays
// pending-upload (visible in /_status) and is retried with the same
// backoff, in case the object is removed or replaced meanwhile.  A sealed
// replica whose primary asked for its removal (the primary archived the
// data) skips compression and upload.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/archive/archive.h"
#include "storage/file.h"
#include "storage/lifecycle/backoff.h"
#include "storage/lifecycle/gzip.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/lifecycle/workq.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"
#include "storage/repl/repl.h"

enum { LC_COMPRESS, LC_UPLOAD, LC_REMOTES, LC_LOCAL, LC_NQ };

struct store_lifecycle {
	store_lifecycle_conf conf;
	store__wq           *q[LC_NQ];
	atomic_bool          cancel; // stop: abandon transfers
	atomic_size_t        owned; // files the lifecycle holds a reference to
	pthread_mutex_t      seed_mu;
	uint64_t             seed;
	_Atomic uint64_t     uploads, uploads_existing, upload_failures;
	_Atomic uint64_t     upload_conflicts;
	_Atomic uint64_t uploaded_bytes, compressions, compression_failures;
	_Atomic uint64_t remote_deletes, remote_delete_failures;
	_Atomic uint64_t local_deletes, local_delete_failures;
};

// lc_queue is the queue that serves state s, or -1.
static int
lc_queue(int s)
{
	switch (s) {
	case STORE__PENDING_COMPRESSION:
		return LC_COMPRESS;
	case STORE__PENDING_UPLOAD:
		return LC_UPLOAD;
	case STORE__PENDING_DELETE_REMOTES:
		return LC_REMOTES;
	case STORE__PENDING_DELETE_COMPRESSED:
	case STORE__DELETE_DELAY:
	case STORE__PENDING_DELETE_LOCAL:
		return LC_LOCAL;
	default:
		return -1;
	}
}

// lc_after_remotes: the local file goes now, or after delay_delete for a
// primary's own file (the delay gives local reads time; replicas are
// removed at once, as in the original).
static int
lc_after_remotes(const store_ns *ns, const store__file *f)
{
	if (!f->replica && ns->conf->delay_delete_ns > 0) {
		return STORE__DELETE_DELAY;
	}
	return STORE__PENDING_DELETE_LOCAL;
}

static int
lc_after_gz(const store_ns *ns, const store__file *f)
{
	if (f->primary && f->nrepl > 0) {
		return STORE__PENDING_DELETE_REMOTES;
	}
	return lc_after_remotes(ns, f);
}

int
store__seal_next(const store_ns *ns, const store__file *f)
{
	if (ns->lifecycle == NULL) {
		return STORE__PENDING_UPLOAD;
	}
	if (atomic_load(&f->committed) == 0) {
		return f->primary && f->nrepl > 0
		    ? STORE__PENDING_DELETE_REMOTES
		    : STORE__PENDING_DELETE_LOCAL;
	}
	return ns->conf->compress ? STORE__PENDING_COMPRESSION
	                          : STORE__PENDING_UPLOAD;
}

// lc_release drops the lifecycle's reference to f.
static void
lc_release(store_lifecycle *lc, store__file *f)
{
	atomic_fetch_sub(&lc->owned, 1);
	store__file_put(f);
}

// lc_move puts f into state next and the queue of that state (the
// reference goes with it), or drops the reference when it is complete.
// Only delete-delay waits: for delay_delete.
static void
lc_move(store_lifecycle *lc, store__file *f, int next)
{
	int64_t now = bb_clock_mono_ns();
	int     qi  = lc_queue(next);
	char    name[STORE_FID_STRLEN + 3];

	atomic_store(&f->state, next);
	bb_log_debug("namespace %s: %s is %s", f->lc_ns->conf->name,
	             store__file_name(f, name), store__file_state_name(f));
	f->lc_failures  = 0;
	f->lc_queued_ns = now;
	if (qi < 0) {
		lc_release(lc, f);
		return;
	}
	store__wq_put(lc->q[qi], f,
	              next == STORE__DELETE_DELAY
	                  ? now + f->lc_ns->conf->delay_delete_ns
	                  : now);
}

void
store__lc_enqueue(store_lifecycle *lc, store_ns *ns, store__file *f)
{
	int s = atomic_load(&f->state);

	if (lc == NULL || lc_queue(s) < 0) {
		return;
	}
	f->lc_ns = ns;
	store__file_get(f);
	atomic_fetch_add(&lc->owned, 1);
	lc_move(lc, f, s);
}

// lc_retry puts f back into its pending state after a failed step, due
// after the backoff, and logs it at level.
static void
lc_retry(store_lifecycle *lc, store__file *f, int pending, const char *what,
         const char *why, bb_log_level level)
{
	store_ns *ns = f->lc_ns;
	char      name[STORE_FID_STRLEN + 3];
	int64_t   delay;
	int       qi = lc_queue(pending);

	f->lc_failures++;
	(void) pthread_mutex_lock(&lc->seed_mu);
	delay = store_backoff(f->lc_failures, lc->conf.retry_initial_ns,
	                      lc->conf.retry_max_ns, &lc->seed);
	(void) pthread_mutex_unlock(&lc->seed_mu);
	if (!atomic_load(&lc->cancel)) {
		bb_log(level,
		       "namespace %s: %s of %s failed (%u in a row): %s; "
		       "next try in %.1fs",
		       ns->conf->name, what, store__file_name(f, name),
		       f->lc_failures, why, (double) delay / 1e9);
	}
	atomic_store(&f->state, pending);
	store__wq_put(lc->q[qi], f, bb_clock_mono_ns() + delay);
}

// lc_skip_archive: a sealed replica whose primary has archived the file
// is removed without archiving it again.
static bool
lc_skip_archive(store_lifecycle *lc, store__file *f)
{
	char name[STORE_FID_STRLEN + 3];

	if (!f->replica || !atomic_load(&f->delete_requested)) {
		return false;
	}
	bb_log_info("namespace %s: %s: its primary archived it; removing",
	            f->lc_ns->conf->name, store__file_name(f, name));
	lc_move(lc, f,
	        f->lc_ns->conf->compress ? STORE__PENDING_DELETE_COMPRESSED
	                                 : STORE__PENDING_DELETE_LOCAL);
	return true;
}

static void
lc_compress(store_lifecycle *lc, store__file *f)
{
	store_ns *ns = f->lc_ns;
	char      gz[STORE_FID_STRLEN + 8];
	char      why[128];
	int       level = store__gzip_level(ns->conf->compress_level);
	int       fd;
	bb_err    rv;

	if (lc_skip_archive(lc, f)) {
		return;
	}
	atomic_store(&f->state, STORE__COMPRESSING);
	(void) store__gz_name(f, gz);
	fd = openat(ns->dirfd, gz, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	            0640);
	if (fd < 0) {
		rv = bb_err_from_errno(errno);
	} else {
		rv = store__gzip(f->fd, atomic_load(&f->committed), fd, level,
		                 &lc->cancel);
		(void) close(fd);
	}
	if (rv != BB_OK) {
		atomic_fetch_add(&lc->compression_failures, 1);
		(void) snprintf(why, sizeof(why), "%s", bb_strerror(rv));
		lc_retry(lc, f, STORE__PENDING_COMPRESSION, "compression", why,
		         BB_LOG_WARN);
		return;
	}
	atomic_fetch_add(&lc->compressions, 1);
	lc_move(lc, f, STORE__PENDING_UPLOAD);
}

// lc_count_upload counts one upload attempt of f in its namespace:
// primary_upload_* for the primaries made here, replica_upload_* for the
// rest (replicas, and files recovered at start-up, as the original).
static void
lc_count_upload(store__file *f, bool ok)
{
	store_metrics_op(f->lc_ns->metrics,
	                 f->primary ? STORE_OP_PRIMARY_UPLOAD
	                            : STORE_OP_REPLICA_UPLOAD,
	                 ok);
}

// lc_source opens what is uploaded: the .gz copy or the file itself.
// *fdp is a new descriptor the caller closes.
static bb_err
lc_source(store__file *f, int *fdp, uint64_t *sizep)
{
	store_ns   *ns = f->lc_ns;
	struct stat st;
	char        gz[STORE_FID_STRLEN + 8];
	int         fd;

	if (ns->conf->compress) {
		fd = openat(ns->dirfd, store__gz_name(f, gz),
		            O_RDONLY | O_CLOEXEC);
	} else {
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	}
	if (fd < 0) {
		return bb_err_from_errno(errno);
	}
	if (ns->conf->compress) {
		if (fstat(fd, &st) != 0) {
			(void) close(fd);
			return bb_err_from_errno(errno);
		}
		*sizep = (uint64_t) st.st_size;
	} else {
		*sizep = atomic_load(&f->committed);
	}
	*fdp = fd;
	return BB_OK;
}

static void
lc_upload(store_lifecycle *lc, store__file *f)
{
	store_ns *ns = f->lc_ns;
	char      key[1024];
	char      why[512];
	char      name[STORE_FID_STRLEN + 3];
	uint64_t  size       = 0;
	bool      existed    = false;
	bool      gz_missing = false;
	int64_t   t0         = bb_clock_mono_ns();
	int       fd         = -1;
	bb_err    rv;

	if (lc_skip_archive(lc, f)) {
		return;
	}
	atomic_store(&f->state, STORE__UPLOADING);
	rv = store_ns_archive_key(ns, &f->fid, key, sizeof(key));
	if (rv == BB_OK) {
		rv         = lc_source(f, &fd, &size);
		gz_missing = rv == BB_ENOENT && ns->conf->compress;
		if (rv != BB_OK) {
			(void) snprintf(why, sizeof(why), "cannot open it: %s",
			                bb_strerror(rv));
		}
	} else {
		(void) snprintf(why, sizeof(why), "no usable key: %s",
		                bb_strerror(rv));
	}
	if (rv == BB_OK) {
		rv = store_archive_put(ns->archive, key, fd, size, &lc->cancel,
		                       &existed, why, sizeof(why));
		(void) close(fd);
	}
	if (rv == BB_EEXIST) {
		// The archive's copy and ours differ: both are kept, and the
		// log line (an error) names the key and both sizes.
		atomic_fetch_add(&lc->upload_conflicts, 1);
		store_metrics_add(ns->metrics, STORE_CTR_ARCHIVE_CONFLICTS, 1);
	}
	if (rv != BB_OK) {
		atomic_fetch_add(&lc->upload_failures, 1);
		lc_count_upload(f, false);
		store__ns_upload_done(ns, false, why);
		// A .gz copy that went missing is made again.
		lc_retry(lc, f,
		         gz_missing ? STORE__PENDING_COMPRESSION
		                    : STORE__PENDING_UPLOAD,
		         "upload", why,
		         rv == BB_EEXIST ? BB_LOG_ERROR : BB_LOG_WARN);
		return;
	}
	atomic_fetch_add(existed ? &lc->uploads_existing : &lc->uploads, 1);
	lc_count_upload(f, true); // verified in the archive, sent or found
	store__ns_upload_done(ns, true, NULL);
	if (!existed) {
		atomic_fetch_add(&lc->uploaded_bytes, size);
	}
	bb_log_info("namespace %s: %s: %s %s (%llu bytes) in %.2fs",
	            ns->conf->name, store__file_name(f, name),
	            existed ? "already archived as" : "archived as", key,
	            (unsigned long long) size,
	            (double) (bb_clock_mono_ns() - t0) / 1e9);
	lc_move(lc, f,
	        ns->conf->compress ? STORE__PENDING_DELETE_COMPRESSED
	                           : lc_after_gz(ns, f));
}

static void
lc_delete_gz(store_lifecycle *lc, store__file *f)
{
	store_ns *ns = f->lc_ns;
	char      gz[STORE_FID_STRLEN + 8];
	char      why[128];

	atomic_store(&f->state, STORE__DELETING_COMPRESSED);
	if (unlinkat(ns->dirfd, store__gz_name(f, gz), 0) != 0 &&
	    errno != ENOENT) {
		atomic_fetch_add(&lc->local_delete_failures, 1);
		(void) snprintf(why, sizeof(why), "%s", strerror(errno));
		lc_retry(lc, f, STORE__PENDING_DELETE_COMPRESSED,
		         "removal of the .gz copy", why, BB_LOG_WARN);
		return;
	}
	// A replica that skipped the archive goes straight to its removal.
	lc_move(lc, f,
	        f->replica ? STORE__PENDING_DELETE_LOCAL : lc_after_gz(ns, f));
}

// lc_delete_remotes asks the replicas to remove their copies.  A failure
// is only logged, as in the original: that replica orphans later, finds
// the object in the archive and removes its copy then.
static void
lc_delete_remotes(store_lifecycle *lc, store__file *f)
{
	store_ns *ns   = f->lc_ns;
	int       next = lc_after_remotes(ns, f);
	uint32_t  failed;

	atomic_store(&f->state, STORE__DELETING_REMOTES);
	if (ns->remotes != NULL && f->nrepl > 0) {
		failed = store__repl_delete(ns, f);
		atomic_fetch_add(&lc->remote_deletes, f->nrepl - failed);
		atomic_fetch_add(&lc->remote_delete_failures, failed);
	}
	lc_move(lc, f, next);
}

static void
lc_delete_local(store_lifecycle *lc, store__file *f)
{
	store_ns *ns = f->lc_ns;
	char      name[STORE_FID_STRLEN + 3];
	char      why[128];
	bb_err    rv;

	atomic_store(&f->state, STORE__DELETING_LOCAL);
	rv = store__file_remove(ns, f);
	if (rv != BB_OK) {
		atomic_fetch_add(&lc->local_delete_failures, 1);
		(void) snprintf(why, sizeof(why), "%s", bb_strerror(rv));
		lc_retry(lc, f, STORE__PENDING_DELETE_LOCAL, "removal", why,
		         BB_LOG_WARN);
		return;
	}
	atomic_fetch_add(&lc->local_deletes, 1);
	bb_log_debug("namespace %s: %s complete", ns->conf->name,
	             store__file_name(f, name));
	lc_move(lc, f, STORE__COMPLETE);
}

static void
lc_work(void *arg, store__file *f)
{
	store_lifecycle *lc = arg;

	if (atomic_load(&lc->cancel)) {
		lc_release(lc, f);
		return;
	}
	switch (atomic_load(&f->state)) {
	case STORE__PENDING_COMPRESSION:
		lc_compress(lc, f);
		break;
	case STORE__PENDING_UPLOAD:
		lc_upload(lc, f);
		break;
	case STORE__PENDING_DELETE_COMPRESSED:
		lc_delete_gz(lc, f);
		break;
	case STORE__PENDING_DELETE_REMOTES:
		lc_delete_remotes(lc, f);
		break;
	case STORE__DELETE_DELAY:
	case STORE__PENDING_DELETE_LOCAL:
		lc_delete_local(lc, f);
		break;
	default:
		lc_release(lc, f); // not ours (cannot happen)
		break;
	}
}

bb_err
store_lifecycle_new(const store_lifecycle_conf *conf, store_lifecycle **lcp)
{
	static const char *const names[LC_NQ] = { "compression", "upload",
		                                  "remote delete", "delete" };
	store_lifecycle         *lc;
	uint32_t                 max[LC_NQ];
	int                      i;
	bb_err                   rv = BB_OK;

	lc = calloc(1, sizeof(*lc));
	if (lc == NULL) {
		return BB_ENOMEM;
	}
	lc->conf = *conf;
	lc->seed = (uint64_t) bb_clock_mono_ns() ^ (uint64_t) getpid();
	(void) pthread_mutex_init(&lc->seed_mu, NULL);
	max[LC_COMPRESS] = conf->compressions;
	max[LC_UPLOAD]   = conf->uploads;
	max[LC_REMOTES]  = conf->remote_deletes;
	max[LC_LOCAL]    = conf->deletes;
	for (i = 0; i < LC_NQ && rv == BB_OK; i++) {
		rv = store__wq_new(names[i], max[i], lc_work, lc, &lc->q[i]);
	}
	if (rv != BB_OK) {
		store_lifecycle_free(lc);
		return rv;
	}
	*lcp = lc;
	return BB_OK;
}

void
store_lifecycle_stop(store_lifecycle *lc)
{
	int i;

	if (lc == NULL) {
		return;
	}
	atomic_store(&lc->cancel, true);
	for (i = 0; i < LC_NQ; i++) {
		if (lc->q[i] != NULL) {
			store__wq_stop(lc->q[i]);
		}
	}
}

void
store_lifecycle_free(store_lifecycle *lc)
{
	int i;

	if (lc == NULL) {
		return;
	}
	store_lifecycle_stop(lc);
	for (i = 0; i < LC_NQ; i++) {
		store__wq_free(lc->q[i]);
	}
	(void) pthread_mutex_destroy(&lc->seed_mu);
	free(lc);
}

void
store_lifecycle_stats_get(store_lifecycle *lc, store_lifecycle_stats *st)
{
	size_t n;
	bool   busy;
	int    i;

	memset(st, 0, sizeof(*st));
	st->uploads                = atomic_load(&lc->uploads);
	st->uploads_existing       = atomic_load(&lc->uploads_existing);
	st->upload_failures        = atomic_load(&lc->upload_failures);
	st->upload_conflicts       = atomic_load(&lc->upload_conflicts);
	st->uploaded_bytes         = atomic_load(&lc->uploaded_bytes);
	st->compressions           = atomic_load(&lc->compressions);
	st->compression_failures   = atomic_load(&lc->compression_failures);
	st->remote_deletes         = atomic_load(&lc->remote_deletes);
	st->remote_delete_failures = atomic_load(&lc->remote_delete_failures);
	st->local_deletes          = atomic_load(&lc->local_deletes);
	st->local_delete_failures  = atomic_load(&lc->local_delete_failures);
	for (i = 0; i < LC_NQ; i++) {
		store__wq_info(lc->q[i], &n, &busy,
		               i == LC_UPLOAD ? &st->oldest_upload_ns : NULL);
		st->queued += n;
	}
}

bool
store_lifecycle_idle(store_lifecycle *lc)
{
	return atomic_load(&lc->owned) == 0;
}
