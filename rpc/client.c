// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/client.c -- the requester side of one peer: a req0 socket that
// dials in the background, its connections and whether it answers, and
// a bounded pool of nng_ctx (one outstanding request each).  The calls
// made on those contexts are call.c's.
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/rpc_impl.h"

// Redial a peer that is down after a random 0-100 ms, always: no
// exponential backoff (NNG's grows to reconnect-time-max when that is
// set), so a peer that comes back is used again within 100 ms.  A peer
// that stays down costs a refused connect every 50 ms on average.
#define RPC_RECONN_MS 100

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
		rpc__calls_fail(p, NNG_ECONNRESET);
	}
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
	nng_tls_config *tls = NULL;
	nng_dialer      d;
	rpc_peer       *p = NULL;
	rpc_slot       *sl;
	unsigned        i;
	int             rv         = 0;
	bool            tls_failed = false; // it wrote why itself
	bb_err          err;

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
	(void) pthread_mutex_init(&p->bq_mu, NULL);
	atomic_init(&p->bq_old_until, 0);
	(void) bb_clock_cond_init(&p->cv);
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
		rv       = nng_aio_alloc(&sl->aio, rpc__slot_cb, sl);
		if (rv == 0) {
			rv = nng_aio_alloc(&sl->waio, NULL, NULL);
		}
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

// rpc_peer_free frees p once nothing of NNG calls into it any more.
static void
rpc_peer_free(void *arg)
{
	rpc_peer *p = arg;
	unsigned  i;

	for (i = 0; p->slots != NULL && i <= p->nctx; i++) {
		if (p->slots[i].aio != NULL) {
			nng_aio_free(p->slots[i].aio);
		}
		if (p->slots[i].waio != NULL) {
			nng_aio_free(p->slots[i].waio);
		}
	}
	if (p->locks_init) {
		(void) pthread_cond_destroy(&p->cv);
		(void) pthread_mutex_destroy(&p->mu);
		(void) pthread_mutex_destroy(&p->bq_mu);
		(void) pthread_mutex_destroy(&p->pipe_mu);
	}
	free(p->slots);
	free(p->url);
	free(p);
}

void
rpc_peer_close(rpc_peer *p)
{
	char what[160];

	if (p == NULL) {
		return;
	}
	// Asynchronous calls still queued for a slot end here.
	if (p->locks_init && p->slots != NULL) {
		rpc__calls_fail(p, NNG_ECLOSED);
	}
	if (!p->sock_open) {
		rpc_peer_free(p);
		return;
	}
	// The close returns after every pipe is gone and its callbacks ran.
	(void) snprintf(what, sizeof(what), "the connections to %s", p->url);
	(void) rpc__sock_close(p->sock, rpc_peer_free, p, what);
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
		rpc__calls_fail(p, NNG_ETIMEDOUT);
	}
	return true;
}

void
rpc__peer_abort(rpc_peer *p)
{
	rpc__calls_fail(p, NNG_ECLOSED);
}

const char *
rpc_peer_url(const rpc_peer *p)
{
	return p->url;
}
