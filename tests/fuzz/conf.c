// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/conf.c -- common/conf/conf.h: a whole configuration file
// from any bytes (INI through libinih, then every key's validation).  A
// load either succeeds with a configuration or fails with a message;
// nothing leaks (LeakSanitizer) and nothing crashes.
#include <stdlib.h>

#include "common/conf/conf.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char    *text   = fuzz_str(data, size);
	bb_conf *conf   = NULL;
	char    *errors = NULL;
	bb_err   rv;

	if (text == NULL) {
		return 0;
	}
	rv = bb_conf_load_string(text, "fuzz.conf", &conf, &errors);
	if (rv == BB_OK) {
		FUZZ_CHECK(conf != NULL);
		if (conf->n_namespaces > 0) {
			FUZZ_CHECK(
			    bb_conf_find_ns(conf, conf->namespaces[0].name) !=
			    NULL);
		}
	} else {
		FUZZ_CHECK(conf == NULL);
	}
	bb_conf_free(conf);
	free(errors);
	free(text);
	return 0;
}
