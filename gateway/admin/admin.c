// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/admin/admin.c -- the operator endpoints under /_: their
// dispatch and access check, /_health, /_shutdown[/start|stop|status]
// and /_id/<ns>/<id>.  /_status and /_metrics render in status.c and
// metrics.c; the ACL module proper (CIDR lists, basic auth) lives apart.
#include <stdio.h>
#include <string.h>

#include "gateway/gateway_impl.h"

// The most an admin page may grow to: far above any real node's, and a
// bound on what a request can make the server allocate.
#define ADMIN_PAGE_MAX (1024 * 1024)

static const char not_found[] = "The URL you are requesting does not exist.";

// admin_health_archive adds the archive line of ns, indented, when its
// uploads keep failing.  It changes no status: reads and inserts go on
// (the files stay on disk), so a load balancer must not take the node
// out for it; monitoring should look for it.
static void
admin_health_archive(bb_buf *b, store_ns *ns)
{
	char why[400];

	if (ns != NULL && store_ns_archive_trouble(ns, why, sizeof(why))) {
		bb_buf_printf(b, "    archive: %s\n", why);
	}
}

// admin_health: every namespace by name, "OK" or "FAILED" with its
// reasons indented; 500 if any failed or the node is draining.
static enum MHD_Result
admin_health(gw_server *g, struct MHD_Connection *conn)
{
	const bb_conf *conf = g->conf;
	bb_buf         b;
	char           why[512];
	const char    *line;
	const char    *nl;
	store_ns      *ns;
	bool           all = true;
	bool           ok;
	size_t         i;

	bb_buf_init(&b, ADMIN_PAGE_MAX);
	if (gw_server_draining(g)) {
		bb_buf_printf(&b, "Server is shutting down.\n");
		all = false;
	}
	// The configuration keeps the namespaces sorted by name.
	for (i = 0; i < conf->n_namespaces; i++) {
		line = conf->namespaces[i].name;
		ns   = store_find_ns(g->st, line, strlen(line));
		ok   = ns == NULL || store_ns_health(ns, why, sizeof(why));
		all  = all && ok;
		bb_buf_printf(&b, "%s: %s\n", line, ok ? "OK" : "FAILED");
		for (line = why; !ok && *line != '\0'; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl == NULL) {
				break;
			}
			bb_buf_printf(&b, "    %.*s\n", (int) (nl - line),
			              line);
		}
		admin_health_archive(&b, ns);
	}
	return gw__reply_buf(
	    conn, all ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR, &b,
	    "text/plain");
}

// admin_health_read (/_health/read): 200 while this node can serve
// reads: not draining, every namespace open.  Peers that are down do
// not fail it: reads then go to the other copies and the archive.
static enum MHD_Result
admin_health_read(gw_server *g, struct MHD_Connection *conn)
{
	const bb_conf *conf = g->conf;
	const char    *name;
	bb_buf         b;
	bool           ok = true;
	size_t         i;

	bb_buf_init(&b, ADMIN_PAGE_MAX);
	if (gw_server_draining(g)) {
		bb_buf_printf(&b, "Server is shutting down.\n");
		ok = false;
	}
	for (i = 0; i < conf->n_namespaces; i++) {
		name = conf->namespaces[i].name;
		if (store_find_ns(g->st, name, strlen(name)) == NULL) {
			bb_buf_printf(&b, "%s: not open\n", name);
			ok = false;
		}
	}
	if (ok) {
		bb_buf_printf(&b, "OK\n");
	}
	return gw__reply_buf(conn,
	                     ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	                     &b, "text/plain");
}

// admin_health_ns writes the insert health of namespace nc to b: enough
// reachable peers for its replicas, and its primaries being created.
static bool
admin_health_ns(gw_server *g, const bb_ns_conf *nc, size_t up, bb_buf *b)
{
	store_ns   *ns = store_find_ns(g->st, nc->name, strlen(nc->name));
	char        why[512] = "";
	const char *line;
	const char *nl;
	bool        ok;

	ok = ns != NULL && store_ns_health(ns, why, sizeof(why));
	if (ns == NULL) {
		(void) snprintf(why, sizeof(why), "not open\n");
	} else if (up < nc->replicas) {
		ok = false;
		(void) snprintf(why + strlen(why), sizeof(why) - strlen(why),
		                "replicas = %u but %zu peer%s reachable\n",
		                (unsigned) nc->replicas, up,
		                up == 1 ? " is" : "s are");
	}
	bb_buf_printf(b, "%s: %s\n", nc->name, ok ? "OK" : "FAILED");
	for (line = why; !ok && *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL) {
			break;
		}
		bb_buf_printf(b, "    %.*s\n", (int) (nl - line), line);
	}
	return ok;
}

// admin_health_insert (/_health/insert[?ns=<name>]): 200 when an insert
// into the namespace (every namespace without ns) can be placed now:
// not draining, as many reachable peers as its replicas, and its last
// primary creation did not fail.  A load balancer sends inserts into a
// namespace only to nodes where this answers 200.
static enum MHD_Result
admin_health_insert(gw_server *g, struct MHD_Connection *conn)
{
	const bb_conf *conf = g->conf;
	const char    *want;
	bb_buf         b;
	size_t         up   = rpc_pool_responsive(g->pool);
	bool           ok   = true;
	bool           seen = false;
	size_t         i;

	want = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "ns");
	bb_buf_init(&b, ADMIN_PAGE_MAX);
	if (gw_server_draining(g)) {
		bb_buf_printf(&b, "Server is shutting down.\n");
		ok = false;
	}
	for (i = 0; i < conf->n_namespaces; i++) {
		if (want != NULL &&
		    strcmp(want, conf->namespaces[i].name) != 0) {
			continue;
		}
		seen = true;
		ok   = admin_health_ns(g, &conf->namespaces[i], up, &b) && ok;
	}
	if (want != NULL && !seen) {
		bb_buf_fini(&b);
		return gw__reply(conn, MHD_HTTP_NOT_FOUND,
		                 "Name space does not exist.");
	}
	return gw__reply_buf(conn,
	                     ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	                     &b, "text/plain");
}

// admin_refuse_method answers 405 with Allow: allow: a HEAD on an
// endpoint that changes state (HEAD must not do what GET does there), a
// POST on one that changes nothing.
static enum MHD_Result
admin_refuse_method(struct MHD_Connection *conn, const char *allow)
{
	struct MHD_Response *resp;
	static const char    msg[] = "Unsupported method.\n";

	resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *) msg,
	                                       MHD_RESPMEM_PERSISTENT);
	if (resp != NULL) {
		(void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		                               allow);
	}
	return gw__queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp,
	                 "text/plain");
}

// admin_shutdown: /_shutdown and /_shutdown/start enter drain mode,
// /_shutdown/stop leaves it, /_shutdown/status reports (the original's texts).
// GET is the original's; a browser sends POST cross-site only with an
// Origin, which the same-origin check refuses.
static enum MHD_Result
admin_shutdown(gw_server *g, struct MHD_Connection *conn, const char *rest,
               const char *method)
{
	const char *why;
	bool        was;

	if (strcmp(rest, "/status") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
			return admin_refuse_method(conn, "GET, HEAD");
		}
		return gw__reply(conn, MHD_HTTP_OK,
		                 gw_server_draining(g)
		                     ? "server is shutting down."
		                     : "server is not shutting down.");
	}
	if (strcmp(rest, "") != 0 && strcmp(rest, "/start") != 0 &&
	    strcmp(rest, "/stop") != 0) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "Invalid request.");
	}
	if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
		return admin_refuse_method(conn, "GET, POST");
	}
	if (!gw__guard_same_origin(conn, &why)) {
		return gw__reply(conn, MHD_HTTP_FORBIDDEN, why);
	}
	if (strcmp(rest, "/stop") == 0) {
		was = gw_server_set_draining(g, false);
		return gw__reply(conn, MHD_HTTP_OK,
		                 was ? "server is no longer shutting down."
		                     : "server was not shutting down.");
	}
	was = gw_server_set_draining(g, true);
	return gw__reply(conn, MHD_HTTP_OK,
	                 was ? "already shutting down." : "shutting down.");
}

// admin_bad_id explains why idstr is not an id.
static enum MHD_Result
admin_bad_id(struct MHD_Connection *conn, const char *idstr)
{
	char   msg[160];
	size_t n = strlen(idstr);

	if (n != STORE_ID_SHORT_LEN && n != STORE_ID_LONG_LEN &&
	    n != STORE_ID_SIGNED_SHORT_LEN && n != STORE_ID_SIGNED_LONG_LEN) {
		(void) snprintf(msg, sizeof(msg),
		                "Invalid ID: an ID has %d or %d characters "
		                "(%d or %d signed), not %zu.",
		                STORE_ID_SHORT_LEN, STORE_ID_LONG_LEN,
		                STORE_ID_SIGNED_SHORT_LEN,
		                STORE_ID_SIGNED_LONG_LEN, n);
	} else {
		(void) snprintf(msg, sizeof(msg),
		                "Invalid ID: not base64url, or not the "
		                "encoding of an ID.");
	}
	return gw__reply(conn, MHD_HTTP_BAD_REQUEST, msg);
}

// admin_peer_name is the [remote.<id>] name of machine, or "?".
static const char *
admin_peer_name(const bb_conf *conf, uint32_t machine)
{
	size_t i;

	for (i = 0; i < conf->n_remotes; i++) {
		if (conf->remotes[i].id == machine) {
			return conf->remotes[i].name;
		}
	}
	return "?";
}

// admin_where says where a read of id is served from now: it runs the
// read policy (gw__locate), asking the nodes and the archive as a read
// would, and reports its decision.
static void
admin_where(gw_server *g, store_ns *ns, const store_id *id, bb_buf *b)
{
	const bb_conf  *conf = atomic_load(&g->peers); // peers in force
	store_file_info info;
	gw__loc         loc;
	bb_err          rv;

	rv = gw__locate(g, ns, id, &loc);
	if (rv == BB_OK) {
		gw__loc_release(&loc);
	}
	switch (loc.from) {
	case GW__FROM_LOCAL:
		if (store_ns_locate(ns, id, &info) == BB_OK) {
			bb_buf_printf(b,
			              "This ID is served locally by a %s that "
			              "is in the %s state.\n",
			              info.primary ? "primary" : "replica",
			              info.state);
			return;
		}
		bb_buf_printf(b, "This ID is served locally.\n");
		return;
	case GW__FROM_OWNER:
		bb_buf_printf(b,
		              "This ID is not held locally: a read is "
		              "forwarded to machine %u (%s), its owner.\n",
		              (unsigned) loc.peer,
		              admin_peer_name(conf, loc.peer));
		return;
	case GW__FROM_REPLICA:
		bb_buf_printf(b,
		              "This ID is not held locally: a read is "
		              "forwarded to machine %u (%s), which holds a "
		              "replica.\n",
		              (unsigned) loc.peer,
		              admin_peer_name(conf, loc.peer));
		return;
	case GW__FROM_ARCHIVE:
		bb_buf_printf(
		    b,
		    "This ID is not held locally%s: a read is "
		    "served from the archive.\n",
		    loc.machine == conf->machine_id ||
		            (g->pool != NULL &&
		             rpc_pool_peer(g->pool, loc.machine) != NULL)
		        ? ""
		        : " and its machine is not a peer of this "
		          "node");
		return;
	case GW__FROM_NONE:
		break;
	}
	bb_buf_printf(b, "This ID is not served now: a read answers %u (%s)\n",
	              loc.status != 0 ? loc.status : 500,
	              loc.msg != NULL ? loc.msg : bb_strerror(rv));
}

// admin_id: what an id names and where it is now (/_id/<ns>/<id>).
static enum MHD_Result
admin_id(gw_server *g, struct MHD_Connection *conn, const char *rest)
{
	const bb_ns_conf *nc;
	const char       *slash;
	const char       *idstr;
	store_ns         *ns;
	store_id          id;
	bb_buf            b;
	char              fid[STORE_FID_STRLEN + 1];
	char              key[1024];
	uint8_t           tag[STORE_ID_TAG_LEN];
	bool              is_signed = false;
	bb_err            rv;

	// rest is "/<ns>/<id>": exactly two non-empty parts.
	slash = rest[0] == '/' ? strchr(rest + 1, '/') : NULL;
	if (slash == NULL || slash == rest + 1 || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "Expected path: /_id/<namespace>/<id>");
	}
	idstr = slash + 1;
	ns    = store_find_ns(g->st, rest + 1, (size_t) (slash - rest - 1));
	if (ns == NULL) {
		return gw__reply(conn, MHD_HTTP_NOT_FOUND,
		                 "Name space does not exist.");
	}
	if (store_id_decode(idstr, strlen(idstr), &id, &is_signed, tag) !=
	    BB_OK) {
		return admin_bad_id(conn, idstr);
	}
	nc = store_ns_conf(ns);
	bb_buf_init(&b, ADMIN_PAGE_MAX);
	bb_buf_printf(&b,
	              "Name space: %s\nFile ID: %s\nMachine ID: %u\n"
	              "Start offset: %llu\nLength: %u\n",
	              nc->name, store_fid_format(&id.fid, fid),
	              (unsigned) store_fid_machine(&id.fid),
	              (unsigned long long) id.start, (unsigned) id.length);
	// What the tag means here, before anything else: a read of an id
	// whose tag does not verify answers 404 whatever the file holds.
	rv = store_ns_id_parse(ns, idstr, strlen(idstr), &id);
	if (store_ns_signs_ids(ns)) {
		bb_buf_printf(&b, "Signed: %s\n",
		              rv == BB_OK ? "yes, the tag verifies"
		                  : is_signed
		                  ? "the tag does not verify: reads "
		                    "answer 404"
		                  : "no, but this namespace signs its "
		                    "ids: reads answer 404");
	} else if (is_signed) {
		bb_buf_printf(&b,
		              "Signed: yes, but this namespace does not "
		              "sign ids: reads answer 400\n");
	}
	// The original printed the base path where the bucket belongs.
	rv = store_ns_archive_key(ns, &id.fid, key, sizeof(key));
	if (rv != BB_OK) {
		bb_buf_printf(&b, "Archive destination: none (%s)\n",
		              bb_strerror(rv));
	} else if (nc->archive == BB_ARCHIVE_S3) {
		bb_buf_printf(&b, "Archive destination: s3://%s/%s\n",
		              nc->s3_bucket, key);
	} else {
		bb_buf_printf(&b, "Archive destination: %s/%s\n",
		              nc->archive_directory, key);
	}
	admin_where(g, ns, &id, &b);
	return gw__reply_buf(conn, MHD_HTTP_OK, &b, "text/plain");
}

// admin_format reads ?format= of /_status: json, text (the default), or
// anything else (an error).
static int
admin_format(struct MHD_Connection *conn)
{
	const char *f;

	f = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	if (f == NULL || strcmp(f, "text") == 0) {
		return 0;
	}
	return strcmp(f, "json") == 0 ? 1 : -1;
}

// The endpoints: the first part of the path after "/_" and the ACL of
// [server] that guards it.
typedef enum { EP_HEALTH, EP_STATUS, EP_METRICS, EP_SHUTDOWN, EP_ID } admin_ep;

static const struct {
	const char   *name;
	admin_ep      ep;
	gw__admin_acl acl;
} endpoints[] = {
	{ "health", EP_HEALTH, GW__ACL_HEALTH },
	{ "status", EP_STATUS, GW__ACL_STATUS },
	{ "metrics", EP_METRICS, GW__ACL_STATUS },
	{ "shutdown", EP_SHUTDOWN, GW__ACL_SHUTDOWN },
	{ "id", EP_ID, GW__ACL_DEBUG },
};

enum MHD_Result
gw__admin(gw_server *g, struct MHD_Connection *conn, const char *url,
          const char *method)
{
	const char     *name = url + 2; // after "/_"
	size_t          n    = strcspn(name, "/");
	const char     *rest = name + n;
	enum MHD_Result ret;
	bool            allowed;
	size_t          i;
	int             fmt;

	// As the original, the first part alone picks the endpoint:
	// /_health/anything is still /_health.
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		if (strlen(endpoints[i].name) == n &&
		    strncmp(name, endpoints[i].name, n) == 0) {
			break;
		}
	}
	if (i == sizeof(endpoints) / sizeof(endpoints[0])) {
		return gw__reply(conn, MHD_HTTP_NOT_FOUND, not_found);
	}
	ret = gw__access_check_admin(g, endpoints[i].acl, conn, &allowed);
	if (!allowed) {
		return ret;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
	    endpoints[i].ep != EP_SHUTDOWN) {
		return admin_refuse_method(conn, "GET, HEAD");
	}
	switch (endpoints[i].ep) {
	case EP_HEALTH:
		// /_health/read and /_health/insert for load balancers;
		// anything else under /_health is /_health, as before.
		if (strcmp(rest, "/read") == 0) {
			return admin_health_read(g, conn);
		}
		if (strcmp(rest, "/insert") == 0) {
			return admin_health_insert(g, conn);
		}
		return admin_health(g, conn);
	case EP_METRICS:
		// The original's names stay at /_metrics/legacy (the
		// original served /_metrics/<anything> as /_metrics, so a
		// scrape of that path works against both).
		return gw__metrics(g, conn, strcmp(rest, "/legacy") == 0);
	case EP_ID:
		return admin_id(g, conn, rest);
	case EP_SHUTDOWN:
		return admin_shutdown(g, conn, rest, method);
	case EP_STATUS:
		break;
	}
	fmt = admin_format(conn);
	if (fmt < 0) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "Unknown format: use format=json or "
		                 "format=text.");
	}
	return gw__status(g, conn, fmt == 1);
}
