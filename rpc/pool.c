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

bb_err
rpc_pool_open(const bb_conf *conf, rpc_pool **pp, char *why, size_t whylen)
{
	const bb_remote_conf *r;
	rpc_pool             *p = NULL;
	char                  url[128];
	size_t                i;
	bb_err                rv = BB_OK;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return bb_why(BB_ENOMEM, why, whylen, "rpc: %s",
		              bb_strerror(BB_ENOMEM));
	}
	p->conf = conf;
	atomic_init(&p->next, 0);
	p->peers = calloc(conf->n_remotes + 1, sizeof(*p->peers));
	if (p->peers == NULL) {
		rv = bb_why(BB_ENOMEM, why, whylen, "rpc: %s",
		            bb_strerror(BB_ENOMEM));
		goto fail;
	}
	for (i = 0; i < conf->n_remotes; i++) {
		r = &conf->remotes[i];
		(void) snprintf(url, sizeof(url),
		                strchr(r->host, ':') != NULL ? "%s://[%s]:%u"
		                                             : "%s://%s:%u",
		                rpc__scheme(conf), r->host,
		                (unsigned) r->rpc_port);
		rv = rpc_peer_open_conf(url, RPC_POOL_NCTX, conf,
		                        &p->peers[i].peer, why, whylen);
		if (rv != BB_OK) {
			if (why != NULL && whylen > 0) {
				bb_log_error("%s", why);
			}
			goto fail;
		}
		p->peers[i].id = r->id;
		p->npeers++;
	}
	if (p->npeers > 0) {
		rv = rpc__prober_start(
		    p->peers, p->npeers, conf->client_probe_interval_ns,
		    conf->client_probe_timeout_ns, &p->prober);
		if (rv != BB_OK) {
			(void) bb_why(rv, why, whylen,
			              "rpc: cannot start the peer probes: %s",
			              bb_strerror(rv));
			goto fail;
		}
	}
	*pp = p;
	return BB_OK;

fail:
	rpc_pool_close(p);
	return rv;
}

void
rpc_pool_close(rpc_pool *p)
{
	size_t i;

	if (p == NULL) {
		return;
	}
	rpc__prober_stop(p->prober); // it uses the peers
	for (i = 0; i < p->npeers; i++) {
		rpc_peer_close(p->peers[i].peer);
	}
	free(p->peers);
	free(p);
}

const rpc__pool_ent *
rpc__pool_find(const rpc_pool *p, uint32_t machine_id)
{
	size_t lo = 0, hi = p->npeers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->peers[mid].id == machine_id) {
			return &p->peers[mid];
		}
		if (p->peers[mid].id < machine_id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
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
	size_t i;
	size_t n = 0;

	for (i = 0; p != NULL && i < p->npeers; i++) {
		n += rpc_peer_responsive(p->peers[i].peer) ? 1 : 0;
	}
	return n;
}

static bb_err
rpc_pool_assign(void *ctx, uint32_t n, uint32_t *ids)
{
	rpc_pool *p = ctx;
	unsigned  start;
	uint32_t  i;
	uint32_t  k;
	int       pass;

	if (n > p->npeers) {
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
		for (i = 0; i < p->npeers && k < n; i++) {
			const rpc__pool_ent *e =
			    &p->peers[(start + i) % p->npeers];
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
	rpc_pool            *p     = ctx;
	rpc_call           **calls = NULL; // owned array
	ProtobufCMessage    *resp;
	rpc_pool_req         req;
	const rpc__pool_ent *e;
	int64_t              timeout = p->conf->client_timeout_ns;
	size_t               i;
	bb_err               rv;

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
		e = rpc__pool_find(p, ids[i]);
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
		e    = rpc__pool_find(p, ids[i]);
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
