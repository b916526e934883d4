// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/server.h -- internal to gateway/: the body of gw_server, which
// server.c builds and every handler reads (configuration, storage, peers,
// the parts the server owns).  The daemon's code is not here.
#ifndef GATEWAY_SERVER_H
#define GATEWAY_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gateway/drain.h"
#include "gateway/gateway.h"

// A configuration a reload may replace.
typedef _Atomic(const bb_conf *) gw__conf_ref;

struct gw_server {
	const bb_conf     *conf; // borrowed
	store             *st;   // borrowed
	rpc_pool          *pool; // borrowed, NULL without peers
	struct MHD_Daemon *mhd;  // owned
	uint16_t           port;
	atomic_uint        inflight; // inserts being stored now
	atomic_uint        parked;   // operations in flight (park.c)
	gw__drain          drain;    // drain mode and its hook
	struct gw__access *access;   // owned: the ACLs
	struct gw__conns  *conns;    // owned: phase deadlines
	struct gw__tls    *tls;      // owned, NULL without HTTPS
	struct gw__alog   *alog;     // owned, NULL without an access log
	struct gw__hstats *hstats;   // owned: requests by method and code

	// The configuration whose [remote.*] sections name the peers in
	// /_status and /_id: conf, or the one a reload put in force.
	gw__conf_ref peers; // borrowed
	// Reloads of the configuration (gw_server_count_reload).
	atomic_ulong reloads;
	atomic_ulong reload_failures;
	atomic_bool  reload_failed; // the last one was refused
};

#endif // GATEWAY_SERVER_H
