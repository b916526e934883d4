// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/file.h -- small whole files: reading one into memory with a cap
// (the configuration, PEM files, htpasswd files), and the log files
// (the process log and the access log) that SIGHUP reopens after
// rotation.  Storage files are not here: they go through
// storage/fileio.
#ifndef COMMON_FILE_H
#define COMMON_FILE_H

#include <pthread.h>
#include <stddef.h>
#include <sys/stat.h>

#include "common/err.h"

// BB_FILE_REGULAR: refuse anything but a regular file (BB_EINVAL, "not a
// regular file"), for callers that track versions with stat.
#define BB_FILE_REGULAR 0x1u

// bb_file_read reads the whole file at path (a regular file, or with
// flags 0 also a pipe or a device) into memory.  On BB_OK *bufp holds
// *lenp bytes and a NUL after them (the text may hold NULs of its own),
// the caller owns it (free()), and *stp, if stp is not NULL, is the
// fstat(2) of the file as opened.  cap (< SIZE_MAX) is the most bytes
// accepted: a longer file is BB_ETOOBIG, and no more than cap + 1 bytes
// are ever read or allocated.  Other errors: as open(2), fstat(2) and
// read(2) (a directory fails its read: "<path>: Is a directory").  The
// reason, "<path>: ...", goes to why on failure.  Thread-safe.
bb_err bb_file_read(const char *path, size_t cap, unsigned flags, char **bufp,
                    size_t *lenp, struct stat *stp, char *why, size_t whylen);

// A log file: lines appended with one write(2) each (O_APPEND, so lines
// from many threads and processes never mix), and reopened by name after
// the file was moved away.  New files get mode 0640 (before umask): log
// lines hold client addresses, so they are not for every local user.
// The body is here for embedding (the process log is a static one);
// callers touch no field.
typedef struct bb_logfile {
	pthread_rwlock_t lock; // writers share it; a swap of fd takes it
	int              fd;   // guarded by lock; STDERR_FILENO: not owned
	char            *path; // owned; NULL when writing to standard error
} bb_logfile;

// BB_LOGFILE_INIT initialises a static bb_logfile writing to standard
// error (as bb_logfile_init does).
#define BB_LOGFILE_INIT                             \
	{                                           \
		PTHREAD_RWLOCK_INITIALIZER, 2, NULL \
	}

// bb_logfile_init starts lf writing to standard error.  Release with
// bb_logfile_fini().
void bb_logfile_init(bb_logfile *lf);

// bb_logfile_fini closes lf's file and frees what it owns.  A zeroed lf
// (never initialised) is fine.  No write may run concurrently.
void bb_logfile_fini(bb_logfile *lf);

// bb_logfile_open directs lf to path (NULL or "-": standard error),
// creating the file if needed, and closes the file it wrote before.  On
// failure lf is unchanged.  Errors: BB_ENOMEM, and as open(2), with the
// reason "<path>: <strerror>" in why.  Safe against concurrent
// writes, not against concurrent opens or reopens of the same lf.
bb_err bb_logfile_open(bb_logfile *lf, const char *path, char *why,
                       size_t whylen);

// bb_logfile_reopen opens lf's path again (after rotation: the old file
// was renamed away) and swaps it in; standard error is left as it is.
// On failure the old file stays in use.  Errors and threads as
// bb_logfile_open.
bb_err bb_logfile_reopen(bb_logfile *lf, char *why, size_t whylen);

// bb_logfile_write appends line[0..n) with one write(2).  A full disk or
// a short write loses the line silently: logging must never fail the
// caller.  Thread-safe.
void bb_logfile_write(bb_logfile *lf, const char *line, size_t n);

#endif // COMMON_FILE_H
