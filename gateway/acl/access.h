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

typedef struct gw__access gw__access;

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

// gw__access_refresh reloads the htpasswd files that changed (SIGHUP).
void gw__access_refresh(gw__access *a);

// The ACL of an admin endpoint, or of a namespace's reads or inserts.
// Borrowed from the server.
gw__acl *gw__access_admin(gw__access *a, gw__admin_acl which);
gw__acl *gw__access_read(gw_server *g, store_ns *ns);
gw__acl *gw__access_insert(gw_server *g, store_ns *ns);

// gw__access_check asks acl about the request on conn.  *allowed false
// means the refusal (401, WWW-Authenticate where it applies) is queued
// and the result is the caller's to return.
enum MHD_Result gw__access_check(gw__acl *acl, struct MHD_Connection *conn,
                                 bool *allowed);

#endif // GATEWAY_ACL_ACCESS_H
