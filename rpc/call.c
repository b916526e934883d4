// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/call.c -- calls on a peer's contexts (client.c owns the peer), in
// two halves, start and finish, so that a caller can have calls to
// several peers in flight at once.  A blocking call runs on an aio of
// its context without a callback, and its thread waits on it; an
// asynchronous one (rpc_peer_call_async) runs as a state machine in the
// callback of the context's other aio (send, then receive, then unpack),
// hears of its end through its own callback, and waits for a free
// context in the peer's queue instead of a thread.
#include <errno.h>
#include <nng/nng.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "rpc/rpc_impl.h"

struct rpc_call {
	rpc_peer  *peer;
	rpc_slot  *slot; // NULL while queued
	rpc_method m;
	uint64_t   gen;         // peer->gen when the slot was taken
	int64_t    start_ns;    // monotonic: when it was made (metrics)
	int64_t    deadline_ns; // monotonic
	bool       canceled;    // under peer->mu: post nothing more
	nng_msg   *req;         // owned while queued for a slot
	rpc_call  *qnext;       // in the peer's queue
	// An asynchronous call ends through cb (which frees the call then);
	// a blocking one (cb NULL) in rpc_call_finish.
	rpc_call_done cb;
	void         *arg;
	bb_err        rv; // of a queued call that failed (rpc_failed)
};

// Calls that end with an error once peer->mu is let go (their callbacks
// may not run under it), chained through qnext, rv in their rv.
typedef struct rpc_failed {
	rpc_call *head;
} rpc_failed;

static void   rpc_call_end(rpc_call *c, bb_err rv, ProtobufCMessage *resp);
static bb_err rpc_call_post_locked(rpc_call *c, nng_msg *msg);

// rpc__calls_fail fails every call in flight on p with NNG error e;
// a call between its send and its receive sees gen change instead
// (rpc_call_post_locked).  When p's last connection is gone: NNG fails a
// request already sent on it by itself (no resends, see rpc_peer_open), but
// one queued in the moment between the drop and this notice would wait for a
// connection until its deadline.  When p stops answering: its calls
// would wait out their deadlines.
void
rpc__calls_fail(rpc_peer *p, int e)
{
	rpc_call *q;
	rpc_call *next;
	unsigned  i;

	(void) pthread_mutex_lock(&p->mu);
	p->gen++;
	for (i = 0; i <= p->nctx; i++) {
		if (p->slots[i].busy) {
			// Only one of them is in use; the other has no
			// operation to abort.
			nng_aio_abort(p->slots[i].aio, e);
			nng_aio_abort(p->slots[i].waio, e);
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

	ts = bb_clock_ts(c->deadline_ns);
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
	rpc_peer    *p   = c->peer;
	rpc_slot    *sl  = c->slot;
	nng_aio     *aio = c->cb != NULL ? sl->aio : sl->waio;
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
	nng_aio_set_timeout(aio, left);
	if (msg != NULL) {
		// The send completes once a connection takes the request;
		// the aio owns msg until then, and gives it back on failure.
		sl->recv = false;
		nng_aio_set_msg(aio, msg);
		nng_ctx_send(sl->ctx, aio);
	} else {
		// The reply comes back on the context of its request.
		sl->recv = true;
		nng_ctx_recv(sl->ctx, aio);
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

// rpc_call_end delivers the outcome of an asynchronous call c, which
// holds no slot any more, to its callback (which then owns resp), and
// frees c.
static void
rpc_call_end(rpc_call *c, bb_err rv, ProtobufCMessage *resp)
{
	if (c->req != NULL) {
		nng_msg_free(c->req); // it never left the queue
		c->req = NULL;
	}
	rpc__stats_note(c->peer, c->m, rv, c->start_ns);
	c->cb(c->arg, rv, rv == BB_OK ? resp : NULL);
	free(c);
}

// rpc__slot_cb is the callback of a slot's aio: the send of its call
// completed (then its receive is posted) or the receive did (then the
// reply is unpacked and the call ends).  An NNG thread; it never blocks.
// Once the slot is given back it may carry another call at once, so
// nothing of the slot is read after that.
void
rpc__slot_cb(void *arg)
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
		// Refused before anything is sent: a failed call all the
		// same, for the peer's error count.
		rpc__stats_note(p, m, BB_EUNAVAIL, 0);
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
	c->start_ns    = bb_clock_mono_ns();
	c->deadline_ns = c->start_ns + timeout_ns;
	*cp            = c;
	return BB_OK;
}

// rpc_call_start is rpc_peer_call_start, for a probe too: a probe goes
// to a peer that does not answer, on the probe slot.
static bb_err
rpc_call_start(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
               int64_t timeout_ns, bool probe, rpc_call **cp)
{
	rpc_call *c = NULL;
	bb_err    rv;

	rv = rpc_call_new(p, m, req, timeout_ns, probe, &c);
	if (rv != BB_OK) {
		return rv;
	}
	rv = rpc_peer_take(p, probe, c);
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
	rpc__stats_note(p, m, rv, c->start_ns);
	nng_msg_free(c->req);
	free(c);
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
	ProtobufCMessage *resp;
	rpc_slot         *sl  = c->slot;
	nng_msg          *msg = NULL;
	bb_err            rv;

	// A blocking call runs on the slot's aio without a callback: NNG
	// completes it on its own threads and wakes this one, with no task
	// thread in between (a callback would add one per phase).
	nng_aio_wait(sl->waio);
	rv = rpc__err_from_nng(nng_aio_result(sl->waio));
	if (rv != BB_OK) {
		nng_msg_free(nng_aio_get_msg(sl->waio)); // ours again
		nng_aio_set_msg(sl->waio, NULL);
		goto done;
	}
	(void) pthread_mutex_lock(&c->peer->mu);
	rv = rpc_call_post_locked(c, NULL);
	(void) pthread_mutex_unlock(&c->peer->mu);
	if (rv != BB_OK) {
		goto done;
	}
	nng_aio_wait(sl->waio);
	rv = rpc__err_from_nng(nng_aio_result(sl->waio));
	if (rv != BB_OK) {
		goto done;
	}
	msg = nng_aio_get_msg(sl->waio);
	nng_aio_set_msg(sl->waio, NULL);
	resp = rpc_call_unpack(c, msg); // frees msg
	if (resp == NULL) {
		rv = BB_EPROTO;
		goto done;
	}
	*respp = resp;
done:
	(void) pthread_mutex_lock(&c->peer->mu);
	c->slot = NULL;
	(void) pthread_mutex_unlock(&c->peer->mu);
	rpc_peer_give(c->peer, sl);
	rpc__stats_note(c->peer, c->m, rv, c->start_ns);
	free(c);
	return rv;
}

void
rpc_call_cancel(rpc_call *c)
{
	ProtobufCMessage *resp = NULL;

	(void) pthread_mutex_lock(&c->peer->mu);
	c->canceled = true;
	nng_aio_abort(c->slot->waio, NNG_ECANCELED);
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
