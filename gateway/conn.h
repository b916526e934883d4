// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/conn.h -- internal to gateway/: the table of open connections
// (conn.c): phase deadlines, and the request in progress for the access
// log.
#ifndef GATEWAY_CONN_H
#define GATEWAY_CONN_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "gateway/accesslog.h"
#include "gateway/drain.h"
#include "gateway/hstats.h"

typedef struct gw__conns gw__conns; // the table
typedef struct gw__conn  gw__conn;  // one connection in it

typedef enum {
	GW__PHASE_BODY, // the request body must be in within read_timeout
	GW__PHASE_BUSY, // handled and answered: inactivity timeout only
	GW__PHASE_IDLE, // kept alive: the next request within idle_timeout
} gw__phase;

// gw__conns_start makes the table and starts its sweeper, which cuts a
// connection past its deadline every 200 ms: a new connection has
// header_ns for its request head.  drain (borrowed, may be NULL: never
// draining) is the drain state its responses report (gw__conn_reply).
// Caller owns *tp: gw__conns_stop (after the daemon).
bb_err gw__conns_start(int64_t header_ns, int64_t body_ns, int64_t idle_ns,
                       const gw__drain *drain, gw__conns **tp);

// gw__conns_new is gw__conns_start without the sweeper: the caller
// sweeps (tests, with times of their own).  Caller owns *tp.
bb_err gw__conns_new(int64_t header_ns, int64_t body_ns, int64_t idle_ns,
                     const gw__drain *drain, gw__conns **tp);

// gw__conns_stop stops the sweeper, frees the records left and t.  NULL
// is a no-op.
void gw__conns_stop(gw__conns *t);

// gw__conns_add records the connection on socket fd (borrowed), opened
// at now_ns (monotonic): its head is due by now_ns + header_ns.  The
// record is the table's; NULL without memory.  Thread-safe.
gw__conn *gw__conns_add(gw__conns *t, int fd, int64_t now_ns);

// gw__conns_remove drops c (a closed connection) and frees it.  NULL is
// a no-op.  Thread-safe.
void gw__conns_remove(gw__conns *t, gw__conn *c);

// gw__conns_enter gives c the deadline of the phase it enters at now_ns:
// none while busy.  Thread-safe.
void gw__conns_enter(gw__conns *t, gw__conn *c, gw__phase phase,
                     int64_t now_ns);

// gw__conns_sweep shuts down the socket of every connection past its
// deadline at now_ns (once each) and returns how many it cut now.
// Thread-safe.
unsigned gw__conns_sweep(gw__conns *t, int64_t now_ns);

// gw__conns_reserve keeps the last reserve of max connections (at most a
// quarter of them) for loopback clients: once max - reserve connections
// are open, gw__conns_admit refuses any other client.  0 keeps none.
// Call before the daemon starts.
void gw__conns_reserve(gw__conns *t, uint32_t max, uint32_t reserve);

// gw__conns_admit says whether a new connection, from loopback or not,
// may open now.  Thread-safe.
bool gw__conns_admit(gw__conns *t, bool loopback);

// gw__conns_accept is the MHD_OPTION_ACCEPT_POLICY-style callback (the
// apc argument of MHD_start_daemon; cls is the table): gw__conns_admit
// for the client's address.
enum MHD_Result gw__conns_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addrlen);

// gw__conns_count returns the number of connections recorded; for tests.
size_t gw__conns_count(gw__conns *t);

// gw__conns_notify is the MHD_OPTION_NOTIFY_CONNECTION callback (cls is
// the table): it tracks every connection from start to close.
void gw__conns_notify(void *cls, struct MHD_Connection *conn,
                      void                              **socket_ctx,
                      enum MHD_ConnectionNotificationCode code);

// gw__conns_phase sets the deadline of conn for the phase it enters, now
// (gw__conns_enter on the record of conn).
void gw__conns_phase(gw__conns *t, struct MHD_Connection *conn,
                     gw__phase phase);

// gw__conn_request_start notes a new request of conn (for the access
// log); gw__conn_request_info hands it over once (false if there is
// none).  Connection thread only.
void gw__conn_request_start(struct MHD_Connection *conn, const char *method,
                            const char *url);
bool gw__conn_request_info(struct MHD_Connection *conn, gw__request_info *ri);

// gw__conn_reply notes status as the answer to the request on conn (for
// the access log) and says whether the server of conn is draining, from
// any thread: the connection, not the thread, knows its server.  A
// connection without a record (no memory when it opened) reports false.
bool gw__conn_reply(struct MHD_Connection *conn, unsigned status);

// gw__conn_request_begin notes that a request of method starts on conn
// (for the request counters, whether or not there is an access log);
// gw__conn_request_end hands its method and the status it was answered
// with (0: none) over once, false if none was begun.  gw__conn_method is
// the method of the request in progress (GW__M_OTHER if none).
// Connection thread only.
void gw__conn_request_begin(struct MHD_Connection *conn, gw__method method);
bool gw__conn_request_end(struct MHD_Connection *conn, gw__method *method,
                          unsigned *status);
gw__method gw__conn_method(struct MHD_Connection *conn);

#endif // GATEWAY_CONN_H
