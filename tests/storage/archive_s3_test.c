// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive_s3_test.c -- the S3 archive (storage/archive_s3.c
// and its s3_*.c) against a real s3rver on loopback: round trips, ranges,
// missing objects, skipped re-uploads, multipart, odd keys, a stopped
// server, cancel, configuration errors; and against a fake server thread
// for what s3rver cannot do (wrong ETags, stalls, short or wrong ranged
// answers, multipart aborts), which also checks the exact request.  And
// storage/digest.h against known vectors.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/archive.h"
#include "storage/digest.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"
#include "tests/clock.h"

#define MIB        (UINT64_C(1) << 20)
#define BUCKET     "blobby"
#define TIMEOUT_NS (INT64_C(10) * 1000000000)
#define WHYLEN     512

static char           g_dir[256]; // the test's temporary directory
static bbt_s3        *g_s3;       // s3rver, for the "s3rver" group
static store_archive *g_a;        // an archive on g_s3

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	(void) nanosleep(&ts, NULL);
}

static store_s3_conf
conf_for(const char *endpoint)
{
	store_s3_conf c = {
		.endpoint            = endpoint,
		.region              = "us-east-1",
		.bucket              = BUCKET,
		.key_id              = BBT_S3_KEY_ID,
		.secret_key          = BBT_S3_SECRET,
		.multipart_threshold = 6 * MIB,
		.part_size           = 5 * MIB,
		.timeout_ns          = TIMEOUT_NS,
	};
	return c;
}

// pat is the byte at i of a file made with seed: it changes with every
// position, so a range read from the wrong offset does not compare equal.
static uint8_t
pat(uint64_t i, unsigned seed)
{
	return (uint8_t) (i * 7 + (i >> 8) * 131 + (i >> 16) * 17 + seed);
}

// make_file creates <g_dir>/<name> of size patterned bytes; returns its fd.
static int
make_file(const char *name, uint64_t size, unsigned seed)
{
	static uint8_t buf[64 * 1024];
	char           path[512];
	uint64_t       off;
	size_t         n;
	size_t         i;
	int            fd;

	(void) snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (off = 0; off < size; off += n) {
		n = size - off < sizeof(buf) ? (size_t) (size - off)
		                             : sizeof(buf);
		for (i = 0; i < n; i++) {
			buf[i] = pat(off + i, seed);
		}
		assert_int_equal(pwrite(fd, buf, n, (off_t) off), (ssize_t) n);
	}
	return fd;
}

static uint64_t
fd_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t) st.st_size;
}

static bb_err
put_fd(store_archive *a, const char *key, int fd, bool *existed, char *why)
{
	*existed = false;
	return store_archive_put(a, key, fd, fd_size(fd), NULL, existed, why,
	                         WHYLEN);
}

static void
put_ok(store_archive *a, const char *key, int fd, bool want_existed)
{
	char   why[WHYLEN] = "";
	bool   existed;
	bb_err rv;

	rv = put_fd(a, key, fd, &existed, why);
	if (rv != BB_OK) {
		fail_msg("put %s: %s: %s", key, bb_err_name(rv), why);
	}
	assert_int_equal(existed, want_existed);
}

// read_range reads [off, off + len) of key into a caller's buffer of len
// bytes, in odd-sized pieces; returns the first error.
static bb_err
read_range(store_archive *a, const char *key, uint64_t off, uint64_t len,
           uint8_t *out)
{
	store_archive_rd *rd  = NULL;
	uint64_t          got = 0;
	size_t            n;
	bb_err            rv;

	rv = store_archive_open(a, key, off, len, &rd);
	if (rv != BB_OK) {
		return rv;
	}
	for (;;) {
		n  = 0;
		rv = store_archive_rd_read(
		    rd, out + got,
		    len - got < 7777 ? (size_t) (len - got) + 1 : 7777, &n);
		if (rv != BB_OK || n == 0) {
			break;
		}
		got += n;
		if (got > len) {
			rv = BB_EPROTO;
			break;
		}
	}
	store_archive_rd_close(rd);
	if (rv == BB_OK && got != len) {
		rv = BB_ESHORT;
	}
	return rv;
}

// expect_range checks that [off, off + len) of key holds what fd does.
static void
expect_range(store_archive *a, const char *key, int fd, uint64_t off,
             uint64_t len)
{
	uint8_t *got  = malloc(len + 1);
	uint8_t *want = malloc(len + 1);
	bb_err   rv;

	assert_non_null(got);
	assert_non_null(want);
	rv = read_range(a, key, off, len, got);
	if (rv == BB_OK) {
		rv = pread(fd, want, len, (off_t) off) == (ssize_t) len &&
		        memcmp(got, want, len) == 0
		    ? BB_OK
		    : BB_ECORRUPT;
	}
	free(got);
	free(want);
	if (rv != BB_OK) {
		fail_msg("read %s [%llu, +%llu): %s", key,
		         (unsigned long long) off, (unsigned long long) len,
		         bb_err_name(rv));
	}
}

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

// ---- configuration ---------------------------------------------------

static void
test_bad_conf(void **state)
{
	store_s3_conf  good = conf_for("http://127.0.0.1:1");
	store_s3_conf  c;
	store_archive *a;
	const char    *why;
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
		why = NULL;
		a   = NULL;
		assert_int_equal(store_archive_s3_new(&c, &a, &why),
		                 BB_EINVAL);
		assert_non_null(why);
		assert_null(a);
	}
	why = NULL;
	assert_int_equal(store_archive_s3_new(NULL, &a, &why), BB_EINVAL);
	assert_non_null(why);

	c          = good;
	c.endpoint = "http://127.0.0.1:1/";
	assert_int_equal(store_archive_s3_new(&c, &a, NULL), BB_OK);
	assert_string_equal(store_archive_desc(a),
	                    "s3://blobby at http://127.0.0.1:1");
	store_archive_free(a);
	c.endpoint = NULL;
	assert_int_equal(store_archive_s3_new(&c, &a, NULL), BB_OK);
	assert_string_equal(store_archive_desc(a), "s3://blobby (us-east-1)");
	store_archive_free(a);
}

// ---- a fake server, for what s3rver cannot do ------------------------

#define FAKE_MAX  8
#define FAKE_HEAD 8192

// One answer: head (status line and headers, "Connection: close" and the
// blank line included) and body; head NULL: never answer, wait until the
// client gives up.
typedef struct fake_step {
	const char *head;
	const char *body;
} fake_step;

typedef struct fake {
	int              lfd;
	char             endpoint[64];
	pthread_t        th;
	atomic_bool      stop;
	const fake_step *steps;
	size_t           nsteps;
	atomic_int       served;
	char             heads[FAKE_MAX][FAKE_HEAD];      // requests, in order
	uint8_t          sha[FAKE_MAX][STORE_SHA256_LEN]; // of their bodies
	uint64_t         blen[FAKE_MAX];
} fake;

// fake_wait waits up to 50 ms for fd; false once told to stop.
static bool
fake_wait(fake *f, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!atomic_load(&f->stop)) {
		if (poll(&p, 1, 50) > 0) {
			return true;
		}
	}
	return false;
}

static const char *
ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		if (strncasecmp(hay, needle, n) == 0) {
			return hay;
		}
	}
	return NULL;
}

static int
ci_count(const char *hay, const char *needle)
{
	int c = 0;

	for (hay = ci_find(hay, needle); hay != NULL;
	     hay = ci_find(hay + 1, needle)) {
		c++;
	}
	return c;
}

static void
fake_serve(fake *f, int fd, int i)
{
	char       *head = f->heads[i];
	char       *body = NULL;
	const char *cl;
	const char *end  = NULL;
	size_t      used = 0;
	size_t      blen = 0;
	size_t      have;
	ssize_t     r;

	while (end == NULL && used + 1 < FAKE_HEAD && fake_wait(f, fd)) {
		r = read(fd, head + used, FAKE_HEAD - 1 - used);
		if (r <= 0) {
			return;
		}
		used += (size_t) r;
		head[used] = '\0';
		end        = strstr(head, "\r\n\r\n");
	}
	if (end == NULL) {
		return;
	}
	// libcurl 7.88 asks every PUT to wait for "100 Continue"; S3 and
	// s3rver send it.
	if (ci_find(head, "\nExpect: 100-continue") != NULL) {
		(void) !write(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
	cl   = ci_find(head, "\ncontent-length:");
	blen = cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
	body = malloc(blen + 1);
	have = used - (size_t) (end + 4 - head);
	memcpy(body, end + 4, have < blen ? have : blen);
	head[end + 2 - head] = '\0';
	while (have < blen && fake_wait(f, fd)) {
		r = read(fd, body + have, blen - have);
		if (r <= 0) {
			break;
		}
		have += (size_t) r;
	}
	(void) store_digest_sha256(body, have, f->sha[i]);
	f->blen[i] = have;
	free(body);
	atomic_fetch_add(&f->served, 1);
	if (f->steps[i].head == NULL) {
		// Stall: hold the connection until the client leaves.
		while (fake_wait(f, fd) && read(fd, head, 1) > 0) {
		}
		return;
	}
	(void) !write(fd, f->steps[i].head, strlen(f->steps[i].head));
	if (f->steps[i].body != NULL) {
		(void) !write(fd, f->steps[i].body, strlen(f->steps[i].body));
	}
}

static void *
fake_main(void *arg)
{
	fake *f = arg;
	int   fd;
	int   i;

	while (fake_wait(f, f->lfd)) {
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0) {
			continue;
		}
		i = atomic_load(&f->served);
		if ((size_t) i < f->nsteps && i < FAKE_MAX) {
			fake_serve(f, fd, i);
		}
		(void) close(fd);
	}
	return NULL;
}

static void
fake_start(fake *f, const fake_step *steps, size_t n)
{
	struct sockaddr_in sa  = { .sin_family = AF_INET };
	socklen_t          len = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->steps           = steps;
	f->nsteps          = n;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd             = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *) &sa, &len),
	                 0);
	(void) snprintf(f->endpoint, sizeof(f->endpoint),
	                "http://127.0.0.1:%u", (unsigned) ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void
fake_stop(fake *f)
{
	atomic_store(&f->stop, true);
	(void) pthread_join(f->th, NULL);
	(void) close(f->lfd);
}

#define H404                                              \
	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

static store_archive *
fake_archive(const fake *f, uint64_t threshold, const char *token,
             int64_t timeout_ns)
{
	store_s3_conf  c = conf_for(f->endpoint);
	store_archive *a = NULL;

	c.multipart_threshold = threshold;
	c.session_token       = token;
	c.timeout_ns          = timeout_ns;
	assert_int_equal(store_archive_s3_new(&c, &a, NULL), BB_OK);
	return a;
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

// test_fake_complete_error: CompleteMultipartUpload can answer 200 with
// an <Error> body; that is a failure (and the upload is aborted).  The
// completion document's hash is what x-amz-content-sha256 says.
static void
test_fake_complete_error(void **state)
{
	static char       hb[4][256];
	static char       etag[128];
	static fake       f;
	static const char init[] =
	    "<InitiateMultipartUploadResult><UploadId>"
	    "up1</UploadId></InitiateMultipartUploadResult>";
	fake_step steps[5] = {
		{ H404, NULL }, { NULL, init },
		{ NULL, "" },   { NULL, S3_ERR("InternalError") },
		{ NULL, "" },
	};
	store_digest_plan p = { 0 };
	store_archive    *a;
	char              hex[STORE_SHA256_HEXLEN];
	char              want[128];
	char              why[WHYLEN];
	bool              existed = false;
	int               fd;

	(void) state;
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
	assert_non_null(strstr(why, "InternalError"));
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

// ---- against s3rver --------------------------------------------------

static int
s3rver_setup(void **state)
{
	static const char *const buckets[] = { BUCKET, "other", NULL };
	store_s3_conf            c;
	const char              *why = NULL;
	char                     data[300];

	(void) state;
	(void) snprintf(data, sizeof(data), "%s/s3", g_dir);
	g_s3 = bbt_s3_start(data, buckets);
	if (g_s3 == NULL) {
		return -1;
	}
	c = conf_for(bbt_s3_endpoint(g_s3));
	if (store_archive_s3_new(&c, &g_a, &why) != BB_OK) {
		(void) fprintf(stderr, "store_archive_s3_new: %s\n", why);
		return -1;
	}
	return 0;
}

static int
s3rver_teardown(void **state)
{
	(void) state;
	store_archive_free(g_a);
	g_a = NULL;
	bbt_s3_stop(g_s3);
	g_s3 = NULL;
	return 0;
}

static void
test_roundtrip(void **state)
{
	static const uint64_t sizes[] = { 0, 1, MIB };
	store_archive_rd     *rd      = NULL;
	uint8_t               b;
	char                  key[64];
	size_t                n = 1;
	size_t                i;
	int                   fd;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		(void) snprintf(key, sizeof(key), "rt/%zu", i);
		fd = make_file(key + 3, sizes[i], (unsigned) i);
		put_ok(g_a, key, fd, false);
		put_ok(g_a, key, fd, true);
		if (sizes[i] == 0) {
			// Nothing to ask for: a reader that ends at once.
			assert_int_equal(
			    store_archive_open(g_a, key, 0, 0, &rd), BB_OK);
			assert_int_equal(store_archive_rd_read(rd, &b, 1, &n),
			                 BB_OK);
			assert_int_equal(n, 0);
			store_archive_rd_close(rd);
			assert_int_equal(read_range(g_a, key, 0, 1, &b),
			                 BB_ENOENT);
		} else {
			expect_range(g_a, key, fd, 0, sizes[i]);
			expect_range(g_a, key, fd, sizes[i] - 1, 1);
			expect_range(g_a, key, fd, 0, 1);
		}
		(void) close(fd);
	}
}

static void
test_ranges(void **state)
{
	static const struct {
		uint64_t off;
		uint64_t len;
	} r[] = {
		{ 0, 1 },          { 1, 100 },     { 4095, 4097 },
		{ 12345, 300000 }, { MIB - 1, 1 }, { MIB - 70000, 70000 },
		{ 65536, 65536 },  { 0, MIB },
	};
	size_t i;
	int    fd;

	(void) state;
	fd = make_file("ranges", MIB, 9);
	put_ok(g_a, "ranges", fd, false);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		expect_range(g_a, "ranges", fd, r[i].off, r[i].len);
	}
	(void) close(fd);
}

static void
test_missing_and_past_end(void **state)
{
	uint8_t *buf = malloc(2000);
	int      fd;

	(void) state;
	assert_non_null(buf);
	assert_int_equal(read_range(g_a, "no/such/key", 0, 10, buf),
	                 BB_ENOENT);
	fd = make_file("short", 1000, 10);
	put_ok(g_a, "short", fd, false);
	assert_int_equal(read_range(g_a, "short", 990, 20, buf), BB_ENOENT);
	assert_int_equal(read_range(g_a, "short", 0, 1001, buf), BB_ENOENT);
	assert_int_equal(read_range(g_a, "short", 1000, 1, buf), BB_ENOENT);
	assert_int_equal(read_range(g_a, "short", 5000, 10, buf), BB_ENOENT);
	expect_range(g_a, "short", fd, 0, 1000);
	expect_range(g_a, "short", fd, 999, 1);
	(void) close(fd);
	free(buf);
}

// test_put_twice: the second put of the same bytes sends nothing: the
// object file s3rver keeps is not rewritten.
static void
test_put_twice(void **state)
{
	struct stat a;
	struct stat b;
	char        path[512];
	int         fd;

	(void) state;
	fd = make_file("twice", 300000, 11);
	put_ok(g_a, "twice", fd, false);
	assert_int_equal(
	    bbt_s3_object_path(g_s3, BUCKET, "twice", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(a.st_size, 300000);
	sleep_ms(50);
	put_ok(g_a, "twice", fd, true);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_int_equal(a.st_ino, b.st_ino);
	(void) close(fd);
}

static void
test_replace(void **state)
{
	uint8_t buf[8];
	int     fa;
	int     fb;
	int     fc;

	(void) state;
	fa = make_file("repl-a", 4096, 1);
	fb = make_file("repl-b", 4096, 2);
	fc = make_file("repl-c", 100, 3);
	put_ok(g_a, "replace", fa, false);
	put_ok(g_a, "replace", fb, false); // same size, other bytes
	expect_range(g_a, "replace", fb, 0, 4096);
	put_ok(g_a, "replace", fc, false);
	expect_range(g_a, "replace", fc, 0, 100);
	assert_int_equal(read_range(g_a, "replace", 4000, 8, buf), BB_ENOENT);
	(void) close(fa);
	(void) close(fb);
	(void) close(fc);
}

// test_multipart: 12 MiB + 3 bytes over a 6 MiB threshold go in parts of
// 5, 5 and 2 MiB + 3; read back across part boundaries.
static void
test_multipart(void **state)
{
	static const uint64_t size = 12 * MIB + 3;
	struct stat           st;
	char                  path[512];
	int                   fd;

	(void) state;
	fd = make_file("multi", size, 12);
	put_ok(g_a, "multi/part", fd, false);
	assert_int_equal(
	    bbt_s3_object_path(g_s3, BUCKET, "multi/part", path, sizeof(path)),
	    0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t) st.st_size, size);
	expect_range(g_a, "multi/part", fd, 5 * MIB - 10, 20);
	expect_range(g_a, "multi/part", fd, 10 * MIB - 1, 2);
	expect_range(g_a, "multi/part", fd, 4 * MIB, 7 * MIB);
	expect_range(g_a, "multi/part", fd, size - 3, 3);
	expect_range(g_a, "multi/part", fd, 0, size);
	put_ok(g_a, "multi/part", fd, true);
	(void) close(fd);
}

typedef struct par_arg {
	int        fd;
	unsigned   seed;
	atomic_int failures;
} par_arg;

static void *
par_reader(void *arg)
{
	par_arg *p    = arg;
	uint8_t *got  = malloc(200000);
	uint8_t *want = malloc(200000);
	uint64_t off;
	uint64_t len;
	int      i;

	for (i = 0; got != NULL && want != NULL && i < 8; i++) {
		off = ((uint64_t) p->seed * 7919 + (uint64_t) i * 104729) %
		    (3 * MIB - 200000);
		len = 1 + (off * 31) % 199999;
		if (read_range(g_a, "parallel", off, len, got) != BB_OK ||
		    pread(p->fd, want, len, (off_t) off) != (ssize_t) len ||
		    memcmp(got, want, len) != 0) {
			atomic_fetch_add(&p->failures, 1);
		}
	}
	free(got);
	free(want);
	return NULL;
}

// test_parallel_reads: readers in several threads share the archive.
static void
test_parallel_reads(void **state)
{
	par_arg   args[6];
	pthread_t th[6];
	int       fd;
	int       i;

	(void) state;
	fd = make_file("parallel", 3 * MIB, 13);
	put_ok(g_a, "parallel", fd, false);
	for (i = 0; i < 6; i++) {
		args[i].fd   = fd;
		args[i].seed = (unsigned) i;
		atomic_init(&args[i].failures, 0);
		assert_int_equal(
		    pthread_create(&th[i], NULL, par_reader, &args[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(atomic_load(&args[i].failures), 0);
	}
	(void) close(fd);
}

// test_keys: keys with '/', spaces, ':' and '~' round trip, and s3rver
// stores them under their decoded names.
static void
test_keys(void **state)
{
	static const char *keys[] = {
		"a/b/c/d",
		"with space",
		"colon:key",
		"tilde~key",
		"mix/a b:c~d.e_f-g+h=i&j%k",
		"ns/2024/01/AbC-_xyz.gz",
	};
	struct stat st;
	char        path[512];
	size_t      i;
	int         fd;

	(void) state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fd = make_file("key", 1000 + i, (unsigned) i);
		put_ok(g_a, keys[i], fd, false);
		expect_range(g_a, keys[i], fd, 0, 1000 + i);
		expect_range(g_a, keys[i], fd, 500, 10);
		assert_int_equal(bbt_s3_object_path(g_s3, BUCKET, keys[i],
		                                    path, sizeof(path)),
		                 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal((uint64_t) st.st_size, 1000 + i);
		put_ok(g_a, keys[i], fd, true);
		(void) close(fd);
	}
}

static void
test_cancel_before(void **state)
{
	atomic_bool cancel  = true;
	bool        existed = false;
	char        why[WHYLEN];
	int         fd;
	int         empty;

	(void) state;
	fd    = make_file("cancel", 1000, 14);
	empty = make_file("cancel0", 0, 14);
	assert_int_equal(store_archive_put(g_a, "cancel", fd, 1000, &cancel,
	                                   &existed, why, sizeof(why)),
	                 BB_ESHUTDOWN);
	assert_int_equal(store_archive_put(g_a, "cancel", empty, 0, &cancel,
	                                   &existed, why, sizeof(why)),
	                 BB_ESHUTDOWN);
	assert_false(existed);
	(void) close(fd);
	(void) close(empty);
}

static void
test_missing_bucket(void **state)
{
	store_s3_conf  c = conf_for(bbt_s3_endpoint(g_s3));
	store_archive *a = NULL;
	uint8_t        b[4];
	bool           existed = false;
	char           why[WHYLEN];
	int            fd;

	(void) state;
	c.bucket = "nosuchbucket";
	assert_int_equal(store_archive_s3_new(&c, &a, NULL), BB_OK);
	fd = make_file("nobucket", 100, 15);
	assert_int_equal(put_fd(a, "k", fd, &existed, why), BB_EIO);
	assert_non_null(strstr(why, "bucket nosuchbucket does not exist"));
	assert_int_equal(read_range(a, "k", 0, 4, b), BB_EIO);
	store_archive_free(a);
	(void) close(fd);
}

// test_server_stopped: with s3rver down a put fails at once, naming the
// cause, and so does a read; once it is back, both work.
static void
test_server_stopped(void **state)
{
	bool    existed = false;
	char    why[WHYLEN];
	uint8_t b[4];
	int64_t t0;
	int     fd;

	(void) state;
	fd = make_file("stopped", 2000, 16);
	put_ok(g_a, "stopped/old", fd, false);
	bbt_s3_pause(g_s3);
	t0 = bbt_now_ms();
	assert_int_equal(put_fd(g_a, "stopped/new", fd, &existed, why),
	                 BB_EUNAVAIL);
	assert_true(bbt_now_ms() - t0 < TIMEOUT_NS / 1000000);
	assert_non_null(strstr(why, "connect"));
	assert_int_equal(read_range(g_a, "stopped/old", 0, 4, b), BB_EUNAVAIL);
	assert_int_equal(bbt_s3_resume(g_s3), 0);
	put_ok(g_a, "stopped/new", fd, false);
	expect_range(g_a, "stopped/old", fd, 0, 2000);
	(void) close(fd);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_digest_vectors),
		cmocka_unit_test(test_digest_plan),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_fake_wrong_etag),
		cmocka_unit_test(test_fake_stall),
		cmocka_unit_test(test_fake_reads),
		cmocka_unit_test(test_fake_multipart_abort),
		cmocka_unit_test(test_fake_complete_error),
	};
	const struct CMUnitTest s3rver[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_missing_and_past_end),
		cmocka_unit_test(test_put_twice),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_parallel_reads),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_cancel_before),
		cmocka_unit_test(test_missing_bucket),
		cmocka_unit_test(test_server_stopped),
	};
	const char *tmp = getenv("TMPDIR");
	int         rc;

	(void) snprintf(g_dir, sizeof(g_dir), "%s/bbt-s3-XXXXXX",
	                tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(g_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests_name("archive_s3", unit, NULL, NULL);
	rc += cmocka_run_group_tests_name("archive_s3 on s3rver", s3rver,
	                                  s3rver_setup, s3rver_teardown);
	bbt_rmtree(g_dir);
	return rc;
}
