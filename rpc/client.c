// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/client.c -- the requester side of one peer: a req0 socket that
// dials in the background, a bounded pool of nng_ctx (one outstanding
// request each) and calls in two halves, start and finish, so that a
// caller can have calls to several peers in flight at once.  Every call
// runs as one state machine in the callback of its context's aio (send,
// then receive, then unpack); a blocking call waits for it, an
// asynchronous one (rpc_peer_call_async) hears of it through its own
// callback, and waits for a free context in a queue instead of a thread.
#include <errno.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/rpc_impl.h"

// A req0 dialer has one connection at a time; a few slots cover the
// moment when an old pipe is not yet reported gone and a new one is up.
#define RPC_PEER_MAX_PIPES 8

// Redial a peer that is down after a random 0-100 ms, always: no
// exponential backoff (NNG's grows to reconnect-time-max when that is
// set), so a peer that comes back is used again within 100 ms.  A peer
// that stays down costs a refused connect every 50 ms on average.
#define RPC_RECONN_MS 100

typedef struct rpc_slot {
	nng_ctx          ctx;
	nng_aio         *aio;  // owned; its callback is rpc_slot_cb
	struct rpc_peer *peer; // the peer it belongs to
	rpc_call        *call; // the call on it (under peer->mu)
	bool             busy; // under peer->mu
	bool             recv; // the operation posted is the receive
} rpc_slot;

struct rpc_peer {
	char           *url; // owned
	nng_socket      sock;
	bool            sock_open;
	atomic_int      npipes;  // live connections, read without a lock
	pthread_mutex_t pipe_mu; // guards pipe_ids
	uint32_t        pipe_ids[RPC_PEER_MAX_PIPES]; // counted; 0 = free
	atomic_bool     unresponsive; // set by the pool's health checks
	pthread_mutex_t mu;           // guards slots[], gen, the queue, nwait
	pthread_cond_t  cv;           // a slot was freed
	uint64_t        gen;          // bumped when calls in flight are failed
	rpc_slot       *slots; // owned array of nctx + 1: the last is probes'
	unsigned        nctx;  // slots for calls (the probe slot apart)
	unsigned        nwait; // blocking callers waiting for a slot
	rpc_call       *qhead; // asynchronous calls waiting for a slot
	rpc_call       *qtail;
	bool            locks_init;
};

struct rpc_call {
	rpc_peer  *peer;
	rpc_slot  *slot; // NULL while queued
	rpc_method m;
	uint64_t   gen;         // peer->gen when the slot was taken
	int64_t    deadline_ns; // monotonic
	bool       canceled;    // under peer->mu: post nothing more
	nng_msg   *req;         // owned while queued for a slot
	rpc_call  *qnext;       // in the peer's queue
	// How the call ends: cb (asynchronous; it frees the call then), or,
	// for a blocking call, done, rv and resp under peer->mu, and cv.
	rpc_call_done     cb;
	void             *arg;
	bool              done;
	bb_err            rv;
	ProtobufCMessage *resp; // owned until rpc_call_finish hands it over
	pthread_cond_t    cv;
	bool              cv_init;
};

// Calls that end with an error once peer->mu is let go (their callbacks
// may not run under it), chained through qnext, rv in their rv.
typedef struct rpc_failed {
	rpc_call *head;
} rpc_failed;

static void   rpc_call_end(rpc_call *c, bb_err rv, ProtobufCMessage *resp);
static bb_err rpc_call_post_locked(rpc_call *c, nng_msg *msg);
static void   rpc_slot_cb(void *arg);

// rpc_peer_fail_calls fails every call in flight on p with NNG error e;
// a call between its send and its receive sees gen change instead
// (rpc_call_post).  When p's last connection is gone: NNG fails a request
// already sent on it by itself (no resends, see rpc_peer_open), but one
// queued in the moment between the drop and this notice would wait for a
// connection until its deadline.  When p stops answering: its calls
// would wait out their deadlines.
static void
rpc_peer_fail_calls(rpc_peer *p, int e)
{
	rpc_call *q;
	rpc_call *next;
	unsigned  i;

	(void) pthread_mutex_lock(&p->mu);
	p->gen++;
	for (i = 0; i <= p->nctx; i++) {
		if (p->slots[i].busy) {
			nng_aio_abort(p->slots[i].aio, e);
		}
	}
	// The calls waiting for a slot would go to the same peer.
	q        = p->qhead;
	p->qhead = NULL;
	p->qtail = NULL;
	(void) pthread_mutex_unlock(&p->mu);
	for (; q != NULL; q = next) {
		next = q->qnext;
		rpc_call_end(q, e == NNG_ECLOSED ? BB_ECLOSED : BB_EUNAVAIL,
		             NULL);
	}
}

// rpc_peer_pipe_cb counts live connections.  NNG reports REM_POST for a
// pipe that was rejected before ADD_POST too, so a pipe is uncounted only
// if it was counted: the ids table says which.
static void
rpc_peer_pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	rpc_peer *p    = arg;
	uint32_t  id   = (uint32_t) nng_pipe_id(pipe);
	bool      lost = false;
	size_t    i;

	(void) pthread_mutex_lock(&p->pipe_mu);
	for (i = 0; i < RPC_PEER_MAX_PIPES; i++) {
		if (ev == NNG_PIPE_EV_ADD_POST && p->pipe_ids[i] == 0) {
			p->pipe_ids[i] = id;
			atomic_fetch_add(&p->npipes, 1);
			break;
		}
		if (ev == NNG_PIPE_EV_REM_POST && p->pipe_ids[i] == id) {
			p->pipe_ids[i] = 0;
			lost           = atomic_fetch_sub(&p->npipes, 1) == 1;
			break;
		}
	}
	(void) pthread_mutex_unlock(&p->pipe_mu);
	if (lost) {
		rpc_peer_fail_calls(p, NNG_ECONNRESET);
	}
}

// rpc_ms_left returns the milliseconds until deadline_ns, rounded up, or
// 0 when it has passed.
static nng_duration
rpc_ms_left(int64_t deadline_ns)
{
	int64_t left = deadline_ns - bb_clock_mono_ns();

	if (left <= 0) {
		return 0;
	}
	left = (left + BB_NS_PER_MS - 1) / BB_NS_PER_MS;
	return left > INT32_MAX ? INT32_MAX : (nng_duration) left;
}

bb_err
rpc_peer_open(const char *url, unsigned nctx, rpc_peer **pp)
{
	return rpc_peer_open_conf(url, nctx, NULL, pp, NULL, 0);
}

// rpc_peer_host copies the host of url ("tcp://h:p", "tls+tcp://[h]:p")
// into host; false if url has no such form.
static bool
rpc_peer_host(const char *url, char *host, size_t len)
{
	const char *h = strstr(url, "://");
	const char *end;
	size_t      n;

	if (h == NULL) {
		return false;
	}
	h += 3;
	if (*h == '[') {
		h++;
		end = strchr(h, ']');
	} else {
		end = strrchr(h, ':');
	}
	if (end == NULL || end <= h) {
		return false;
	}
	n = (size_t) (end - h);
	if (n >= len) {
		return false;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	return true;
}

// rpc_peer_bind makes dialer d connect from [server] rpc_addr when that
// is a specific address fit for url's host (rpc__allow_source): a peer
// knows who calls by the address a connection comes from, and a node
// with several addresses (nodes of one host on 127.0.0.2, 127.0.0.3...)
// would otherwise call from whichever the kernel picks.  Best effort: a
// failure is logged and the kernel picks.
static void
rpc_peer_bind(nng_dialer d, const bb_conf *conf, const char *url)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0,    0,
		                            0, 0, 0, 0, 0xff, 0xff };
	nng_sockaddr         sa;
	bb_ip                src;
	char                 host[BB_IP_TEXT + 1];
	int                  rv;

	if (!rpc_peer_host(url, host, sizeof(host)) ||
	    !rpc__allow_source(conf, host, &src)) {
		return;
	}
	memset(&sa, 0, sizeof(sa));
	if (memcmp(src.a, prefix, sizeof(prefix)) == 0) {
		sa.s_in.sa_family = NNG_AF_INET;
		memcpy(&sa.s_in.sa_addr, src.a + 12, 4); // network order
	} else {
		sa.s_in6.sa_family = NNG_AF_INET6;
		memcpy(sa.s_in6.sa_addr, src.a, 16);
	}
	rv = nng_dialer_set_addr(d, NNG_OPT_LOCADDR, &sa);
	if (rv != 0) {
		bb_log_warn("rpc: cannot call %s from rpc_addr %s (%s): the "
		            "peer may refuse this node's replica calls",
		            url, conf->server.rpc_addr, nng_strerror(rv));
	}
}

bb_err
rpc_peer_open_conf(const char *url, unsigned nctx, const bb_conf *conf,
                   rpc_peer **pp, char *why, size_t whylen)
{
	nng_tls_config    *tls = NULL;
	nng_dialer         d;
	pthread_condattr_t ca;
	rpc_peer          *p = NULL;
	rpc_slot          *sl;
	unsigned           i;
	int                rv         = 0;
	bool               tls_failed = false; // it wrote why itself
	bb_err             err;

	if (url == NULL || nctx == 0) {
		return bb_why(BB_EINVAL, why, whylen,
		              "rpc: a peer needs a url and a context");
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return bb_why(BB_ENOMEM, why, whylen,
		              "rpc: cannot open a peer for %s: %s", url,
		              bb_strerror(BB_ENOMEM));
	}
	atomic_init(&p->npipes, 0);
	atomic_init(&p->unresponsive, false);
	(void) pthread_mutex_init(&p->pipe_mu, NULL);
	(void) pthread_mutex_init(&p->mu, NULL);
	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&p->cv, &ca);
	(void) pthread_condattr_destroy(&ca);
	p->locks_init = true;
	p->url        = strdup(url);
	p->slots      = calloc(nctx + 1, sizeof(*p->slots));
	if (p->url == NULL || p->slots == NULL) {
		err = BB_ENOMEM;
		goto fail;
	}
	rv = nng_req0_open(&p->sock);
	if (rv != 0) {
		err = rpc__err_from_nng(rv);
		goto fail;
	}
	p->sock_open = true;
	// Set the limit explicitly: NNG's default (1 MiB) is not ours.
	rv = nng_socket_set_size(p->sock, NNG_OPT_RECVMAXSZ, RPC_MAX_MSG);
	if (rv == 0) {
		rv = nng_socket_set_ms(p->sock, NNG_OPT_RECONNMINT,
		                       RPC_RECONN_MS);
	}
	if (rv == 0) {
		rv = nng_socket_set_ms(p->sock, NNG_OPT_RECONNMAXT, 0);
	}
	if (rv == 0) {
		rv = nng_pipe_notify(p->sock, NNG_PIPE_EV_ADD_POST,
		                     rpc_peer_pipe_cb, p);
	}
	if (rv == 0) {
		rv = nng_pipe_notify(p->sock, NNG_PIPE_EV_REM_POST,
		                     rpc_peer_pipe_cb, p);
	}
	if (rv != 0) {
		err = rpc__err_from_nng(rv);
		goto fail;
	}
	p->nctx = nctx;
	for (i = 0; i <= nctx; i++) {
		sl       = &p->slots[i];
		sl->peer = p;
		rv       = nng_aio_alloc(&sl->aio, rpc_slot_cb, sl);
		if (rv == 0) {
			rv = nng_ctx_open(&sl->ctx, p->sock);
		}
		// No resends.  With a resend time NNG sends the request
		// again every period while the first is still being served
		// (a Replicate behind a slow disk: more load exactly when the
		// peer is slow), and when a connection drops it parks the
		// request until a new one comes, so a call to a dead peer
		// would wait out its whole deadline.  With none (nng 1.5), a
		// dropped connection fails the call at once (NNG_ECONNRESET)
		// and the deadline bounds a slow peer.  A request may still
		// arrive twice (a caller retries, another client resends):
		// every call is idempotent anyway.
		if (rv == 0) {
			rv = nng_ctx_set_ms(sl->ctx, NNG_OPT_REQ_RESENDTIME,
			                    NNG_DURATION_INFINITE);
		}
		if (rv != 0) {
			err = rpc__err_from_nng(rv);
			goto fail;
		}
	}
	rv = nng_dialer_create(&d, p->sock, url);
	if (rv == 0 && conf != NULL && conf->server.rpc_tls) {
		err = rpc__tls_config(conf, false, &tls, why, whylen);
		if (err != BB_OK) {
			tls_failed = true;
			goto fail;
		}
		rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls);
		nng_tls_config_free(tls); // the dialer holds its own reference
	}
	if (rv == 0 && conf != NULL) {
		rpc_peer_bind(d, conf, url);
	}
	// In the background: a peer that is down now is not an error.
	if (rv == 0) {
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	}
	if (rv != 0) {
		err = rpc__err_from_nng(rv);
		goto fail;
	}
	*pp = p;
	return BB_OK;

fail:
	if (!tls_failed) {
		(void) bb_why(err, why, whylen,
		              "rpc: cannot open a peer for %s: %s", url,
		              rv != 0 ? nng_strerror(rv) : bb_strerror(err));
	}
	rpc_peer_close(p);
	return err;
}

void
rpc_peer_close(rpc_peer *p)
{
	unsigned i;

	if (p == NULL) {
		return;
	}
	// Asynchronous calls still queued for a slot end here.
	if (p->locks_init && p->slots != NULL) {
		rpc_peer_fail_calls(p, NNG_ECLOSED);
	}
	// nng_close returns after every pipe is gone and its callbacks ran.
	if (p->sock_open) {
		(void) nng_close(p->sock);
	}
	for (i = 0; p->slots != NULL && i <= p->nctx; i++) {
		if (p->slots[i].aio != NULL) {
			nng_aio_free(p->slots[i].aio);
		}
	}
	if (p->locks_init) {
		(void) pthread_cond_destroy(&p->cv);
		(void) pthread_mutex_destroy(&p->mu);
		(void) pthread_mutex_destroy(&p->pipe_mu);
	}
	free(p->slots);
	free(p->url);
	free(p);
}

bool
rpc_peer_connected(const rpc_peer *p)
{
	return atomic_load(&p->npipes) > 0;
}

bool
rpc_peer_responsive(const rpc_peer *p)
{
	return rpc_peer_connected(p) && !atomic_load(&p->unresponsive);
}

bool
rpc__peer_set_responsive(rpc_peer *p, bool on)
{
	if (atomic_exchange(&p->unresponsive, !on) == !on) {
		return false;
	}
	if (!on) {
		rpc_peer_fail_calls(p, NNG_ETIMEDOUT);
	}
	return true;
}

void
rpc__peer_abort(rpc_peer *p)
{
	rpc_peer_fail_calls(p, NNG_ECLOSED);
}

const char *
rpc_peer_url(const rpc_peer *p)
{
	return p->url;
}

// rpc_peer_take waits until deadline_ns for a free slot: the probe slot
// for a probe, one of the others for a call, so that calls that hang on
// every slot cannot keep the probe that finds them out from being sent.
// On BB_OK *slp is marked busy for c and c->gen is the generation;
// BB_EBUSY when none was free in time.  Blocking callers only.
static bb_err
rpc_peer_take(rpc_peer *p, bool probe, rpc_call *c)
{
	struct timespec ts;
	bool            last = false;
	bb_err          rv   = BB_EBUSY;
	unsigned        end  = probe ? p->nctx + 1 : p->nctx;
	unsigned        i;

	ts.tv_sec  = (time_t) (c->deadline_ns / BB_NS_PER_SEC);
	ts.tv_nsec = (long) (c->deadline_ns % BB_NS_PER_SEC);
	(void) pthread_mutex_lock(&p->mu);
	for (;;) {
		for (i = probe ? p->nctx : 0; i < end && rv != BB_OK; i++) {
			if (!p->slots[i].busy) {
				p->slots[i].busy = true;
				p->slots[i].call = c;
				c->slot          = &p->slots[i];
				c->gen           = p->gen;
				rv               = BB_OK;
			}
		}
		if (rv == BB_OK || last) {
			break;
		}
		// After the deadline, look once more, then give up.  While
		// it waits, a freed slot goes to it before the queue.
		p->nwait++;
		last =
		    pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT;
		p->nwait--;
	}
	(void) pthread_mutex_unlock(&p->mu);
	return rv;
}

// rpc_failed_add notes that c ends with rv once peer->mu is let go.
static void
rpc_failed_add(rpc_failed *f, rpc_call *c, bb_err rv)
{
	c->rv    = rv;
	c->qnext = f->head;
	f->head  = c;
}

// rpc_failed_run ends the calls of f; peer->mu is not held.
static void
rpc_failed_run(rpc_failed *f)
{
	rpc_call *c;

	while (f->head != NULL) {
		c       = f->head;
		f->head = c->qnext;
		rpc_call_end(c, c->rv, NULL);
	}
}

// rpc_peer_give_locked frees sl (p->mu held): to a blocking caller that
// waits for a slot first (a thread is held meanwhile), else to the first
// asynchronous call of the queue, whose send it posts; calls of the
// queue past their deadline, or that cannot be posted, go to f.
static void
rpc_peer_give_locked(rpc_peer *p, rpc_slot *sl, rpc_failed *f)
{
	int64_t   now = 0;
	rpc_call *q;
	bb_err    rv;

	sl->call = NULL;
	while (p->nwait == 0 && p->qhead != NULL && sl != &p->slots[p->nctx]) {
		q        = p->qhead;
		p->qhead = q->qnext;
		if (p->qhead == NULL) {
			p->qtail = NULL;
		}
		now = now == 0 ? bb_clock_mono_ns() : now;
		if (q->deadline_ns <= now) {
			// As a blocking call that found no slot in time.
			rpc_failed_add(f, q, BB_EBUSY);
			continue;
		}
		sl->call = q;
		q->slot  = sl;
		q->gen   = p->gen;
		sl->recv = false;
		rv       = rpc_call_post_locked(q, q->req);
		if (rv == BB_OK) {
			q->req = NULL; // the aio's now
			return;
		}
		sl->call = NULL;
		q->slot  = NULL;
		rpc_failed_add(f, q, rv);
	}
	sl->busy = false;
	(void) pthread_cond_signal(&p->cv);
}

// rpc_peer_give frees sl, and ends what that leaves to end.
static void
rpc_peer_give(rpc_peer *p, rpc_slot *sl)
{
	rpc_failed f = { NULL };

	(void) pthread_mutex_lock(&p->mu);
	rpc_peer_give_locked(p, sl, &f);
	(void) pthread_mutex_unlock(&p->mu);
	rpc_failed_run(&f);
}

// rpc_call_post_locked starts the send (msg != NULL) or the receive of c
// with what is left of its deadline, unless the connection it started on
// is gone: BB_EUNAVAIL then, and msg stays the caller's.  p->mu is held,
// so that rpc_peer_fail_calls either sees the operation or is seen here.
// The aio's callback never runs inside nng_ctx_send or nng_ctx_recv (NNG
// dispatches it to its task threads), so holding p->mu here is safe.
static bb_err
rpc_call_post_locked(rpc_call *c, nng_msg *msg)
{
	rpc_peer    *p  = c->peer;
	rpc_slot    *sl = c->slot;
	nng_duration left;

	left = rpc_ms_left(c->deadline_ns);
	if (c->canceled) {
		return BB_ECLOSED;
	}
	if (p->gen != c->gen || !rpc_peer_connected(p)) {
		return BB_EUNAVAIL;
	}
	if (left == 0) {
		return BB_ETIMEDOUT;
	}
	nng_aio_set_timeout(sl->aio, left);
	if (msg != NULL) {
		// The send completes once a connection takes the request;
		// the aio owns msg until then, and gives it back on failure.
		sl->recv = false;
		nng_aio_set_msg(sl->aio, msg);
		nng_ctx_send(sl->ctx, sl->aio);
	} else {
		// The reply comes back on the context of its request.
		sl->recv = true;
		nng_ctx_recv(sl->ctx, sl->aio);
	}
	return BB_OK;
}

// rpc_call_unpack turns the reply msg (freed here) into the response of
// c's method.  NULL if it does not unpack.
static ProtobufCMessage *
rpc_call_unpack(const rpc_call *c, nng_msg *msg)
{
	const ProtobufCMessageDescriptor *out;
	ProtobufCMessage                 *resp;

	out  = blobby__rpc__v1__blobby__descriptor.methods[c->m].output;
	resp = protobuf_c_message_unpack(out, NULL, nng_msg_len(msg),
	                                 nng_msg_body(msg));
	nng_msg_free(msg);
	return resp;
}

// rpc_call_end delivers the outcome of c, which holds no slot any more:
// to its callback (which then owns resp), and frees c; or to the thread
// that waits in rpc_call_finish.
static void
rpc_call_end(rpc_call *c, bb_err rv, ProtobufCMessage *resp)
{
	rpc_peer *p = c->peer;

	if (c->req != NULL) {
		nng_msg_free(c->req); // it never left the queue
		c->req = NULL;
	}
	if (c->cb != NULL) {
		c->cb(c->arg, rv, rv == BB_OK ? resp : NULL);
		free(c);
		return;
	}
	(void) pthread_mutex_lock(&p->mu);
	c->rv   = rv;
	c->resp = resp;
	c->done = true;
	(void) pthread_cond_signal(&c->cv);
	(void) pthread_mutex_unlock(&p->mu);
}

// rpc_slot_cb is the callback of a slot's aio: the send of its call
// completed (then its receive is posted) or the receive did (then the
// reply is unpacked and the call ends).  An NNG thread; it never blocks.
// Once the slot is given back it may carry another call at once, so
// nothing of the slot is read after that.
static void
rpc_slot_cb(void *arg)
{
	rpc_slot         *sl   = arg;
	rpc_peer         *p    = sl->peer;
	ProtobufCMessage *resp = NULL;
	rpc_failed        f    = { NULL };
	nng_msg          *msg  = NULL;
	rpc_call         *c;
	bb_err            rv;
	int               e;

	e = nng_aio_result(sl->aio);
	(void) pthread_mutex_lock(&p->mu);
	c = sl->call;
	if (!sl->recv) {
		if (e == 0) {
			rv = rpc_call_post_locked(c, NULL);
			if (rv == BB_OK) {
				(void) pthread_mutex_unlock(&p->mu);
				return; // the receive is on its way
			}
		} else {
			// The request is ours again.
			msg = nng_aio_get_msg(sl->aio);
			nng_aio_set_msg(sl->aio, NULL);
			rv = rpc__err_from_nng(e);
		}
	} else {
		rv = rpc__err_from_nng(e);
		if (rv == BB_OK) {
			msg = nng_aio_get_msg(sl->aio);
			nng_aio_set_msg(sl->aio, NULL);
		}
	}
	c->slot = NULL;
	rpc_peer_give_locked(p, sl, &f);
	(void) pthread_mutex_unlock(&p->mu);
	rpc_failed_run(&f);
	if (rv == BB_OK) {
		resp = rpc_call_unpack(c, msg);
		rv   = resp != NULL ? BB_OK : BB_EPROTO;
	} else if (msg != NULL) {
		nng_msg_free(msg);
	}
	rpc_call_end(c, rv, resp);
}

// rpc_call_msg frames req as method number m + packed req.  On BB_OK the
// caller owns *out.  A message over RPC_MAX_MSG is BB_ETOOBIG: the peer
// would drop the connection, and NNG would resend it forever.
static bb_err
rpc_call_msg(rpc_method m, const ProtobufCMessage *req, nng_msg **out)
{
	nng_msg *msg = NULL;
	uint8_t *b;
	size_t   len;
	int      rv;

	len = protobuf_c_message_get_packed_size(req);
	if (len > RPC_MAX_MSG - 4) {
		return BB_ETOOBIG;
	}
	rv = nng_msg_alloc(&msg, 4 + len);
	if (rv != 0) {
		return rpc__err_from_nng(rv);
	}
	b    = nng_msg_body(msg);
	b[0] = (uint8_t) ((uint32_t) m >> 24);
	b[1] = (uint8_t) ((uint32_t) m >> 16);
	b[2] = (uint8_t) ((uint32_t) m >> 8);
	b[3] = (uint8_t) m;
	(void) protobuf_c_message_pack(req, b + 4);
	*out = msg;
	return BB_OK;
}

// rpc_call_new checks and frames a call of m with req to p, and makes
// its record.  Fails fast with BB_EUNAVAIL: without a connection the
// request would only wait in NNG's queue until its deadline; a peer that
// does not answer would keep it until then.  On BB_OK the caller owns *cp
// (its request in c->req).
static bb_err
rpc_call_new(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
             int64_t timeout_ns, bool probe, rpc_call **cp)
{
	const ProtobufCServiceDescriptor *sd;
	rpc_call                         *c   = NULL;
	nng_msg                          *msg = NULL;
	bb_err                            rv;

	sd = &blobby__rpc__v1__blobby__descriptor;
	if ((unsigned) m >= sd->n_methods ||
	    req->descriptor != sd->methods[m].input) {
		return BB_EINVAL;
	}
	if (!rpc_peer_connected(p) ||
	    (!probe && atomic_load(&p->unresponsive))) {
		return BB_EUNAVAIL;
	}
	rv = rpc_call_msg(m, req, &msg);
	if (rv != BB_OK) {
		return rv;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		nng_msg_free(msg);
		return BB_ENOMEM;
	}
	c->peer        = p;
	c->m           = m;
	c->req         = msg;
	c->deadline_ns = bb_clock_mono_ns() + timeout_ns;
	*cp            = c;
	return BB_OK;
}

// rpc_call_free frees a blocking call c after its end.
static void
rpc_call_free(rpc_call *c)
{
	if (c->cv_init) {
		(void) pthread_cond_destroy(&c->cv);
	}
	free(c);
}

// rpc_call_start is rpc_peer_call_start, for a probe too: a probe goes
// to a peer that does not answer, on the probe slot.
static bb_err
rpc_call_start(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
               int64_t timeout_ns, bool probe, rpc_call **cp)
{
	pthread_condattr_t ca;
	rpc_call          *c = NULL;
	bb_err             rv;

	rv = rpc_call_new(p, m, req, timeout_ns, probe, &c);
	if (rv != BB_OK) {
		return rv;
	}
	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&c->cv, &ca);
	(void) pthread_condattr_destroy(&ca);
	c->cv_init = true;
	rv         = rpc_peer_take(p, probe, c);
	if (rv != BB_OK) {
		goto fail;
	}
	(void) pthread_mutex_lock(&p->mu);
	rv = rpc_call_post_locked(c, c->req);
	if (rv == BB_OK) {
		c->req = NULL; // the aio's now
	}
	(void) pthread_mutex_unlock(&p->mu);
	if (rv != BB_OK) {
		rpc_peer_give(p, c->slot);
		goto fail;
	}
	*cp = c;
	return BB_OK;

fail:
	nng_msg_free(c->req);
	rpc_call_free(c);
	return rv;
}

bb_err
rpc_peer_call_start(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
                    int64_t timeout_ns, rpc_call **cp)
{
	return rpc_call_start(p, m, req, timeout_ns, false, cp);
}

bb_err
rpc__peer_probe_start(rpc_peer *p, int64_t timeout_ns, rpc_call **cp)
{
	static const Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;

	return rpc_call_start(p, RPC_M_NODE_STATUS, &req.base, timeout_ns,
	                      true, cp);
}

void
rpc_peer_call_async(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
                    int64_t timeout_ns, rpc_call_done cb, void *arg)
{
	rpc_failed f = { NULL };
	rpc_call  *c = NULL;
	unsigned   i;
	bb_err     rv;

	rv = rpc_call_new(p, m, req, timeout_ns, false, &c);
	if (rv != BB_OK) {
		cb(arg, rv, NULL);
		return;
	}
	c->cb  = cb;
	c->arg = arg;
	(void) pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nctx && c->slot == NULL; i++) {
		if (!p->slots[i].busy) {
			p->slots[i].busy = true;
			p->slots[i].call = c;
			c->slot          = &p->slots[i];
			c->gen           = p->gen;
		}
	}
	if (c->slot == NULL) {
		// No thread waits: the call waits in the queue, and the
		// callback that frees a slot posts it (rpc_peer_give_locked).
		if (p->qtail != NULL) {
			p->qtail->qnext = c;
		} else {
			p->qhead = c;
		}
		p->qtail = c;
		(void) pthread_mutex_unlock(&p->mu);
		return;
	}
	rv = rpc_call_post_locked(c, c->req);
	if (rv == BB_OK) {
		c->req = NULL;
		(void) pthread_mutex_unlock(&p->mu);
		return;
	}
	rpc_peer_give_locked(p, c->slot, &f);
	c->slot = NULL;
	(void) pthread_mutex_unlock(&p->mu);
	rpc_failed_run(&f);
	rpc_call_end(c, rv, NULL);
}

bb_err
rpc_call_finish(rpc_call *c, ProtobufCMessage **respp)
{
	rpc_peer *p = c->peer;
	bb_err    rv;

	// The aio's deadline bounds the wait: the callback ends every call.
	(void) pthread_mutex_lock(&p->mu);
	while (!c->done) {
		(void) pthread_cond_wait(&c->cv, &p->mu);
	}
	(void) pthread_mutex_unlock(&p->mu);
	rv = c->rv;
	if (rv == BB_OK) {
		*respp = c->resp;
	}
	rpc_call_free(c);
	return rv;
}

void
rpc_call_cancel(rpc_call *c)
{
	ProtobufCMessage *resp = NULL;

	(void) pthread_mutex_lock(&c->peer->mu);
	c->canceled = true;
	if (!c->done && c->slot != NULL) {
		nng_aio_abort(c->slot->aio, NNG_ECANCELED);
	}
	(void) pthread_mutex_unlock(&c->peer->mu);
	if (rpc_call_finish(c, &resp) == BB_OK) {
		protobuf_c_message_free_unpacked(resp, NULL);
	}
}

bb_err
rpc_peer_call(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
              int64_t timeout_ns, ProtobufCMessage **respp)
{
	rpc_call *c = NULL;
	bb_err    rv;

	rv = rpc_peer_call_start(p, m, req, timeout_ns, &c);
	if (rv != BB_OK) {
		return rv;
	}
	return rpc_call_finish(c, respp);
}
