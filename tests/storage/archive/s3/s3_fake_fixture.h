// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/s3_fake_fixture.h -- what the tests against a
// fake S3 server (s3_fake_test.c, s3_exists_test.c) share: a server thread
// on loopback that answers each request with the next scripted step and
// keeps every request (head, body hash) to check, an archive pointed at
// it, and the group setup and teardown of the temporary directory.
// Define _XOPEN_SOURCE 700 first (nftw, in tmpdir.h).
#ifndef TESTS_STORAGE_S3_FAKE_FIXTURE_H
#define TESTS_STORAGE_S3_FAKE_FIXTURE_H

#include "tests/storage/archive/s3/s3_fixture.h"

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
static inline bool
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

static inline const char *
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

static inline int
ci_count(const char *hay, const char *needle)
{
	int c = 0;

	for (hay = ci_find(hay, needle); hay != NULL;
	     hay = ci_find(hay + 1, needle)) {
		c++;
	}
	return c;
}

static inline void
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

static inline void *
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

static inline void
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

static inline void
fake_stop(fake *f)
{
	atomic_store(&f->stop, true);
	(void) pthread_join(f->th, NULL);
	(void) close(f->lfd);
}

#define H404                                              \
	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

static inline store_archive *
fake_archive(const fake *f, uint64_t threshold, const char *token,
             int64_t timeout_ns)
{
	store_s3_conf  c = conf_for(f->endpoint);
	store_archive *a = NULL;

	c.multipart_threshold = threshold;
	c.session_token       = token;
	c.timeout_ns          = timeout_ns;
	assert_int_equal(store_archive_s3_new(&c, &a, NULL, 0), BB_OK);
	return a;
}

// s3fake_group_setup makes the group's temporary directory g_dir.
static inline int
s3fake_group_setup(void **state)
{
	(void) state;
	return s3fx_dir_make();
}

// s3fake_group_teardown removes g_dir and all in it.
static inline int
s3fake_group_teardown(void **state)
{
	(void) state;
	bbt_rmtree(g_dir);
	return 0;
}

#endif // TESTS_STORAGE_S3_FAKE_FIXTURE_H
