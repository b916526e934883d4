// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/server.c -- the replier: one rep0 socket listening on [server]
// rpc_addr:rpc_port, RPC_SERVER_WORKERS threads each with its own nng_ctx
// (receive, handle, send), framing (4-byte method number + packed
// request) and dispatch through the generated service.  What a method
// does is handlers.c's.
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/rpc_impl.h"

// The reply to a request that names no method (shorter than 4 bytes, or
// an unknown number) is a message holding only `Status status = 1`.  Its
// bytes are those of any response of the service with only a status set;
// InitializeResponse is exactly that message.  See docs/PROTOCOL.md.
#define RPC_STATUS_ONLY (&blobby__rpc__v1__initialize_response__descriptor)

typedef struct rpc_worker {
	rpc_server *srv;
	nng_ctx     ctx;
	nng_aio    *aio; // owned
	pthread_t   thread;
} rpc_worker;

struct rpc_server {
	nng_socket          sock;
	bool                sock_open;
	uint16_t            port;
	atomic_bool         draining;
	_Atomic(bb_ipset *) allow; // owned; who may connect over plain TCP
	// The sets a reload replaced: a pipe callback may still read one.
	bb_ipset   **retired; // owned array, each owned
	size_t       nretired;
	bool         tls;     // tls+tcp with mutual authentication
	atomic_uint  refused; // pipes closed for their address
	rpc__guard  *guard;   // owned; cuts stalled handshakes
	rpc__service svc;
	rpc_worker   workers[RPC_SERVER_WORKERS];
	size_t       nworkers; // threads running
};

// The method names in rpc_method order, as the .proto declares them.
static const char *const rpc_method_names[] = {
	[RPC_M_INITIALIZE]  = "Initialize",
	[RPC_M_REPLICATE]   = "Replicate",
	[RPC_M_HEARTBEAT]   = "HeartBeat",
	[RPC_M_DELETE]      = "Delete",
	[RPC_M_READ]        = "Read",
	[RPC_M_NODE_STATUS] = "NodeStatus",
};

// rpc_server_check_service makes sure that rpc_method and the generated
// descriptor agree, and that every response can carry a Status: the
// error replies below rely on it.
static bb_err
rpc_server_check_service(char *why, size_t whylen)
{
	const ProtobufCServiceDescriptor *sd;
	size_t                            n, i;

	sd = &blobby__rpc__v1__blobby__descriptor;
	n  = sizeof(rpc_method_names) / sizeof(rpc_method_names[0]);
	if (sd->n_methods != n) {
		return bb_why(
		    BB_EPROTO, why, whylen,
		    "rpc: the generated service does not have 6 methods");
	}
	for (i = 0; i < n; i++) {
		if (strcmp(sd->methods[i].name, rpc_method_names[i]) != 0) {
			return bb_why(
			    BB_EPROTO, why, whylen,
			    "rpc: method numbers differ from the .proto");
		}
		if (rpc__status_field(sd->methods[i].output) == NULL) {
			return bb_why(
			    BB_EPROTO, why, whylen,
			    "rpc: a response lacks `Status status = 1`");
		}
	}
	return BB_OK;
}

// rpc_server_pack packs m into a new NNG message.  On BB_OK the caller
// owns *out.
static bb_err
rpc_server_pack(const ProtobufCMessage *m, nng_msg **out)
{
	nng_msg *msg = NULL;
	size_t   len;
	int      rv;

	len = protobuf_c_message_get_packed_size(m);
	rv  = nng_msg_alloc(&msg, len);
	if (rv != 0) {
		return rpc__err_from_nng(rv);
	}
	(void) protobuf_c_message_pack(m, nng_msg_body(msg));
	*out = msg;
	return BB_OK;
}

// rpc_server_closure is the closure of every handler: it packs the
// response for the worker to send.
static void
rpc_server_closure(const ProtobufCMessage *m, void *data)
{
	rpc__reply *r = data;

	if (r->done) {
		return; // a handler answers once; keep the first answer
	}
	r->done = true;
	if (rpc_server_pack(m, &r->msg) != BB_OK) {
		r->msg = NULL;
	}
}

// rpc_server_error builds a response of type desc holding only a status
// with code and text.  Returns NULL when out of memory.  Caller owns the
// result.
static nng_msg *
rpc_server_error(const atomic_bool                *draining,
                 const ProtobufCMessageDescriptor *desc,
                 Blobby__Rpc__V1__Code code, const char *text)
{
	Blobby__Rpc__V1__Status         st  = BLOBBY__RPC__V1__STATUS__INIT;
	Blobby__Rpc__V1__Status        *stp = &st;
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage               *m     = NULL; // owned
	nng_msg                        *reply = NULL;

	f = rpc__status_field(desc); // never NULL: checked at start
	m = calloc(1, desc->sizeof_message);
	if (f == NULL || m == NULL) {
		free(m);
		return NULL;
	}
	protobuf_c_message_init(desc, m);
	st.code          = code;
	st.message       = (char *) text;
	st.shutting_down = atomic_load(draining);
	memcpy((char *) m + f->offset, &stp, sizeof(stp));
	if (rpc_server_pack(m, &reply) != BB_OK) {
		reply = NULL;
	}
	free(m);
	return reply;
}

nng_msg *
rpc__handle(rpc__service *service, const nng_sockaddr *caller,
            const uint8_t *data, size_t len)
{
	const atomic_bool                *draining = service->draining;
	const ProtobufCServiceDescriptor *sd;
	const ProtobufCMethodDescriptor  *md;
	ProtobufCService                 *svc = &service->base.base;
	ProtobufCMessage                 *in  = NULL; // owned
	rpc__reply                        r;
	char                              text[64];
	uint32_t                          m;

	memset(&r, 0, sizeof(r));
	if (caller != NULL) {
		r.has_caller = true;
		r.caller     = *caller;
	}
	sd = &blobby__rpc__v1__blobby__descriptor;
	if (len < 4) {
		return rpc_server_error(
		    draining, RPC_STATUS_ONLY,
		    BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT,
		    "message shorter than its 4-byte method number");
	}
	m = (uint32_t) data[0] << 24 | (uint32_t) data[1] << 16 |
	    (uint32_t) data[2] << 8 | (uint32_t) data[3];
	if (m >= sd->n_methods) {
		(void) snprintf(text, sizeof(text), "unknown method %lu",
		                (unsigned long) m);
		return rpc_server_error(draining, RPC_STATUS_ONLY,
		                        BLOBBY__RPC__V1__CODE__UNIMPLEMENTED,
		                        text);
	}
	md = &sd->methods[m];
	in = protobuf_c_message_unpack(md->input, NULL, len - 4, data + 4);
	if (in == NULL) {
		(void) snprintf(text, sizeof(text),
		                "%s: request does not unpack", md->name);
		return rpc_server_error(
		    draining, md->output,
		    BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT, text);
	}
	if (!rpc__wire_strings_clean(md->input, data + 4, len - 4)) {
		protobuf_c_message_free_unpacked(in, NULL);
		(void) snprintf(text, sizeof(text),
		                "%s: a string of the request holds a NUL byte",
		                md->name);
		return rpc_server_error(
		    draining, md->output,
		    BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT, text);
	}
	// Dispatch through the generated service: the method number picks
	// the handler, as it picked the input type above.
	svc->invoke(svc, m, in, rpc_server_closure, &r);
	protobuf_c_message_free_unpacked(in, NULL);
	if (!r.done) {
		return rpc_server_error(draining, md->output,
		                        BLOBBY__RPC__V1__CODE__INTERNAL,
		                        "the handler gave no response");
	}
	return r.msg;
}

// nng 1.5 has no nng_ctx_recvmsg/nng_ctx_sendmsg (they came in 1.6): a
// worker waits on its own aio instead, which is the same thing.
static void *
rpc_server_worker(void *arg)
{
	rpc_worker  *w = arg;
	nng_msg     *req, *reply;
	nng_sockaddr sa;
	bool         known;
	int          rv;

	for (;;) {
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		rv = nng_aio_result(w->aio);
		if (rv == NNG_ECLOSED) {
			break; // rpc_server_stop closed the socket
		}
		if (rv != 0) {
			bb_clock_sleep_ns(10 * BB_NS_PER_MS); // do not spin
			continue;
		}
		req = nng_aio_get_msg(w->aio);
		// Who sent it: the address of the connection it came on,
		// which the replica calls check against the fid's machine.
		memset(&sa, 0, sizeof(sa));
		known = nng_pipe_get_addr(nng_msg_get_pipe(req),
		                          NNG_OPT_REMADDR, &sa) == 0;
		reply = rpc__handle(&w->srv->svc, known ? &sa : NULL,
		                    nng_msg_body(req), nng_msg_len(req));
		nng_msg_free(req);
		if (reply == NULL) {
			continue;
		}
		nng_aio_set_msg(w->aio, reply);
		nng_ctx_send(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		if (nng_aio_result(w->aio) != 0) {
			// The aio gives the message back on failure only.
			nng_msg_free(nng_aio_get_msg(w->aio));
		}
	}
	return NULL;
}

// rpc_server_url writes tcp://addr:port, with brackets for IPv6.
static void
rpc_server_url(const bb_conf *conf, unsigned port, char *url, size_t len)
{
	const char *addr = conf->server.rpc_addr;

	if (addr == NULL) {
		addr = "127.0.0.1";
	}
	(void) snprintf(url, len,
	                strchr(addr, ':') != NULL ? "%s://[%s]:%u"
	                                          : "%s://%s:%u",
	                rpc__scheme(conf), addr, port);
}

const char *
rpc__scheme(const bb_conf *conf)
{
	return conf->server.rpc_tls ? "tls+tcp" : "tcp";
}

// rpc_server_admit closes a new pipe from an address that may not call
// (NNG_PIPE_EV_ADD_PRE: before it can deliver a request).  A refusal is
// logged; a burst of them only once a second.
static void
rpc_server_admit(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	static _Atomic int64_t last_log;
	rpc_server            *s = arg;
	nng_sockaddr           sa;
	char                   addr[64];
	int64_t                now;

	(void) ev;
	memset(&sa, 0, sizeof(sa));
	// Over TLS the certificate decides (mutual authentication, checked
	// in the handshake before the pipe exists).
	if (s->tls ||
	    (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0 &&
	     rpc__allow_has(atomic_load(&s->allow), &sa))) {
		rpc__guard_admitted(s->guard, p);
		return;
	}
	(void) nng_pipe_close(p);
	atomic_fetch_add(&s->refused, 1);
	now = bb_clock_mono_ns() / BB_NS_PER_SEC;
	if (atomic_exchange(&last_log, now) != now) {
		rpc__allow_describe(&sa, addr, sizeof(addr));
		bb_log_warn("rpc: refused a connection from %s: not a "
		            "configured peer",
		            addr);
	}
}

// rpc_server_gone tells the guard that a pipe closed.
static void
rpc_server_gone(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	rpc_server *s = arg;

	(void) ev;
	rpc__guard_removed(s->guard, p);
}

bb_err
rpc_server_start(const bb_conf *conf, store *st, rpc_server **sp, char *why,
                 size_t whylen)
{
	rpc_server     *s = NULL;
	rpc_worker     *w;
	nng_listener    l;
	nng_tls_config *tls = NULL;
	bb_ipset       *set = NULL;
	char            url[128];
	int             port = 0;
	int             rv;
	bb_err          err;
	size_t          i;

	err = rpc_server_check_service(why, whylen);
	if (err != BB_OK) {
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		err = bb_why(BB_ENOMEM, why, whylen, "rpc: out of memory");
		goto fail;
	}
	atomic_init(&s->draining, false);
	rpc__service_init(&s->svc, conf, st, &s->draining);
	rv = nng_rep0_open(&s->sock);
	if (rv != 0) {
		err = bb_why(rpc__err_from_nng(rv), why, whylen,
		             "rpc: cannot open the rep0 socket");
		goto fail;
	}
	s->sock_open = true;
	// NNG's default limit (1 MiB) is not ours: set it, on the socket
	// and on the listener, so that a larger message drops its pipe.
	rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, RPC_MAX_MSG);
	if (rv != 0) {
		err = bb_why(rpc__err_from_nng(rv), why, whylen,
		             "rpc: cannot set the receive limit");
		goto fail;
	}
	// Before the listener starts, so that no pipe escapes the check.
	err = rpc__allow_new(conf, &set);
	atomic_init(&s->allow, set);
	if (err != BB_OK) {
		(void) bb_why(err, why, whylen, "rpc: out of memory");
		goto fail;
	}
	err = rpc__guard_new(&conf->server, &s->guard);
	if (err != BB_OK) {
		(void) bb_why(err, why, whylen,
		              "rpc: cannot make the handshake guard: %s",
		              bb_strerror(err));
		goto fail;
	}
	rv =
	    nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_PRE, rpc_server_admit, s);
	if (rv == 0) {
		rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST,
		                     rpc_server_gone, s);
	}
	if (rv != 0) {
		err = bb_why(rpc__err_from_nng(rv), why, whylen,
		             "rpc: cannot watch new connections");
		goto fail;
	}
	rpc_server_url(conf, conf->server.rpc_port, url, sizeof(url));
	rv = nng_listener_create(&l, s->sock, url);
	if (rv == 0) {
		rv = nng_listener_set_size(l, NNG_OPT_RECVMAXSZ, RPC_MAX_MSG);
	}
	if (rv == 0 && conf->server.rpc_tls) {
		err = rpc__tls_config(conf, true, &tls, why, whylen);
		if (err != BB_OK) {
			goto fail;
		}
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls);
		nng_tls_config_free(tls); // the listener holds a reference
		s->tls = true;
	}
	if (rv == 0) {
		rv = nng_listener_start(l, 0);
	}
	if (rv == 0) {
		rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port);
	}
	if (rv != 0) {
		err =
		    bb_why(rpc__err_from_nng(rv), why, whylen,
		           "rpc: cannot listen on [server] rpc_addr:rpc_port");
		goto fail;
	}
	s->port = (uint16_t) port;
	err     = rpc__guard_start(s->guard,
                               conf->server.rpc_addr != NULL
	                               ? conf->server.rpc_addr
	                               : "127.0.0.1",
	                           s->port);
	if (err != BB_OK) {
		(void) bb_why(err, why, whylen,
		              "rpc: cannot start the handshake guard");
		goto fail;
	}
	for (i = 0; i < RPC_SERVER_WORKERS; i++) {
		w      = &s->workers[i];
		w->srv = s;
		rv     = nng_aio_alloc(&w->aio, NULL, NULL);
		if (rv == 0) {
			rv = nng_ctx_open(&w->ctx, s->sock);
		}
		if (rv != 0) {
			err = bb_why(rpc__err_from_nng(rv), why, whylen,
			             "rpc: cannot make a replier context");
			goto fail;
		}
		if (pthread_create(&w->thread, NULL, rpc_server_worker, w) !=
		    0) {
			err = bb_why(BB_ESYS, why, whylen,
			             "rpc: cannot start a worker thread");
			goto fail;
		}
		s->nworkers++;
	}
	rpc_server_url(conf, s->port, url, sizeof(url));
	bb_log_info("rpc: listening on %s", url);
	*sp = s;
	return BB_OK;

fail:
	rpc_server_stop(s);
	return err;
}

uint16_t
rpc_server_port(const rpc_server *s)
{
	return s->port;
}

void
rpc_server_set_draining(rpc_server *s, bool on)
{
	atomic_store(&s->draining, on);
}

// rpc_server_free frees s once nothing of NNG calls into it any more.
static void
rpc_server_free(void *arg)
{
	rpc_server *s = arg;
	size_t      i;

	for (i = 0; i < RPC_SERVER_WORKERS; i++) {
		if (s->workers[i].aio != NULL) {
			nng_aio_free(s->workers[i].aio);
		}
	}
	bb_ipset_free(atomic_load(&s->allow));
	for (i = 0; i < s->nretired; i++) {
		bb_ipset_free(s->retired[i]);
	}
	free(s->retired);
	rpc__guard_free(s->guard);
	free(s);
}

// What rpc_server_peers_prepare made: the new address set, and room to
// retire the old one.
struct rpc_server_peers {
	const bb_conf *conf;  // borrowed
	bb_ipset      *allow; // owned until committed
};

bb_err
rpc_server_peers_prepare(rpc_server *s, const bb_conf *conf,
                         rpc_server_peers **np)
{
	rpc_server_peers *n;
	bb_ipset        **v;
	bb_err            rv;

	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		return BB_ENOMEM;
	}
	n->conf = conf;
	rv      = rpc__allow_new(conf, &n->allow);
	if (rv == BB_OK) {
		v  = realloc(s->retired, (s->nretired + 1) * sizeof(*v));
		rv = v == NULL ? BB_ENOMEM : BB_OK;
		if (v != NULL) {
			s->retired = v;
		}
	}
	if (rv != BB_OK) {
		rpc_server_peers_free(n);
		return rv;
	}
	*np = n;
	return BB_OK;
}

void
rpc_server_peers_commit(rpc_server *s, rpc_server_peers *n)
{
	// Kept until the server stops: an admission check may be reading
	// the old set right now, and reloads are few.
	s->retired[s->nretired++] = atomic_exchange(&s->allow, n->allow);
	n->allow                  = NULL;
	atomic_store(&s->svc.peers, n->conf);
	rpc_server_peers_free(n);
}

void
rpc_server_peers_free(rpc_server_peers *n)
{
	if (n == NULL) {
		return;
	}
	bb_ipset_free(n->allow);
	free(n);
}

void
rpc_server_stop(rpc_server *s)
{
	size_t i;

	if (s == NULL) {
		return;
	}
	// Closing each context fails its pending receive with NNG_ECLOSED,
	// which is how the workers learn to stop; the socket closes only
	// once no worker uses it (closing it under them can hang in
	// libnng 1.5: seen under load with a peer killed at the same time).
	// With no context receiving, a connection stops reading after the
	// request it has in hand, which narrows the window of close.c's
	// hang to a request in transit at this moment.
	for (i = 0; i < s->nworkers; i++) {
		(void) nng_ctx_close(s->workers[i].ctx);
	}
	for (i = 0; i < s->nworkers; i++) {
		(void) pthread_join(s->workers[i].thread, NULL);
	}
	if (!s->sock_open) {
		rpc_server_free(s);
		return;
	}
	(void) rpc__sock_close(s->sock, rpc_server_free, s,
	                       "the RPC server's connections");
}
