// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/read.c -- GET and HEAD /<ns>/<id>, and the read policy
// (gw__locate): a local file, handed to MHD as a descriptor so the bytes
// go out with sendfile(2); else the owner of the id over Read RPCs; else
// the archive.  A read that asks a peer parks its connection (park.c)
// while the first chunk comes, so no worker thread waits on the network.
// The sources themselves are source.c's; what a file holds and where it
// is archived belongs to storage.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/gateway_impl.h"

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

// One run of the policy: the steps planned and how far it got.  The
// blocking gw__locate and the parked read both drive it.
typedef struct locate_run {
	gw_server  *g;
	store_ns   *ns;
	store_id    id;
	gw__loc    *loc;
	locate_step steps[3];
	size_t      nsteps;
	size_t      i;            // the next step
	bool        peers_down;   // a node could not be asked
	bool        archive_down; // nor could the archive
	bb_err      rv;           // BB_ENOENT while steps may find it
} locate_run;

// locate_begin tries the local files, and plans the other steps, which
// fetch only [first, first + count) of the blob: a range, or one byte
// that proves the blob is there.  A local file is asked for the whole
// blob (that costs nothing more) and loc->off moved to first.
static void
locate_begin(locate_run *r, gw_server *g, store_ns *ns, const store_id *id,
             uint64_t first, uint32_t count, gw__loc *loc)
{
	memset(r, 0, sizeof(*r));
	r->g         = g;
	r->ns        = ns;
	r->id        = *id;
	r->loc       = loc;
	loc->machine = store_fid_machine(&id->fid);
	loc->peer    = 0;
	loc->src     = NULL;
	loc->fd      = -1;
	loc->status  = 0;
	loc->msg     = NULL;
	// 1. A local file, primary or replica: the hot path, no allocation.
	r->rv = store_ns_read(ns, id, &loc->fd, &loc->off);
	if (r->rv == BB_OK) {
		loc->from = GW__FROM_LOCAL;
		loc->off += first;
		return;
	}
	if (r->rv != BB_ENOENT) {
		return;
	}
	// Elsewhere the sub-range is an id of its own (the same fid): a
	// forward reads only it (one Read, coalesced as any), an archive
	// only it (one ranged GET, or a descriptor at its offset).
	r->id.start += first;
	r->id.length = count;
	// 2. The copies elsewhere.  The owner first (reads prefer the
	// primary; it also serves its directory archive, which no other
	// node sees); if it cannot be reached, every peer for a replica,
	// then the archive.  An id of this machine that is not local was
	// archived (the usual case), so the archive comes before asking
	// every peer.  A machine that is no peer: the archive only.
	if (loc->machine == g->conf->machine_id) {
		r->steps[r->nsteps++] = STEP_ARCHIVE;
		if (g->pool != NULL) {
			r->steps[r->nsteps++] = STEP_REPLICAS;
		}
	} else if (locate_peer(g, loc->machine)) {
		r->steps[r->nsteps++] = STEP_OWNER;
		r->steps[r->nsteps++] = STEP_REPLICAS;
		r->steps[r->nsteps++] = STEP_ARCHIVE;
	} else {
		r->steps[r->nsteps++] = STEP_ARCHIVE;
	}
}

// locate_more says whether a step is left to try.
static bool
locate_more(const locate_run *r)
{
	return r->rv == BB_ENOENT && r->i < r->nsteps;
}

// locate_archive runs the archive step (it blocks on an S3 archive).
static bb_err
locate_archive(locate_run *r)
{
	gw__loc *loc = r->loc;
	bb_err   rv;

	loc->from = GW__FROM_ARCHIVE;
	rv = gw__arc_open(r->ns, &r->id, &loc->fd, &loc->off, &loc->src);
	if (rv != BB_OK && rv != BB_ENOENT) {
		bb_log_warn("archive read of %s: %s",
		            store_ns_conf(r->ns)->name, bb_strerror(rv));
	}
	return rv;
}

// locate_record takes the outcome rv of step r->i and moves on.
static void
locate_record(locate_run *r, bb_err rv)
{
	locate_step st = r->steps[r->i++];

	if (st == STEP_ARCHIVE) {
		r->archive_down = locate_unreachable(rv);
	} else {
		r->peers_down = r->peers_down || locate_unreachable(rv);
	}
	r->rv = rv;
	if (rv == BB_OK) {
		return;
	}
	if (st == STEP_OWNER && rv == BB_ENOENT) {
		// The owner is up and has no such range (nor its directory
		// archive): its file was archived, the usual case, so the
		// archive before every peer.
		r->steps[1] = STEP_ARCHIVE;
		r->steps[2] = STEP_REPLICAS;
	}
	if (rv != BB_ENOMEM && rv != BB_ENOTSUP && rv != BB_ESYS) {
		r->rv = BB_ENOENT; // try the next step
	}
}

// locate_end says what the client is told when no step found the bytes.
static bb_err
locate_end(locate_run *r)
{
	gw__loc *loc = r->loc;

	if (r->rv == BB_OK) {
		return BB_OK;
	}
	loc->from = GW__FROM_NONE;
	if (r->rv == BB_ENOTSUP) {
		loc->status = MHD_HTTP_BAD_REQUEST;
		loc->msg = "Can not fetch objects from a compressed source.";
	} else if (r->rv != BB_ENOENT) {
		loc->status = 0; // this node failed: gw__reply_err
	} else if (r->archive_down) {
		loc->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		loc->msg    = "The archive cannot be reached now; try again.";
	} else if (r->peers_down) {
		loc->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		loc->msg    = "The nodes that may hold this ID cannot be "
		              "reached now; try again.";
	} else {
		loc->status = MHD_HTTP_NOT_FOUND;
		loc->msg    = GW__READ_NOT_FOUND;
	}
	return r->rv;
}

// locate_fwd_any notes where a forward step reads from, and says
// whether it asks every peer.
static bool
locate_fwd_any(locate_run *r, locate_step st)
{
	// Any peer may hold r-<fid>: the primary's peers are assigned round
	// robin and not written down anywhere else.
	r->loc->from = st == STEP_OWNER ? GW__FROM_OWNER : GW__FROM_REPLICA;
	return st == STEP_REPLICAS;
}

bb_err
gw__locate(gw_server *g, store_ns *ns, const store_id *id, gw__loc *loc)
{
	locate_run  r;
	locate_step st;
	bool        any;
	bb_err      rv;

	locate_begin(&r, g, ns, id, 0, id->length, loc);
	while (locate_more(&r)) {
		st = r.steps[r.i];
		if (st == STEP_ARCHIVE) {
			rv = locate_archive(&r);
		} else {
			any = locate_fwd_any(&r, st);
			rv  = gw__fwd_open(g->pool, loc->machine, any,
			                   store_ns_conf(ns)->name, id,
			                   &loc->src, &loc->peer);
		}
		locate_record(&r, rv);
	}
	return locate_end(&r);
}

void
gw__loc_release(gw__loc *loc)
{
	if (loc->fd >= 0) {
		(void) close(loc->fd);
		loc->fd = -1;
	}
	gw__source_free(loc->src);
	loc->src = NULL;
}

// --- Reads. ---

// A read that asks peers: the policy's run, kept while the connection is
// parked for a forward.
struct gw__rd {
	locate_run  run;
	gw__loc     loc;
	gw__ask     ask;     // what the answer is once the bytes are found
	int64_t     t0;      // when the read started (the read histogram)
	gw__source *fetch;   // owned: the forward whose first chunk comes
	bb_err      fetched; // its outcome (written before gw__park_done)
	uint32_t    served;  // and the peer that served it
};

void
gw__rd_free(gw__rd *rd)
{
	if (rd == NULL) {
		return;
	}
	gw__source_free(rd->fetch);
	gw__loc_release(&rd->loc);
	free(rd);
}

// read_answer answers a read whose policy ran: as ask says with the
// bytes of loc (ask->count of them), or the failure.
static enum MHD_Result
read_answer(struct MHD_Connection *conn, store_ns *ns, const gw__ask *ask,
            gw__loc *loc, bb_err rv)
{
	struct MHD_Response *resp;

	if (rv != BB_OK) {
		if (loc->status == MHD_HTTP_SERVICE_UNAVAILABLE) {
			return gw__reply_retry(conn, loc->status, loc->msg,
			                       GW__READ_RETRY_S);
		}
		return loc->status != 0
		    ? gw__reply(conn, loc->status, loc->msg)
		    : gw__reply_err(conn, rv);
	}
	if (ask->count == 0) {
		// 304 or 416: the copy found says the blob is there.
		gw__loc_release(loc);
		return gw__ask_reply_empty(conn, ask);
	}
	if (loc->src != NULL) {
		resp     = gw__src_response(loc->src, ask->count);
		loc->src = NULL; // the response's (or freed)
		if (resp == NULL) {
			return gw__reply_err(conn, BB_ENOMEM);
		}
	} else {
		// The response owns fd from here and closes it.
		resp = MHD_create_response_from_fd_at_offset64(
		    ask->count, loc->fd, loc->off);
		if (resp == NULL) {
			(void) close(loc->fd);
		}
		loc->fd = -1;
	}
	// The bytes a GET carries, the range's for a 206 (libmicrohttpd
	// sends no body for HEAD).
	if (resp != NULL && gw__conn_method(conn) != GW__M_HEAD) {
		store_metrics_add(store_ns_metrics(ns), STORE_CTR_BYTES_READ,
		                  ask->count);
	}
	return gw__ask_queue(conn, ask, resp);
}

// read_fetched is the end of a forward's first chunk: any thread.
static void
read_fetched(void *arg, bb_err rv, uint32_t machine)
{
	gw__req *req = arg;

	req->rd->fetched = rv;
	req->rd->served  = machine;
	gw__park_done(&req->park);
	gw__req_unref(req);
}

// read_run goes on with the policy of a parked read: the outcome of the
// forward it waited for, if any, then the next steps, until one needs a
// peer (the connection parks again) or the policy ends (the answer).
static enum MHD_Result
read_run(gw_server *g, struct MHD_Connection *conn, gw__req *req)
{
	gw__rd     *rd = req->rd;
	locate_run *r  = &rd->run;
	locate_step st;
	bool        any;
	bb_err      rv;

	for (;;) {
		if (rd->fetch != NULL) {
			rv = gw__fwd_fetched(rd->fetch, rd->fetched,
			                     rd->served);
			if (rv == BB_OK) {
				rd->loc.src  = rd->fetch;
				rd->loc.peer = rd->served;
			} else {
				gw__source_free(rd->fetch);
			}
			rd->fetch = NULL;
			locate_record(r, rv);
		}
		if (!locate_more(r)) {
			break;
		}
		st = r->steps[r->i];
		if (st == STEP_ARCHIVE) {
			locate_record(r, locate_archive(r));
			continue;
		}
		any = locate_fwd_any(r, st);
		rv  = gw__fwd_new(g->pool, rd->loc.machine,
		                  store_ns_conf(r->ns)->name, &r->id,
		                  &rd->fetch);
		if (rv != BB_OK) {
			rd->fetch = NULL;
			locate_record(r, rv);
			continue;
		}
		gw__park_arm(&req->park, g, conn);
		gw__req_ref(req); // read_fetched's
		gw__fwd_fetch(rd->fetch, any, read_fetched, req);
		if (!gw__park_wait(&req->park)) {
			return MHD_YES; // called again once it is fetched
		}
	}
	rv = locate_end(r);
	store_metrics_observe(store_ns_metrics(r->ns), STORE_HIST_READ,
	                      bb_clock_mono_ns() - rd->t0);
	req->replied = true;
	return read_answer(conn, r->ns, &rd->ask, &rd->loc, rv);
}

enum MHD_Result
gw__read_resume(gw_server *g, struct MHD_Connection *conn, gw__req *req)
{
	if (req->replied) {
		return MHD_YES;
	}
	return read_run(g, conn, req);
}

// read_id answers the read of idstr in ns: at once from a local file, or
// through read_run, which parks the connection while peers are asked.
static enum MHD_Result
read_id(gw_server *g, struct MHD_Connection *conn, store_ns *ns,
        const char *idstr, void **con_cls)
{
	struct MHD_Response *resp;
	store_id             id;
	gw__ask              ask;
	gw__loc              loc;
	locate_run           r;
	uint64_t             first;
	uint32_t             count;
	gw__req             *req;
	int64_t              t0;
	enum MHD_Result      ret;
	bb_err               rv;

	rv = store_ns_id_parse(ns, idstr, strlen(idstr), &id);
	if (rv == BB_ENOENT) {
		// Signed ids: an edited or unsigned one names nothing.
		return gw__reply(conn, MHD_HTTP_NOT_FOUND, GW__READ_NOT_FOUND);
	}
	if (rv != BB_OK) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "The given ID is not valid.");
	}
	gw__ask_init(&ask, conn, idstr, id.length);
	if (id.length == 0) {
		// An empty blob needs no file: the id says everything.
		if (ask.status != MHD_HTTP_OK) {
			return gw__ask_reply_empty(conn, &ask);
		}
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
		return gw__ask_queue(conn, &ask, resp);
	}
	// The bytes to fetch: those sent, or for a 304 or 416 the last
	// byte, whose copy proves the whole blob is there (never an answer
	// but 404 for an id that names nothing).
	first = ask.count > 0 ? ask.first : id.length - 1;
	count = ask.count > 0 ? (uint32_t) ask.count : 1;
	// Until the response is queued: finding the bytes (locally, at the
	// owner, in the archive), not sending them, which sendfile or the
	// stream does after this returns.
	t0 = bb_clock_mono_ns();
	locate_begin(&r, g, ns, &id, first, count, &loc);
	if (!locate_more(&r)) {
		ret = read_answer(conn, ns, &ask, &loc, locate_end(&r));
		store_metrics_observe(store_ns_metrics(ns), STORE_HIST_READ,
		                      bb_clock_mono_ns() - t0);
		return ret;
	}
	// Elsewhere: the run moves to the heap, for as long as it takes.
	req = gw__req_new(GW__REQ_READ);
	if (req != NULL) {
		req->rd = calloc(1, sizeof(*req->rd));
	}
	if (req == NULL || req->rd == NULL) {
		gw__req_unref(req);
		return gw__reply_err(conn, BB_ENOMEM);
	}
	req->rd->run     = r;
	req->rd->loc     = loc;
	req->rd->ask     = ask;
	req->rd->run.loc = &req->rd->loc;
	req->rd->t0      = t0;
	*con_cls         = req; // route.c's completed callback frees it
	return read_run(g, conn, req);
}

enum MHD_Result
gw__read(gw_server *g, struct MHD_Connection *conn, const char *url,
         void **con_cls)
{
	const char     *name = url + 1;
	const char     *slash;
	store_ns       *ns;
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
	ret = gw__access_check_ns(g, ns, false, conn, &allowed);
	if (!allowed) {
		return ret;
	}
	return read_id(g, conn, ns, slash + 1, con_cls);
}
