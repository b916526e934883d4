// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/read.c -- remote reads over the pool: a range of a blob from one
// peer in chunks (a window of Read calls in flight), and the first chunk
// from whichever peer has it.  Both run on asynchronous calls
// (rpc_peer_call_async), so that no thread waits on the network; the
// blocking forms start them and wait.  Connections are client.c's.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "rpc/rpc_impl.h"

// A remote read keeps up to this many Read calls in flight.
#define READ_WINDOW 4

// read_check turns the answer to one Read call into exactly want bytes
// at dst (dst NULL: only checked).  Takes resp.
static bb_err
read_check(bb_err rv, ProtobufCMessage *resp, void *dst, size_t want)
{
	const Blobby__Rpc__V1__ReadResponse *rr;
	const Blobby__Rpc__V1__Status       *st;

	if (rv != BB_OK) {
		return rv;
	}
	rr = (const Blobby__Rpc__V1__ReadResponse *) resp;
	st = rpc__resp_status(resp);
	rv = st != NULL ? rpc_err_from_code((int) st->code) : BB_EPROTO;
	// Never a short result: a reply of another length is an error.
	if (rv == BB_OK && rr->data.len != want) {
		rv = BB_EPROTO;
	}
	if (rv == BB_OK && dst != NULL) {
		memcpy(dst, rr->data.data, want);
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return rv;
}

// read_req fills the Read request for [start, start + len) of id's file.
static void
read_req(Blobby__Rpc__V1__ReadRequest *req, const char *ns, const store_id *id,
         uint64_t start, size_t len)
{
	blobby__rpc__v1__read_request__init(req);
	req->namespace_ = (char *) ns; // only read by pack
	req->fid.len    = STORE_FID_LEN;
	req->fid.data   = (uint8_t *) id->fid.b;
	req->start      = start;
	req->length     = (uint32_t) len;
}

// --- A range from one peer. ---

typedef struct read_op {
	rpc_pool            *pool;
	const rpc__pool_ent *e;
	char                *ns; // owned
	store_id             id;
	uint64_t             off;
	uint8_t             *buf; // borrowed until done
	size_t               len;
	rpc_read_done        done;
	void                *arg;
	pthread_mutex_t      mu;       // guards what follows
	size_t               next;     // the next byte to ask for
	unsigned             inflight; // Read calls started, not ended
	bool                 pumping;  // a thread is in read_pump
	bb_err               rv;       // the first failure
} read_op;

// One Read call of a read_op.
typedef struct read_chunk {
	read_op *op;
	size_t   at; // offset in buf
	size_t   want;
} read_chunk;

static void read_pump_locked(read_op *op);

static void
read_op_free(read_op *op)
{
	(void) pthread_mutex_destroy(&op->mu);
	free(op->ns);
	free(op);
}

// read_chunk_cb is the end of one chunk (rpc__bread_start), whose bytes
// landed in their own part of buf: no lock for them.
static void
read_chunk_cb(void *arg, bb_err rv)
{
	read_chunk *ck = arg;
	read_op    *op = ck->op;

	rpc__health_note(op->e, rv);
	free(ck);
	(void) pthread_mutex_lock(&op->mu);
	if (op->rv == BB_OK) {
		op->rv = rv;
	}
	op->inflight--;
	read_pump_locked(op); // in one hold with the decrement: see there
}

// read_pump_locked starts chunks while the window has room, and ends op
// once nothing is left in flight; op->mu is held, and let go here.  A
// call may end inside its own start (and pump again), and calls end on
// several threads: one thread at a time pumps (the others leave it
// their news), and both the news and the decision to stop are taken
// under the lock, so no end is missed and nobody touches op after the
// pumping thread found nothing in flight and freed it.
static void
read_pump_locked(read_op *op)
{
	read_chunk *ck;
	bb_err      rv;

	if (op->pumping) {
		(void) pthread_mutex_unlock(&op->mu);
		return;
	}
	op->pumping = true;
	for (;;) {
		if (op->rv == BB_OK && op->next < op->len &&
		    op->inflight < READ_WINDOW) {
			ck = calloc(1, sizeof(*ck));
			if (ck == NULL) {
				op->rv = BB_ENOMEM;
				continue;
			}
			ck->op   = op;
			ck->at   = op->next;
			ck->want = op->len - op->next < RPC_MAX_CHUNK
			    ? op->len - op->next
			    : RPC_MAX_CHUNK;
			op->next += ck->want;
			op->inflight++;
			(void) pthread_mutex_unlock(&op->mu);
			// Coalesced with other reads to the same peer when
			// calls to it are in flight (batch.c).
			rpc__bread_start(op->e->peer, op->ns, &op->id.fid,
			                 op->id.start + op->off + ck->at,
			                 ck->want, op->buf + ck->at,
			                 op->pool->conf->client_timeout_ns,
			                 read_chunk_cb, ck);
			(void) pthread_mutex_lock(&op->mu);
			continue;
		}
		if (op->inflight == 0) {
			break; // all ended: op is done
		}
		op->pumping = false;
		(void) pthread_mutex_unlock(&op->mu);
		return;
	}
	rv = op->rv;
	(void) pthread_mutex_unlock(&op->mu);
	op->done(op->arg, rv, op->e->id);
	read_op_free(op);
}

void
rpc_pool_read_start(rpc_pool *p, uint32_t machine, const char *ns,
                    const store_id *id, uint64_t off, void *buf, size_t len,
                    rpc_read_done done, void *arg)
{
	const rpc__pool_ent *e;
	read_op             *op;

	e = rpc__pool_find(p, machine);
	if (e == NULL) {
		done(arg, BB_ENOENT, machine);
		return;
	}
	if (off > id->length || len > id->length - off) {
		done(arg, BB_EINVAL, machine);
		return;
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		done(arg, BB_ENOMEM, machine);
		return;
	}
	op->ns = strdup(ns);
	if (op->ns == NULL) {
		free(op);
		done(arg, BB_ENOMEM, machine);
		return;
	}
	(void) pthread_mutex_init(&op->mu, NULL);
	op->pool = p;
	op->e    = e;
	op->id   = *id;
	op->off  = off;
	op->buf  = buf;
	op->len  = len;
	op->done = done;
	op->arg  = arg;
	(void) pthread_mutex_lock(&op->mu);
	read_pump_locked(op); // len 0: done at once
}

// --- The first chunk from any peer. ---

// The state of one peer's call.
typedef enum {
	ANY_SKIP,    // not asked
	ANY_PENDING, // asked, no answer yet
	ANY_HAS,     // has the range: its answer is in resp
	ANY_MISS,    // NOT_FOUND
	ANY_FAIL,    // could not answer
} any_state;

typedef struct any_op {
	rpc_pool             *pool;
	const rpc__pool_view *view; // the peers asked: a reload changes none
	char                 *ns;   // owned: the caller's may go once done ran
	store_id              id;
	uint8_t              *buf; // borrowed until done
	size_t                len;
	rpc_read_done         done;
	void                 *arg;
	pthread_mutex_t       mu;   // guards what follows
	any_state            *st;   // owned, one per peer
	void                **data; // owned, the answer of each ANY_HAS peer
	unsigned              refs; // calls not ended, + 1 while starting
	bool                  decided;
} any_op;

// One call of an any_op.
typedef struct any_call {
	any_op *op;
	size_t  i; // the peer's index in the pool
} any_call;

static void
any_free(any_op *op)
{
	size_t i;

	for (i = 0; op->data != NULL && i < op->view->npeers; i++) {
		free(op->data[i]);
	}
	(void) pthread_mutex_destroy(&op->mu);
	free(op->data);
	free(op->st);
	free(op->ns);
	free(op);
}

// any_decide looks for the outcome (op->mu held): the first peer in the
// pool's order that has the range, once every peer before it answered
// otherwise; or, once every peer answered, none.  On true *rvp and
// *machinep are the outcome, and buf is filled.
static bool
any_decide(any_op *op, bb_err *rvp, uint32_t *machinep)
{
	bb_err rv = BB_ENOENT;
	size_t i;

	if (op->decided) {
		return false;
	}
	for (i = 0; i < op->view->npeers; i++) {
		switch (op->st[i]) {
		case ANY_PENDING:
			return false; // an earlier peer may still have it
		case ANY_HAS:
			memcpy(op->buf, op->data[i], op->len);
			op->decided = true;
			*rvp        = BB_OK;
			*machinep   = op->view->peers[i].id;
			return true;
		case ANY_FAIL:
			rv = BB_EUNAVAIL;
			break;
		case ANY_SKIP:
		case ANY_MISS:
			break;
		}
	}
	op->decided = true;
	*rvp        = rv;
	*machinep   = 0;
	return true;
}

// any_settle takes the end of one call, or of the start (st ANY_SKIP),
// and calls done once the outcome is known.  After the last call ends op
// is freed.
static void
any_settle(any_op *op, size_t i, any_state st, void *data)
{
	rpc_read_done done    = op->done;
	void         *arg     = op->arg;
	uint32_t      machine = 0;
	bb_err        rv      = BB_OK;
	bool          tell;
	bool          last;

	(void) pthread_mutex_lock(&op->mu);
	if (st != ANY_SKIP) {
		op->st[i]   = st;
		op->data[i] = data;
	}
	// Every peer to ask was pending before the first was asked, so an
	// outcome found while the others are being started is right.
	tell = any_decide(op, &rv, &machine);
	last = --op->refs == 0;
	(void) pthread_mutex_unlock(&op->mu);
	// op may be freed by another call's end from here, unless last.
	if (tell) {
		done(arg, rv, machine);
	}
	if (last) {
		any_free(op);
	}
}

static void
any_call_cb(void *arg, bb_err rv, ProtobufCMessage *resp)
{
	any_call *ac = arg;
	any_op   *op = ac->op;
	size_t    i  = ac->i;
	void     *data;
	any_state st;

	free(ac);
	data = malloc(op->len > 0 ? op->len : 1);
	if (data == NULL) {
		rv = read_check(rv, resp, NULL, op->len);
		st = ANY_FAIL;
	} else {
		rv = read_check(rv, resp, data, op->len);
		st = rv == BB_OK      ? ANY_HAS
		    : rv == BB_ENOENT ? ANY_MISS
		                      : ANY_FAIL;
	}
	if (rv != BB_ECLOSED) {
		// An aborted call (a slower peer) says nothing of its peer.
		rpc__health_note(&op->view->peers[i], rv);
	}
	if (st != ANY_HAS) {
		free(data);
		data = NULL;
	}
	any_settle(op, i, st, data);
}

void
rpc_pool_read_any_start(rpc_pool *p, uint32_t skip, const char *ns,
                        const store_id *id, void *buf, size_t len,
                        rpc_read_done done, void *arg)
{
	Blobby__Rpc__V1__ReadRequest req;
	const rpc__pool_view        *v  = rpc__pool_view_get(p);
	any_op                      *op = NULL;
	any_call                    *ac;
	size_t                       i;

	if (len > id->length || len > RPC_MAX_CHUNK) {
		done(arg, BB_EINVAL, 0);
		return;
	}
	if (v->npeers == 0) {
		done(arg, BB_ENOENT, 0);
		return;
	}
	op = calloc(1, sizeof(*op));
	if (op != NULL) {
		op->st   = calloc(v->npeers, sizeof(*op->st));
		op->data = calloc(v->npeers, sizeof(*op->data));
		op->ns   = strdup(ns);
	}
	if (op == NULL || op->st == NULL || op->data == NULL ||
	    op->ns == NULL) {
		if (op != NULL) {
			free(op->st);
			free(op->data);
			free(op->ns);
			free(op);
		}
		done(arg, BB_ENOMEM, 0);
		return;
	}
	(void) pthread_mutex_init(&op->mu, NULL);
	op->pool = p;
	op->view = v;
	op->id   = *id;
	op->buf  = buf;
	op->len  = len;
	op->done = done;
	op->arg  = arg;
	// Every peer to ask is pending before any is asked: an answer that
	// comes while later peers are being started must wait for them.
	op->refs = 1;
	for (i = 0; i < v->npeers; i++) {
		if (v->peers[i].id != skip &&
		    v->peers[i].id != p->conf->machine_id) {
			op->st[i] = ANY_PENDING;
			op->refs++;
		}
	}
	read_req(&req, op->ns, &op->id, op->id.start, len);
	// Every peer at once, under one deadline: a peer that is down fails
	// at once, one that hangs costs the [client] timeout at most.
	for (i = 0; i < v->npeers; i++) {
		if (op->st[i] != ANY_PENDING) {
			continue;
		}
		ac = malloc(sizeof(*ac));
		if (ac == NULL) {
			any_settle(op, i, ANY_FAIL, NULL);
			continue;
		}
		ac->op = op;
		ac->i  = i;
		rpc_peer_call_async(v->peers[i].peer, RPC_M_READ, &req.base,
		                    p->conf->client_timeout_ns, any_call_cb,
		                    ac);
	}
	any_settle(op, 0, ANY_SKIP, NULL);
}

// --- The blocking forms: start and wait. ---

typedef struct read_wait {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            done;
	bb_err          rv;
	uint32_t        machine;
} read_wait;

static void
read_wait_cb(void *arg, bb_err rv, uint32_t machine)
{
	read_wait *w = arg;

	(void) pthread_mutex_lock(&w->mu);
	w->rv      = rv;
	w->machine = machine;
	w->done    = true;
	(void) pthread_cond_signal(&w->cv);
	(void) pthread_mutex_unlock(&w->mu);
}

// read_wait_end waits for w's callback (the calls' deadlines bound it).
static bb_err
read_wait_end(read_wait *w, uint32_t *machinep)
{
	(void) pthread_mutex_lock(&w->mu);
	while (!w->done) {
		(void) pthread_cond_wait(&w->cv, &w->mu);
	}
	(void) pthread_mutex_unlock(&w->mu);
	(void) pthread_cond_destroy(&w->cv);
	(void) pthread_mutex_destroy(&w->mu);
	if (w->rv == BB_OK && machinep != NULL) {
		*machinep = w->machine;
	}
	return w->rv;
}

static void
read_wait_init(read_wait *w)
{
	memset(w, 0, sizeof(*w));
	(void) pthread_mutex_init(&w->mu, NULL);
	(void) pthread_cond_init(&w->cv, NULL);
}

bb_err
rpc_pool_read(rpc_pool *p, const char *ns, const store_id *id, uint64_t off,
              void *buf, size_t len)
{
	return rpc_pool_read_from(p, store_fid_machine(&id->fid), ns, id, off,
	                          buf, len);
}

bb_err
rpc_pool_read_from(rpc_pool *p, uint32_t machine, const char *ns,
                   const store_id *id, uint64_t off, void *buf, size_t len)
{
	read_wait w;

	read_wait_init(&w);
	rpc_pool_read_start(p, machine, ns, id, off, buf, len, read_wait_cb,
	                    &w);
	return read_wait_end(&w, NULL);
}

bb_err
rpc_pool_read_any(rpc_pool *p, uint32_t skip, const char *ns,
                  const store_id *id, void *buf, size_t len,
                  uint32_t *machinep)
{
	read_wait w;

	read_wait_init(&w);
	rpc_pool_read_any_start(p, skip, ns, id, buf, len, read_wait_cb, &w);
	return read_wait_end(&w, machinep);
}
