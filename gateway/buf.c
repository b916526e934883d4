// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/buf.c -- text bodies built in memory for the admin pages: a
// buffer that grows up to a cap, a JSON string escaper, and the reply
// that hands the text to libmicrohttpd without a copy.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_impl.h"

void
gw__buf_init(gw__buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
gw__buf_fini(gw__buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

// buf_reserve makes room for n more bytes and the NUL; false (and the
// buffer failed) past the cap or without memory.
static bool
buf_reserve(gw__buf *b, size_t n)
{
	size_t cap;
	char  *p;

	if (b->failed) {
		return false;
	}
	if (n > b->max || b->len + n > b->max) {
		b->failed = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap) {
		return true;
	}
	cap = b->cap > 0 ? b->cap : 4096;
	while (cap < b->len + n + 1) {
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->p   = p;
	b->cap = cap;
	return true;
}

void
gw__buf_put(gw__buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n)) {
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
gw__buf_printf(gw__buf *b, const char *fmt, ...)
{
	char    small[256];
	va_list ap;
	int     n;

	if (b->failed) {
		return;
	}
	// Most lines fit the stack buffer: one vsnprintf, one copy.
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t) n < sizeof(small)) {
		gw__buf_put(b, small, (size_t) n);
		return;
	}
	if (!buf_reserve(b, (size_t) n)) {
		return;
	}
	va_start(ap, fmt);
	(void) vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
gw__buf_json_str(gw__buf *b, const char *s)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *p;
	char                 esc[6];

	gw__buf_put(b, "\"", 1);
	for (p = (const unsigned char *) s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char) *p;
			gw__buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			// \u00XX for every control character: always valid,
			// and no special cases to get wrong.
			(void) memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			gw__buf_put(b, esc, 6);
		} else {
			gw__buf_put(b, (const char *) p, 1);
		}
	}
	gw__buf_put(b, "\"", 1);
}

enum MHD_Result
gw__reply_buf(struct MHD_Connection *conn, unsigned status, gw__buf *b,
              const char *ctype)
{
	struct MHD_Response *resp;

	if (b->failed) {
		gw__buf_fini(b);
		return gw__reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                 "The page is too large to build.");
	}
	if (b->p == NULL) {
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
	} else {
		// MHD frees the text with free() once it is sent.
		resp = MHD_create_response_from_buffer(b->len, b->p,
		                                       MHD_RESPMEM_MUST_FREE);
		if (resp == NULL) {
			gw__buf_fini(b);
			return MHD_NO;
		}
	}
	memset(b, 0, sizeof(*b));
	return gw__queue(conn, status, resp, ctype);
}
