// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/rpc_impl.h -- what the files of rpc/ share and nothing else may
// include: the service the server dispatches through (handlers.c fills
// it, server.c invokes it), status helpers and the NNG error mapping.
#ifndef RPC_RPC_IMPL_H
#define RPC_RPC_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "common/ipset.h"
#include "rpc/rpc.h"

#define RPC__VERSION "0.1.0"

// A configuration a reload may replace.
typedef _Atomic(const bb_conf *) rpc__conf_ref;

// The generated service with what the handlers need.  base comes first:
// protobuf-c hands the handlers &base, which they cast back.
typedef struct rpc__service {
	Blobby__Rpc__V1__Blobby_Service base;
	const bb_conf                  *conf;     // borrowed
	store                          *st;       // borrowed
	const atomic_bool              *draining; // borrowed, the server's
	// The configuration whose [remote.*] sections say who may make
	// replica calls: conf, or the one a reload put in force.
	rpc__conf_ref peers; // borrowed
} rpc__service;

// The closure_data that server.c hands every handler: where the answer
// goes (the closure fills msg and done) and who called (the remote
// address of the request's connection), which the replica calls check.
typedef struct rpc__reply {
	nng_msg     *msg; // owned; NULL if packing failed
	bool         done;
	bool         has_caller; // caller is set
	nng_sockaddr caller;
} rpc__reply;

// rpc__allow_new makes the set of addresses allowed to call the server
// over plain TCP: loopback (127.0.0.1, ::1) and every [remote.<id>] host
// that is an IP literal.  conf is borrowed for the call only.  On BB_OK
// the caller owns *setp; free it with bb_ipset_free().  Errors:
// BB_ENOMEM.
bb_err rpc__allow_new(const bb_conf *conf, bb_ipset **setp);

// rpc__allow_has says whether the peer address sa may call.  Thread-safe
// (set is read only).
bool rpc__allow_has(const bb_ipset *set, const nng_sockaddr *sa);

// rpc__allow_machine says whether a request that came from caller (the
// remote address of its connection; NULL when unknown) may act for
// machine: Initialize, Replicate, HeartBeat and Delete of a fid that
// names machine.  Only from the host of [remote.<machine>] in conf: over
// plain TCP and over mutual TLS alike (the certificate admits a cluster
// node, the address says which).  Machines that share a host cannot be
// told apart: a call from that host may act for any of them.  BB_OK, or
// BB_EACCES with a one-line reason in why[0..whylen) (common/err.h).
// Thread-safe (conf is read only).
bb_err rpc__allow_machine(const bb_conf *conf, const nng_sockaddr *caller,
                          uint32_t machine, char *why, size_t whylen);

// rpc__allow_source picks the address a client dials peer_host (an IP
// literal) from: [server] rpc_addr, so that the peer sees this node's
// configured address, when rpc_addr is a specific address (not a
// wildcard) of peer_host's family and is loopback only if peer_host is.
// Returns false when the kernel should pick the source.  *src is set on
// true only.
bool rpc__allow_source(const bb_conf *conf, const char *peer_host, bb_ip *src);

// rpc__allow_describe writes sa as text into buf, for logs.
void rpc__allow_describe(const nng_sockaddr *sa, char *buf, size_t len);

// --- The handshake guard of the server's connections (guard.c) ---

typedef struct rpc__guard rpc__guard;

// rpc__guard_new makes the guard of sc's rpc_handshake_timeout,
// rpc_max_handshakes and rpc_max_handshakes_per_address (sc is read
// now only).  It keeps three descriptors open (/proc/self/fd, and two
// for looking at a socket when the process has no other left).  On
// BB_OK the caller owns *gp: rpc__guard_free.  Errors: BB_ENOMEM,
// BB_ESYS (no /proc, no descriptor).
bb_err rpc__guard_new(const bb_server_conf *sc, rpc__guard **gp);

// rpc__guard_start starts the thread that sweeps, every 500 ms, the
// connections accepted on addr:port (an IP literal, borrowed for the
// call; NULL or a wildcard: any address; port in host order) that are
// not admitted pipes (rpc__guard_sweep).  Errors: BB_ESYS.
bb_err rpc__guard_start(rpc__guard *g, const char *addr, uint16_t port);

// rpc__guard_admitted records p (from NNG_PIPE_EV_ADD_PRE, once the
// server lets it call): the guard leaves its connection alone.  Closes
// p when out of memory.  rpc__guard_removed forgets p (from
// NNG_PIPE_EV_REM_POST).  Thread-safe.
void rpc__guard_admitted(rpc__guard *g, nng_pipe p);
void rpc__guard_removed(rpc__guard *g, nng_pipe p);

// rpc__guard_sweep shuts down, at now_ns (monotonic), the connections of
// the port not admitted for rpc_handshake_timeout since a sweep first
// saw them, and the oldest beyond the limits.  Returns how many it cut.
// The sweeper thread's, or a test's without it.
unsigned rpc__guard_sweep(rpc__guard *g, int64_t now_ns);

// rpc__guard_cut_count returns the connections cut so far.  Thread-safe.
unsigned rpc__guard_cut_count(rpc__guard *g);

// rpc__guard_free stops the sweeper and frees g; NULL is a no-op.  No
// pipe callback may run any more.
void rpc__guard_free(rpc__guard *g);

typedef struct nng_tls_config nng_tls_config;

// rpc__tls_config makes the TLS configuration of a server (server) or a
// client from conf's rpc_tls_* files: this node's certificate and key,
// the CA, peer certificates required.  On BB_OK the caller owns *cfgp
// (nng_tls_config_free).  Errors: BB_ECONFIG, with the reason in
// why[0..whylen).
bb_err rpc__tls_config(const bb_conf *conf, bool server, nng_tls_config **cfgp,
                       char *why, size_t whylen);

// rpc__scheme is "tls+tcp" when conf asks for RPC over TLS, else "tcp".
const char *rpc__scheme(const bb_conf *conf);

// rpc__service_init fills svc with the six handlers of handlers.c
// (BLOBBY__RPC__V1__BLOBBY__INIT) and the borrowed conf, st and draining,
// which must outlive svc.  Each handler calls its closure exactly once,
// synchronously, with a response whose status is set.
void rpc__service_init(rpc__service *svc, const bb_conf *conf, store *st,
                       const atomic_bool *draining);

// rpc__handle answers one request data[0..len) (a 4-byte big-endian
// method number and the packed request) that came from caller (NULL:
// unknown), through svc's handlers: what a server's worker does with each
// message (server.c).  Returns the reply (the caller owns it,
// nng_msg_free), or NULL when out of memory: the requester then sees its
// deadline pass.  Never trusts a byte of data; data and caller are
// borrowed.  Thread-safe as the handlers are.  tests/fuzz/rpc_dispatch.c
// calls it without a socket.
nng_msg *rpc__handle(rpc__service *svc, const nng_sockaddr *caller,
                     const uint8_t *data, size_t len);

// rpc__status_set fills *status for err (code from rpc_code_from_err; the
// message is msg, or bb_strerror(err) when msg is NULL; empty when OK)
// and the drain flag.  msg is borrowed: it must live until the response
// is packed.
void rpc__status_set(Blobby__Rpc__V1__Status *status, const atomic_bool *drain,
                     bb_err err, const char *msg);

// rpc__resp_status returns the Status in field 1 of a response message
// (every response of the service has `Status status = 1`), or NULL when
// the message carries none.  Borrowed from m.
const Blobby__Rpc__V1__Status *rpc__resp_status(const ProtobufCMessage *m);

// rpc__status_field returns the descriptor of field 1 of the response
// type desc when it is `Status status = 1`, else NULL.
const ProtobufCFieldDescriptor *
rpc__status_field(const ProtobufCMessageDescriptor *desc);

// --- One peer (client.c) and its calls (call.c) ---

// A req0 dialer has one connection at a time; a few slots cover the
// moment when an old pipe is not yet reported gone and a new one is up.
#define RPC_PEER_MAX_PIPES 8

typedef struct rpc_slot {
	nng_ctx          ctx;
	nng_aio         *aio;  // owned: async calls; callback rpc__slot_cb
	nng_aio         *waio; // owned: blocking calls; no callback
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
	// Coalesced reads (batch.c).
	pthread_mutex_t    bq_mu;   // guards what follows, to bq_flight
	struct rpc__bread *bq_head; // reads waiting for a batch call
	struct rpc__bread *bq_tail;
	unsigned           bq_flight;    // batch calls in flight
	_Atomic int64_t    bq_old_until; // no batch before (monotonic ns)
	// The calls' counters for /_metrics (stats.c): atomics, relaxed,
	// so that counting takes no lock on the call path.
	_Atomic uint64_t st_calls[RPC_M_COUNT];
	_Atomic uint64_t st_errors[RPC_M_COUNT];
	_Atomic uint64_t st_buckets[STORE_HIST_NBOUNDS + 1]; // not cumulative
	_Atomic uint64_t st_sum_ns;
};

// rpc__stats_note counts one call of method m to p that ended with rv:
// start_ns (monotonic) is when it was made, or 0 when it was refused
// before anything was sent (counted, but no latency).  Lock-free; any
// thread.  See stats.c.
void rpc__stats_note(rpc_peer *p, rpc_method m, bb_err rv, int64_t start_ns);

// rpc__calls_fail fails every call of p in flight (NNG error e) and those
// queued for a slot; see call.c.  Thread-safe.
void rpc__calls_fail(rpc_peer *p, int e);

// rpc__slot_cb is the callback of a slot's aio (arg is the rpc_slot):
// the state machine of the call on it.  NNG threads only.
void rpc__slot_cb(void *arg);

// --- Coalesced reads (batch.c) ---

typedef struct rpc__bread rpc__bread;

// rpc__bread_done receives the outcome of one read of rpc__bread_start:
// BB_OK once its bytes are at dst; the status of its answer, or the
// error of the call that carried it, otherwise.  Any thread, as
// rpc_call_done; it must not block.
typedef void (*rpc__bread_done)(void *arg, bb_err rv);

// rpc__bread_start reads len bytes (len <= RPC_MAX_CHUNK) at start of
// fid's file in namespace ns from p into dst, in a Read call of its own,
// or, while other Read calls of this kind are in flight to p, in one
// that carries the reads queued meanwhile (ReadRequest.more): at most
// RPC_READ_MORE_MAX + 1 reads and RPC_MAX_CHUNK bytes a call.  Its
// deadline is now + timeout_ns, queueing included.  done(arg, rv) runs
// exactly once, maybe before this returns.  ns and dst are borrowed
// until then.  Thread-safe.
void rpc__bread_start(rpc_peer *p, const char *ns, const store_fid *fid,
                      uint64_t start, size_t len, void *dst,
                      int64_t timeout_ns, rpc__bread_done done, void *arg);

// --- The health of peers (client.c, health.c) ---

typedef struct rpc__prober rpc__prober; // health.c

// One peer of a pool: its machine id and its client.
typedef struct rpc__pool_ent {
	uint32_t  id;
	rpc_peer *peer; // owned by the pool
} rpc__pool_ent;

// One generation of the pool's peers: the [remote.*] sections of one
// configuration.  A reload publishes a new view; a call that took the
// old one goes on with it.  Views and the peers they name are freed only
// when the pool closes, so nothing a call in flight holds goes away: a
// removed peer's socket stays open, unused, until then (pool.c).
typedef struct rpc__pool_view {
	rpc__pool_ent         *peers; // owned array, sorted by id
	size_t                 npeers;
	struct rpc__pool_view *older; // owned: the view this one replaced
} rpc__pool_view;

typedef _Atomic(rpc__pool_view *) rpc__view_ref;

// The pool (pool.c builds it; read.c reads it).
struct rpc_pool {
	const bb_conf  *conf;    // borrowed: machine id, deadlines, TLS
	rpc__view_ref   view;    // owned, with its older ones
	pthread_mutex_t mu;      // one reload at a time; opened
	rpc_peer      **opened;  // owned, each owned: every peer opened
	size_t          nopened; // peers in opened
	atomic_uint     next;    // round-robin position
	rpc__prober    *prober;  // owned
};

// rpc__pool_view_get returns the view in force.  Borrowed; valid until
// rpc_pool_close().  Thread-safe.
const rpc__pool_view *rpc__pool_view_get(const rpc_pool *p);

// rpc__pool_view_find finds the peer with machine_id in v, or NULL.
const rpc__pool_ent *rpc__pool_view_find(const rpc__pool_view *v,
                                         uint32_t              machine_id);

// rpc__pool_find finds the peer with machine_id in the view in force, or
// NULL.  Borrowed; valid until rpc_pool_close().
const rpc__pool_ent *rpc__pool_find(const rpc_pool *p, uint32_t machine_id);

// rpc__peer_set_responsive records whether p answers; when it stops, its
// calls in flight fail (BB_ETIMEDOUT or BB_EUNAVAIL).  Returns whether
// that changed.  Thread-safe.
bool rpc__peer_set_responsive(rpc_peer *p, bool on);

// rpc__peer_abort fails every call in flight on p (BB_ECLOSED).
void rpc__peer_abort(rpc_peer *p);

// rpc__peer_probe_start starts a NodeStatus call to p, even if p does not
// answer, on the slot kept for probes: calls hanging on every other slot
// cannot delay it.  As rpc_peer_call_start otherwise.
bb_err rpc__peer_probe_start(rpc_peer *p, int64_t timeout_ns, rpc_call **cp);

// rpc__health_note records the outcome rv of a call to e's peer: a
// timeout means it does not answer (logged when that is news).  Other
// outcomes change nothing: only a probe says it answers again.
void rpc__health_note(const rpc__pool_ent *e, bb_err rv);

// rpc__prober_start starts the thread that probes peers[0..n) (borrowed:
// they must outlive the prober) every interval_ns, with deadline
// timeout_ns, and sets and logs their health.  On BB_OK the caller owns
// *prp; stop it with rpc__prober_stop.  Errors: BB_ENOMEM, BB_ESYS.
bb_err rpc__prober_start(const rpc__pool_ent *peers, size_t n,
                         int64_t interval_ns, int64_t timeout_ns,
                         rpc__prober **prp);

// rpc__prober_set makes the rounds from the next one on probe
// peers[0..n) (borrowed as with rpc__prober_start; the peers of the round
// in flight must outlive the prober too).  Thread-safe.
void rpc__prober_set(rpc__prober *pr, const rpc__pool_ent *peers, size_t n);

// rpc__prober_stop stops the probes, joins the thread and frees pr.  A
// probe in flight gets a short grace to be answered (a reply arriving
// while its socket closes is what hangs libnng 1.5.2, see close.c) and
// is aborted after it.  NULL is a no-op.
void rpc__prober_stop(rpc__prober *pr);

// rpc__sock_close closes sock and then calls after(arg), which frees
// whatever NNG may call into until the socket is closed (pipe callbacks,
// aios).  It waits at most two seconds: true if the close finished by
// then.  Otherwise it logs a warning naming what (for example "the
// connections to machine 2"), the close goes on in a thread of its own
// and after(arg) runs only if it ever finishes.  See close.c.
bool rpc__sock_close(nng_socket sock, void (*after)(void *), void *arg,
                     const char *what);

// rpc__wire_strings_clean says whether no string field of the packed
// message data[0..len) of type d, nested messages included, holds a NUL
// byte (protobuf-c would cut the string there).  false also for input
// that is not well formed.  See wire.c.
bool rpc__wire_strings_clean(const ProtobufCMessageDescriptor *d,
                             const uint8_t *data, size_t len);

// rpc__err_from_nng maps an NNG error number to the closest bb_err.
bb_err rpc__err_from_nng(int rv);

#endif // RPC_RPC_IMPL_H
