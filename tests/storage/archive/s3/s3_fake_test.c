// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/s3_fake_test.c -- the S3 archive against a fake
// server thread, for what s3rver cannot do (wrong ETags, stalls, short or
// wrong ranged answers, multipart aborts, broken completions), which also
// checks the exact requests; and configuration errors.  A put over an
// object already there is s3_exists_test.c.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include "tests/storage/archive/s3/s3_fake_fixture.h"

// ---- configuration ---------------------------------------------------

static void
test_bad_conf(void **state)
{
	store_s3_conf  good = conf_for("http://127.0.0.1:1");
	store_s3_conf  c;
	store_archive *a;
	char           why[WHYLEN];
	int            i;

	(void) state;
	for (i = 0; i < 10; i++) {
		c = good;
		switch (i) {
		case 0:
			c.bucket = NULL;
			break;
		case 1:
			c.region = "";
			break;
		case 2:
			c.key_id = NULL;
			break;
		case 3:
			c.secret_key = NULL;
			break;
		case 4:
			c.part_size = 5 * MIB - 1;
			break;
		case 5:
			c.part_size = 0;
			break;
		case 6:
			c.multipart_threshold = UINT64_C(6) << 30;
			break;
		case 7:
			c.timeout_ns = 0;
			break;
		case 8:
			c.endpoint = "127.0.0.1:9000";
			break;
		case 9:
			c.bucket = "a/b";
			break;
		}
		why[0] = '\0';
		a      = NULL;
		assert_int_equal(
		    store_archive_s3_new(&c, &a, why, sizeof(why)), BB_EINVAL);
		assert_true(why[0] != '\0');
		assert_null(a);
	}
	why[0] = '\0';
	assert_int_equal(store_archive_s3_new(NULL, &a, why, sizeof(why)),
	                 BB_EINVAL);
	assert_true(why[0] != '\0');

	c          = good;
	c.endpoint = "http://127.0.0.1:1/";
	assert_int_equal(store_archive_s3_new(&c, &a, NULL, 0), BB_OK);
	assert_string_equal(store_archive_desc(a),
	                    "s3://blobby at http://127.0.0.1:1");
	store_archive_free(a);
	c.endpoint = NULL;
	assert_int_equal(store_archive_s3_new(&c, &a, NULL, 0), BB_OK);
	assert_string_equal(store_archive_desc(a), "s3://blobby (us-east-1)");
	store_archive_free(a);
}

// test_fake_wrong_etag: a PUT answered with an ETag that is not the MD5
// fails; and the PUT was what S3 wants, header by header.
static void
test_fake_wrong_etag(void **state)
{
	static const fake_step steps[] = {
		{ H404, NULL },
		{ "HTTP/1.1 200 OK\r\nETag: "
		  "\"00000000000000000000000000000000\"\r\n"
		  "Content-Length: 0\r\nConnection: close\r\n\r\n",
		  NULL },
	};
	static fake    f;
	store_archive *a;
	uint8_t        md5[STORE_MD5_LEN];
	uint8_t        sha[STORE_SHA256_LEN];
	uint8_t       *body;
	char           want[256];
	char           hex[STORE_SHA256_HEXLEN];
	char           why[WHYLEN];
	bool           existed = false;
	const char    *sh;
	int            fd;

	(void) state;
	fd = make_file("etag", 1000, 3);
	fake_start(&f, steps, 2);
	a = fake_archive(&f, 6 * MIB, "tok/en+=", TIMEOUT_NS);
	assert_int_equal(put_fd(a, "dir/k", fd, &existed, why), BB_ECORRUPT);
	assert_non_null(strstr(why, "ETag"));
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 2);

	assert_true(
	    strncmp(f.heads[0], "HEAD /blobby/dir/k HTTP/1.1\r\n", 29) == 0);
	assert_true(
	    strncmp(f.heads[1], "PUT /blobby/dir/k HTTP/1.1\r\n", 28) == 0);
	assert_int_equal(f.blen[1], 1000);
	body = malloc(1000);
	assert_non_null(body);
	assert_int_equal(pread(fd, body, 1000, 0), 1000);
	assert_int_equal(store_digest_sha256(body, 1000, sha), BB_OK);
	assert_memory_equal(f.sha[1], sha, STORE_SHA256_LEN);
	// One x-amz-content-sha256, the body's, and signed.
	store_digest_hex(f.sha[1], STORE_SHA256_LEN, hex);
	assert_int_equal(ci_count(f.heads[1], "\nx-amz-content-sha256:"), 1);
	(void) snprintf(want, sizeof(want), "\nx-amz-content-sha256: %s\r\n",
	                hex);
	assert_non_null(ci_find(f.heads[1], want));
	assert_int_equal(store_digest_md5(body, 1000, md5), BB_OK);
	store_digest_b64(md5, STORE_MD5_LEN, hex);
	(void) snprintf(want, sizeof(want), "\nContent-MD5: %s\r\n", hex);
	assert_non_null(ci_find(f.heads[1], want));
	assert_non_null(
	    ci_find(f.heads[1], "\nx-amz-security-token: tok/en+="));
	assert_non_null(ci_find(f.heads[1], "\nContent-Length: 1000\r\n"));
	assert_non_null(ci_find(f.heads[1],
	                        "\nAuthorization: AWS4-HMAC-SHA256 "
	                        "Credential=S3RVER/"));
	sh = ci_find(f.heads[1], "SignedHeaders=");
	assert_non_null(sh);
	assert_true(strstr(sh, "x-amz-content-sha256") != NULL &&
	            strstr(sh, "x-amz-security-token") != NULL &&
	            strstr(sh, "host") != NULL);
	// Every signed header is sent (libcurl 7.88 signs an emptied
	// "Expect:" without sending it, which AWS refuses).
	assert_null(strstr(sh, "expect"));
	// The HEAD carries the hash of an empty body.
	assert_non_null(
	    ci_find(f.heads[0], "\nx-amz-content-sha256: e3b0c442"));
	free(body);
	(void) close(fd);
}

static void *
cancel_later(void *arg)
{
	atomic_bool *cancel = arg;

	sleep_ms(300);
	atomic_store(cancel, true);
	return NULL;
}

// test_fake_stall: a server that never answers is given up within the
// timeout (1 s without progress), and a cancel ends a stalled PUT long
// before its timeout.
static void
test_fake_stall(void **state)
{
	static const fake_step stall[]  = { { NULL, NULL } };
	static const fake_step stall2[] = { { H404, NULL }, { NULL, NULL } };
	static fake            f;
	store_archive         *a;
	atomic_bool            cancel  = false;
	bool                   existed = false;
	char                   why[WHYLEN];
	pthread_t              th;
	int64_t                t0;
	int                    fd;

	(void) state;
	fd = make_file("stall", 1000, 4);
	fake_start(&f, stall, 1);
	a  = fake_archive(&f, 6 * MIB, NULL, INT64_C(1000000000));
	t0 = bbt_now_ms();
	assert_int_equal(put_fd(a, "k", fd, &existed, why), BB_ETIMEDOUT);
	assert_true(bbt_now_ms() - t0 < 5000);
	assert_non_null(strstr(why, "HEAD k"));
	store_archive_free(a);
	fake_stop(&f);

	fake_start(&f, stall2, 2);
	a = fake_archive(&f, 6 * MIB, NULL, TIMEOUT_NS);
	assert_int_equal(pthread_create(&th, NULL, cancel_later, &cancel), 0);
	t0 = bbt_now_ms();
	assert_int_equal(store_archive_put(a, "k", fd, 1000, &cancel, &existed,
	                                   why, sizeof(why)),
	                 BB_ESHUTDOWN);
	assert_true(bbt_now_ms() - t0 < 3000);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(atomic_load(&f.served), 2);
	store_archive_free(a);
	fake_stop(&f);
	(void) close(fd);
}

// resp formats an answer with a body and its Content-Length into buf.
static const char *
resp(char *buf, size_t len, const char *status, const char *extra,
     const char *body)
{
	(void) snprintf(buf, len,
	                "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n"
	                "Connection: close\r\n\r\n",
	                status, extra, strlen(body));
	return buf;
}

#define S3_ERR(code)                                          \
	"<?xml version=\"1.0\"?><Error><Code>" code "</Code>" \
	"<Message>it went wrong</Message></Error>"

// test_fake_reads: ranged answers that are not the range asked for.
static void
test_fake_reads(void **state)
{
	static char hb[4][256];
	static fake f;
	fake_step   steps[8] = {
		  // Right headers, half the body, then the connection closes.
                { "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
		      "10-19/100\r\nContent-Length: 10\r\nConnection: "
		      "close\r\n\r\n",
		    "01234" },
                // Another range than asked for, inside the object.
                { "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
		      "10-14/100\r\nContent-Length: 5\r\nConnection: "
		      "close\r\n\r\n",
		    "01234" },
                // The whole object (Range ignored) for a range not at 0.
                { NULL, NULL },
                // The whole object, which is the range.
                { NULL, NULL },
                // Clipped at the end of the object: it is shorter.
                { "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
		      "90-99/100\r\nContent-Length: 10\r\nConnection: "
		      "close\r\n\r\n",
		    "0123456789" },
                { NULL, S3_ERR("InternalError") },
                { NULL, S3_ERR("NoSuchBucket") },
                { NULL, S3_ERR("InvalidRange") },
	};
	char           body100[101];
	uint8_t        buf[100];
	store_archive *a;
	int            i;

	(void) state;
	for (i = 0; i < 100; i++) {
		body100[i] = (char) ('a' + i % 26);
	}
	body100[100]  = '\0';
	steps[2].head = resp(hb[0], sizeof(hb[0]), "200 OK", "", body100);
	steps[2].body = body100;
	steps[3].head = steps[2].head;
	steps[3].body = body100;
	steps[5].head = resp(hb[1], sizeof(hb[1]), "500 Internal Server Error",
	                     "", steps[5].body);
	steps[6].head =
	    resp(hb[2], sizeof(hb[2]), "404 Not Found", "", steps[6].body);
	steps[7].head =
	    resp(hb[3], sizeof(hb[3]), "416 Requested Range Not Satisfiable",
	         "", steps[7].body);
	fake_start(&f, steps, 8);
	a = fake_archive(&f, 6 * MIB, NULL, TIMEOUT_NS);
	assert_int_equal(read_range(a, "obj", 10, 10, buf), BB_ESHORT);
	assert_int_equal(read_range(a, "obj", 10, 10, buf), BB_EPROTO);
	assert_int_equal(read_range(a, "obj", 10, 10, buf), BB_EPROTO);
	assert_int_equal(read_range(a, "obj", 0, 100, buf), BB_OK);
	assert_memory_equal(buf, body100, 100);
	assert_int_equal(read_range(a, "obj", 90, 20, buf), BB_ENOENT);
	assert_int_equal(read_range(a, "obj", 0, 10, buf), BB_EUNAVAIL);
	assert_int_equal(read_range(a, "obj", 0, 10, buf), BB_EIO);
	assert_int_equal(read_range(a, "obj", 0, 10, buf), BB_ENOENT);
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 8);
	assert_true(strncmp(f.heads[0], "GET /blobby/obj HTTP/1.1\r\n", 26) ==
	            0);
	assert_non_null(ci_find(f.heads[0], "\nRange: bytes=10-19\r\n"));
	assert_non_null(ci_find(f.heads[4], "\nRange: bytes=90-109\r\n"));
}

// test_fake_multipart_abort: a part answered with a wrong ETag fails the
// upload, which is then aborted; the upload id is decoded from the XML
// and encoded in each query.
static void
test_fake_multipart_abort(void **state)
{
	static char       hb[2][256];
	static fake       f;
	static const char init[] =
	    "<?xml version=\"1.0\"?><InitiateMultipartUploadResult>"
	    "<Bucket>blobby</Bucket><Key>k</Key><UploadId>a&amp;b/c</UploadId>"
	    "</InitiateMultipartUploadResult>";
	fake_step steps[] = {
		{ H404, NULL },
		{ NULL, init },
		{ "HTTP/1.1 200 OK\r\nETag: \"0123\"\r\nContent-Length: 0\r\n"
		  "Connection: close\r\n\r\n",
		  NULL },
		{ NULL, "" },
	};
	store_archive *a;
	char           why[WHYLEN];
	bool           existed = false;
	int            fd;

	(void) state;
	steps[1].head = resp(hb[0], sizeof(hb[0]), "200 OK", "", init);
	steps[3].head = resp(hb[1], sizeof(hb[1]), "204 No Content", "", "");
	fd            = make_file("mpabort", 10, 5);
	fake_start(&f, steps, 4);
	a = fake_archive(&f, 0, NULL, TIMEOUT_NS); // everything multipart
	assert_int_equal(put_fd(a, "k", fd, &existed, why), BB_ECORRUPT);
	assert_non_null(strstr(why, "part 1"));
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 4);
	assert_true(strncmp(f.heads[1], "POST /blobby/k?uploads= HTTP/1.1\r\n",
	                    34) == 0);
	assert_true(strncmp(f.heads[2],
	                    "PUT /blobby/k?partNumber=1&uploadId=a%26b%2Fc "
	                    "HTTP/1.1\r\n",
	                    56) == 0);
	assert_int_equal(f.blen[2], 10);
	assert_true(strncmp(f.heads[3],
	                    "DELETE /blobby/k?uploadId=a%26b%2Fc HTTP/1.1\r\n",
	                    46) == 0);
	(void) close(fd);
}

// complete_with runs a multipart put whose CompleteMultipartUpload is
// answered 200 with the body answer: the put fails with a why holding
// want_why, and the upload is aborted.  The completion document's hash
// is what x-amz-content-sha256 says.
static void
complete_with(const char *answer, const char *want_why)
{
	static char       hb[4][256];
	static char       etag[128];
	static fake       f;
	static const char init[] =
	    "<InitiateMultipartUploadResult><UploadId>"
	    "up1</UploadId></InitiateMultipartUploadResult>";
	fake_step steps[5] = {
		{ H404, NULL },   { NULL, init }, { NULL, "" },
		{ NULL, answer }, { NULL, "" },
	};
	store_digest_plan p = { 0 };
	store_archive    *a;
	char              hex[STORE_SHA256_HEXLEN];
	char              want[128];
	char              why[WHYLEN];
	bool              existed = false;
	int               fd;

	fd = make_file("mpcomplete", 10, 6);
	assert_int_equal(store_digest_plan_init(&p, fd, 10, 5 * MIB, NULL),
	                 BB_OK);
	store_digest_hex(p.parts[0].md5, STORE_MD5_LEN, hex);
	store_digest_plan_fini(&p);
	(void) snprintf(etag, sizeof(etag), "ETag: \"%s\"\r\n", hex);
	steps[1].head = resp(hb[0], sizeof(hb[0]), "200 OK", "", init);
	steps[2].head = resp(hb[1], sizeof(hb[1]), "200 OK", etag, "");
	steps[3].head =
	    resp(hb[2], sizeof(hb[2]), "200 OK", "", steps[3].body);
	steps[4].head = resp(hb[3], sizeof(hb[3]), "204 No Content", "", "");
	fake_start(&f, steps, 5);
	a = fake_archive(&f, 0, NULL, TIMEOUT_NS);
	assert_int_not_equal(put_fd(a, "k", fd, &existed, why), BB_OK);
	if (strstr(why, want_why) == NULL) {
		fail_msg("why '%s' does not say '%s'", why, want_why);
	}
	store_archive_free(a);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.served), 5);
	assert_true(strncmp(f.heads[3], "POST /blobby/k?uploadId=up1 HTTP/1.1",
	                    36) == 0);
	store_digest_hex(f.sha[3], STORE_SHA256_LEN, hex);
	(void) snprintf(want, sizeof(want), "\nx-amz-content-sha256: %s\r\n",
	                hex);
	assert_non_null(ci_find(f.heads[3], want));
	assert_true(
	    strncmp(f.heads[4], "DELETE /blobby/k?uploadId=up1 ", 30) == 0);
	(void) close(fd);
}

// test_fake_complete_error: an <Error> body in a 200 is a failure.
static void
test_fake_complete_error(void **state)
{
	(void) state;
	complete_with(S3_ERR("InternalError"), "InternalError");
}

// test_fake_complete_long_etag: an ETag longer than any real one (it
// overflowed a stack buffer) is a broken answer, not a crash.
static void
test_fake_complete_long_etag(void **state)
{
	static char answer[600];
	char        a300[301];

	(void) state;
	memset(a300, 'a', sizeof(a300) - 1);
	a300[sizeof(a300) - 1] = '\0';
	(void) snprintf(answer, sizeof(answer),
	                "<CompleteMultipartUploadResult><ETag>\"%s-2\"</ETag>"
	                "</CompleteMultipartUploadResult>",
	                a300);
	complete_with(answer, "no ETag of at most 127 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_fake_wrong_etag),
		cmocka_unit_test(test_fake_stall),
		cmocka_unit_test(test_fake_reads),
		cmocka_unit_test(test_fake_multipart_abort),
		cmocka_unit_test(test_fake_complete_error),
		cmocka_unit_test(test_fake_complete_long_etag),
	};

	return cmocka_run_group_tests_name("archive_s3 fakes", tests,
	                                   s3fake_group_setup,
	                                   s3fake_group_teardown);
}
