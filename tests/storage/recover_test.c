// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/recover_test.c -- start-up recovery: store_ns_open
// on a directory that already holds data files, torn tails and foreign
// names; recovered files are readable and never appended to.
#define _XOPEN_SOURCE 700 // nftw
#include "tests/storage/ns_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OLD_TIME UINT32_C(1582164122) // 2020-02-20 02:02:02 UTC

// The namespace fixture of ns_fixture.h, named "rec" (the open error
// names it), whose directory exists before the open: the tests put the
// files to recover into it first.
typedef ns_fix rec_fix;

static int
rec_setup(void **state)
{
	rec_fix *fx;

	if (setup(state) != 0) {
		return -1;
	}
	fx                     = *state;
	fx->conf.name          = "rec";
	fx->conf.max_blob_size = UINT64_C(1) << 20;
	if (mkdir(fx->dir, 0755) != 0) {
		(void) teardown(state);
		return -1;
	}
	return 0;
}

// ---- helpers --------------------------------------------------------

static void
path_of(const rec_fix *fx, const char *name, char *buf, size_t len)
{
	(void) snprintf(buf, len, "%s/%s", fx->dir, name);
}

static void
write_file(const rec_fix *fx, const char *name, const void *data, size_t n)
{
	char path[256];
	int  fd;

	path_of(fx, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t) n);
	assert_int_equal(close(fd), 0);
}

static long long
size_of(const rec_fix *fx, const char *name)
{
	char        path[256];
	struct stat st;

	path_of(fx, name, path, sizeof(path));
	if (stat(path, &st) != 0) {
		return -1;
	}
	return (long long) st.st_size;
}

// same_content says whether the file holds exactly data[0..n).
static bool
same_content(const rec_fix *fx, const char *name, const void *data, size_t n)
{
	char    path[256];
	uint8_t buf[8192];
	FILE   *f;
	size_t  got;

	assert_true(n < sizeof(buf));
	path_of(fx, name, path, sizeof(path));
	f = fopen(path, "rb");
	if (f == NULL) {
		return false;
	}
	got = fread(buf, 1, sizeof(buf), f);
	(void) fclose(f);
	return got == n && memcmp(buf, data, n) == 0;
}

// check_range asserts that (fid, start, length) reads back data.
static void
check_range(store_ns *ns, const store_fid *fid, uint64_t start,
            uint32_t length, const uint8_t *data)
{
	store_id id;
	uint8_t *buf = malloc(length + 1);
	uint64_t off = 0;
	int      fd  = -1;
	bb_err   rv;

	assert_non_null(buf);
	id.fid    = *fid;
	id.start  = start;
	id.length = length;
	rv        = store_ns_read(ns, &id, &fd, &off);
	if (rv != BB_OK) {
		fail_msg("read (%llu, %u): %s", (unsigned long long) start,
		         length, bb_err_name(rv));
	}
	assert_int_equal(off, start);
	assert_int_equal(pread(fd, buf, length, (off_t) off),
	                 (ssize_t) length);
	assert_memory_equal(buf, data, length);
	assert_int_equal(close(fd), 0);
	free(buf);
}

// find_info finds the file of fid with the given replica flag.
static const store_file_info *
find_file_info(const infos *in, const store_fid *fid, bool replica)
{
	int i;

	for (i = 0; i < in->n; i++) {
		if (store_fid_equal(&in->v[i].fid, fid) &&
		    in->v[i].replica == replica) {
			return &in->v[i];
		}
	}
	return NULL;
}

static bool
fid_known(const infos *in, const store_fid *fid)
{
	int i;

	for (i = 0; i < in->n; i++) {
		if (store_fid_equal(&in->v[i].fid, fid)) {
			return true;
		}
	}
	return false;
}

// ---- the mixed directory --------------------------------------------

// What setup_mixed leaves in the directory.
typedef struct {
	store_fid data_fid; // <fid1>: 1000 known bytes
	store_fid rep_fid;  // r-<fid2>: 700 known bytes
	store_fid gz_fid;   // <fid3>.gz: a stale compressed copy, removed
	store_fid dir_fid;  // <fid4>/: a directory, ignored
	store_fid torn_fid; // <fid5>: 300 known bytes + 13 garbage
	store_fid link_fid; // <fid6>: a symlink, ignored
	char      data_name[32];
	char      rep_name[32];
	char      gz_name[32];
	char      torn_name[32];
	uint8_t   data[1000];
	uint8_t   rep[700];
	uint8_t   torn[313];
	uint8_t   gz[50];
	uint8_t   other[40];
} mixed;

static void
setup_mixed(rec_fix *fx, mixed *m)
{
	char fid[STORE_FID_STRLEN + 1];
	char path[256];
	char target[256];

	memset(m, 0, sizeof(*m));
	store_fid_make(&m->data_fid, OLD_TIME, 1, MACHINE);
	store_fid_make(&m->rep_fid, OLD_TIME, 2, MACHINE + 1);
	store_fid_make(&m->gz_fid, OLD_TIME, 3, MACHINE);
	store_fid_make(&m->dir_fid, OLD_TIME, 4, MACHINE);
	store_fid_make(&m->torn_fid, OLD_TIME, 5, MACHINE);
	store_fid_make(&m->link_fid, OLD_TIME, 6, MACHINE);
	fill(m->data, sizeof(m->data), 1);
	fill(m->rep, sizeof(m->rep), 2);
	fill(m->torn, sizeof(m->torn), 5);
	fill(m->gz, sizeof(m->gz), 3);
	fill(m->other, sizeof(m->other), 9);

	(void) snprintf(m->data_name, sizeof(m->data_name), "%s",
	                store_fid_format(&m->data_fid, fid));
	(void) snprintf(m->rep_name, sizeof(m->rep_name), "r-%s",
	                store_fid_format(&m->rep_fid, fid));
	(void) snprintf(m->gz_name, sizeof(m->gz_name), "%s.gz",
	                store_fid_format(&m->gz_fid, fid));
	(void) snprintf(m->torn_name, sizeof(m->torn_name), "%s",
	                store_fid_format(&m->torn_fid, fid));

	write_file(fx, m->data_name, m->data, sizeof(m->data));
	write_file(fx, m->rep_name, m->rep, sizeof(m->rep));
	write_file(fx, m->gz_name, m->gz, sizeof(m->gz));
	write_file(fx, m->torn_name, m->torn, sizeof(m->torn));
	write_file(fx, "notablobbyfile", m->other, sizeof(m->other));
	path_of(fx, store_fid_format(&m->dir_fid, fid), path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	path_of(fx, "notablobbyfile", target, sizeof(target));
	path_of(fx, store_fid_format(&m->link_fid, fid), path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
}

static void
test_recover_lists_data_files(void **state)
{
	rec_fix               *fx = *state;
	static mixed           m;
	infos                  in;
	const store_file_info *fi;
	int                    i;
	int                    primaries = 0;

	setup_mixed(fx, &m);
	fx_open(fx);
	collect(fx->ns, &in);

	fi = find_file_info(&in, &m.data_fid, false);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_false(fi->primary);
	assert_int_equal(fi->size, sizeof(m.data));

	fi = find_file_info(&in, &m.rep_fid, true);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_false(fi->primary);
	assert_int_equal(fi->size, sizeof(m.rep));
	assert_null(find_file_info(&in, &m.rep_fid, false));

	// A torn tail counts: no acknowledged id names those bytes.
	fi = find_file_info(&in, &m.torn_fid, false);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, sizeof(m.torn));

	assert_false(fid_known(&in, &m.gz_fid));
	assert_false(fid_known(&in, &m.dir_fid));
	assert_false(fid_known(&in, &m.link_fid));

	// Three recovered files and min_open_files new primaries.
	for (i = 0; i < in.n; i++) {
		if (in.v[i].primary) {
			primaries++;
			assert_string_equal(in.v[i].state, "waiting");
			assert_int_equal(in.v[i].size, 0);
			assert_int_equal(store_fid_machine(&in.v[i].fid),
			                 MACHINE);
		}
	}
	assert_int_equal(primaries, 1);
	assert_int_equal(in.n, 4);

	// Nothing was changed or removed on disk but the stale .gz copy,
	// which the archive lifecycle makes again when it needs it.
	assert_true(same_content(fx, m.data_name, m.data, sizeof(m.data)));
	assert_true(same_content(fx, m.rep_name, m.rep, sizeof(m.rep)));
	assert_true(same_content(fx, m.torn_name, m.torn, sizeof(m.torn)));
	{
		char gzpath[256];
		path_of(fx, m.gz_name, gzpath, sizeof(gzpath));
		assert_int_not_equal(access(gzpath, F_OK), 0);
	}
	assert_true(
	    same_content(fx, "notablobbyfile", m.other, sizeof(m.other)));
}

static void
test_recover_reads(void **state)
{
	rec_fix     *fx = *state;
	static mixed m;

	setup_mixed(fx, &m);
	fx_open(fx);

	check_range(fx->ns, &m.data_fid, 0, sizeof(m.data), m.data);
	check_range(fx->ns, &m.data_fid, 0, 1, m.data);
	check_range(fx->ns, &m.data_fid, 123, 456, m.data + 123);
	check_range(fx->ns, &m.data_fid, 999, 1, m.data + 999);
	check_range(fx->ns, &m.rep_fid, 0, sizeof(m.rep), m.rep);
	check_range(fx->ns, &m.rep_fid, 650, 50, m.rep + 650);
	check_range(fx->ns, &m.torn_fid, 0, 300, m.torn);
	check_range(fx->ns, &m.torn_fid, 100, 150, m.torn + 100);

	expect_enoent(fx->ns, 0, sizeof(m.data) + 1, &m.data_fid);
	expect_enoent(fx->ns, 1000, 1, &m.data_fid);
	expect_enoent(fx->ns, 1, 700, &m.rep_fid);
	expect_enoent(fx->ns, 300, 14, &m.torn_fid);
	expect_enoent(fx->ns, 0, 1, &m.gz_fid);
	expect_enoent(fx->ns, 0, 0, &m.dir_fid);
	expect_enoent(fx->ns, 0, 1, &m.link_fid);
}

static void
test_recovered_never_appended(void **state)
{
	rec_fix     *fx = *state;
	static mixed m;
	uint8_t      body[2000];
	store_id     ids[20];
	infos        in;
	int          i;

	setup_mixed(fx, &m);
	fx_open(fx);
	fill(body, sizeof(body), 42);
	for (i = 0; i < 20; i++) {
		insert_ok(fx->ns, body, (size_t) (i * 97 % 2000), &ids[i]);
		assert_false(store_fid_equal(&ids[i].fid, &m.data_fid));
		assert_false(store_fid_equal(&ids[i].fid, &m.rep_fid));
		assert_false(store_fid_equal(&ids[i].fid, &m.torn_fid));
		assert_false(store_fid_equal(&ids[i].fid, &m.gz_fid));
		assert_false(store_fid_equal(&ids[i].fid, &m.dir_fid));
		assert_false(store_fid_equal(&ids[i].fid, &m.link_fid));
		assert_true(store_fid_equal(&ids[i].fid, &ids[0].fid));
	}
	assert_int_equal(size_of(fx, m.data_name), sizeof(m.data));
	assert_int_equal(size_of(fx, m.rep_name), sizeof(m.rep));
	assert_int_equal(size_of(fx, m.torn_name), sizeof(m.torn));
	assert_true(same_content(fx, m.data_name, m.data, sizeof(m.data)));
	assert_true(same_content(fx, m.rep_name, m.rep, sizeof(m.rep)));
	assert_true(same_content(fx, m.torn_name, m.torn, sizeof(m.torn)));
	collect(fx->ns, &in);
	assert_int_equal(find_file_info(&in, &m.data_fid, false)->size, 1000);
	assert_int_equal(find_file_info(&in, &m.rep_fid, true)->size, 700);
	assert_int_equal(find_file_info(&in, &m.torn_fid, false)->size, 313);
	for (i = 0; i < 20; i++) {
		check_range(fx->ns, &ids[i].fid, ids[i].start, ids[i].length,
		            body);
	}
	check_range(fx->ns, &m.data_fid, 0, sizeof(m.data), m.data);
}

// Close and open again: the former primary is recovered, read-only, and
// every id handed out before still reads back.
static void
test_reopen(void **state)
{
	rec_fix               *fx = *state;
	uint8_t                body[3000];
	store_id               ids[10];
	store_id               id;
	store_fid              old;
	char                   name[STORE_FID_STRLEN + 1];
	infos                  in;
	const store_file_info *fi;
	long long              size;
	int                    i;
	int                    round;

	fill(body, sizeof(body), 7);
	fx_open(fx);
	for (i = 0; i < 10; i++) {
		insert_ok(fx->ns, body + i * 100, (size_t) (i * 200), &ids[i]);
	}
	old = ids[0].fid;
	(void) store_fid_format(&old, name);
	size = size_of(fx, name);
	assert_int_equal(size, ids[9].start + ids[9].length);

	for (round = 0; round < 2; round++) {
		store_ns_close(fx->ns);
		fx->ns = NULL;
		fx_open(fx);
		collect(fx->ns, &in);
		fi = find_file_info(&in, &old, false);
		assert_non_null(fi);
		assert_false(fi->primary);
		assert_string_equal(fi->state, "pending-upload");
		assert_int_equal(fi->size, size);
		for (i = 0; i < 10; i++) {
			check_range(fx->ns, &ids[i].fid, ids[i].start,
			            ids[i].length, body + i * 100);
		}
		// New inserts go elsewhere; the old file does not grow.
		insert_ok(fx->ns, body, 10, &id);
		assert_false(store_fid_equal(&id.fid, &old));
		assert_int_equal(id.start, 0);
		assert_int_equal(size_of(fx, name), size);
		check_range(fx->ns, &id.fid, 0, 10, body);
	}
}

// A new primary never takes a fid that is already on disk, as <fid> or
// r-<fid>: both would archive to the same key, and a read could be served
// from the wrong file.  The test predicts the next fids (the counter is
// process-wide) and plants files under those names.
static void
test_new_primary_avoids_recovered_fids(void **state)
{
	rec_fix  *fx = *state;
	store_fid probe;
	store_fid f;
	char      fid[STORE_FID_STRLEN + 1];
	char      name[32];
	uint8_t   body[64];
	store_id  id;
	infos     in;
	uint32_t  secs;
	uint16_t  c;
	uint32_t  ds;
	int       i;

	fill(body, sizeof(body), 3);
	store_fid_next(&probe, MACHINE);
	secs = store_fid_seconds(&probe);
	c    = store_fid_counter(&probe);
	// Next counter as a data file, the one after as a replica file, for
	// this second and the next two (in case the clock ticks meanwhile).
	for (ds = 0; ds < 3; ds++) {
		store_fid_make(&f, secs + ds, (uint16_t) (c + 1), MACHINE);
		write_file(fx, store_fid_format(&f, fid), body, sizeof(body));
		store_fid_make(&f, secs + ds, (uint16_t) (c + 2), MACHINE);
		(void) snprintf(name, sizeof(name), "r-%s",
		                store_fid_format(&f, fid));
		write_file(fx, name, body, sizeof(body));
	}
	fx_open(fx);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 7);
	for (i = 0; i < in.n; i++) {
		if (!in.v[i].primary) {
			continue;
		}
		f = in.v[i].fid;
		assert_true(store_fid_counter(&f) != (uint16_t) (c + 1));
		if (find_file_info(&in, &f, true) != NULL) {
			fail_msg("new primary %s has the fid of a recovered "
			         "replica file r-%s",
			         store_fid_format(&f, fid), fid);
		}
	}
	insert_ok(fx->ns, body, 10, &id);
	collect(fx->ns, &in);
	assert_int_equal(find_file_info(&in, &id.fid, false)->size, 10);
	assert_null(find_file_info(&in, &id.fid, true));
}

// A directory that cannot be used fails the open with a message that
// names the namespace.
static void
test_open_error(void **state)
{
	rec_fix     *fx  = *state;
	store_ns_env env = { .machine_id = MACHINE };
	char         path[256];
	char         why[BB_WHY_LEN] = "";
	store_ns    *ns              = NULL;
	bb_err       rv;

	path_of(fx, "plainfile", path, sizeof(path));
	write_file(fx, "plainfile", "x", 1);
	fx->conf.directory = path;
	rv = store_ns_open(&fx->conf, &env, &ns, why, sizeof(why));
	assert_int_not_equal(rv, BB_OK);
	assert_null(ns);
	assert_string_not_equal(why, ""); // the reason is given
	assert_non_null(strstr(why, "rec"));
	fx->conf.directory = fx->dir;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recover_lists_data_files,
		                                rec_setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_reads, rec_setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_recovered_never_appended,
		                                rec_setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, rec_setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
		    test_new_primary_avoids_recovered_fids, rec_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_error, rec_setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
