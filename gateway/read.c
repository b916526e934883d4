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

// fwd_open fetches the first chunk of id before anything is answered, so
// a miss is still a clean 404 or 503: from the peer machine when any is
// false, else from the first peer but machine that has it (a replica
// holder; *servedp names it).  On BB_OK the caller owns *sp.  Errors as
// rpc_pool_read and rpc_pool_read_any.
static bb_err
fwd_open(rpc_pool *pool, uint32_t machine, bool any, const char *ns,
         const store_id *id, gw__source **sp, uint32_t *servedp)
{
	fwd_src *fs;
	uint8_t *b;
	size_t   first;
	bb_err   rv;

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
	fs->buf = malloc(first);
	if (fs->ns == NULL || fs->buf == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	rv = any ? rpc_pool_read_any(pool, machine, ns, id, fs->buf, first,
	                             &fs->machine)
	         : rpc_pool_read(pool, ns, id, 0, fs->buf, first);
	if (rv != BB_OK) {
		goto fail;
	}
	(void) snprintf(fs->base.what, sizeof(fs->base.what),
	                "forwarded read of %s", ns);
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
	*servedp = fs->machine;
	*sp      = &fs->base;
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

// locate_peer says whether machine is a peer this node can ask.
static bool
locate_peer(gw_server *g, uint32_t machine)
{
	return g->pool != NULL && machine != g->conf->machine_id &&
	    rpc_pool_peer(g->pool, machine) != NULL;
}

// locate_unreachable says whether err from a node or the archive means
// "may exist, cannot be asked now" rather than a fault of this node.
static bool
locate_unreachable(bb_err err)
{
	return err != BB_OK && err != BB_ENOENT && err != BB_ENOTSUP &&
	    err != BB_ENOMEM && err != BB_ESYS;
}

// The steps of the policy, in the order one of them is tried.
typedef enum { STEP_OWNER, STEP_REPLICAS, STEP_ARCHIVE } locate_step;

// locate_try runs one step.  On BB_OK loc holds the bytes.
static bb_err
locate_try(gw_server *g, store_ns *ns, const store_id *id, locate_step st,
           gw__loc *loc)
{
	const char *name = store_ns_conf(ns)->name;
	bb_err      rv;

	switch (st) {
	case STEP_OWNER:
		loc->from = GW__FROM_OWNER;
		return fwd_open(g->pool, loc->machine, false, name, id,
		                &loc->src, &loc->peer);
	case STEP_REPLICAS:
		// Any peer may hold r-<fid>: the primary's peers are
		// assigned round robin and not written down anywhere else.
		loc->from = GW__FROM_REPLICA;
		return fwd_open(g->pool, loc->machine, true, name, id,
		                &loc->src, &loc->peer);
	case STEP_ARCHIVE:
		break;
	}
	loc->from = GW__FROM_ARCHIVE;
	rv        = arc_open(ns, id, &loc->fd, &loc->off, &loc->src);
	if (rv != BB_OK && rv != BB_ENOENT) {
		bb_log_warn("archive read of %s: %s", name, bb_strerror(rv));
	}
	return rv;
}

bb_err
gw__locate(gw_server *g, store_ns *ns, const store_id *id, gw__loc *loc)
{
	locate_step steps[3];
	size_t      nsteps = 0;
	size_t      i;
	bool        peers_down   = false; // a node could not be asked
	bool        archive_down = false; // nor could the archive
	bb_err      rv;

	loc->machine = store_fid_machine(&id->fid);
	loc->peer    = 0;
	loc->src     = NULL;
	loc->fd      = -1;
	loc->status  = 0;
	loc->msg     = NULL;
	// 1. A local file, primary or replica: the hot path, no allocation.
	rv = store_ns_read(ns, id, &loc->fd, &loc->off);
	if (rv == BB_OK) {
		loc->from = GW__FROM_LOCAL;
		return BB_OK;
	}
	if (rv == BB_ENOENT) {
		// 2. The copies elsewhere.  The owner first (reads prefer
		// the primary; it also serves its directory archive, which
		// no other node sees); if it cannot be reached, every peer
		// for a replica, then the archive.  An id of this machine
		// that is not local was archived (the usual case), so the
		// archive comes before asking every peer.  A machine that
		// is no peer: the archive only.
		if (loc->machine == g->conf->machine_id) {
			steps[nsteps++] = STEP_ARCHIVE;
			if (g->pool != NULL) {
				steps[nsteps++] = STEP_REPLICAS;
			}
		} else if (locate_peer(g, loc->machine)) {
			steps[nsteps++] = STEP_OWNER;
			steps[nsteps++] = STEP_REPLICAS;
			steps[nsteps++] = STEP_ARCHIVE;
		} else {
			steps[nsteps++] = STEP_ARCHIVE;
		}
	}
	for (i = 0; i < nsteps && rv == BB_ENOENT; i++) {
		rv = locate_try(g, ns, id, steps[i], loc);
		if (steps[i] == STEP_ARCHIVE) {
			archive_down = locate_unreachable(rv);
		} else {
			peers_down = peers_down || locate_unreachable(rv);
		}
		if (rv == BB_OK) {
			return BB_OK;
		}
		if (steps[i] == STEP_OWNER && rv == BB_ENOENT) {
			// The owner is up and has no such range (nor its
			// directory archive): its file was archived, the
			// usual case, so the archive before every peer.
			steps[1] = STEP_ARCHIVE;
			steps[2] = STEP_REPLICAS;
		}
		if (rv != BB_ENOMEM && rv != BB_ENOTSUP && rv != BB_ESYS) {
			rv = BB_ENOENT; // try the next step
		}
	}
	// What the client is told.
	loc->from = GW__FROM_NONE;
	if (rv == BB_ENOTSUP) {
		loc->status = MHD_HTTP_BAD_REQUEST;
		loc->msg = "Can not fetch objects from a compressed source.";
	} else if (rv != BB_ENOENT) {
		loc->status = 0; // this node failed: gw__reply_err
	} else if (archive_down) {
		loc->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		loc->msg    = "The archive cannot be reached now; try again.";
	} else if (peers_down) {
		loc->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		loc->msg    = "The nodes that may hold this ID cannot be "
		              "reached now; try again.";
	} else {
		loc->status = MHD_HTTP_NOT_FOUND;
		loc->msg    = "The requested ID was not found.";
	}
	return rv;
}

void
gw__loc_release(gw__loc *loc)
{
	if (loc->fd >= 0) {
		(void) close(loc->fd);
		loc->fd = -1;
	}
	if (loc->src != NULL) {
		loc->src->ops->free(loc->src);
		loc->src = NULL;
	}
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
	rv = gw__locate(g, ns, &id, &loc);
	if (rv != BB_OK) {
		if (loc.status == MHD_HTTP_SERVICE_UNAVAILABLE) {
			return gw__reply_retry(conn, loc.status, loc.msg,
			                       GW__READ_RETRY_S);
		}
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
