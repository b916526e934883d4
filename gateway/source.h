// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/source.h -- internal to gateway/: the ranged sources a read
// streams (source.c): a forward (the owner's or a replica holder's blob
// over Read RPCs) and an archive object, and the one adapter that streams
// either into libmicrohttpd.  Which source serves a read is read.c's.
#ifndef GATEWAY_SOURCE_H
#define GATEWAY_SOURCE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "rpc/rpc.h"

// A byte range streamed into a response.
typedef struct gw__source gw__source;

// gw__source_free releases s.  NULL is a no-op.
void gw__source_free(gw__source *s);

// gw__src_response makes the response that streams length bytes of s.
// It takes s: on NULL (no memory) s is freed already.
struct MHD_Response *gw__src_response(gw__source *s, uint64_t length);

// gw__fwd_new makes the forward of id (namespace ns, copied) from the
// peer machine of pool (borrowed), with room for its first chunk, which
// the caller fetches (gw__fwd_fetch) before it streams.  On BB_OK the
// caller owns *sp.  Errors: BB_ENOMEM.
bb_err gw__fwd_new(rpc_pool *pool, uint32_t machine, const char *ns,
                   const store_id *id, gw__source **sp);

// gw__fwd_fetch starts fetching the first chunk of the forward s: from
// its machine, or when any, from the first other peer that has it
// (rpc_pool_read_start, rpc_pool_read_any_start).  done(arg, rv,
// machine) is called once, maybe before this returns, on any thread;
// s must live until then.  Then gw__fwd_fetched.
void gw__fwd_fetch(gw__source *s, bool any, rpc_read_done done, void *arg);

// gw__fwd_fetched takes the outcome of gw__fwd_fetch (rv, and machine,
// the peer that served it): on BB_OK s is ready to stream, read from
// machine.  Returns rv, or BB_ENOMEM.
bb_err gw__fwd_fetched(gw__source *s, bb_err rv, uint32_t machine);

// gw__fwd_open is the blocking form: the forward, its first chunk
// fetched before anything is answered (so a miss is still a clean 404 or
// 503).  On BB_OK the caller owns *sp and *servedp names the peer that
// served it.  Errors as rpc_pool_read_from and rpc_pool_read_any.
bb_err gw__fwd_open(rpc_pool *pool, uint32_t machine, bool any, const char *ns,
                    const store_id *id, gw__source **sp, uint32_t *servedp);

// gw__arc_open starts reading id from the archive of ns: on BB_OK either
// *fdp >= 0 (the bytes are at *offp; the caller owns the descriptor) or
// *sp is a stream the caller owns.  Errors as store_ns_read_archive.
bb_err gw__arc_open(store_ns *ns, const store_id *id, int *fdp, uint64_t *offp,
                    gw__source **sp);

#endif // GATEWAY_SOURCE_H
