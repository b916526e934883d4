// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/fileio.h -- the raw file system calls of the storage module,
// behind a table that unit tests replace to inject faults (disk full,
// failing truncate) that real files cannot produce on demand.
#ifndef STORAGE_FILEIO_H
#define STORAGE_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

// The system calls, with their usual meaning and errno convention.
typedef struct store_io_ops {
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	ssize_t (*copy_file_range)(int in, off_t *in_off, int out,
	                           off_t *out_off, size_t n);
	int (*ftruncate)(int fd, off_t len);
	int (*fdatasync)(int fd);
} store_io_ops;

// store_io_set_ops replaces the table (NULL restores the real calls).
// For tests only: not thread-safe against concurrent I/O.
void store_io_set_ops(const store_io_ops *ops);

// store_io_real returns the table of real system calls, so a test can
// wrap some of them.  Borrowed, static.
const store_io_ops *store_io_real(void);

// store_io_write writes all n bytes of buf at off.  BB_ENOSPC, BB_EIO...
// from errno; a write that makes no progress gives BB_EIO.
bb_err store_io_write(int fd, const void *buf, size_t n, uint64_t off);

// store_io_read reads exactly n bytes at off into buf.  BB_ESHORT if the
// file ends first.
bb_err store_io_read(int fd, void *buf, size_t n, uint64_t off);

// store_io_copy copies n bytes from in at in_off to out at out_off, in
// the kernel where it can (copy_file_range), else through a bounded
// buffer.  BB_ESHORT if in ends first.
bb_err store_io_copy(int in, uint64_t in_off, int out, uint64_t out_off,
                     uint64_t n);

// store_io_truncate sets the length of fd to len.
bb_err store_io_truncate(int fd, uint64_t len);

// store_io_sync puts the data of fd on stable storage (fdatasync): what
// was written before it returns BB_OK survives a machine crash.  After
// an error the state of the written data is unknown (the kernel may have
// dropped the pages): treat them as lost.
bb_err store_io_sync(int fd);

#endif // STORAGE_FILEIO_H
