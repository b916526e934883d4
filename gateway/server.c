// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/server.c -- the libmicrohttpd daemon: options, the dispatch by
// method and path, per-request clean-up, and drain mode.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/gateway_impl.h"

// The connection's memory pool holds the request head and the body chunk
// being read.  libmicrohttpd 0.9.75 clears the whole pool between requests
// on a connection, so a large pool costs on every request: 1 MiB halved
// the request rate in tools/bench.  The head is limited by it as well.
#define GW_MEM_MIN (8 * 1024)
#define GW_MEM_MAX (32 * 1024)

static _Thread_local char gw_errbuf[256];

// The con_cls of a read: it has no state of its own.
static gw__req gw_read_marker;

// The server whose access handler runs on this thread: every response is
// queued from inside it, and gw__queue needs the drain state without a
// server argument on every error path.
static _Thread_local gw_server *gw_current;

__attribute__((format(printf, 2, 0))) static void
gw_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char   msg[512];
	size_t n;

	(void) cls;
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
		msg[--n] = '\0';
	}
	bb_log_warn("http: %s", msg);
}

static void
gw_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	gw_server       *g   = cls;
	gw__req         *req = *con_cls;
	gw__request_info ri;

	(void) toe;
	// The connection may wait for its next request, for idle_timeout.
	gw__guard_phase(g->guard, conn, GW__PHASE_IDLE);
	if (g->alog != NULL && gw__guard_request_info(conn, &ri)) {
		gw__alog_write(g->alog, &ri);
	}
	if (req == NULL || req == &gw_read_marker) {
		return;
	}
	// A client that went away mid-body leaves its spool here.
	store_spool_free(req->spool);
	free(req);
	*con_cls = NULL;
}

static enum MHD_Result
gw_access(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *data,
          size_t *size, void **con_cls)
{
	gw_server *g   = cls;
	gw__req   *req = *con_cls;

	(void) version;
	gw_current = g;
	if (req == &gw_read_marker) {
		if (*size > 0) {
			// A body on GET or HEAD means nothing: drop it, and
			// answer once it is over (libmicrohttpd takes no
			// response while body data is pending).
			*size = 0;
			return MHD_YES;
		}
		if (url[0] == '/' && url[1] == '_') {
			return gw__admin(g, conn, url, method);
		}
		return gw__read(g, conn, url);
	}
	if (req != NULL) {
		if (*size == 0) {
			// The whole body is in: storing it may take long.
			gw__guard_phase(g->guard, conn, GW__PHASE_BUSY);
		}
		return gw__insert_body(g, conn, req, data, size);
	}
	if (g->alog != NULL) {
		// Only the access log needs it: no copies on the hot path
		// otherwise.
		gw__guard_request_start(conn, method, url);
	}
	// The head is in: a body has read_timeout, the rest is answering.
	gw__guard_phase(g->guard, conn,
	                strcmp(method, MHD_HTTP_METHOD_POST) == 0
	                    ? GW__PHASE_BODY
	                    : GW__PHASE_BUSY);
	if (url[0] != '/') {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST, "Invalid path.");
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
		req = calloc(1, sizeof(*req));
		if (req == NULL) {
			return MHD_NO;
		}
		*con_cls = req;
		return gw__insert_begin(g, conn, url, req);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
		// Answering on the first call makes libmicrohttpd close the
		// connection (it cannot know the request has no body yet), so
		// reads answer on the second call and keep the connection.
		*con_cls = &gw_read_marker;
		return MHD_YES;
	}
	// The replication methods of the original are RPCs now.
	return gw__reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
	                 "Unsupported method.");
}

gw_server *
gw__current(void)
{
	return gw_current;
}

bool
gw_server_set_draining(gw_server *g, bool on)
{
	bool was;

	(void) pthread_mutex_lock(&g->drain_mu);
	was = atomic_exchange(&g->draining, on);
	if (was != on) {
		bb_log_info("drain mode %s",
		            on ? "on: shutting down"
		               : "off: serving normally");
		if (g->drain_fn != NULL) {
			g->drain_fn(g->drain_arg, on);
		}
	}
	(void) pthread_mutex_unlock(&g->drain_mu);
	return was;
}

bool
gw_server_draining(const gw_server *g)
{
	return atomic_load(&g->draining);
}

// gw_sockaddr turns addr:port into a socket address, IPv4 or IPv6.
static bb_err
gw_sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
            bool *v6)
{
	struct sockaddr_in  *sin  = (struct sockaddr_in *) ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port   = htons(port);
		*v6             = false;
		return BB_OK;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port   = htons(port);
		*v6               = true;
		return BB_OK;
	}
	return BB_EINVAL;
}

// gw_threads picks the worker count: inserts block their thread while
// they write, so a few more threads than cores keep reads flowing.
static unsigned
gw_threads(const bb_server_conf *sc)
{
	long n;

	if (sc->threads > 0) {
		return sc->threads;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1) {
		n = 1;
	}
	return n * 2 < 4 ? 4 : (unsigned) n * 2;
}

bb_err
gw_server_start(const bb_conf *conf, store *st, rpc_pool *pool,
                gw_drain_fn drain_fn, void *drain_arg, gw_server **gp,
                const char **errmsg)
{
	const bb_server_conf       *sc = &conf->server;
	struct sockaddr_storage     ss;
	const union MHD_DaemonInfo *info;
	gw_server                  *g;
	unsigned                    flags;
	size_t                      mem;
	bool                        v6;
	int64_t                     timeout_s;
	bb_err                      rv;

	if (errmsg != NULL) {
		*errmsg = NULL;
	}
	if (gw_sockaddr(sc->addr, sc->port, &ss, &v6) != BB_OK) {
		(void) snprintf(gw_errbuf, sizeof(gw_errbuf),
		                "server.addr '%s' is not an IP address",
		                sc->addr);
		if (errmsg != NULL) {
			*errmsg = gw_errbuf;
		}
		return BB_EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return BB_ENOMEM;
	}
	g->conf      = conf;
	g->st        = st;
	g->pool      = pool;
	g->drain_fn  = drain_fn;
	g->drain_arg = drain_arg;
	atomic_init(&g->inflight, 0);
	atomic_init(&g->draining, false);
	(void) pthread_mutex_init(&g->drain_mu, NULL);

	rv = gw__access_new(conf, &g->access, errmsg);
	if (rv == BB_OK) {
		rv = gw__guard_start(sc->read_header_timeout_ns,
		                     sc->read_timeout_ns, sc->idle_timeout_ns,
		                     &g->guard);
	}
	if (rv == BB_OK && sc->has_access_log) {
		rv = gw__alog_open(&sc->access_log, &g->alog);
		if (rv != BB_OK && errmsg != NULL) {
			(void) snprintf(gw_errbuf, sizeof(gw_errbuf),
			                "access log %s: %s",
			                sc->access_log.file, bb_strerror(rv));
			*errmsg = gw_errbuf;
		}
	}
	if (rv == BB_OK && sc->tls) {
		rv = gw__tls_new(sc, &g->tls, gw_errbuf, sizeof(gw_errbuf));
		if (rv != BB_OK && errmsg != NULL) {
			*errmsg = gw_errbuf;
		}
	}
	if (rv != BB_OK) {
		gw_server_stop(g);
		return rv;
	}
	mem       = sc->max_header_bytes;
	mem       = mem < GW_MEM_MIN ? GW_MEM_MIN
	          : mem > GW_MEM_MAX ? GW_MEM_MAX
	                             : mem;
	timeout_s = sc->read_timeout_ns / BB_NS_PER_SEC;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) |
	    (g->tls != NULL ? MHD_USE_TLS : 0);
	// The logger goes first so that MHD reports nothing through its own.
	g->mhd = MHD_start_daemon(
	    flags, sc->port, NULL, NULL, gw_access, g,
	    MHD_OPTION_EXTERNAL_LOGGER, gw_mhd_log, g, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *) &ss, MHD_OPTION_THREAD_POOL_SIZE,
	    gw_threads(sc), MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned) sc->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned) (timeout_s > 0 ? timeout_s : 1),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
	    MHD_OPTION_NOTIFY_COMPLETED, gw_completed, g,
	    MHD_OPTION_NOTIFY_CONNECTION, gw__guard_notify, g->guard,
	    // Without HTTPS the list ends here.
	    g->tls != NULL ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END,
	    gw__tls_callback(), MHD_OPTION_END);
	if (g->mhd == NULL) {
		(void) snprintf(
		    gw_errbuf, sizeof(gw_errbuf),
		    "cannot listen on %s port %u (in use, or not an address "
		    "of this machine?)",
		    sc->addr, (unsigned) sc->port);
		if (errmsg != NULL) {
			*errmsg = gw_errbuf;
		}
		gw_server_stop(g);
		return BB_EUNAVAIL;
	}
	info    = MHD_get_daemon_info(g->mhd, MHD_DAEMON_INFO_BIND_PORT);
	g->port = info != NULL ? info->port : sc->port;
	*gp     = g;
	return BB_OK;
}

void
gw_server_reload(gw_server *g)
{
	gw__access_refresh(g->access);
	gw__tls_reload(g->tls);
	gw__alog_reopen(g->alog);
}

uint16_t
gw_server_port(const gw_server *g)
{
	return g->port;
}

void
gw_server_quiesce(gw_server *g)
{
	MHD_socket s;

	s = MHD_quiesce_daemon(g->mhd);
	if (s != MHD_INVALID_SOCKET) {
		(void) close(s);
	}
}

unsigned
gw_server_inflight(const gw_server *g)
{
	return atomic_load(&g->inflight);
}

void
gw_server_stop(gw_server *g)
{
	if (g == NULL) {
		return;
	}
	if (g->mhd != NULL) {
		MHD_stop_daemon(g->mhd);
	}
	// After the daemon: no connection is left to notify the guard.
	gw__guard_stop(g->guard);
	gw__access_free(g->access);
	gw__tls_free(g->tls);
	gw__alog_close(g->alog);
	(void) pthread_mutex_destroy(&g->drain_mu);
	free(g);
}
