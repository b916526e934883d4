// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/ns_archive.c -- a namespace's side of the archive: the object
// key of a file, and reads by range when no local copy is left.
#include <stdio.h>
#include <string.h>

#include "storage/archive/archive.h"
#include "storage/keyfmt.h"
#include "storage/ns_impl.h"

bb_err
store_ns_archive_key(const store_ns *ns, const store_fid *fid, char *buf,
                     size_t len)
{
	char   name[512];
	char   joined[1024];
	bb_err rv;

	rv = store_keyfmt_format(ns->keyfmt, fid, name, sizeof(name));
	if (rv == BB_OK) {
		rv = store_key_join(ns->conf->s3_base_path, name, joined,
		                    sizeof(joined));
	}
	if (rv == BB_OK &&
	    (size_t) snprintf(buf, len, "%s", store_key_object(joined)) >=
	        len) {
		rv = BB_ETOOBIG;
	}
	return rv;
}

bb_err
store_ns_read_archive(store_ns *ns, const store_id *id, store_archive_rd **rdp)
{
	char   key[1024];
	bb_err rv;

	if (ns->archive == NULL) {
		return BB_ENOENT;
	}
	if (ns->conf->compress) {
		return BB_ENOTSUP;
	}
	rv = store_ns_archive_key(ns, &id->fid, key, sizeof(key));
	if (rv != BB_OK) {
		return rv;
	}
	return store_archive_open(ns->archive, key, id->start, id->length,
	                          rdp);
}

bb_err
store_ns_read_archive_copy(store_ns *ns, const store_id *id, void *buf)
{
	store_archive_rd *rd   = NULL;
	size_t            done = 0;
	size_t            n;
	bb_err            rv;

	rv = store_ns_read_archive(ns, id, &rd);
	while (rv == BB_OK && done < id->length) {
		rv = store_archive_rd_read(rd, (char *) buf + done,
		                           id->length - done, &n);
		if (rv == BB_OK && n == 0) {
			rv = BB_ESHORT; // never a short result
		}
		done += rv == BB_OK ? n : 0;
	}
	store_archive_rd_close(rd);
	return rv;
}
