// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/acl/htpasswd_test.c -- gateway/acl/htpasswd.h: the file format
// and its errors (named by file and line), reloads after a change (by
// gw__htpasswd_refresh and by the once-a-second look), a broken reload
// that keeps the previous table, and checks racing reloads (run it
// under TSan too).
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/acl/htpasswd.h"
#include "tests/clock.h"
#include "acl_fixture.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void) nanosleep(&ts, NULL);
}

static gw__htpasswd *
ht_of(const char *path)
{
	gw__htpasswd *ht = NULL;
	char          err[512];

	if (gw__htpasswd_new(path, &ht, err, sizeof(err)) != BB_OK) {
		fail_msg("gw__htpasswd_new: %s", err);
	}
	return ht;
}

static bool
ok(gw__htpasswd *ht, const char *user, const char *pw, const char *tag)
{
	char *tags[1] = { (char *) tag };

	return gw__htpasswd_check(ht, user, pw, tags, tag != NULL ? 1 : 0);
}

static void
test_format(void **state)
{
	gw__htpasswd *ht = ht_of(pw_path);

	(void) state;
	assert_int_equal(gw__htpasswd_count(ht), 10);
	assert_true(ok(ht, "dave", "dave-pw", "read")); // the CR LF line
	assert_false(ok(ht, "dave", "dave-pw", "write"));
	assert_true(ok(ht, "erin", "erin-pw", "read"));
	assert_true(ok(ht, "frank", "frank-old", NULL));
	assert_false(ok(ht, "frank", "frank-old", "write"));
	assert_true(ok(ht, "frank", "frank-new", "write"));
	assert_false(ok(ht, "frank", "frank-pw", NULL));
	assert_false(ok(ht, "fran", "frank-new", NULL));
	assert_false(ok(ht, "", "", NULL));
	// The first user of the sorted table and one past the last.
	assert_true(ok(ht, "alice", "alice-pw", "write"));
	assert_false(ok(ht, "zed", "alice-pw", NULL));
	gw__htpasswd_free(ht);
	gw__htpasswd_free(NULL);
}

static void
test_errors(void **state)
{
	static char long_line[5000];
	static const struct {
		const char *text;
		bb_err      rv;
		const char *want; // after "<path>"
	} cases[] = {
		{ "bob\n", BB_ECONFIG, ":1: no password hash" },
		{ "\n:" U_BOB, BB_ECONFIG, ":2: empty user name" },
		{ U_BOB ":\n", BB_ECONFIG, ":1: user 'bob': empty tag" },
		{ U_BOB ":a::b\n", BB_ECONFIG, ":1: user 'bob': empty tag" },
		{ "# c\n\n" U_BOB ":a:b:a\n", BB_ECONFIG,
		  ":3: user 'bob': duplicate tag 'a'" },
		{ "paul:paul-pw\n", BB_ECONFIG,
		  ":1: user 'paul': not a bcrypt, $apr1$, {SHA} or crypt hash "
		  "(plain-text passwords are not accepted)" },
		{ "paul:{SSHA}OyjQ/AE9RhTzfN5pJlpY1kp5T9ZBQkNE", BB_ECONFIG,
		  ":1: user 'paul': not a" },
		{ "paul:$2y$", BB_ECONFIG, ":1: user 'paul': not a" },
		{ U_BOB "\n" U_CAROL "\n" U_DAVE "xy\n", BB_ECONFIG,
		  ":3: user 'dave': not a" },
		{ long_line, BB_ECONFIG, ":1: line longer than 4096 bytes" },
	};
	gw__htpasswd *ht = NULL;
	char          path[160], err[512], want[400];
	size_t        i;

	(void) state;
	memset(long_line, 'x', sizeof(long_line) - 1);
	memcpy(long_line, U_BOB ":", strlen(U_BOB) + 1);
	(void) snprintf(path, sizeof(path), "%s/errors", dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].text);
		assert_int_equal(gw__htpasswd_new(path, &ht, err, sizeof(err)),
		                 cases[i].rv);
		(void) snprintf(want, sizeof(want), "%s%s", path,
		                cases[i].want);
		if (strncmp(err, want, strlen(want)) != 0) {
			fail_msg("case %zu: got '%s', want '%s'", i, err,
			         want);
		}
		assert_null(ht);
	}
	// A bad line after a good one is an error too (it was taken for a
	// valid file without a table: the first request crashed the node).
	{
		static const char nul[] = U_BOB "\nx\0y\n";
		static char       two[sizeof(U_BOB) + sizeof(long_line)];

		write_file_n(path, nul, sizeof(nul) - 1);
		assert_int_equal(gw__htpasswd_new(path, &ht, err, sizeof(err)),
		                 BB_ECONFIG);
		assert_non_null(strstr(err, ":2: NUL byte in the line"));
		assert_null(ht);
		(void) snprintf(two, sizeof(two), U_BOB "\n%s", long_line);
		write_file(path, two);
		assert_int_equal(gw__htpasswd_new(path, &ht, err, sizeof(err)),
		                 BB_ECONFIG);
		assert_non_null(strstr(err, ":2: line longer than 4096"));
		assert_null(ht);
	}
	// An empty file (or only comments) is an empty table.
	write_file(path, "# nobody yet\n");
	ht = ht_of(path);
	assert_int_equal(gw__htpasswd_count(ht), 0);
	assert_false(ok(ht, "bob", "bob-pw", NULL));
	gw__htpasswd_free(ht);
	// Files that cannot be read.
	(void) snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(gw__htpasswd_new(path, &ht, err, sizeof(err)),
	                 BB_ENOENT);
	assert_non_null(strstr(err, path));
	assert_int_equal(gw__htpasswd_new(dir, &ht, err, sizeof(err)),
	                 BB_EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	// Past the cap, with the message it always had (a sparse file: no
	// 16 MiB written).
	(void) snprintf(path, sizeof(path), "%s/huge", dir);
	write_file(path, "");
	assert_int_equal(truncate(path, (16 << 20) + 1), 0);
	assert_int_equal(gw__htpasswd_new(path, &ht, err, sizeof(err)),
	                 BB_ETOOBIG);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ": larger than 16 MiB"));
	assert_int_equal(unlink(path), 0);
}

static void
test_reload(void **state)
{
	char          path[160];
	gw__htpasswd *ht;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/reload", dir);
	write_file(path, U_BOB ":read\n");
	ht = ht_of(path);
	assert_int_equal(gw__htpasswd_refresh(ht), BB_OK); // unchanged
	assert_true(ok(ht, "bob", "bob-pw", "read"));
	// Same inode, same size, a later mtime: seen.
	rewrite_in_place(path, U_BOB ":rea2\n", 5);
	assert_int_equal(gw__htpasswd_refresh(ht), BB_OK);
	assert_false(ok(ht, "bob", "bob-pw", "read"));
	assert_true(ok(ht, "bob", "bob-pw", "rea2"));
	// A broken version keeps the table in force, and is not retried.
	rewrite_in_place(path, U_BOB ":a:a\n", 10);
	assert_int_equal(gw__htpasswd_refresh(ht), BB_ECONFIG);
	assert_int_equal(gw__htpasswd_refresh(ht), BB_OK);
	assert_true(ok(ht, "bob", "bob-pw", "rea2"));
	// So does a bad line after a good one.
	{
		static const char nul[] = U_BOB ":read\nx\0y\n";

		write_file_n(path, nul, sizeof(nul) - 1);
		assert_int_equal(gw__htpasswd_refresh(ht), BB_ECONFIG);
		assert_true(ok(ht, "bob", "bob-pw", "rea2"));
		assert_false(ok(ht, "bob", "bob-pw", "read"));
	}
	// So does a file that went away.
	assert_int_equal(unlink(path), 0);
	assert_int_equal(gw__htpasswd_refresh(ht), BB_ENOENT);
	assert_true(ok(ht, "bob", "bob-pw", "rea2"));
	// The next good version is taken.
	write_file(path, U_BOB "\n" U_CAROL ":read\n");
	assert_int_equal(gw__htpasswd_refresh(ht), BB_OK);
	assert_int_equal(gw__htpasswd_count(ht), 2);
	assert_true(ok(ht, "carol", "carol-pw", "read"));
	assert_false(ok(ht, "bob", "bob-pw", "rea2"));
	gw__htpasswd_free(ht);
}

// Without gw__htpasswd_refresh: a check looks at the file once a second.
static void
test_reload_by_check(void **state)
{
	char          path[160];
	gw__htpasswd *ht;
	int64_t       t0;
	bool          bob;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/auto", dir);
	write_file(path, U_BOB "\n");
	t0 = bbt_now_ms();
	ht = ht_of(path);
	write_file(path, U_CAROL "\n");
	bob = ok(ht, "bob", "bob-pw", NULL);
	if (bbt_now_ms() - t0 < 900) { // within the second: not looked yet
		assert_true(bob);
	}
	sleep_ms(1100);
	assert_true(ok(ht, "carol", "carol-pw", NULL));
	assert_false(ok(ht, "bob", "bob-pw", NULL));
	gw__htpasswd_free(ht);
}

// ---- checks racing reloads ------------------------------------------

typedef struct racer {
	gw__htpasswd *ht;
	atomic_bool  *stop;
	atomic_int    checks;
	atomic_int    wrong;
} racer;

static void *
racer_main(void *arg)
{
	racer *r = arg;

	while (!atomic_load(r->stop) || atomic_load(&r->checks) < 20) {
		// bob is in every version; his password never changes.
		if (!ok(r->ht, "bob", "bob-pw", "read") ||
		    ok(r->ht, "bob", "bob-pW", "read")) {
			atomic_fetch_add(&r->wrong, 1);
		}
		atomic_fetch_add(&r->checks, 1);
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	static const char *versions[] = {
		U_BOB ":read\n" U_CAROL "\n",
		"# second\n" U_DAVE "\n" U_BOB ":write:read\n" U_GINA "\n",
	};
	char          path[160];
	gw__htpasswd *ht;
	atomic_bool   stop = false;
	racer         r[4];
	pthread_t     th[4];
	int           i;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/race", dir);
	write_file(path, versions[0]);
	ht = ht_of(path);
	for (i = 0; i < 4; i++) {
		r[i].ht   = ht;
		r[i].stop = &stop;
		atomic_init(&r[i].checks, 0);
		atomic_init(&r[i].wrong, 0);
		assert_int_equal(
		    pthread_create(&th[i], NULL, racer_main, &r[i]), 0);
	}
	for (i = 0; i < 60; i++) {
		write_file(path, versions[i % 2]);
		assert_int_equal(gw__htpasswd_refresh(ht), BB_OK);
		assert_int_equal(gw__htpasswd_count(ht), i % 2 == 0 ? 2 : 3);
		sleep_ms(
		    20); // 1.2 s in all: the checks look by themselves too
	}
	atomic_store(&stop, true);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(atomic_load(&r[i].wrong), 0);
		assert_true(atomic_load(&r[i].checks) >= 20);
	}
	gw__htpasswd_free(ht);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_reload_by_check),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
