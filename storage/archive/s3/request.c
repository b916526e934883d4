// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/request.c -- one S3 request: its URL, headers and SigV4
// signing (libcurl's CURLOPT_AWS_SIGV4) with the percent-encoding of keys
// and query values, the libcurl set-up, capture of the response status
// and headers.  What a status means for an operation is decided by the
// callers (s3.c, multipart.c, read.c); errors.c maps failures to bb_err;
// conn.c keeps the connections.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/fileio.h"
#include "storage/archive/s3/s3_impl.h"

// How much of a response body is kept when no sink takes it: enough for
// any S3 error or result document we read.
#define S3_RESP_MAX (64u << 10)

// Written here rather than with curl_easy_escape: that one also escapes
// '/', which a key's path keeps, and SigV4 needs exactly this unreserved
// set, in upper-case hex.
bool
store__s3_pct(const char *s, bool keep_slash, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char     c;
	size_t            o = 0;

	for (; *s != '\0'; s++) {
		c = (unsigned char) *s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~' || (keep_slash && c == '/')) {
			if (o + 1 >= cap) {
				return false;
			}
			out[o++] = (char) c;
			continue;
		}
		if (o + 3 >= cap) {
			return false;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	if (o >= cap) {
		return false;
	}
	out[o] = '\0';
	return true;
}

// s3_url builds the URL of r: path-style under an endpoint, virtual-
// hosted on AWS.  libcurl signs the path and query exactly as given, so
// both are already in SigV4's canonical form here (every byte but the
// unreserved ones percent-encoded, query parameters sorted).
static bb_err
s3_url(const store__s3 *s3, store__s3_req *r)
{
	size_t      klen = 3 * strlen(r->key) + 1;
	const char *q    = r->query != NULL ? r->query : "";
	char       *enc;
	size_t      cap;

	enc = malloc(klen);
	if (enc == NULL) {
		return BB_ENOMEM;
	}
	(void) store__s3_pct(r->key, true, enc, klen); // klen always fits
	cap = strlen(enc) + strlen(q) + strlen(s3->bucket) +
	    strlen(s3->endpoint != NULL ? s3->endpoint : s3->region) + 64;
	r->url = malloc(cap);
	if (r->url == NULL) {
		free(enc);
		return BB_ENOMEM;
	}
	if (s3->endpoint != NULL) {
		(void) snprintf(r->url, cap, "%s/%s/%s%s%s", s3->endpoint,
		                s3->bucket, enc, q[0] != '\0' ? "?" : "", q);
	} else {
		(void) snprintf(
		    r->url, cap, "https://%s.s3.%s.amazonaws.com/%s%s%s",
		    s3->bucket, s3->region, enc, q[0] != '\0' ? "?" : "", q);
	}
	free(enc);
	return BB_OK;
}

static bb_err
s3_line_add(store__s3_req *r, const char *line)
{
	struct curl_slist *l = curl_slist_append(r->hdrs, line);

	if (l == NULL) {
		return BB_ENOMEM;
	}
	r->hdrs = l;
	return BB_OK;
}

static bb_err
s3_header_add(store__s3_req *r, const char *name, const char *value)
{
	char line[512];

	if ((size_t) snprintf(line, sizeof(line), "%s: %s", name, value) >=
	    sizeof(line)) {
		return BB_EINVAL;
	}
	return s3_line_add(r, line);
}

// s3_headers lists r's request headers; libcurl signs every one of them.
// x-amz-content-sha256 is ours: libcurl 7.88 does not compute it, signs
// with the value we give (and sends it once), so it must be the body's
// real SHA-256.
static bb_err
s3_headers(const store__s3 *s3, store__s3_req *r)
{
	bb_err rv;

	rv = s3_header_add(r, "x-amz-content-sha256",
	                   r->sha256_hex != NULL ? r->sha256_hex
	                                         : S3_EMPTY_SHA256);
	if (rv == BB_OK && r->md5_b64 != NULL) {
		rv = s3_header_add(r, "Content-MD5", r->md5_b64);
	}
	if (rv == BB_OK && r->content_type != NULL) {
		rv = s3_header_add(r, "Content-Type", r->content_type);
	}
	if (rv == BB_OK && r->range != NULL) {
		rv = s3_header_add(r, "Range", r->range);
	}
	if (rv == BB_OK && r->cond != NULL && strcmp(r->cond, "*") == 0) {
		rv = s3_header_add(r, "If-None-Match", "*");
	} else if (rv == BB_OK && r->cond != NULL) {
		char q[80];
		(void) snprintf(q, sizeof(q), "\"%s\"", r->cond);
		rv = s3_header_add(r, "If-Match", q);
	}
	// No "Expect:" to turn 100-continue off: libcurl 7.88 lists such an
	// emptied header in SignedHeaders (as "expect:") but does not send
	// it, and AWS then rejects the signature.  libcurl's own
	// "Expect: 100-continue" (on every PUT in 7.88) is added after
	// signing, and saves sending a part that would be refused anyway.
	if (rv == BB_OK && s3->token_hdr != NULL) {
		rv = s3_line_add(r, s3->token_hdr);
	}
	return rv;
}

// s3_status_line starts a new header block (after a 1xx there is another).
static void
s3_status_line(store__s3_req *r, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	long        st = 0;
	size_t      i;

	for (i = sp != NULL ? (size_t) (sp - p) + 1 : n;
	     i < n && p[i] >= '0' && p[i] <= '9' && st < 1000; i++) {
		st = st * 10 + (p[i] - '0');
	}
	r->status       = st;
	r->headers_done = false;
	r->has_length   = false;
	r->etag[0]      = '\0';
	r->crange[0]    = '\0';
}

// s3_header_value records the headers a caller looks at.
static void
s3_header_value(store__s3_req *r, const char *name, size_t nlen, const char *v,
                size_t vlen)
{
	uint64_t len = 0;
	size_t   i;
	size_t   o = 0;

	if (nlen == 4 && strncasecmp(name, "etag", 4) == 0) {
		for (i = 0; i < vlen && o + 1 < sizeof(r->etag); i++) {
			if (v[i] != '"') {
				r->etag[o++] = v[i] >= 'A' && v[i] <= 'Z'
				    ? (char) (v[i] - 'A' + 'a')
				    : v[i];
			}
		}
		r->etag[i == vlen ? o : 0] = '\0'; // too long: no ETag
	} else if (nlen == 14 &&
	           strncasecmp(name, "content-length", 14) == 0) {
		for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' &&
		     len <= (UINT64_MAX - 9) / 10;
		     i++) {
			len = len * 10 + (uint64_t) (v[i] - '0');
		}
		r->has_length = vlen > 0 && i == vlen;
		r->length     = len;
	} else if (nlen == 13 && strncasecmp(name, "content-range", 13) == 0 &&
	           vlen < sizeof(r->crange)) {
		memcpy(r->crange, v, vlen);
		r->crange[vlen] = '\0';
	}
}

size_t
store__s3_on_header(char *p, size_t size, size_t nitems, void *arg)
{
	store__s3_req *r   = arg;
	size_t         len = size * nitems;
	size_t         end = len;
	const char    *colon;
	const char    *v;

	r->moved = true;
	while (end > 0 && (p[end - 1] == '\r' || p[end - 1] == '\n')) {
		end--;
	}
	if (end >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		s3_status_line(r, p, end);
		return len;
	}
	if (end == 0) {
		r->headers_done = r->status >= 200;
		if (r->headers_done && r->on_headers != NULL) {
			r->on_headers(r);
		}
		return len;
	}
	colon = memchr(p, ':', end);
	if (colon == NULL) {
		return len;
	}
	v = colon + 1;
	while (v < p + end && (*v == ' ' || *v == '\t')) {
		v++;
	}
	while (end > (size_t) (v - p) &&
	       (p[end - 1] == ' ' || p[end - 1] == '\t')) {
		end--;
	}
	s3_header_value(r, p, (size_t) (colon - p), v, end - (size_t) (v - p));
	return len;
}

// s3_on_write gives a 2xx body to the sink, and keeps the start of any
// other body (an S3 error document) in r->resp.
static size_t
s3_on_write(char *p, size_t size, size_t nitems, void *arg)
{
	store__s3_req *r   = arg;
	size_t         len = size * nitems;
	size_t         n;

	r->moved = true;
	if (r->sink != NULL && r->status >= 200 && r->status < 300) {
		return r->sink(r, p, len);
	}
	if (r->resp == NULL) {
		r->resp = malloc(S3_RESP_MAX + 1);
		if (r->resp == NULL) {
			r->io_err = BB_ENOMEM;
			return 0;
		}
	}
	n = S3_RESP_MAX - r->resp_len < len ? S3_RESP_MAX - r->resp_len : len;
	memcpy(r->resp + r->resp_len, p, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return len;
}

// s3_on_read supplies a PUT body from the file.
static size_t
s3_on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	store__s3_req *r    = arg;
	uint64_t       left = r->fd_len - r->sent;
	size_t         n    = size * nitems;
	bb_err         rv;

	if (left < n) {
		n = (size_t) left;
	}
	if (n == 0) {
		return 0;
	}
	rv = store_io_read(r->fd, buf, n, r->fd_off + r->sent);
	if (rv != BB_OK) {
		r->io_err = rv;
		return CURL_READFUNC_ABORT;
	}
	r->sent += n;
	return n;
}

// s3_on_seek rewinds the body: libcurl resends it on a new connection
// when a reused one turns out to be closed.
static int
s3_on_seek(void *arg, curl_off_t off, int origin)
{
	store__s3_req *r = arg;

	if (origin != SEEK_SET || off < 0 || (uint64_t) off > r->fd_len) {
		return CURL_SEEKFUNC_FAIL;
	}
	r->sent = (uint64_t) off;
	return CURL_SEEKFUNC_OK;
}

static int
s3_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
               curl_off_t ultotal, curl_off_t ulnow)
{
	store__s3_req *r = arg;

	(void) dltotal;
	(void) dlnow;
	(void) ultotal;
	(void) ulnow;
	if (r->cancel != NULL && atomic_load(r->cancel)) {
		r->io_err = BB_ESHUTDOWN;
		return 1;
	}
	return 0;
}

// s3_setopts sets r up on its connection's easy handle (fresh from
// curl_easy_reset).  Redirects are never followed (the default).
static bb_err
s3_setopts(const store__s3 *s3, store__s3_req *r)
{
	CURL *e   = r->conn->easy;
	int   bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SHARE, s3->share);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s3->connect_ms);
	bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s3->low_speed_s);
	bad |= curl_easy_setopt(e, CURLOPT_AWS_SIGV4, s3->sigv4);
	bad |= curl_easy_setopt(e, CURLOPT_USERNAME, s3->key_id);
	bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, s3->secret_key);
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	bad |=
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, store__s3_on_header);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s3_on_write);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, s3_on_progress);
	bad |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	if (strcmp(r->method, "HEAD") == 0) {
		bad |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "PUT") == 0) {
		bad |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		bad |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		                        (curl_off_t) r->fd_len);
		bad |= curl_easy_setopt(e, CURLOPT_READFUNCTION, s3_on_read);
		bad |= curl_easy_setopt(e, CURLOPT_READDATA, r);
		bad |= curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, s3_on_seek);
		bad |= curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
	} else if (strcmp(r->method, "POST") == 0) {
		bad |= curl_easy_setopt(e, CURLOPT_POST, 1L);
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		                        r->body != NULL ? r->body : "");
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		                        (curl_off_t) r->body_len);
	} else if (strcmp(r->method, "DELETE") == 0) {
		bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		bad |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	return bad != 0 ? BB_EINVAL : BB_OK;
}

bb_err
store__s3_req_start(store__s3 *s3, store__s3_req *r)
{
	bb_err rv;

	rv = s3_url(s3, r);
	if (rv == BB_OK) {
		rv = s3_headers(s3, r);
	}
	if (rv == BB_OK) {
		r->conn = store__s3_conn_get(s3);
		rv      = r->conn != NULL ? BB_OK : BB_ENOMEM;
	}
	if (rv == BB_OK) {
		rv = s3_setopts(s3, r);
	}
	if (rv == BB_OK &&
	    curl_multi_add_handle(r->conn->multi, r->conn->easy) != CURLM_OK) {
		rv = BB_ENOMEM;
	}
	if (rv != BB_OK) {
		if (r->conn != NULL) {
			store__s3_conn_put(s3, r->conn);
			r->conn = NULL;
		}
		store__s3_req_end(s3, r);
	}
	return rv;
}

bb_err
store__s3_req_pump(store__s3_req *r, int wait_ms)
{
	CURLMcode mc;
	CURLMsg  *m;
	int       running = 0;
	int       left    = 0;

	r->moved = false;
	mc       = curl_multi_perform(r->conn->multi, &running);
	if (mc != CURLM_OK) {
		(void) snprintf(r->errbuf, sizeof(r->errbuf), "%s",
		                curl_multi_strerror(mc));
		r->done   = true;
		r->result = CURLE_RECV_ERROR;
		return BB_EIO;
	}
	m = curl_multi_info_read(r->conn->multi, &left);
	while (m != NULL) {
		if (m->msg == CURLMSG_DONE) {
			r->done   = true;
			r->result = m->data.result;
		}
		m = curl_multi_info_read(r->conn->multi, &left);
	}
	// Wait only if nothing came: the caller may have bytes to take (and
	// a paused transfer would wait in vain).
	if (!r->done && !r->moved && wait_ms > 0) {
		(void) curl_multi_poll(r->conn->multi, NULL, 0, wait_ms, NULL);
	}
	return BB_OK;
}

void
store__s3_req_end(store__s3 *s3, store__s3_req *r)
{
	if (r->conn != NULL) {
		(void) curl_multi_remove_handle(r->conn->multi, r->conn->easy);
		store__s3_conn_put(s3, r->conn);
		r->conn = NULL;
	}
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
	free(r->url);
	r->url = NULL;
}

void
store__s3_req_fini(store__s3 *s3, store__s3_req *r)
{
	store__s3_req_end(s3, r);
	free(r->resp);
	r->resp     = NULL;
	r->resp_len = 0;
}

bb_err
store__s3_req_run(store__s3 *s3, store__s3_req *r, char *why, size_t whylen)
{
	bb_err rv;

	rv = store__s3_req_start(s3, r);
	if (rv != BB_OK) {
		(void) snprintf(why, whylen,
		                "%s %s: cannot set the request up: %s",
		                r->method, r->key, bb_strerror(rv));
		return rv;
	}
	while (!r->done) {
		// The progress callback also aborts, but only while libcurl
		// calls it; this catches a cancel at any point.
		if (r->cancel != NULL && atomic_load(r->cancel)) {
			r->io_err = BB_ESHUTDOWN;
			r->done   = true;
			r->result = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		(void) store__s3_req_pump(r, 100);
	}
	store__s3_req_end(s3, r);
	if (r->result != CURLE_OK) {
		return store__s3_req_err(s3, r, why, whylen);
	}
	return BB_OK;
}
