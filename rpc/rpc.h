// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/rpc.h -- peer-to-peer calls over NNG request/reply carrying
// protobuf-c messages (proto/blobby/rpc/v1/rpc.proto): the server that
// answers peers, the client side of one peer, and the pool of peers keyed
// by machine id that implements storage's store_remotes.
#ifndef RPC_RPC_H
#define RPC_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"
#include "storage/metrics.h"
#include "storage/remote.h"
#include "storage/storage.h"

// The largest data field of one Replicate or Read; larger payloads travel
// in several calls.  NNG's receive limit is set to RPC_MAX_MSG on every
// socket, explicitly (its default of 1 MiB would drop the pipe).
#define RPC_MAX_CHUNK (512 * 1024)
#define RPC_MAX_MSG   (RPC_MAX_CHUNK + 64 * 1024)
// The most reads one Read call carries in ReadRequest.more (their lengths
// together at most RPC_MAX_CHUNK): with their statuses the reply stays
// well within RPC_MAX_MSG.
#define RPC_READ_MORE_MAX 63

// Method numbers: positions in service Blobby of the .proto.  The server
// checks at start that they match the generated service descriptor.
typedef enum {
	RPC_M_INITIALIZE = 0,
	RPC_M_REPLICATE,
	RPC_M_HEARTBEAT,
	RPC_M_DELETE,
	RPC_M_READ,
	RPC_M_NODE_STATUS,
} rpc_method;

// The number of methods (the size of per-method arrays).
#define RPC_M_COUNT (RPC_M_NODE_STATUS + 1)

// rpc_method_name is the name of m in the service ("Replicate"), or
// "unknown" out of range.  A static string.
const char *rpc_method_name(rpc_method m);

// --- Server ---

typedef struct rpc_server rpc_server;

// rpc_conf_check loads the RPC's TLS files when [server] rpc_tls is set
// (rpc_tls_certificate_file, rpc_tls_private_key_file, rpc_tls_ca_file)
// and frees them again: a bad file stops the node before it touches its
// data or opens a port.  BB_ECONFIG with why[0..whylen) naming the file.
bb_err rpc_conf_check(const bb_conf *conf, char *why, size_t whylen);

// rpc_server_start listens on [server] rpc_addr:rpc_port (tcp://) and
// answers calls with RPC_SERVER_WORKERS replier contexts, each on its own
// thread, so that many calls are served at once.  conf and st are
// borrowed and must outlive the server.  On BB_OK the caller owns *sp;
// stop it with rpc_server_stop().  On error the reason goes to
// why[0..whylen) (common/err.h).
bb_err rpc_server_start(const bb_conf *conf, store *st, rpc_server **sp,
                        char *why, size_t whylen);

#define RPC_SERVER_WORKERS 8

// rpc_server_port returns the port actually bound (useful with port 0).
uint16_t rpc_server_port(const rpc_server *s);

// rpc_server_set_draining sets the shutting_down flag carried by every
// response from now on (drain mode).
void rpc_server_set_draining(rpc_server *s, bool on);

// A change of who may call, for a reload, prepared and not in force.
typedef struct rpc_server_peers rpc_server_peers;

// rpc_server_peers_prepare builds, from conf's [remote.*] sections, the
// set of addresses that may connect over plain TCP and the peers that
// may make replica calls for their fids.  conf is borrowed and must
// outlive s once committed.  On BB_OK the caller owns *np:
// rpc_server_peers_commit or rpc_server_peers_free.  Errors: BB_ENOMEM.
// One reloading thread at a time.
bb_err rpc_server_peers_prepare(rpc_server *s, const bb_conf *conf,
                                rpc_server_peers **np);

// rpc_server_peers_commit puts n in force for the connections and calls
// that come from now on and takes n; connections already admitted stay.
// Cannot fail.  Thread-safe against the server's threads.
void rpc_server_peers_commit(rpc_server *s, rpc_server_peers *n);

// rpc_server_peers_free drops a prepared change.  NULL is a no-op.
void rpc_server_peers_free(rpc_server_peers *n);

// rpc_server_stop closes the socket, joins the workers and frees s.  NULL
// is a no-op.
void rpc_server_stop(rpc_server *s);

// --- Client: one peer ---

typedef struct rpc_peer rpc_peer;

// rpc_peer_open makes a requester socket for url ("tcp://127.0.0.1:1092")
// with a pool of nctx contexts (parallel calls), and dials in the
// background: a peer that is down now is not an error, NNG redials.  On
// BB_OK the caller owns *pp; release with rpc_peer_close().
bb_err rpc_peer_open(const char *url, unsigned nctx, rpc_peer **pp);

// rpc_peer_open_conf is rpc_peer_open for the peer at url ("tcp://..." or
// "tls+tcp://..."), with the TLS configuration that conf's rpc_tls_*
// files give when conf->server.rpc_tls is set.  On error the reason goes
// to why[0..whylen) (common/err.h).
bb_err rpc_peer_open_conf(const char *url, unsigned nctx, const bb_conf *conf,
                          rpc_peer **pp, char *why, size_t whylen);

// rpc_peer_close closes the socket and frees p.  No call may be running.
// NULL is a no-op.
void rpc_peer_close(rpc_peer *p);

// rpc_peer_connected says whether p has a live connection now.
bool rpc_peer_connected(const rpc_peer *p);

// rpc_peer_responsive says whether p has a live connection and answers:
// it has not been found out not answering (the pool's probes, and the
// calls through the pool that time out, decide; see rpc_pool_open).
// Calls to a peer that does not answer fail at once with BB_EUNAVAIL.
bool rpc_peer_responsive(const rpc_peer *p);

// rpc_peer_url returns the url of p.  Borrowed.
const char *rpc_peer_url(const rpc_peer *p);

typedef struct rpc_call rpc_call;

// rpc_peer_call_start sends req (which must be of the input type of
// method m) on a free context of p (waiting for one within the deadline:
// BB_EBUSY after it) and returns at once; finish with rpc_call_finish().
// Fails fast with BB_EUNAVAIL when p has no connection or does not answer
// (rpc_peer_responsive).  On BB_OK the caller owns *cp.
bb_err rpc_peer_call_start(rpc_peer *p, rpc_method m,
                           const ProtobufCMessage *req, int64_t timeout_ns,
                           rpc_call **cp);

// rpc_call_finish waits for the reply of c and frees c.  On BB_OK *respp
// is the unpacked response (the output type of the method); the caller
// frees it with protobuf_c_message_free_unpacked(*respp, NULL).  Errors:
// BB_ETIMEDOUT (deadline), BB_ECLOSED, BB_EPROTO (a reply that does not
// unpack).  A response whose status is not OK is still BB_OK here: read
// its status.
bb_err rpc_call_finish(rpc_call *c, ProtobufCMessage **respp);

// rpc_call_cancel ends c without waiting for its reply (a reply that
// comes later is dropped) and frees c.
void rpc_call_cancel(rpc_call *c);

// rpc_peer_call is rpc_peer_call_start followed by rpc_call_finish.  For
// tests: the product (rpc_pool, for storage's replication) always
// starts calls and finishes them apart, to overlap them.
bb_err rpc_peer_call(rpc_peer *p, rpc_method m, const ProtobufCMessage *req,
                     int64_t timeout_ns, ProtobufCMessage **respp);

// rpc_call_done receives the outcome of an asynchronous call: rv as
// rpc_call_finish's, and on BB_OK resp, the unpacked response, which the
// callback owns (protobuf_c_message_free_unpacked(resp, NULL)); NULL
// otherwise.  It runs on an NNG thread, or on the starting thread before
// rpc_peer_call_async returns, or on the thread that fails the peer's
// calls (rpc_peer_close, a lost connection, a peer found not answering):
// it must not block, and may start other calls.
typedef void (*rpc_call_done)(void *arg, bb_err rv, ProtobufCMessage *resp);

// rpc_peer_call_async sends req (of the input type of method m) to p
// without holding the calling thread, and calls cb(arg, ...) exactly
// once with the outcome.  Fails fast as rpc_peer_call_start (cb with
// BB_EUNAVAIL before this returns).  Without a free context the call
// waits in a queue, not in a thread: it is sent when a context is given
// back (a blocking caller that waits for one goes first), or ends with
// BB_EBUSY if its deadline passed first; it waits at most until the first
// context freed after its deadline, so about twice timeout_ns when every
// context hangs.  The deadline covers the wait, the send and the reply;
// errors otherwise as rpc_call_finish.  req is packed before this
// returns (borrowed for the call only).  Thread-safe.
void rpc_peer_call_async(rpc_peer *p, rpc_method m,
                         const ProtobufCMessage *req, int64_t timeout_ns,
                         rpc_call_done cb, void *arg);

// rpc_fini releases libnng's global state (its reaper finishes closing
// pipes first), so that a leak checker sees a clean exit.  Call it last,
// after every server, peer and pool is closed.
void rpc_fini(void);

// --- Status codes ---

// rpc_code_from_err maps a bb_err to the RPC status code (the proto's
// Code enum values); rpc_err_from_code maps back.
int    rpc_code_from_err(bb_err err);
bb_err rpc_err_from_code(int code);

// --- Pool of peers ---

typedef struct rpc_pool rpc_pool;

// rpc_pool_open opens a peer for every [remote.<id>] of conf, and starts
// their health checks (health.c): every [client] probe_interval each peer
// gets a NodeStatus call with the [client] probe_timeout as deadline.  A
// peer that misses it, or times out a call made through the pool, does
// not answer (rpc_peer_responsive) until it answers a probe again: its
// calls in flight fail then, and new ones fail at once.  Each change is
// logged.  On error the reason goes to why[0..whylen) (common/err.h) and
// to the log.  conf is borrowed and must outlive the pool.  On BB_OK the
// caller owns *pp; release with rpc_pool_close().
bb_err rpc_pool_open(const bb_conf *conf, rpc_pool **pp, char *why,
                     size_t whylen);

// A change of the pool's peers for a reload, prepared and not yet in
// force.
typedef struct rpc_pool_next rpc_pool_next;

// rpc_pool_prepare opens a peer for every [remote.<id>] of conf that p
// has not open at the same address (a changed address is a new peer), so
// that the commit cannot fail.  conf must differ from the running
// configuration in [remote.*] sections only as far as the pool goes
// (common/conf/diff.c checks it); it is borrowed for the call.  On BB_OK
// the caller owns *np: rpc_pool_commit or rpc_pool_next_free.  Errors as
// rpc_pool_open.  One reloading thread at a time.
bb_err rpc_pool_prepare(rpc_pool *p, const bb_conf *conf, rpc_pool_next **np,
                        char *why, size_t whylen);

// rpc_pool_commit puts n's peers in force and takes n: calls started from
// now on (replicas of new primaries, reads, probes) go to them; calls in
// flight finish on the peers they started with.  A peer no longer
// configured is not called again, but its socket stays open until
// rpc_pool_close (a call may still hold it), and a peer added back at
// the same address uses it again.  Thread-safe.
void rpc_pool_commit(rpc_pool *p, rpc_pool_next *n);

// rpc_pool_next_free drops a prepared change and closes the peers it
// opened.  NULL is a no-op.
void rpc_pool_next_free(rpc_pool_next *n);

// rpc_pool_close closes every peer.  NULL is a no-op.
void rpc_pool_close(rpc_pool *p);

// rpc_pool_peer returns the peer with machine_id in the configuration in
// force, or NULL.  Borrowed; valid until rpc_pool_close().
rpc_peer *rpc_pool_peer(rpc_pool *p, uint32_t machine_id);

// rpc_pool_responsive counts the peers of p that have a live connection
// and answer (rpc_peer_responsive) now (a NULL p has none).  Thread-safe.
size_t rpc_pool_responsive(const rpc_pool *p);

// rpc_pool_remotes fills *r with the storage interface over this pool:
// round-robin assignment over the peers that answer first, and parallel
// calls with the [client] timeout as deadline for Replicate and the
// shorter probe_timeout for the calls that carry no data (Initialize,
// HeartBeat, Delete).  r->ctx is p.
void rpc_pool_remotes(rpc_pool *p, store_remotes *r);

// rpc_pool_read reads len bytes at offset off inside blob id (namespace
// ns) from the peer whose machine id the id carries (its files, then its
// archive; never forwarded further), into buf, with as many Read calls as
// RPC_MAX_CHUNK requires (rpc_pool_read_start, waited for). BB_ENOENT if the
// peer is unknown or answers NOT_FOUND; BB_EUNAVAIL if it is unreachable;
// BB_EINVAL if [off, off+len) is not inside the blob.
bb_err rpc_pool_read(rpc_pool *p, const char *ns, const store_id *id,
                     uint64_t off, void *buf, size_t len);

// rpc_pool_read_from is rpc_pool_read from the peer with machine id
// machine (a holder of a replica r-<fid>, which its Read serves too).
bb_err rpc_pool_read_from(rpc_pool *p, uint32_t machine, const char *ns,
                          const store_id *id, uint64_t off, void *buf,
                          size_t len);

// rpc_pool_read_any asks every peer but skip (and this node) at once
// for the first len bytes (len <= RPC_MAX_CHUNK) of id, with the [client]
// timeout as deadline, and takes the first peer in the pool's order that
// has them: on BB_OK buf holds them and *machinep names that peer (read
// the rest with rpc_pool_read_from).  BB_ENOENT if every peer asked
// answered NOT_FOUND (or there is none to ask); BB_EUNAVAIL if none has
// them and at least one could not answer (unreachable, timed out,
// failed); BB_EINVAL, BB_ENOMEM.  Thread-safe.
bb_err rpc_pool_read_any(rpc_pool *p, uint32_t skip, const char *ns,
                         const store_id *id, void *buf, size_t len,
                         uint32_t *machinep);

// rpc_read_done receives the outcome of rpc_pool_read_start or
// rpc_pool_read_any_start: rv as the blocking form's, and on BB_OK the
// machine id of the peer that served the bytes.  It runs on an NNG
// thread, or on the starting thread before the start returns: it must
// not block.
typedef void (*rpc_read_done)(void *arg, bb_err rv, uint32_t machine);

// rpc_pool_read_start is rpc_pool_read_from without holding the calling
// thread: done(arg, ...) is called exactly once, when every Read call it
// made has ended.  buf is borrowed until then; ns and id are copied.
// Up to 4 Read calls are in flight at once.  Thread-safe.
void rpc_pool_read_start(rpc_pool *p, uint32_t machine, const char *ns,
                         const store_id *id, uint64_t off, void *buf,
                         size_t len, rpc_read_done done, void *arg);

// rpc_pool_read_any_start is rpc_pool_read_any without holding the
// calling thread: done(arg, rv, machine) is called exactly once, as soon
// as the outcome is known (the calls to slower peers end on their own,
// by their answer, their deadline or their peer's health check).  buf is
// borrowed until done; ns and id are copied.  Thread-safe.
void rpc_pool_read_any_start(rpc_pool *p, uint32_t skip, const char *ns,
                             const store_id *id, void *buf, size_t len,
                             rpc_read_done done, void *arg);

// What /_metrics shows of one peer: its calls and their outcome, counted
// where each call ends (rpc/call.c), as a plain copy.
typedef struct rpc_peer_stats {
	uint32_t machine;             // the peer's machine id
	bool     responsive;          // rpc_peer_responsive now
	uint64_t calls[RPC_M_COUNT];  // calls made, by method
	uint64_t errors[RPC_M_COUNT]; // of those, ended without an answer
	// The latency of the calls that were sent (a call refused at once,
	// for want of a connection, has none): cumulative buckets over
	// store_metrics_bound_ns, the last +Inf and equal to count.
	uint64_t buckets[STORE_HIST_NBOUNDS + 1];
	uint64_t count;
	uint64_t sum_ns;
} rpc_peer_stats;

// rpc_pool_stats copies the stats of up to cap peers of p, in machine id
// order, into out[0..cap), and returns how many it wrote (0 for a NULL
// p).  Each value is read atomically; the set is not one instant.
// Thread-safe, lock-free; out is the caller's.
size_t rpc_pool_stats(const rpc_pool *p, rpc_peer_stats *out, size_t cap);

// rpc_pool_size returns the number of peers of p (0 for NULL).
size_t rpc_pool_size(const rpc_pool *p);

#endif // RPC_RPC_H
