// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/pidfile_test.c -- common/pidfile.c: a live pid file stops
// a second instance, a stale or unreadable one is taken over, the file is
// removed on release only while it is ours.  Real files in a mkdtemp()
// directory.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/tmpdir.h"
#include "common/pidfile.h"

static char g_tmp[64];
static char g_path[128];

static int
setup(void **state)
{
	(void) state;
	(void) snprintf(g_tmp, sizeof(g_tmp), "/tmp/bb_pidfile_test.XXXXXX");
	if (mkdtemp(g_tmp) == NULL) {
		return -1;
	}
	(void) snprintf(g_path, sizeof(g_path), "%s/blobbyd.pid", g_tmp);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	bbt_rmtree(g_tmp);
	return 0;
}

static void
put_text(const char *text)
{
	FILE *f = fopen(g_path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

// expect_text checks the whole content of the pid file.
static void
expect_text(const char *want)
{
	char   buf[64];
	FILE  *f = fopen(g_path, "r");
	size_t n;

	assert_non_null(f);
	n      = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	(void) fclose(f);
	assert_string_equal(buf, want);
}

static void
expect_ours(void)
{
	char want[32];

	(void) snprintf(want, sizeof(want), "%ld\n", (long) getpid());
	expect_text(want);
}

// entries counts the names in the test directory (no temporary is left).
static int
entries(void)
{
	DIR           *d = opendir(g_tmp);
	struct dirent *e;
	int            n = 0;

	assert_non_null(d);
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		if (e->d_name[0] != '.') {
			n++;
		}
	}
	(void) closedir(d);
	return n;
}

// dead_pid returns the pid of a child that has exited and been reaped.
static long
dead_pid(void)
{
	pid_t pid = fork();
	int   st;

	assert_true(pid >= 0);
	if (pid == 0) {
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return (long) pid;
}

static void
test_fresh_and_again(void **state)
{
	char why[256] = "";
	long other    = -1;

	(void) state;
	assert_int_equal(bb_pidfile_write(g_path, &other, why, sizeof(why)),
	                 BB_OK);
	expect_ours();
	assert_int_equal(entries(), 1);
	// Our own pid is not another instance.
	assert_int_equal(bb_pidfile_write(g_path, &other, why, sizeof(why)),
	                 BB_OK);
	expect_ours();
	assert_int_equal(other, -1);
	assert_string_equal(why, "");
}

// A live process in the file (our parent: ctest or a shell) stops us and
// leaves the file as it was.
static void
test_live(void **state)
{
	char text[32];
	char want[256];
	char why[256] = "";
	long other    = -1;

	(void) state;
	(void) snprintf(text, sizeof(text), "%ld\n", (long) getppid());
	put_text(text);
	assert_int_equal(bb_pidfile_write(g_path, &other, why, sizeof(why)),
	                 BB_EEXIST);
	assert_int_equal(other, (long) getppid());
	(void) snprintf(want, sizeof(want), "%s: process %ld is running",
	                g_path, (long) getppid());
	assert_string_equal(why, want);
	expect_text(text);
	assert_int_equal(entries(), 1);
	// Release does not remove what is not ours.
	bb_pidfile_remove(g_path);
	expect_text(text);
}

// A stale pid, or a file that holds no pid, is taken over.
static void
test_stale(void **state)
{
	static const char *const junk[] = {
		"",
		"\n",
		"abc\n",
		"12x\n",
		"-5\n",
		"0\n",
		// Beyond pid_t: not a process (kill(-1) or pid 1 otherwise).
		"99999999999999999999\n",
		"4294967297\n",
	};
	char   text[32];
	char   why[256];
	long   other = -1;
	size_t i;

	(void) state;
	(void) snprintf(text, sizeof(text), "%ld\n", dead_pid());
	put_text(text);
	assert_int_equal(bb_pidfile_write(g_path, &other, why, sizeof(why)),
	                 BB_OK);
	expect_ours();
	assert_int_equal(other, -1);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		put_text(junk[i]);
		assert_int_equal(
		    bb_pidfile_write(g_path, &other, why, sizeof(why)), BB_OK);
		expect_ours();
	}
	assert_int_equal(entries(), 1);
}

static void
test_remove(void **state)
{
	char why[256];
	long other = 0;

	(void) state;
	bb_pidfile_remove(NULL);
	bb_pidfile_remove(g_path); // none there
	assert_int_equal(bb_pidfile_write(g_path, &other, why, sizeof(why)),
	                 BB_OK);
	bb_pidfile_remove(g_path);
	assert_int_equal(access(g_path, F_OK), -1);
	assert_int_equal(entries(), 0);
	// A stale pid that is not ours stays too: only the owner removes.
	put_text("1\n");
	bb_pidfile_remove(g_path);
	expect_text("1\n");
}

static void
test_failures(void **state)
{
	char path[5000];
	char why[256] = "";
	long other    = -1;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/no/such/dir/x.pid", g_tmp);
	assert_int_equal(bb_pidfile_write(path, &other, why, sizeof(why)),
	                 BB_ENOENT);
	assert_non_null(strstr(why, path));
	assert_int_equal(entries(), 0);
	memset(path, 'a', sizeof(path) - 1);
	path[0]                = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(bb_pidfile_write(path, &other, why, sizeof(why)),
	                 BB_ETOOBIG);
	assert_true(why[0] == '/'); // the path, truncated to fit why
	assert_int_equal(other, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_and_again, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
