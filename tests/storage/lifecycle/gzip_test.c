// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/lifecycle/gzip_test.c -- storage/lifecycle/gzip.c: what
// store__gzip writes is one gzip member that zlib's inflate turns back into
// the input, for sizes around its buffer and levels -1, 0, 1 and 9; cancel
// stops it; read and write failures are reported.  Real files in a
// mkdtemp() directory.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "tests/tmpdir.h"
#include "storage/fileio.h"
#include <stdbool.h>

#include "storage/lifecycle/gzip.h"

#define MIB (UINT64_C(1) << 20)
// store__gzip's read and write buffer (GZ_BUF in gzip.c).
#define BUF (UINT64_C(128) << 10)

static char g_tmp[64];

static int
setup(void **state)
{
	(void) state;
	(void) snprintf(g_tmp, sizeof(g_tmp), "/tmp/bb_gzip_test.XXXXXX");
	return mkdtemp(g_tmp) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	store_io_set_ops(NULL);
	bbt_rmtree(g_tmp);
	return 0;
}

// make_body is n bytes, half text-like (compressible), half noise.
static uint8_t *
make_body(uint64_t n, uint32_t seed)
{
	uint8_t *b = malloc(n > 0 ? (size_t) n : 1);
	uint32_t x = seed * 2654435761u + 1;
	uint64_t i;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (i / 4096) % 2 == 0 ? (uint8_t) ("blobby "[i % 7])
		                           : (uint8_t) x;
	}
	return b;
}

// open_file creates <tmp>/<name> (empty, read-write), optionally holding
// n bytes of body.
static int
open_file(const char *name, const uint8_t *body, uint64_t n)
{
	char path[160];
	int  fd;

	(void) snprintf(path, sizeof(path), "%s/%s", g_tmp, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	if (n > 0) {
		assert_int_equal(store_io_write(fd, body, (size_t) n, 0),
		                 BB_OK);
	}
	return fd;
}

// gunzip inflates the whole of fd, which must be exactly one gzip member,
// and checks it is body[0..n).  Returns the compressed size.
static uint64_t
gunzip(int fd, const uint8_t *body, uint64_t n)
{
	struct stat st;
	z_stream    z;
	uint8_t    *in;
	uint8_t    *out;
	int         zrv;

	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size > 0);
	in  = malloc((size_t) st.st_size);
	out = malloc((size_t) n + 1);
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(store_io_read(fd, in, (size_t) st.st_size, 0), BB_OK);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK); // gzip only
	z.next_in   = in;
	z.avail_in  = (uInt) st.st_size;
	z.next_out  = out;
	z.avail_out = (uInt) n + 1; // one more: a longer output shows
	zrv         = inflate(&z, Z_FINISH);
	assert_int_equal(zrv, Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); // one member, nothing after it
	assert_int_equal(z.total_out, n);
	assert_memory_equal(out, body, (size_t) n);
	(void) inflateEnd(&z);
	free(in);
	free(out);
	return (uint64_t) st.st_size;
}

// ---- round trips --------------------------------------------------------

static void
test_roundtrip(void **state)
{
	static const uint64_t sizes[] = {
		0,       1,           4095,    BUF - 1,      BUF,
		BUF + 1, 2 * BUF - 1, 2 * BUF, 3 * MIB + 11,
	};
	static const int levels[] = { -1, 0, 1, 9 };
	uint64_t         gz[4];
	uint8_t         *body;
	size_t           i;
	size_t           l;
	int              in;
	int              out;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		body = make_body(sizes[i], (uint32_t) i);
		in   = open_file("in", body, sizes[i]);
		for (l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
			print_message("size %llu level %d\n",
			              (unsigned long long) sizes[i],
			              levels[l]);
			out = open_file("out.gz", NULL, 0);
			assert_int_equal(
			    store__gzip(in, sizes[i], out, levels[l], NULL),
			    BB_OK);
			gz[l] = gunzip(out, body, sizes[i]);
			(void) close(out);
		}
		// Level 0 stores; on this half-text body the others shrink.
		assert_true(gz[1] > sizes[i]);
		if (sizes[i] >= 4096) {
			assert_true(gz[0] < sizes[i]);
			assert_true(gz[2] < sizes[i]);
			assert_true(gz[3] < sizes[i]);
		}
		(void) close(in);
		free(body);
	}
}

// Only the first size bytes are compressed, from offset 0.
static void
test_prefix(void **state)
{
	uint8_t *body = make_body(BUF + 500, 7);
	int      in;
	int      out;

	(void) state;
	in  = open_file("in", body, BUF + 500);
	out = open_file("out.gz", NULL, 0);
	assert_int_equal(store__gzip(in, BUF + 1, out, 6, NULL), BB_OK);
	(void) gunzip(out, body, BUF + 1);
	(void) close(out);
	(void) close(in);
	free(body);
}

// ---- cancel and failures -----------------------------------------------

static atomic_bool  g_cancel;
static store_io_ops g_ops;
static int          g_preads;
static int          g_pwrite_errno;

// Every pread counts; the second one raises the cancel flag.
static ssize_t
cancel_pread(int fd, void *buf, size_t n, off_t off)
{
	if (++g_preads == 2) {
		atomic_store(&g_cancel, true);
	}
	return store_io_real()->pread(fd, buf, n, off);
}

static ssize_t
failing_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (g_pwrite_errno != 0) {
		errno = g_pwrite_errno;
		return -1;
	}
	return store_io_real()->pwrite(fd, buf, n, off);
}

static void
test_cancel(void **state)
{
	uint8_t *body = make_body(3 * BUF, 8);
	int      in;
	int      out;

	(void) state;
	in = open_file("in", body, 3 * BUF);
	// Cancelled before it starts, even with nothing to read.
	atomic_store(&g_cancel, true);
	out = open_file("out.gz", NULL, 0);
	assert_int_equal(store__gzip(in, 3 * BUF, out, 1, &g_cancel),
	                 BB_ESHUTDOWN);
	assert_int_equal(store__gzip(in, 0, out, 1, &g_cancel), BB_ESHUTDOWN);
	(void) close(out);
	// Cancelled while it runs: it stops at the next buffer.
	atomic_store(&g_cancel, false);
	g_preads    = 0;
	g_ops       = *store_io_real();
	g_ops.pread = cancel_pread;
	store_io_set_ops(&g_ops);
	out = open_file("out.gz", NULL, 0);
	assert_int_equal(store__gzip(in, 3 * BUF, out, 1, &g_cancel),
	                 BB_ESHUTDOWN);
	assert_int_equal(g_preads, 2);
	store_io_set_ops(NULL);
	(void) close(out);
	// Not cancelled: a flag that stays false changes nothing.
	atomic_store(&g_cancel, false);
	out = open_file("out.gz", NULL, 0);
	assert_int_equal(store__gzip(in, 3 * BUF, out, 1, &g_cancel), BB_OK);
	(void) gunzip(out, body, 3 * BUF);
	(void) close(out);
	(void) close(in);
	free(body);
}

static void
test_failures(void **state)
{
	static const int errs[] = { ENOSPC, EIO };
	uint8_t         *body   = make_body(2 * BUF, 9);
	char             path[160];
	size_t           i;
	int              in;
	int              out;

	(void) state;
	in = open_file("in", body, 2 * BUF);
	// The output is read-only, or closed.
	(void) snprintf(path, sizeof(path), "%s/ro.gz", g_tmp);
	out = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(out >= 0);
	assert_int_equal(store__gzip(in, 2 * BUF, out, 1, NULL),
	                 bb_err_from_errno(EBADF));
	(void) close(out);
	out = open_file("closed.gz", NULL, 0);
	(void) close(out);
	assert_int_equal(store__gzip(in, 2 * BUF, out, 1, NULL),
	                 bb_err_from_errno(EBADF));
	// The disk fills up or fails.
	g_ops        = *store_io_real();
	g_ops.pwrite = failing_pwrite;
	store_io_set_ops(&g_ops);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		g_pwrite_errno = errs[i];
		out            = open_file("full.gz", NULL, 0);
		assert_int_equal(store__gzip(in, 2 * BUF, out, 1, NULL),
		                 bb_err_from_errno(errs[i]));
		(void) close(out);
	}
	g_pwrite_errno = 0;
	store_io_set_ops(NULL);
	// The input is shorter than the size given.
	out = open_file("short.gz", NULL, 0);
	assert_int_equal(store__gzip(in, 2 * BUF + 1, out, 1, NULL),
	                 BB_ESHORT);
	(void) close(out);
	// The input cannot be read (closed).
	out = open_file("badin.gz", NULL, 0);
	(void) close(in);
	assert_int_equal(store__gzip(in, 10, out, 1, NULL),
	                 bb_err_from_errno(EBADF));
	(void) close(out);
	// A level zlib does not know is refused (the lifecycle only passes
	// -1..9), and nothing is written.
	in  = open_file("in", body, 10);
	out = open_file("level.gz", NULL, 0);
	assert_int_not_equal(store__gzip(in, 10, out, 10, NULL), BB_OK);
	assert_int_equal(lseek(out, 0, SEEK_END), 0);
	(void) close(out);
	(void) close(in);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
