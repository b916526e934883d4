// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/datafile.c -- data file records (create, reference counting,
// names, removal) and the local read of a namespace through its fid map.
// The map itself is fidmap.c; the pool of primaries is pool.c.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/fileio.h"
#include "storage/file.h"
#include "storage/ns_impl.h"

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
store__file_alloc(const store_fid *fid, bool replica, bool primary, int fd,
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
	uint64_t off;
	int      fd;
	bb_err   rv;

	rv = store_ns_read(ns, id, &fd, &off);
	if (rv != BB_OK) {
		return rv;
	}
	rv = store_io_read(fd, buf, id->length, off);
	(void) close(fd);
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
