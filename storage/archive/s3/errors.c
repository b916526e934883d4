// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/errors.c -- what the S3 archive says when a request
// fails: libcurl results and HTTP statuses mapped to bb_err with a one-line
// reason, and reading S3's XML documents (error code and message, upload
// id, ETag).  Percent-encoding of keys is in request.c.
#include <stdio.h>
#include <string.h>

#include "storage/archive/s3/s3_impl.h"

// xml_entity decodes the entity at p (after '&'); returns its length
// through *len, or 0 for one we do not know.
static char
xml_entity(const char *p, const char *end, size_t *len)
{
	static const struct {
		const char *name;
		char        c;
	} ents[] = {
		{ "amp;", '&' },  { "lt;", '<' },    { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	size_t i;
	size_t n;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		n = strlen(ents[i].name);
		if ((size_t) (end - p) >= n &&
		    memcmp(p, ents[i].name, n) == 0) {
			*len = n;
			return ents[i].c;
		}
	}
	return 0;
}

// xml_decode writes the text s[0..e) with its entities decoded and
// control characters as spaces (why strings are one line) into out (cap
// bytes, cap > 0); false if it holds markup, an entity we do not know,
// or does not fit.  out is written even then: the caller clears it.
static bool
xml_decode(const char *s, const char *e, char *out, size_t cap)
{
	size_t o = 0;
	size_t n;
	char   c;

	for (; s < e; s++) {
		c = *s;
		if (c == '<') {
			return false;
		}
		if (c == '&') {
			c = xml_entity(s + 1, e, &n);
			if (c == 0) {
				return false;
			}
			s += n;
		}
		if (o + 1 >= cap) {
			return false;
		}
		out[o++] = (unsigned char) c < 0x20 ? ' ' : c;
	}
	out[o] = '\0';
	return true;
}

bool
store__s3_xml_text(const char *doc, const char *name, char *out, size_t cap)
{
	char        open[64];
	char        close[64];
	const char *s = NULL;
	const char *e = NULL;

	if (cap == 0) {
		return false;
	}
	if (doc != NULL &&
	    (size_t) snprintf(open, sizeof(open), "<%s>", name) <
	        sizeof(open)) {
		(void) snprintf(close, sizeof(close), "</%s>", name);
		s = strstr(doc, open);
	}
	if (s != NULL) {
		s += strlen(open);
		e = strstr(s, close);
	}
	if (e == NULL) {
		out[0] = '\0';
		return false;
	}
	while (s < e &&
	       (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
	}
	while (e > s &&
	       (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	        e[-1] == '\n')) {
		e--;
	}
	if (!xml_decode(s, e, out, cap)) {
		out[0] = '\0'; // never a partial, unterminated text
		return false;
	}
	return true;
}

static bb_err
s3_curl_err(const store__s3_req *r)
{
	if (r->io_err != BB_OK) {
		return r->io_err; // a callback of ours failed (or a cancel)
	}
	switch (r->result) {
	case CURLE_OPERATION_TIMEDOUT:
		return BB_ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return BB_EUNAVAIL;
	case CURLE_OUT_OF_MEMORY:
		return BB_ENOMEM;
	case CURLE_PARTIAL_FILE:
		return BB_ESHORT;
	default:
		return BB_EREMOTE;
	}
}

static bb_err
s3_status_err(long status, const char *code)
{
	switch (status) {
	case 404:
		// A missing bucket is a configuration problem, not a
		// missing object.
		return strcmp(code, "NoSuchBucket") == 0 ? BB_EIO : BB_ENOENT;
	case 416:
		return BB_ENOENT;
	case 401:
	case 403:
		return BB_EACCES;
	case 408:
		return BB_ETIMEDOUT;
	case 429:
		return BB_EUNAVAIL;
	default:
		return status >= 500 && status <= 599 ? BB_EUNAVAIL : BB_EIO;
	}
}

bb_err
store__s3_req_err(const store__s3 *s3, const store__s3_req *r, char *why,
                  size_t whylen)
{
	char   code[64] = "";
	char   msg[256] = "";
	bb_err rv;

	if (r->result != CURLE_OK) {
		rv = s3_curl_err(r);
		if (rv == BB_ESHUTDOWN) {
			(void) snprintf(why, whylen,
			                "%s %s: cancelled (shutting down)",
			                r->method, r->key);
		} else if (r->io_err != BB_OK) {
			(void) snprintf(why, whylen, "%s %s: %s", r->method,
			                r->key, bb_strerror(rv));
		} else {
			(void) snprintf(why, whylen, "%s %s: %s", r->method,
			                r->key,
			                r->errbuf[0] != '\0'
			                    ? r->errbuf
			                    : curl_easy_strerror(r->result));
		}
		return rv;
	}
	(void) store__s3_xml_text(r->resp, "Code", code, sizeof(code));
	(void) store__s3_xml_text(r->resp, "Message", msg, sizeof(msg));
	rv = s3_status_err(r->status, code);
	if (strcmp(code, "NoSuchBucket") == 0) {
		(void) snprintf(msg, sizeof(msg), "bucket %s does not exist",
		                s3->bucket);
	}
	(void) snprintf(why, whylen, "%s %s: HTTP %ld%s%s%s%s", r->method,
	                r->key, r->status, code[0] != '\0' ? " " : "", code,
	                msg[0] != '\0' ? ": " : "", msg);
	return rv;
}
