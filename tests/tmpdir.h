// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/tmpdir.h -- removing a test's temporary directory with everything
// in it.  Needs _XOPEN_SOURCE 700 (nftw) defined before any include.
#ifndef TESTS_TMPDIR_H
#define TESTS_TMPDIR_H

#include <ftw.h>
#include <stdio.h>

static inline int
bbt__rm_entry(const char *path, const struct stat *st, int flag,
              struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

// bbt_rmtree removes dir and everything below it; errors are ignored.
static inline void
bbt_rmtree(const char *dir)
{
	(void) nftw(dir, bbt__rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif // TESTS_TMPDIR_H
