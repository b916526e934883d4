// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/datafile.c -- data file records (create, reference counting,
// names, removal) and the local read of a namespace through its fid map.
// The map itself is fidmap.c; the pool of primaries is pool.c.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "storage/file.h"
#include "storage/fileio.h"
#include "storage/metrics.h"
#include "storage/ns_impl.h"

// file_life_mu serialises creating replica records and removing any
// record (initialize, delete, orphan removal, the lifecycle's removal): a
// resent Initialize racing the first one then finds its record instead of
// failing on O_EXCL, and a removal never unlinks a name that a new record
// owns.  Both are rare (once per file) and appends never take it, so one
// lock for the process is enough.  Lock order: file_life_mu, a file's mu,
// the map lock.
static pthread_mutex_t file_life_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *const state_names[STORE__NSTATES_] = {
	[STORE__OPENING]                   = "opening",
	[STORE__WAITING]                   = "waiting",
	[STORE__INSERTING]                 = "inserting",
	[STORE__PENDING_UPLOAD]            = "pending-upload",
	[STORE__APPENDING]                 = "appending",
	[STORE__FAILED]                    = "failed",
	[STORE__PENDING_COMPRESSION]       = "pending-compression",
	[STORE__COMPRESSING]               = "compressing",
	[STORE__UPLOADING]                 = "uploading",
	[STORE__PENDING_DELETE_COMPRESSED] = "pending-delete-compressed",
	[STORE__DELETING_COMPRESSED]       = "deleting-compressed",
	[STORE__PENDING_DELETE_REMOTES]    = "pending-delete-remotes",
	[STORE__DELETING_REMOTES]          = "deleting-remotes",
	[STORE__DELETE_DELAY]              = "delete-delay",
	[STORE__PENDING_DELETE_LOCAL]      = "pending-delete-local",
	[STORE__DELETING_LOCAL]            = "deleting-local",
	[STORE__COMPLETE]                  = "complete",
};

const char *
store__state_name(store__state s)
{
	if ((unsigned) s >= STORE__NSTATES_) {
		return "unknown";
	}
	return state_names[s];
}

const char *
store__file_state_name(const store__file *f)
{
	int s = atomic_load(&f->state);

	if (f->replica) {
		switch (s) {
		case STORE__PENDING_DELETE_LOCAL:
			return "pending-delete";
		case STORE__DELETING_LOCAL:
			return "deleting";
		case STORE__COMPLETE:
			return "completed";
		default:
			break;
		}
	}
	return store__state_name((store__state) s);
}

bb_err
store__file_new(const store_fid *fid, bool replica, bool primary, int fd,
                uint64_t committed, store__state state, store__file **fp)
{
	store__file *f;

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return BB_ENOMEM;
	}
	f->fid     = *fid;
	f->replica = replica;
	f->primary = primary;
	f->fd      = fd;
	atomic_init(&f->state, (int) state);
	atomic_init(&f->committed, committed);
	atomic_init(&f->refs, 1u);
	atomic_init(&f->heard_ns, 0);
	if (pthread_mutex_init(&f->mu, NULL) != 0) {
		free(f);
		return BB_ENOMEM;
	}
	*fp = f;
	return BB_OK;
}

void
store__file_get(store__file *f)
{
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void
store__file_put(store__file *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) ==
	    1) {
		store__file_free(f);
	}
}

void
store__file_free(store__file *f)
{
	if (f == NULL) {
		return;
	}
	if (f->fd >= 0) {
		(void) close(f->fd);
	}
	(void) pthread_mutex_destroy(&f->mu);
	free(f);
}

void
store__file_life_lock(void)
{
	(void) pthread_mutex_lock(&file_life_mu);
}

void
store__file_life_unlock(void)
{
	(void) pthread_mutex_unlock(&file_life_mu);
}

bb_err
store__file_create(store_ns *ns, const store_fid *fid, bool replica,
                   store__file_setup setup, void *arg, store__file **fp)
{
	store__file *f = NULL;
	char         fids[STORE_FID_STRLEN + 1];
	char         name[STORE_FID_STRLEN + 3];
	int          fd = -1;
	bb_err       rv;

	(void) store_fid_format(fid, fids);
	(void) snprintf(name, sizeof(name), "%s%s", replica ? "r-" : "", fids);
	// O_EXCL guards against reusing a name: the fid counter restarts
	// with the process, so a restart within the same second could
	// otherwise append to an old file; and a replica file the map does
	// not know is not ours to append to (recovery adds every non-empty
	// one).
	fd = openat(ns->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	            0640);
	if (fd < 0) {
		rv = bb_err_from_errno(errno);
		// A primary's name clash is retried, silently, with the next
		// fid by the caller.
		if (replica) {
			bb_log_warn("namespace %s: cannot create replica "
			            "%s/%s: %s",
			            ns->conf->name, ns->conf->directory, name,
			            strerror(errno));
		} else if (errno != EEXIST) {
			bb_log_error("namespace %s: cannot create %s/%s: %s",
			             ns->conf->name, ns->conf->directory, name,
			             strerror(errno));
		}
		return rv;
	}
	rv =
	    store__file_new(fid, replica, !replica, fd, 0, STORE__WAITING, &f);
	if (rv != BB_OK) {
		goto fail;
	}
	fd = -1;
	rv = setup(ns, f, arg);
	if (rv != BB_OK) {
		goto fail;
	}
	rv = store__fidmap_add(&ns->map, f);
	if (rv != BB_OK) {
		goto fail;
	}
	bb_log_debug("namespace %s: opened %s %s", ns->conf->name,
	             replica ? "replica" : "primary", name);
	if (fp != NULL) {
		*fp = f;
	}
	return BB_OK;

fail:
	if (fd >= 0) {
		(void) close(fd);
	}
	store__file_free(f);
	(void) unlinkat(ns->dirfd, name, 0);
	return rv;
}

// file_count_unlink counts the removal of f's data file: every removal
// of a record's file goes through file_unlink or store__file_drop.
static void
file_count_unlink(store_ns *ns, const store__file *f, bool ok)
{
	store_metrics_op(ns->metrics, STORE_OP_FILE_DELETION, ok);
	store_metrics_op(ns->metrics,
	                 f->primary ? STORE_OP_PRIMARY_DELETE
	                            : STORE_OP_REPLICA_DELETE,
	                 ok);
}

// file_unlink deletes the file of f (and its .gz copy) and marks f gone.
// f locked; file_life_mu held.  On an unlink error nothing changes.
static bb_err
file_unlink(store_ns *ns, store__file *f)
{
	char   name[STORE_FID_STRLEN + 3];
	char   gz[STORE_FID_STRLEN + 8];
	bb_err rv;

	(void) store__file_name(f, name);
	if (unlinkat(ns->dirfd, name, 0) != 0 && errno != ENOENT) {
		rv = bb_err_from_errno(errno);
		bb_log_warn("namespace %s: cannot remove %s: %s",
		            ns->conf->name, name, strerror(errno));
		file_count_unlink(ns, f, false);
		return rv;
	}
	(void) unlinkat(ns->dirfd, store__gz_name(f, gz), 0);
	file_count_unlink(ns, f, true);
	f->gone = true;
	bb_log_debug("namespace %s: removed %s", ns->conf->name, name);
	return BB_OK;
}

bb_err
store__file_remove_locked(store_ns *ns, store__file *f)
{
	bb_err rv = file_unlink(ns, f);

	(void) pthread_mutex_unlock(&f->mu);
	if (rv == BB_OK) {
		store__fidmap_remove(&ns->map, f);
		store__file_put(f); // the map's reference
	}
	return rv;
}

bb_err
store__file_remove(store_ns *ns, store__file *f)
{
	bb_err rv = BB_OK;

	store__file_life_lock();
	(void) pthread_mutex_lock(&f->mu);
	if (f->gone) {
		(void) pthread_mutex_unlock(&f->mu);
	} else {
		rv = store__file_remove_locked(ns, f);
	}
	store__file_life_unlock();
	return rv;
}

void
store__file_drop(store_ns *ns, store__file *f)
{
	char name[STORE_FID_STRLEN + 3];
	bool gone;

	// Not the life lock and f->mu: no other thread writes an idle
	// empty primary.  Its record goes whatever the unlink says (a name
	// left behind comes back as an empty file that recovery removes);
	// a heart beat still queued for it (repl/beats.c) holds a
	// reference, so the last put frees it.
	store__fidmap_remove(&ns->map, f);
	gone = unlinkat(ns->dirfd, store__file_name(f, name), 0) == 0 ||
	    errno == ENOENT;
	file_count_unlink(ns, f, gone);
	store__file_put(f); // the map's reference
}

void
store__file_drop_name(store_ns *ns, const store__file *f)
{
	char name[STORE_FID_STRLEN + 3];

	(void) unlinkat(ns->dirfd, store__file_name(f, name), 0);
}

char *
store__file_name(const store__file *f, char *buf)
{
	char fid[STORE_FID_STRLEN + 1];

	(void) store_fid_format(&f->fid, fid);
	(void) snprintf(buf, STORE_FID_STRLEN + 3, "%s%s",
	                f->replica ? "r-" : "", fid);
	return buf;
}

char *
store__gz_name(const store__file *f, char *buf)
{
	char name[STORE_FID_STRLEN + 3];

	// The original named both copies <fid>.gz, so a node that is its own
	// replica compressed two files into one name; r-<fid>.gz keeps them
	// apart.
	(void) snprintf(buf, STORE_FID_STRLEN + 6, "%s.gz",
	                store__file_name(f, name));
	return buf;
}

bb_err
store_ns_read(store_ns *ns, const store_id *id, int *fdp, uint64_t *offp)
{
	store__file *f;
	int          fd = -1;
	bb_err       rv = BB_ENOENT;

	store__fidmap_rdlock(&ns->map);
	f = store__fidmap_covering(&ns->map, id);
	if (f != NULL) {
		// dup under the lock: the file cannot be closed meanwhile, and
		// the new descriptor keeps the bytes even if it is deleted.
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
		rv = fd >= 0 ? BB_OK : BB_ESYS;
	}
	store__fidmap_unlock(&ns->map);
	if (rv == BB_OK) {
		*fdp  = fd;
		*offp = id->start;
	}
	return rv;
}

bb_err
store_ns_read_copy(store_ns *ns, const store_id *id, void *buf)
{
	store__file *f;
	bb_err       rv;

	// A reference, not a dup: the descriptor is closed only when the
	// last reference goes (store__file_free), and the bytes stay even
	// if the file is deleted meanwhile.  Saves the fcntl and the close
	// of every read an RPC serves.
	store__fidmap_rdlock(&ns->map);
	f = store__fidmap_covering(&ns->map, id);
	if (f != NULL) {
		store__file_get(f);
	}
	store__fidmap_unlock(&ns->map);
	if (f == NULL) {
		return BB_ENOENT;
	}
	rv = store_io_read(f->fd, buf, id->length, id->start);
	store__file_put(f);
	return rv;
}

void
store__file_info(const store__file *f, store_file_info *info)
{
	memset(info, 0, sizeof(*info));
	info->fid                  = f->fid;
	info->replica              = f->replica;
	info->primary              = f->primary;
	info->state                = store__file_state_name(f);
	info->size                 = atomic_load(&f->committed);
	info->first_insert_wall_ns = atomic_load(&f->first_insert_ns);
	// repl and nrepl are set before a primary enters the map and
	// never change after, so the map lock is enough to read them.
	if (f->primary) {
		info->nrepl = f->nrepl;
		memcpy(info->repl, f->repl, sizeof(f->repl[0]) * f->nrepl);
	}
}

// What store_ns_foreach hands to each file, through the map's visit.
typedef struct {
	void (*fn)(const store_file_info *info, void *arg);
	void *arg;
} datafile_foreach;

static void
datafile_foreach_one(store__file *f, void *arg)
{
	datafile_foreach *d = arg;
	store_file_info   info;

	store__file_info(f, &info);
	d->fn(&info, d->arg);
}

void
store_ns_foreach(store_ns *ns,
                 void (*fn)(const store_file_info *info, void *arg), void *arg)
{
	datafile_foreach d = { .fn = fn, .arg = arg };

	store__fidmap_visit(&ns->map, datafile_foreach_one, &d);
}

bb_err
store__file_sync(store_ns *ns, store__file *f)
{
	bb_err rv = store_io_sync(f->fd);

	if (rv == BB_OK && !f->dir_synced) {
		rv            = store_io_sync(ns->dirfd);
		f->dir_synced = rv == BB_OK;
	}
	return rv;
}
