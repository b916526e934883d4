// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/keyfmt.c -- storage/keyfmt.h: the s3_key_format language
// from any text.  The input is a format, then (after the first NUL byte)
// a fid's bytes and a base path.  A format compiles or fails with a
// message; a compiled one formats into buffers of any size without
// writing past them; the key joins and the uniqueness check never crash.
#include <stdlib.h>
#include <string.h>

#include "storage/id.h"
#include "storage/keyfmt.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char         *fmt = fuzz_str(data, size);
	store_keyfmt *k   = NULL;
	store_fid     fid = { { 0 } };
	const char   *rest;
	size_t        restlen;
	char          err[256];
	char          name[1024];
	char          joined[1024];
	char         *exact;
	size_t        len;

	if (fmt == NULL) {
		return 0;
	}
	rest    = memchr(data, '\0', size);
	rest    = rest != NULL ? rest + 1 : (const char *) data + size;
	restlen = size - (size_t) (rest - (const char *) data);
	memcpy(fid.b, rest, restlen < STORE_FID_LEN ? restlen : STORE_FID_LEN);
	err[0] = '\0';
	if (store_keyfmt_new(fmt, &k, err, sizeof(err)) != BB_OK) {
		FUZZ_CHECK(err[0] != '\0' && k == NULL);
		free(fmt);
		return 0;
	}
	if (store_keyfmt_format(k, &fid, name, sizeof(name)) == BB_OK) {
		// The exact size fits; one byte less does not.
		len   = strlen(name);
		exact = malloc(len + 1);
		if (exact != NULL) {
			FUZZ_CHECK(store_keyfmt_format(k, &fid, exact,
			                               len + 1) == BB_OK);
			FUZZ_CHECK(strcmp(exact, name) == 0);
			FUZZ_CHECK(store_keyfmt_format(k, &fid, exact, len) ==
			           BB_ETOOBIG);
			FUZZ_CHECK(len == 0 || exact[0] == '\0');
			free(exact);
		}
		// The base path: the rest of the input after the fid.
		if (restlen > STORE_FID_LEN) {
			char *base =
			    fuzz_str((const uint8_t *) rest + STORE_FID_LEN,
			             restlen - STORE_FID_LEN);

			if (base != NULL &&
			    store_key_join(base, name, joined,
			                   sizeof(joined)) == BB_OK) {
				(void) store_key_object(joined);
			}
			free(base);
		}
	}
	(void) store_keyfmt_check_unique(k, err, sizeof(err));
	store_keyfmt_free(k);
	free(fmt);
	return 0;
}
