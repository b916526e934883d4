// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/s3_test.c -- the S3 archive
// (storage/archive/s3/) against a real s3rver on loopback:
// round trips, ranges, missing objects, skipped re-uploads, the best copy
// kept (prefix upgrades, conflicts refused), multipart, odd
// keys, a stopped server, cancel.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include "tests/storage/archive/s3/s3_fixture.h"

static bbt_s3        *g_s3; // s3rver
static store_archive *g_a;  // an archive on g_s3

// ---- against s3rver --------------------------------------------------

static int
s3rver_setup(void **state)
{
	static const char *const buckets[] = { BUCKET, "other", NULL };
	store_s3_conf            c;
	char                     why[WHYLEN] = "";
	char                     data[300];

	(void) state;
	(void) snprintf(data, sizeof(data), "%s/s3", g_dir);
	g_s3 = bbt_s3_start(data, buckets);
	if (g_s3 == NULL) {
		return -1;
	}
	c = conf_for(bbt_s3_endpoint(g_s3));
	if (store_archive_s3_new(&c, &g_a, why, sizeof(why)) != BB_OK) {
		(void) fprintf(stderr, "store_archive_s3_new: %s\n", why);
		return -1;
	}
	return 0;
}

static int
s3rver_teardown(void **state)
{
	(void) state;
	store_archive_free(g_a);
	g_a = NULL;
	bbt_s3_stop(g_s3);
	g_s3 = NULL;
	return 0;
}

static void
test_roundtrip(void **state)
{
	static const uint64_t sizes[] = { 0, 1, MIB };
	store_archive_rd     *rd      = NULL;
	uint8_t               b;
	char                  key[64];
	size_t                n = 1;
	size_t                i;
	int                   fd;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		(void) snprintf(key, sizeof(key), "rt/%zu", i);
		fd = make_file(key + 3, sizes[i], (unsigned) i);
		put_ok(g_a, key, fd, false);
		put_ok(g_a, key, fd, true);
		if (sizes[i] == 0) {
			// Nothing to ask for: a reader that ends at once.
			assert_int_equal(
			    store_archive_open(g_a, key, 0, 0, &rd), BB_OK);
			assert_int_equal(store_archive_rd_read(rd, &b, 1, &n),
			                 BB_OK);
			assert_int_equal(n, 0);
			store_archive_rd_close(rd);
			assert_int_equal(read_range(g_a, key, 0, 1, &b),
			                 BB_ENOENT);
		} else {
			expect_range(g_a, key, fd, 0, sizes[i]);
			expect_range(g_a, key, fd, sizes[i] - 1, 1);
			expect_range(g_a, key, fd, 0, 1);
		}
		(void) close(fd);
	}
}

static void
test_ranges(void **state)
{
	static const struct {
		uint64_t off;
		uint64_t len;
	} r[] = {
		{ 0, 1 },          { 1, 100 },     { 4095, 4097 },
		{ 12345, 300000 }, { MIB - 1, 1 }, { MIB - 70000, 70000 },
		{ 65536, 65536 },  { 0, MIB },
	};
	size_t i;
	int    fd;

	(void) state;
	fd = make_file("ranges", MIB, 9);
	put_ok(g_a, "ranges", fd, false);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		expect_range(g_a, "ranges", fd, r[i].off, r[i].len);
	}
	(void) close(fd);
}

static void
test_missing_and_past_end(void **state)
{
	uint8_t *buf = malloc(2000);
	int      fd;

	(void) state;
	assert_non_null(buf);
	assert_int_equal(read_range(g_a, "no/such/key", 0, 10, buf),
	                 BB_ENOENT);
	fd = make_file("short", 1000, 10);
	put_ok(g_a, "short", fd, false);
	assert_int_equal(read_range(g_a, "short", 990, 20, buf), BB_ENOENT);
	assert_int_equal(read_range(g_a, "short", 0, 1001, buf), BB_ENOENT);
	assert_int_equal(read_range(g_a, "short", 1000, 1, buf), BB_ENOENT);
	assert_int_equal(read_range(g_a, "short", 5000, 10, buf), BB_ENOENT);
	expect_range(g_a, "short", fd, 0, 1000);
	expect_range(g_a, "short", fd, 999, 1);
	(void) close(fd);
	free(buf);
}

// test_put_twice: the second put of the same bytes sends nothing: the
// object file s3rver keeps is not rewritten.
static void
test_put_twice(void **state)
{
	struct stat a;
	struct stat b;
	char        path[512];
	int         fd;

	(void) state;
	fd = make_file("twice", 300000, 11);
	put_ok(g_a, "twice", fd, false);
	assert_int_equal(
	    bbt_s3_object_path(g_s3, BUCKET, "twice", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(a.st_size, 300000);
	sleep_ms(50);
	put_ok(g_a, "twice", fd, true);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_int_equal(a.st_ino, b.st_ino);
	(void) close(fd);
}

// put_refused puts fd as key and expects a conflict naming the key.
static void
put_refused(const char *key, int fd)
{
	char   why[WHYLEN] = "";
	bool   existed     = false;
	bb_err rv;

	rv = put_fd(g_a, key, fd, &existed, why);
	if (rv != BB_EEXIST) {
		fail_msg("put %s: %s (%s), not a conflict", key,
		         bb_err_name(rv), why);
	}
	assert_non_null(strstr(why, key));
}

// test_best_copy: an object is replaced only by a longer copy of which it
// is a prefix; a shorter copy that is its prefix succeeds without a
// write; different bytes are refused and the object kept.
static void
test_best_copy(void **state)
{
	struct stat a;
	struct stat b;
	char        path[512];
	int         fa     = make_file("best-a", 4096, 1);
	int         fb     = make_file("best-b", 4096, 2);
	int         fshort = make_file("best-short", 1000, 1);
	int         flong  = make_file("best-long", 9000, 1);
	int         fc     = make_file("best-c", 100, 3);
	int         fother = make_file("best-other", 12000, 2);

	(void) state;
	put_ok(g_a, "best", fa, false);
	put_refused("best", fb); // same size, other bytes
	expect_range(g_a, "best", fa, 0, 4096);
	assert_int_equal(
	    bbt_s3_object_path(g_s3, BUCKET, "best", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &a), 0);
	sleep_ms(50);
	put_ok(g_a, "best", fshort, true); // our bytes are its first ones
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_int_equal(a.st_ino, b.st_ino);
	expect_range(g_a, "best", fa, 0, 4096);
	put_ok(g_a, "best", flong, false); // the longer consistent copy
	expect_range(g_a, "best", flong, 0, 9000);
	put_refused("best", fc);     // shorter, other bytes
	put_refused("best", fother); // longer, other bytes
	put_ok(g_a, "best", fa, true);
	expect_range(g_a, "best", flong, 0, 9000);
	assert_int_equal(read_range(g_a, "best", 9000, 1, (uint8_t[1]) { 0 }),
	                 BB_ENOENT);
	(void) close(fa);
	(void) close(fb);
	(void) close(fshort);
	(void) close(flong);
	(void) close(fc);
	(void) close(fother);
}

// test_best_copy_multipart: a multipart object is a prefix of a longer
// copy (its ETag is not a plain MD5 on AWS; s3rver gives the MD5).
static void
test_best_copy_multipart(void **state)
{
	int fa = make_file("bm-a", 7 * MIB, 5);
	int fb = make_file("bm-b", 12 * MIB + 3, 5);
	int fc = make_file("bm-c", 11 * MIB, 6);

	(void) state;
	put_ok(g_a, "bm", fa, false);
	put_ok(g_a, "bm", fb, false);
	expect_range(g_a, "bm", fb, 0, 12 * MIB + 3);
	put_ok(g_a, "bm", fa, true);
	put_refused("bm", fc);
	expect_range(g_a, "bm", fb, 0, 12 * MIB + 3);
	(void) close(fa);
	(void) close(fb);
	(void) close(fc);
}

// test_multipart: 12 MiB + 3 bytes over a 6 MiB threshold go in parts of
// 5, 5 and 2 MiB + 3; read back across part boundaries.
static void
test_multipart(void **state)
{
	static const uint64_t size = 12 * MIB + 3;
	struct stat           st;
	char                  path[512];
	int                   fd;

	(void) state;
	fd = make_file("multi", size, 12);
	put_ok(g_a, "multi/part", fd, false);
	assert_int_equal(
	    bbt_s3_object_path(g_s3, BUCKET, "multi/part", path, sizeof(path)),
	    0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t) st.st_size, size);
	expect_range(g_a, "multi/part", fd, 5 * MIB - 10, 20);
	expect_range(g_a, "multi/part", fd, 10 * MIB - 1, 2);
	expect_range(g_a, "multi/part", fd, 4 * MIB, 7 * MIB);
	expect_range(g_a, "multi/part", fd, size - 3, 3);
	expect_range(g_a, "multi/part", fd, 0, size);
	put_ok(g_a, "multi/part", fd, true);
	(void) close(fd);
}

typedef struct par_arg {
	int        fd;
	unsigned   seed;
	atomic_int failures;
} par_arg;

static void *
par_reader(void *arg)
{
	par_arg *p    = arg;
	uint8_t *got  = malloc(200000);
	uint8_t *want = malloc(200000);
	uint64_t off;
	uint64_t len;
	int      i;

	for (i = 0; got != NULL && want != NULL && i < 8; i++) {
		off = ((uint64_t) p->seed * 7919 + (uint64_t) i * 104729) %
		    (3 * MIB - 200000);
		len = 1 + (off * 31) % 199999;
		if (read_range(g_a, "parallel", off, len, got) != BB_OK ||
		    pread(p->fd, want, len, (off_t) off) != (ssize_t) len ||
		    memcmp(got, want, len) != 0) {
			atomic_fetch_add(&p->failures, 1);
		}
	}
	free(got);
	free(want);
	return NULL;
}

// test_parallel_reads: readers in several threads share the archive.
static void
test_parallel_reads(void **state)
{
	par_arg   args[6];
	pthread_t th[6];
	int       fd;
	int       i;

	(void) state;
	fd = make_file("parallel", 3 * MIB, 13);
	put_ok(g_a, "parallel", fd, false);
	for (i = 0; i < 6; i++) {
		args[i].fd   = fd;
		args[i].seed = (unsigned) i;
		atomic_init(&args[i].failures, 0);
		assert_int_equal(
		    pthread_create(&th[i], NULL, par_reader, &args[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(atomic_load(&args[i].failures), 0);
	}
	(void) close(fd);
}

// test_keys: keys with '/', spaces, ':' and '~' round trip, and s3rver
// stores them under their decoded names.
static void
test_keys(void **state)
{
	static const char *keys[] = {
		"a/b/c/d",
		"with space",
		"colon:key",
		"tilde~key",
		"mix/a b:c~d.e_f-g+h=i&j%k",
		"ns/2024/01/AbC-_xyz.gz",
	};
	struct stat st;
	char        path[512];
	size_t      i;
	int         fd;

	(void) state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fd = make_file("key", 1000 + i, (unsigned) i);
		put_ok(g_a, keys[i], fd, false);
		expect_range(g_a, keys[i], fd, 0, 1000 + i);
		expect_range(g_a, keys[i], fd, 500, 10);
		assert_int_equal(bbt_s3_object_path(g_s3, BUCKET, keys[i],
		                                    path, sizeof(path)),
		                 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal((uint64_t) st.st_size, 1000 + i);
		put_ok(g_a, keys[i], fd, true);
		(void) close(fd);
	}
}

static void
test_cancel_before(void **state)
{
	atomic_bool cancel  = true;
	bool        existed = false;
	char        why[WHYLEN];
	int         fd;
	int         empty;

	(void) state;
	fd    = make_file("cancel", 1000, 14);
	empty = make_file("cancel0", 0, 14);
	assert_int_equal(store_archive_put(g_a, "cancel", fd, 1000, &cancel,
	                                   &existed, why, sizeof(why)),
	                 BB_ESHUTDOWN);
	assert_int_equal(store_archive_put(g_a, "cancel", empty, 0, &cancel,
	                                   &existed, why, sizeof(why)),
	                 BB_ESHUTDOWN);
	assert_false(existed);
	(void) close(fd);
	(void) close(empty);
}

static void
test_missing_bucket(void **state)
{
	store_s3_conf  c = conf_for(bbt_s3_endpoint(g_s3));
	store_archive *a = NULL;
	uint8_t        b[4];
	bool           existed = false;
	char           why[WHYLEN];
	int            fd;

	(void) state;
	c.bucket = "nosuchbucket";
	assert_int_equal(store_archive_s3_new(&c, &a, NULL, 0), BB_OK);
	fd = make_file("nobucket", 100, 15);
	assert_int_equal(put_fd(a, "k", fd, &existed, why), BB_EIO);
	assert_non_null(strstr(why, "bucket nosuchbucket does not exist"));
	assert_int_equal(read_range(a, "k", 0, 4, b), BB_EIO);
	store_archive_free(a);
	(void) close(fd);
}

// test_server_stopped: with s3rver down a put fails at once, naming the
// cause, and so does a read; once it is back, both work.
static void
test_server_stopped(void **state)
{
	bool    existed = false;
	char    why[WHYLEN];
	uint8_t b[4];
	int64_t t0;
	int     fd;

	(void) state;
	fd = make_file("stopped", 2000, 16);
	put_ok(g_a, "stopped/old", fd, false);
	bbt_s3_pause(g_s3);
	t0 = bbt_now_ms();
	assert_int_equal(put_fd(g_a, "stopped/new", fd, &existed, why),
	                 BB_EUNAVAIL);
	assert_true(bbt_now_ms() - t0 < TIMEOUT_NS / 1000000);
	assert_non_null(strstr(why, "connect"));
	assert_int_equal(read_range(g_a, "stopped/old", 0, 4, b), BB_EUNAVAIL);
	assert_int_equal(bbt_s3_resume(g_s3), 0);
	put_ok(g_a, "stopped/new", fd, false);
	expect_range(g_a, "stopped/old", fd, 0, 2000);
	(void) close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_missing_and_past_end),
		cmocka_unit_test(test_put_twice),
		cmocka_unit_test(test_best_copy),
		cmocka_unit_test(test_best_copy_multipart),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_parallel_reads),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_cancel_before),
		cmocka_unit_test(test_missing_bucket),
		cmocka_unit_test(test_server_stopped),
	};
	int rc;

	if (s3fx_dir_make() != 0) {
		return 1;
	}
	rc = cmocka_run_group_tests_name("archive_s3 on s3rver", tests,
	                                 s3rver_setup, s3rver_teardown);
	bbt_rmtree(g_dir);
	return rc;
}
