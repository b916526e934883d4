// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/strlist.h -- a list of strings (the configuration's
// comma-separated values) and the membership and duplicate checks that
// tag lists need (the configuration, htpasswd files, the ACLs).  Parsing
// a list is the caller's business.
#ifndef COMMON_STRLIST_H
#define COMMON_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

// A list of strings from a comma-separated value.
typedef struct bb_strlist {
	char **v; // owned, each owned
	size_t n;
} bb_strlist;

// bb_strlist_fini frees the strings and the array of l and empties it.
// A zeroed l is fine.
void bb_strlist_fini(bb_strlist *l);

// bb_strlist_has says whether s equals one of v[0..n).  Borrows all.
bool bb_strlist_has(char *const *v, size_t n, const char *s);

// bb_strlist_dup returns the index of the first of v[0..n) that equals
// an earlier one, or n if all differ.  Quadratic: meant for the short
// lists of configuration and htpasswd files.  Borrows all.
size_t bb_strlist_dup(char *const *v, size_t n);

#endif // COMMON_STRLIST_H
