// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/park.h -- internal to gateway/: a request whose answer waits
// for an operation that ends on another thread (a replicated insert, a
// forwarded read) parks its connection with libmicrohttpd's suspend and
// resume instead of holding a worker thread; and the per-request state
// the dispatcher keeps in MHD's con_cls, counted by reference so that an
// operation in flight never outlives what it writes to.
#ifndef GATEWAY_PARK_H
#define GATEWAY_PARK_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/gateway.h"

// One wait for an operation.  Embedded in a request; use the functions.
typedef struct gw__park {
	atomic_int             state; // park.c's PARK_* values
	struct MHD_Connection *conn;  // borrowed
	gw_server             *g;     // borrowed
} gw__park;

// gw__park_arm readies pk for an operation of the request on conn, just
// before it starts, and counts it on g (gw__park_drain).  Connection
// thread.
void gw__park_arm(gw__park *pk, gw_server *g, struct MHD_Connection *conn);

// gw__park_wait is called once the operation started, on the connection
// thread, in the access handler.  true: it ended already (gw__park_done
// ran): answer now.  false: the connection is suspended; return MHD_YES,
// and the access handler is called again for the same request once the
// operation ended.
bool gw__park_wait(gw__park *pk);

// gw__park_done tells pk that the operation ended; its outcome must be
// written to the request before.  Resumes the connection if it waits.
// Any thread, never blocks.  After it, the caller touches nothing of the
// request but the reference it holds (gw__req_unref).
void gw__park_done(gw__park *pk);

// gw__park_gone tells pk that libmicrohttpd is done with the request
// (its completed callback): an operation that ends later resumes
// nothing.  Connection thread.
void gw__park_gone(gw__park *pk);

// gw__park_drain waits until no operation of g is in flight (each ends
// by its own deadline), at most timeout_ns; false if some still are.
// libmicrohttpd must not be stopped with a connection suspended.
bool gw__park_drain(gw_server *g, int64_t timeout_ns);

typedef enum {
	GW__REQ_INSERT, // POST /<ns>: insert.c
	GW__REQ_READ,   // GET or HEAD that waits for a forward: read.c
} gw__req_kind;

typedef struct gw__rd gw__rd; // a read in progress (read.c)

// Per-request state, kept in MHD's con_cls.  One reference is MHD's
// (dropped in the completed callback), one more is held by an operation
// in flight (dropped after its gw__park_done).
typedef struct gw__req {
	gw__req_kind kind;
	atomic_uint  refs;
	gw__park     park;
	// Inserts.
	store_ns    *ns;      // borrowed
	store_spool *spool;   // owned; storage borrows it while storing
	bool         replied; // a response is queued already
	bb_err       failed;  // the body was refused (e.g. too big)
	uint64_t     dropped; // bytes read and dropped since
	bool         started; // store_ns_insert_start was called
	bool         counted; // counted in the server's inflight
	bb_err       rv;      // the insert's outcome (after park)
	store_id     id;      // on BB_OK
	// Reads.
	gw__rd *rd; // owned
} gw__req;

// gw__req_new makes a request of kind with MHD's reference.  NULL
// without memory.
gw__req *gw__req_new(gw__req_kind kind);

// gw__req_ref takes a reference for an operation about to start.
void gw__req_ref(gw__req *r);

// gw__req_unref drops a reference; the last frees r and what it owns.
// Any thread.  NULL is a no-op.
void gw__req_unref(gw__req *r);

#endif // GATEWAY_PARK_H
