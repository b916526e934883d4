// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/buf.c -- the capped text buffer and the JSON string escaper.
// One function (json_next) decides how every byte is written, so the
// buffer and the fixed-size form can never disagree.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#define JSON_ESC_MAX 6 // the longest unit json_next writes: \u00XX

void
bb_buf_init(bb_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
bb_buf_fini(bb_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

// buf_reserve makes room for n more bytes and the NUL; false (and the
// buffer failed) past the cap or without memory.
static bool
buf_reserve(bb_buf *b, size_t n)
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
bb_buf_put(bb_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n)) {
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
bb_buf_printf(bb_buf *b, const char *fmt, ...)
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
		bb_buf_put(b, small, (size_t) n);
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

// utf8_len returns the length of the valid UTF-8 sequence at s, or 0 if
// none starts there (the ranges of Unicode's table 3-7: no overlong
// forms, no surrogates, nothing past U+10FFFF).  The NUL that ends s is
// never a continuation byte, so a sequence cut short reads as invalid.
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80;
	unsigned char hi = 0xbf;
	size_t        n;
	size_t        i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n  = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n  = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	// Only the second byte has a narrowed range.
	if (s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf) {
			return 0;
		}
	}
	return n;
}

// json_next writes the JSON form of the character at s (not NUL) into
// out, sets *used to the bytes of s it stands for, and returns its
// length (at most JSON_ESC_MAX).
static size_t
json_next(const unsigned char *s, char *out, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t            n;

	*used = 1;
	switch (s[0]) {
	case '"':
	case '\\':
		out[0] = '\\';
		out[1] = (char) s[0];
		return 2;
	case '\b':
		memcpy(out, "\\b", 2);
		return 2;
	case '\f':
		memcpy(out, "\\f", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	default:
		break;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		// DEL too: JSON allows it raw, but a log line read on a
		// terminal should carry no control bytes at all.
		memcpy(out, "\\u00", 4);
		out[4] = hex[s[0] >> 4];
		out[5] = hex[s[0] & 0xf];
		return 6;
	}
	if (s[0] < 0x80) {
		out[0] = (char) s[0];
		return 1;
	}
	n = utf8_len(s);
	if (n == 0) {
		// One replacement per bad byte: simple, and resynchronises
		// at the next byte that starts a character.
		memcpy(out, "\\ufffd", 6);
		return 6;
	}
	memcpy(out, s, n);
	*used = n;
	return n;
}

void
bb_buf_json_str(bb_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	char                 out[JSON_ESC_MAX];
	size_t               used;
	size_t               n;

	bb_buf_put(b, "\"", 1);
	while (*p != '\0') {
		n = json_next(p, out, &used);
		bb_buf_put(b, out, n);
		p += used;
	}
	bb_buf_put(b, "\"", 1);
}

size_t
bb_json_escape(char *dst, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	char                 out[JSON_ESC_MAX];
	size_t               used;
	size_t               n;
	size_t               o = 0;

	if (cap == 0) {
		return 0;
	}
	while (*p != '\0') {
		n = json_next(p, out, &used);
		if (o + n >= cap) {
			break;
		}
		memcpy(dst + o, out, n);
		o += n;
		p += used;
	}
	dst[o] = '\0';
	return o;
}
