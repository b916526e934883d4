// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/strlist.c -- string lists: freeing, membership, duplicates.
// Tag lists hold a handful of entries, so plain loops beat any index.
#include <stdlib.h>
#include <string.h>

#include "common/strlist.h"

void
bb_strlist_fini(bb_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool
bb_strlist_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0) {
			return true;
		}
	}
	return false;
}

size_t
bb_strlist_dup(char *const *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (bb_strlist_has(v, i, v[i])) {
			return i;
		}
	}
	return n;
}
