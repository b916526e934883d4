// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/park.c -- suspend and resume: a request whose operation ends on
// another thread releases its worker thread meanwhile, so a few threads
// serve any number of inserts and forwards in flight.  The operation may
// end before the handler could suspend (at once, on the same thread, or
// on another one in between): one atomic state decides who resumes, so
// the connection is resumed exactly once and only once suspended.  Also
// the per-request state and its references.
#include <stdlib.h>

#include "common/clock.h"
#include "gateway/gateway_impl.h"
#include "storage/spool.h"

enum {
	PARK_IDLE,      // no operation
	PARK_RUNNING,   // started; the handler has not suspended yet
	PARK_SUSPENDED, // the connection waits for gw__park_done
	PARK_DONE,      // the operation ended
	PARK_GONE,      // MHD is done with the request
};

void
gw__park_arm(gw__park *pk, gw_server *g, struct MHD_Connection *conn)
{
	pk->conn = conn;
	pk->g    = g;
	atomic_fetch_add(&g->parked, 1);
	atomic_store(&pk->state, PARK_RUNNING);
}

bool
gw__park_wait(gw__park *pk)
{
	int expect = PARK_RUNNING;

	if (atomic_load(&pk->state) == PARK_DONE) {
		return true; // it ended inside its start: no suspend at all
	}
	MHD_suspend_connection(pk->conn);
	if (!atomic_compare_exchange_strong(&pk->state, &expect,
	                                    PARK_SUSPENDED)) {
		// It ended between the look above and the suspend, and
		// resumed nothing: resume here.  The handler is called
		// again once this returns.
		MHD_resume_connection(pk->conn);
	}
	return false;
}

void
gw__park_done(gw__park *pk)
{
	struct MHD_Connection *conn = pk->conn;
	gw_server             *g    = pk->g;

	if (atomic_exchange(&pk->state, PARK_DONE) == PARK_SUSPENDED) {
		// The connection cannot go on (nor be freed) until this: it
		// is safe to name it.  MHD_resume_connection touches only
		// the daemon once it has flagged the connection.
		MHD_resume_connection(conn);
	}
	// After the resume: a stop that sees no operation in flight finds
	// no connection suspended (gw_server_stop).
	atomic_fetch_sub(&g->parked, 1);
}

void
gw__park_gone(gw__park *pk)
{
	int expect = PARK_SUSPENDED;

	// libmicrohttpd 0.9.75 never completes a suspended request (it does
	// not even see its client go), but if it did, the operation's end
	// must not resume a connection that is gone.
	(void) atomic_compare_exchange_strong(&pk->state, &expect, PARK_GONE);
}

bool
gw__park_drain(gw_server *g, int64_t timeout_ns)
{
	int64_t end = bb_clock_mono_ns() + timeout_ns;

	while (atomic_load(&g->parked) > 0) {
		if (bb_clock_mono_ns() >= end) {
			return false;
		}
		bb_clock_sleep_ns(BB_NS_PER_MS);
	}
	return true;
}

gw__req *
gw__req_new(gw__req_kind kind)
{
	gw__req *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		return NULL;
	}
	r->kind = kind;
	atomic_init(&r->refs, 1);
	atomic_init(&r->park.state, PARK_IDLE);
	return r;
}

void
gw__req_ref(gw__req *r)
{
	atomic_fetch_add(&r->refs, 1);
}

void
gw__req_unref(gw__req *r)
{
	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1) {
		return;
	}
	// The operation has ended (it held a reference): storage no longer
	// borrows the spool.
	store_spool_free(r->spool);
	gw__rd_free(r->rd);
	free(r);
}
