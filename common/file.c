// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/file.c -- the capped whole-file reader and the log files.  The
// reader uses read(2), not stdio, so a pipe works and the cap bounds
// every allocation; the log files swap descriptors under a lock so no
// line is ever written to a descriptor number that was closed and reused.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"

#define FILE_FIRST_CHUNK 4096 // first buffer when the size is unknown

bb_err
bb_file_read(const char *path, size_t cap, unsigned flags, char **bufp,
             size_t *lenp, struct stat *stp, char *why, size_t whylen)
{
	struct stat st;
	char       *buf  = NULL;
	char       *p    = NULL;
	size_t      size = FILE_FIRST_CHUNK;
	size_t      len  = 0;
	ssize_t     n;
	int         fd = -1;
	bb_err      rv;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rv = bb_why_errno(errno, why, whylen, "%s", path);
		goto fail;
	}
	if ((flags & BB_FILE_REGULAR) != 0 && !S_ISREG(st.st_mode)) {
		rv = bb_why(BB_EINVAL, why, whylen, "%s: not a regular file",
		            path);
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uintmax_t) st.st_size > cap) {
			goto toobig; // nothing read: the size says it all
		}
		// One byte past the size seen: reaching the end of the file
		// takes one more read, and a file that grew is read whole.
		size = (size_t) st.st_size + 1;
	}
	if (size > cap + 1) {
		size = cap + 1;
	}
	buf = malloc(size + 1);
	if (buf == NULL) {
		rv = bb_why_errno(ENOMEM, why, whylen, "%s", path);
		goto fail;
	}
	for (;;) {
		if (len == size) {
			if (size == cap + 1) {
				break; // one byte over the cap: too big
			}
			size = size > (cap + 1) / 2 ? cap + 1 : size * 2;
			p    = realloc(buf, size + 1);
			if (p == NULL) {
				rv = bb_why_errno(ENOMEM, why, whylen, "%s",
				                  path);
				goto fail;
			}
			buf = p;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rv = bb_why_errno(errno, why, whylen, "%s", path);
			goto fail;
		}
		if (n == 0) {
			break;
		}
		len += (size_t) n;
	}
	if (len > cap) {
		goto toobig;
	}
	buf[len] = '\0';
	(void) close(fd);
	*bufp = buf;
	*lenp = len;
	if (stp != NULL) {
		*stp = st;
	}
	return BB_OK;

toobig:
	rv = bb_why(BB_ETOOBIG, why, whylen,
	            "%s: file too large (more than %zu bytes)", path, cap);
fail:
	if (fd >= 0) {
		(void) close(fd);
	}
	free(buf);
	return rv;
}

void
bb_logfile_init(bb_logfile *lf)
{
	(void) pthread_rwlock_init(&lf->lock, NULL);
	lf->fd   = STDERR_FILENO;
	lf->path = NULL;
}

void
bb_logfile_fini(bb_logfile *lf)
{
	// The standard streams are never ours to close (a zeroed lf has
	// fd 0).
	if (lf->fd > STDERR_FILENO) {
		(void) close(lf->fd);
	}
	lf->fd = STDERR_FILENO;
	free(lf->path);
	lf->path = NULL;
	(void) pthread_rwlock_destroy(&lf->lock);
}

// logfile_swap makes fd (and path, taken) lf's file and closes the old
// one.  Writers hold the lock across their write(2), so once the write
// lock is ours no one still uses the old descriptor.
static void
logfile_swap(bb_logfile *lf, int fd, char *path)
{
	int old;

	(void) pthread_rwlock_wrlock(&lf->lock);
	old    = lf->fd;
	lf->fd = fd;
	(void) pthread_rwlock_unlock(&lf->lock);
	if (old > STDERR_FILENO) {
		(void) close(old);
	}
	if (path != lf->path) {
		free(lf->path);
		lf->path = path;
	}
}

// logfile_open_fd opens path for appending log lines.
static bb_err
logfile_open_fd(const char *path, int *fdp, char *why, size_t whylen)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		return bb_why_errno(errno, why, whylen, "%s", path);
	}
	*fdp = fd;
	return BB_OK;
}

bb_err
bb_logfile_open(bb_logfile *lf, const char *path, char *why, size_t whylen)
{
	char  *copy = NULL;
	int    fd   = STDERR_FILENO;
	bb_err rv;

	if (path != NULL && strcmp(path, "-") != 0) {
		copy = strdup(path);
		if (copy == NULL) {
			return bb_why(BB_ENOMEM, why, whylen, "%s: %s", path,
			              bb_strerror(BB_ENOMEM));
		}
		rv = logfile_open_fd(path, &fd, why, whylen);
		if (rv != BB_OK) {
			free(copy);
			return rv;
		}
	}
	logfile_swap(lf, fd, copy);
	return BB_OK;
}

bb_err
bb_logfile_reopen(bb_logfile *lf, char *why, size_t whylen)
{
	int    fd = -1;
	bb_err rv;

	if (lf->path == NULL) {
		return BB_OK;
	}
	rv = logfile_open_fd(lf->path, &fd, why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	logfile_swap(lf, fd, lf->path);
	return BB_OK;
}

void
bb_logfile_write(bb_logfile *lf, const char *line, size_t n)
{
	ssize_t w;

	(void) pthread_rwlock_rdlock(&lf->lock);
	w = write(lf->fd, line, n);
	(void) pthread_rwlock_unlock(&lf->lock);
	(void) w;
}
