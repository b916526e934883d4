// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/conf_fixture.h -- what conf_test.c and
// conf_errors_test.c share: N(), the valid base config BASE and load_ok.
#ifndef TESTS_COMMON_CONF_FIXTURE_H
#define TESTS_COMMON_CONF_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/conf/conf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

// A valid config of 6 lines: a case appends its text from line 7 on, in
// the section [namespace.a].
#define BASE               \
	"machine_id = 1\n" \
	"[namespace.a]\n"  \
	"directory = /d\n" \
	"replicas = 0\n"   \
	"archive = dir\n"  \
	"archive_directory = /ar\n"

static inline bb_conf *
load_ok(const char *text)
{
	bb_conf *conf = NULL;
	char    *errs = NULL;
	bb_err   rv   = bb_conf_load_string(text, "t.ini", &conf, &errs);

	if (rv != BB_OK) {
		fail_msg("load failed: %s\n%s", bb_err_name(rv),
		         errs != NULL ? errs : "(null)");
	}
	assert_null(errs);
	assert_non_null(conf);
	return conf;
}

#endif // TESTS_COMMON_CONF_FIXTURE_H
