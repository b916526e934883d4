// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/range.c -- the HTTP conventions of a blob read: one byte range
// (206, 416), the ETag (the id text: a blob never changes, so the id is
// an exact validator), If-None-Match (304), If-Range, and the caching
// headers.  The parsers take hostile text and never read past its NUL;
// where the bytes come from is read.c's and source.c's.
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway_impl.h"

// A blob never changes: caches may keep it for a year (the longest
// max-age RFC 9111 advises) and need not revalidate it.
#define CACHE_CONTROL "public, max-age=31536000, immutable"

// skip_ows skips optional white space (RFC 9110 section 5.6.3).
static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	return p;
}

// skip_list skips white space and the empty elements a list may have
// (RFC 9110 section 5.6.1: recipients accept "a, , b").
static const char *
skip_list(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',') {
		p++;
	}
	return p;
}

// parse_num reads the digits at *pp into *vp, saturating at UINT64_MAX
// (a number past any length keeps that meaning).  false if there is no
// digit; *pp then stays.
static bool
parse_num(const char **pp, uint64_t *vp)
{
	const char *p = *pp;
	uint64_t    v = 0;
	unsigned    d;

	if (*p < '0' || *p > '9') {
		return false;
	}
	while (*p >= '0' && *p <= '9') {
		d = (unsigned) (*p - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
		p++;
	}
	*pp = p;
	*vp = v;
	return true;
}

gw__range_kind
gw__range_parse(const char *value, uint64_t total, uint64_t *firstp,
                uint64_t *countp)
{
	const char *p;
	uint64_t    a = 0, b = 0;
	bool        suffix = false, has_b = false;
	uint64_t    last;

	if (value == NULL) {
		return GW__RANGE_WHOLE;
	}
	p = skip_ows(value);
	if (strncasecmp(p, "bytes=", 6) != 0) {
		return GW__RANGE_WHOLE; // another unit, or none
	}
	p = skip_list(p + 6);
	if (*p == '-') {
		p++;
		suffix = true;
		if (!parse_num(&p, &b)) {
			return GW__RANGE_WHOLE;
		}
	} else {
		if (!parse_num(&p, &a) || *p != '-') {
			return GW__RANGE_WHOLE;
		}
		p++;
		has_b = parse_num(&p, &b);
	}
	// Exactly one range: anything after it but blanks and empty list
	// elements is a second range or garbage, and the header is ignored.
	p = skip_list(p);
	if (*p != '\0') {
		return GW__RANGE_WHOLE;
	}
	if (suffix) {
		// The last b bytes; "-0" and any suffix of an empty blob
		// select nothing.
		if (b == 0 || total == 0) {
			return GW__RANGE_UNSAT;
		}
		*countp = b < total ? b : total;
		*firstp = total - *countp;
		return GW__RANGE_PART;
	}
	if (has_b && b < a) {
		return GW__RANGE_WHOLE; // invalid (RFC 9110 section 14.1.1)
	}
	if (a >= total) {
		return GW__RANGE_UNSAT;
	}
	last    = has_b && b < total - 1 ? b : total - 1;
	*firstp = a;
	*countp = last - a + 1;
	return GW__RANGE_PART;
}

// tag_at says whether the quoted tag that starts at p (its opening
// quote) is tag, and sets *endp after its closing quote.  false with
// *endp NULL if p is no quoted tag.
static bool
tag_at(const char *p, const char *tag, size_t taglen, const char **endp)
{
	const char *q;

	*endp = NULL;
	if (*p != '"') {
		return false;
	}
	q = strchr(p + 1, '"');
	if (q == NULL) {
		return false;
	}
	*endp = q + 1;
	return (size_t) (q - p - 1) == taglen &&
	    memcmp(p + 1, tag, taglen) == 0;
}

bool
gw__etag_match(const char *value, const char *tag, size_t taglen, bool strong)
{
	const char *p;
	const char *end;
	bool        same;

	if (value == NULL) {
		return false;
	}
	p = skip_ows(value);
	if (strong) {
		// If-Range: one strong tag (a weak one, or a date, never
		// matches strongly).
		same = tag_at(p, tag, taglen, &end);
		return same && *skip_ows(end) == '\0';
	}
	// If-None-Match: "*" or a list of tags, compared weakly.
	for (;;) {
		p = skip_list(p);
		if (*p == '*') {
			return true;
		}
		if (p[0] == 'W' && p[1] == '/') {
			p += 2;
		}
		if (tag_at(p, tag, taglen, &end)) {
			return true;
		}
		if (end == NULL) {
			return false; // the end, or a syntax error
		}
		p = end;
	}
}

void
gw__ask_init(gw__ask *a, struct MHD_Connection *conn, const char *idstr,
             uint64_t total)
{
	const char *range;
	const char *v;
	size_t      n = strlen(idstr);
	uint64_t    first, count;

	a->status  = MHD_HTTP_OK;
	a->first   = 0;
	a->count   = total;
	a->total   = total;
	a->etag[0] = '\0';
	if (n + 3 > sizeof(a->etag)) {
		return; // cannot be: ids are shorter; then no conventions
	}
	a->etag[0] = '"';
	memcpy(a->etag + 1, idstr, n);
	a->etag[n + 1] = '"';
	a->etag[n + 2] = '\0';
	v              = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (gw__etag_match(v, idstr, n, false)) {
		a->status = MHD_HTTP_NOT_MODIFIED;
		a->count  = 0;
		return;
	}
	range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                    MHD_HTTP_HEADER_RANGE);
	if (range == NULL) {
		return;
	}
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                MHD_HTTP_HEADER_IF_RANGE);
	if (v != NULL && !gw__etag_match(v, idstr, n, true)) {
		return; // the client's copy is another: the whole blob
	}
	switch (gw__range_parse(range, total, &first, &count)) {
	case GW__RANGE_PART:
		a->status = MHD_HTTP_PARTIAL_CONTENT;
		a->first  = first;
		a->count  = count;
		break;
	case GW__RANGE_UNSAT:
		a->status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		a->count  = 0;
		break;
	case GW__RANGE_WHOLE:
		break;
	}
}

enum MHD_Result
gw__ask_queue(struct MHD_Connection *conn, const gw__ask *a,
              struct MHD_Response *resp)
{
	char cr[80];

	if (resp != NULL && a->etag[0] != '\0') {
		(void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG,
		                               a->etag);
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_CONTROL);
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	}
	if (resp != NULL && a->status == MHD_HTTP_PARTIAL_CONTENT) {
		(void) snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu",
		                (unsigned long long) a->first,
		                (unsigned long long) (a->first + a->count - 1),
		                (unsigned long long) a->total);
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	return gw__queue(conn, a->status, resp, "application/octet-stream");
}

// no_body is the content of a 304, which libmicrohttpd never asks for:
// the response only carries the length a 200 would send, because
// libmicrohttpd 0.9.75 sends a Content-Length with a 304, and RFC 9110
// section 8.6 wants that one or none.
static ssize_t
no_body(void *cls, uint64_t pos, char *out, size_t max)
{
	(void) cls;
	(void) pos;
	(void) out;
	(void) max;
	return MHD_CONTENT_READER_END_OF_STREAM;
}

enum MHD_Result
gw__ask_reply_empty(struct MHD_Connection *conn, const gw__ask *a)
{
	static const char msg[] = "The requested range is not satisfiable.\n";
	struct MHD_Response *resp;
	char                 cr[48];

	if (a->status == MHD_HTTP_NOT_MODIFIED) {
		resp = MHD_create_response_from_callback(a->total, 4096,
		                                         no_body, NULL, NULL);
		return gw__ask_queue(conn, a, resp);
	}
	resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *) msg,
	                                       MHD_RESPMEM_PERSISTENT);
	if (resp != NULL) {
		(void) snprintf(cr, sizeof(cr), "bytes */%llu",
		                (unsigned long long) a->total);
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	return gw__queue(conn, a->status, resp, "text/plain");
}
