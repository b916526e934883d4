// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/conn.c -- deadlines for whole phases of a connection, which
// libmicrohttpd does not have: its timeout is for inactivity, so a client
// that sends one byte every few seconds (slowloris) would hold a
// connection forever.  Each connection gets a deadline: its request head
// must arrive within read_header_timeout, a request's body within
// read_timeout, and the next request of a kept-alive connection must start
// within idle_timeout.  While a request is handled and its answer sent,
// only libmicrohttpd's inactivity timeout applies (a large download may
// take long; one that stalls does not).  A sweeper thread shuts down the
// socket of a connection past its deadline; libmicrohttpd then closes it
// as it would any broken connection.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/gateway_impl.h"

#define CONN_SWEEP_NS (200 * BB_NS_PER_MS)

typedef struct conn_rec conn_rec;

struct conn_rec {
	gw__conns       *table; // the table it is in
	int              fd;
	int64_t          deadline_ns; // monotonic
	bool             cut;         // shut down already
	gw__request_info req;         // the request in progress, for logs
	conn_rec        *prev;
	conn_rec        *next;
};

struct gw__conns {
	int64_t          header_ns;
	int64_t          body_ns;
	int64_t          idle_ns;
	const gw__drain *drain; // borrowed, may be NULL
	pthread_mutex_t  mu;
	pthread_cond_t   cv;
	conn_rec         head; // list sentinel
	pthread_t        thread;
	bool             running;
	bool             stopping;
	atomic_ullong    cut; // connections cut off, for metrics
};

static void *
conns_main(void *arg)
{
	gw__conns      *g = arg;
	conn_rec       *c;
	struct timespec ts;
	int64_t         now;
	int64_t         next;

	(void) pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		now = bb_clock_mono_ns();
		for (c = g->head.next; c != &g->head; c = c->next) {
			if (!c->cut && now >= c->deadline_ns) {
				// The socket stays open (libmicrohttpd owns
				// it); its reads and writes fail from now on.
				(void) shutdown(c->fd, SHUT_RDWR);
				c->cut = true;
				bb_log_debug("http: cut off a connection that "
				             "missed its deadline");
			}
		}
		next       = now + CONN_SWEEP_NS;
		ts.tv_sec  = (time_t) (next / BB_NS_PER_SEC);
		ts.tv_nsec = (long) (next % BB_NS_PER_SEC);
		(void) pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	(void) pthread_mutex_unlock(&g->mu);
	return NULL;
}

bb_err
gw__conns_start(int64_t header_ns, int64_t body_ns, int64_t idle_ns,
                const gw__drain *drain, gw__conns **gp)
{
	pthread_condattr_t ca;
	gw__conns         *g;

	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return BB_ENOMEM;
	}
	g->header_ns = header_ns;
	g->body_ns   = body_ns;
	g->idle_ns   = idle_ns;
	g->drain     = drain;
	g->head.next = &g->head;
	g->head.prev = &g->head;
	(void) pthread_mutex_init(&g->mu, NULL);
	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&g->cv, &ca);
	(void) pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, conns_main, g) != 0) {
		gw__conns_stop(g);
		return BB_ESYS;
	}
	g->running = true;
	*gp        = g;
	return BB_OK;
}

void
gw__conns_stop(gw__conns *g)
{
	conn_rec *c;
	conn_rec *next;

	if (g == NULL) {
		return;
	}
	if (g->running) {
		(void) pthread_mutex_lock(&g->mu);
		g->stopping = true;
		(void) pthread_cond_signal(&g->cv);
		(void) pthread_mutex_unlock(&g->mu);
		(void) pthread_join(g->thread, NULL);
	}
	for (c = g->head.next; c != &g->head; c = next) {
		next = c->next;
		free(c);
	}
	(void) pthread_cond_destroy(&g->cv);
	(void) pthread_mutex_destroy(&g->mu);
	free(g);
}

void
gw__conns_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                 enum MHD_ConnectionNotificationCode code)
{
	gw__conns                      *g = cls;
	conn_rec                       *c = *socket_ctx;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		c = calloc(1, sizeof(*c));
		if (c == NULL || info == NULL) {
			free(c); // unguarded: only the inactivity timeout
			return;
		}
		c->table = g;
		c->fd    = info->connect_fd;
		(void) pthread_mutex_lock(&g->mu);
		c->deadline_ns     = bb_clock_mono_ns() + g->header_ns;
		c->next            = g->head.next;
		c->prev            = &g->head;
		g->head.next->prev = c;
		g->head.next       = c;
		(void) pthread_mutex_unlock(&g->mu);
		*socket_ctx = c;
		return;
	}
	if (c == NULL) {
		return;
	}
	(void) pthread_mutex_lock(&g->mu);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	(void) pthread_mutex_unlock(&g->mu);
	free(c);
	*socket_ctx = NULL;
}

// conn_of returns the record of conn, or NULL.
static conn_rec *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

void
gw__conns_phase(gw__conns *g, struct MHD_Connection *conn, gw__phase phase)
{
	conn_rec *c = g != NULL ? conn_of(conn) : NULL;
	int64_t   in;

	if (c == NULL) {
		return;
	}
	in = phase == GW__PHASE_BODY  ? g->body_ns
	    : phase == GW__PHASE_IDLE ? g->idle_ns
	                              : -1;
	(void) pthread_mutex_lock(&g->mu);
	c->deadline_ns = in < 0 ? INT64_MAX : bb_clock_mono_ns() + in;
	(void) pthread_mutex_unlock(&g->mu);
}

void
gw__conn_request_start(struct MHD_Connection *conn, const char *method,
                       const char *url)
{
	const union MHD_ConnectionInfo *ci;
	conn_rec                       *c = conn_of(conn);
	const struct sockaddr          *sa;

	if (c == NULL) {
		return;
	}
	// Only the connection's own thread touches req.
	memset(&c->req, 0, sizeof(c->req));
	c->req.start_ns = bb_clock_mono_ns();
	(void) snprintf(c->req.method, sizeof(c->req.method), "%s", method);
	(void) snprintf(c->req.path, sizeof(c->req.path), "%s", url);
	(void) snprintf(c->req.client, sizeof(c->req.client), "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci != NULL ? ci->client_addr : NULL;
	if (sa != NULL && sa->sa_family == AF_INET) {
		(void) inet_ntop(AF_INET,
		                 &((const struct sockaddr_in *) sa)->sin_addr,
		                 c->req.client, sizeof(c->req.client));
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		(void) inet_ntop(
		    AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr,
		    c->req.client, sizeof(c->req.client));
	}
}

bool
gw__conn_reply(struct MHD_Connection *conn, unsigned status)
{
	conn_rec *c = conn_of(conn);

	if (c == NULL) {
		return false;
	}
	c->req.status = status;
	return gw__drain_on(c->table->drain);
}

bool
gw__conn_request_info(struct MHD_Connection *conn, gw__request_info *ri)
{
	conn_rec *c = conn_of(conn);

	if (c == NULL || c->req.start_ns == 0) {
		return false;
	}
	*ri             = c->req;
	c->req.start_ns = 0; // logged once
	return true;
}
