// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/reply.c -- queueing responses (with the drain-mode headers) and
// error responses: a status and one short line; text pages built in a
// bb_buf.
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "gateway/gateway_impl.h"

enum MHD_Result
gw__queue(struct MHD_Connection *conn, unsigned status,
          struct MHD_Response *resp, const char *ctype)
{
	enum MHD_Result ret;

	if (resp == NULL) {
		return MHD_NO;
	}
	(void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                               ctype);
	if (gw__conn_reply(conn, status)) {
		// As the original in shutdown mode: clients (and load
		// balancers) learn it from every answer, and no connection
		// outlives its request, so the node can go.
		(void) MHD_add_response_header(resp, "Shutting-Down", "true");
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
gw__reply(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	struct MHD_Response *resp;
	char                 line[512];
	int                  n;

	n = snprintf(line, sizeof(line), "%s\n", msg);
	if (n < 0 || (size_t) n >= sizeof(line)) {
		n           = (int) sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	resp = MHD_create_response_from_buffer((size_t) n, line,
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		(void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		                               "GET, HEAD, POST");
	}
	return gw__queue(conn, status, resp, "text/plain");
}

enum MHD_Result
gw__reply_retry(struct MHD_Connection *conn, unsigned status, const char *msg,
                unsigned secs)
{
	struct MHD_Response *resp;
	char                 line[512];
	char                 after[16];
	int                  n;

	n = snprintf(line, sizeof(line), "%s\n", msg);
	if (n < 0 || (size_t) n >= sizeof(line)) {
		n           = (int) sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void) snprintf(after, sizeof(after), "%u", secs);
	resp = MHD_create_response_from_buffer((size_t) n, line,
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp != NULL) {
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_RETRY_AFTER, after);
	}
	return gw__queue(conn, status, resp, "text/plain");
}

enum MHD_Result
gw__reply_err(struct MHD_Connection *conn, bb_err err)
{
	char msg[160];

	switch (err) {
	case BB_ETOOBIG:
		return gw__reply(
		    conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "The blob is larger than this name space accepts.");
	case BB_EBUSY:
	case BB_ETIMEDOUT:
	case BB_EUNAVAIL:
		return gw__reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                 "No file is free for the insert; try again.");
	case BB_ESHUTDOWN:
		return gw__reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                 "The server is shutting down.");
	case BB_EREMOTE:
		// Both tries (the retry ran on another primary) failed at a
		// replica: nothing was acknowledged, and a later try may find
		// healthy peers.  The log says which peer and why.
		return gw__reply(
		    conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The replicas did not confirm the insert; try "
		    "again.");
	case BB_ENOSPC:
		return gw__reply(conn, MHD_HTTP_INSUFFICIENT_STORAGE,
		                 "No space left on the server's disk.");
	default:
		bb_log_error("internal error: %s", bb_strerror(err));
		(void) snprintf(msg, sizeof(msg), "Internal server error: %s.",
		                bb_strerror(err));
		return gw__reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
	}
}

// The admin pages are built in a bb_buf; MHD takes the text over
// without a copy.
enum MHD_Result
gw__reply_buf(struct MHD_Connection *conn, unsigned status, bb_buf *b,
              const char *ctype)
{
	struct MHD_Response *resp;

	if (b->failed) {
		bb_buf_fini(b);
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
			bb_buf_fini(b);
			return MHD_NO;
		}
	}
	memset(b, 0, sizeof(*b));
	return gw__queue(conn, status, resp, ctype);
}
