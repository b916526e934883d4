// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/forward.c -- a read that misses locally goes to the node whose
// machine id the id carries, with Read RPCs (local-only on that side, so
// a forward is never forwarded again).  The first chunk is fetched before
// answering, so a miss there is still a clean 404; larger blobs stream
// back chunk by chunk.
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/gateway_impl.h"

// The state of one streamed response.
typedef struct fwd_stream {
	rpc_pool *pool; // borrowed
	char     *ns;   // owned
	store_id  id;
	uint8_t  *buf;  // owned, RPC_MAX_CHUNK bytes
	uint64_t  have; // offset in the blob of buf[0]
	size_t    len;  // valid bytes in buf
} fwd_stream;

static void
fwd_stream_free(void *cls)
{
	fwd_stream *fs = cls;

	if (fs == NULL) {
		return;
	}
	free(fs->buf);
	free(fs->ns);
	free(fs);
}

// fwd_reader hands libmicrohttpd the bytes at pos, fetching the next
// chunk when the buffered one is used up.  A failure mid-way ends the
// connection with an error: the client sees a broken transfer, never a
// short body that looks complete.
static ssize_t
fwd_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	fwd_stream *fs = cls;
	size_t      n;
	bb_err      rv;

	if (pos < fs->have || pos >= fs->have + fs->len) {
		n  = fs->id.length - pos < RPC_MAX_CHUNK
		     ? (size_t) (fs->id.length - pos)
		     : RPC_MAX_CHUNK;
		rv = rpc_pool_read(fs->pool, fs->ns, &fs->id, pos, fs->buf, n);
		if (rv != BB_OK) {
			bb_log_warn(
			    "forwarded read of %s stopped at %llu of %u: %s",
			    fs->ns, (unsigned long long) pos,
			    (unsigned) fs->id.length, bb_strerror(rv));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		fs->have = pos;
		fs->len  = n;
	}
	n = (size_t) (fs->have + fs->len - pos);
	n = n < max ? n : max;
	memcpy(out, fs->buf + (pos - fs->have), n);
	return (ssize_t) n;
}

bb_err
gw__forward(gw_server *g, const char *ns, const store_id *id,
            struct MHD_Response **respp)
{
	struct MHD_Response *resp = NULL;
	fwd_stream          *fs;
	size_t               first;
	bb_err               rv;

	if (g->pool == NULL ||
	    store_fid_machine(&id->fid) == g->conf->machine_id ||
	    rpc_pool_peer(g->pool, store_fid_machine(&id->fid)) == NULL) {
		return BB_ENOENT;
	}
	fs = calloc(1, sizeof(*fs));
	if (fs == NULL) {
		return BB_ENOMEM;
	}
	fs->pool = g->pool;
	fs->id   = *id;
	fs->ns   = strdup(ns);
	first    = id->length < RPC_MAX_CHUNK ? id->length : RPC_MAX_CHUNK;
	fs->buf  = malloc(first);
	if (fs->ns == NULL || fs->buf == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	rv = rpc_pool_read(g->pool, ns, id, 0, fs->buf, first);
	if (rv != BB_OK) {
		goto fail;
	}
	fs->len = first;
	if (first < id->length) {
		// Streaming: grow the buffer to a whole chunk for the rest.
		uint8_t *b = realloc(fs->buf, RPC_MAX_CHUNK);
		if (b == NULL) {
			rv = BB_ENOMEM;
			goto fail;
		}
		fs->buf = b;
	}
	resp = MHD_create_response_from_callback(
	    id->length, 64 * 1024, fwd_reader, fs, fwd_stream_free);
	if (resp == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	*respp = resp;
	return BB_OK;

fail:
	fwd_stream_free(fs);
	return rv;
}
