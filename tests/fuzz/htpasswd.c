// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/htpasswd.c -- gateway/acl/htpasswd.h: a whole htpasswd file
// from any bytes, written to a temporary file and loaded as the gateway
// loads it.  A load gives a table or an error with a message, never
// success without a table (issue 12, finding 1).  The check looks up a
// user no line can name (it holds ':'), so no hash is computed: a hostile
// bcrypt cost would only measure the fuzzer's patience.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/acl/htpasswd.h"
#include "tests/fuzz/fuzz.h"

static char ht_path[64];
static int  ht_fd = -1;

// ht_write makes the temporary file hold data[0..size).  false if it
// cannot.  The file is unlinked at once and read through /proc/self/fd,
// so a crash leaves nothing behind.
static bool
ht_write(const uint8_t *data, size_t size)
{
	const char *dir = getenv("TMPDIR");

	if (ht_fd < 0) {
		(void) snprintf(
		    ht_path, sizeof(ht_path), "%s/fuzz-htpasswd-XXXXXX",
		    dir != NULL && strlen(dir) < 32 ? dir : "/tmp");
		ht_fd = mkstemp(ht_path);
		if (ht_fd < 0) {
			return false;
		}
		(void) unlink(ht_path);
		(void) snprintf(ht_path, sizeof(ht_path), "/proc/self/fd/%d",
		                ht_fd);
	}
	return ftruncate(ht_fd, 0) == 0 &&
	    pwrite(ht_fd, data, size, 0) == (ssize_t) size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gw__htpasswd_table *t = NULL;
	struct stat         st;
	char                err[512];
	char               *tags[] = { "admin" };
	bb_err              rv;

	if (!ht_write(data, size)) {
		return 0;
	}
	err[0] = '\0';
	rv     = gw__htpasswd_table_load(ht_path, &t, &st, err, sizeof(err));
	if (rv == BB_OK) {
		FUZZ_CHECK(t != NULL);
		FUZZ_CHECK(gw__htpasswd_table_count(t) <= size);
		FUZZ_CHECK(
		    !gw__htpasswd_table_check(t, "no:such", "x", tags, 1));
		gw__htpasswd_table_unref(t);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	return 0;
}
