// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/s3.c -- the parsers of S3 answers (storage/archive/s3/): the
// response header lines as libcurl hands them over (status, ETag,
// Content-Length, Content-Range), the range check of a ranged GET, and
// the XML text of an answer's body (error documents, multipart answers)
// and the check of a multipart completion's ETag (where finding 4 read
// past etag[128]).
// The input is the header block, an empty line, then the body.  Every
// parser fails cleanly: recorded values stay NUL-terminated in their
// fields, failed XML extraction leaves "" (issue 12, finding 4), and each
// header line and output buffer is a heap block of its exact size, so
// AddressSanitizer sees any access past it.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/archive/s3/s3_impl.h"
#include "tests/fuzz/fuzz.h"

// The ranges a reader could have asked for: (offset, length).
static const uint64_t s3_ranges[][2] = {
	{ 0, 1 }, { 0, 100 }, { 5, 10 }, { 1000, 1 }, { UINT64_MAX / 2, 7 },
};

// The plan of a 5-byte object ("hello") in one part: what the ETag of a
// completion is checked against (tests/fuzz/seeds.py has its ETag).
static store_digest_plan s3_plan;
static bool              s3_plan_ok;

static const store_digest_plan *
s3_plan_get(void)
{
	const char *dir = getenv("TMPDIR");
	char        path[64];
	int         fd;

	if (s3_plan_ok) {
		return &s3_plan;
	}
	(void) snprintf(path, sizeof(path), "%s/fuzz-s3-XXXXXX",
	                dir != NULL && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(path);
	FUZZ_CHECK(fd >= 0);
	(void) unlink(path);
	FUZZ_CHECK(write(fd, "hello", 5) == 5);
	FUZZ_CHECK(store_digest_plan_init(&s3_plan, fd, 5, S3_MIN_PART,
	                                  NULL) == BB_OK);
	(void) close(fd);
	s3_plan_ok = true;
	return &s3_plan;
}

static void
s3_on_headers(store__s3_req *r)
{
	size_t i;
	bool   cut;
	bb_err rv;

	FUZZ_CHECK(memchr(r->etag, '\0', sizeof(r->etag)) != NULL);
	FUZZ_CHECK(memchr(r->crange, '\0', sizeof(r->crange)) != NULL);
	for (i = 0; i < sizeof(s3_ranges) / sizeof(s3_ranges[0]); i++) {
		rv = store__s3_range_check(r, s3_ranges[i][0], s3_ranges[i][1],
		                           &cut);
		FUZZ_CHECK(rv == BB_OK || rv == BB_ENOENT || rv == BB_EPROTO);
		FUZZ_CHECK(rv == BB_OK || !cut);
	}
}

// s3_headers feeds the lines of text[0..len) to the header callback, each
// in a block of its exact size with its line end, as libcurl does.
static void
s3_headers(store__s3_req *r, const uint8_t *text, size_t len)
{
	const uint8_t *p = text;
	const uint8_t *nl;
	size_t         n;
	char          *line;

	while (p < text + len) {
		nl   = memchr(p, '\n', (size_t) (text + len - p));
		n    = nl != NULL ? (size_t) (nl - p) + 1
		                  : (size_t) (text + len - p);
		line = malloc(n);
		if (line == NULL) {
			return;
		}
		memcpy(line, p, n);
		FUZZ_CHECK(store__s3_on_header(line, 1, n, r) == n);
		free(line);
		p += n;
	}
}

static void
s3_xml(const char *doc)
{
	static const char *const names[] = { "Code",     "Message", "ETag",
		                             "UploadId", "Key",     "" };
	static const size_t      caps[]  = { 1, 2, 8, 64, 128, 4096 };
	size_t                   i, j;
	char                    *out;
	bool                     ok;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
			out = malloc(caps[j]);
			if (out == NULL) {
				return;
			}
			memset(out, 'x', caps[j]);
			ok = store__s3_xml_text(doc, names[i], out, caps[j]);
			FUZZ_CHECK(memchr(out, '\0', caps[j]) != NULL);
			FUZZ_CHECK(ok || out[0] == '\0');
			free(out);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	store__s3      s3 = { .bucket = "bucket" };
	store__s3_req  r  = { .method = "GET", .key = "k" };
	const uint8_t *body;
	size_t         hlen;
	char          *doc;
	char           why[512];
	uint64_t       a, b, total;
	bb_err         rv;

	body = NULL;
	for (hlen = 0; hlen + 1 < size && body == NULL; hlen++) {
		if (data[hlen] == '\n' && data[hlen + 1] == '\n') {
			body = data + hlen;
		}
	}
	hlen         = body != NULL ? (size_t) (body - data) + 1 : size;
	body         = body != NULL ? body + 2 : data + size;
	r.on_headers = s3_on_headers;
	s3_headers(&r, data, hlen);
	if (!r.headers_done && r.status >= 200) {
		s3_on_headers(&r); // a block without its empty line
	}
	doc = fuzz_str(body, size - (size_t) (body - data));
	if (doc == NULL) {
		return 0;
	}
	s3_xml(doc);
	if (store__s3_crange(doc, &a, &b, &total)) {
		FUZZ_CHECK(strncmp(doc, "bytes ", 6) == 0);
	}
	// A multipart completion's answer.
	why[0] = '\0'; // written on failure only
	rv =
	    store__s3_mp_check_etag(doc, "k", s3_plan_get(), why, sizeof(why));
	FUZZ_CHECK(rv == BB_OK || rv == BB_EPROTO || rv == BB_ECORRUPT);
	FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL);
	// An error answer: its status and body become a one-line reason.
	r.resp     = doc;
	r.resp_len = strlen(doc);
	rv         = store__s3_req_err(&s3, &r, why, sizeof(why));
	FUZZ_CHECK(rv != BB_OK);
	FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL);
	free(doc);
	return 0;
}
