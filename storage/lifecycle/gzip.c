// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/gzip.c -- compression of a sealed file into its .gz copy
// with zlib, as the original's compress(): one gzip member, the
// namespace's level.
#include <string.h>

#include <zlib.h>

#include "storage/fileio.h"
#include "storage/lifecycle/gzip.h"

#define GZ_BUF (128u << 10)

int
store__gzip_level(int compress_level)
{
	// The original's level mapping: 0 is zlib's default, -1 no
	// compression.
	if (compress_level == 0) {
		return Z_DEFAULT_COMPRESSION;
	}
	return compress_level == -1 ? 0 : compress_level;
}

bb_err
store__gzip(int in, uint64_t size, int out, int level,
            const atomic_bool *cancel)
{
	static _Thread_local unsigned char ibuf[GZ_BUF];
	static _Thread_local unsigned char obuf[GZ_BUF];
	z_stream                           z;
	uint64_t                           off  = 0;
	uint64_t                           wout = 0;
	size_t                             n;
	int                                flush;
	int                                zrv;
	bb_err                             rv = BB_OK;

	memset(&z, 0, sizeof(z));
	// 15 + 16: the largest window, with a gzip header and trailer.
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK) {
		return BB_ENOMEM;
	}
	do {
		if (cancel != NULL && atomic_load(cancel)) {
			rv = BB_ESHUTDOWN;
			break;
		}
		n = size - off < GZ_BUF ? (size_t) (size - off) : GZ_BUF;
		if (n > 0) {
			rv = store_io_read(in, ibuf, n, off);
			if (rv != BB_OK) {
				break;
			}
		}
		off += n;
		flush      = off == size ? Z_FINISH : Z_NO_FLUSH;
		z.next_in  = ibuf;
		z.avail_in = (uInt) n;
		do {
			z.next_out  = obuf;
			z.avail_out = GZ_BUF;
			zrv         = deflate(&z, flush);
			if (zrv == Z_STREAM_ERROR) {
				rv = BB_EIO;
				break;
			}
			n  = GZ_BUF - z.avail_out;
			rv = store_io_write(out, obuf, n, wout);
			wout += n;
		} while (rv == BB_OK && z.avail_out == 0);
	} while (rv == BB_OK && flush != Z_FINISH);
	(void) deflateEnd(&z);
	return rv;
}
