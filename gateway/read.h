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

// Where a read of an id is served from (gw__locate).
typedef enum {
	GW__FROM_LOCAL,   // a local file
	GW__FROM_OWNER,   // the peer whose machine id the id carries
	GW__FROM_ARCHIVE, // the archive of the namespace
} gw__from;

// A byte range streamed into a response (read.c).
typedef struct gw__source gw__source;

// The answer of gw__locate.
typedef struct gw__loc {
	gw__from        from;
	uint32_t        machine; // the machine id the id carries
	store_file_info info;    // GW__FROM_LOCAL when not opened
	// Opened: either fd >= 0 (the bytes are at off in a plain file:
	// serve it with sendfile) or src (a stream).  The caller owns both.
	int         fd;
	uint64_t    off;
	gw__source *src;
	// On failure: the status and static line to answer, or status 0
	// for gw__reply_err.
	unsigned    status;
	const char *msg;
} gw__loc;

// gw__locate is the read policy: a local file, else the owner of id (if
// it is a peer), else the archive, and which failure the client sees
// when all miss.  With open it reads: on BB_OK *loc holds the bytes (fd
// or src, owned by the caller); on error loc->status/msg say what to
// answer.  Without open (/_id) it only says where a read would start:
// loc->from (GW__FROM_OWNER: then the archive, if the owner fails) and,
// for a local file, loc->info; it always returns BB_OK then.  The one
// place the policy is written: its next change (replica holders, 503
// against 404) goes here, and reads and /_id follow.  Thread-safe.
bb_err gw__locate(gw_server *g, store_ns *ns, const store_id *id, bool open,
                  gw__loc *loc);

// gw__read answers GET or HEAD /<ns>/<id>.
enum MHD_Result gw__read(gw_server *g, struct MHD_Connection *conn,
                         const char *url);

#endif // GATEWAY_READ_H
