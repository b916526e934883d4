// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/access.c -- the ACLs of the server, built from the
// configuration (again on a reload, then swapped in whole), and their
// check on a request: the peer address, every X-Forwarded-For header
// joined (the first alone would let a client hide behind its own), the
// Authorization header; a refusal becomes the ACL's 401 answer, with
// WWW-Authenticate where it applies.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway_impl.h"

#define ACCESS_XFF_MAX 4096

// One generation of the ACLs: every ACL of one configuration.  A check
// holds a reference, so a reload frees the set it replaced only after the
// last check that uses it.
struct gw__access_set {
	atomic_uint refs;
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

struct gw__access {
	pthread_mutex_t        mu;  // guards cur (held only to swap or ref)
	struct gw__access_set *cur; // owned: one reference
};

typedef struct gw__access_set access_set;

static void set_free(access_set *a);

// set_unref drops one reference to a, freeing it with the last.
static void
set_unref(access_set *a)
{
	if (a != NULL && atomic_fetch_sub(&a->refs, 1) == 1) {
		set_free(a);
	}
}

// access_get returns the current set with a reference the caller drops
// with set_unref.
static access_set *
access_get(gw__access *h)
{
	access_set *a;

	(void) pthread_mutex_lock(&h->mu);
	a = h->cur;
	atomic_fetch_add(&a->refs, 1);
	(void) pthread_mutex_unlock(&h->mu);
	return a;
}

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
gw__access_prepare(const bb_conf *conf, gw__access_set **ap, char *why,
                   size_t whylen)
{
	const bb_server_conf *sc = &conf->server;
	access_set           *a;
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
	atomic_init(&a->refs, 1);
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
	set_free(a);
	return rv;
}

void
gw__access_set_free(gw__access_set *a)
{
	set_unref(a);
}

bb_err
gw__access_new(const bb_conf *conf, gw__access **hp, char *why, size_t whylen)
{
	gw__access *h;
	bb_err      rv;

	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return bb_why(BB_ENOMEM, why, whylen, "%s",
		              bb_strerror(BB_ENOMEM));
	}
	rv = gw__access_prepare(conf, &h->cur, why, whylen);
	if (rv != BB_OK) {
		free(h);
		return rv;
	}
	(void) pthread_mutex_init(&h->mu, NULL);
	*hp = h;
	return BB_OK;
}

void
gw__access_commit(gw__access *h, gw__access_set *a)
{
	access_set *old;

	(void) pthread_mutex_lock(&h->mu);
	old    = h->cur;
	h->cur = a;
	(void) pthread_mutex_unlock(&h->mu);
	set_unref(old); // freed now, or by the last check still using it
}

void
gw__access_free(gw__access *h)
{
	if (h == NULL) {
		return;
	}
	set_unref(h->cur);
	(void) pthread_mutex_destroy(&h->mu);
	free(h);
}

static void
set_free(access_set *a)
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
gw__access_refresh(gw__access *h)
{
	access_set *a;
	size_t      i;

	if (h == NULL) {
		return;
	}
	a = access_get(h);
	(void) gw__acl_refresh(a->status);
	(void) gw__acl_refresh(a->health);
	(void) gw__acl_refresh(a->shutdown);
	(void) gw__acl_refresh(a->debug);
	for (i = 0; i < a->nns; i++) {
		(void) gw__acl_refresh(a->read[i]);
		(void) gw__acl_refresh(a->insert[i]);
	}
	set_unref(a);
}

// access_admin is the ACL of an admin endpoint in a.
static gw__acl *
access_admin(access_set *a, gw__admin_acl which)
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

// access_check asks acl about the request on conn (gw__access_check).
static enum MHD_Result
access_check(gw__acl *acl, struct MHD_Connection *conn, bool *allowed)
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

enum MHD_Result
gw__access_check_admin(gw_server *g, gw__admin_acl which,
                       struct MHD_Connection *conn, bool *allowed)
{
	access_set     *a = access_get(g->access);
	enum MHD_Result ret;

	ret = access_check(access_admin(a, which), conn, allowed);
	set_unref(a);
	return ret;
}

enum MHD_Result
gw__access_check_ns(gw_server *g, store_ns *ns, bool insert,
                    struct MHD_Connection *conn, bool *allowed)
{
	access_set     *a = access_get(g->access);
	size_t          i = access_ns_index(g, ns);
	enum MHD_Result ret;

	ret = access_check(insert ? a->insert[i] : a->read[i], conn, allowed);
	set_unref(a);
	return ret;
}
