// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/read.c -- GET and HEAD /<ns>/<id>, and the read policy
// (gw__locate): a local file, handed to MHD as a descriptor so the bytes
// go out with sendfile(2); else the owner of the id over Read RPCs; else
// the archive.  The two remote sources stream through one adapter.  What
// a file holds and where it is archived belongs to storage.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
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

// src_response makes the response that streams length bytes of s.  It
// takes s: on NULL (no memory) s is freed already.
static struct MHD_Response *
src_response(gw__source *s, uint64_t length)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_callback(length, 64 * 1024, src_reader,
	                                         s, src_free);
	if (resp == NULL) {
		s->ops->free(s);
	}
	return resp;
}

// --- The owner of the id: Read RPCs, local-only on that side, so a
// forward is never forwarded again. ---

typedef struct fwd_src {
	gw__source base;
	rpc_pool  *pool; // borrowed
	char      *ns;   // owned
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
		rv = rpc_pool_read(fs->pool, fs->ns, &fs->id, pos, fs->buf, k);
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

// fwd_open fetches the first chunk of id from the owner before anything
// is answered, so a miss there is still a clean 404.  On BB_OK the
// caller owns *sp.  Errors as rpc_pool_read.
static bb_err
fwd_open(rpc_pool *pool, const char *ns, const store_id *id, gw__source **sp)
{
	fwd_src *fs;
	uint8_t *b;
	size_t   first;
	bb_err   rv;

	fs = calloc(1, sizeof(*fs));
	if (fs == NULL) {
		return BB_ENOMEM;
	}
	fs->base.ops = &fwd_ops;
	(void) snprintf(fs->base.what, sizeof(fs->base.what),
	                "forwarded read of %s", ns);
	fs->base.length = id->length;
	fs->pool        = pool;
	fs->id          = *id;
	fs->ns          = strdup(ns);
	first   = id->length < RPC_MAX_CHUNK ? id->length : RPC_MAX_CHUNK;
	fs->buf = malloc(first);
	if (fs->ns == NULL || fs->buf == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	rv = rpc_pool_read(pool, ns, id, 0, fs->buf, first);
	if (rv != BB_OK) {
		goto fail;
	}
	fs->len = first;
	if (first < id->length) {
		// Streaming: grow the buffer to a whole chunk for the rest.
		b = realloc(fs->buf, RPC_MAX_CHUNK);
		if (b == NULL) {
			rv = BB_ENOMEM;
			goto fail;
		}
		fs->buf = b;
	}
	*sp = &fs->base;
	return BB_OK;

fail:
	fwd_free(&fs->base);
	return rv;
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

// arc_open starts reading id from the archive of ns: on BB_OK either
// *fdp >= 0 (the bytes are at *offp; the caller owns the descriptor) or
// *sp is a stream the caller owns.  Errors as store_ns_read_archive.
static bb_err
arc_open(store_ns *ns, const store_id *id, int *fdp, uint64_t *offp,
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

// --- The read policy. ---

// locate_peer says whether the owner of id is a peer this node can ask.
static bool
locate_peer(gw_server *g, uint32_t machine)
{
	return g->pool != NULL && machine != g->conf->machine_id &&
	    rpc_pool_peer(g->pool, machine) != NULL;
}

// THE read policy; the next change (replica holders, 503 against 404)
// goes here and nowhere else: /_id describes what this decides.
bb_err
gw__locate(gw_server *g, store_ns *ns, const store_id *id, bool open,
           gw__loc *loc)
{
	bb_err fwd = BB_ENOENT;
	bb_err rv;

	loc->machine = store_fid_machine(&id->fid);
	loc->src     = NULL;
	loc->fd      = -1;
	// 1. A local file: the hot path, no allocation.
	rv = open ? store_ns_read(ns, id, &loc->fd, &loc->off)
	          : store_ns_locate(ns, id, &loc->info);
	if (rv == BB_OK) {
		loc->from = GW__FROM_LOCAL;
		return BB_OK;
	}
	if (open && rv != BB_ENOENT) {
		goto fail;
	}
	// 2. The node whose machine id the id carries.
	if (locate_peer(g, loc->machine)) {
		loc->from = GW__FROM_OWNER;
		if (!open) {
			return BB_OK; // then the archive, if the owner fails
		}
		fwd =
		    fwd_open(g->pool, store_ns_conf(ns)->name, id, &loc->src);
		if (fwd == BB_OK) {
			return BB_OK;
		}
	}
	// 3. The archive.
	loc->from = GW__FROM_ARCHIVE;
	if (!open) {
		return BB_OK;
	}
	rv = arc_open(ns, id, &loc->fd, &loc->off, &loc->src);
	if (rv == BB_OK) {
		return BB_OK;
	}
	// Which failure wins: not in the archive either, a failed forward
	// may mean the owner still has it (try again later), unless the
	// owner is simply not there.
	if (rv == BB_ENOENT && fwd != BB_ENOENT && fwd != BB_EUNAVAIL) {
		rv = fwd;
	}

fail:
	// What the client is told.
	if (rv == BB_ENOENT || rv == BB_EUNAVAIL) {
		loc->status = MHD_HTTP_NOT_FOUND;
		loc->msg    = "The requested ID was not found.";
	} else if (rv == BB_ENOTSUP) {
		loc->status = MHD_HTTP_BAD_REQUEST;
		loc->msg = "Can not fetch objects from a compressed source.";
	} else {
		loc->status = 0;
		loc->msg    = NULL;
	}
	return rv;
}

// read_id answers the read of idstr in ns.
static enum MHD_Result
read_id(gw_server *g, struct MHD_Connection *conn, store_ns *ns,
        const char *idstr)
{
	struct MHD_Response *resp;
	store_id             id;
	gw__loc              loc;
	bb_err               rv;

	if (store_id_parse(idstr, strlen(idstr), &id) != BB_OK) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "The given ID is not valid.");
	}
	if (id.length == 0) {
		// An empty blob needs no file: the id says everything.
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
		return gw__queue(conn, MHD_HTTP_OK, resp,
		                 "application/octet-stream");
	}
	rv = gw__locate(g, ns, &id, true, &loc);
	if (rv != BB_OK) {
		return loc.status != 0 ? gw__reply(conn, loc.status, loc.msg)
		                       : gw__reply_err(conn, rv);
	}
	if (loc.src != NULL) {
		resp = src_response(loc.src, id.length);
		if (resp == NULL) {
			return gw__reply_err(conn, BB_ENOMEM);
		}
	} else {
		// The response owns fd from here and closes it.
		resp = MHD_create_response_from_fd_at_offset64(
		    id.length, loc.fd, loc.off);
		if (resp == NULL) {
			(void) close(loc.fd);
		}
	}
	return gw__queue(conn, MHD_HTTP_OK, resp, "application/octet-stream");
}

enum MHD_Result
gw__read(gw_server *g, struct MHD_Connection *conn, const char *url)
{
	const char     *name = url + 1;
	const char     *slash;
	store_ns       *ns;
	int64_t         t0;
	enum MHD_Result ret;
	bool            allowed;

	if (name[0] == '_') {
		return gw__reply(conn, MHD_HTTP_NOT_FOUND,
		                 "The URL you are requesting does not exist.");
	}
	slash = strchr(name, '/');
	if (slash == NULL || slash == name || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "Invalid GET path.");
	}
	ns = store_find_ns(g->st, name, (size_t) (slash - name));
	if (ns == NULL) {
		return gw__reply(conn, MHD_HTTP_NOT_FOUND,
		                 "Name space does not exist.");
	}
	ret = gw__access_check(gw__access_read(g, ns), conn, &allowed);
	if (!allowed) {
		return ret;
	}
	// Until the response is queued: finding the bytes (locally, at the
	// owner, in the archive), not sending them, which sendfile or the
	// stream does after this returns.
	t0  = bb_clock_mono_ns();
	ret = read_id(g, conn, ns, slash + 1);
	store_metrics_observe(store_ns_metrics(ns), STORE_HIST_READ,
	                      bb_clock_mono_ns() - t0);
	return ret;
}
