// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobbyd_reload.c -- SIGHUP reloads the configuration: read and
// validate the file, compare it with the one in force, refuse it whole
// if a key that cannot change did, prepare every change (which loads
// htpasswd files and certificates and opens peers, the log file) and
// only then put them all in force.  Nothing here knows how a module
// applies its part.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/conf/diff.h"
#include "common/file.h"
#include "common/log.h"
#include "tools/blobbyd.h"
#include "tools/blobbyd_reload.h"

// What a reload prepared, not yet in force.
typedef struct reload_parts {
	gw_reload        *gw;   // owned
	rpc_pool_next    *pool; // owned, NULL: peers unchanged
	rpc_server_peers *rpc;  // owned, NULL: peers unchanged
} reload_parts;

static void
parts_free(reload_parts *p)
{
	gw_reload_free(p->gw);
	rpc_pool_next_free(p->pool);
	rpc_server_peers_free(p->rpc);
}

// reload_errors logs the loader's messages ("\n"-separated) as one line.
static void
reload_errors(unsigned long n, const char *path, const char *errors, bb_err rv)
{
	char   line[2048];
	size_t i;

	(void) snprintf(line, sizeof(line), "%s",
	                errors != NULL ? errors : bb_strerror(rv));
	for (i = 0; line[i] != '\0'; i++) {
		if (line[i] == '\n') {
			line[i] = ';';
		}
	}
	bb_log_error(
	    "reload #%lu: config %s refused, the configuration in force "
	    "stays: %s",
	    n, path, line);
}

// reload_immutable logs one line per key that may not change, with its
// line in the new file where it has one there.
static void
reload_immutable(unsigned long n, const char *path, const bb_conf *conf,
                 const bb_conf_diff *d)
{
	const char *key;
	const char *at;
	char        where[4200];
	size_t      i;
	int         line;

	for (i = 0; i < d->immutable.n; i++) {
		key  = d->immutable.v[i];
		line = bb_conf_line(conf, key);
		at   = path;
		if (line > 0) {
			(void) snprintf(where, sizeof(where), "%s:%d", path,
			                line);
			at = where;
		}
		if (strstr(key, "rpc_tls") != NULL) {
			// NNG 1.5.2 refuses a new TLS configuration on a
			// listener or dialer once started (NNG_EBUSY).
			bb_log_error(
			    "reload #%lu: config %s: %s cannot change while "
			    "running (NNG cannot change the TLS "
			    "configuration of a running RPC listener: "
			    "restart the node)",
			    n, at, key);
		} else {
			bb_log_error(
			    "reload #%lu: config %s: %s cannot change while "
			    "running",
			    n, at, key);
		}
	}
	bb_log_error(
	    "reload #%lu: config %s refused, the configuration in force "
	    "stays: %zu key(s) cannot change while running",
	    n, path, d->immutable.n);
}

// reload_log_check opens the new log file once, so that a path that
// cannot be written refuses the reload before anything changed.
static bb_err
reload_log_check(const bb_conf *conf, char *why, size_t whylen)
{
	bb_logfile lf;
	bb_err     rv;

	bb_logfile_init(&lf);
	rv = bb_logfile_open(&lf, conf->log.file, why, whylen);
	bb_logfile_fini(&lf);
	return rv;
}

// reload_prepare builds every change conf makes, as d says; nothing is
// in force yet.  On error why names the part.
static bb_err
reload_prepare(bbd_reloader *r, const bb_conf *conf, const bb_conf_diff *d,
               reload_parts *p, char *why, size_t whylen)
{
	char   err[1024];
	bb_err rv;

	if (d->log_file) {
		rv = reload_log_check(conf, err, sizeof(err));
		if (rv != BB_OK) {
			return bb_why(rv, why, whylen, "[log] file: %s", err);
		}
	}
	// The certificate is read again every time, as SIGHUP did before it
	// reread the configuration; the ACLs are rebuilt when they changed.
	rv = gw_server_reload_prepare(r->gw, conf, d->acls.n > 0, &p->gw, why,
	                              whylen);
	if (rv != BB_OK) {
		return rv;
	}
	if (d->n_added + d->n_removed > 0) {
		rv = rpc_pool_prepare(r->pool, conf, &p->pool, why, whylen);
		if (rv != BB_OK) {
			return rv;
		}
		rv = rpc_server_peers_prepare(r->rpc, conf, &p->rpc);
		if (rv != BB_OK) {
			return bb_why(rv, why, whylen, "rpc: %s",
			              bb_strerror(rv));
		}
	}
	return BB_OK;
}

// reload_commit puts every prepared part in force; nothing fails here
// but the log file's second open, which keeps the old file.
static void
reload_commit(bbd_reloader *r, const bb_conf *conf, const bb_conf_diff *d,
              reload_parts *p)
{
	if (d->log_file || d->log_format || d->log_debug) {
		if (bb_log_open(conf->log.file, conf->log.format,
		                conf->log.debug) != BB_OK) {
			bb_log_error("reload: cannot open the log file %s: "
			             "keeping the one in use",
			             conf->log.file);
		}
	}
	gw_server_reload_commit(r->gw, p->gw);
	p->gw = NULL;
	if (p->pool != NULL) {
		rpc_pool_commit(r->pool, p->pool);
		p->pool = NULL;
	}
	if (p->rpc != NULL) {
		rpc_server_peers_commit(r->rpc, p->rpc);
		p->rpc = NULL;
	}
}

void
bbd_reload(bbd_reloader *r)
{
	bb_conf      *conf   = NULL;
	bb_conf_diff *d      = NULL;
	bb_conf     **kept   = NULL;
	char         *errors = NULL;
	reload_parts  parts;
	unsigned long n = r->reloads + r->failures + 1;
	char          why[1024];
	char          what[2048];
	bb_err        rv;

	memset(&parts, 0, sizeof(parts));
	if (r->path == NULL) {
		bb_log_info("reload: running on the embedded default "
		            "configuration: nothing to read again");
		gw_server_reload(r->gw); // the access log, as before
		return;
	}
	rv = bb_conf_load(r->path, &conf, &errors);
	if (rv != BB_OK) {
		reload_errors(n, r->path, errors, rv);
		goto fail;
	}
	// As at start-up: S3 keys from systemd credentials, else the new
	// [aws.*] sections would look changed, and [aws.*] cannot change.
	if (blobbyd_creds_load(conf) != EX_OK) {
		bb_log_error("reload #%lu: config %s refused: S3 credentials",
		             n, r->path);
		goto fail;
	}
	rv = bb_conf_diff_new(r->conf, conf, &d);
	if (rv != BB_OK) {
		bb_log_error("reload #%lu: config %s refused: %s", n, r->path,
		             bb_strerror(rv));
		goto fail;
	}
	if (d->immutable.n > 0) {
		reload_immutable(n, r->path, conf, d);
		goto fail;
	}
	why[0] = '\0';
	rv     = reload_prepare(r, conf, d, &parts, why, sizeof(why));
	if (rv == BB_OK) {
		kept = realloc(r->kept, (r->nkept + 1) * sizeof(*kept));
		rv   = kept == NULL ? BB_ENOMEM : BB_OK;
		if (kept != NULL) {
			r->kept = kept;
		}
	}
	if (rv != BB_OK) {
		bb_log_error(
		    "reload #%lu: config %s refused, the configuration in "
		    "force stays: %s",
		    n, r->path, why[0] != '\0' ? why : bb_strerror(rv));
		goto fail;
	}
	reload_commit(r, conf, d, &parts);
	r->kept[r->nkept++] = conf;
	r->conf             = conf;
	r->reloads++;
	gw_server_count_reload(r->gw, true);
	bb_conf_diff_describe(d, conf, what, sizeof(what));
	bb_log_info("reload #%lu: config %s: %s", n, r->path, what);
	bb_conf_diff_free(d);
	return;

fail:
	r->failures++;
	gw_server_count_reload(r->gw, false);
	parts_free(&parts);
	bb_conf_diff_free(d);
	bb_conf_free(conf);
	free(errors);
}

void
bbd_reloader_fini(bbd_reloader *r)
{
	size_t i;

	for (i = 0; i < r->nkept; i++) {
		bb_conf_free(r->kept[i]);
	}
	free(r->kept);
	r->kept  = NULL;
	r->nkept = 0;
}
