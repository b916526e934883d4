// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/server.h -- internal to the gateway: the body of gw_server, which
// server.c builds and every handler reads (configuration, storage, peers,
// the parts the server owns).  The daemon's code is not here.
#ifndef GATEWAY_SERVER_H
#define GATEWAY_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gateway/gateway.h"

struct gw_server {
	const bb_conf     *conf; // borrowed
	store             *st;   // borrowed
	rpc_pool          *pool; // borrowed, NULL without peers
	struct MHD_Daemon *mhd;  // owned
	uint16_t           port;
	atomic_uint        inflight; // inserts being stored now
	// Drain mode (/_shutdown, SIGTERM) and who else must know of it;
	// drain_mu orders the changes so the hook hears them in order.
	atomic_bool        draining;
	pthread_mutex_t    drain_mu;
	gw_drain_fn        drain_fn;  // may be NULL
	void              *drain_arg; // borrowed
	struct gw__access *access;    // owned: the ACLs
	struct gw__guard  *guard;     // owned: phase deadlines
	struct gw__tls    *tls;       // owned, NULL without HTTPS
	struct gw__alog   *alog;      // owned, NULL without an access log
};

// gw__current returns the server whose access handler runs on this
// thread, or NULL outside one.  Every response is queued from inside the
// handler, so gw__queue finds the drain state here.
gw_server *gw__current(void);

#endif // GATEWAY_SERVER_H
