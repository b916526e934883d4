// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/s3_exists_test.c -- the best copy kept: a put
// over an object already there, against a fake S3 server, request by
// request: a longer object holding our bytes (done, no PUT) or other ones
// (a conflict), and conditional writes (If-None-Match, If-Match).
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include "tests/storage/archive/s3/s3_fake_fixture.h"

#define TXT_SIZE 1000

// txt_file makes <g_dir>/<name>: the first n letters of TXT_SIZE
// ('a' + i % 26), as text the fake can answer with; *md5 gets the MD5 hex
// of those n bytes and body (TXT_SIZE + 1 bytes) the text.
static int
txt_file(const char *name, size_t n, char *body, char *md5)
{
	uint8_t sum[STORE_MD5_LEN];
	char    path[512];
	size_t  i;
	int     fd;

	for (i = 0; i < TXT_SIZE; i++) {
		body[i] = (char) ('a' + i % 26);
	}
	body[TXT_SIZE] = '\0';
	assert_int_equal(store_digest_md5(body, n, sum), BB_OK);
	store_digest_hex(sum, sizeof(sum), md5);
	(void) snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, n), (ssize_t) n);
	return fd;
}

// test_fake_longer_exists: the object is longer and our bytes are its
// first ones (its ETag cannot say so): a ranged GET compares them, and
// the put succeeds as "already there" without any PUT.
static void
test_fake_longer_exists(void **state)
{
	static char    body[TXT_SIZE + 1];
	static char    md5[STORE_MD5_HEXLEN];
	static fake    f;
	fake_step      steps[2];
	store_archive *a;
	char           why[WHYLEN] = "";
	bool           existed     = false;
	int            fd;

	(void) state;
	fd        = txt_file("longer", 600, body, md5);
	body[600] = '\0';
	steps[0] =
	    (fake_step) { "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
		          "ETag: \"0123456789abcdef0123456789abcdef\"\r\n"
		          "Connection: close\r\n\r\n",
		          NULL };
	steps[1] = (fake_step) { "HTTP/1.1 206 Partial Content\r\n"
		                 "Content-Range: bytes 0-599/1000\r\n"
		                 "Content-Length: 600\r\n"
		                 "Connection: close\r\n\r\n",
		                 body };
	fake_start(&f, steps, 2);
	a = fake_archive(&f, 6 * MIB, NULL, TIMEOUT_NS);
	if (put_fd(a, "k", fd, &existed, why) != BB_OK) {
		fail_msg("put: %s", why);
	}
	assert_true(existed);
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 2);
	assert_true(strncmp(f.heads[0], "HEAD /blobby/k ", 15) == 0);
	assert_true(strncmp(f.heads[1], "GET /blobby/k ", 14) == 0);
	assert_non_null(ci_find(f.heads[1], "\nRange: bytes=0-599\r\n"));
	(void) close(fd);
}

// test_fake_longer_differs: the same, but the bytes differ: a conflict,
// and no PUT either.
static void
test_fake_longer_differs(void **state)
{
	static char    body[TXT_SIZE + 1];
	static char    md5[STORE_MD5_HEXLEN];
	static fake    f;
	fake_step      steps[2];
	store_archive *a;
	char           why[WHYLEN] = "";
	bool           existed     = false;
	int            fd;

	(void) state;
	fd        = txt_file("differs", 600, body, md5);
	body[600] = '\0';
	body[599] = 'Z';
	steps[0] =
	    (fake_step) { "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
		          "ETag: \"0123456789abcdef0123456789abcdef\"\r\n"
		          "Connection: close\r\n\r\n",
		          NULL };
	steps[1] = (fake_step) { "HTTP/1.1 206 Partial Content\r\n"
		                 "Content-Range: bytes 0-599/1000\r\n"
		                 "Content-Length: 600\r\n"
		                 "Connection: close\r\n\r\n",
		                 body };
	fake_start(&f, steps, 2);
	a = fake_archive(&f, 6 * MIB, NULL, TIMEOUT_NS);
	assert_int_equal(put_fd(a, "k", fd, &existed, why), BB_EEXIST);
	assert_non_null(strstr(why, "1000"));
	assert_non_null(strstr(why, "600"));
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 2);
	(void) close(fd);
}

// test_fake_conditional: a new key is written with If-None-Match: *; a
// 412 (another writer was first) makes the put look again, and the
// other's object, the same bytes, is "already there".  Over a shorter
// prefix copy the write is If-Match: its ETag, and a HEAD after checks
// the result.
static void
test_fake_conditional(void **state)
{
	static char    body[TXT_SIZE + 1];
	static char    md5[STORE_MD5_HEXLEN];
	static char    pmd5[STORE_MD5_HEXLEN];
	static char    h[3][256];
	static fake    f;
	fake_step      steps[4];
	store_archive *a;
	char           why[WHYLEN] = "";
	char           want[128];
	bool           existed = false;
	int            fd;

	(void) state;
	fd = txt_file("prefix", 400, body, pmd5);
	(void) close(fd);
	fd = txt_file("cond", TXT_SIZE, body, md5);
	(void) snprintf(h[0], sizeof(h[0]),
	                "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
	                "ETag: \"%s\"\r\nConnection: close\r\n\r\n",
	                TXT_SIZE, md5);
	steps[0] = (fake_step) { H404, NULL };
	steps[1] = (fake_step) { "HTTP/1.1 412 Precondition Failed\r\n"
		                 "Content-Length: 0\r\n"
		                 "Connection: close\r\n\r\n",
		                 NULL };
	steps[2] = (fake_step) { h[0], NULL };
	fake_start(&f, steps, 3);
	a = fake_archive(&f, 6 * MIB, NULL, TIMEOUT_NS);
	if (put_fd(a, "k", fd, &existed, why) != BB_OK) {
		fail_msg("put: %s", why);
	}
	assert_true(existed);
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 3);
	assert_true(strncmp(f.heads[1], "PUT /blobby/k ", 14) == 0);
	assert_non_null(ci_find(f.heads[1], "\nIf-None-Match: *\r\n"));
	assert_null(ci_find(f.heads[0], "\nIf-None-Match"));

	// A shorter prefix copy (400 bytes) is replaced, conditionally.
	(void) snprintf(h[1], sizeof(h[1]),
	                "HTTP/1.1 200 OK\r\nContent-Length: 400\r\n"
	                "ETag: \"%s\"\r\nConnection: close\r\n\r\n",
	                pmd5);
	(void) snprintf(h[2], sizeof(h[2]),
	                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	                "ETag: \"%s\"\r\nConnection: close\r\n\r\n",
	                md5);
	steps[0] = (fake_step) { h[1], NULL };
	steps[1] = (fake_step) { h[2], NULL };
	steps[2] = (fake_step) { h[0], NULL };
	fake_start(&f, steps, 3);
	a       = fake_archive(&f, 6 * MIB, NULL, TIMEOUT_NS);
	existed = true;
	if (put_fd(a, "k", fd, &existed, why) != BB_OK) {
		fail_msg("put: %s", why);
	}
	assert_false(existed);
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 3);
	assert_true(strncmp(f.heads[1], "PUT /blobby/k ", 14) == 0);
	assert_int_equal(f.blen[1], TXT_SIZE);
	(void) snprintf(want, sizeof(want), "\nIf-Match: \"%s\"\r\n", pmd5);
	assert_non_null(ci_find(f.heads[1], want));
	assert_true(strncmp(f.heads[2], "HEAD /blobby/k ", 15) == 0);
	(void) close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_longer_exists),
		cmocka_unit_test(test_fake_longer_differs),
		cmocka_unit_test(test_fake_conditional),
	};

	return cmocka_run_group_tests_name("archive_s3 existing objects",
	                                   tests, s3fake_group_setup,
	                                   s3fake_group_teardown);
}
