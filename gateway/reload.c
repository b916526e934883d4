// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/reload.c -- what a configuration reload changes in a running
// HTTP server: the ACLs (htpasswd files loaded anew) and the HTTPS
// certificate.  Both are built from the new configuration first and put
// in force only when every part of the node has accepted it; which keys
// may change at all is common/conf/diff.c's decision.
#include <stdlib.h>

#include "gateway/gateway_impl.h"

struct gw_reload {
	const bb_conf  *conf;   // borrowed: names the peers once committed
	gw__access_set *access; // owned until committed
	gw__tls_next   *tls;    // owned until committed; NULL without HTTPS
};

bb_err
gw_server_reload_prepare(gw_server *g, const bb_conf *conf, bool acls,
                         gw_reload **rp, char *why, size_t whylen)
{
	gw_reload *r;
	char       err[512];
	bb_err     rv;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return bb_why(BB_ENOMEM, why, whylen, "%s",
		              bb_strerror(BB_ENOMEM));
	}
	r->conf = conf;
	// Unchanged ACL sections keep their ACLs: their htpasswd files are
	// refreshed at the commit as before, each keeping its entries when
	// a new version does not load (the files change apart from the
	// configuration, and are watched anyway).
	if (acls) {
		rv = gw__access_prepare(conf, &r->access, why, whylen);
		if (rv != BB_OK) {
			goto fail;
		}
	}
	// Whether HTTPS is on cannot change (the daemon was started with or
	// without it); its files are loaded again even when their names
	// stay, as SIGHUP always did after a certificate renewal.
	if (g->tls != NULL && conf->server.tls) {
		rv = gw__tls_prepare(&conf->server, &r->tls, err, sizeof(err));
		if (rv != BB_OK) {
			(void) bb_why(rv, why, whylen, "https: %s", err);
			goto fail;
		}
	}
	*rp = r;
	return BB_OK;

fail:
	gw_reload_free(r);
	return rv;
}

void
gw_server_reload_commit(gw_server *g, gw_reload *r)
{
	if (r->access != NULL) {
		gw__access_commit(g->access, r->access);
		r->access = NULL;
	} else {
		gw__access_refresh(g->access);
	}
	if (r->tls != NULL) {
		gw__tls_commit(g->tls, r->tls);
		r->tls = NULL;
	}
	atomic_store(&g->peers, r->conf);
	// The access log's file name cannot change; after a rotation it is
	// opened again.
	gw__alog_reopen(g->alog);
	gw_reload_free(r);
}

void
gw_reload_free(gw_reload *r)
{
	if (r == NULL) {
		return;
	}
	gw__access_set_free(r->access);
	gw__tls_next_free(r->tls);
	free(r);
}

void
gw_server_count_reload(gw_server *g, bool ok)
{
	atomic_fetch_add(ok ? &g->reloads : &g->reload_failures, 1);
	atomic_store(&g->reload_failed, !ok);
}

void
gw__reload_metrics(gw_server *g, bb_buf *b)
{
	// The names of Prometheus' own configuration reloads, blobby_ for
	// prometheus_.
	bb_buf_printf(b,
	              "# TYPE blobby_config_reloads_total counter\n"
	              "# HELP blobby_config_reloads_total Reloads of the "
	              "configuration put in force (SIGHUP).\n"
	              "blobby_config_reloads_total %lu\n"
	              "# TYPE blobby_config_reload_failures_total counter\n"
	              "# HELP blobby_config_reload_failures_total Reloads of "
	              "the configuration refused (the log says why).\n"
	              "blobby_config_reload_failures_total %lu\n"
	              "# TYPE blobby_config_last_reload_successful gauge\n"
	              "# HELP blobby_config_last_reload_successful 0 when the "
	              "last reload was refused, else 1.\n"
	              "blobby_config_last_reload_successful %d\n",
	              atomic_load(&g->reloads),
	              atomic_load(&g->reload_failures),
	              atomic_load(&g->reload_failed) ? 0 : 1);
}
