// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/lifecycle/objects_test.c -- the archived object of a sealed
// file: gzip compression (and a lost .gz made again), the directory archive
// refusing to archive a file onto itself, files recovered at start-up
// archived once (an identical object is not written again), and an object
// already there with other bytes (a conflict) or with more (done).
#define _XOPEN_SOURCE 700
#include "tests/storage/lifecycle/lc_fixture.h"

#include <fcntl.h>
#include <zlib.h>

#include "storage/metrics.h"

// write_file makes dir/name with n bytes of seed.
static uint8_t *
write_file(const char *dir, const char *name, size_t n, uint32_t seed)
{
	char     path[512];
	uint8_t *data = make_body(n, seed);
	FILE    *f;

	(void) mkdir(dir, 0755);
	(void) snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return data;
}

// gunzip_file returns the inflated contents of path (caller frees).
static uint8_t *
gunzip_file(const char *path, size_t max, size_t *np)
{
	gzFile   gz  = gzopen(path, "rb");
	uint8_t *buf = malloc(max);
	int      n;

	assert_non_null(gz);
	assert_non_null(buf);
	n = gzread(gz, buf, (unsigned) max);
	assert_true(n >= 0);
	(void) gzclose(gz);
	*np = (size_t) n;
	return buf;
}

static void
test_compress(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	uint8_t              *a;
	uint8_t              *b;
	uint8_t              *plain;
	store_id              ia;
	store_id              ib;
	store_archive_rd     *rd = NULL;
	char                  path[512];
	char                  gz[512];
	size_t                n;

	lf->fx.conf.compress       = true;
	lf->fx.conf.compress_level = 9;
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	archived_path(lf, &ia.fid, path, sizeof(path));
	plain = gunzip_file(path, 4096, &n);
	assert_int_equal(n, 1700);
	assert_memory_equal(plain, a, 1000);
	assert_memory_equal(plain + 1000, b, 700);
	// The .gz copy and the file are gone; a range read is refused.
	(void) snprintf(gz, sizeof(gz), "%s/%s.gz", lf->fx.dir,
	                strrchr(path, '/') + 1);
	assert_int_not_equal(access(gz, F_OK), 0);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	assert_int_equal(store_ns_read_archive(lf->fx.ns, &ia, &rd),
	                 BB_ENOTSUP);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.compressions, 1);
	assert_int_equal(st.uploads, 1);
	free(plain);
	free(a);
	free(b);
}

static void
test_lost_gz_is_made_again(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	uint8_t              *a;
	uint8_t              *b;
	uint8_t              *plain;
	store_id              ia;
	store_id              ib;
	char                  name[STORE_FID_STRLEN + 1];
	char                  path[512];
	size_t                n;

	lf->fx.conf.compress = true;
	lc_open(lf, false);
	// The file sealed by the second insert has the fid of a first one.
	lf->fx.conf.upload_file_size = 1500;
	a                            = make_body(1000, 1);
	b                            = make_body(700, 2);
	insert_ok(lf->fx.ns, a, 1000, &ia);
	(void) pthread_mutex_lock(&lf->fake.mu);
	(void) snprintf(lf->fake.lose, sizeof(lf->fake.lose), "%s/%s.gz",
	                lf->fx.dir, store_fid_format(&ia.fid, name));
	(void) pthread_mutex_unlock(&lf->fake.mu);
	insert_ok(lf->fx.ns, b, 700, &ib);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.compressions, 2);
	assert_int_equal(st.upload_failures, 2); // the put, then the open
	assert_int_equal(st.uploads, 1);
	archived_path(lf, &ia.fid, path, sizeof(path));
	plain = gunzip_file(path, 4096, &n);
	assert_int_equal(n, 1700);
	assert_memory_equal(plain, a, 1000);
	free(plain);
	free(a);
	free(b);
}

static void
test_dir_archive_refuses_itself(void **state)
{
	lc_fix        *lf = *state;
	store_archive *arc;
	uint8_t       *d = write_file(lf->arcdir, "obj", 100, 5);
	char           path[512];
	char           why[256];
	bool           existed = false;
	int            fd;

	// An object whose path is the file to archive: never "already
	// there", never replaced.
	assert_int_equal(store_archive_dir_new(lf->arcdir, &arc), BB_OK);
	(void) snprintf(path, sizeof(path), "%s/obj", lf->arcdir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(store_archive_put(arc, "obj", fd, 100, NULL, &existed,
	                                   why, sizeof(why)),
	                 BB_EINVAL);
	assert_non_null(strstr(why, "itself"));
	(void) close(fd);
	// Keys that would leave the archive are refused too.
	fd = open(path, O_RDONLY);
	assert_int_equal(store_archive_put(arc, "../x", fd, 100, NULL,
	                                   &existed, why, sizeof(why)),
	                 BB_EINVAL);
	assert_int_equal(store_archive_put(arc, "a//b", fd, 100, NULL,
	                                   &existed, why, sizeof(why)),
	                 BB_EINVAL);
	(void) close(fd);
	store_archive_free(arc);
	free(d);
}

static void
test_recovered_files_archived_once(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	store_fid             f1;
	store_fid             f2;
	char                  n1[STORE_FID_STRLEN + 1];
	char                  n2[STORE_FID_STRLEN + 3];
	char                  g1[STORE_FID_STRLEN + 4];
	char                  path[512];
	struct stat           before;
	struct stat           after;
	uint8_t              *d1;
	uint8_t              *d2;
	uint8_t              *stale;
	store_id              id;

	store_fid_next(&f1, 7);
	store_fid_next(&f2, 8);
	(void) store_fid_format(&f1, n1);
	n2[0] = 'r';
	n2[1] = '-';
	(void) store_fid_format(&f2, n2 + 2);
	(void) snprintf(g1, sizeof(g1), "%s.gz", n1);
	d1    = write_file(lf->fx.dir, n1, 5000, 11);
	d2    = write_file(lf->fx.dir, n2, 3000, 12);
	stale = write_file(lf->fx.dir, g1, 10, 13);
	// f2's object is in the archive already, with the same bytes (the
	// key is base path + fid): it is not written again.
	(void) mkdir(lf->arcdir, 0755);
	(void) snprintf(path, sizeof(path), "%s/base", lf->arcdir);
	free(write_file(path, n2 + 2, 3000, 12));
	(void) snprintf(path, sizeof(path), "%s/base/%s", lf->arcdir, n2 + 2);
	assert_int_equal(stat(path, &before), 0);

	lc_open(lf, false);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(st.uploads_existing, 1);
	assert_int_equal(st.uploaded_bytes, 5000);
	assert_int_equal(st.local_deletes, 2);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	// Nothing left locally, not even the stale .gz copy.
	assert_int_equal(file_size(&lf->fx, &f1), -1);
	(void) snprintf(path, sizeof(path), "%s/%s", lf->fx.dir, n2);
	assert_int_not_equal(access(path, F_OK), 0);
	(void) snprintf(path, sizeof(path), "%s/%s", lf->fx.dir, g1);
	assert_int_not_equal(access(path, F_OK), 0);
	// Ranges of both read back from the archive.
	id.fid    = f1;
	id.start  = 100;
	id.length = 200;
	assert_int_equal(read_archived(lf, &id, d1 + 100), 0);
	id.fid    = f2;
	id.start  = 2999;
	id.length = 1;
	assert_int_equal(read_archived(lf, &id, d2 + 2999), 0);
	free(d1);
	free(d2);
	free(stale);
}

// An upload the archive refuses (it holds other bytes under the key)
// keeps the object and the local file, counts the conflict, and is
// retried: once the object is gone, the file is archived.
static void
test_conflict_keeps_local(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	store_metrics_snap    ms;
	uint8_t              *a;
	uint8_t              *b;
	store_id              ia;
	store_id              ib;
	int64_t               deadline;
	infos                 in;
	char                  obj[64];
	FILE                 *o;

	(void) snprintf(lf->fake.plant, sizeof(lf->fake.plant), "%s",
	                lf->arcdir);
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	deadline = bb_clock_mono_ns() + WAIT_NS;
	do {
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
		store_lifecycle_stats_get(lf->lc, &st);
	} while (st.upload_conflicts < 3);
	// The local file stays, readable; the object is untouched.
	assert_int_equal(file_size(&lf->fx, &ia.fid), 1700);
	collect(lf->fx.ns, &in);
	assert_non_null(find_info(&in, &ia.fid));
	check_read(lf->fx.ns, &ib, b, 700);
	o = fopen(lf->fake.planted, "rb");
	assert_non_null(o);
	assert_non_null(fgets(obj, sizeof(obj), o));
	(void) fclose(o);
	assert_string_equal(obj, "other bytes, not a prefix");
	assert_int_equal(st.uploads, 0);
	assert_int_equal(st.local_deletes, 0);
	store_metrics_snapshot(store_ns_metrics(lf->fx.ns), &ms);
	assert_true(ms.counters[STORE_CTR_ARCHIVE_CONFLICTS] >= 3);
	// The operator removes the other object: the next try archives.
	assert_int_equal(unlink(lf->fake.planted), 0);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	free(a);
	free(b);
}

// A file whose bytes the archive's object already holds, and more (its
// primary's longer copy), is done without an upload: the local file goes,
// the object stays as it was.
static void
test_longer_object_done(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	struct stat           sb;
	uint8_t              *a;
	uint8_t              *b;
	store_id              ia;
	store_id              ib;

	(void) snprintf(lf->fake.plant, sizeof(lf->fake.plant), "%s",
	                lf->arcdir);
	lf->fake.longer = true;
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 0);
	assert_int_equal(st.uploads_existing, 1);
	assert_int_equal(st.upload_conflicts, 0);
	assert_int_equal(st.local_deletes, 1);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	assert_int_equal(stat(lf->fake.planted, &sb), 0);
	assert_int_equal(sb.st_size, 1700 + 10);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_compress, lc_setup,
		                                lc_teardown),
		cmocka_unit_test_setup_teardown(test_lost_gz_is_made_again,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_archive_refuses_itself, lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(
		    test_recovered_files_archived_once, lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_conflict_keeps_local,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_longer_object_done,
		                                lc_setup, lc_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
