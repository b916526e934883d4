// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/strlist_test.c -- common/strlist.h: membership, the first
// duplicate of a list (a table of cases), and freeing a list.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/strlist.h"

static void
test_has(void **state)
{
	char *v[] = { "read", "write", "admin" };

	(void) state;
	assert_true(bb_strlist_has(v, 3, "read"));
	assert_true(bb_strlist_has(v, 3, "admin"));
	assert_false(bb_strlist_has(v, 3, "Read")); // case matters
	assert_false(bb_strlist_has(v, 3, "rea"));
	assert_false(bb_strlist_has(v, 3, ""));
	assert_false(bb_strlist_has(v, 2, "admin")); // only v[0..n)
	assert_false(bb_strlist_has(NULL, 0, "read"));
}

static void
test_dup(void **state)
{
	static const struct {
		char  *v[5];
		size_t n;
		size_t want;
	} cases[] = {
		{ { NULL }, 0, 0 },
		{ { "a" }, 1, 1 },
		{ { "a", "b", "c" }, 3, 3 },
		{ { "a", "a" }, 2, 1 },
		{ { "a", "b", "a" }, 3, 2 },
		{ { "a", "b", "c", "b", "a" }, 5, 3 }, // the first repeat
		{ { "ab", "a", "b", "abc" }, 4, 4 },   // prefixes differ
		{ { "", "x", "" }, 3, 2 },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = bb_strlist_dup(cases[i].v, cases[i].n);

		if (got != cases[i].want) {
			fail_msg("case %zu: got %zu, want %zu", i, got,
			         cases[i].want);
		}
	}
}

static void
test_fini(void **state)
{
	bb_strlist l = { NULL, 0 };

	(void) state;
	bb_strlist_fini(&l); // empty: fine
	l.v = calloc(2, sizeof(char *));
	assert_non_null(l.v);
	l.v[0] = strdup("x");
	l.v[1] = strdup("y");
	l.n    = 2;
	bb_strlist_fini(&l); // ASan sees any leak
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_fini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
