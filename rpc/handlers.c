// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/handlers.c -- the six methods of service Blobby, over storage: the
// replica calls, Read (never forwarded; one call may carry several reads)
// and NodeStatus.  Each handler checks its arguments, calls storage and
// answers through its closure, once.  It knows nothing of NNG: framing and
// dispatch are server.c's.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc_impl.h"

typedef Blobby__Rpc__V1__Blobby_Service rpc_svc;

// The message of a status that is not OK: the cause and the object.
// Empty until a failure writes it; then the reply carries it.
typedef struct {
	char text[160];
} rpc_msg;

// rpc_msg_init empties m.
static void
rpc_msg_init(rpc_msg *m)
{
	m->text[0] = '\0';
}

// rpc_msg_get returns m's text for rpc__status_set, or NULL (the code's
// own text) when no failure wrote one.  Borrowed from m.
static const char *
rpc_msg_get(const rpc_msg *m)
{
	return m->text[0] != '\0' ? m->text : NULL;
}

static void
rpc_msg_set(rpc_msg *m, const char *what, const char *ns, bb_err err)
{
	(void) snprintf(m->text, sizeof(m->text), "%s %s: %s", what, ns,
	                bb_strerror(err));
}

// rpc_find checks the namespace and the fid of a request.  On BB_OK *nsp
// and *fid are set; otherwise why says what is wrong.
static bb_err
rpc_find(const rpc__service *svc, const char *name,
         const ProtobufCBinaryData *fidb, store_ns **nsp, store_fid *fid,
         char *why, size_t whylen)
{
	store_ns *ns;

	if (fidb->len != STORE_FID_LEN) {
		// Plain returns, not bb_why's: the compiler then sees that
		// *nsp is set on every BB_OK.
		(void) bb_why(BB_EINVAL, why, whylen,
		              "fid must be exactly 10 bytes");
		return BB_EINVAL;
	}
	ns = store_find_ns(svc->st, name, strlen(name));
	if (ns == NULL) {
		(void) bb_why(BB_ENOENT, why, whylen, "no such namespace");
		return BB_ENOENT;
	}
	memcpy(fid->b, fidb->data, STORE_FID_LEN);
	*nsp = ns;
	return BB_OK;
}

// rpc_replica_find is rpc_find for the replica calls, which change a
// replica: only the machine the fid names may make them (rpc/allow.c),
// and only for a replica this node may hold (no shadow of a primary:
// store_ns_replica_check).  cd is the handler's closure_data (server.c's
// rpc__reply, which says who called).
static bb_err
rpc_replica_find(const rpc__service *svc, const void *cd, const char *name,
                 const ProtobufCBinaryData *fidb, store_ns **nsp,
                 store_fid *fid, char *why, size_t whylen)
{
	const rpc__reply *r = cd;
	store_ns         *ns;
	bb_err            rv;

	rv = rpc_find(svc, name, fidb, &ns, fid, why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	rv = rpc__allow_machine(atomic_load(&((rpc__service *) svc)->peers),
	                        r->has_caller ? &r->caller : NULL,
	                        store_fid_machine(fid), why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	rv = store_ns_replica_check(ns, fid, why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	*nsp = ns;
	return BB_OK;
}

// rpc_replica_op runs op on the replica that (name, fidb) names and fills
// st.  m holds st's message, so it must live until the reply is packed.
static void
rpc_replica_op(const rpc__service *svc, const void *cd, const char *name,
               const ProtobufCBinaryData *fidb,
               bb_err (*op)(store_ns *, const store_fid *), const char *what,
               Blobby__Rpc__V1__Status *st, rpc_msg *m)
{
	store_ns *ns = NULL;
	store_fid fid;
	bb_err    rv;

	rpc_msg_init(m);
	rv = rpc_replica_find(svc, cd, name, fidb, &ns, &fid, m->text,
	                      sizeof(m->text));
	if (rv == BB_OK) {
		rv = op(ns, &fid);
		if (rv != BB_OK) {
			rpc_msg_set(m, what, name, rv);
		}
	}
	rpc__status_set(st, svc->draining, rv, rpc_msg_get(m));
}

static void
rpc_handle_initialize(rpc_svc                                    *service,
                      const Blobby__Rpc__V1__InitializeRequest   *in,
                      Blobby__Rpc__V1__InitializeResponse_Closure closure,
                      void                                       *closure_data)
{
	const rpc__service *svc = (const rpc__service *) service;
	Blobby__Rpc__V1__InitializeResponse out =
	    BLOBBY__RPC__V1__INITIALIZE_RESPONSE__INIT;
	Blobby__Rpc__V1__Status st = BLOBBY__RPC__V1__STATUS__INIT;
	rpc_msg                 m;

	rpc_replica_op(svc, closure_data, in->namespace_, &in->fid,
	               store_ns_replica_initialize, "initialize in", &st, &m);
	out.status = &st;
	closure(&out, closure_data);
}

static void
rpc_handle_replicate(rpc_svc                                   *service,
                     const Blobby__Rpc__V1__ReplicateRequest   *in,
                     Blobby__Rpc__V1__ReplicateResponse_Closure closure,
                     void                                      *closure_data)
{
	const rpc__service *svc = (const rpc__service *) service;
	Blobby__Rpc__V1__ReplicateResponse out =
	    BLOBBY__RPC__V1__REPLICATE_RESPONSE__INIT;
	Blobby__Rpc__V1__Status st     = BLOBBY__RPC__V1__STATUS__INIT;
	uint64_t                offset = 0;
	rpc_msg                 m;
	store_ns               *ns;
	store_fid               fid;
	bb_err                  rv;

	rpc_msg_init(&m);
	rv = rpc_replica_find(svc, closure_data, in->namespace_, &in->fid, &ns,
	                      &fid, m.text, sizeof(m.text));
	if (rv == BB_OK && in->data.len > RPC_MAX_CHUNK) {
		rv = bb_why(BB_EINVAL, m.text, sizeof(m.text),
		            "data is larger than max_chunk");
	}
	if (rv == BB_OK) {
		rv = store_ns_replica_replicate(ns, &fid, in->start,
		                                in->data.data, in->data.len,
		                                in->hash, in->sync, &offset);
		if (rv != BB_OK) {
			rpc_msg_set(&m, "replicate in", in->namespace_, rv);
		}
	}
	rpc__status_set(&st, svc->draining, rv, rpc_msg_get(&m));
	out.status = &st;
	out.offset = rv == BB_OK ? offset : 0;
	closure(&out, closure_data);
}

static void
rpc_handle_heart_beat(rpc_svc                                   *service,
                      const Blobby__Rpc__V1__HeartBeatRequest   *in,
                      Blobby__Rpc__V1__HeartBeatResponse_Closure closure,
                      void                                      *closure_data)
{
	const rpc__service *svc = (const rpc__service *) service;
	Blobby__Rpc__V1__HeartBeatResponse out =
	    BLOBBY__RPC__V1__HEART_BEAT_RESPONSE__INIT;
	Blobby__Rpc__V1__Status st = BLOBBY__RPC__V1__STATUS__INIT;
	rpc_msg                 m;

	rpc_replica_op(svc, closure_data, in->namespace_, &in->fid,
	               store_ns_replica_heartbeat, "heart beat in", &st, &m);
	out.status = &st;
	closure(&out, closure_data);
}

static void
rpc_handle_delete(rpc_svc *service, const Blobby__Rpc__V1__DeleteRequest *in,
                  Blobby__Rpc__V1__DeleteResponse_Closure closure,
                  void                                   *closure_data)
{
	const rpc__service             *svc = (const rpc__service *) service;
	Blobby__Rpc__V1__DeleteResponse out =
	    BLOBBY__RPC__V1__DELETE_RESPONSE__INIT;
	Blobby__Rpc__V1__Status st = BLOBBY__RPC__V1__STATUS__INIT;
	rpc_msg                 m;

	rpc_replica_op(svc, closure_data, in->namespace_, &in->fid,
	               store_ns_replica_delete, "delete in", &st, &m);
	out.status = &st;
	closure(&out, closure_data);
}

// rpc_read_one serves one read of a Read call into buf (in->length
// bytes, plus one): this node's own files (primaries and replicas
// r-<fid>) and, for a fid of this node's machine id, its archive.  Never
// a forward: a read that misses here is answered here, so that two nodes
// can never bounce a read between them.  On failure m says why.
static bb_err
rpc_read_one(const rpc__service *svc, const Blobby__Rpc__V1__ReadRequest *in,
             uint8_t *buf, rpc_msg *m)
{
	store_ns *ns;
	store_id  id;
	bb_err    rv;

	rpc_msg_init(m);
	rv = rpc_find(svc, in->namespace_, &in->fid, &ns, &id.fid, m->text,
	              sizeof(m->text));
	if (rv != BB_OK) {
		return rv;
	}
	id.start  = in->start;
	id.length = in->length;
	rv        = store_ns_read_copy(ns, &id, buf);
	// The owner also serves its directory archive: a node that
	// archives to a directory of its own is the only one that can
	// reach it (S3 every node reads itself, without this hop).
	if (rv == BB_ENOENT &&
	    store_fid_machine(&id.fid) == svc->conf->machine_id &&
	    store_ns_conf(ns)->archive == BB_ARCHIVE_DIR) {
		rv = store_ns_read_archive_copy(ns, &id, buf);
	}
	if (rv != BB_OK) {
		rpc_msg_set(m, "read in", in->namespace_, rv);
	}
	return rv;
}

// The answers to the reads of one Read call: the first in the response
// itself, the others (ReadRequest.more) in its more, in order.
typedef struct rpc_reads {
	size_t                          n;     // 1 + n_more
	size_t                          total; // bytes of every length
	uint8_t                        *buf;   // owned; total + 1 bytes
	Blobby__Rpc__V1__ReadResponse  *outs;  // owned; n_more of them
	Blobby__Rpc__V1__ReadResponse **more;  // owned; &outs[i]
	Blobby__Rpc__V1__Status        *sts;   // owned; n of them
	rpc_msg                        *msgs;  // owned; n of them
} rpc_reads;

static void
rpc_reads_free(rpc_reads *r)
{
	free(r->buf);
	free(r->outs);
	free(r->more);
	free(r->sts);
	free(r->msgs);
}

// rpc_reads_new checks the size of a Read call and allocates what its
// answers need.  On failure why says what is wrong.
static bb_err
rpc_reads_new(const Blobby__Rpc__V1__ReadRequest *in, rpc_reads *r, char *why,
              size_t whylen)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	if (in->n_more > RPC_READ_MORE_MAX) {
		return bb_why(BB_EINVAL, why, whylen,
		              "more than %d reads in more", RPC_READ_MORE_MAX);
	}
	r->n     = 1 + in->n_more;
	r->total = in->length;
	for (i = 0; i < in->n_more; i++) {
		r->total += in->more[i]->length; // 64 of 32 bits: no wrap
	}
	if (r->total > RPC_MAX_CHUNK) {
		return bb_why(BB_EINVAL, why, whylen,
		              "length is larger than max_chunk");
	}
	// One byte more than asked, so that a zero length still gets a
	// real buffer.
	r->buf  = malloc(r->total + 1);
	r->sts  = calloc(r->n, sizeof(*r->sts));
	r->msgs = calloc(r->n, sizeof(*r->msgs));
	if (in->n_more > 0) {
		r->outs = calloc(in->n_more, sizeof(*r->outs));
		r->more = calloc(in->n_more, sizeof(*r->more));
	}
	if (r->buf == NULL || r->sts == NULL || r->msgs == NULL ||
	    (in->n_more > 0 && (r->outs == NULL || r->more == NULL))) {
		rpc_reads_free(r);
		memset(r, 0, sizeof(*r));
		return bb_why(BB_ENOMEM, why, whylen, "out of memory");
	}
	return BB_OK;
}

// Read answers the read of the request and those of its more (each with
// its own status), from one buffer.
static void
rpc_handle_read(rpc_svc *service, const Blobby__Rpc__V1__ReadRequest *in,
                Blobby__Rpc__V1__ReadResponse_Closure closure,
                void                                 *closure_data)
{
	const rpc__service           *svc = (const rpc__service *) service;
	Blobby__Rpc__V1__ReadResponse out =
	    BLOBBY__RPC__V1__READ_RESPONSE__INIT;
	Blobby__Rpc__V1__ReadResponse      *o;
	const Blobby__Rpc__V1__ReadRequest *q;
	Blobby__Rpc__V1__Status             st = BLOBBY__RPC__V1__STATUS__INIT;
	rpc_reads                           r;
	rpc_msg                             m;
	size_t                              at = 0;
	size_t                              i;
	bb_err                              rv;

	rpc_msg_init(&m);
	rv = rpc_reads_new(in, &r, m.text, sizeof(m.text));
	if (rv != BB_OK) {
		rpc__status_set(&st, svc->draining, rv, rpc_msg_get(&m));
		out.status = &st;
		closure(&out, closure_data);
		return;
	}
	for (i = 0; i < r.n; i++) {
		q = i == 0 ? in : in->more[i - 1];
		o = &out;
		if (i > 0) {
			o = &r.outs[i - 1];
			blobby__rpc__v1__read_response__init(o);
			r.more[i - 1] = o;
		}
		blobby__rpc__v1__status__init(&r.sts[i]);
		rv = rpc_read_one(svc, q, r.buf + at, &r.msgs[i]);
		rpc__status_set(&r.sts[i], svc->draining, rv,
		                rpc_msg_get(&r.msgs[i]));
		o->status = &r.sts[i];
		if (rv == BB_OK) {
			o->data.data = r.buf + at;
			o->data.len  = q->length;
		}
		at += q->length;
	}
	out.n_more = in->n_more;
	out.more   = r.more;
	closure(&out, closure_data);
	rpc_reads_free(&r);
}

static void
rpc_handle_node_status(rpc_svc                                    *service,
                       const Blobby__Rpc__V1__NodeStatusRequest   *in,
                       Blobby__Rpc__V1__NodeStatusResponse_Closure closure,
                       void *closure_data)
{
	const rpc__service *svc = (const rpc__service *) service;
	Blobby__Rpc__V1__NodeStatusResponse out =
	    BLOBBY__RPC__V1__NODE_STATUS_RESPONSE__INIT;
	Blobby__Rpc__V1__Status st    = BLOBBY__RPC__V1__STATUS__INIT;
	char                  **names = NULL; // owned array, borrowed strings
	const bb_conf          *conf  = svc->conf;
	bb_err                  rv    = BB_OK;
	size_t                  i;

	(void) in;
	if (conf->n_namespaces > 0) {
		names = calloc(conf->n_namespaces, sizeof(*names));
		rv    = names == NULL ? BB_ENOMEM : BB_OK;
	}
	if (rv == BB_OK) {
		for (i = 0; i < conf->n_namespaces; i++) {
			names[i] = conf->namespaces[i].name;
		}
		out.machine_id   = conf->machine_id;
		out.version      = (char *) RPC__VERSION;
		out.max_chunk    = RPC_MAX_CHUNK;
		out.n_namespaces = conf->n_namespaces;
		out.namespaces   = names;
	}
	rpc__status_set(&st, svc->draining, rv, NULL);
	out.status = &st;
	closure(&out, closure_data);
	free(names);
}

// The generated initializer names each handler by prefix + method: a
// method added to the .proto without a handler here fails to compile.
static const Blobby__Rpc__V1__Blobby_Service rpc_handlers =
    BLOBBY__RPC__V1__BLOBBY__INIT(rpc_handle_);

void
rpc__service_init(rpc__service *svc, const bb_conf *conf, store *st,
                  const atomic_bool *draining)
{
	memset(svc, 0, sizeof(*svc));
	svc->base = rpc_handlers;
	svc->conf = conf;
	atomic_init(&svc->peers, conf);
	svc->st       = st;
	svc->draining = draining;
}
