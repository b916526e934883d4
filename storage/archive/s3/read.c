// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/read.c -- a reader of one byte range of an S3 object: a
// ranged GET driven by the reader's own multi handle, so open returns as
// soon as the response headers are in and checked, and read pulls the
// body through a bounded buffer (the transfer pauses when it is full).
// The reader delivers exactly the range or fails; never a short body.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/archive/s3/s3_impl.h"

// Body bytes held at most; the transfer is paused beyond.
#define RD_BUF (256u << 10)
// How long one wait for the network lasts; the transfer itself is bounded
// by the archive's timeouts.
#define RD_WAIT_MS 1000

typedef struct s3_rd {
	store_archive_rd rd; // first: the reader the caller holds
	store__s3       *s3; // borrowed; outlives the reader
	store__s3_req    req;
	char            *key; // owned; req.key
	char             range[64];
	uint64_t         off;
	uint64_t         len;
	uint64_t         got;  // body bytes taken from libcurl
	uint64_t         gave; // body bytes handed to the caller
	unsigned char   *buf;  // owned; RD_BUF bytes, data in [head, tail)
	size_t           head;
	size_t           tail;
	bool             paused;
	bool             cut; // the answer runs past the range: drop the rest
	bb_err           check; // of a 2xx answer's headers (rd_on_headers)
	bb_err           err;   // sticky failure
} s3_rd;

// rd_sink takes body bytes while they fit, and pauses the transfer
// otherwise (libcurl hands the same bytes again after the unpause).
static size_t
rd_sink(store__s3_req *r, const char *p, size_t n)
{
	s3_rd *rd   = r->sink_arg;
	size_t take = n;

	if (rd->check != BB_OK) {
		return 0; // not the range: open reports why
	}
	if (n > rd->len - rd->got) {
		if (!rd->cut) {
			r->io_err = BB_EPROTO; // more than the range
			return 0;
		}
		take = (size_t) (rd->len - rd->got);
	}
	if (take > RD_BUF - rd->tail && rd->head > 0) {
		memmove(rd->buf, rd->buf + rd->head, rd->tail - rd->head);
		rd->tail -= rd->head;
		rd->head = 0;
	}
	if (take > RD_BUF - rd->tail) {
		if (rd->tail == 0) {
			r->io_err =
			    BB_ETOOBIG; // libcurl writes 16 KiB at most
			return 0;
		}
		rd->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	memcpy(rd->buf + rd->tail, p, take);
	rd->tail += take;
	rd->got += take;
	// With the range complete, returning less than n ends the transfer
	// (its connection is not reused); the reader has what it needs.
	return take;
}

bool
store__s3_crange(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
	char *end;

	if (strncmp(s, "bytes ", 6) != 0 || s[6] < '0' || s[6] > '9') {
		return false;
	}
	*a = strtoull(s + 6, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9') {
		return false;
	}
	*b = strtoull(end + 1, &end, 10);
	if (*end != '/') {
		return false;
	}
	if (end[1] == '*' && end[2] == '\0') {
		*total = UINT64_MAX;
		return true;
	}
	if (end[1] < '0' || end[1] > '9') {
		return false;
	}
	*total = strtoull(end + 1, &end, 10);
	return *end == '\0';
}

bb_err
store__s3_range_check(const store__s3_req *r, uint64_t off, uint64_t len,
                      bool *cut)
{
	uint64_t last = off + len - 1;
	uint64_t a;
	uint64_t b;
	uint64_t total;

	*cut = false;
	if (r->status == 206) {
		if (!store__s3_crange(r->crange, &a, &b, &total)) {
			return BB_EPROTO;
		}
		// S3 clips a range that runs past the end of the object.
		if (total != UINT64_MAX && total < off + len) {
			return BB_ENOENT;
		}
		if (a != off || b < last || b < a || !r->has_length ||
		    r->length != b - a + 1) {
			return BB_EPROTO;
		}
		// More than asked for, from the right place: s3rver answers
		// "bytes=0-0" with the whole object.  Keep the range only.
		*cut = b > last;
		return BB_OK;
	}
	// 200: the server ignored Range and sends the whole object.
	if (!r->has_length) {
		return BB_EPROTO;
	}
	if (r->length < off + len) {
		return BB_ENOENT;
	}
	return off == 0 && r->length == len ? BB_OK : BB_EPROTO;
}

// rd_on_headers checks a 2xx answer before its body arrives.
static void
rd_on_headers(store__s3_req *r)
{
	s3_rd *rd = r->sink_arg;

	if (r->status >= 200 && r->status < 300) {
		rd->check = r->status == 200 || r->status == 206
		    ? store__s3_range_check(&rd->req, rd->off, rd->len,
		                            &rd->cut)
		    : BB_EPROTO;
	}
}

// rd_failed turns a response that is not the range into an error, after
// reading the rest of it (an S3 error document).
static bb_err
rd_failed(s3_rd *rd)
{
	store__s3_req *r = &rd->req;
	char           why[512];
	bb_err         rv;

	while (!r->done) {
		if (store__s3_req_pump(r, RD_WAIT_MS) != BB_OK) {
			break;
		}
	}
	rv = store__s3_req_err(rd->s3, r, why, sizeof(why));
	if (rv != BB_ENOENT) {
		bb_log_warn("s3: %s (range %s)", why, rd->range);
	}
	return rv;
}

static bb_err
rd_read(store_archive_rd *base, void *buf, size_t max, size_t *n)
{
	s3_rd *rd = (s3_rd *) base;
	size_t k;
	char   why[512];

	while (rd->err == BB_OK) {
		if (rd->req.io_err != BB_OK) {
			// rd_sink refused bytes: more than the range.
			rd->err = rd->req.io_err;
			bb_log_warn("s3: GET %s (range %s): %s", rd->key,
			            rd->range, bb_strerror(rd->err));
			break;
		}
		if (rd->tail > rd->head) {
			k = rd->tail - rd->head < max ? rd->tail - rd->head
			                              : max;
			memcpy(buf, rd->buf + rd->head, k);
			rd->head += k;
			rd->gave += k;
			if (rd->paused && rd->tail - rd->head <= RD_BUF / 2) {
				// libcurl may call rd_sink right here.
				rd->paused = false;
				(void) curl_easy_pause(rd->req.conn->easy,
				                       CURLPAUSE_CONT);
			}
			*n = k;
			return BB_OK;
		}
		if (rd->gave == rd->len) {
			*n = 0;
			return BB_OK;
		}
		if (rd->req.done) {
			// Ended before the whole range arrived.
			rd->err = rd->req.result != CURLE_OK
			    ? store__s3_req_err(rd->s3, &rd->req, why,
			                        sizeof(why))
			    : BB_ESHORT;
			if (rd->err == BB_EREMOTE || rd->err == BB_OK) {
				rd->err = BB_ESHORT;
			}
			bb_log_warn(
			    "s3: GET %s (range %s) ended after %" PRIu64
			    " of %" PRIu64 " bytes: %s",
			    rd->key, rd->range, rd->got, rd->len,
			    bb_strerror(rd->err));
			break;
		}
		if (store__s3_req_pump(&rd->req, RD_WAIT_MS) != BB_OK) {
			rd->err = BB_EIO;
		}
	}
	return rd->err;
}

static void
rd_close(store_archive_rd *base)
{
	s3_rd *rd = (s3_rd *) base;

	store__s3_req_fini(rd->s3, &rd->req);
	free(rd->buf);
	free(rd->key);
	free(rd);
}

bb_err
store__s3_open(void *ctx, const char *key, uint64_t off, uint64_t len,
               store_archive_rd **rdp)
{
	store__s3 *s3 = ctx;
	s3_rd     *rd;
	bb_err     rv;

	if (len > 0 && off > UINT64_MAX - len) {
		return BB_ENOENT; // no object is that long
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL) {
		return BB_ENOMEM;
	}
	rd->rd.fd    = -1;
	rd->rd.off   = off;
	rd->rd.read  = rd_read;
	rd->rd.close = rd_close;
	rd->s3       = s3;
	rd->off      = off;
	rd->len      = len;
	rd->req.fd   = -1;
	if (len == 0) {
		*rdp =
		    &rd->rd; // nothing to ask for: a reader that ends at once
		return BB_OK;
	}
	rd->key = strdup(key);
	rd->buf = malloc(RD_BUF);
	if (rd->key == NULL || rd->buf == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	(void) snprintf(rd->range, sizeof(rd->range),
	                "bytes=%" PRIu64 "-%" PRIu64, off, off + len - 1);
	rd->req.method     = "GET";
	rd->req.key        = rd->key;
	rd->req.range      = rd->range;
	rd->req.sink       = rd_sink;
	rd->req.sink_arg   = rd;
	rd->req.on_headers = rd_on_headers;
	rv                 = store__s3_req_start(s3, &rd->req);
	if (rv != BB_OK) {
		goto fail;
	}
	while (!rd->req.headers_done && !rd->req.done) {
		rv = store__s3_req_pump(&rd->req, RD_WAIT_MS);
		if (rv != BB_OK) {
			goto fail;
		}
	}
	if (!rd->req.headers_done) {
		rv = rd_failed(rd); // the transfer failed before an answer
	} else if (rd->req.status >= 200 && rd->req.status < 300) {
		rv = rd->check;
		if (rv == BB_EPROTO) {
			bb_log_warn(
			    "s3: GET %s (range %s): HTTP %ld with "
			    "Content-Range '%s', Content-Length %" PRIu64,
			    key, rd->range, rd->req.status, rd->req.crange,
			    rd->req.has_length ? rd->req.length : 0);
		}
	} else {
		rv = rd_failed(rd);
	}
	if (rv != BB_OK) {
		goto fail;
	}
	*rdp = &rd->rd;
	return BB_OK;

fail:
	rd_close(&rd->rd);
	return rv;
}
