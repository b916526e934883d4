// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/range.h -- internal to gateway/: the HTTP conventions of a
// blob read (range.c): the Range, If-Range and If-None-Match headers
// decided against one blob, and the caching headers of its answer.
// Which copy serves the bytes is read.c's.
#ifndef GATEWAY_RANGE_H
#define GATEWAY_RANGE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

// What gw__range_parse makes of a Range header.
typedef enum {
	GW__RANGE_WHOLE, // none, or one to ignore: send the whole blob
	GW__RANGE_PART,  // one satisfiable range: 206
	GW__RANGE_UNSAT, // one valid range past the end: 416
} gw__range_kind;

// gw__range_parse decides the Range header value (NULL: none) against a
// blob of total bytes (RFC 9110 section 14.1.2).  "bytes=a-b", "bytes=a-"
// and "bytes=-n" (unit case-insensitive, blanks around the range) give
// GW__RANGE_PART with [*firstp, *firstp + *countp) clipped to the blob,
// or GW__RANGE_UNSAT when a >= total or n == 0 (so any range of an empty
// blob).  Anything else is GW__RANGE_WHOLE and is ignored, as RFC 9110
// allows: another unit, a syntax error, b < a, and several ranges (as
// nginx does for them; a multipart/byteranges answer is not worth its
// cost for immutable blobs).  Numbers too large for 64 bits saturate,
// which keeps their meaning (past any end).  *firstp and *countp are
// written for GW__RANGE_PART only.  Never reads past the NUL of value.
gw__range_kind gw__range_parse(const char *value, uint64_t total,
                               uint64_t *firstp, uint64_t *countp);

// gw__etag_match says whether the header value (NULL: none, false)
// names the entity tag "tag" (tag[0..taglen), given without quotes):
// strong, as If-Range compares (exactly one strong tag, blanks around
// it), or weak, as If-None-Match compares (a list of tags, W/ or not, or
// "*", which matches anything).  A list with a syntax error matches up to
// that error only.
bool gw__etag_match(const char *value, const char *tag, size_t taglen,
                    bool strong);

// The longest ETag: the id text, quoted, and a NUL.
#define GW__ETAG_MAX (STORE_ID_TEXT_MAX + 3)

// What a read of one blob answers once a copy of it is found.
typedef struct gw__ask {
	unsigned status; // 200, 206, 304 (not modified) or 416 (unsatisfiable)
	uint64_t first;  // 206: the first byte sent; else 0
	uint64_t count;  // 200, 206: the bytes sent; else 0
	uint64_t total;  // the blob's length
	char     etag[GW__ETAG_MAX]; // "\"<id>\"", empty if the id is longer
} gw__ask;

// gw__ask_init decides what a GET or HEAD of the id text idstr, a blob
// of total bytes, answers from the request headers of conn: 304 when
// If-None-Match names its ETag (first, as RFC 9110 section 13.2.2
// orders), else the Range header, honoured only when If-Range is absent
// or is that ETag (a date or another tag: the whole blob).  No
// allocation, no system call.
void gw__ask_init(gw__ask *a, struct MHD_Connection *conn, const char *idstr,
                  uint64_t total);

// gw__ask_queue adds the headers of a's answer to resp (ETag,
// Cache-Control, Accept-Ranges, and Content-Range for a 206) and queues
// it with a's status (200 or 206) through gw__queue, which takes resp
// (NULL: the connection is closed).
enum MHD_Result gw__ask_queue(struct MHD_Connection *conn, const gw__ask *a,
                              struct MHD_Response *resp);

// gw__ask_reply_empty answers a 304 (with the caching headers, no body)
// or a 416 (Content-Range: bytes */total, a one-line body).
enum MHD_Result gw__ask_reply_empty(struct MHD_Connection *conn,
                                    const gw__ask         *a);

#endif // GATEWAY_RANGE_H
