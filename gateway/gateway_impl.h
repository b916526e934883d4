// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/gateway_impl.h -- declarations shared by the gateway's files.
#ifndef GATEWAY_GATEWAY_IMPL_H
#define GATEWAY_GATEWAY_IMPL_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gateway/gateway.h"
#include "rpc/rpc.h"

struct gw_server {
	const bb_conf     *conf; // borrowed
	store             *st;   // borrowed
	rpc_pool          *pool; // borrowed, NULL without peers
	struct MHD_Daemon *mhd;  // owned
	uint16_t           port;
	atomic_uint        inflight; // inserts being stored now
};

// Per-request state of an insert, kept in MHD's con_cls.
typedef struct gw__req {
	store_ns    *ns;      // borrowed
	store_spool *spool;   // owned
	bool         replied; // a response is queued already
	bb_err       failed;  // the body was refused (e.g. too big)
	uint64_t     dropped; // bytes read and dropped since
} gw__req;

// gw__queue sets the Content-Type of resp, queues it with status and
// releases it: it takes ownership of resp, which may be NULL (a failed
// create; the connection is then closed).
enum MHD_Result gw__queue(struct MHD_Connection *conn, unsigned status,
                          struct MHD_Response *resp, const char *ctype);

// gw__reply queues a response with status and a one-line text body
// (a newline is appended).  msg is copied.
enum MHD_Result gw__reply(struct MHD_Connection *conn, unsigned status,
                          const char *msg);

// gw__reply_err queues the response for a storage error: 413, 503, 507 or
// 500, with a short line that names the error.
enum MHD_Result gw__reply_err(struct MHD_Connection *conn, bb_err err);

// gw__insert_begin handles the first call for POST /<ns>: routing, the
// size limit, the spool.  May queue an error response (req->replied).
enum MHD_Result gw__insert_begin(gw_server *g, struct MHD_Connection *conn,
                                 const char *url, gw__req *req);

// gw__insert_body handles the later calls of an insert: body chunks while
// *size > 0, then the insert itself.
enum MHD_Result gw__insert_body(gw_server *g, struct MHD_Connection *conn,
                                gw__req *req, const char *data, size_t *size);

// gw__forward fetches id from the peer whose machine id it carries.  On
// BB_OK *respp is a response streaming the blob (the caller queues it).
// BB_ENOENT when no peer has it (unknown machine, not found there, or
// unreachable: the caller answers 404).
bb_err gw__forward(gw_server *g, const char *ns, const store_id *id,
                   struct MHD_Response **respp);

// gw__archive reads id from the archive of ns.  On BB_OK *respp is a
// response with the blob (the caller queues it).  Errors as
// store_ns_read_archive.
bb_err gw__archive(store_ns *ns, const store_id *id,
                   struct MHD_Response **respp);

// gw__read answers GET or HEAD /<ns>/<id>.
enum MHD_Result gw__read(gw_server *g, struct MHD_Connection *conn,
                         const char *url);

#endif // GATEWAY_GATEWAY_IMPL_H
