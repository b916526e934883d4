// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/archive.c -- the archive interface: dispatch to a back end's
// operations, and the reading of file-backed ranges they share.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/archive/archive.h"
#include "storage/fileio.h"

struct store_archive {
	const store_archive_ops *ops; // borrowed, static in the back ends
	void                    *ctx; // owned, released by ops->free
	char                    *desc;
};

bb_err
store_archive_custom(const store_archive_ops *ops, void *ctx, const char *desc,
                     store_archive **ap)
{
	store_archive *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return BB_ENOMEM;
	}
	a->desc = strdup(desc != NULL ? desc : "archive");
	if (a->desc == NULL) {
		free(a);
		return BB_ENOMEM;
	}
	a->ops = ops;
	a->ctx = ctx;
	*ap    = a;
	return BB_OK;
}

void
store_archive_free(store_archive *a)
{
	if (a == NULL) {
		return;
	}
	if (a->ops->free != NULL) {
		a->ops->free(a->ctx);
	}
	free(a->desc);
	free(a);
}

const char *
store_archive_desc(const store_archive *a)
{
	return a->desc;
}

bb_err
store_archive_put(store_archive *a, const char *key, int fd, uint64_t size,
                  const atomic_bool *cancel, bool *existed, char *why,
                  size_t whylen)
{
	bool   ex = false;
	bb_err rv;

	if (whylen > 0) {
		why[0] = '\0';
	}
	rv = a->ops->put(a->ctx, key, fd, size, cancel, &ex, why, whylen);
	if (rv == BB_OK) {
		*existed = ex;
	} else if (whylen > 0 && why[0] == '\0') {
		(void) snprintf(why, whylen, "%s", bb_strerror(rv));
	}
	return rv;
}

bb_err
store_archive_open(store_archive *a, const char *key, uint64_t off,
                   uint64_t len, store_archive_rd **rdp)
{
	return a->ops->open(a->ctx, key, off, len, rdp);
}

bb_err
store_archive_rd_read(store_archive_rd *rd, void *buf, size_t max, size_t *n)
{
	size_t want;
	bb_err rv;

	if (rd->read != NULL) {
		return rd->read(rd, buf, max, n);
	}
	want = rd->left < max ? (size_t) rd->left : max;
	if (want > 0) {
		rv = store_io_read(rd->fd, buf, want, rd->off);
		if (rv != BB_OK) {
			return rv;
		}
	}
	rd->off += want;
	rd->left -= want;
	*n = want;
	return BB_OK;
}

bb_err
store_archive_rd_take_fd(store_archive_rd *rd, int *fdp, uint64_t *offp)
{
	if (rd->read != NULL || rd->fd < 0) {
		return BB_ENOTSUP;
	}
	*fdp   = rd->fd;
	*offp  = rd->off;
	rd->fd = -1;
	return BB_OK;
}

void
store_archive_rd_close(store_archive_rd *rd)
{
	if (rd != NULL) {
		rd->close(rd);
	}
}
