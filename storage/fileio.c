// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/fileio.c -- the data system calls of the storage module
// (Linux): the real table behind store_io_ops, and the loops over it that
// retry EINTR and short transfers.  Namespace calls (open, unlink, rename,
// fsync) do not go through it yet.
#define _GNU_SOURCE // copy_file_range
#include <errno.h>
#include <unistd.h>

#include "storage/fileio.h"

#define IO_COPY_BUF (64 * 1024)

static ssize_t
io_copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t n)
{
	return copy_file_range(in, in_off, out, out_off, n, 0);
}

static const store_io_ops io_real = {
	.pwrite          = pwrite,
	.pread           = pread,
	.copy_file_range = io_copy_file_range,
	.ftruncate       = ftruncate,
	.fdatasync       = fdatasync,
};

static const store_io_ops *io = &io_real;

void
store_io_set_ops(const store_io_ops *ops)
{
	io = ops != NULL ? ops : &io_real;
}

const store_io_ops *
store_io_real(void)
{
	return &io_real;
}

bb_err
store_io_write(int fd, const void *buf, size_t n, uint64_t off)
{
	const char *p = buf;
	ssize_t     w;

	while (n > 0) {
		w = io->pwrite(fd, p, n, (off_t) off);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return bb_err_from_errno(errno);
		}
		if (w == 0) {
			return BB_EIO;
		}
		p += w;
		n -= (size_t) w;
		off += (uint64_t) w;
	}
	return BB_OK;
}

bb_err
store_io_read(int fd, void *buf, size_t n, uint64_t off)
{
	char   *p = buf;
	ssize_t r;

	while (n > 0) {
		r = io->pread(fd, p, n, (off_t) off);
		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			return bb_err_from_errno(errno);
		}
		if (r == 0) {
			return BB_ESHORT;
		}
		p += r;
		n -= (size_t) r;
		off += (uint64_t) r;
	}
	return BB_OK;
}

// io_copy_buffered is the fallback where the kernel cannot copy between
// these two files (old kernels, some file systems).
static bb_err
io_copy_buffered(int in, uint64_t in_off, int out, uint64_t out_off,
                 uint64_t n, char *buf)
{
	size_t chunk;
	bb_err rv;

	while (n > 0) {
		chunk = n < IO_COPY_BUF ? (size_t) n : IO_COPY_BUF;
		rv    = store_io_read(in, buf, chunk, in_off);
		if (rv != BB_OK) {
			return rv;
		}
		rv = store_io_write(out, buf, chunk, out_off);
		if (rv != BB_OK) {
			return rv;
		}
		in_off += chunk;
		out_off += chunk;
		n -= chunk;
	}
	return BB_OK;
}

bb_err
store_io_copy(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t n)
{
	static _Thread_local char buf[IO_COPY_BUF];
	off_t                     ioff = (off_t) in_off;
	off_t                     ooff = (off_t) out_off;
	ssize_t                   c;

	while (n > 0) {
		c = io->copy_file_range(in, &ioff, out, &ooff,
		                        n > (1u << 30) ? (1u << 30)
		                                       : (size_t) n);
		if (c < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EXDEV || errno == ENOSYS ||
			    errno == EINVAL || errno == EOPNOTSUPP) {
				return io_copy_buffered(in, (uint64_t) ioff,
				                        out, (uint64_t) ooff,
				                        n, buf);
			}
			return bb_err_from_errno(errno);
		}
		if (c == 0) {
			return BB_ESHORT;
		}
		n -= (uint64_t) c;
	}
	return BB_OK;
}

bb_err
store_io_truncate(int fd, uint64_t len)
{
	int r;

	do {
		r = io->ftruncate(fd, (off_t) len);
	} while (r != 0 && errno == EINTR);
	return r == 0 ? BB_OK : bb_err_from_errno(errno);
}

bb_err
store_io_sync(int fd)
{
	int r;

	do {
		r = io->fdatasync(fd);
	} while (r != 0 && errno == EINTR);
	return r == 0 ? BB_OK : bb_err_from_errno(errno);
}
