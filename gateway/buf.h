// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/buf.h -- internal to the gateway: text bodies built in memory
// (buf.c).
#ifndef GATEWAY_BUF_H
#define GATEWAY_BUF_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

// --- Text bodies built in memory (buf.c). ---

// A growing text buffer with a cap: the admin pages are built in memory
// and must stay bounded whatever the number of files.  Once an append
// would pass max, or memory runs out, the buffer is marked failed and
// later appends do nothing.
typedef struct gw__buf {
	char  *p; // owned, NUL-terminated when not NULL
	size_t len;
	size_t cap;
	size_t max;
	bool   failed;
} gw__buf;

// gw__buf_init starts an empty buffer of at most max bytes.
void gw__buf_init(gw__buf *b, size_t max);

// gw__buf_fini frees what b owns.  A zeroed b is fine.
void gw__buf_fini(gw__buf *b);

// gw__buf_put appends s[0..n).
void gw__buf_put(gw__buf *b, const char *s, size_t n);

// gw__buf_printf appends formatted text.
__attribute__((format(printf, 2, 3))) void
gw__buf_printf(gw__buf *b, const char *fmt, ...);

// gw__buf_json_str appends s as a JSON string, quotes included: '"',
// '\\' and control characters escaped, other bytes as they are (the
// names it prints are ASCII; invalid UTF-8 is not repaired).
void gw__buf_json_str(gw__buf *b, const char *s);

// gw__reply_buf queues b's text with status and ctype, taking b's memory
// (b is empty afterwards).  A failed b answers 500.
enum MHD_Result gw__reply_buf(struct MHD_Connection *conn, unsigned status,
                              gw__buf *b, const char *ctype);

#endif // GATEWAY_BUF_H
