// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/read.c -- GET and HEAD /<ns>/<id>: parse the id, find the range
// in a local file and hand MHD a descriptor, so the bytes go to the
// socket with sendfile(2) and never through user space; else ask the
// owner of the id, else the archive.
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "gateway/gateway_impl.h"

// read_id answers the read of idstr in ns.
static enum MHD_Result
read_id(gw_server *g, struct MHD_Connection *conn, store_ns *ns,
        const char *idstr)
{
	struct MHD_Response *resp;
	store_id             id;
	uint64_t             off;
	int                  fd = -1;
	bb_err               fwd;
	bb_err               rv;

	if (store_id_parse(idstr, strlen(idstr), &id) != BB_OK) {
		return gw__reply(conn, MHD_HTTP_BAD_REQUEST,
		                 "The given ID is not valid.");
	}
	if (id.length == 0) {
		// An empty blob needs no file: the id says everything.
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
	} else {
		rv = store_ns_read(ns, &id, &fd, &off);
		if (rv == BB_ENOENT) {
			fwd = gw__forward(g, store_ns_conf(ns)->name, &id,
			                  &resp);
			rv =
			    fwd == BB_OK ? BB_OK : gw__archive(ns, &id, &resp);
			// Not in the archive either: a failed forward may mean
			// the owner still has it (try again later), unless the
			// owner is simply not there.
			if (rv == BB_ENOENT && fwd != BB_ENOENT &&
			    fwd != BB_EUNAVAIL) {
				rv = fwd;
			}
			if (rv == BB_OK) {
				return gw__queue(conn, MHD_HTTP_OK, resp,
				                 "application/octet-stream");
			}
		}
		if (rv == BB_ENOENT || rv == BB_EUNAVAIL) {
			return gw__reply(conn, MHD_HTTP_NOT_FOUND,
			                 "The requested ID was not found.");
		}
		if (rv == BB_ENOTSUP) {
			return gw__reply(
			    conn, MHD_HTTP_BAD_REQUEST,
			    "Can not fetch objects from a compressed source.");
		}
		if (rv != BB_OK) {
			return gw__reply_err(conn, rv);
		}
		// The response owns fd from here and closes it.
		resp = MHD_create_response_from_fd_at_offset64(id.length, fd,
		                                               off);
		if (resp == NULL) {
			(void) close(fd);
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
