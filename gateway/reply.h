// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/reply.h -- internal to gateway/: queueing a response (every
// response goes through gw__queue) and the short error answers.
#ifndef GATEWAY_REPLY_H
#define GATEWAY_REPLY_H

#include <microhttpd.h>

#include "common/buf.h"
#include "common/err.h"

// gw__queue sets the Content-Type of resp (and, while the server of conn
// drains, the Shutting-Down and Connection: close headers; the
// connection table knows that server, so any thread may queue), queues
// it with status and releases it: it takes ownership of resp, which may
// be NULL (a failed create; the connection is then closed).  Every
// response goes through here.
enum MHD_Result gw__queue(struct MHD_Connection *conn, unsigned status,
                          struct MHD_Response *resp, const char *ctype);

// gw__reply queues a response with status and a one-line text body
// (a newline is appended).  msg is copied.
enum MHD_Result gw__reply(struct MHD_Connection *conn, unsigned status,
                          const char *msg);

// gw__reply_retry is gw__reply with a Retry-After header of secs seconds
// (a 503 of something that may work again soon).
enum MHD_Result gw__reply_retry(struct MHD_Connection *conn, unsigned status,
                                const char *msg, unsigned secs);

// gw__reply_err queues the response for a storage error: 413, 503, 507 or
// 500, with a short line that names the error.
enum MHD_Result gw__reply_err(struct MHD_Connection *conn, bb_err err);

// gw__reply_buf queues b's text with status and ctype, taking b's memory
// (b is empty afterwards).  A failed b answers 500.
enum MHD_Result gw__reply_buf(struct MHD_Connection *conn, unsigned status,
                              bb_buf *b, const char *ctype);

#endif // GATEWAY_REPLY_H
