// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/dir.c -- the directory archive of a single machine:
// object <key> is the file <dir>/<key>.  A put writes a temporary file
// beside it, fsyncs it and renames it into place, so a crash leaves the
// old object or the new one, never half of one; reads are preads (or
// sendfile) of the object file.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/archive/archive.h"
#include "storage/fileio.h"

// Copies go in slices so a cancel (shutdown) is noticed within one.
#define DIR_SLICE  (64u << 20)
#define DIR_CMPBUF (64u << 10)

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
		if (mkdir(path, 0755) == 0) {
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

// dir_same says whether the file at path holds exactly the size bytes of
// fd.  Any doubt (unreadable, other size) is "no": the put rewrites it.
static bool
dir_same(const char *path, int fd, uint64_t size)
{
	static _Thread_local unsigned char a[DIR_CMPBUF];
	static _Thread_local unsigned char b[DIR_CMPBUF];
	struct stat                        st;
	uint64_t                           off;
	size_t                             n;
	bool                               same = false;
	int                                ofd;

	ofd = open(path, O_RDONLY | O_CLOEXEC);
	if (ofd < 0) {
		return false;
	}
	if (fstat(ofd, &st) != 0 || (uint64_t) st.st_size != size) {
		goto done;
	}
	for (off = 0; off < size; off += n) {
		n = size - off < DIR_CMPBUF ? (size_t) (size - off)
		                            : DIR_CMPBUF;
		if (store_io_read(fd, a, n, off) != BB_OK ||
		    store_io_read(ofd, b, n, off) != BB_OK ||
		    memcmp(a, b, n) != 0) {
			goto done;
		}
	}
	same = true;
done:
	(void) close(ofd);
	return same;
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
	uint64_t     off;
	uint64_t     n;
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
	if (dir_same(path, fd, size)) {
		*existed = true;
		return BB_OK;
	}
	rv = dir_mkdirs(path, strlen(d->dir));
	if (rv != BB_OK) {
		(void) snprintf(why, whylen,
		                "cannot create the directories of "
		                "%s: %s",
		                path, bb_strerror(rv));
		return rv;
	}
	(void) snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	tfd = mkstemp(tmp);
	if (tfd < 0) {
		rv = bb_err_from_errno(errno);
		(void) snprintf(why, whylen, "cannot create %s: %s", tmp,
		                strerror(errno));
		return rv;
	}
	for (off = 0; off < size && rv == BB_OK; off += n) {
		if (cancel != NULL && atomic_load(cancel)) {
			rv = BB_ESHUTDOWN;
			break;
		}
		n  = size - off < DIR_SLICE ? size - off : DIR_SLICE;
		rv = store_io_copy(fd, off, tfd, off, n);
	}
	if (rv == BB_OK && fsync(tfd) != 0) {
		rv = bb_err_from_errno(errno);
	}
	if (rv == BB_OK &&
	    (fchmod(tfd, 0644) != 0 || rename(tmp, path) != 0)) {
		rv = bb_err_from_errno(errno);
	}
	if (rv == BB_OK) {
		rv = dir_fsync_parent(path);
	}
	(void) close(tfd);
	if (rv != BB_OK) {
		(void) unlink(tmp);
		(void) snprintf(why, whylen, "cannot write %s: %s", path,
		                bb_strerror(rv));
	}
	return rv;
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
	size_t       n = strlen(dir);
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
	rv = store_archive_custom(&dir_ops, d, desc, ap);
	if (rv != BB_OK) {
		dir_free(d);
	}
	return rv;
}
