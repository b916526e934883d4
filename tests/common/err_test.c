// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/err_test.c -- common/err.h: messages and names of every
// code, out-of-range values, and the errno mapping.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/err.h"

static void
test_every_code_has_message_and_name(void **state)
{
	int         i;
	int         j;
	const char *msg;
	const char *name;

	(void) state;
	assert_true(BB_ERR_COUNT_ > 1);
	for (i = BB_OK; i < BB_ERR_COUNT_; i++) {
		msg  = bb_strerror((bb_err) i);
		name = bb_err_name((bb_err) i);
		assert_non_null(msg);
		assert_non_null(name);
		assert_true(strlen(msg) > 0);
		assert_string_not_equal(msg, "unknown error");
		assert_true(strncmp(name, "BB_", 3) == 0);
		assert_true(strlen(name) > 3);
		assert_string_not_equal(name, "BB_UNKNOWN");
		for (j = BB_OK; j < i; j++) {
			assert_string_not_equal(msg, bb_strerror((bb_err) j));
			assert_string_not_equal(name, bb_err_name((bb_err) j));
		}
	}
}

// The names follow the enum: spot-check that the X-macro did not shift
// them (codes are append-only, so these never change).
static void
test_names_match_enum(void **state)
{
	static const struct {
		bb_err      err;
		const char *name;
	} cases[] = {
		{ BB_OK, "BB_OK" },           { BB_ENOMEM, "BB_ENOMEM" },
		{ BB_EINVAL, "BB_EINVAL" },   { BB_ENOENT, "BB_ENOENT" },
		{ BB_EIO, "BB_EIO" },         { BB_ECORRUPT, "BB_ECORRUPT" },
		{ BB_ETOOBIG, "BB_ETOOBIG" }, { BB_ENOSPC, "BB_ENOSPC" },
		{ BB_EACCES, "BB_EACCES" },   { BB_ESYS, "BB_ESYS" },
		{ BB_ERANGE, "BB_ERANGE" },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(bb_err_name(cases[i].err), cases[i].name);
	}
	assert_string_equal(bb_strerror(BB_OK), "success");
	// The numbering is part of the interface: pin the first ones.
	assert_int_equal(BB_OK, 0);
	assert_int_equal(BB_ENOMEM, 1);
	assert_int_equal(BB_EINVAL, 2);
	assert_int_equal(BB_ENOENT, 3);
}

static void
test_out_of_range(void **state)
{
	static const int bad[] = { BB_ERR_COUNT_, BB_ERR_COUNT_ + 1,
		                   1000,          -1,
		                   -1000,         INT32_MAX,
		                   INT32_MIN };
	size_t           i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_string_equal(bb_strerror((bb_err) bad[i]),
		                    "unknown error");
		assert_string_equal(bb_err_name((bb_err) bad[i]),
		                    "BB_UNKNOWN");
	}
}

static void
test_from_errno(void **state)
{
	static const struct {
		int    errnum;
		bb_err want;
	} cases[] = {
		{ 0, BB_OK },
		{ ENOMEM, BB_ENOMEM },
		{ EINVAL, BB_EINVAL },
		{ ENOENT, BB_ENOENT },
		{ ENOTDIR, BB_ENOENT },
		{ EIO, BB_EIO },
		{ ETIMEDOUT, BB_ETIMEDOUT },
		{ EEXIST, BB_EEXIST },
		{ ENOSPC, BB_ENOSPC },
		{ EDQUOT, BB_ENOSPC },
		{ EBUSY, BB_EBUSY },
		{ EAGAIN, BB_EBUSY },
		{ EACCES, BB_EACCES },
		{ EPERM, BB_EACCES },
		{ EROFS, BB_EACCES },
		{ EFBIG, BB_ETOOBIG },
		{ ERANGE, BB_ERANGE },
		{ EOVERFLOW, BB_ERANGE },
		{ EPIPE, BB_ECLOSED },
		{ ECONNRESET, BB_ECLOSED },
		{ EINTR, BB_ESYS },
		{ EBADF, BB_ESYS },
		{ ENOSYS, BB_ESYS },
		{ -1, BB_ESYS },
		{ 100000, BB_ESYS },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bb_err got = bb_err_from_errno(cases[i].errnum);
		if (got != cases[i].want) {
			fail_msg("errno %d (%s): got %s, want %s",
			         cases[i].errnum, strerror(cases[i].errnum),
			         bb_err_name(got), bb_err_name(cases[i].want));
		}
	}
}

static void
test_why(void **state)
{
	char why[16];

	(void) state;
	assert_int_equal(bb_why(BB_EINVAL, why, sizeof(why), "bad %s", "key"),
	                 BB_EINVAL);
	assert_string_equal(why, "bad key");
	// Truncated, always terminated.
	assert_int_equal(bb_why(BB_EIO, why, sizeof(why), "%s",
	                        "a reason far longer than the buffer"),
	                 BB_EIO);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	// No buffer: only the code.
	assert_int_equal(bb_why(BB_ENOENT, NULL, 0, "x"), BB_ENOENT);
}

static void
test_why_errno_keeps_the_errno(void **state)
{
	char why[128];
	char sys[64];

	(void) state;
	// An errno the map does not know becomes BB_ESYS, but its text stays.
	assert_int_equal(
	    bb_why_errno(ELOOP, why, sizeof(why), "open %s", "/a/b"), BB_ESYS);
	assert_int_equal(strerror_r(ELOOP, sys, sizeof(sys)), 0);
	assert_true(strncmp(why, "open /a/b: ", 11) == 0);
	assert_string_equal(why + 11, sys);
	assert_int_equal(bb_why_errno(ENOENT, why, sizeof(why), "x"),
	                 BB_ENOENT);
	assert_int_equal(bb_why_errno(EACCES, NULL, 0, "x"), BB_EACCES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_message_and_name),
		cmocka_unit_test(test_names_match_enum),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_from_errno),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_why_errno_keeps_the_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
