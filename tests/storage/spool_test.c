// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/spool_test.c -- storage/spool.c: a body kept in memory up
// to STORE_SPOOL_MEM and spilled to an unnamed temporary file past it, the
// size limit, copy_to at an offset (pwrite from memory, copy_file_range
// from the file, the buffered fallback), and faults injected through the
// I/O table of storage/fileio.h.  Real files in a mkdtemp() directory.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/tmpdir.h"
#include "storage/fileio.h"
#include "storage/spool.h"

#define MIB     (UINT64_C(1) << 20)
#define MEM     ((uint64_t) STORE_SPOOL_MEM)
#define UNKNOWN UINT64_MAX
#define LIMIT   (16 * MIB)
// copy_to writes after this many bytes of 0xEE, which must stay.
#define PREFIX 4097

typedef struct {
	char tmp[64];    // the mkdtemp directory
	char spool[128]; // <tmp>/spool: where temporary files go
	char out[128];   // <tmp>/out: copy_to targets
} fix;

static fix g;

// ---- I/O table: counting, and faults on demand ----------------------

static store_io_ops io_ops;
static int          n_pwrite; // calls since the last io_arm
static int          n_pread;
static int          n_copy;
static int          pwrite_errno;   // nonzero: every pwrite fails so
static int          pwrite_max;     // > 0: a pwrite writes at most this
static int          copy_errno;     // nonzero: copy_file_range fails so
static bool         copy_half_once; // the first copy does half, then errno
static int          copy_max;       // > 0: a copy moves at most this

static ssize_t
io_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	n_pwrite++;
	if (pwrite_errno != 0) {
		errno = pwrite_errno;
		return -1;
	}
	if (pwrite_max > 0 && n > (size_t) pwrite_max) {
		n = (size_t) pwrite_max;
	}
	return store_io_real()->pwrite(fd, buf, n, off);
}

static ssize_t
io_pread(int fd, void *buf, size_t n, off_t off)
{
	n_pread++;
	return store_io_real()->pread(fd, buf, n, off);
}

static ssize_t
io_copy(int in, off_t *in_off, int out, off_t *out_off, size_t n)
{
	n_copy++;
	if (copy_half_once && n_copy == 1 && n > 1) {
		return store_io_real()->copy_file_range(in, in_off, out,
		                                        out_off, n / 2);
	}
	if (copy_errno != 0) {
		errno = copy_errno;
		return -1;
	}
	if (copy_max > 0 && n > (size_t) copy_max) {
		n = (size_t) copy_max;
	}
	return store_io_real()->copy_file_range(in, in_off, out, out_off, n);
}

// io_arm installs the counting table with no faults and zero counts.
static void
io_arm(void)
{
	io_ops                 = *store_io_real();
	io_ops.pwrite          = io_pwrite;
	io_ops.pread           = io_pread;
	io_ops.copy_file_range = io_copy;
	n_pwrite               = 0;
	n_pread                = 0;
	n_copy                 = 0;
	pwrite_errno           = 0;
	pwrite_max             = 0;
	copy_errno             = 0;
	copy_half_once         = false;
	copy_max               = 0;
	store_io_set_ops(&io_ops);
}

// ---- fixture and helpers --------------------------------------------

static int
setup(void **state)
{
	(void) state;
	(void) snprintf(g.tmp, sizeof(g.tmp), "/tmp/bb_spool_test.XXXXXX");
	if (mkdtemp(g.tmp) == NULL) {
		return -1;
	}
	(void) snprintf(g.spool, sizeof(g.spool), "%s/spool", g.tmp);
	(void) snprintf(g.out, sizeof(g.out), "%s/out", g.tmp);
	if (mkdir(g.spool, 0700) != 0 || mkdir(g.out, 0700) != 0) {
		return -1;
	}
	io_arm();
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	store_io_set_ops(NULL);
	bbt_rmtree(g.tmp);
	return 0;
}

// pat is byte i of a body made with seed.
static uint8_t
pat(uint64_t i, unsigned seed)
{
	return (uint8_t) (i * 31 + (i >> 8) * 7 + (i >> 16) * 3 + seed);
}

static uint8_t *
make_body(uint64_t n, unsigned seed)
{
	uint8_t *b = malloc(n > 0 ? (size_t) n : 1);
	uint64_t i;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		b[i] = pat(i, seed);
	}
	return b;
}

// write_chunks appends body[0..n) to sp in chunks of chunk bytes.
static void
write_chunks(store_spool *sp, const uint8_t *body, uint64_t n, size_t chunk)
{
	uint64_t o = 0;
	size_t   c;

	while (o < n) {
		c = n - o < chunk ? (size_t) (n - o) : chunk;
		assert_int_equal(store_spool_write(sp, body + o, c), BB_OK);
		o += c;
	}
}

// entries counts the names in dir (without . and ..).
static int
entries(const char *dir)
{
	DIR           *d = opendir(dir);
	struct dirent *e;
	int            n = 0;

	assert_non_null(d);
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0) {
			n++;
		}
	}
	(void) closedir(d);
	return n;
}

// target opens a new file <out>/<name> holding PREFIX bytes of 0xEE.
static int
target(const char *name)
{
	uint8_t pre[PREFIX];
	char    path[256];
	int     fd;

	(void) snprintf(path, sizeof(path), "%s/%s", g.out, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	memset(pre, 0xEE, sizeof(pre));
	assert_int_equal(pwrite(fd, pre, sizeof(pre), 0), (ssize_t) PREFIX);
	return fd;
}

// expect_file checks that fd is PREFIX bytes of 0xEE, then body[0..n).
static void
expect_file(int fd, const uint8_t *body, uint64_t n)
{
	struct stat st;
	uint8_t    *got;
	uint64_t    i;

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t) st.st_size, PREFIX + n);
	got = malloc((size_t) (PREFIX + n));
	assert_non_null(got);
	assert_int_equal(pread(fd, got, (size_t) (PREFIX + n), 0),
	                 (ssize_t) (PREFIX + n));
	for (i = 0; i < PREFIX; i++) {
		assert_int_equal(got[i], 0xEE);
	}
	assert_memory_equal(got + PREFIX, body, (size_t) n);
	free(got);
}

// copy_check copies sp to a new target at PREFIX and checks the bytes.
static void
copy_check(store_spool *sp, const char *name, const uint8_t *body, uint64_t n)
{
	int fd = target(name);

	assert_int_equal(store_spool_copy_to(sp, fd, PREFIX), BB_OK);
	expect_file(fd, body, n);
	(void) close(fd);
}

// ---- sizes at the boundaries ----------------------------------------

static void
test_sizes(void **state)
{
	static const struct {
		uint64_t expected; // announced length, or UNKNOWN
		uint64_t size;     // bytes written
		size_t   chunk;
		bool     in_mem; // held in memory at the end
	} cases[] = {
		{ UNKNOWN, 0, 1, true },
		{ UNKNOWN, 1, 1, true },
		{ UNKNOWN, MEM - 1, 1000, true },
		{ UNKNOWN, MEM, 1, true },
		{ UNKNOWN, MEM, MEM, true },
		{ UNKNOWN, MEM + 1, 1000, false },
		{ UNKNOWN, MEM + 1, MEM + 1, false },
		{ UNKNOWN, 5 * MIB + 3, 7777, false },
		{ 0, 0, 1, true },
		{ MEM - 1, MEM - 1, 4096, true },
		{ MEM, MEM, 4096, true },
		{ MEM + 1, MEM + 1, 4096, false },
		{ 5 * MIB, 5 * MIB, 65536, false },
		// The announcement is a hint, not a promise: a longer body
		// spills, a shorter one stays where it started.
		{ 10, 100, 7, false },
		{ 100, 10, 3, true },
		{ 3 * MIB, 10, 10, false },
	};
	store_spool *sp;
	uint8_t     *body;
	char         name[32];
	size_t       i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: expected %llu, size %llu\n", i,
		              (unsigned long long) cases[i].expected,
		              (unsigned long long) cases[i].size);
		body = make_body(cases[i].size, (unsigned) i);
		sp   = NULL;
		assert_int_equal(
		    store_spool_new(g.spool, cases[i].expected, LIMIT, &sp),
		    BB_OK);
		assert_non_null(sp);
		// Announced large: a file from the start.
		assert_int_equal(store_spool_data(sp) == NULL,
		                 cases[i].expected != UNKNOWN &&
		                     cases[i].expected > MEM);
		write_chunks(sp, body, cases[i].size, cases[i].chunk);
		assert_int_equal(store_spool_size(sp), cases[i].size);
		if (cases[i].in_mem) {
			assert_non_null(store_spool_data(sp));
			if (cases[i].size > 0) {
				assert_memory_equal(store_spool_data(sp), body,
				                    (size_t) cases[i].size);
			}
		} else {
			assert_null(store_spool_data(sp));
		}
		// No name is left in the directory, spilled or not.
		assert_int_equal(entries(g.spool), 0);

		// From memory copy_to is a pwrite; from the file, the
		// kernel's copy_file_range.
		io_arm();
		(void) snprintf(name, sizeof(name), "a%zu", i);
		copy_check(sp, name, body, cases[i].size);
		if (cases[i].in_mem) {
			assert_int_equal(n_copy, 0);
			assert_int_equal(n_pwrite > 0, cases[i].size > 0);
		} else {
			assert_true(n_copy > 0);
		}
		// copy_to leaves the spool as it was: a retry gets the
		// same bytes.
		(void) snprintf(name, sizeof(name), "b%zu", i);
		copy_check(sp, name, body, cases[i].size);
		store_spool_free(sp);
		free(body);
	}
	store_spool_free(NULL);
}

// ---- the size limit ---------------------------------------------------

static void
test_limit(void **state)
{
	static const struct {
		uint64_t expected;
		uint64_t limit;
	} cases[] = {
		{ UNKNOWN, 0 },
		{ UNKNOWN, 1000 },
		{ UNKNOWN, MEM },
		{ UNKNOWN, MEM + 10 },
		{ 2 * MEM, 2 * MEM },
		{ 100, 1000 },
		// An announcement over the limit is the namespace's to
		// refuse (store_ns_spool); the spool refuses the bytes.
		{ 2 * MIB, MIB },
	};
	store_spool *sp;
	uint8_t     *body;
	uint8_t      b = 0x5a;
	size_t       i;
	uint64_t     lim;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lim  = cases[i].limit;
		body = make_body(lim + 1, (unsigned) i);
		assert_int_equal(
		    store_spool_new(g.spool, cases[i].expected, lim, &sp),
		    BB_OK);
		// One byte over in one write: refused, nothing appended.
		assert_int_equal(store_spool_write(sp, body, (size_t) lim + 1),
		                 BB_ETOOBIG);
		assert_int_equal(store_spool_size(sp), 0);
		// Huge n must not wrap the check.
		assert_int_equal(store_spool_write(sp, body, SIZE_MAX),
		                 BB_ETOOBIG);
		if (lim > 0) {
			assert_int_equal(store_spool_write(sp, body, 1),
			                 BB_OK);
			assert_int_equal(
			    store_spool_write(sp, body + 1, (size_t) lim),
			    BB_ETOOBIG);
			assert_int_equal(store_spool_size(sp), 1);
			write_chunks(sp, body + 1, lim - 1, 4096);
		}
		assert_int_equal(store_spool_size(sp), lim);
		// Exactly at the limit: another byte is refused, nothing is.
		assert_int_equal(store_spool_write(sp, &b, 1), BB_ETOOBIG);
		assert_int_equal(store_spool_write(sp, &b, 0), BB_OK);
		assert_int_equal(store_spool_size(sp), lim);
		copy_check(sp, "limit", body, lim);
		store_spool_free(sp);
		free(body);
	}
}

// ---- failures ---------------------------------------------------------

// A spool whose directory is gone: memory works, the spill fails and
// keeps what was in memory.
static void
test_no_dir(void **state)
{
	char         dir[160];
	store_spool *sp   = NULL;
	uint8_t     *body = make_body(MEM + 1, 3);

	(void) state;
	(void) snprintf(dir, sizeof(dir), "%s/missing", g.tmp);
	assert_int_equal(store_spool_new(dir, MEM + 1, LIMIT, &sp), BB_ENOENT);
	assert_null(sp);
	assert_int_equal(store_spool_new(dir, UNKNOWN, LIMIT, &sp), BB_OK);
	write_chunks(sp, body, MEM, 10000);
	assert_int_equal(store_spool_write(sp, body + MEM, 1), BB_ENOENT);
	assert_int_equal(store_spool_size(sp), MEM);
	assert_non_null(store_spool_data(sp));
	assert_memory_equal(store_spool_data(sp), body, (size_t) MEM);
	copy_check(sp, "nodir", body, MEM);
	store_spool_free(sp);
	free(body);
}

// The disk is full while spilling, then while writing to the file: the
// write fails, the size stays, and once space is back the body is whole.
static void
test_disk_full(void **state)
{
	store_spool *sp   = NULL;
	uint8_t     *body = make_body(MEM + 3000, 4);

	(void) state;
	assert_int_equal(store_spool_new(g.spool, UNKNOWN, LIMIT, &sp), BB_OK);
	write_chunks(sp, body, MEM, MEM);
	io_arm();
	pwrite_errno = ENOSPC;
	assert_int_equal(store_spool_write(sp, body + MEM, 1000), BB_ENOSPC);
	assert_int_equal(store_spool_size(sp), MEM);
	assert_non_null(store_spool_data(sp));
	assert_memory_equal(store_spool_data(sp), body, (size_t) MEM);
	assert_int_equal(entries(g.spool), 0);
	pwrite_errno = 0;
	assert_int_equal(store_spool_write(sp, body + MEM, 1000), BB_OK);
	assert_null(store_spool_data(sp));
	pwrite_errno = ENOSPC;
	assert_int_equal(store_spool_write(sp, body + MEM + 1000, 1000),
	                 BB_ENOSPC);
	assert_int_equal(store_spool_size(sp), MEM + 1000);
	pwrite_errno = EIO;
	assert_int_equal(store_spool_write(sp, body + MEM + 1000, 1000),
	                 BB_EIO);
	pwrite_errno = 0;
	write_chunks(sp, body + MEM + 1000, 2000, 1000);
	assert_int_equal(store_spool_size(sp), MEM + 3000);
	copy_check(sp, "full", body, MEM + 3000);
	store_spool_free(sp);
	free(body);
}

// Short writes and short copies are continued, in memory and file mode.
static void
test_short_io(void **state)
{
	static const uint64_t sizes[] = { 1000, MEM, 3 * MIB + 5 };
	store_spool          *sp;
	uint8_t              *body;
	size_t                i;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		body = make_body(sizes[i], 10 + (unsigned) i);
		io_arm();
		pwrite_max = 777;
		copy_max   = 100000;
		assert_int_equal(store_spool_new(g.spool, UNKNOWN, LIMIT, &sp),
		                 BB_OK);
		write_chunks(sp, body, sizes[i], 65536);
		copy_check(sp, "short", body, sizes[i]);
		assert_true(n_pwrite > 1);
		store_spool_free(sp);
		free(body);
	}
}

// copy_file_range refused (another file system, an old kernel): the
// copy goes on through a buffer from where the kernel stopped.  Any other
// error is the caller's, and the spool can be copied again.
static void
test_copy_faults(void **state)
{
	static const struct {
		int    err;
		bool   half_first;
		bb_err want;
	} cases[] = {
		{ EXDEV, false, BB_OK },     { ENOSYS, false, BB_OK },
		{ EINVAL, false, BB_OK },    { EOPNOTSUPP, false, BB_OK },
		{ EXDEV, true, BB_OK },      { EIO, false, BB_EIO },
		{ ENOSPC, true, BB_ENOSPC },
	};
	store_spool *sp   = NULL;
	uint64_t     n    = 2 * MIB + 17;
	uint8_t     *body = make_body(n, 5);
	size_t       i;
	int          fd;

	(void) state;
	assert_int_equal(store_spool_new(g.spool, n, LIMIT, &sp), BB_OK);
	write_chunks(sp, body, n, 100000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: errno %d\n", i, cases[i].err);
		io_arm();
		copy_errno     = cases[i].err;
		copy_half_once = cases[i].half_first;
		fd             = target("copy");
		assert_int_equal(store_spool_copy_to(sp, fd, PREFIX),
		                 cases[i].want);
		if (cases[i].want == BB_OK) {
			assert_true(n_pread > 0); // the buffered path ran
			expect_file(fd, body, n);
		}
		(void) close(fd);
		io_arm();
		copy_check(sp, "again", body, n);
	}
	// From memory, a failed pwrite is the caller's too.
	store_spool_free(sp);
	assert_int_equal(store_spool_new(g.spool, UNKNOWN, LIMIT, &sp), BB_OK);
	write_chunks(sp, body, 5000, 5000);
	io_arm();
	pwrite_errno = ENOSPC;
	fd           = target("mem");
	assert_int_equal(store_spool_copy_to(sp, fd, PREFIX), BB_ENOSPC);
	(void) close(fd);
	pwrite_errno = 0;
	copy_check(sp, "mem2", body, 5000);
	store_spool_free(sp);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_short_io, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_copy_faults, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
