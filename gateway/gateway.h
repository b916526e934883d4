// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/gateway.h -- the HTTP API on libmicrohttpd: POST /<ns> inserts,
// GET and HEAD /<ns>/<id> read, and the admin endpoints (/_health,
// /_status, /_metrics, /_id, /_shutdown) with drain mode.  It owns
// routing, request bodies and responses; what is stored where belongs to
// the storage module.
#ifndef GATEWAY_GATEWAY_H
#define GATEWAY_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"
#include "rpc/rpc.h"
#include "storage/storage.h"

typedef struct gw_server gw_server;

// gw_drain_fn is told each time the node enters (on) or leaves drain
// mode, on the thread that changed it (an HTTP worker or the caller of
// gw_server_set_draining), so that the other parts of the node (the RPC
// server's shutting_down flag) follow.  It must not block.
typedef void (*gw_drain_fn)(void *arg, bool on);

// gw_server_start listens on [server] addr:port and serves requests on
// its own threads; reads that miss locally go to the owning peer through
// pool (NULL: no peers).  drain_fn (may be NULL) with drain_arg hears of
// every change of drain mode.  conf, st, pool and drain_arg are borrowed
// and must outlive the server.  On BB_OK the caller owns *gp; stop it with
// gw_server_stop().  On error why[0..whylen) gets a one-line reason.
bb_err gw_server_start(const bb_conf *conf, store *st, rpc_pool *pool,
                       gw_drain_fn drain_fn, void *drain_arg, gw_server **gp,
                       char *why, size_t whylen);

// gw_conf_check loads what gw_server_start would load from files (the
// htpasswd files of every ACL, the HTTPS certificate and its key) and
// frees it again, so that a bad file stops the node before it touches
// its data or opens a port.  Opens no socket, starts no thread.  On error
// why[0..whylen) names the file and says what is wrong with it.
bb_err gw_conf_check(const bb_conf *conf, char *why, size_t whylen);

// gw_server_set_draining enters (on) or leaves drain mode, as
// /_shutdown/start and /_shutdown/stop do: while draining /_health
// answers 500, every response carries "Shutting-Down: true" and
// "Connection: close", and the drain hook is told (peers then retire the
// files they replicate here).  Inserts and reads go on.  Returns the
// previous state.  Thread-safe.
bool gw_server_set_draining(gw_server *g, bool on);

// gw_server_draining says whether the node is in drain mode.
bool gw_server_draining(const gw_server *g);

// gw_server_reload rereads what may change under a running server
// (htpasswd files); for SIGHUP.  Thread-safe.
void gw_server_reload(gw_server *g);

// A reload of the configuration, prepared and not yet in force.
typedef struct gw_reload gw_reload;

// gw_server_reload_prepare builds what conf (a new configuration whose
// differences from the running one common/conf/diff.c accepted) changes
// in g: when acls (an ACL section changed), every ACL, htpasswd files
// loaded; and the HTTPS certificate and key, loaded and checked.  Nothing is
// in force yet.  conf is borrowed; once committed it names the peers in
// /_status and /_id and must outlive g.  On BB_OK the caller owns *rp: put it
// in force with gw_server_reload_commit or drop it with gw_reload_free.  On
// error (BB_ECONFIG for a bad ACL, htpasswd file or certificate, BB_ENOMEM)
// why[0..whylen) gets a one-line reason naming the section or file.
bb_err gw_server_reload_prepare(gw_server *g, const bb_conf *conf, bool acls,
                                gw_reload **rp, char *why, size_t whylen);

// gw_server_reload_commit puts r in force (requests checked from now on
// see the new ACLs, handshakes the new certificate; without new ACLs the
// htpasswd files that changed are reloaded), reopens the access log and
// takes ownership of r.  It cannot fail.  One reloading thread
// at a time; thread-safe against requests.
void gw_server_reload_commit(gw_server *g, gw_reload *r);

// gw_reload_free drops a prepared reload.  NULL is a no-op.
void gw_reload_free(gw_reload *r);

// gw_server_count_reload counts a reload of the configuration, put in
// force (ok) or refused, for /_metrics: blobby_config_reloads_total,
// blobby_config_reload_failures_total and
// blobby_config_last_reload_successful.  Thread-safe.
void gw_server_count_reload(gw_server *g, bool ok);

// gw_server_port returns the port actually bound (useful with port 0).
uint16_t gw_server_port(const gw_server *g);

// gw_server_quiesce stops accepting new connections; requests in flight
// go on.  Part of a graceful stop.
void gw_server_quiesce(gw_server *g);

// gw_server_inflight returns the number of inserts in progress.
unsigned gw_server_inflight(const gw_server *g);

// gw_server_stop closes every connection, waits for the server threads
// and frees g.  NULL is a no-op.
void gw_server_stop(gw_server *g);

#endif // GATEWAY_GATEWAY_H
