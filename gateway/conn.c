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
// as it would any broken connection.  Each record also keeps the request
// in progress for the access log and lends its responses the server's
// drain state.  Writing the log is accesslog.c's; drain mode drain.c's.
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

struct gw__conn {
	gw__conns       *table;       // the table it is in
	int              fd;          // borrowed from libmicrohttpd
	int64_t          deadline_ns; // monotonic; INT64_MAX: none
	bool             cut;         // shut down already
	bool             begun;       // a request is counted (method)
	gw__method       method;      // of the request in progress
	gw__request_info req;         // the request in progress, for logs
	gw__conn        *prev;
	gw__conn        *next;
};

struct gw__conns {
	int64_t header_ns;
	int64_t body_ns;
	int64_t idle_ns;
	size_t  remote_max;     // connections open before a non-loopback
	                        // client is refused; 0: no limit
	const gw__drain *drain; // borrowed, may be NULL
	pthread_mutex_t  mu;
	pthread_cond_t   cv;
	gw__conn         head; // list sentinel
	size_t           count;
	pthread_t        thread;
	bool             running;
	bool             stopping;
};

// --- The table: deadlines by phase, and the sweep.  No libmicrohttpd
// here, and times come from the caller, so tests drive it. ---

bb_err
gw__conns_new(int64_t header_ns, int64_t body_ns, int64_t idle_ns,
              const gw__drain *drain, gw__conns **tp)
{
	gw__conns *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return BB_ENOMEM;
	}
	t->header_ns = header_ns;
	t->body_ns   = body_ns;
	t->idle_ns   = idle_ns;
	t->drain     = drain;
	t->head.next = &t->head;
	t->head.prev = &t->head;
	(void) pthread_mutex_init(&t->mu, NULL);
	(void) bb_clock_cond_init(&t->cv);
	*tp = t;
	return BB_OK;
}

gw__conn *
gw__conns_add(gw__conns *t, int fd, int64_t now_ns)
{
	gw__conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	c->table = t;
	c->fd    = fd;
	(void) pthread_mutex_lock(&t->mu);
	c->deadline_ns     = now_ns + t->header_ns;
	c->next            = t->head.next;
	c->prev            = &t->head;
	t->head.next->prev = c;
	t->head.next       = c;
	t->count++;
	(void) pthread_mutex_unlock(&t->mu);
	return c;
}

void
gw__conns_remove(gw__conns *t, gw__conn *c)
{
	if (c == NULL) {
		return;
	}
	(void) pthread_mutex_lock(&t->mu);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	t->count--;
	(void) pthread_mutex_unlock(&t->mu);
	free(c);
}

void
gw__conns_enter(gw__conns *t, gw__conn *c, gw__phase phase, int64_t now_ns)
{
	int64_t in;

	in = phase == GW__PHASE_BODY  ? t->body_ns
	    : phase == GW__PHASE_IDLE ? t->idle_ns
	                              : -1;
	(void) pthread_mutex_lock(&t->mu);
	c->deadline_ns = in < 0 ? INT64_MAX : now_ns + in;
	(void) pthread_mutex_unlock(&t->mu);
}

// conns_sweep_locked cuts what is past its deadline; t->mu is held.
static unsigned
conns_sweep_locked(gw__conns *t, int64_t now_ns)
{
	gw__conn *c;
	unsigned  n = 0;

	for (c = t->head.next; c != &t->head; c = c->next) {
		if (!c->cut && now_ns >= c->deadline_ns) {
			// The socket stays open (libmicrohttpd owns it); its
			// reads and writes fail from now on.
			(void) shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			n++;
			bb_log_debug("http: cut off a connection that missed "
			             "its deadline");
		}
	}
	return n;
}

unsigned
gw__conns_sweep(gw__conns *t, int64_t now_ns)
{
	unsigned n;

	(void) pthread_mutex_lock(&t->mu);
	n = conns_sweep_locked(t, now_ns);
	(void) pthread_mutex_unlock(&t->mu);
	return n;
}

void
gw__conns_reserve(gw__conns *t, uint32_t max, uint32_t reserve)
{
	// At most a quarter: a small max_connections (tests, a tiny node)
	// is not given to loopback whole.
	if (reserve > max / 4) {
		reserve = max / 4;
	}
	(void) pthread_mutex_lock(&t->mu);
	t->remote_max = reserve > 0 ? (size_t) max - reserve : 0;
	(void) pthread_mutex_unlock(&t->mu);
}

bool
gw__conns_admit(gw__conns *t, bool loopback)
{
	bool ok;

	if (loopback) {
		return true; // libmicrohttpd's own limits still apply
	}
	(void) pthread_mutex_lock(&t->mu);
	ok = t->remote_max == 0 || t->count < t->remote_max;
	(void) pthread_mutex_unlock(&t->mu);
	return ok;
}

size_t
gw__conns_count(gw__conns *t)
{
	size_t n;

	(void) pthread_mutex_lock(&t->mu);
	n = t->count;
	(void) pthread_mutex_unlock(&t->mu);
	return n;
}

static void *
conns_main(void *arg)
{
	gw__conns      *t = arg;
	struct timespec ts;
	int64_t         next;

	(void) pthread_mutex_lock(&t->mu);
	while (!t->stopping) {
		next = bb_clock_mono_ns();
		(void) conns_sweep_locked(t, next);
		next += CONN_SWEEP_NS;
		ts = bb_clock_ts(next);
		(void) pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	(void) pthread_mutex_unlock(&t->mu);
	return NULL;
}

bb_err
gw__conns_start(int64_t header_ns, int64_t body_ns, int64_t idle_ns,
                const gw__drain *drain, gw__conns **tp)
{
	gw__conns *t = NULL;
	bb_err     rv;

	rv = gw__conns_new(header_ns, body_ns, idle_ns, drain, &t);
	if (rv != BB_OK) {
		return rv;
	}
	if (pthread_create(&t->thread, NULL, conns_main, t) != 0) {
		gw__conns_stop(t);
		return BB_ESYS;
	}
	t->running = true;
	*tp        = t;
	return BB_OK;
}

void
gw__conns_stop(gw__conns *t)
{
	gw__conn *c;
	gw__conn *next;

	if (t == NULL) {
		return;
	}
	if (t->running) {
		(void) pthread_mutex_lock(&t->mu);
		t->stopping = true;
		(void) pthread_cond_signal(&t->cv);
		(void) pthread_mutex_unlock(&t->mu);
		(void) pthread_join(t->thread, NULL);
	}
	for (c = t->head.next; c != &t->head; c = next) {
		next = c->next;
		free(c);
	}
	(void) pthread_cond_destroy(&t->cv);
	(void) pthread_mutex_destroy(&t->mu);
	free(t);
}

// --- The libmicrohttpd side: a record per connection, found through
// the connection's socket context. ---

void
gw__conns_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                 enum MHD_ConnectionNotificationCode code)
{
	gw__conns                      *t = cls;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		// Without a record (no memory): only the inactivity timeout.
		*socket_ctx = info != NULL
		    ? gw__conns_add(t, info->connect_fd, bb_clock_mono_ns())
		    : NULL;
		return;
	}
	gw__conns_remove(t, *socket_ctx);
	*socket_ctx = NULL;
}

// conn_loopback says whether sa is 127.0.0.0/8, ::1 or ::ffff:127.x.
static bool
conn_loopback(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in  *in4;
	const struct sockaddr_in6 *in6;
	const uint8_t             *b;

	if (sa == NULL) {
		return false;
	}
	if (sa->sa_family == AF_INET && len >= sizeof(*in4)) {
		in4 = (const struct sockaddr_in *) sa;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(*in6)) {
		in6 = (const struct sockaddr_in6 *) sa;
		b   = in6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
			return true;
		}
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}

enum MHD_Result
gw__conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	gw__conns *t = cls;

	if (gw__conns_admit(t, conn_loopback(addr, addrlen))) {
		return MHD_YES;
	}
	bb_log_debug("http: refused a connection: the last slots of "
	             "max_connections are kept for loopback");
	return MHD_NO;
}

// conn_of returns the record of conn, or NULL.
static gw__conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

void
gw__conns_phase(gw__conns *t, struct MHD_Connection *conn, gw__phase phase)
{
	gw__conn *c = t != NULL ? conn_of(conn) : NULL;

	if (c != NULL) {
		// Busy has no deadline: no clock read on every request.
		gw__conns_enter(t, c, phase,
		                phase == GW__PHASE_BUSY ? 0
		                                        : bb_clock_mono_ns());
	}
}

void
gw__conn_request_start(struct MHD_Connection *conn, const char *method,
                       const char *url)
{
	const union MHD_ConnectionInfo *ci;
	gw__conn                       *c = conn_of(conn);
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
	gw__conn *c = conn_of(conn);

	if (c == NULL) {
		return false;
	}
	c->req.status = status;
	return gw__drain_on(c->table->drain);
}

bool
gw__conn_request_info(struct MHD_Connection *conn, gw__request_info *ri)
{
	gw__conn *c = conn_of(conn);

	if (c == NULL || c->req.start_ns == 0) {
		return false;
	}
	*ri             = c->req;
	c->req.start_ns = 0; // logged once
	return true;
}

void
gw__conn_request_begin(struct MHD_Connection *conn, gw__method method)
{
	gw__conn *c = conn_of(conn);

	if (c == NULL) {
		return;
	}
	// Only the connection's own thread starts and ends requests; the
	// status may come from another (gw__conn_reply), before the end.
	c->begun      = true;
	c->method     = method;
	c->req.status = 0;
}

bool
gw__conn_request_end(struct MHD_Connection *conn, gw__method *method,
                     unsigned *status)
{
	gw__conn *c = conn_of(conn);

	if (c == NULL || !c->begun) {
		return false;
	}
	c->begun = false;
	*method  = c->method;
	*status  = c->req.status;
	return true;
}

gw__method
gw__conn_method(struct MHD_Connection *conn)
{
	gw__conn *c = conn_of(conn);

	return c != NULL && c->begun ? c->method : GW__M_OTHER;
}
