// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/archive.c -- the last step of a read: the byte range from the
// archive.  A directory archive hands over a descriptor (sendfile, as a
// local read); S3 streams a ranged GET through a callback response.  The
// archive has checked that the whole range exists before this answers.
#include <stdlib.h>

#include "common/log.h"
#include "gateway/gateway_impl.h"
#include "storage/archive/archive.h"

// A transfer that breaks mid-way ends the connection with an error: the
// client sees a broken response, never a short body that looks complete.
static ssize_t
arc_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	store_archive_rd *rd = cls;
	size_t            n  = 0;
	bb_err            rv;

	(void) pos; // MHD asks in order
	rv = store_archive_rd_read(rd, out, max, &n);
	if (rv != BB_OK || n == 0) {
		bb_log_warn("archive read stopped at byte %llu: %s",
		            (unsigned long long) pos,
		            rv != BB_OK ? bb_strerror(rv) : "no more data");
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return (ssize_t) n;
}

static void
arc_free(void *cls)
{
	store_archive_rd_close(cls);
}

bb_err
gw__archive(store_ns *ns, const store_id *id, struct MHD_Response **respp)
{
	struct MHD_Response *resp;
	store_archive_rd    *rd = NULL;
	bb_err               rv;

	rv = store_ns_read_archive(ns, id, &rd);
	if (rv != BB_OK) {
		return rv;
	}
	if (rd->fd >= 0) {
		// The response takes the descriptor; the reader lets it go.
		resp = MHD_create_response_from_fd_at_offset64(
		    id->length, rd->fd, rd->off);
		if (resp != NULL) {
			rd->fd = -1;
		}
		store_archive_rd_close(rd);
	} else {
		resp = MHD_create_response_from_callback(
		    id->length, 64 * 1024, arc_reader, rd, arc_free);
		if (resp == NULL) {
			store_archive_rd_close(rd);
		}
	}
	if (resp == NULL) {
		return BB_ENOMEM;
	}
	*respp = resp;
	return BB_OK;
}
