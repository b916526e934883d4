// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/dir_test.c -- the directory archive keeps the best
// copy: every outcome of a put (stored, same, a longer copy we are a prefix
// of, a shorter prefix copy replaced, a conflict kept), two writers racing on
// one key of a shared directory, and the temporary files of crashed copies
// removed at open while a live writer's are kept.
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/archive/archive.h"
#include "tests/tmpdir.h"

#define WHYLEN 512
#define NRACE  40

static char g_dir[256]; // the test's temporary directory
static char g_arc[300]; // the archive in it

static uint8_t
pat(uint64_t i, unsigned seed)
{
	return (uint8_t) (i * 7 + (i >> 8) * 131 + seed);
}

// make_file creates <g_dir>/<name> of size patterned bytes; returns its
// fd.  Files of one seed are prefixes of each other.
static int
make_file(const char *name, uint64_t size, unsigned seed)
{
	uint8_t *buf = malloc(size + 1);
	char     path[512];
	uint64_t i;
	int      fd;

	assert_non_null(buf);
	for (i = 0; i < size; i++) {
		buf[i] = pat(i, seed);
	}
	(void) snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, size), (ssize_t) size);
	free(buf);
	return fd;
}

static uint64_t
fd_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t) st.st_size;
}

static bb_err
put(store_archive *a, const char *key, int fd, bool *existed, char *why)
{
	*existed = false;
	why[0]   = '\0';
	return store_archive_put(a, key, fd, fd_size(fd), NULL, existed, why,
	                         WHYLEN);
}

// object_is says whether object key holds exactly size bytes of seed.
static bool
object_is(const char *key, uint64_t size, unsigned seed)
{
	char     path[600];
	uint8_t  b;
	uint64_t i;
	bool     ok;
	FILE    *f;

	(void) snprintf(path, sizeof(path), "%s/%s", g_arc, key);
	f = fopen(path, "rb");
	if (f == NULL) {
		return false;
	}
	ok = true;
	for (i = 0; i < size && ok; i++) {
		ok = fread(&b, 1, 1, f) == 1 && b == pat(i, seed);
	}
	ok = ok && fread(&b, 1, 1, f) == 0;
	(void) fclose(f);
	return ok;
}

// count_tmp counts the files of dir (not below) whose name holds ".tmp".
static int
count_tmp(const char *dir)
{
	char cmd[600];
	int  n = -1;

	(void) snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -c '\\.tmp'",
	                dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	(void) pclose(p);
	return n;
}

static int
setup(void **state)
{
	(void) state;
	(void) snprintf(g_dir, sizeof(g_dir), "/tmp/bb-dirarc-XXXXXX");
	if (mkdtemp(g_dir) == NULL) {
		return -1;
	}
	(void) snprintf(g_arc, sizeof(g_arc), "%s/arc", g_dir);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	bbt_rmtree(g_dir);
	return 0;
}

static void
test_outcomes(void **state)
{
	store_archive *a = NULL;
	char           why[WHYLEN];
	bool           existed;
	int            f1000 = make_file("a1000", 1000, 1);
	int            f3000 = make_file("a3000", 3000, 1);
	int            f5000 = make_file("a5000", 5000, 1);
	int            o3000 = make_file("o3000", 3000, 2);
	int            o2000 = make_file("o2000", 2000, 2);
	int            o4000 = make_file("o4000", 4000, 2);

	(void) state;
	assert_int_equal(store_archive_dir_new(g_arc, &a), BB_OK);
	// Stored, then the same bytes again.
	assert_int_equal(put(a, "k/obj", f3000, &existed, why), BB_OK);
	assert_false(existed);
	assert_true(object_is("k/obj", 3000, 1));
	assert_int_equal(put(a, "k/obj", f3000, &existed, why), BB_OK);
	assert_true(existed);
	// A shorter copy whose bytes the object holds: success, untouched.
	assert_int_equal(put(a, "k/obj", f1000, &existed, why), BB_OK);
	assert_true(existed);
	assert_true(object_is("k/obj", 3000, 1));
	// A longer copy of which the object is a prefix replaces it.
	assert_int_equal(put(a, "k/obj", f5000, &existed, why), BB_OK);
	assert_false(existed);
	assert_true(object_is("k/obj", 5000, 1));
	// Different bytes, of the same size, shorter, longer: conflicts,
	// the object kept, the key and both sizes in the reason.
	assert_int_equal(put(a, "k/obj", o2000, &existed, why), BB_EEXIST);
	assert_non_null(strstr(why, "k/obj"));
	assert_non_null(strstr(why, "5000"));
	assert_non_null(strstr(why, "2000"));
	assert_int_equal(put(a, "k/obj", f3000, &existed, why), BB_OK);
	assert_true(existed);
	assert_int_equal(put(a, "k/two", o3000, &existed, why), BB_OK);
	assert_int_equal(put(a, "k/two", f3000, &existed, why), BB_EEXIST);
	assert_int_equal(put(a, "k/two", o4000, &existed, why), BB_OK);
	assert_false(existed);
	assert_int_equal(put(a, "k/two", f5000, &existed, why), BB_EEXIST);
	assert_non_null(strstr(why, "4000"));
	assert_true(object_is("k/obj", 5000, 1));
	assert_true(object_is("k/two", 4000, 2));
	assert_int_equal(count_tmp(g_arc), 0);
	{
		char sub[400];
		(void) snprintf(sub, sizeof(sub), "%s/k", g_arc);
		assert_int_equal(count_tmp(sub), 0);
	}
	store_archive_free(a);
	(void) close(f1000);
	(void) close(f3000);
	(void) close(f5000);
	(void) close(o3000);
	(void) close(o2000);
	(void) close(o4000);
}

// Two writers, each with its own archive of the shared directory (as
// two nodes), put NRACE keys at the same time.
typedef struct {
	int                fd;
	pthread_barrier_t *bar;
	bb_err             rv[NRACE];
	char               prefix[8];
} racer;

static void *
race_main(void *arg)
{
	racer         *r = arg;
	store_archive *a = NULL;
	char           key[64];
	char           why[WHYLEN];
	bool           existed;
	int            i;

	assert_int_equal(store_archive_dir_new(g_arc, &a), BB_OK);
	for (i = 0; i < NRACE; i++) {
		(void) snprintf(key, sizeof(key), "%s/%d", r->prefix, i);
		(void) pthread_barrier_wait(r->bar);
		r->rv[i] = put(a, key, r->fd, &existed, why);
	}
	store_archive_free(a);
	return NULL;
}

static void
run_race(racer *r, const char *prefix)
{
	pthread_barrier_t bar;
	pthread_t         t[2];
	int               i;

	assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		r[i].bar = &bar;
		(void) snprintf(r[i].prefix, sizeof(r[i].prefix), "%s",
		                prefix);
		assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]),
		                 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	(void) pthread_barrier_destroy(&bar);
}

static void
test_race(void **state)
{
	racer r[2] = { { .fd = make_file("r1", 200000, 1) },
		       { .fd = make_file("r2", 200000, 2) } };
	char  key[64];
	char  sub[400];
	int   i;

	(void) state;
	// Different bytes: exactly one wins each key, the other is told.
	run_race(r, "d");
	for (i = 0; i < NRACE; i++) {
		(void) snprintf(key, sizeof(key), "d/%d", i);
		assert_true((r[0].rv[i] == BB_OK && r[1].rv[i] == BB_EEXIST) ||
		            (r[0].rv[i] == BB_EEXIST && r[1].rv[i] == BB_OK));
		assert_true(
		    object_is(key, 200000, r[0].rv[i] == BB_OK ? 1 : 2));
	}
	// A copy and a longer one: both succeed, the longer stays.
	(void) close(r[1].fd);
	r[1].fd = make_file("r3", 300000, 1);
	run_race(r, "p");
	for (i = 0; i < NRACE; i++) {
		(void) snprintf(key, sizeof(key), "p/%d", i);
		assert_int_equal(r[0].rv[i], BB_OK);
		assert_int_equal(r[1].rv[i], BB_OK);
		assert_true(object_is(key, 300000, 1));
	}
	(void) snprintf(sub, sizeof(sub), "%s/d", g_arc);
	assert_int_equal(count_tmp(sub), 0);
	(void) snprintf(sub, sizeof(sub), "%s/p", g_arc);
	assert_int_equal(count_tmp(sub), 0);
	(void) close(r[0].fd);
	(void) close(r[1].fd);
}

static int
touch(const char *rel)
{
	char path[600];
	int  fd;

	(void) snprintf(path, sizeof(path), "%s/%s", g_arc, rel);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	return fd;
}

static bool
exists(const char *rel)
{
	char        path[600];
	struct stat st;

	(void) snprintf(path, sizeof(path), "%s/%s", g_arc, rel);
	return stat(path, &st) == 0;
}

static void
test_stale_tmp_removed(void **state)
{
	store_archive *a = NULL;
	char           sub[400];
	int            live;

	(void) state;
	(void) snprintf(sub, sizeof(sub), "%s/base/x", g_arc);
	assert_int_equal(mkdir(g_arc, 0755), 0);
	(void) snprintf(sub, sizeof(sub), "%s/base", g_arc);
	assert_int_equal(mkdir(sub, 0755), 0);
	(void) close(touch("base/obj.tmpAbC123"));
	(void) close(touch("top.tmpZZ9zz9"));
	(void) close(touch("base/obj"));
	(void) close(touch("base/keep.tmp"));
	(void) close(touch("base/keep.tmpAbC12"));
	// A live writer (another node) holds its temporary file locked.
	live = touch("base/live.tmpQwErTy");
	assert_int_equal(flock(live, LOCK_EX), 0);
	assert_int_equal(store_archive_dir_new(g_arc, &a), BB_OK);
	store_archive_free(a);
	assert_false(exists("base/obj.tmpAbC123"));
	assert_false(exists("top.tmpZZ9zz9"));
	assert_true(exists("base/obj"));
	assert_true(exists("base/keep.tmp"));
	assert_true(exists("base/keep.tmpAbC12"));
	assert_true(exists("base/live.tmpQwErTy"));
	// Once its writer is gone, the next open removes it.
	(void) close(live);
	assert_int_equal(store_archive_dir_new(g_arc, &a), BB_OK);
	store_archive_free(a);
	assert_false(exists("base/live.tmpQwErTy"));
	assert_true(exists("base/obj"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outcomes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_removed, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
