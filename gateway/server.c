// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/server.c -- the libmicrohttpd daemon: its options, start, reload
// and stop, and the parts the server owns (ACLs, connection table, TLS,
// access log).  Requests are dispatched in route.c; drain mode is
// drain.c's.
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
#include "storage/spool.h"

// The connection's memory pool holds the request head and the body chunk
// being read.  libmicrohttpd 0.9.75 clears the whole pool between requests
// on a connection, so a large pool costs on every request: 1 MiB halved
// the request rate in tools/bench.  The head is limited by it as well.
#define GW_MEM_MIN (8 * 1024)
#define GW_MEM_MAX (32 * 1024)

// How long gw_server_stop waits for the operations in flight (inserts,
// forwards): longer than any of their deadlines.
#define GW_STOP_PARK_NS (INT64_C(120) * BB_NS_PER_SEC)

__attribute__((format(printf, 2, 0))) static void
server_mhd_log(void *cls, const char *fmt, va_list ap)
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

// server_sockaddr turns addr:port into a socket address, IPv4 or IPv6.
static bb_err
server_sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
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

// server_threads picks the worker count.  No thread waits on the network
// (a replicated insert or a forward parks its connection, park.c), but
// a local insert holds its thread while it writes, so a few more threads
// than cores keep reads flowing.
static unsigned
server_threads(const bb_server_conf *sc)
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
                char *why, size_t whylen)
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

	if (server_sockaddr(sc->addr, sc->port, &ss, &v6) != BB_OK) {
		return bb_why(BB_EINVAL, why, whylen,
		              "server.addr '%s' is not an IP address",
		              sc->addr);
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return bb_why(BB_ENOMEM, why, whylen, "%s",
		              bb_strerror(BB_ENOMEM));
	}
	g->conf = conf;
	atomic_init(&g->peers, conf);
	g->st   = st;
	g->pool = pool;
	atomic_init(&g->inflight, 0);
	atomic_init(&g->parked, 0);
	gw__drain_init(&g->drain, drain_fn, drain_arg);

	rv = gw__access_new(conf, &g->access, why, whylen);
	if (rv != BB_OK) {
		goto fail;
	}
	rv = gw__hstats_new(&g->hstats);
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen, "%s", bb_strerror(rv));
		goto fail;
	}
	rv = gw__conns_start(sc->read_header_timeout_ns, sc->read_timeout_ns,
	                     sc->idle_timeout_ns, &g->drain, &g->conns);
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen, "%s", bb_strerror(rv));
		goto fail;
	}
	gw__conns_reserve(g->conns, sc->max_connections,
	                  sc->loopback_reserved_connections);
	if (sc->has_access_log) {
		rv = gw__alog_open(&sc->access_log, &g->alog);
		if (rv != BB_OK) {
			(void) bb_why(rv, why, whylen, "access log %s: %s",
			              sc->access_log.file, bb_strerror(rv));
			goto fail;
		}
	}
	if (sc->tls) {
		rv = gw__tls_new(sc, &g->tls, why, whylen);
		if (rv != BB_OK) {
			goto fail;
		}
	}
	mem       = sc->max_header_bytes;
	mem       = mem < GW_MEM_MIN ? GW_MEM_MIN
	          : mem > GW_MEM_MAX ? GW_MEM_MAX
	                             : mem;
	timeout_s = sc->read_timeout_ns / BB_NS_PER_SEC;
	// Suspend and resume need the ITC, which wakes a worker thread
	// when another thread resumes one of its connections.
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	    (v6 ? MHD_USE_IPv6 : 0) | (g->tls != NULL ? MHD_USE_TLS : 0);
	// The logger goes first so that MHD reports nothing through its own.
	// A flood of idle connections from one address holds at most
	// max_connections_per_address slots (0: no limit; more are accepted
	// and closed at once), and one from many addresses leaves the
	// loopback reserve free for a local /_health probe.
	g->mhd = MHD_start_daemon(
	    flags, sc->port, gw__conns_accept, g->conns, gw__route_access, g,
	    MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, g,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
	    MHD_OPTION_THREAD_POOL_SIZE, server_threads(sc),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned) sc->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned) sc->max_connections_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned) (timeout_s > 0 ? timeout_s : 1),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
	    MHD_OPTION_NOTIFY_COMPLETED, gw__route_completed, g,
	    MHD_OPTION_NOTIFY_CONNECTION, gw__conns_notify, g->conns,
	    // Without HTTPS the list ends here.
	    g->tls != NULL ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END,
	    gw__tls_callback(), MHD_OPTION_END);
	if (g->mhd == NULL) {
		rv = bb_why(BB_EUNAVAIL, why, whylen,
		            "cannot listen on %s port %u (in use, or not an "
		            "address of this machine?)",
		            sc->addr, (unsigned) sc->port);
		goto fail;
	}
	info    = MHD_get_daemon_info(g->mhd, MHD_DAEMON_INFO_BIND_PORT);
	g->port = info != NULL ? info->port : sc->port;
	*gp     = g;
	return BB_OK;

fail:
	gw_server_stop(g);
	return rv;
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
	// libmicrohttpd must not be stopped with a connection suspended:
	// the inserts and forwards in flight end first, each by its own
	// deadline.  If one still did not, the daemon is left running (the
	// process is exiting) rather than aborted.
	if (g->mhd != NULL && !gw__park_drain(g, GW_STOP_PARK_NS)) {
		bb_log_error("http: %u requests still wait for storage or "
		             "peers; not stopping the HTTP server",
		             atomic_load(&g->parked));
		g->mhd = NULL;
		return;
	}
	if (g->mhd != NULL) {
		MHD_stop_daemon(g->mhd);
	}
	// After the daemon: no connection is left to notify the table.
	gw__conns_stop(g->conns);
	gw__access_free(g->access);
	gw__tls_free(g->tls);
	gw__alog_close(g->alog);
	gw__hstats_free(g->hstats);
	gw__drain_fini(&g->drain);
	free(g);
}
