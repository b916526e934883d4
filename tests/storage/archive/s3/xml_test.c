// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/xml_test.c -- store__s3_xml_text, the text
// extraction every parser of an S3 answer uses, on what a hostile or
// broken endpoint can send: a failure leaves an empty string (it left
// the partial text unterminated, which the multipart completion then
// read past).
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include "tests/storage/archive/s3/s3_fixture.h"

#include "storage/archive/s3/s3_impl.h"

static void
test_xml_good(void **state)
{
	char out[32];

	(void) state;
	assert_true(
	    store__s3_xml_text("<A><ETag> \"ab&amp;c&quot;\"\n</ETag></A>",
	                       "ETag", out, sizeof(out)));
	assert_string_equal(out, "\"ab&c\"\"");
	assert_true(
	    store__s3_xml_text("<Code></Code>", "Code", out, sizeof(out)));
	assert_string_equal(out, "");
	// Control characters become spaces: why strings are one line.
	assert_true(
	    store__s3_xml_text("<M>a\tb\x01</M>", "M", out, sizeof(out)));
	assert_string_equal(out, "a b ");
	// Exactly full: cap - 1 characters and the NUL.
	assert_true(store__s3_xml_text("<E>0123456</E>", "E", out, 8));
	assert_string_equal(out, "0123456");
}

static void
test_xml_bad(void **state)
{
	static const struct {
		const char *doc;
		const char *name;
		size_t      cap;
	} cases[] = {
		{ "<A>no element</A>", "ETag", 32 },
		{ "<ETag>no end", "ETag", 32 },
		{ "<E>01234567</E>", "E", 8 },            // one over
		{ "<E>0123&bogus;</E>", "E", 32 },        // unknown entity
		{ "<E>0123&am</E>", "E", 32 },            // cut entity
		{ "<E>0123<b>x</b></E>", "E", 32 },       // markup
		{ "<E>0123&amp;&amp;&amp;</E>", "E", 6 }, // decoded over
		{ "", "E", 32 },
	};
	char   out[32];
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out)); // unterminated, as a reuse
		if (store__s3_xml_text(cases[i].doc, cases[i].name, out,
		                       cases[i].cap)) {
			fail_msg("case %zu: taken", i);
		}
		if (out[0] != '\0') {
			fail_msg("case %zu: out is not empty", i);
		}
	}
	// Nothing to write into: false, nothing touched.
	assert_false(store__s3_xml_text("<E>a</E>", "E", out, 0));
	// An element name too long for the tag buffer.
	memset(out, 'x', sizeof(out));
	assert_false(store__s3_xml_text(
	    "<E>a</E>",
	    "E123456789012345678901234567890123456789012345678901234567890",
	    out, sizeof(out)));
	assert_int_equal(out[0], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_good),
		cmocka_unit_test(test_xml_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
