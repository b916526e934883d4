// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/daemon_args_test.c -- blobbyd's command line as an
// operator types it: --help and --version (short and long), --config
// with --test on a valid and on an invalid file, and an unknown option.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "tests/tmpdir.h"

// run_daemon runs "$BLOBBYD args 2>&1" and returns its exit status, with
// what it printed in out.
static int
run_daemon(const char *args, char *out, size_t cap)
{
	const char *bin = getenv("BLOBBYD");

	assert_non_null(bin);
	return bbt_sh_out(out, cap, "%s %s 2>&1", bin, args);
}

static void
test_help_version(void **state)
{
	char out[4096];

	(void) state;
	assert_int_equal(run_daemon("--version", out, sizeof(out)), 0);
	assert_memory_equal(out, "blobbyd ", 8);
	assert_int_equal(run_daemon("-V", out, sizeof(out)), 0);
	assert_memory_equal(out, "blobbyd ", 8);
	assert_int_equal(run_daemon("--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "usage: blobbyd"));
	assert_non_null(strstr(out, "--config FILE"));
	assert_int_equal(run_daemon("-h", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--version"));
	// EX_USAGE, with the usage on standard error.
	assert_int_equal(run_daemon("--bogus", out, sizeof(out)), 64);
	assert_non_null(strstr(out, "--bogus"));
	assert_non_null(strstr(out, "usage: blobbyd"));
}

static void
test_config_check(void **state)
{
	char  dir[64];
	char  path[128];
	char  args[256];
	char  out[4096];
	FILE *f;

	(void) state;
	bbt_fmt(dir, sizeof(dir), "/tmp/bb_args.XXXXXX");
	assert_non_null(mkdtemp(dir));
	bbt_fmt(path, sizeof(path), "%s/ok.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	(void) fprintf(f,
	               "machine_id = 1\n[namespace.a]\ndirectory = %s/a\n"
	               "replicas = 0\narchive = dir\n"
	               "archive_directory = %s/ar\n",
	               dir, dir);
	assert_int_equal(fclose(f), 0);
	bbt_fmt(args, sizeof(args), "--config %s --test", path);
	assert_int_equal(run_daemon(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "is valid"));
	bbt_fmt(path, sizeof(path), "%s/bad.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	(void) fputs("machine_id = 1\nreplicas_typo = 3\n", f);
	assert_int_equal(fclose(f), 0);
	bbt_fmt(args, sizeof(args), "-t -c %s", path);
	assert_int_equal(run_daemon(args, out, sizeof(out)), 78); // EX_CONFIG
	assert_non_null(strstr(out, "bad.ini:2"));
	bbt_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_config_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
