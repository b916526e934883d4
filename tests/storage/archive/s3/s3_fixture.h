// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/s3_fixture.h -- what the S3 archive tests share: a
// temporary directory, patterned files, puts and range reads checked
// byte for byte.  Define _XOPEN_SOURCE 700 first (nftw, in tmpdir.h).
#ifndef TESTS_STORAGE_S3_FIXTURE_H
#define TESTS_STORAGE_S3_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/archive/archive.h"
#include "storage/archive/s3/digest.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"
#include "tests/clock.h"

#define MIB        (UINT64_C(1) << 20)
#define BUCKET     "blobby"
#define TIMEOUT_NS (INT64_C(10) * 1000000000)
#define WHYLEN     512

static char g_dir[256]; // the test's temporary directory

static inline void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	(void) nanosleep(&ts, NULL);
}

static inline store_s3_conf
conf_for(const char *endpoint)
{
	store_s3_conf c = {
		.endpoint            = endpoint,
		.region              = "us-east-1",
		.bucket              = BUCKET,
		.key_id              = BBT_S3_KEY_ID,
		.secret_key          = BBT_S3_SECRET,
		.multipart_threshold = 6 * MIB,
		.part_size           = 5 * MIB,
		.timeout_ns          = TIMEOUT_NS,
	};
	return c;
}

// pat is the byte at i of a file made with seed: it changes with every
// position, so a range read from the wrong offset does not compare equal.
static inline uint8_t
pat(uint64_t i, unsigned seed)
{
	return (uint8_t) (i * 7 + (i >> 8) * 131 + (i >> 16) * 17 + seed);
}

// make_file creates <g_dir>/<name> of size patterned bytes; returns its fd.
static inline int
make_file(const char *name, uint64_t size, unsigned seed)
{
	static uint8_t buf[64 * 1024];
	char           path[512];
	uint64_t       off;
	size_t         n;
	size_t         i;
	int            fd;

	(void) snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (off = 0; off < size; off += n) {
		n = size - off < sizeof(buf) ? (size_t) (size - off)
		                             : sizeof(buf);
		for (i = 0; i < n; i++) {
			buf[i] = pat(off + i, seed);
		}
		assert_int_equal(pwrite(fd, buf, n, (off_t) off), (ssize_t) n);
	}
	return fd;
}

static inline uint64_t
fd_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t) st.st_size;
}

static inline bb_err
put_fd(store_archive *a, const char *key, int fd, bool *existed, char *why)
{
	*existed = false;
	return store_archive_put(a, key, fd, fd_size(fd), NULL, existed, why,
	                         WHYLEN);
}

static inline void
put_ok(store_archive *a, const char *key, int fd, bool want_existed)
{
	char   why[WHYLEN] = "";
	bool   existed;
	bb_err rv;

	rv = put_fd(a, key, fd, &existed, why);
	if (rv != BB_OK) {
		fail_msg("put %s: %s: %s", key, bb_err_name(rv), why);
	}
	assert_int_equal(existed, want_existed);
}

// read_range reads [off, off + len) of key into a caller's buffer of len
// bytes, in odd-sized pieces; returns the first error.
static inline bb_err
read_range(store_archive *a, const char *key, uint64_t off, uint64_t len,
           uint8_t *out)
{
	store_archive_rd *rd  = NULL;
	uint64_t          got = 0;
	size_t            n;
	bb_err            rv;

	rv = store_archive_open(a, key, off, len, &rd);
	if (rv != BB_OK) {
		return rv;
	}
	for (;;) {
		n  = 0;
		rv = store_archive_rd_read(
		    rd, out + got,
		    len - got < 7777 ? (size_t) (len - got) + 1 : 7777, &n);
		if (rv != BB_OK || n == 0) {
			break;
		}
		got += n;
		if (got > len) {
			rv = BB_EPROTO;
			break;
		}
	}
	store_archive_rd_close(rd);
	if (rv == BB_OK && got != len) {
		rv = BB_ESHORT;
	}
	return rv;
}

// expect_range checks that [off, off + len) of key holds what fd does.
static inline void
expect_range(store_archive *a, const char *key, int fd, uint64_t off,
             uint64_t len)
{
	uint8_t *got  = malloc(len + 1);
	uint8_t *want = malloc(len + 1);
	bb_err   rv;

	assert_non_null(got);
	assert_non_null(want);
	rv = read_range(a, key, off, len, got);
	if (rv == BB_OK) {
		rv = pread(fd, want, len, (off_t) off) == (ssize_t) len &&
		        memcmp(got, want, len) == 0
		    ? BB_OK
		    : BB_ECORRUPT;
	}
	free(got);
	free(want);
	if (rv != BB_OK) {
		fail_msg("read %s [%llu, +%llu): %s", key,
		         (unsigned long long) off, (unsigned long long) len,
		         bb_err_name(rv));
	}
}

// s3fx_dir_make makes g_dir (the caller removes it with bbt_rmtree);
// -1 on failure.
static inline int
s3fx_dir_make(void)
{
	const char *tmp = getenv("TMPDIR");

	(void) snprintf(g_dir, sizeof(g_dir), "%s/bbt-s3-XXXXXX",
	                tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(g_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

#endif // TESTS_STORAGE_S3_FIXTURE_H
