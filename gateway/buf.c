// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/buf.c -- the reply that hands a bb_buf's text (common/buf.h:
// the admin pages) to libmicrohttpd without a copy.  Building the text
// is common/buf.c's job.
#include <string.h>

#include "gateway/gateway_impl.h"

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
