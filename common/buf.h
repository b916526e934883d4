// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/buf.h -- text built in memory: a growing buffer with a cap, and
// THE JSON string escaper of the project (the log, the access log and
// the admin pages use it).  Knows nothing of HTTP: handing a buffer to
// libmicrohttpd is gateway/reply.c's job (gw__reply_buf).
//
// JSON strings: '"' and '\\' as \" and \\, \b \f \n \r \t, every other
// control byte (and DEL) as \u00XX.  Valid UTF-8 passes through as it
// is; each byte that does not start a valid UTF-8 sequence (stray
// continuation bytes, overlong forms, surrogates, code points past
// U+10FFFF, sequences cut short) becomes \ufffd, so the output is always
// valid JSON whatever the input (paths and log messages carry client
// bytes).
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

// A growing text buffer with a cap: whatever is built in memory from
// hostile or unbounded input stays bounded.  Once an append would pass
// max, or memory runs out, the buffer is marked failed and later appends
// do nothing.  The body is here for embedding; callers read p, len and
// failed and change nothing.
typedef struct bb_buf {
	char  *p; // owned, NUL-terminated when not NULL
	size_t len;
	size_t cap;
	size_t max;
	bool   failed;
} bb_buf;

// bb_buf_init starts an empty buffer of at most max bytes (the NUL not
// counted).  Allocates nothing.
void bb_buf_init(bb_buf *b, size_t max);

// bb_buf_fini frees what b owns and zeroes it.  A zeroed b is fine.
void bb_buf_fini(bb_buf *b);

// bb_buf_put appends s[0..n).
void bb_buf_put(bb_buf *b, const char *s, size_t n);

// bb_buf_printf appends formatted text.
__attribute__((format(printf, 2, 3))) void bb_buf_printf(bb_buf     *b,
                                                         const char *fmt, ...);

// bb_buf_json_str appends s as a JSON string, quotes included (escaped
// as said at the top of this file).
void bb_buf_json_str(bb_buf *b, const char *s);

// bb_json_escape writes s as the inside of a JSON string (no quotes)
// into dst[0..cap), NUL-terminated, for fixed-size lines such as log
// lines.  When dst is full it stops before the first escape or UTF-8
// sequence that does not fit whole.  Returns the bytes written, the NUL
// not counted; cap 0 writes nothing.  Thread-safe.
size_t bb_json_escape(char *dst, size_t cap, const char *s);

#endif // COMMON_BUF_H
