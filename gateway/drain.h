// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/drain.h -- internal to gateway/: drain mode (/_shutdown,
// SIGTERM) and the hook that tells the rest of the node.  The server
// embeds one; the connection table lends it to every response, which
// carries the drain headers while it is on.  What draining means for
// the answers is in reply.c.
#ifndef GATEWAY_DRAIN_H
#define GATEWAY_DRAIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gateway/gateway.h"

// The drain state.  The body is here only for embedding in the server:
// use the functions below.
typedef struct gw__drain {
	atomic_bool on;
	// mu orders the changes so that the hook hears them in order.
	pthread_mutex_t mu;
	gw_drain_fn     fn;  // may be NULL
	void           *arg; // borrowed
} gw__drain;

// gw__drain_init starts d off (not draining); fn (may be NULL) with arg
// (borrowed) hears of every change.  Release with gw__drain_fini().
void gw__drain_init(gw__drain *d, gw_drain_fn fn, void *arg);

// gw__drain_fini releases what d holds.  A zeroed d is fine.
void gw__drain_fini(gw__drain *d);

// gw__drain_set turns drain mode on or off, tells the hook if that
// changes it, and returns the previous state.  Thread-safe.
bool gw__drain_set(gw__drain *d, bool on);

// gw__drain_on says whether d is on; NULL is never on.  Thread-safe, no
// lock.
bool gw__drain_on(const gw__drain *d);

#endif // GATEWAY_DRAIN_H
