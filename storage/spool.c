// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/spool.c -- memory-then-file body buffer.
#define _GNU_SOURCE // O_TMPFILE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/fileio.h"
#include "storage/spool.h"

struct store_spool {
	char    *dir;  // owned
	uint8_t *mem;  // owned, STORE_SPOOL_MEM bytes; NULL in file mode
	size_t   cap;  // size of mem
	size_t   used; // bytes in mem (memory mode)
	int      fd;   // owned temporary file, -1 in memory mode
	uint64_t size; // bytes appended in all
	uint64_t limit;
};

// spool_tmpfile opens an anonymous file in dir: O_TMPFILE leaves no name
// behind even after a crash; the mkstemp fallback unlinks at once.
static bb_err
spool_tmpfile(const char *dir, int *fdp)
{
	char path[4096];
	int  fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*fdp = fd;
		return BB_OK;
	}
	if (snprintf(path, sizeof(path), "%s/.spool-XXXXXX", dir) >=
	    (int) sizeof(path)) {
		return BB_ETOOBIG;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		return bb_err_from_errno(errno);
	}
	(void) unlink(path);
	*fdp = fd;
	return BB_OK;
}

// spool_to_file moves the body from memory to a temporary file.
static bb_err
spool_to_file(store_spool *sp)
{
	int    fd = -1;
	bb_err rv;

	rv = spool_tmpfile(sp->dir, &fd);
	if (rv != BB_OK) {
		return rv;
	}
	if (sp->used > 0) {
		rv = store_io_write(fd, sp->mem, sp->used, 0);
		if (rv != BB_OK) {
			(void) close(fd);
			return rv;
		}
	}
	free(sp->mem);
	sp->mem  = NULL;
	sp->used = 0;
	sp->fd   = fd;
	return BB_OK;
}

bb_err
store_spool_new(const char *dir, uint64_t expected, uint64_t limit,
                store_spool **spp)
{
	store_spool *sp;
	bb_err       rv;

	sp = calloc(1, sizeof(*sp));
	if (sp == NULL) {
		return BB_ENOMEM;
	}
	sp->fd    = -1;
	sp->limit = limit;
	sp->dir   = strdup(dir);
	if (sp->dir == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	if (expected != UINT64_MAX && expected > STORE_SPOOL_MEM) {
		rv = spool_to_file(sp);
	} else {
		// An announced small body gets just what it needs: most
		// inserts are small, and many can be in flight at once.
		sp->cap = expected == UINT64_MAX ? STORE_SPOOL_MEM
		                                 : (size_t) expected;
		sp->mem = malloc(sp->cap > 0 ? sp->cap : 1);
		rv      = sp->mem != NULL ? BB_OK : BB_ENOMEM;
	}
	if (rv != BB_OK) {
		goto fail;
	}
	*spp = sp;
	return BB_OK;

fail:
	store_spool_free(sp);
	return rv;
}

bb_err
store_spool_write(store_spool *sp, const void *data, size_t n)
{
	bb_err rv;

	if (n > sp->limit || sp->size > sp->limit - n) {
		return BB_ETOOBIG;
	}
	if (sp->fd < 0 && n > sp->cap - sp->used) {
		rv = spool_to_file(sp);
		if (rv != BB_OK) {
			return rv;
		}
	}
	if (sp->fd < 0) {
		memcpy(sp->mem + sp->used, data, n);
		sp->used += n;
	} else {
		rv = store_io_write(sp->fd, data, n, sp->size);
		if (rv != BB_OK) {
			return rv;
		}
	}
	sp->size += n;
	return BB_OK;
}

uint64_t
store_spool_size(const store_spool *sp)
{
	return sp->size;
}

const uint8_t *
store_spool_data(const store_spool *sp)
{
	return sp->fd < 0 ? sp->mem : NULL;
}

bb_err
store_spool_copy_to(store_spool *sp, int fd, uint64_t off)
{
	if (sp->fd < 0) {
		return store_io_write(fd, sp->mem, sp->used, off);
	}
	return store_io_copy(sp->fd, 0, fd, off, sp->size);
}

void
store_spool_free(store_spool *sp)
{
	if (sp == NULL) {
		return;
	}
	if (sp->fd >= 0) {
		(void) close(sp->fd);
	}
	free(sp->mem);
	free(sp->dir);
	free(sp);
}
