// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/log_fixture.h -- what the log tests (log_test.c,
// log_repeat_test.c) share: a log file in a temporary directory, and a
// teardown that closes the log and puts the repeat window back.
#ifndef TESTS_COMMON_LOG_FIXTURE_H
#define TESTS_COMMON_LOG_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

typedef struct {
	char dir[64];
	char path[128];
	char rotated[128];
} log_fix;

static inline int
setup(void **state)
{
	log_fix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->dir, sizeof(fx->dir), "/tmp/bb_log_test.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	(void) snprintf(fx->path, sizeof(fx->path), "%s/blobby.log", fx->dir);
	(void) snprintf(fx->rotated, sizeof(fx->rotated), "%s/blobby.log.1",
	                fx->dir);
	*state = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	log_fix *fx = *state;

	bb_log_close();
	bb_log_set_repeat_window(BB_LOG_REPEAT_WINDOW_NS);
	(void) unlink(fx->path);
	(void) unlink(fx->rotated);
	(void) rmdir(fx->dir);
	free(fx);
	return 0;
}

#endif // TESTS_COMMON_LOG_FIXTURE_H
