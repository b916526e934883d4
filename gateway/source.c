// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/source.c -- the ranged sources a read streams: the owner's (or
// a replica holder's) blob over Read RPCs, and an archive transfer, with
// one adapter (src_reader) that streams either into libmicrohttpd.  The
// first chunk of a forward is fetched before anything is answered, with
// or without a thread waiting; the later chunks of a large blob are
// fetched inside libmicrohttpd's content reader, which waits for them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/gateway_impl.h"
#include "storage/archive/archive.h"

// A byte range streamed into a response: the owner's blob over Read
// RPCs, or an archive transfer.  One adapter (src_reader) serves both.
typedef struct gw__source_ops {
	// read copies up to max bytes of the range, starting at pos, into
	// out; *n is 0 only when nothing is left.  Errors end the transfer.
	bb_err (*read)(gw__source *s, uint64_t pos, void *out, size_t max,
	               size_t *n);
	// free releases s and what it holds.
	void (*free)(gw__source *s);
} gw__source_ops;

struct gw__source {
	const gw__source_ops *ops;
	char                  what[96]; // for logs: "forwarded read of ns"
	// The length a forward's log line names ("... of L"); 0 for an
	// archive read, whose line names the byte only.
	uint64_t length;
};

// src_reader hands libmicrohttpd the bytes at pos.  A failure mid-way
// ends the connection with an error: the client sees a broken transfer,
// never a short body that looks complete.
static ssize_t
src_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	gw__source *s = cls;
	size_t      n = 0;
	bb_err      rv;

	rv = s->ops->read(s, pos, out, max, &n);
	if (rv != BB_OK || n == 0) {
		// The two texts docs/OPERATIONS.md lists, as before the
		// adapter: operators search for them.
		if (s->length > 0) {
			bb_log_warn("%s stopped at %llu of %llu: %s", s->what,
			            (unsigned long long) pos,
			            (unsigned long long) s->length,
			            rv != BB_OK ? bb_strerror(rv)
			                        : "no more data");
		} else {
			bb_log_warn("%s stopped at byte %llu: %s", s->what,
			            (unsigned long long) pos,
			            rv != BB_OK ? bb_strerror(rv)
			                        : "no more data");
		}
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return (ssize_t) n;
}

static void
src_free(void *cls)
{
	gw__source *s = cls;

	s->ops->free(s);
}

void
gw__source_free(gw__source *s)
{
	if (s != NULL) {
		s->ops->free(s);
	}
}

static struct MHD_Response *fwd_whole_response(gw__source *s, uint64_t length);

struct MHD_Response *
gw__src_response(gw__source *s, uint64_t length)
{
	struct MHD_Response *resp;

	resp = fwd_whole_response(s, length);
	if (resp != NULL) {
		return resp;
	}
	// libmicrohttpd callocs the block of a callback response with it
	// (64 KiB here: zeroed, and often fresh pages from the kernel), a
	// cost that only pays off for a stream.
	resp = MHD_create_response_from_callback(length, 64 * 1024, src_reader,
	                                         s, src_free);
	if (resp == NULL) {
		gw__source_free(s);
	}
	return resp;
}

// --- The owner of the id: Read RPCs, local-only on that side, so a
// forward is never forwarded again. ---

typedef struct fwd_src {
	gw__source base;
	rpc_pool  *pool;    // borrowed
	uint32_t   machine; // the peer asked: the owner or a replica holder
	char      *ns;      // owned
	store_id   id;
	uint8_t   *buf;  // owned, RPC_MAX_CHUNK bytes once streaming
	uint64_t   have; // offset in the blob of buf[0]
	size_t     len;  // valid bytes in buf
} fwd_src;

static void
fwd_free(gw__source *s)
{
	fwd_src *fs = (fwd_src *) s;

	free(fs->buf);
	free(fs->ns);
	free(fs);
}

// fwd_read fetches the next chunk when the buffered one is used up.
static bb_err
fwd_read(gw__source *s, uint64_t pos, void *out, size_t max, size_t *n)
{
	fwd_src *fs = (fwd_src *) s;
	size_t   k;
	bb_err   rv;

	if (pos >= fs->id.length) {
		*n = 0;
		return BB_OK;
	}
	if (pos < fs->have || pos >= fs->have + fs->len) {
		k  = fs->id.length - pos < RPC_MAX_CHUNK
		     ? (size_t) (fs->id.length - pos)
		     : RPC_MAX_CHUNK;
		rv = rpc_pool_read_from(fs->pool, fs->machine, fs->ns, &fs->id,
		                        pos, fs->buf, k);
		if (rv != BB_OK) {
			return rv;
		}
		fs->have = pos;
		fs->len  = k;
	}
	k = (size_t) (fs->have + fs->len - pos);
	k = k < max ? k : max;
	memcpy(out, fs->buf + (pos - fs->have), k);
	*n = k;
	return BB_OK;
}

static const gw__source_ops fwd_ops = { fwd_read, fwd_free };

// fwd_whole_response answers a forward whose first chunk was the whole
// blob (the usual small blob) from that buffer, which the response takes
// with s: no stream, no callback, no 64 KiB block.  NULL (s untouched)
// for any other source, or when out of memory.
static struct MHD_Response *
fwd_whole_response(gw__source *s, uint64_t length)
{
	fwd_src             *fs = (fwd_src *) s;
	struct MHD_Response *resp;

	if (s->ops != &fwd_ops || fs->have != 0 || fs->len != length ||
	    length == 0) {
		return NULL;
	}
	resp = MHD_create_response_from_buffer(fs->len, fs->buf,
	                                       MHD_RESPMEM_MUST_FREE);
	if (resp != NULL) {
		fs->buf = NULL; // the response's
		fwd_free(s);
	}
	return resp;
}

bb_err
gw__fwd_new(rpc_pool *pool, uint32_t machine, const char *ns,
            const store_id *id, gw__source **sp)
{
	fwd_src *fs;
	size_t   first;

	fs = calloc(1, sizeof(*fs));
	if (fs == NULL) {
		return BB_ENOMEM;
	}
	fs->base.ops    = &fwd_ops;
	fs->base.length = id->length;
	fs->pool        = pool;
	fs->machine     = machine;
	fs->id          = *id;
	fs->ns          = strdup(ns);
	first   = id->length < RPC_MAX_CHUNK ? id->length : RPC_MAX_CHUNK;
	fs->buf = malloc(first > 0 ? first : 1);
	if (fs->ns == NULL || fs->buf == NULL) {
		fwd_free(&fs->base);
		return BB_ENOMEM;
	}
	fs->len = first; // once fetched
	(void) snprintf(fs->base.what, sizeof(fs->base.what),
	                "forwarded read of %s", ns);
	*sp = &fs->base;
	return BB_OK;
}

void
gw__fwd_fetch(gw__source *s, bool any, rpc_read_done done, void *arg)
{
	fwd_src *fs = (fwd_src *) s;

	if (any) {
		rpc_pool_read_any_start(fs->pool, fs->machine, fs->ns, &fs->id,
		                        fs->buf, fs->len, done, arg);
	} else {
		rpc_pool_read_start(fs->pool, fs->machine, fs->ns, &fs->id, 0,
		                    fs->buf, fs->len, done, arg);
	}
}

bb_err
gw__fwd_fetched(gw__source *s, bb_err rv, uint32_t machine)
{
	fwd_src *fs = (fwd_src *) s;
	uint8_t *b;

	if (rv != BB_OK) {
		return rv;
	}
	fs->machine = machine;
	if (fs->len < fs->id.length) {
		// Streaming: grow the buffer to a whole chunk for the rest.
		b = realloc(fs->buf, RPC_MAX_CHUNK);
		if (b == NULL) {
			return BB_ENOMEM;
		}
		fs->buf = b;
	}
	return BB_OK;
}

bb_err
gw__fwd_open(rpc_pool *pool, uint32_t machine, bool any, const char *ns,
             const store_id *id, gw__source **sp, uint32_t *servedp)
{
	gw__source *s = NULL;
	fwd_src    *fs;
	uint32_t    served = machine;
	bb_err      rv;

	rv = gw__fwd_new(pool, machine, ns, id, &s);
	if (rv != BB_OK) {
		return rv;
	}
	fs = (fwd_src *) s;
	rv = any
	    ? rpc_pool_read_any(pool, machine, ns, id, fs->buf, fs->len,
	                        &served)
	    : rpc_pool_read_from(pool, machine, ns, id, 0, fs->buf, fs->len);
	rv = gw__fwd_fetched(s, rv, served);
	if (rv != BB_OK) {
		gw__source_free(s);
		return rv;
	}
	*servedp = served;
	*sp      = s;
	return BB_OK;
}

// --- The archive: a directory hands over a descriptor (sendfile, as a
// local read); S3 streams a ranged GET.  The archive has checked that
// the whole range exists before it answers. ---

typedef struct arc_src {
	gw__source        base;
	store_archive_rd *rd; // owned
} arc_src;

static bb_err
arc_read(gw__source *s, uint64_t pos, void *out, size_t max, size_t *n)
{
	(void) pos; // MHD asks in order, as the transfer delivers
	return store_archive_rd_read(((arc_src *) s)->rd, out, max, n);
}

static void
arc_free(gw__source *s)
{
	store_archive_rd_close(((arc_src *) s)->rd);
	free(s);
}

static const gw__source_ops arc_ops = { arc_read, arc_free };

bb_err
gw__arc_open(store_ns *ns, const store_id *id, int *fdp, uint64_t *offp,
             gw__source **sp)
{
	store_archive_rd *rd = NULL;
	arc_src          *as;
	bb_err            rv;

	rv = store_ns_read_archive(ns, id, &rd);
	if (rv != BB_OK) {
		return rv;
	}
	if (store_archive_rd_take_fd(rd, fdp, offp) == BB_OK) {
		store_archive_rd_close(rd);
		*sp = NULL;
		return BB_OK;
	}
	as = calloc(1, sizeof(*as));
	if (as == NULL) {
		store_archive_rd_close(rd);
		return BB_ENOMEM;
	}
	as->base.ops = &arc_ops;
	(void) snprintf(as->base.what, sizeof(as->base.what), "archive read");
	as->rd = rd;
	*fdp   = -1;
	*sp    = &as->base;
	return BB_OK;
}
