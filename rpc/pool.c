// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/pool.c -- the peers of a node keyed by machine id, and storage's
// store_remotes over them: round-robin assignment of replicas, the same
// call made to several peers in parallel.  Remote reads are read.c's;
// framing and connections client.c's.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "rpc/rpc_impl.h"

// Contexts per peer: how many calls to one peer may be in flight at once
// (inserts into different primaries replicate in parallel).
#define RPC_POOL_NCTX 16

// pool_url writes the RPC URL of peer r into url.
static void
pool_url(const bb_conf *conf, const bb_remote_conf *r, char *url, size_t len)
{
	(void) snprintf(url, len,
	                strchr(r->host, ':') != NULL ? "%s://[%s]:%u"
	                                             : "%s://%s:%u",
	                rpc__scheme(conf), r->host, (unsigned) r->rpc_port);
}

// A view built for a reload, not yet published, and the peers opened for
// it (closed again if it is dropped).
struct rpc_pool_next {
	rpc__pool_view *view;  // owned
	rpc_peer      **fresh; // owned, each owned until committed
	size_t          nfresh;
};

// pool_reuse finds a peer for machine id at url that p already opened:
// in the view in force, or one removed before and now added back (same
// address: the same connection serves).  p->mu held.
static rpc_peer *
pool_reuse(const rpc_pool *p, uint32_t id, const char *url)
{
	const rpc__pool_view *v = rpc__pool_view_get(p);
	const rpc__pool_ent  *e;
	size_t                i;

	e = v != NULL ? rpc__pool_view_find(v, id) : NULL;
	if (e != NULL && strcmp(rpc_peer_url(e->peer), url) == 0) {
		return e->peer;
	}
	for (i = 0; i < p->nopened; i++) {
		if (strcmp(rpc_peer_url(p->opened[i]), url) == 0) {
			return p->opened[i];
		}
	}
	return NULL;
}

// pool_build makes the view of conf's [remote.*] sections, reusing the
// peers p has open (p->mu held; p->conf NULL at open).
static bb_err
pool_build(rpc_pool *p, const bb_conf *conf, rpc_pool_next **np, char *why,
           size_t whylen)
{
	const bb_remote_conf *r;
	rpc_pool_next        *n;
	rpc_peer             *peer;
	char                  url[128];
	size_t                i;
	bb_err                rv = BB_ENOMEM;

	n = calloc(1, sizeof(*n));
	if (n != NULL) {
		n->view  = calloc(1, sizeof(*n->view));
		n->fresh = calloc(conf->n_remotes + 1, sizeof(*n->fresh));
	}
	if (n == NULL || n->view == NULL || n->fresh == NULL) {
		goto fail;
	}
	n->view->peers = calloc(conf->n_remotes + 1, sizeof(*n->view->peers));
	if (n->view->peers == NULL) {
		goto fail;
	}
	for (i = 0; i < conf->n_remotes; i++) {
		r = &conf->remotes[i];
		pool_url(conf, r, url, sizeof(url));
		peer = pool_reuse(p, r->id, url);
		if (peer == NULL) {
			// Dialing starts now, but no call goes to the peer
			// before the view is published.  p->conf: the TLS and
			// source settings of the running node.
			rv = rpc_peer_open_conf(url, RPC_POOL_NCTX, p->conf,
			                        &peer, why, whylen);
			if (rv != BB_OK) {
				if (why != NULL && whylen > 0) {
					bb_log_error("%s", why);
				}
				goto fail;
			}
			n->fresh[n->nfresh++] = peer;
		}
		n->view->peers[i].id   = r->id;
		n->view->peers[i].peer = peer;
		n->view->npeers++;
	}
	*np = n;
	return BB_OK;

fail:
	if (rv == BB_ENOMEM) {
		(void) bb_why(rv, why, whylen, "rpc: %s", bb_strerror(rv));
	}
	rpc_pool_next_free(n);
	return rv;
}

// pool_commit publishes n's view (p->mu held) and takes n.
static void
pool_commit(rpc_pool *p, rpc_pool_next *n)
{
	rpc__pool_view *old = atomic_load(&p->view);
	size_t          i;

	for (i = 0; i < n->nfresh; i++) {
		p->opened[p->nopened++] = n->fresh[i];
	}
	n->nfresh      = 0;
	n->view->older = old;
	atomic_store(&p->view, n->view);
	if (p->prober != NULL) {
		rpc__prober_set(p->prober, n->view->peers, n->view->npeers);
	}
	n->view = NULL;
	rpc_pool_next_free(n);
}

// pool_grow makes room in p->opened for more peers (p->mu held).
static bb_err
pool_grow(rpc_pool *p, size_t more)
{
	rpc_peer **v;

	v = realloc(p->opened, (p->nopened + more + 1) * sizeof(*v));
	if (v == NULL) {
		return BB_ENOMEM;
	}
	p->opened = v;
	return BB_OK;
}

bb_err
rpc_pool_open(const bb_conf *conf, rpc_pool **pp, char *why, size_t whylen)
{
	rpc_pool      *p = NULL;
	rpc_pool_next *n = NULL;
	bb_err         rv;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return bb_why(BB_ENOMEM, why, whylen, "rpc: %s",
		              bb_strerror(BB_ENOMEM));
	}
	p->conf = conf;
	atomic_init(&p->next, 0);
	atomic_init(&p->view, NULL);
	(void) pthread_mutex_init(&p->mu, NULL);
	rv = pool_build(p, conf, &n, why, whylen);
	if (rv == BB_OK) {
		rv = pool_grow(p, n->nfresh);
		if (rv != BB_OK) {
			(void) bb_why(rv, why, whylen, "rpc: %s",
			              bb_strerror(rv));
		}
	}
	if (rv != BB_OK) {
		rpc_pool_next_free(n);
		goto fail;
	}
	pool_commit(p, n);
	// Always, even without peers: a reload may add some.
	rv = rpc__prober_start(atomic_load(&p->view)->peers,
	                       atomic_load(&p->view)->npeers,
	                       conf->client_probe_interval_ns,
	                       conf->client_probe_timeout_ns, &p->prober);
	if (rv != BB_OK) {
		(void) bb_why(rv, why, whylen,
		              "rpc: cannot start the peer probes: %s",
		              bb_strerror(rv));
		goto fail;
	}
	*pp = p;
	return BB_OK;

fail:
	rpc_pool_close(p);
	return rv;
}

bb_err
rpc_pool_prepare(rpc_pool *p, const bb_conf *conf, rpc_pool_next **np,
                 char *why, size_t whylen)
{
	bb_err rv;

	(void) pthread_mutex_lock(&p->mu);
	rv = pool_build(p, conf, np, why, whylen);
	if (rv == BB_OK) {
		// Room for the new peers now: the commit cannot fail.
		rv = pool_grow(p, (*np)->nfresh);
		if (rv != BB_OK) {
			rpc_pool_next_free(*np);
			(void) bb_why(rv, why, whylen, "rpc: %s",
			              bb_strerror(rv));
		}
	}
	(void) pthread_mutex_unlock(&p->mu);
	return rv;
}

void
rpc_pool_commit(rpc_pool *p, rpc_pool_next *n)
{
	(void) pthread_mutex_lock(&p->mu);
	pool_commit(p, n);
	(void) pthread_mutex_unlock(&p->mu);
}

void
rpc_pool_next_free(rpc_pool_next *n)
{
	size_t i;

	if (n == NULL) {
		return;
	}
	// Peers opened for a view never published: no call used them.
	for (i = 0; i < n->nfresh; i++) {
		rpc_peer_close(n->fresh[i]);
	}
	if (n->view != NULL) {
		free(n->view->peers);
		free(n->view);
	}
	free(n->fresh);
	free(n);
}

void
rpc_pool_close(rpc_pool *p)
{
	rpc__pool_view *v;
	size_t          i;

	if (p == NULL) {
		return;
	}
	rpc__prober_stop(p->prober); // it uses the peers
	for (i = 0; i < p->nopened; i++) {
		rpc_peer_close(p->opened[i]);
	}
	v = atomic_load(&p->view);
	while (v != NULL) {
		rpc__pool_view *older = v->older;

		free(v->peers);
		free(v);
		v = older;
	}
	free(p->opened);
	(void) pthread_mutex_destroy(&p->mu);
	free(p);
}

const rpc__pool_view *
rpc__pool_view_get(const rpc_pool *p)
{
	return atomic_load(&((rpc_pool *) p)->view);
}

const rpc__pool_ent *
rpc__pool_view_find(const rpc__pool_view *v, uint32_t machine_id)
{
	size_t lo = 0, hi = v->npeers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->peers[mid].id == machine_id) {
			return &v->peers[mid];
		}
		if (v->peers[mid].id < machine_id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

const rpc__pool_ent *
rpc__pool_find(const rpc_pool *p, uint32_t machine_id)
{
	return rpc__pool_view_find(rpc__pool_view_get(p), machine_id);
}

rpc_peer *
rpc_pool_peer(rpc_pool *p, uint32_t machine_id)
{
	const rpc__pool_ent *e = rpc__pool_find(p, machine_id);

	return e != NULL ? e->peer : NULL;
}

size_t
rpc_pool_responsive(const rpc_pool *p)
{
	const rpc__pool_view *v;
	size_t                i;
	size_t                n = 0;

	if (p == NULL) {
		return 0;
	}
	v = rpc__pool_view_get(p);
	for (i = 0; i < v->npeers; i++) {
		n += rpc_peer_responsive(v->peers[i].peer) ? 1 : 0;
	}
	return n;
}

static bb_err
rpc_pool_assign(void *ctx, uint32_t n, uint32_t *ids)
{
	rpc_pool             *p = ctx;
	const rpc__pool_view *v = rpc__pool_view_get(p);
	unsigned              start;
	uint32_t              i;
	uint32_t              k;
	int                   pass;

	// The peers of the view in force: a reload changes where new
	// primaries put their replicas.
	if (n > v->npeers) {
		return BB_EUNAVAIL;
	}
	if (n == 0) {
		return BB_OK;
	}
	// Round robin, but peers that answer first: a peer that is down or
	// hung would only make the new primary fail.
	start = atomic_fetch_add(&p->next, 1);
	k     = 0;
	for (pass = 0; pass < 2 && k < n; pass++) {
		for (i = 0; i < v->npeers && k < n; i++) {
			const rpc__pool_ent *e =
			    &v->peers[(start + i) % v->npeers];
			if (rpc_peer_responsive(e->peer) == (pass == 0)) {
				ids[k++] = e->id;
			}
		}
	}
	return BB_OK;
}

// The request of one store_call, built once and sent to every peer.
typedef struct rpc_pool_req {
	rpc_method m;
	union {
		Blobby__Rpc__V1__InitializeRequest init;
		Blobby__Rpc__V1__ReplicateRequest  repl;
		Blobby__Rpc__V1__HeartBeatRequest  hb;
		Blobby__Rpc__V1__DeleteRequest     del;
	} u;
	const ProtobufCMessage *msg; // points into u
} rpc_pool_req;

static bb_err
rpc_pool_req_init(rpc_pool_req *r, const store_call *call)
{
	ProtobufCBinaryData fid = { STORE_FID_LEN, (uint8_t *) call->fid.b };
	char               *ns  = (char *) call->ns; // only read by pack

	switch (call->kind) {
	case STORE_CALL_INITIALIZE:
		r->m = RPC_M_INITIALIZE;
		blobby__rpc__v1__initialize_request__init(&r->u.init);
		r->u.init.namespace_ = ns;
		r->u.init.fid        = fid;
		r->msg               = &r->u.init.base;
		return BB_OK;
	case STORE_CALL_REPLICATE:
		if (call->len > RPC_MAX_CHUNK) {
			return BB_ETOOBIG;
		}
		r->m = RPC_M_REPLICATE;
		blobby__rpc__v1__replicate_request__init(&r->u.repl);
		r->u.repl.namespace_ = ns;
		r->u.repl.fid        = fid;
		r->u.repl.start      = call->start;
		r->u.repl.data.len   = call->len;
		r->u.repl.data.data  = (uint8_t *) call->data;
		r->u.repl.hash       = call->hash;
		r->u.repl.sync       = call->sync;
		r->msg               = &r->u.repl.base;
		return BB_OK;
	case STORE_CALL_HEARTBEAT:
		r->m = RPC_M_HEARTBEAT;
		blobby__rpc__v1__heart_beat_request__init(&r->u.hb);
		r->u.hb.namespace_ = ns;
		r->u.hb.fid        = fid;
		r->msg             = &r->u.hb.base;
		return BB_OK;
	case STORE_CALL_DELETE:
		r->m = RPC_M_DELETE;
		blobby__rpc__v1__delete_request__init(&r->u.del);
		r->u.del.namespace_ = ns;
		r->u.del.fid        = fid;
		r->msg              = &r->u.del.base;
		return BB_OK;
	default:
		return BB_EINVAL;
	}
}

// rpc_pool_fail fills *res for a call to peer (NULL: none) that failed
// with err.
static void
rpc_pool_fail(store_call_result *res, bb_err err, const rpc_peer *peer)
{
	const char *url = peer != NULL ? rpc_peer_url(peer) : "rpc";

	res->err = err;
	if ((err == BB_EUNAVAIL || err == BB_ETIMEDOUT) && peer != NULL &&
	    rpc_peer_connected(peer) && !rpc_peer_responsive(peer)) {
		(void) snprintf(res->msg, sizeof(res->msg),
		                "%s: does not answer probes", url);
		return;
	}
	(void) snprintf(res->msg, sizeof(res->msg), "%s: %s", url,
	                bb_strerror(err));
}

// rpc_pool_result turns the answer of one peer into *res.
static void
rpc_pool_result(store_call_result *res, const store_call *call,
                const ProtobufCMessage *resp, const rpc_peer *peer)
{
	const char                               *url = rpc_peer_url(peer);
	const Blobby__Rpc__V1__Status            *st;
	const Blobby__Rpc__V1__ReplicateResponse *rr;

	st = rpc__resp_status(resp);
	if (st == NULL) {
		rpc_pool_fail(res, BB_EPROTO, peer);
		return;
	}
	res->err           = rpc_err_from_code((int) st->code);
	res->shutting_down = st->shutting_down;
	(void) snprintf(res->msg, sizeof(res->msg), "%s", st->message);
	if (res->err == BB_OK && call->kind == STORE_CALL_REPLICATE) {
		// The replica's length can only be past what we sent.
		rr = (const Blobby__Rpc__V1__ReplicateResponse *) resp;
		if (rr->offset < call->start + call->len) {
			res->err = BB_EPROTO;
			(void) snprintf(
			    res->msg, sizeof(res->msg),
			    "%s: replica length %llu after a write "
			    "ending at %llu",
			    url, (unsigned long long) rr->offset,
			    (unsigned long long) (call->start + call->len));
		}
	}
}

// rpc_pool_call starts the call on every peer before it waits for any:
// the peers work in parallel and the whole takes one deadline, not n.
static void
rpc_pool_call(void *ctx, const uint32_t *ids, size_t n, const store_call *call,
              store_call_result *results)
{
	rpc_pool             *p     = ctx;
	const rpc__pool_view *v     = rpc__pool_view_get(p);
	rpc_call            **calls = NULL; // owned array
	ProtobufCMessage     *resp;
	rpc_pool_req          req;
	const rpc__pool_ent  *e;
	int64_t               timeout = p->conf->client_timeout_ns;
	size_t                i;
	bb_err                rv;

	// Only Replicate carries data, up to a chunk: the calls without any
	// are answered at once by a peer that answers at all, so they get
	// the probes' short deadline.
	if (call->kind != STORE_CALL_REPLICATE &&
	    p->conf->client_probe_timeout_ns < timeout) {
		timeout = p->conf->client_probe_timeout_ns;
	}
	memset(results, 0, n * sizeof(*results));
	rv = rpc_pool_req_init(&req, call);
	if (rv == BB_OK && n > 0) {
		calls = calloc(n, sizeof(*calls));
		rv    = calls == NULL ? BB_ENOMEM : BB_OK;
	}
	for (i = 0; i < n; i++) {
		if (rv != BB_OK) {
			rpc_pool_fail(&results[i], rv, NULL);
			continue;
		}
		// A peer removed by a reload answers as one never
		// configured: the primary seals and the insert goes on
		// elsewhere.
		e = rpc__pool_view_find(v, ids[i]);
		if (e == NULL) {
			results[i].err = BB_ENOENT;
			(void) snprintf(results[i].msg, sizeof(results[i].msg),
			                "no [remote.%lu] configured",
			                (unsigned long) ids[i]);
			continue;
		}
		results[i].err = rpc_peer_call_start(e->peer, req.m, req.msg,
		                                     timeout, &calls[i]);
		if (results[i].err != BB_OK) {
			calls[i] = NULL;
			rpc_pool_fail(&results[i], results[i].err, e->peer);
		}
	}
	for (i = 0; calls != NULL && i < n; i++) {
		if (calls[i] == NULL) {
			continue;
		}
		e    = rpc__pool_view_find(v, ids[i]);
		resp = NULL;
		rv   = rpc_call_finish(calls[i], &resp);
		rpc__health_note(e, rv);
		if (rv != BB_OK) {
			rpc_pool_fail(&results[i], rv, e->peer);
			continue;
		}
		rpc_pool_result(&results[i], call, resp, e->peer);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	free(calls);
}

static bool
rpc_pool_answers(void *ctx, uint32_t id)
{
	const rpc__pool_ent *e = rpc__pool_find(ctx, id);

	return e != NULL && rpc_peer_responsive(e->peer);
}

void
rpc_pool_remotes(rpc_pool *p, store_remotes *r)
{
	memset(r, 0, sizeof(*r));
	r->ctx       = p;
	r->max_chunk = RPC_MAX_CHUNK;
	r->assign    = rpc_pool_assign;
	r->call      = rpc_pool_call;
	r->answers   = rpc_pool_answers;
}
