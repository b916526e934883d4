// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/ns_recover.c -- start-up recovery: every data file left in the
// namespace directory (<fid> or r-<fid>) becomes a sealed, read-only,
// readable file, as in the original, in state pending-upload;
// once the namespace is open, it goes to the archive lifecycle.  It is
// never appended to again.  Compressed copies (.gz) are
// removed: the lifecycle makes them again.  Other names (temporary files,
// directories) are left alone.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "storage/file.h"
#include "storage/ns_impl.h"

// recover_one opens one data file read-only and adds it to the map.  Its
// whole length counts as committed: a torn tail from a crash holds bytes
// no acknowledged id names, so it is harmless.  An empty file is removed
// instead, and BB_ENOENT says so.
static bb_err
recover_one(store_ns *ns, const char *name, const store_fid *fid, bool replica,
            uint64_t *sizep)
{
	struct stat  st;
	store__file *f  = NULL;
	int          fd = -1;
	bb_err       rv;

	fd = openat(ns->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return bb_err_from_errno(errno);
	}
	if (fstat(fd, &st) != 0) {
		rv = bb_err_from_errno(errno);
		goto fail;
	}
	if (st.st_size == 0) {
		// No id names a byte of an empty file: remove it, as the
		// original deletes a file with nothing to upload.
		(void) unlinkat(ns->dirfd, name, 0);
		(void) close(fd);
		*sizep = 0;
		return BB_ENOENT;
	}
	rv = store__file_new(fid, replica, false, fd, (uint64_t) st.st_size,
	                     STORE__PENDING_UPLOAD, &f);
	if (rv != BB_OK) {
		goto fail;
	}
	fd = -1;
	rv = store__fidmap_add(&ns->map, f);
	if (rv != BB_OK) {
		goto fail;
	}
	*sizep = (uint64_t) st.st_size;
	return BB_OK;

fail:
	if (fd >= 0) {
		(void) close(fd);
	}
	store__file_free(f);
	return rv;
}

// recover_stale_gz removes a compressed copy left by a stop during the
// lifecycle: it is made again from its data file, and one whose data
// file is gone has been archived already.  Says whether name was one.
static bool
recover_stale_gz(store_ns *ns, const char *name, const char *base)
{
	size_t    n = strlen(base);
	store_fid fid;

	if (n != STORE_FID_STRLEN + 3 || strcmp(base + n - 3, ".gz") != 0 ||
	    store_fid_parse(base, n - 3, &fid) != BB_OK) {
		return false;
	}
	(void) unlinkat(ns->dirfd, name, 0);
	return true;
}

bb_err
store__ns_recover(store_ns *ns, char *why, size_t whylen)
{
	DIR           *dir;
	struct dirent *de;
	struct stat    st;
	store_fid      fid;
	const char    *base;
	bool           replica;
	uint64_t       size  = 0;
	uint64_t       total = 0;
	size_t         count = 0;
	int            dfd;
	bb_err         rv = BB_OK;

	// fdopendir takes the descriptor, so give it a copy.
	dfd = fcntl(ns->dirfd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		return bb_err_from_errno(errno);
	}
	dir = fdopendir(dfd);
	if (dir == NULL) {
		rv = bb_err_from_errno(errno);
		(void) close(dfd);
		return rv;
	}
	for (;;) {
		errno = 0;
		de    = readdir(dir);
		if (de == NULL) {
			if (errno != 0) {
				rv = bb_err_from_errno(errno);
			}
			break;
		}
		replica = strncmp(de->d_name, "r-", 2) == 0;
		base    = replica ? de->d_name + 2 : de->d_name;
		if (recover_stale_gz(ns, de->d_name, base)) {
			continue;
		}
		if (store_fid_parse(base, strlen(base), &fid) != BB_OK) {
			if (de->d_name[0] != '.') {
				bb_log_debug("namespace %s: ignoring %s",
				             ns->conf->name, de->d_name);
			}
			continue;
		}
		if (fstatat(ns->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
		        0 ||
		    !S_ISREG(st.st_mode)) {
			bb_log_warn("namespace %s: ignoring %s: not a file",
			            ns->conf->name, de->d_name);
			continue;
		}
		rv = recover_one(ns, de->d_name, &fid, replica, &size);
		if (rv == BB_ENOENT) {
			rv = BB_OK; // empty, removed
			continue;
		}
		if (rv != BB_OK) {
			(void) bb_why(rv, why, whylen,
			              "namespace %s: cannot recover %s/%s: %s",
			              ns->conf->name, ns->conf->directory,
			              de->d_name, bb_strerror(rv));
			break;
		}
		count++;
		total += size;
	}
	(void) closedir(dir);
	if (rv == BB_OK && count > 0) {
		bb_log_info("namespace %s: recovered %zu files, %llu bytes; "
		            "they are read-only from now on",
		            ns->conf->name, count, (unsigned long long) total);
	}
	return rv;
}
