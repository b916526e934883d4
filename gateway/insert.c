// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/insert.c -- POST /<ns>: the body goes into a spool as it
// arrives (a slow client holds nothing but its own spool), then one call
// into storage appends it and answers the id.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/gateway_impl.h"
#include "storage/spool.h"

// How much of a refused body is read and dropped before the connection is
// closed instead of answered.
#define GW_DROP_MAX (16 * 1024 * 1024)

// insert_content_length parses the Content-Length header, if any.  MHD
// has already rejected a malformed one, so only the value matters.
static uint64_t
insert_content_length(struct MHD_Connection *conn)
{
	const char        *v;
	char              *end;
	unsigned long long n;

	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v == NULL) {
		return UINT64_MAX;
	}
	errno = 0;
	n     = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0') {
		return UINT64_MAX;
	}
	return (uint64_t) n;
}

enum MHD_Result
gw__insert_begin(gw_server *g, struct MHD_Connection *conn, const char *url,
                 gw__req *req)
{
	const char     *name = url + 1;
	size_t          len  = strlen(name);
	enum MHD_Result ret;
	bool            allowed;
	bb_err          rv;

	req->replied = true; // unless the insert goes on below
	if (len == 0 || memchr(name, '/', len) != NULL) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "Invalid POST path.");
	}
	if (name[0] == '_') {
		return gw__reply(conn, MHD_HTTP_NOT_FOUND,
		                 "The URL you are requesting does not exist.");
	}
	req->ns = store_find_ns(g->st, name, len);
	if (req->ns == NULL) {
		return gw__reply(conn, MHD_HTTP_NOT_FOUND,
		                 "Name space does not exist.");
	}
	// Before any of the body is read: a refused insert costs nothing.
	ret = gw__access_check(gw__access_insert(g, req->ns), conn, &allowed);
	if (!allowed) {
		return ret;
	}
	// Refuse an announced oversize body before reading any of it.
	rv = store_ns_spool(req->ns, insert_content_length(conn), &req->spool);
	if (rv != BB_OK) {
		return gw__reply_err(conn, rv);
	}
	req->replied = false;
	return MHD_YES;
}

// insert_finish stores the spooled body and answers the id.
static enum MHD_Result
insert_finish(gw_server *g, struct MHD_Connection *conn, gw__req *req)
{
	struct MHD_Response *resp;
	store_id             id;
	char                 text[STORE_ID_STRMAX + 1];
	size_t               n;
	bb_err               rv;

	// Counted while it may still be acknowledged, so a graceful stop
	// waits for it; a stalled upload is not counted and is dropped.
	atomic_fetch_add(&g->inflight, 1);
	rv = store_ns_insert(req->ns, req->spool, &id);
	atomic_fetch_sub(&g->inflight, 1);
	if (rv != BB_OK) {
		return gw__reply_err(conn, rv);
	}
	n    = store_id_format(&id, text);
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_COPY);
	return gw__queue(conn, MHD_HTTP_OK, resp, "text/plain");
}

enum MHD_Result
gw__insert_body(gw_server *g, struct MHD_Connection *conn, gw__req *req,
                const char *data, size_t *size)
{
	enum MHD_Result ret;
	bb_err          rv;

	if (req->replied) {
		*size = 0;
		return MHD_YES;
	}
	if (*size > 0 && req->failed != BB_OK) {
		// libmicrohttpd cannot answer before the body ends, so the
		// rest is read and dropped; past a bound the connection is
		// closed.
		req->dropped += *size;
		*size = 0;
		return req->dropped > GW_DROP_MAX ? MHD_NO : MHD_YES;
	}
	if (*size > 0) {
		rv    = store_spool_write(req->spool, data, *size);
		*size = 0;
		if (rv != BB_OK) {
			req->failed = rv;
			store_spool_free(req->spool);
			req->spool = NULL;
		}
		return MHD_YES;
	}
	req->replied = true;
	if (req->failed != BB_OK) {
		return gw__reply_err(conn, req->failed);
	}
	ret = insert_finish(g, conn, req);
	store_spool_free(req->spool);
	req->spool = NULL;
	return ret;
}
