// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/check.c -- the checks that need more than one key or the
// whole file: ACLs, [server], remotes, AWS profiles, namespaces and their
// directories, then sorting the records.  The key tables and the checks
// of single keys are schema.c's, parsing one value value.c's.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf/conf.h"
#include "common/conf/conf_impl.h"

// report reports "[<section>]: <msg>" on key's line (see bb__conf_key_line())
// when bad is true.
static void
report(bb__conf_parser *p, const bb__conf_sect *s, bool bad, const char *key,
       const char *msg)
{
	if (bad) {
		bb__conf_error(p, bb__conf_key_line(s, key), "[%s]: %s",
		               s->name, msg);
	}
}

static void
check_acl(bb__conf_parser *p, const bb__conf_sect *s, const bb_acl_conf *a)
{
	bool cidrs = a->white_list_cidrs.n > 0 ||
	    bb__conf_key_seen(s, "white_list_cidrs") < 0;
	bool file = a->basic_auth_htpasswd_file != NULL ||
	    bb__conf_key_seen(s, "basic_auth_htpasswd_file") < 0;

	report(p, s, a->white_list_required && !cidrs, "white_list_required",
	       "white_list_required needs white_list_cidrs");
	report(p, s, a->allow_x_forwarded_from_cidrs.n > 0 && !cidrs,
	       "allow_x_forwarded_from_cidrs",
	       "allow_x_forwarded_from_cidrs needs white_list_cidrs");
	report(p, s, a->basic_auth_required && !file, "basic_auth_required",
	       "basic_auth_required needs basic_auth_htpasswd_file");
	report(p, s, a->basic_auth_user_tags.n > 0 && !file,
	       "basic_auth_user_tags",
	       "basic_auth_user_tags needs basic_auth_htpasswd_file");
}

static void
check_server(bb__conf_parser *p)
{
	bb_server_conf *srv = &p->conf->server;
	long            si  = bb__conf_find_sect(p, "server");
	bb__conf_sect  *s;
	bool            files;

	if (srv->rpc_addr == NULL && srv->addr != NULL) {
		srv->rpc_addr = bb__conf_strdup(p, srv->addr);
	}
	if (si < 0) {
		return; // all defaults, and they agree with each other
	}
	s     = &p->sects[si];
	files = srv->tls_certificate_file != NULL ||
	    srv->tls_private_key_file != NULL;
	report(p, s, srv->tls && srv->tls_certificate_file == NULL, "tls",
	       "tls = true needs tls_certificate_file");
	report(p, s, srv->tls && srv->tls_private_key_file == NULL, "tls",
	       "tls = true needs tls_private_key_file");
	report(p, s, !srv->tls && bb__conf_key_seen(s, "tls") >= 0 && files,
	       "tls", "a TLS certificate or key is given but tls is not true");
	report(p, s, srv->rpc_tls && srv->rpc_tls_certificate_file == NULL,
	       "rpc_tls", "rpc_tls = true needs rpc_tls_certificate_file");
	report(p, s, srv->rpc_tls && srv->rpc_tls_private_key_file == NULL,
	       "rpc_tls", "rpc_tls = true needs rpc_tls_private_key_file");
	report(p, s, srv->rpc_tls && srv->rpc_tls_ca_file == NULL, "rpc_tls",
	       "rpc_tls = true needs rpc_tls_ca_file (the CA of the nodes' "
	       "certificates)");
	report(p, s,
	       !srv->rpc_tls &&
	           (srv->rpc_tls_certificate_file != NULL ||
	            srv->rpc_tls_private_key_file != NULL ||
	            srv->rpc_tls_ca_file != NULL),
	       "rpc_tls_certificate_file",
	       "an RPC TLS file is given but rpc_tls is not true");
	if (srv->addr != NULL && srv->rpc_addr != NULL &&
	    strcmp(srv->addr, srv->rpc_addr) == 0 && srv->port != 0 &&
	    srv->port == srv->rpc_port) {
		bb__conf_error(p, bb__conf_key_line(s, "rpc_port"),
		               "[server]: port and rpc_port are both %u on %s",
		               (unsigned) srv->port, srv->addr);
	}
}

static void
check_remote(bb__conf_parser *p, const bb__conf_sect *s, bb_remote_conf *r)
{
	char buf[80];

	report(p, s, r->tls_insecure_skip_verify && !r->tls,
	       "tls_insecure_skip_verify",
	       "tls_insecure_skip_verify needs tls = true");
	report(p, s, r->verify_host != NULL && !r->tls, "verify_host",
	       "verify_host needs tls = true");
	if (r->name == NULL && r->host != NULL) {
		(void) snprintf(buf, sizeof(buf),
		                strchr(r->host, ':') != NULL ? "[%s]:%u"
		                                             : "%s:%u",
		                r->host, (unsigned) r->rpc_port);
		r->name = bb__conf_strdup(p, buf);
	}
}

static void
check_aws(bb__conf_parser *p, const bb__conf_sect *s, const bb_aws_conf *a)
{
	int methods = (a->key_id != NULL || a->secret_key != NULL) +
	    (a->profile != NULL) + a->from_environment + a->from_ec2_role;

	report(p, s, (a->key_id == NULL) != (a->secret_key == NULL), NULL,
	       "key_id and secret_key go together");
	report(p, s, methods > 1, NULL,
	       "give at most one credential method: key_id and secret_key, "
	       "profile, from_environment or from_ec2_role");
}

static void
check_ns(bb__conf_parser *p, const bb__conf_sect *s, bb_ns_conf *ns)
{
	const bb_conf *c       = p->conf;
	bool           archive = bb__conf_key_seen(s, "archive") >= 0;
	bool           s3      = archive && ns->archive == BB_ARCHIVE_S3;
	bool           aws     = false;
	size_t         i;

	report(p, s,
	       archive && ns->archive == BB_ARCHIVE_DIR &&
	           !ns->archive_directory &&
	           bb__conf_key_seen(s, "archive_directory") == 0,
	       "archive", "archive = dir needs archive_directory");
	report(p, s,
	       s3 && !ns->aws_profile &&
	           bb__conf_key_seen(s, "aws_profile") == 0,
	       "archive", "archive = s3 needs aws_profile");
	report(p, s,
	       s3 && !ns->s3_bucket && bb__conf_key_seen(s, "s3_bucket") == 0,
	       "archive", "archive = s3 needs s3_bucket");
	for (i = 0; ns->aws_profile != NULL && i < c->n_aws; i++) {
		aws = aws || strcmp(c->aws[i].name, ns->aws_profile) == 0;
	}
	if (ns->aws_profile != NULL && !aws) {
		bb__conf_error(
		    p, bb__conf_key_line(s, "aws_profile"),
		    "[%s]: aws_profile: there is no [aws.%s] section", s->name,
		    ns->aws_profile);
	}
	report(p, s,
	       bb__conf_key_seen(s, "compress_level") > 0 && !ns->compress &&
	           bb__conf_key_seen(s, "compress") >= 0,
	       "compress_level", "compress_level needs compress = true");
	if (bb__conf_key_seen(s, "max_open_files") == 0) {
		ns->max_open_files = ns->min_open_files;
	} else if (bb__conf_key_seen(s, "max_open_files") > 0 &&
	           ns->max_open_files < ns->min_open_files) {
		bb__conf_error(
		    p, bb__conf_key_line(s, "max_open_files"),
		    "[%s]: max_open_files (%u) is below min_open_files (%u)",
		    s->name, ns->max_open_files, ns->min_open_files);
	}
	report(p, s,
	       ns->orphan_timeout_ns <= ns->heart_beat_interval_ns &&
	           bb__conf_key_seen(s, "orphan_timeout") >= 0 &&
	           bb__conf_key_seen(s, "heart_beat_interval") >= 0,
	       bb__conf_key_seen(s, "orphan_timeout") > 0
	           ? "orphan_timeout"
	           : "heart_beat_interval",
	       "orphan_timeout must be longer than heart_beat_interval");
	if (ns->replicas > c->n_remotes &&
	    bb__conf_key_seen(s, "replicas") >= 0) {
		bb__conf_error(
		    p, bb__conf_key_line(s, "replicas"),
		    "[%s]: replicas = %u needs at least %u [remote.<id>] "
		    "sections but there are %zu: add [remote.<id>] sections "
		    "or lower replicas",
		    s->name, ns->replicas, ns->replicas, c->n_remotes);
	}
	for (i = 0; ns->directory != NULL && &c->namespaces[i] != ns; i++) {
		if (c->namespaces[i].directory != NULL &&
		    strcmp(c->namespaces[i].directory, ns->directory) == 0) {
			bb__conf_error(
			    p, bb__conf_key_line(s, "directory"),
			    "[%s]: directory is also the directory of "
			    "[namespace.%s]",
			    s->name, c->namespaces[i].name);
		}
	}
}

// path_abs writes path as an absolute path with no "", "." or ".."
// elements into out (len bytes), relative paths taken from the working
// directory (which the daemon keeps).  Lexical only: a symbolic link can
// still hide an overlap.  false if it does not fit.
static bool
path_abs(const char *path, char *out, size_t len)
{
	char   buf[8192];
	char  *save = NULL;
	char  *el;
	size_t n = 0;

	buf[0] = '\0';
	if (path[0] != '/' && getcwd(buf, sizeof(buf) / 2) == NULL) {
		return false;
	}
	if (strlen(buf) + strlen(path) + 2 > sizeof(buf)) {
		return false;
	}
	(void) strcat(buf, "/");
	(void) strcat(buf, path);
	out[0] = '\0';
	for (el = strtok_r(buf, "/", &save); el != NULL;
	     el = strtok_r(NULL, "/", &save)) {
		if (strcmp(el, ".") == 0) {
			continue;
		}
		if (strcmp(el, "..") == 0) {
			while (n > 0 && out[--n] != '/') {
			}
			out[n] = '\0';
			continue;
		}
		if (n + strlen(el) + 2 > len) {
			return false;
		}
		out[n++] = '/';
		(void) strcpy(out + n, el);
		n += strlen(el);
	}
	if (n == 0 && len > 1) {
		(void) strcpy(out, "/");
	}
	return true;
}

// paths_overlap says whether a and b are the same directory or one holds
// the other.
static bool
paths_overlap(const char *a, const char *b)
{
	char   x[4096];
	char   y[4096];
	size_t nx;
	size_t ny;

	if (!path_abs(a, x, sizeof(x)) || !path_abs(b, y, sizeof(y))) {
		return false;
	}
	nx = strlen(x);
	ny = strlen(y);
	if (nx > ny) {
		return strncmp(x, y, ny) == 0 && (x[ny] == '/' || ny == 1);
	}
	return strncmp(x, y, nx) == 0 &&
	    (y[nx] == '/' || y[nx] == '\0' || nx == 1);
}

// check_archive_dir refuses an archive directory that is, holds or lies
// in a namespace directory: objects named like data files would be taken
// for them (and a data file for its own archived copy).
static void
check_archive_dir(bb__conf_parser *p, const bb__conf_sect *s,
                  const bb_ns_conf *ns)
{
	const bb_conf *c = p->conf;
	size_t         i;

	if (ns->archive != BB_ARCHIVE_DIR || ns->archive_directory == NULL) {
		return;
	}
	for (i = 0; i < c->n_namespaces; i++) {
		if (c->namespaces[i].directory != NULL &&
		    paths_overlap(ns->archive_directory,
		                  c->namespaces[i].directory)) {
			bb__conf_error(
			    p, bb__conf_key_line(s, "archive_directory"),
			    "[%s]: archive_directory overlaps the directory "
			    "of [namespace.%s]; give the archive a directory "
			    "of its own",
			    s->name, c->namespaces[i].name);
		}
	}
}

static int
ns_cmp(const void *a, const void *b)
{
	const bb_ns_conf *x = a;
	const bb_ns_conf *y = b;

	return strcmp(x->name, y->name);
}

static int
remote_cmp(const void *a, const void *b)
{
	const bb_remote_conf *x = a;
	const bb_remote_conf *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void
bb__conf_finish(bb__conf_parser *p)
{
	size_t         i;
	bb__conf_sect *s;
	void          *base;

	check_server(p);
	for (i = 0; i < p->n_sects; i++) {
		s    = &p->sects[i];
		base = bb__conf_base(p->conf, s->kind, s->index, s->acl_off);
		bb__conf_check_required(p, s);
		if (s->kind == BB__CONF_SERVER_ACL ||
		    s->kind == BB__CONF_NS_ACL) {
			check_acl(p, s, base);
		} else if (s->kind == BB__CONF_REMOTE) {
			check_remote(p, s, base);
		} else if (s->kind == BB__CONF_AWS) {
			check_aws(p, s, base);
		} else if (s->kind == BB__CONF_NS) {
			check_ns(p, s, base);
			check_archive_dir(p, s, base);
		}
	}
	if (p->conf->n_namespaces == 0) {
		bb__conf_error(
		    p, 0,
		    "no [namespace.<name>] section: at least one namespace is "
		    "required");
	}
	// Last, as the checks above name records by index.
	if (p->conf->n_namespaces > 1) {
		qsort(p->conf->namespaces, p->conf->n_namespaces,
		      sizeof(p->conf->namespaces[0]), ns_cmp);
	}
	if (p->conf->n_remotes > 1) {
		qsort(p->conf->remotes, p->conf->n_remotes,
		      sizeof(p->conf->remotes[0]), remote_cmp);
	}
}
