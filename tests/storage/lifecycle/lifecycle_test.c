// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/lifecycle/lifecycle_test.c -- the archive lifecycle of sealed
// files: upload to a directory archive then the local delete, retries with
// backoff against a fake archive that fails on demand (and the backoff
// schedule), delay_delete, remote deletes, a sealed replica told to go,
// and a stop that abandons a hanging upload.  The archived object itself
// (compression, objects already there) is objects_test.c.
#define _XOPEN_SOURCE 700
#include "tests/storage/lifecycle/lc_fixture.h"

#include "storage/lifecycle/backoff.h"

static void
test_upload_then_delete_local(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	uint8_t              *a;
	uint8_t              *b;
	store_id              ia;
	store_id              ib;
	char                  path[512];
	char                  key[256];
	infos                 in;

	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	// Archived under base path + fid, then gone locally.
	assert_int_equal(
	    store_ns_archive_key(lf->fx.ns, &ia.fid, key, sizeof(key)), BB_OK);
	assert_int_equal(strncmp(key, "base/", 5), 0);
	archived_path(lf, &ia.fid, path, sizeof(path));
	{
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_size, 1700);
	}
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	collect(lf->fx.ns, &in);
	assert_null(find_info(&in, &ia.fid));
	expect_enoent(lf->fx.ns, ia.start, ia.length, &ia.fid);
	// Both ids read back from the archive, by range.
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	// A range past the object's end is not there.
	ib.length += 1;
	{
		store_archive_rd *rd = NULL;
		assert_int_equal(store_ns_read_archive(lf->fx.ns, &ib, &rd),
		                 BB_ENOENT);
	}
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(st.uploaded_bytes, 1700);
	// During the upload the sealed file was uploading (and no new
	// primary was made yet: that waits for the next insert or tick).
	assert_int_equal(lf->fake.nseen, 1);
	assert_string_equal(lf->fake.seen[0], "uploading");
	assert_int_equal(st.local_deletes, 1);
	assert_int_equal(st.upload_failures, 0);
	free(a);
	free(b);
}

static void
test_retry_with_backoff(void **state)
{
	lc_fix                *lf = *state;
	store_lifecycle_stats  st;
	uint8_t               *a;
	uint8_t               *b;
	store_id               ia;
	store_id               ib;
	int64_t                t0;
	infos                  in;
	const store_file_info *fi;

	lf->fake.fail = 4;
	lc_open(lf, false);
	t0 = bb_clock_mono_ns();
	seal_by_size(lf, &a, &b, &ia, &ib);
	// While the archive fails, the file stays and reads locally.
	sleep_us(3000);
	collect(lf->fx.ns, &in);
	fi = find_info(&in, &ia.fid);
	if (fi != NULL) {
		check_read(lf->fx.ns, &ia, a, 1000);
	}
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.upload_failures, 4);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(lf->fake.puts, 5);
	// Four backoffs of at least 2.5, 5, 10 and 20 ms (the lower halves).
	assert_true(bb_clock_mono_ns() - t0 >= 37 * 1000000);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	free(a);
	free(b);
}

static void
test_delay_delete(void **state)
{
	lc_fix                *lf = *state;
	uint8_t               *a;
	uint8_t               *b;
	store_id               ia;
	store_id               ib;
	infos                  in;
	const store_file_info *fi;
	int64_t                deadline;

	lf->fx.conf.delay_delete_ns = 300 * 1000000; // 300 ms
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	// Uploaded, then kept (and readable) for the delay.
	deadline = bb_clock_mono_ns() + WAIT_NS;
	for (;;) {
		collect(lf->fx.ns, &in);
		fi = find_info(&in, &ia.fid);
		assert_non_null(fi);
		if (strcmp(fi->state, "delete-delay") == 0) {
			break;
		}
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
	}
	check_read(lf->fx.ns, &ia, a, 1000);
	assert_int_not_equal(file_size(&lf->fx, &ia.fid), -1);
	wait_idle(lf);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	free(a);
	free(b);
}

static void
test_remote_deletes(void **state)
{
	lc_fix  *lf = *state;
	uint8_t *a;
	uint8_t *b;
	store_id ia;
	store_id ib;

	lf->fx.conf.replicas = 2;
	lc_open(lf, true);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	// Both replicas were told to go, after the upload.
	assert_int_equal(lf->ndeleted, 2);
	assert_int_equal(lf->deleted[0] + lf->deleted[1], 2 + 3);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	free(a);
	free(b);
}

static void
test_stop_abandons_upload(void **state)
{
	lc_fix  *lf = *state;
	uint8_t *a;
	uint8_t *b;
	store_id ia;
	store_id ib;
	int64_t  deadline;
	int      puts = 0;

	lf->fake.hang = true;
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	deadline = bb_clock_mono_ns() + WAIT_NS;
	while (puts == 0) {
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
		(void) pthread_mutex_lock(&lf->fake.mu);
		puts = lf->fake.puts;
		(void) pthread_mutex_unlock(&lf->fake.mu);
	}
	store_lifecycle_stop(lf->lc);
	// The file stays, whole, for the next start.
	assert_int_equal(file_size(&lf->fx, &ia.fid), 1700);
	check_read(lf->fx.ns, &ib, b, 700);
	free(a);
	free(b);
}

static void
test_sealed_replica_told_to_go(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	store_fid             fid;
	uint8_t              *data = make_body(4000, 21);
	uint64_t              len  = 0;
	char                  name[STORE_FID_STRLEN + 3];
	char                  path[512];
	int64_t               deadline;

	lf->fake.fail                 = 1000000; // the archive is down
	lf->fx.conf.orphan_timeout_ns = BB_NS_PER_SEC;
	lc_open(lf, false);
	store_fid_next(&fid, 9);
	assert_int_equal(store_ns_replica_initialize(lf->fx.ns, &fid), BB_OK);
	assert_int_equal(
	    store_ns_replica_replicate(lf->fx.ns, &fid, 0, data, 4000,
	                               store_hash(data, 4000), false, &len),
	    BB_OK);
	// Orphaned: sealed and queued for upload, which keeps failing.
	store_ns_tick(lf->fx.ns, bb_clock_mono_ns() + 2 * BB_NS_PER_SEC);
	deadline = bb_clock_mono_ns() + WAIT_NS;
	do {
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
		store_lifecycle_stats_get(lf->lc, &st);
	} while (st.upload_failures < 2);
	// Its primary archived the file: the replica goes without upload.
	assert_int_equal(store_ns_replica_delete(lf->fx.ns, &fid), BB_OK);
	wait_idle(lf);
	name[0] = 'r';
	name[1] = '-';
	(void) store_fid_format(&fid, name + 2);
	(void) snprintf(path, sizeof(path), "%s/%s", lf->fx.dir, name);
	assert_int_not_equal(access(path, F_OK), 0);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 0);
	assert_int_equal(st.local_deletes, 1);
	expect_enoent(lf->fx.ns, 0, 10, &fid);
	free(data);
}

static void
test_backoff_schedule(void **state)
{
	uint64_t seed = 1;
	int64_t  d;
	int64_t  first;
	int64_t  want;
	uint32_t i;
	int      k;
	bool     spread = false;

	(void) state;
	for (k = 0; k < 1000; k++) {
		for (i = 1; i <= 40; i++) {
			want = i > 20 ? 60000 : INT64_C(1000) << (i - 1);
			want = want > 60000 ? 60000 : want;
			d    = store_backoff(i, 1000, 60000, &seed);
			assert_true(d <= want);
			assert_true(d >= want / 2);
		}
	}
	// Jitter: files that failed together do not retry together.
	first = store_backoff(5, 1000, 60000, &seed);
	for (k = 0; k < 100 && !spread; k++) {
		spread = store_backoff(5, 1000, 60000, &seed) != first;
	}
	assert_true(spread);
	// A cap below the first delay wins; no overflow after many failures.
	assert_true(store_backoff(1, 1000, 10, &seed) <= 1000);
	assert_true(store_backoff(UINT32_MAX, INT64_MAX / 4, INT64_MAX / 2,
	                          &seed) <= INT64_MAX / 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upload_then_delete_local,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_retry_with_backoff,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_delay_delete, lc_setup,
		                                lc_teardown),
		cmocka_unit_test_setup_teardown(test_remote_deletes, lc_setup,
		                                lc_teardown),
		cmocka_unit_test_setup_teardown(test_stop_abandons_upload,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_sealed_replica_told_to_go,
		                                lc_setup, lc_teardown),
		cmocka_unit_test(test_backoff_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
