// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/read.h -- internal to gateway/: GET and HEAD /<ns>/<id>, and
// the read policy that /_id describes.
#ifndef GATEWAY_READ_H
#define GATEWAY_READ_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "gateway/park.h"
#include "gateway/source.h"

// Where a read of an id is served from (gw__locate).
typedef enum {
	GW__FROM_LOCAL,   // a local file (a primary or a replica)
	GW__FROM_OWNER,   // the peer whose machine id the id carries
	GW__FROM_REPLICA, // another peer, which holds a replica r-<fid>
	GW__FROM_ARCHIVE, // the archive of the namespace
	GW__FROM_NONE,    // nowhere now: see status (404 or 503)
} gw__from;

// How long a 503 of the read policy tells clients to wait (Retry-After).
#define GW__READ_RETRY_S 3

// The answer to a read of an id that names nothing.
#define GW__READ_NOT_FOUND "The requested ID was not found."

// The answer of gw__locate.
typedef struct gw__loc {
	gw__from from;
	uint32_t machine; // the machine id the id carries
	uint32_t peer;    // GW__FROM_OWNER, GW__FROM_REPLICA: who serves it
	// On BB_OK: either fd >= 0 (the bytes are at off in a plain file:
	// serve it with sendfile) or src (a stream).  The caller owns both
	// (gw__loc_release).
	int         fd;
	uint64_t    off;
	gw__source *src;
	// On failure: the status (404, 503 with Retry-After GW__READ_RETRY_S,
	// 400) and static line to answer, or status 0 for gw__reply_err.
	unsigned    status;
	const char *msg;
} gw__loc;

// gw__locate is the read policy.  A local file; else, for an id of
// another machine that is a peer, that owner (its files and its
// directory archive), then, if it cannot be reached, every other peer at
// once (a replica r-<fid>) and the archive, or, if it answered "not
// found", the archive and then the peers; for an id of this machine, the
// archive, then the peers; for a machine that is not a peer, the archive
// only.  On BB_OK *loc holds the
// bytes (fd or src, owned by the caller; gw__loc_release).  On error
// loc->from is GW__FROM_NONE and loc->status/msg say what to answer:
// 404 only when the id is known absent (every node asked answered "not
// found" and so did the archive), 503 when a copy may exist but cannot
// be reached now.  Reads and /_id call it: the one place the policy is
// written (reads drive its steps without a thread waiting on peers).
// Thread-safe; blocks on the RPCs and the archive.
bb_err gw__locate(gw_server *g, store_ns *ns, const store_id *id,
                  gw__loc *loc);

// gw__loc_release closes what a successful gw__locate left in loc.
void gw__loc_release(gw__loc *loc);

// gw__read answers GET or HEAD /<ns>/<id>: at once from a local file;
// a read that asks peers parks the connection and sets *con_cls to its
// state (a gw__req of kind GW__REQ_READ, which the dispatcher's completed
// callback releases), and is answered by gw__read_resume.
enum MHD_Result gw__read(gw_server *g, struct MHD_Connection *conn,
                         const char *url, void **con_cls);

// gw__read_resume goes on with a parked read once its forward ended:
// the next step of the policy, or the answer.  Connection thread.
enum MHD_Result gw__read_resume(gw_server *g, struct MHD_Connection *conn,
                                gw__req *req);

// gw__rd_free releases a read's state.  NULL is a no-op.
void gw__rd_free(gw__rd *rd);

#endif // GATEWAY_READ_H
