// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/insert.c -- POST /<ns>: the body goes into a spool as it
// arrives (a slow client holds nothing but its own spool), then storage
// appends it (and replicates it) while the connection is parked, no
// thread held, and the id is answered once it is stored.
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
	ret = gw__access_check_ns(g, req->ns, true, conn, &allowed);
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

// insert_done is the insert's completion: any thread, or the handler's
// before store_ns_insert_start returns.
static void
insert_done(void *arg, bb_err rv, const store_id *id)
{
	gw__req *req = arg;

	req->rv = rv;
	if (rv == BB_OK) {
		req->id = *id;
	}
	gw__park_done(&req->park);
	gw__req_unref(req); // may free req and its spool, if MHD is done
}

// insert_answer answers the stored insert: the id, or the error.
static enum MHD_Result
insert_answer(gw_server *g, struct MHD_Connection *conn, gw__req *req)
{
	struct MHD_Response *resp;
	char                 text[STORE_ID_TEXT_MAX + 1];
	size_t               n;

	// Storage is done with the body.
	store_spool_free(req->spool);
	req->spool = NULL;
	if (req->counted) {
		req->counted = false;
		atomic_fetch_sub(&g->inflight, 1);
	}
	if (req->rv != BB_OK) {
		return gw__reply_err(conn, req->rv);
	}
	n = store_ns_id_format(req->ns, &req->id, text);
	if (n == 0) {
		return gw__reply_err(conn, BB_ENOMEM); // OpenSSL failed
	}
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_COPY);
	return gw__queue(conn, MHD_HTTP_OK, resp, "text/plain");
}

enum MHD_Result
gw__insert_body(gw_server *g, struct MHD_Connection *conn, gw__req *req,
                const char *data, size_t *size)
{
	bb_err rv;

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
	if (req->failed != BB_OK) {
		req->replied = true;
		return gw__reply_err(conn, req->failed);
	}
	if (!req->started) {
		// Counted while it may still be acknowledged, so a graceful
		// stop waits for it (until it is answered); a stalled upload
		// is not counted and is dropped.
		req->started = true;
		req->counted = true;
		atomic_fetch_add(&g->inflight, 1);
		gw__park_arm(&req->park, g, conn);
		gw__req_ref(req); // insert_done's
		store_ns_insert_start(req->ns, req->spool, insert_done, req);
		if (!gw__park_wait(&req->park)) {
			return MHD_YES; // called again once it is stored
		}
	}
	req->replied = true;
	return insert_answer(g, conn, req);
}
