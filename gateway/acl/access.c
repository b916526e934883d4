// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/access.c -- the ACLs of the server, built once from the
// configuration, and their check on a request: the peer address, every
// X-Forwarded-For header joined (the first alone would let a client hide
// behind its own), the Authorization header; a refusal becomes the ACL's
// 401 answer, with WWW-Authenticate where it applies.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway_impl.h"

#define ACCESS_XFF_MAX 4096

struct gw__access {
	// The admin ACLs, loopback-only unless their section says more.
	gw__acl *status;
	gw__acl *health;
	gw__acl *shutdown;
	gw__acl *debug;
	// Per namespace, in conf->namespaces order.
	gw__acl **read;
	gw__acl **insert;
	size_t    nns;
};

// access_new builds one ACL; on error why names the section.
static bb_err
access_new(const bb_acl_conf *c, bool loopback, const char *section,
           gw__acl **aclp, char *why, size_t whylen)
{
	char   err[400] = "";
	bb_err rv;

	rv = gw__acl_new(c != NULL && c->present ? c : NULL, loopback, aclp,
	                 err, sizeof(err));
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen, "[%s] %s", section,
		              err[0] != '\0' ? err : bb_strerror(rv));
	}
	return rv;
}

bb_err
gw__access_new(const bb_conf *conf, gw__access **ap, char *why, size_t whylen)
{
	const bb_server_conf *sc = &conf->server;
	gw__access           *a;
	char                  sect[300];
	size_t                i;
	bb_err                rv;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return bb_why(BB_ENOMEM, why, whylen, "%s",
		              bb_strerror(BB_ENOMEM));
	}
	a->read   = calloc(conf->n_namespaces + 1, sizeof(*a->read));
	a->insert = calloc(conf->n_namespaces + 1, sizeof(*a->insert));
	if (a->read == NULL || a->insert == NULL) {
		rv = bb_why(BB_ENOMEM, why, whylen, "%s",
		            bb_strerror(BB_ENOMEM));
		goto fail;
	}
	a->nns = conf->n_namespaces;
	rv = access_new(&sc->status_acl, true, "server.status_acl", &a->status,
	                why, whylen);
	if (rv == BB_OK) {
		rv = access_new(&sc->health_check_acl, true,
		                "server.health_check_acl", &a->health, why,
		                whylen);
	}
	if (rv == BB_OK) {
		rv = access_new(&sc->shut_down_acl, true,
		                "server.shut_down_acl", &a->shutdown, why,
		                whylen);
	}
	if (rv == BB_OK) {
		rv = access_new(&sc->debug_paths_acl, true,
		                "server.debug_paths_acl", &a->debug, why,
		                whylen);
	}
	for (i = 0; i < a->nns && rv == BB_OK; i++) {
		(void) snprintf(sect, sizeof(sect), "namespace.%s.read_acl",
		                conf->namespaces[i].name);
		rv = access_new(&conf->namespaces[i].read_acl, false, sect,
		                &a->read[i], why, whylen);
		if (rv == BB_OK) {
			(void) snprintf(sect, sizeof(sect),
			                "namespace.%s.insert_acl",
			                conf->namespaces[i].name);
			rv = access_new(&conf->namespaces[i].insert_acl, false,
			                sect, &a->insert[i], why, whylen);
		}
	}
	if (rv != BB_OK) {
		goto fail;
	}
	*ap = a;
	return BB_OK;

fail:
	gw__access_free(a);
	return rv;
}

void
gw__access_free(gw__access *a)
{
	size_t i;

	if (a == NULL) {
		return;
	}
	gw__acl_free(a->status);
	gw__acl_free(a->health);
	gw__acl_free(a->shutdown);
	gw__acl_free(a->debug);
	for (i = 0; i < a->nns; i++) {
		gw__acl_free(a->read[i]);
		gw__acl_free(a->insert[i]);
	}
	free(a->read);
	free(a->insert);
	free(a);
}

void
gw__access_refresh(gw__access *a)
{
	size_t i;

	if (a == NULL) {
		return;
	}
	(void) gw__acl_refresh(a->status);
	(void) gw__acl_refresh(a->health);
	(void) gw__acl_refresh(a->shutdown);
	(void) gw__acl_refresh(a->debug);
	for (i = 0; i < a->nns; i++) {
		(void) gw__acl_refresh(a->read[i]);
		(void) gw__acl_refresh(a->insert[i]);
	}
}

gw__acl *
gw__access_admin(gw__access *a, gw__admin_acl which)
{
	switch (which) {
	case GW__ACL_STATUS:
		return a->status;
	case GW__ACL_HEALTH:
		return a->health;
	case GW__ACL_SHUTDOWN:
		return a->shutdown;
	case GW__ACL_DEBUG:
	default:
		return a->debug;
	}
}

// access_ns_index is the position of ns's configuration in conf.
static size_t
access_ns_index(const gw_server *g, store_ns *ns)
{
	return (size_t) (store_ns_conf(ns) - g->conf->namespaces);
}

gw__acl *
gw__access_read(gw_server *g, store_ns *ns)
{
	return g->access->read[access_ns_index(g, ns)];
}

gw__acl *
gw__access_insert(gw_server *g, store_ns *ns)
{
	return g->access->insert[access_ns_index(g, ns)];
}

// The X-Forwarded-For headers joined with ", ", in the order they came.
typedef struct access_xff {
	char   buf[ACCESS_XFF_MAX];
	size_t len;
	bool   seen;
	bool   overflow;
} access_xff;

static enum MHD_Result
access_xff_cb(void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
	access_xff *x = cls;
	size_t      n;

	(void) kind;
	if (key == NULL || value == NULL ||
	    strcasecmp(key, "X-Forwarded-For") != 0) {
		return MHD_YES;
	}
	n = strlen(value);
	if (x->len + n + 3 > sizeof(x->buf)) {
		x->overflow = true;
		return MHD_NO;
	}
	if (x->seen) {
		memcpy(x->buf + x->len, ", ", 2);
		x->len += 2;
	}
	memcpy(x->buf + x->len, value, n + 1);
	x->len += n;
	x->seen = true;
	return MHD_YES;
}

enum MHD_Result
gw__access_check(gw__acl *acl, struct MHD_Connection *conn, bool *allowed)
{
	const union MHD_ConnectionInfo *ci;
	struct MHD_Response            *resp;
	gw__acl_verdict                 v;
	access_xff                      x;
	char                            line[256];
	int                             n;

	if (acl == NULL || gw__acl_is_open(acl)) {
		*allowed = true;
		return MHD_YES;
	}
	memset(&x, 0, sizeof(x));
	(void) MHD_get_connection_values(conn, MHD_HEADER_KIND, access_xff_cb,
	                                 &x);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	// An oversized header from a trusted proxy is refused ("" is not an
	// address); from anyone else it is ignored anyway.
	gw__acl_check(
	    acl, ci != NULL ? ci->client_addr : NULL,
	    x.overflow   ? ""
	        : x.seen ? x.buf
	                 : NULL,
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                MHD_HTTP_HEADER_AUTHORIZATION),
	    &v);
	*allowed = v.allowed;
	if (v.allowed) {
		return MHD_YES;
	}
	n = snprintf(line, sizeof(line), "%s\n",
	             v.message != NULL ? v.message : "Access denied.");
	if (n < 0 || (size_t) n >= sizeof(line)) {
		n = (int) sizeof(line) - 1;
	}
	resp = MHD_create_response_from_buffer((size_t) n, line,
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && v.www_authenticate[0] != '\0') {
		(void) MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    v.www_authenticate);
	}
	return gw__queue(conn, v.status != 0 ? v.status : 401, resp,
	                 "text/plain");
}
