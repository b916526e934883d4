// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/dir.c -- the directory archive: object <key> is the file
// <dir>/<key>; the directory may be shared by the nodes of a machine (or
// through a file system with flock).  A put never replaces an object by
// different bytes, only a shorter copy that is a prefix of ours (see
// ops.put in archive.h): it writes a temporary file beside the object,
// fsyncs it, and under the directory's lock file compares again and
// link(2)s it into place (a new object: fails rather than replace) or
// renames it over the shorter copy, so a crash leaves the old object or
// the new one, never half of one.  Temporary files of crashed copies are
// removed when the archive opens.  Reads are preads (or sendfile) of the
// object file.
#define _DEFAULT_SOURCE // d_type in struct dirent, flock
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "storage/archive/archive.h"
#include "storage/fileio.h"

// Copies go in slices so a cancel (shutdown) is noticed within one.
#define DIR_SLICE  (64u << 20)
#define DIR_CMPBUF (64u << 10)
// A copy's temporary file is <object>.tmpXXXXXX (mkstemp); the lock file
// every writer of the directory takes to replace an object.
#define DIR_TMP  ".tmp"
#define DIR_LOCK ".blobby-archive.lock"

typedef struct dir_archive {
	char *dir; // owned
} dir_archive;

// dir_path writes <dir>/<key> into buf, refusing keys that could leave
// the archive: absolute, empty, or with an empty, "." or ".." element.
static bb_err
dir_path(const dir_archive *d, const char *key, char *buf, size_t len)
{
	const char *p = key;
	const char *e;
	size_t      n;

	if (*key == '\0' || *key == '/') {
		return BB_EINVAL;
	}
	while (*p != '\0') {
		e = strchr(p, '/');
		n = e != NULL ? (size_t) (e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			return BB_EINVAL;
		}
		p += n + (e != NULL);
	}
	if ((size_t) snprintf(buf, len, "%s/%s", d->dir, key) >= len) {
		return BB_ETOOBIG;
	}
	return BB_OK;
}

// dir_fsync_parent makes the last entry of path (a rename, a new
// directory) durable.
static bb_err
dir_fsync_parent(char *path)
{
	char  *slash = strrchr(path, '/');
	bb_err rv    = BB_OK;
	int    fd;

	if (slash == NULL || slash == path) {
		fd = open(slash == NULL ? "." : "/",
		          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*slash = '\0';
		fd     = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	}
	if (fd < 0 || fsync(fd) != 0) {
		rv = bb_err_from_errno(errno);
	}
	if (fd >= 0) {
		(void) close(fd);
	}
	return rv;
}

// dir_mkdirs creates the missing directories of path up to its last '/'.
static bb_err
dir_mkdirs(char *path, size_t from)
{
	size_t i;
	bb_err rv = BB_OK;

	for (i = from; path[i] != '\0'; i++) {
		if (path[i] != '/' || i == 0) {
			continue;
		}
		path[i] = '\0';
		if (mkdir(path, 0750) == 0) {
			// The new entry must survive a crash as the object
			// in it must.
			rv = dir_fsync_parent(path);
		} else if (errno != EEXIST) {
			rv = bb_err_from_errno(errno);
		}
		path[i] = '/';
		if (rv != BB_OK) {
			return rv;
		}
	}
	return BB_OK;
}

// How the object at a path relates to the size bytes to archive.
typedef enum {
	DIR_NONE,    // no object
	DIR_SAME,    // the same bytes
	DIR_LONGER,  // longer, and ours are its first bytes
	DIR_SHORTER, // shorter, and its bytes are our first bytes
	DIR_DIFF,    // neither is a prefix of the other: a conflict
} dir_rel;

// dir_compare says how the object at path relates to the size bytes of
// fd, comparing the bytes they share; *osize gets the object's size.  A
// read error is an error, never "different": a conflict must be real.
static bb_err
dir_compare(const char *path, int fd, uint64_t size, dir_rel *rel,
            uint64_t *osize)
{
	static _Thread_local unsigned char a[DIR_CMPBUF];
	static _Thread_local unsigned char b[DIR_CMPBUF];
	struct stat                        st;
	uint64_t                           off;
	uint64_t                           common;
	size_t                             n;
	bb_err                             rv = BB_OK;
	int                                ofd;

	*osize = 0;
	ofd    = open(path, O_RDONLY | O_CLOEXEC);
	if (ofd < 0) {
		if (errno == ENOENT) {
			*rel = DIR_NONE;
			return BB_OK;
		}
		return bb_err_from_errno(errno);
	}
	if (fstat(ofd, &st) != 0) {
		rv = bb_err_from_errno(errno);
		goto done;
	}
	*osize = (uint64_t) st.st_size;
	common = *osize < size ? *osize : size;
	*rel   = *osize == size ? DIR_SAME
	      : *osize > size   ? DIR_LONGER
	                        : DIR_SHORTER;
	for (off = 0; off < common; off += n) {
		n  = common - off < DIR_CMPBUF ? (size_t) (common - off)
		                               : DIR_CMPBUF;
		rv = store_io_read(fd, a, n, off);
		if (rv == BB_OK) {
			rv = store_io_read(ofd, b, n, off);
		}
		if (rv != BB_OK) {
			goto done;
		}
		if (memcmp(a, b, n) != 0) {
			*rel = DIR_DIFF;
			break;
		}
	}
done:
	(void) close(ofd);
	return rv;
}

// dir_copy writes the size bytes of fd into a new temporary file beside
// path (<path>.tmpXXXXXX), fsync'ed.  The file is flock'ed for as long
// as *tfdp is open: dir_sweep removes only temporary files nobody holds.
static bb_err
dir_copy(const dir_archive *d, char *path, int fd, uint64_t size,
         const atomic_bool *cancel, char *tmp, size_t tmplen, int *tfdp,
         char *why, size_t whylen)
{
	uint64_t off;
	uint64_t n;
	bb_err   rv;
	int      tfd;

	rv = dir_mkdirs(path, strlen(d->dir));
	if (rv != BB_OK) {
		return bb_why(rv, why, whylen,
		              "cannot create the directories of %s: %s", path,
		              bb_strerror(rv));
	}
	(void) snprintf(tmp, tmplen, "%s" DIR_TMP "XXXXXX", path);
	tfd = mkstemp(tmp);
	if (tfd < 0) {
		rv = bb_err_from_errno(errno);
		return bb_why(rv, why, whylen, "cannot create %s: %s", tmp,
		              strerror(errno));
	}
	if (flock(tfd, LOCK_EX | LOCK_NB) != 0) {
		rv = bb_err_from_errno(errno);
	}
	for (off = 0; off < size && rv == BB_OK; off += n) {
		if (cancel != NULL && atomic_load(cancel)) {
			rv = BB_ESHUTDOWN;
			break;
		}
		n  = size - off < DIR_SLICE ? size - off : DIR_SLICE;
		rv = store_io_copy(fd, off, tfd, off, n);
	}
	if (rv == BB_OK && (fsync(tfd) != 0 || fchmod(tfd, 0640) != 0)) {
		rv = bb_err_from_errno(errno);
	}
	if (rv != BB_OK) {
		(void) unlink(tmp);
		(void) close(tfd);
		return bb_why(rv, why, whylen, "cannot write %s: %s", tmp,
		              bb_strerror(rv));
	}
	*tfdp = tfd;
	return BB_OK;
}

// dir_lock takes the archive's lock file (an flock, so it is shared
// with every process using the directory, on this machine or through a
// file system that supports flock).  Returns the descriptor to close.
static int
dir_lock(const dir_archive *d)
{
	char path[4096 + 32];
	int  fd;

	(void) snprintf(path, sizeof(path), "%s/" DIR_LOCK, d->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			(void) close(fd);
			return -1;
		}
	}
	return fd;
}

// dir_conflict is the error of an object that differs from ours.
static bb_err
dir_conflict(const char *key, uint64_t osize, uint64_t size, char *why,
             size_t whylen)
{
	return bb_why(BB_EEXIST, why, whylen,
	              "archive conflict: object %s holds %llu bytes, the "
	              "file has %llu, and neither is a prefix of the "
	              "other; the object is kept",
	              key, (unsigned long long) osize,
	              (unsigned long long) size);
}

// dir_install puts the temporary file tmp in place as path, under the
// archive's lock, after comparing again what is there now: a new object
// is link(2)ed (which fails rather than replace anything), a shorter
// prefix copy is replaced by rename(2).  Every writer decides under the
// same lock, so the object it compared is the one it replaces.  After a
// rename tmp[0] is set to '\0': the name is no longer ours to unlink.
static bb_err
dir_install(const dir_archive *d, const char *key, char *path, char *tmp,
            int fd, uint64_t size, bool *existed, char *why, size_t whylen)
{
	dir_rel  rel;
	uint64_t osize;
	bb_err   rv;
	int      lk;

	lk = dir_lock(d);
	if (lk < 0) {
		rv = bb_err_from_errno(errno);
		return bb_why(rv, why, whylen,
		              "cannot lock %s/" DIR_LOCK ": %s", d->dir,
		              strerror(errno));
	}
	rv = dir_compare(path, fd, size, &rel, &osize);
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen, "cannot read %s: %s", path,
		              bb_strerror(rv));
	} else if (rel == DIR_SAME || rel == DIR_LONGER) {
		*existed = true;
	} else if (rel == DIR_DIFF) {
		rv = dir_conflict(key, osize, size, why, whylen);
	} else if ((rel == DIR_NONE ? link(tmp, path) : rename(tmp, path)) !=
	           0) {
		rv = bb_err_from_errno(errno);
		(void) bb_why(rv, why, whylen, "cannot write %s: %s", path,
		              strerror(errno));
	} else {
		rv = dir_fsync_parent(path);
		if (rel == DIR_SHORTER) {
			tmp[0] = '\0';
			bb_log_info(
			    "archive: %s: replaced the copy of %llu "
			    "bytes by the %llu bytes it is a prefix of",
			    key, (unsigned long long) osize,
			    (unsigned long long) size);
		}
	}
	(void) close(lk);
	return rv;
}

static bb_err
dir_put(void *ctx, const char *key, int fd, uint64_t size,
        const atomic_bool *cancel, bool *existed, char *why, size_t whylen)
{
	dir_archive *d = ctx;
	struct stat  st;
	struct stat  fst;
	char         path[4096];
	char         tmp[4096 + 16];
	dir_rel      rel;
	uint64_t     osize;
	int          tfd = -1;
	bb_err       rv;

	rv = dir_path(d, key, path, sizeof(path));
	if (rv != BB_OK) {
		(void) snprintf(why, whylen, "unusable key '%s'", key);
		return rv;
	}
	if (stat(path, &st) == 0 && fstat(fd, &fst) == 0 &&
	    st.st_dev == fst.st_dev && st.st_ino == fst.st_ino) {
		(void) snprintf(why, whylen,
		                "the object %s is the file to archive itself",
		                path);
		return BB_EINVAL;
	}
	// A first look, without the lock, spares the copy when the object
	// already holds our bytes or conflicts; dir_install looks again.
	rv = dir_compare(path, fd, size, &rel, &osize);
	if (rv != BB_OK) {
		return bb_why(rv, why, whylen, "cannot read %s: %s", path,
		              bb_strerror(rv));
	}
	if (rel == DIR_SAME || rel == DIR_LONGER) {
		*existed = true;
		return BB_OK;
	}
	if (rel == DIR_DIFF) {
		return dir_conflict(key, osize, size, why, whylen);
	}
	rv = dir_copy(d, path, fd, size, cancel, tmp, sizeof(tmp), &tfd, why,
	              whylen);
	if (rv != BB_OK) {
		return rv;
	}
	rv = dir_install(d, key, path, tmp, fd, size, existed, why, whylen);
	// After a link (or nothing) the temporary name is still ours.
	if (tmp[0] != '\0') {
		(void) unlink(tmp);
	}
	(void) close(tfd);
	return rv;
}

// dir_is_tmp says whether name is a temporary file of dir_copy:
// "<something>.tmp" and the six characters mkstemp chose.
static bool
dir_is_tmp(const char *name)
{
	size_t n = strlen(name);
	size_t t = sizeof(DIR_TMP) - 1;
	size_t i;

	if (n < t + 7 || memcmp(name + n - 6 - t, DIR_TMP, t) != 0) {
		return false;
	}
	for (i = n - 6; i < n; i++) {
		if (!isalnum((unsigned char) name[i])) {
			return false;
		}
	}
	return true;
}

// dir_sweep removes, in directory dfd (owned; closed here) and those
// below it, the temporary files of copies whose writer is gone (a
// crash): those nobody holds the flock of.  A live writer, in this
// process or another sharing the directory, holds it from the moment it
// created the file until it is done.  Returns how many it removed.
static unsigned
dir_sweep(int dfd, int depth)
{
	DIR           *dp;
	struct dirent *e;
	struct stat    st;
	struct stat    fst;
	unsigned       removed = 0;
	int            fd;

	dp = fdopendir(dfd);
	if (dp == NULL) {
		(void) close(dfd);
		return 0;
	}
	while ((e = readdir(dp)) != NULL) {
		// Objects are most entries: skip them without a stat.
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN &&
		     !dir_is_tmp(e->d_name)) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < 32) {
			fd = openat(dfd, e->d_name,
			            O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                O_CLOEXEC);
			if (fd >= 0) {
				removed += dir_sweep(fd, depth + 1);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode) || !dir_is_tmp(e->d_name)) {
			continue;
		}
		fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			continue;
		}
		// Held by us now, and still the file of that name: no
		// writer can come back to it.
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstat(fd, &fst) == 0 &&
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_ino == fst.st_ino && st.st_dev == fst.st_dev &&
		    unlinkat(dfd, e->d_name, 0) == 0) {
			removed++;
		}
		(void) close(fd);
	}
	(void) closedir(dp);
	return removed;
}

static void
dir_rd_close(store_archive_rd *rd)
{
	(void) close(rd->fd);
	free(rd);
}

static bb_err
dir_open(void *ctx, const char *key, uint64_t off, uint64_t len,
         store_archive_rd **rdp)
{
	dir_archive      *d = ctx;
	store_archive_rd *rd;
	struct stat       st;
	char              path[4096];
	int               fd;
	bb_err            rv;

	rv = dir_path(d, key, path, sizeof(path));
	if (rv != BB_OK) {
		return BB_ENOENT; // no object can have that key
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? BB_ENOENT : bb_err_from_errno(errno);
	}
	if (fstat(fd, &st) != 0) {
		rv = bb_err_from_errno(errno);
		goto fail;
	}
	if (off > (uint64_t) st.st_size || len > (uint64_t) st.st_size - off) {
		rv = BB_ENOENT;
		goto fail;
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	rd->fd    = fd;
	rd->off   = off;
	rd->left  = len;
	rd->close = dir_rd_close;
	*rdp      = rd;
	return BB_OK;

fail:
	(void) close(fd);
	return rv;
}

static void
dir_free(void *ctx)
{
	dir_archive *d = ctx;

	free(d->dir);
	free(d);
}

static const store_archive_ops dir_ops = {
	.put  = dir_put,
	.open = dir_open,
	.free = dir_free,
};

bb_err
store_archive_dir_new(const char *dir, store_archive **ap)
{
	dir_archive *d;
	char         desc[4200];
	char        *path;
	size_t       n     = strlen(dir);
	unsigned     swept = 0;
	int          fd;
	bb_err       rv;

	while (n > 1 && dir[n - 1] == '/') {
		n--;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->dir = strndup(dir, n)) == NULL) {
		free(d);
		return BB_ENOMEM;
	}
	// mkdir -p of the archive itself: dir_mkdirs stops at the last '/'.
	path = malloc(n + 2);
	if (path == NULL) {
		dir_free(d);
		return BB_ENOMEM;
	}
	(void) snprintf(path, n + 2, "%s/", d->dir);
	rv = dir_mkdirs(path, 0);
	free(path);
	if (rv != BB_OK) {
		dir_free(d);
		return rv;
	}
	(void) snprintf(desc, sizeof(desc), "dir %s", d->dir);
	fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		swept = dir_sweep(fd, 0);
	}
	if (swept > 0) {
		bb_log_info("archive %s: removed %u temporary files of "
		            "interrupted copies",
		            d->dir, swept);
	}
	rv = store_archive_custom(&dir_ops, d, desc, ap);
	if (rv != BB_OK) {
		dir_free(d);
	}
	return rv;
}
