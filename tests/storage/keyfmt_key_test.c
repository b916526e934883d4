// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/keyfmt_key_test.c -- storage/keyfmt.h beyond the format
// language: Go's filepath.Join/Clean table (store_key_join), its bounded
// output on exact-size heap buffers, the object key, and the check that
// a format names every file uniquely.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/keyfmt.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void
test_join(void **state)
{
	// Go's filepath.Join and path.Clean tables (Join("", x) is Clean(x)
	// for a non-empty x).
	static const struct {
		const char *base;
		const char *name;
		const char *want;
	} cases[] = {
		{ "", "", "" },
		{ "", "x", "x" },
		{ "x", "", "x" },
		{ "/test", "x", "/test/x" },
		{ "/test/", "/a//b/../c", "/test/a/c" },
		{ "a/..", "b", "b" },
		{ "a/..", "", "." },
		{ "..", "x", "../x" },
		{ "a", "b", "a/b" },
		{ "/", "a", "/a" },
		{ "/", "", "/" },
		{ "", "/", "/" },
		{ "a/", "b", "a/b" },
		{ "a/", "", "a" },
		{ "", "abc", "abc" },
		{ "", "abc/def", "abc/def" },
		{ "", "a/b/c", "a/b/c" },
		{ "", ".", "." },
		{ "", "..", ".." },
		{ "", "../..", "../.." },
		{ "", "../../abc", "../../abc" },
		{ "", "/abc", "/abc" },
		{ "", "abc/", "abc" },
		{ "", "abc/def/", "abc/def" },
		{ "", "a/b/c/", "a/b/c" },
		{ "", "./", "." },
		{ "", "../", ".." },
		{ "", "../../", "../.." },
		{ "", "/abc/", "/abc" },
		{ "", "abc//def//ghi", "abc/def/ghi" },
		{ "", "//abc", "/abc" },
		{ "", "///abc", "/abc" },
		{ "", "//abc//", "/abc" },
		{ "", "abc//", "abc" },
		{ "", "abc/./def", "abc/def" },
		{ "", "/./abc/def", "/abc/def" },
		{ "", "abc/.", "abc" },
		{ "", "abc/def/ghi/../jkl", "abc/def/jkl" },
		{ "", "abc/def/../ghi/../jkl", "abc/jkl" },
		{ "", "abc/def/..", "abc" },
		{ "", "abc/def/../..", "." },
		{ "", "/abc/def/../..", "/" },
		{ "", "abc/def/../../..", ".." },
		{ "", "/abc/def/../../..", "/" },
		{ "", "abc/def/../../../ghi/jkl/../../../mno", "../../mno" },
		{ "", "/../abc", "/abc" },
		{ "", "a/../b:/../../c", "../c" },
		{ "", "abc/./../def", "def" },
		{ "", "abc//./../def", "def" },
		{ "", "abc/../../././../def", "../../def" },
		{ "..", "..", "../.." },
		{ "a/b", "../../..", ".." },
		{ "/a/b", "../../..", "/" },
		{ "/a", "../b/./c/", "/b/c" },
		{ "a", "/b", "a/b" },
		{ "", "...", "..." },
		{ ".a", "..b", ".a/..b" },
	};
	char   buf[64];
	size_t i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		memset(buf, '#', sizeof(buf));
		if (store_key_join(cases[i].base, cases[i].name, buf,
		                   sizeof(buf)) != BB_OK) {
			fail_msg("join(%s, %s) failed", cases[i].base,
			         cases[i].name);
		}
		if (strcmp(buf, cases[i].want) != 0) {
			fail_msg("join(\"%s\", \"%s\") = \"%s\", want \"%s\"",
			         cases[i].base, cases[i].name, buf,
			         cases[i].want);
		}
	}
}

static void
test_join_too_small(void **state)
{
	static const struct {
		const char *base;
		const char *name;
		const char *want;
	} cases[] = {
		{ "/test/", "/a//b/../c", "/test/a/c" },
		{ "", "", "" },
		{ "a/..", "", "." },
		{ "aaaaaaaaaa/bbbbbbbbbb", "../../..", ".." },
		{ "x/../../..", "y", "../../y" },
	};
	size_t i;
	size_t len;
	size_t need;
	char  *buf;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		need = strlen(cases[i].want) + 1;
		assert_int_equal(
		    store_key_join(cases[i].base, cases[i].name, NULL, 0),
		    BB_ETOOBIG);
		for (len = 1; len <= need; len++) {
			buf = malloc(len);
			assert_non_null(buf);
			memset(buf, '#', len);
			assert_int_equal(store_key_join(cases[i].base,
			                                cases[i].name, buf,
			                                len),
			                 len < need ? BB_ETOOBIG : BB_OK);
			assert_string_equal(buf,
			                    len < need ? "" : cases[i].want);
			free(buf);
		}
	}
}

static void
test_object(void **state)
{
	const char *k1 = "/test/x";
	const char *k2 = "test/x";
	const char *k3 = "/";
	char        buf[64];

	(void) state;
	assert_ptr_equal(store_key_object(k1), k1 + 1);
	assert_string_equal(store_key_object(k1), "test/x");
	assert_ptr_equal(store_key_object(k2), k2);
	assert_string_equal(store_key_object(k3), "");
	assert_string_equal(store_key_object(""), "");
	assert_int_equal(
	    store_key_join("/test", "Xk3omgABAAAAAg", buf, sizeof(buf)),
	    BB_OK);
	assert_string_equal(store_key_object(buf), "test/Xk3omgABAAAAAg");
}

static void
test_unique_keys(void **state)
{
	static const struct {
		const char *fmt;
		const char *missing; // NULL: unique
	} cases[] = {
		{ NULL, NULL },
		{ "%y/%m/%d/%H%M%S-%K-%L", NULL },
		{ "%s-%K-%.L", NULL },
		{ "%F/%T/%-K/%-L", NULL },
		{ "%y/%m/%d/%K-%L", "second" },
		{ "%y%m%d%H%M-%K-%L", "second" },
		{ "%s-%L", "counter" },
		{ "%s-%K", "machine" },
		{ "%m%d%H%M%S-%K-%L", "year" },
		{ "static", "second" },
	};
	store_keyfmt *k;
	char          err[512];
	size_t        i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    store_keyfmt_new(cases[i].fmt, &k, err, sizeof(err)),
		    BB_OK);
		err[0] = '\0';
		if (cases[i].missing == NULL) {
			assert_int_equal(
			    store_keyfmt_check_unique(k, err, sizeof(err)),
			    BB_OK);
		} else {
			assert_int_equal(
			    store_keyfmt_check_unique(k, err, sizeof(err)),
			    BB_EINVAL);
			if (strstr(err, cases[i].missing) == NULL) {
				fail_msg("%s: %s", cases[i].fmt, err);
			}
		}
		store_keyfmt_free(k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unique_keys),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_join_too_small),
		cmocka_unit_test(test_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
