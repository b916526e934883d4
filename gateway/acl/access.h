// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/access.h -- internal to gateway/: the server's ACLs built
// from the configuration, and their check on a request (access.c over
// acl.c).
#ifndef GATEWAY_ACL_ACCESS_H
#define GATEWAY_ACL_ACCESS_H

#include <microhttpd.h>
#include <stdbool.h>

#include "gateway/acl/acl.h"
#include "gateway/gateway.h"

typedef struct gw__access     gw__access;
typedef struct gw__access_set gw__access_set;

typedef enum {
	GW__ACL_STATUS,   // /_status, /_metrics
	GW__ACL_HEALTH,   // /_health
	GW__ACL_SHUTDOWN, // /_shutdown...
	GW__ACL_DEBUG,    // /_id/...
} gw__admin_acl;

// gw__access_new builds every ACL of conf (borrowed for the call).  On
// BB_OK the caller owns *ap (gw__access_free).  On error
// why[0..whylen) gets a one-line reason naming the section.
bb_err gw__access_new(const bb_conf *conf, gw__access **ap, char *why,
                      size_t whylen);

// gw__access_free releases a.  NULL is a no-op.
void gw__access_free(gw__access *a);

// gw__access_prepare builds every ACL of conf (borrowed for the call),
// htpasswd files loaded, for gw__access_commit: a reload checks the whole
// new configuration before it changes anything.  conf must have the
// namespaces of the running server, in the same order.  On BB_OK the
// caller owns *sp (gw__access_commit or gw__access_set_free).  Errors as
// gw__access_new.
bb_err gw__access_prepare(const bb_conf *conf, gw__access_set **sp, char *why,
                          size_t whylen);

// gw__access_commit puts s in force for the requests checked from now
// on and takes ownership of it; the set it replaces is freed after the
// last check still using it.  Thread-safe.
void gw__access_commit(gw__access *a, gw__access_set *s);

// gw__access_set_free releases a set gw__access_commit did not take.
// NULL is a no-op.
void gw__access_set_free(gw__access_set *s);

// gw__access_refresh reloads the htpasswd files that changed (SIGHUP).
void gw__access_refresh(gw__access *a);

// gw__access_check_admin and gw__access_check_ns ask the ACL in force of
// an admin endpoint, or of a namespace's reads or inserts, about the
// request on conn.  *allowed false means the refusal (401,
// WWW-Authenticate where it applies) is queued and the result is the
// caller's to return.  Thread-safe against gw__access_commit.
enum MHD_Result gw__access_check_admin(gw_server *g, gw__admin_acl which,
                                       struct MHD_Connection *conn,
                                       bool                  *allowed);
enum MHD_Result gw__access_check_ns(gw_server *g, store_ns *ns, bool insert,
                                    struct MHD_Connection *conn,
                                    bool                  *allowed);

#endif // GATEWAY_ACL_ACCESS_H
