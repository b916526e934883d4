// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/digest_test.c -- storage/archive/s3/digest.h
// against known vectors: MD5, SHA-256, the one-pass plan of a file and the
// multipart ETag.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include "tests/storage/archive/s3/s3_fixture.h"

// ---- digest vectors --------------------------------------------------

static void
test_digest_vectors(void **state)
{
	uint8_t md5[STORE_MD5_LEN];
	uint8_t sha[STORE_SHA256_LEN];
	char    hex[STORE_SHA256_HEXLEN];
	char    b64[STORE_MD5_B64LEN];

	(void) state;
	assert_int_equal(store_digest_md5("test", 4, md5), BB_OK);
	store_digest_hex(md5, sizeof(md5), hex);
	assert_string_equal(hex, "098f6bcd4621d373cade4e832627b4f6");
	store_digest_b64(md5, sizeof(md5), b64);
	assert_string_equal(b64, "CY9rzUYh03PK3k6DJie09g==");
	assert_int_equal(store_digest_sha256("", 0, sha), BB_OK);
	store_digest_hex(sha, sizeof(sha), hex);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb924"
	                    "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(store_digest_sha256("abc", 3, sha), BB_OK);
	store_digest_hex(sha, sizeof(sha), hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223"
	                    "b00361a396177a9cb410ff61f20015ad");
}

// test_digest_plan: a 10-byte file (i % 251) in parts of 4, whole, and
// the multipart ETag of "ab" + "c"; vectors from Python's hashlib.
static void
test_digest_plan(void **state)
{
	static const char *part_md5[] = {
		"37b59afd592725f9305e484a5d7f5168",
		"a6b8537b97d58b417d3dfdd1030b15d2",
		"9ed4a12cf365a4e7f4569fee07c1e276",
	};
	static const char *part_sha[] = {
		"054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c99"
		"0d8",
		"c6d44cf418f610e3fe9e1d9294ff43def81c6cdcad6cbb1820cff48d3aa43"
		"55d",
		"73907589101a7e8ab83178e7db2997aab7272cd02d364e8e3ecc2beccda4b"
		"631",
	};
	store_digest_plan p      = { 0 };
	atomic_bool       cancel = true;
	char              etag[STORE_ETAG_LEN];
	char              hex[STORE_SHA256_HEXLEN];
	uint8_t           b[10];
	uint32_t          i;
	int               fd;

	(void) state;
	fd = make_file("plan", 0, 0);
	for (i = 0; i < sizeof(b); i++) {
		b[i] = (uint8_t) (i % 251);
	}
	assert_int_equal(pwrite(fd, b, sizeof(b), 0), (ssize_t) sizeof(b));
	assert_int_equal(store_digest_plan_init(&p, fd, 10, 4, NULL), BB_OK);
	assert_int_equal(p.nparts, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(p.parts[i].off, 4 * i);
		assert_int_equal(p.parts[i].len, i < 2 ? 4 : 2);
		store_digest_hex(p.parts[i].md5, STORE_MD5_LEN, hex);
		assert_string_equal(hex, part_md5[i]);
		store_digest_hex(p.parts[i].sha256, STORE_SHA256_LEN, hex);
		assert_string_equal(hex, part_sha[i]);
	}
	store_digest_hex(p.md5, STORE_MD5_LEN, hex);
	assert_string_equal(hex, "c56bd5480f6e5413cb62a0ad9666613a");
	store_digest_multipart_etag(&p, etag);
	assert_string_equal(etag, "4a189077b70cf1ee89e5a2e8b7f5770a-3");
	store_digest_plan_fini(&p);

	// Single PUT: whole-file sums, no parts, no multipart ETag.
	assert_int_equal(store_digest_plan_init(&p, fd, 10, 0, NULL), BB_OK);
	assert_int_equal(p.nparts, 0);
	assert_null(p.parts);
	store_digest_hex(p.md5, STORE_MD5_LEN, hex);
	assert_string_equal(hex, "c56bd5480f6e5413cb62a0ad9666613a");
	store_digest_multipart_etag(&p, etag);
	assert_string_equal(etag, "");
	store_digest_plan_fini(&p);

	// "ab" + "c".
	assert_int_equal(pwrite(fd, "abc", 3, 0), 3);
	assert_int_equal(store_digest_plan_init(&p, fd, 3, 2, NULL), BB_OK);
	store_digest_multipart_etag(&p, etag);
	assert_string_equal(etag, "d833159094d1d7ad96ffcc78414e3682-2");
	store_digest_plan_fini(&p);

	// Shorter than said; cancelled.
	assert_int_equal(store_digest_plan_init(&p, fd, 11, 0, NULL),
	                 BB_ESHORT);
	assert_int_equal(store_digest_plan_init(&p, fd, 10, 4, &cancel),
	                 BB_ESHUTDOWN);
	(void) close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_vectors),
		cmocka_unit_test(test_digest_plan),
	};
	int rc;

	if (s3fx_dir_make() != 0) {
		return 1;
	}
	rc = cmocka_run_group_tests_name("digest", tests, NULL, NULL);
	bbt_rmtree(g_dir);
	return rc;
}
