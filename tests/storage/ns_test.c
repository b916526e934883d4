// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/ns_test.c -- one namespace (storage.h, spool.h): open,
// insert and read round trips, read bounds, spooling to memory and file,
// the blob size limit, parallel inserts and the names on disk.
#define _XOPEN_SOURCE 700 // nftw, in ns_fixture.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns_fixture.h"

// ---- helpers --------------------------------------------------------

static int
count_open_fds(void)
{
	DIR           *d = opendir("/proc/self/fd");
	struct dirent *de;
	int            n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			n++;
		}
	}
	(void) closedir(d);
	return n;
}

// ---- tests ----------------------------------------------------------

static void
test_open_creates_directory(void **state)
{
	ns_fix     *fx = *state;
	struct stat st;
	infos       in;

	assert_int_equal(stat(fx->dir, &st), -1);
	fx_open(fx);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	// min_open_files primaries are open at once, empty and idle.
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	assert_true(in.v[0].primary);
	assert_false(in.v[0].replica);
	assert_string_equal(in.v[0].state, "waiting");
	assert_int_equal(in.v[0].size, 0);
	assert_int_equal(in.v[0].first_insert_wall_ns, 0);
	assert_int_equal(store_fid_machine(&in.v[0].fid), MACHINE);
	assert_int_equal(file_size(fx, &in.v[0].fid), 0);
}

// Blob files and namespace directories are for the owner and the group
// only, whatever the umask: 0640 and 0750.
static void
test_open_modes(void **state)
{
	ns_fix     *fx = *state;
	char        name[STORE_FID_STRLEN + 1];
	char        path[256];
	struct stat st;
	infos       in;
	mode_t      old;

	old = umask(0);
	fx_open(fx);
	(void) umask(old);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	(void) snprintf(path, sizeof(path), "%s/%s", fx->dir,
	                store_fid_format(&in.v[0].fid, name));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void
test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = {
		0, 1, 1000, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024
	};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	ns_fix  *fx = *state;
	uint8_t *bodies[2 * N];
	store_id ids[2 * N];
	size_t   i;
	size_t   n;
	bb_err   rv;
	infos    in;

	fx_open(fx);
	for (i = 0; i < 2 * N; i++) {
		n         = sizes[i % N];
		bodies[i] = make_body(n, (uint32_t) i);
		// First round announces the length, second does not.
		rv = insert_bytes(fx->ns, bodies[i], n, i < N ? n : UINT64_MAX,
		                  &ids[i]);
		if (rv != BB_OK) {
			fail_msg("insert %zu bytes: %s", n, bb_err_name(rv));
		}
		assert_int_equal(ids[i].length, n);
		assert_int_equal(store_fid_machine(&ids[i].fid), MACHINE);
		check_read(fx->ns, &ids[i], bodies[i], n);
	}
	// Later inserts did not disturb earlier ones.
	for (i = 0; i < 2 * N; i++) {
		check_read(fx->ns, &ids[i], bodies[i], sizes[i % N]);
	}
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	assert_int_equal(in.v[0].size,
	                 ids[2 * N - 1].start + ids[2 * N - 1].length);
	assert_true(in.v[0].first_insert_wall_ns > 0);
	for (i = 0; i < 2 * N; i++) {
		free(bodies[i]);
	}
}

// A body past STORE_SPOOL_MEM moves to an anonymous temporary file.
static void
test_spool_to_file(void **state)
{
	ns_fix      *fx = *state;
	store_spool *sp = NULL;
	uint8_t     *body;
	store_id     id;
	int          fds;

	fx_open(fx);
	body = make_body(STORE_SPOOL_MEM + 1, 99);
	fds  = count_open_fds();
	assert_int_equal(store_ns_spool(fx->ns, UINT64_MAX, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, body, STORE_SPOOL_MEM), BB_OK);
	assert_int_equal(count_open_fds(), fds); // still in memory
	assert_int_equal(store_spool_write(sp, body + STORE_SPOOL_MEM, 1),
	                 BB_OK);
	assert_int_equal(count_open_fds(), fds + 1); // now a file
	assert_int_equal(store_spool_size(sp), STORE_SPOOL_MEM + 1);
	assert_int_equal(store_ns_insert(fx->ns, sp, &id), BB_OK);
	// copy_to does not consume the spool: a second insert works too.
	check_read(fx->ns, &id, body, STORE_SPOOL_MEM + 1);
	assert_int_equal(store_ns_insert(fx->ns, sp, &id), BB_OK);
	assert_int_equal(id.start, STORE_SPOOL_MEM + 1);
	check_read(fx->ns, &id, body, STORE_SPOOL_MEM + 1);
	store_spool_free(sp);
	assert_int_equal(count_open_fds(), fds);

	// Announced above the memory part: a file from the start.
	assert_int_equal(store_ns_spool(fx->ns, STORE_SPOOL_MEM + 1, &sp),
	                 BB_OK);
	assert_int_equal(count_open_fds(), fds + 1);
	store_spool_free(sp);
	assert_int_equal(count_open_fds(), fds);
	free(body);
}

static void
test_contiguous_ids(void **state)
{
	ns_fix  *fx = *state;
	uint8_t *body;
	store_id ids[20];
	uint64_t total = 0;
	size_t   n;
	int      i;

	fx_open(fx);
	for (i = 0; i < 20; i++) {
		n    = (size_t) (i * 37 % 500);
		body = make_body(n, (uint32_t) (100 + i));
		insert_ok(fx->ns, body, n, &ids[i]);
		free(body);
		if (i > 0) {
			assert_true(store_fid_equal(&ids[i].fid, &ids[0].fid));
			assert_true(ids[i].start ==
			            ids[i - 1].start + ids[i - 1].length);
		} else {
			assert_int_equal(ids[0].start, 0);
		}
		total += n;
	}
	assert_int_equal(file_size(fx, &ids[0].fid), (long long) total);
	for (i = 0; i < 20; i++) {
		n    = (size_t) (i * 37 % 500);
		body = make_body(n, (uint32_t) (100 + i));
		check_read(fx->ns, &ids[i], body, n);
		free(body);
	}
}

static void
test_read_bounds(void **state)
{
	ns_fix   *fx = *state;
	uint8_t  *body;
	store_id  id;
	store_fid other;
	int       fd;
	uint64_t  off;

	fx_open(fx);
	body = make_body(100, 7);
	insert_ok(fx->ns, body, 100, &id);
	check_read(fx->ns, &id, body, 100);

	// Inside the committed range.
	id.start  = 10;
	id.length = 90;
	check_read(fx->ns, &id, body + 10, 90);
	id.start  = 100;
	id.length = 0;
	assert_int_equal(store_ns_read(fx->ns, &id, &fd, &off), BB_OK);
	assert_int_equal(off, 100);
	assert_int_equal(close(fd), 0);

	// Beyond it.
	expect_enoent(fx->ns, 0, 101, &id.fid);
	expect_enoent(fx->ns, 50, 51, &id.fid);
	expect_enoent(fx->ns, 100, 1, &id.fid);
	expect_enoent(fx->ns, 101, 0, &id.fid);
	expect_enoent(fx->ns, UINT32_MAX, UINT32_MAX, &id.fid);
	expect_enoent(fx->ns, UINT64_MAX, 1, &id.fid);
	expect_enoent(fx->ns, UINT64_MAX, 0, &id.fid);
	expect_enoent(fx->ns, UINT64_MAX - 50, 100, &id.fid);

	// Unknown fids: other machine, other counter, all zero.
	store_fid_make(&other, store_fid_seconds(&id.fid),
	               store_fid_counter(&id.fid), MACHINE + 1);
	expect_enoent(fx->ns, 0, 1, &other);
	store_fid_make(&other, store_fid_seconds(&id.fid),
	               (uint16_t) (store_fid_counter(&id.fid) + 100), MACHINE);
	expect_enoent(fx->ns, 0, 1, &other);
	memset(&other, 0, sizeof(other));
	expect_enoent(fx->ns, 0, 0, &other);
	free(body);
}

static void
test_spool_limit(void **state)
{
	ns_fix      *fx = *state;
	store_spool *sp = NULL;
	uint8_t     *body;
	store_id     id;

	fx->conf.max_blob_size = 100000; // above the memory part
	fx_open(fx);
	body = make_body(100001, 3);

	assert_int_equal(store_ns_spool(fx->ns, 100001, &sp), BB_ETOOBIG);
	assert_int_equal(store_ns_spool(fx->ns, UINT64_MAX - 1, &sp),
	                 BB_ETOOBIG);

	// Announced at the limit: fine.
	assert_int_equal(store_ns_spool(fx->ns, 100000, &sp), BB_OK);
	store_spool_free(sp);
	sp = NULL;

	// Unknown length: the limit applies to what is written.
	assert_int_equal(store_ns_spool(fx->ns, UINT64_MAX, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, body, 60000), BB_OK);
	assert_int_equal(store_spool_write(sp, body + 60000, 40001),
	                 BB_ETOOBIG);
	assert_int_equal(store_spool_size(sp), 60000); // nothing appended
	assert_int_equal(store_spool_write(sp, body + 60000, 40000), BB_OK);
	assert_int_equal(store_spool_write(sp, body, 1), BB_ETOOBIG);
	assert_int_equal(store_spool_write(sp, body, SIZE_MAX), BB_ETOOBIG);
	assert_int_equal(store_spool_size(sp), 100000);
	assert_int_equal(store_ns_insert(fx->ns, sp, &id), BB_OK);
	store_spool_free(sp);
	check_read(fx->ns, &id, body, 100000);

	// Whole body over the limit through the helper too.
	assert_int_equal(insert_bytes(fx->ns, body, 100001, UINT64_MAX, &id),
	                 BB_ETOOBIG);
	free(body);
}

#define PAR_THREADS 4
#define PAR_INSERTS 200

typedef struct {
	store_ns *ns;
	uint32_t  thread;
	store_id  ids[PAR_INSERTS];
	size_t    sizes[PAR_INSERTS];
	int       failures; // checked by the main thread
	bb_err    first_err;
} par_arg;

static size_t
par_size(uint32_t *seed, int i)
{
	// Mostly small, a few past the memory spool.
	if (i % 50 == 49) {
		return STORE_SPOOL_MEM + 1 + rnd_next(seed) % 5000;
	}
	return 1 + rnd_next(seed) % 4000;
}

static void *
par_thread(void *arg)
{
	par_arg *pa   = arg;
	uint32_t seed = 1000 + pa->thread;
	uint8_t *body;
	bb_err   rv;
	int      i;

	for (i = 0; i < PAR_INSERTS; i++) {
		pa->sizes[i] = par_size(&seed, i);
		body         = malloc(pa->sizes[i]);
		if (body == NULL) {
			pa->failures++;
			continue;
		}
		fill(body, pa->sizes[i], pa->thread * 100000 + (uint32_t) i);
		rv = insert_bytes(pa->ns, body, pa->sizes[i],
		                  i % 2 == 0 ? pa->sizes[i] : UINT64_MAX,
		                  &pa->ids[i]);
		if (rv != BB_OK) {
			if (pa->failures++ == 0) {
				pa->first_err = rv;
			}
		} else if (read_back(pa->ns, &pa->ids[i], body,
		                     pa->sizes[i]) != 0) {
			pa->failures++;
		}
		free(body);
	}
	return NULL;
}

static int
cmp_id(const void *a, const void *b)
{
	const store_id *x = a;
	const store_id *y = b;
	int             c = memcmp(x->fid.b, y->fid.b, STORE_FID_LEN);

	if (c != 0) {
		return c;
	}
	return x->start < y->start ? -1 : x->start > y->start;
}

static void
test_parallel_inserts(void **state)
{
	ns_fix         *fx = *state;
	static par_arg  args[PAR_THREADS];
	static store_id all[PAR_THREADS * PAR_INSERTS];
	pthread_t       th[PAR_THREADS];
	uint8_t        *body;
	int             t;
	int             i;
	int             k = 0;
	int             nfids;
	infos           in;

	fx->conf.max_open_files = 2;
	fx_open(fx);
	for (t = 0; t < PAR_THREADS; t++) {
		memset(&args[t], 0, sizeof(args[t]));
		args[t].ns     = fx->ns;
		args[t].thread = (uint32_t) t;
		assert_int_equal(
		    pthread_create(&th[t], NULL, par_thread, &args[t]), 0);
	}
	for (t = 0; t < PAR_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
	}
	for (t = 0; t < PAR_THREADS; t++) {
		if (args[t].failures != 0) {
			fail_msg("thread %d: %d failures (first %s)", t,
			         args[t].failures,
			         bb_err_name(args[t].first_err));
		}
	}
	// Every id reads back its own bytes after all the writing.
	for (t = 0; t < PAR_THREADS; t++) {
		for (i = 0; i < PAR_INSERTS; i++) {
			body = make_body(args[t].sizes[i],
			                 (uint32_t) t * 100000 + (uint32_t) i);
			check_read(fx->ns, &args[t].ids[i], body,
			           args[t].sizes[i]);
			free(body);
			assert_int_equal(
			    store_fid_machine(&args[t].ids[i].fid), MACHINE);
			all[k++] = args[t].ids[i];
		}
	}
	// Distinct and non-overlapping within each file.
	qsort(all, (size_t) k, sizeof(all[0]), cmp_id);
	nfids = 1;
	for (i = 1; i < k; i++) {
		if (!store_fid_equal(&all[i].fid, &all[i - 1].fid)) {
			nfids++;
			continue;
		}
		assert_true(all[i].start >=
		            all[i - 1].start + all[i - 1].length);
	}
	assert_true(nfids >= 1 && nfids <= 2); // max_open_files
	collect(fx->ns, &in);
	assert_true(in.n <= 2);
	for (i = 0; i < in.n; i++) {
		assert_int_equal(file_size(fx, &in.v[i].fid),
		                 (long long) in.v[i].size);
	}
}

// Every name in the directory is a 14-character fid of a file of ns, and
// no temporary spool file is left behind.
static void
test_file_names(void **state)
{
	ns_fix        *fx = *state;
	uint8_t       *body;
	store_id       id;
	store_fid      fid;
	DIR           *d;
	struct dirent *de;
	infos          in;
	int            names = 0;
	int            i;

	fx->conf.upload_file_size = 1000;
	fx_open(fx);
	body = make_body(STORE_SPOOL_MEM + 10, 8);
	for (i = 0; i < 6; i++) {
		insert_ok(fx->ns, body,
		          i % 2 == 0 ? 600 : STORE_SPOOL_MEM + 10, &id);
	}
	free(body);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 3); // three sealed by size

	d = opendir(fx->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		names++;
		if (strlen(de->d_name) != STORE_FID_STRLEN ||
		    store_fid_parse(de->d_name, STORE_FID_STRLEN, &fid) !=
		        BB_OK ||
		    find_info(&in, &fid) == NULL) {
			fail_msg("unexpected file %s", de->d_name);
		}
	}
	(void) closedir(d);
	assert_int_equal(names, in.n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_directory,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_modes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_sizes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_spool_to_file, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_contiguous_ids, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_bounds, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_spool_limit, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_parallel_inserts, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_file_names, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
