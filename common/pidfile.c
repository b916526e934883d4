// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/pidfile.c -- the pid file: a stale one (its process is gone) is
// replaced, a live one stops a second instance from starting on the same
// data.
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pidfile.h"

// pidfile_read returns the pid in path, or 0 if there is none.
static long
pidfile_read(const char *path)
{
	char  buf[32];
	FILE *f = fopen(path, "r");
	long  pid;
	char *end;

	if (f == NULL) {
		return 0;
	}
	if (fgets(buf, sizeof(buf), f) == NULL) {
		buf[0] = '\0';
	}
	(void) fclose(f);
	errno = 0;
	pid   = strtol(buf, &end, 10);
	// A number beyond pid_t would become another pid (or -1: every
	// process) in kill(): no process wrote it.
	if (errno != 0 || pid <= 0 || pid > INT_MAX ||
	    (*end != '\n' && *end != '\0')) {
		return 0;
	}
	return pid;
}

bb_err
bb_pidfile_write(const char *path, long *otherp, char *why, size_t len)
{
	char   tmp[4096];
	long   other = pidfile_read(path);
	FILE  *f;
	bool   ok;
	bb_err rv;

	if (other > 0 && other != (long) getpid() &&
	    (kill((pid_t) other, 0) == 0 || errno == EPERM)) {
		*otherp = other;
		(void) snprintf(why, len, "%s: process %ld is running", path,
		                other);
		return BB_EEXIST;
	}
	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	                      (long) getpid()) >= sizeof(tmp)) {
		(void) snprintf(why, len, "%s: path too long", path);
		return BB_ETOOBIG;
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		goto fail;
	}
	ok = fprintf(f, "%ld\n", (long) getpid()) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		goto fail;
	}
	return BB_OK;

fail:
	rv = bb_err_from_errno(errno != 0 ? errno : EIO);
	(void) snprintf(why, len, "%s: %s", path, strerror(errno));
	(void) unlink(tmp);
	return rv;
}

void
bb_pidfile_remove(const char *path)
{
	if (path != NULL && pidfile_read(path) == (long) getpid()) {
		(void) unlink(path);
	}
}
