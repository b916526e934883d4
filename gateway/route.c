// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/route.c -- the dispatcher: each request by method and path to
// an insert (insert.c), a read (read.c) or an admin endpoint (admin/),
// with the phase deadlines of its connection (conn.c), and the clean-up
// and access log line once it is over.  The daemon itself is server.c's.
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_impl.h"

// The con_cls of a read: it has no state of its own until it waits for
// a forward (a gw__req of kind GW__REQ_READ then).
static gw__req route_read_marker;

void
gw__route_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	gw_server       *g   = cls;
	gw__req         *req = *con_cls;
	gw__request_info ri;
	gw__method       method;
	unsigned         status;

	(void) toe;
	// The connection may wait for its next request, for idle_timeout.
	gw__conns_phase(g->conns, conn, GW__PHASE_IDLE);
	if (g->alog != NULL && gw__conn_request_info(conn, &ri)) {
		gw__alog_write(g->alog, &ri);
	}
	if (gw__conn_request_end(conn, &method, &status)) {
		gw__hstats_count(g->hstats, method, status);
	}
	if (req == NULL || req == &route_read_marker) {
		return;
	}
	if (req->counted) {
		// Never answered (the server stops): no longer waited for.
		req->counted = false;
		atomic_fetch_sub(&g->inflight, 1);
	}
	gw__park_gone(&req->park);
	// A client that went away mid-body leaves its spool here; an
	// operation still in flight holds its own reference.
	gw__req_unref(req);
	*con_cls = NULL;
}

enum MHD_Result
gw__route_access(void *cls, struct MHD_Connection *conn, const char *url,
                 const char *method, const char *version, const char *data,
                 size_t *size, void **con_cls)
{
	gw_server  *g   = cls;
	gw__req    *req = *con_cls;
	const char *why;

	(void) version;
	if (req == &route_read_marker) {
		if (*size > 0) {
			// A body on GET or HEAD means nothing: drop it, and
			// answer once it is over (libmicrohttpd takes no
			// response while body data is pending).
			*size = 0;
			return MHD_YES;
		}
		if (url[0] == '/' && url[1] == '_') {
			return gw__admin(g, conn, url, method);
		}
		return gw__read(g, conn, url, con_cls);
	}
	if (req != NULL && req->kind == GW__REQ_READ) {
		// Resumed: the forward it waited for has ended.
		*size = 0;
		return gw__read_resume(g, conn, req);
	}
	if (req != NULL) {
		if (*size == 0) {
			// The whole body is in: storing it may take long.
			gw__conns_phase(g->conns, conn, GW__PHASE_BUSY);
		}
		return gw__insert_body(g, conn, req, data, size);
	}
	if (g->alog != NULL) {
		// Only the access log needs it: no copies on the hot path
		// otherwise.
		gw__conn_request_start(conn, method, url);
	}
	gw__conn_request_begin(conn, gw__method_of(method));
	// The head is in: a body has read_timeout, the rest is answering.
	gw__conns_phase(g->conns, conn,
	                strcmp(method, MHD_HTTP_METHOD_POST) == 0
	                    ? GW__PHASE_BODY
	                    : GW__PHASE_BUSY);
	if (url[0] != '/') {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST, "Invalid path.");
	}
	// Answered on this first call, before any body: libmicrohttpd
	// then closes the connection, so nothing after this head is read
	// as another request.
	if (!gw__guard_framing(conn, &why)) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST, why);
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && url[1] == '_') {
		// An admin POST (/_shutdown): its body is dropped as a
		// read's, and it is answered once that is over.
		*con_cls = &route_read_marker;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
		req = gw__req_new(GW__REQ_INSERT);
		if (req == NULL) {
			return MHD_NO;
		}
		*con_cls = req;
		return gw__insert_begin(g, conn, url, req);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
		// Answering on the first call makes libmicrohttpd close the
		// connection (it cannot know the request has no body yet), so
		// reads answer on the second call and keep the connection.
		*con_cls = &route_read_marker;
		return MHD_YES;
	}
	// The replication methods of the original are RPCs now.
	return gw__reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
	                 "Unsupported method.");
}
