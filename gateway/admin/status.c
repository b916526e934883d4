// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/admin/status.c -- /_status: every file of every namespace with its
// state and size, as the original's text or as JSON
// (?format=json).  It reads storage through store_ns_foreach only.
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/units.h"
#include "gateway/gateway_impl.h"

// Bounds on what one request may make the server hold: the files listed
// per namespace and the size of the page.
#define STATUS_FILES_MAX (256 * 1024)
#define STATUS_PAGE_MAX  (64 * 1024 * 1024)

// One file as listed, with its fid printed once for sorting.
typedef struct status_file {
	store_file_info info;
	char            fid[STORE_FID_STRLEN + 1];
} status_file;

// The files of one namespace, collected under its map lock.
typedef struct status_list {
	status_file *v; // owned
	size_t       n;
	size_t       cap;
	bool         truncated; // STATUS_FILES_MAX or memory ran out
} status_list;

// status_collect is the store_ns_foreach callback: it only copies, as
// the namespace's lock is held meanwhile.
static void
status_collect(const store_file_info *info, void *arg)
{
	status_list *l = arg;
	status_file *v;
	size_t       cap;

	if (l->n == l->cap) {
		cap = l->cap > 0 ? l->cap * 2 : 64;
		v   = l->n < STATUS_FILES_MAX ? realloc(l->v, cap * sizeof(*v))
		                              : NULL;
		if (v == NULL) {
			l->truncated = true;
			return;
		}
		l->v   = v;
		l->cap = cap;
	}
	l->v[l->n].info = *info;
	(void) store_fid_format(&info->fid, l->v[l->n].fid);
	l->n++;
}

static int
status_cmp(const void *a, const void *b)
{
	const status_file *x = a;
	const status_file *y = b;
	int                c = strcmp(x->fid, y->fid);

	// A node that is its own replica has <fid> and r-<fid>: primary
	// first, so the order does not depend on the map.
	if (c == 0) {
		c = (int) x->info.replica - (int) y->info.replica;
	}
	return c;
}

// status_list_ns collects and sorts the files of ns.
static void
status_list_ns(store_ns *ns, status_list *l)
{
	memset(l, 0, sizeof(*l));
	store_ns_foreach(ns, status_collect, l);
	if (l->n > 1) {
		qsort(l->v, l->n, sizeof(l->v[0]), status_cmp);
	}
}

// status_peer_name is the configured name of peer machine id (the
// original printed its remotes' names), or NULL.
static const char *
status_peer_name(const bb_conf *conf, uint32_t id)
{
	size_t i;

	for (i = 0; i < conf->n_remotes; i++) {
		if (conf->remotes[i].id == id) {
			return conf->remotes[i].name;
		}
	}
	return NULL;
}

// status_text_file prints one file line: primaries with their age and
// replicas' peers, replicas with state and size only (as the original).
static void
status_text_file(const bb_conf *conf, bb_buf *b, const status_file *f,
                 int64_t now_wall)
{
	const store_file_info *fi = &f->info;
	const char            *peer;
	char                   size[32];
	char                   age[32];
	uint32_t               i;

	bb_buf_printf(b, "        %s state=%s size=%s", f->fid, fi->state,
	              bb_format_bytes(fi->size, size, sizeof(size)));
	if (fi->primary && fi->first_insert_wall_ns != 0) {
		// Whole seconds: nanoseconds only make the line longer.
		int64_t d = now_wall - fi->first_insert_wall_ns;
		d         = d > 0 ? d - d % BB_NS_PER_SEC : 0;
		bb_buf_printf(b, " oldest=%s",
		              bb_format_duration(d, age, sizeof(age)));
	}
	for (i = 0; fi->primary && i < fi->nrepl; i++) {
		peer = status_peer_name(conf, fi->repl[i]);
		bb_buf_printf(b, "%s", i == 0 ? " remotes=" : ",");
		if (peer != NULL) {
			bb_buf_printf(b, "%s", peer);
		} else {
			bb_buf_printf(b, "machine-%u", (unsigned) fi->repl[i]);
		}
	}
	bb_buf_printf(b, "\n");
}

// status_text_ns prints one namespace: "Primaries:" (files made here for
// appends) and "Replicas:" (every other file, as the original counts
// files recovered at start-up among its replicas); empty sections are
// left out.
static void
status_text_ns(const bb_conf *conf, bb_buf *b, const char *name,
               const status_list *l, int64_t now_wall)
{
	size_t i;
	int    pass;
	bool   head;

	bb_buf_printf(b, "%s:\n", name);
	for (pass = 0; pass < 2; pass++) {
		head = false;
		for (i = 0; i < l->n; i++) {
			if (l->v[i].info.primary != (pass == 0)) {
				continue;
			}
			if (!head) {
				bb_buf_printf(b, "    %s:\n",
				              pass == 0 ? "Primaries"
				                        : "Replicas");
				head = true;
			}
			status_text_file(conf, b, &l->v[i], now_wall);
		}
	}
	if (l->truncated) {
		bb_buf_printf(b, "    (more files not listed)\n");
	}
}

// status_json_ns prints one namespace as a JSON object.
static void
status_json_ns(bb_buf *b, const char *name, const status_list *l)
{
	const store_file_info *fi;
	size_t                 i;
	uint32_t               k;

	bb_buf_printf(b, "{\"name\":");
	bb_buf_json_str(b, name);
	bb_buf_printf(b, ",\"truncated\":%s,\"files\":[",
	              l->truncated ? "true" : "false");
	for (i = 0; i < l->n; i++) {
		fi = &l->v[i].info;
		bb_buf_printf(b, "%s{\"fid\":", i == 0 ? "" : ",");
		bb_buf_json_str(b, l->v[i].fid);
		bb_buf_printf(b, ",\"replica\":%s,\"primary\":%s,\"state\":",
		              fi->replica ? "true" : "false",
		              fi->primary ? "true" : "false");
		bb_buf_json_str(b, fi->state);
		bb_buf_printf(b,
		              ",\"size\":%llu,\"first_insert_unix_ns\":%lld,"
		              "\"remotes\":[",
		              (unsigned long long) fi->size,
		              (long long) fi->first_insert_wall_ns);
		for (k = 0; k < fi->nrepl; k++) {
			bb_buf_printf(b, "%s%u", k == 0 ? "" : ",",
			              (unsigned) fi->repl[k]);
		}
		bb_buf_printf(b, "]}");
	}
	bb_buf_printf(b, "]}");
}

enum MHD_Result
gw__status(gw_server *g, struct MHD_Connection *conn, bool json)
{
	const bb_conf *conf     = g->conf;
	int64_t        now_wall = bb_clock_wall_ns();
	bool           draining = gw_server_draining(g);
	const char    *name;
	status_list    l;
	store_ns      *ns;
	bb_buf         b;
	size_t         i;
	size_t         shown = 0;

	bb_buf_init(&b, STATUS_PAGE_MAX);
	if (json) {
		bb_buf_printf(&b, "{\"shutting_down\":%s,\"namespaces\":[",
		              draining ? "true" : "false");
	} else if (draining) {
		bb_buf_printf(&b, "This server is shutting down.\n\n");
	}
	// The configuration keeps the namespaces sorted by name.
	for (i = 0; i < conf->n_namespaces; i++) {
		name = conf->namespaces[i].name;
		ns   = store_find_ns(g->st, name, strlen(name));
		if (ns == NULL) {
			continue;
		}
		status_list_ns(ns, &l);
		if (json) {
			bb_buf_printf(&b, "%s", shown == 0 ? "" : ",");
			status_json_ns(&b, name, &l);
		} else {
			status_text_ns(atomic_load(&g->peers), &b, name, &l,
			               now_wall);
		}
		free(l.v);
		shown++;
	}
	if (json) {
		bb_buf_printf(&b, "]}\n");
	}
	return gw__reply_buf(conn, MHD_HTTP_OK, &b,
	                     json ? "application/json" : "text/plain");
}
