// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/seal_test.c -- one namespace (storage.h, fileio.h):
// sealing by size and age, and write and truncate failures injected
// through the I/O table.
#define _XOPEN_SOURCE 700 // nftw, in ns_fixture.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "storage/fileio.h"
#include "ns_fixture.h"

// ---- helpers --------------------------------------------------------

// count_state counts the files of ns in the given state.
static int
count_state(const infos *in, const char *state)
{
	int i;
	int n = 0;

	for (i = 0; i < in->n; i++) {
		if (strcmp(in->v[i].state, state) == 0) {
			n++;
		}
	}
	return n;
}

// ---- fault injection ------------------------------------------------

static store_io_ops fault_ops;
static atomic_int   fault_pwrite_calls;
static atomic_int   fault_copy_calls;
static atomic_int   fault_truncate_calls;

// A write that gets half way, then finds the disk full.
static ssize_t
fault_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (atomic_fetch_add(&fault_pwrite_calls, 1) == 0 && n > 1) {
		return store_io_real()->pwrite(fd, buf, n / 2, off);
	}
	errno = ENOSPC;
	return -1;
}

static ssize_t
fault_copy(int in, off_t *in_off, int out, off_t *out_off, size_t n)
{
	if (atomic_fetch_add(&fault_copy_calls, 1) == 0 && n > 1) {
		return store_io_real()->copy_file_range(in, in_off, out,
		                                        out_off, n / 2);
	}
	errno = ENOSPC;
	return -1;
}

static int
fault_ftruncate(int fd, off_t len)
{
	(void) fd;
	(void) len;
	atomic_fetch_add(&fault_truncate_calls, 1);
	errno = EIO;
	return -1;
}

static void
fault_arm(bool fail_truncate)
{
	fault_ops                 = *store_io_real();
	fault_ops.pwrite          = fault_pwrite;
	fault_ops.copy_file_range = fault_copy;
	if (fail_truncate) {
		fault_ops.ftruncate = fault_ftruncate;
	}
	atomic_store(&fault_pwrite_calls, 0);
	atomic_store(&fault_copy_calls, 0);
	atomic_store(&fault_truncate_calls, 0);
	store_io_set_ops(&fault_ops);
}

// ---- tests ----------------------------------------------------------

static void
test_seal_by_size(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *a;
	uint8_t               *b;
	store_id               ida;
	store_id               idb;
	store_id               idc;
	store_id               idd;
	infos                  in;
	const store_file_info *fi;

	fx->conf.upload_file_size = 10;
	fx_open(fx);
	a = make_body(11, 1);
	b = make_body(11, 2);
	insert_ok(fx->ns, a, 11, &ida);
	insert_ok(fx->ns, b, 11, &idb);
	assert_false(store_fid_equal(&ida.fid, &idb.fid));
	assert_int_equal(ida.start, 0);
	assert_int_equal(idb.start, 0);

	collect(fx->ns, &in);
	fi = find_info(&in, &ida.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, 11);
	assert_true(fi->primary);
	check_read(fx->ns, &ida, a, 11);
	check_read(fx->ns, &idb, b, 11);

	// Strictly greater: exactly upload_file_size stays open.
	insert_ok(fx->ns, a, 10, &idc);
	assert_false(store_fid_equal(&idc.fid, &idb.fid));
	collect(fx->ns, &in);
	fi = find_info(&in, &idc.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "waiting");
	insert_ok(fx->ns, b, 1, &idd);
	assert_true(store_fid_equal(&idd.fid, &idc.fid));
	assert_int_equal(idd.start, 10);
	collect(fx->ns, &in);
	assert_string_equal(find_info(&in, &idc.fid)->state, "pending-upload");
	assert_int_equal(count_state(&in, "pending-upload"), 3);
	check_read(fx->ns, &idc, a, 10);
	check_read(fx->ns, &idd, b, 1);
	free(a);
	free(b);
}

static void
test_seal_by_age(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *body;
	store_id               id;
	store_fid              p1;
	store_fid              p2;
	infos                  in;
	const store_file_info *fi;
	int64_t                older;
	int                    i;

	fx->conf.upload_older_ns = 60 * BB_NS_PER_SEC;
	older                    = fx->conf.upload_older_ns;
	fx_open(fx);
	body = make_body(500, 5);
	insert_ok(fx->ns, body, 500, &id);

	// Not expired yet: nothing happens.
	store_ns_tick(fx->ns, bb_clock_mono_ns());
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	assert_string_equal(in.v[0].state, "waiting");

	store_ns_tick(fx->ns, bb_clock_mono_ns() + older + BB_NS_PER_SEC);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 2);
	fi = find_info(&in, &id.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, 500);
	check_read(fx->ns, &id, body, 500);
	assert_int_equal(count_state(&in, "waiting"), 1);
	for (i = 0; i < in.n; i++) {
		if (strcmp(in.v[i].state, "waiting") == 0) {
			p1 = in.v[i].fid;
		}
	}
	assert_false(store_fid_equal(&p1, &id.fid));
	assert_int_equal(file_size(fx, &p1), 0);

	// The new primary expires empty: removed and unlinked, not sealed,
	// and replaced to keep min_open_files.
	store_ns_tick(fx->ns, bb_clock_mono_ns() + older + BB_NS_PER_SEC);
	collect(fx->ns, &in);
	assert_null(find_info(&in, &p1));
	assert_int_equal(file_size(fx, &p1), -1);
	assert_int_equal(in.n, 2);
	assert_int_equal(count_state(&in, "pending-upload"), 1);
	assert_int_equal(count_state(&in, "waiting"), 1);
	for (i = 0; i < in.n; i++) {
		if (strcmp(in.v[i].state, "waiting") == 0) {
			p2 = in.v[i].fid;
		}
	}
	assert_false(store_fid_equal(&p2, &p1));
	assert_int_equal(file_size(fx, &p2), 0);

	// The sealed file is never appended to: the next insert goes to p2.
	insert_ok(fx->ns, body, 100, &id);
	assert_true(store_fid_equal(&id.fid, &p2));
	assert_int_equal(id.start, 0);
	free(body);
}

static void
test_write_failure_enospc(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *body;
	store_id               id0;
	store_id               id1;
	store_id               id2;
	infos                  in;
	const store_file_info *fi;
	bb_err                 rv;

	fx_open(fx);
	body = make_body(200000, 11);
	insert_ok(fx->ns, body, 100, &id0);

	// Memory spool: the pwrite path.
	fault_arm(false);
	rv = insert_bytes(fx->ns, body + 100, 50, 50, &id1);
	store_io_set_ops(NULL);
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_pwrite_calls) >= 2); // partial, fail
	assert_int_equal(file_size(fx, &id0.fid), 100);
	collect(fx->ns, &in);
	fi = find_info(&in, &id0.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "waiting");
	assert_int_equal(fi->size, 100);
	expect_enoent(fx->ns, 100, 25, &id0.fid);

	insert_ok(fx->ns, body + 100, 50, &id1);
	assert_true(store_fid_equal(&id1.fid, &id0.fid));
	assert_int_equal(id1.start, 100);

	// File spool: the copy path.  The spool is filled before the fault
	// is armed, so only the copy into the primary fails.
	{
		store_spool *sp = NULL;

		assert_int_equal(store_ns_spool(fx->ns, 150000, &sp), BB_OK);
		assert_int_equal(store_spool_write(sp, body + 150, 150000),
		                 BB_OK);
		fault_arm(false);
		rv = store_ns_insert(fx->ns, sp, &id2);
		store_io_set_ops(NULL);
		store_spool_free(sp);
	}
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_copy_calls) >= 1);
	assert_int_equal(file_size(fx, &id0.fid), 150);
	insert_ok(fx->ns, body + 150, 150000, &id2);
	assert_true(store_fid_equal(&id2.fid, &id0.fid));
	assert_int_equal(id2.start, 150);

	check_read(fx->ns, &id0, body, 100);
	check_read(fx->ns, &id1, body + 100, 50);
	check_read(fx->ns, &id2, body + 150, 150000);
	assert_int_equal(file_size(fx, &id0.fid), 150150);
	free(body);
}

static void
test_truncate_failure(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *body;
	store_id               id0;
	store_id               id1;
	infos                  in;
	const store_file_info *fi;
	bb_err                 rv;

	fx_open(fx);
	body = make_body(300, 12);
	insert_ok(fx->ns, body, 100, &id0);

	fault_arm(true);
	rv = insert_bytes(fx->ns, body + 100, 100, 100, &id1);
	store_io_set_ops(NULL);
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_truncate_calls) >= 1);

	// The file could not be cut back, so it is retired, with only the
	// acknowledged bytes counted.
	collect(fx->ns, &in);
	fi = find_info(&in, &id0.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, 100);
	expect_enoent(fx->ns, 100, 1, &id0.fid);
	check_read(fx->ns, &id0, body, 100);

	insert_ok(fx->ns, body + 100, 100, &id1);
	assert_false(store_fid_equal(&id1.fid, &id0.fid));
	assert_int_equal(id1.start, 0);
	check_read(fx->ns, &id1, body + 100, 100);
	// The retired file is never written again.
	insert_ok(fx->ns, body + 200, 100, &id1);
	assert_false(store_fid_equal(&id1.fid, &id0.fid));
	collect(fx->ns, &in);
	assert_int_equal(find_info(&in, &id0.fid)->size, 100);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seal_by_size, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_seal_by_age, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_enospc,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_failure, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
