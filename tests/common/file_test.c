// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/file_test.c -- common/file.h: the capped whole-file reader
// (exact cap, one byte over, empty file, missing file with the errno
// text in the reason, directories, BB_FILE_REGULAR, a pipe) and the log
// files (mode 0640 of a new file, reopen after rename, reopen while
// threads write, back to stderr).
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "tests/tmpdir.h"

typedef struct {
	char dir[64];
	char path[128];
} file_fix;

static int
setup(void **state)
{
	file_fix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->dir, sizeof(fx->dir), "/tmp/bb_file_test.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	(void) snprintf(fx->path, sizeof(fx->path), "%s/f", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	file_fix *fx = *state;

	bbt_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void
write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
test_read_cap(void **state)
{
	file_fix   *fx  = *state;
	char       *buf = NULL;
	size_t      len = 0;
	struct stat st;
	char        why[BB_WHY_LEN];
	char        want[256];

	// Exactly cap bytes are accepted, NUL-terminated, with the stat.
	write_file(fx->path, "0123456789", 10);
	assert_int_equal(
	    bb_file_read(fx->path, 10, 0, &buf, &len, &st, why, sizeof(why)),
	    BB_OK);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	assert_int_equal(st.st_size, 10);
	assert_true(S_ISREG(st.st_mode));
	free(buf);

	// One byte more is too big; nothing is handed out.
	buf = NULL;
	assert_int_equal(
	    bb_file_read(fx->path, 9, 0, &buf, &len, NULL, why, sizeof(why)),
	    BB_ETOOBIG);
	assert_null(buf);
	(void) snprintf(want, sizeof(want),
	                "%s: file too large (more than 9 bytes)", fx->path);
	assert_string_equal(why, want);

	// NULs inside the text are kept; the length says where it ends.
	write_file(fx->path, "a\0b", 3);
	assert_int_equal(
	    bb_file_read(fx->path, 100, 0, &buf, &len, NULL, NULL, 0), BB_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 4);
	free(buf);
}

static void
test_read_empty(void **state)
{
	file_fix *fx  = *state;
	char     *buf = NULL;
	size_t    len = 99;

	write_file(fx->path, "", 0);
	assert_int_equal(bb_file_read(fx->path, 0, BB_FILE_REGULAR, &buf, &len,
	                              NULL, NULL, 0),
	                 BB_OK);
	assert_int_equal(len, 0);
	assert_non_null(buf);
	assert_string_equal(buf, "");
	free(buf);
}

static void
test_read_missing(void **state)
{
	file_fix *fx  = *state;
	char     *buf = NULL;
	size_t    len = 0;
	char      why[BB_WHY_LEN];
	char      want[256];

	(void) snprintf(fx->path, sizeof(fx->path), "%s/missing", fx->dir);
	assert_int_equal(
	    bb_file_read(fx->path, 100, 0, &buf, &len, NULL, why, sizeof(why)),
	    BB_ENOENT);
	assert_null(buf);
	(void) snprintf(want, sizeof(want), "%s: %s", fx->path,
	                strerror(ENOENT));
	assert_string_equal(why, want);
}

static void
test_read_not_regular(void **state)
{
	file_fix *fx  = *state;
	char     *buf = NULL;
	size_t    len = 0;
	char      why[BB_WHY_LEN];
	char      want[256];
	int       p[2];

	// A directory fails its read; with BB_FILE_REGULAR it fails first.
	assert_int_not_equal(
	    bb_file_read(fx->dir, 100, 0, &buf, &len, NULL, why, sizeof(why)),
	    BB_OK);
	(void) snprintf(want, sizeof(want), "%s: %s", fx->dir,
	                strerror(EISDIR));
	assert_string_equal(why, want);
	assert_int_equal(bb_file_read(fx->dir, 100, BB_FILE_REGULAR, &buf,
	                              &len, NULL, why, sizeof(why)),
	                 BB_EINVAL);
	(void) snprintf(want, sizeof(want), "%s: not a regular file", fx->dir);
	assert_string_equal(why, want);
	assert_null(buf);

	// A pipe is read to its end, past the first 4 KiB chunk; the cap
	// still holds for it.
	{
		static char big[10000];
		char        path[64];

		memset(big, 'p', sizeof(big));
		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], big, sizeof(big)),
		                 (ssize_t) sizeof(big));
		assert_int_equal(close(p[1]), 0);
		(void) snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
		assert_int_equal(bb_file_read(path, sizeof(big), 0, &buf, &len,
		                              NULL, why, sizeof(why)),
		                 BB_OK);
		assert_int_equal(len, sizeof(big));
		assert_memory_equal(buf, big, sizeof(big));
		assert_int_equal(buf[len], '\0');
		free(buf);
		buf = NULL;
		assert_int_equal(close(p[0]), 0);

		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], big, sizeof(big)),
		                 (ssize_t) sizeof(big));
		assert_int_equal(close(p[1]), 0);
		(void) snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
		assert_int_equal(bb_file_read(path, sizeof(big) - 1, 0, &buf,
		                              &len, NULL, why, sizeof(why)),
		                 BB_ETOOBIG);
		assert_null(buf);
		assert_int_equal(close(p[0]), 0);
	}
}

static char *
slurp(const char *path)
{
	char  *buf = NULL;
	size_t len;

	assert_int_equal(
	    bb_file_read(path, 1 << 20, 0, &buf, &len, NULL, NULL, 0), BB_OK);
	return buf;
}

static void
test_logfile_mode(void **state)
{
	file_fix   *fx = *state;
	bb_logfile  lf;
	struct stat st;
	mode_t      old;
	char        why[BB_WHY_LEN];
	char       *text;

	old = umask(022);
	bb_logfile_init(&lf);
	assert_int_equal(bb_logfile_open(&lf, fx->path, why, sizeof(why)),
	                 BB_OK);
	(void) umask(old);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	bb_logfile_write(&lf, "one\n", 4);
	bb_logfile_write(&lf, "two\n", 4);
	bb_logfile_fini(&lf);
	text = slurp(fx->path);
	assert_string_equal(text, "one\ntwo\n");
	free(text);

	// An existing file is appended to, its mode left alone.
	assert_int_equal(chmod(fx->path, 0600), 0);
	bb_logfile_init(&lf);
	assert_int_equal(bb_logfile_open(&lf, fx->path, why, sizeof(why)),
	                 BB_OK);
	bb_logfile_write(&lf, "three\n", 6);
	bb_logfile_fini(&lf);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = slurp(fx->path);
	assert_string_equal(text, "one\ntwo\nthree\n");
	free(text);
}

static void
test_logfile_reopen(void **state)
{
	file_fix  *fx = *state;
	bb_logfile lf = BB_LOGFILE_INIT;
	char       moved[160];
	char       why[BB_WHY_LEN];
	char      *text;

	(void) snprintf(moved, sizeof(moved), "%s.1", fx->path);
	// Standard error: a reopen does nothing.
	assert_int_equal(bb_logfile_reopen(&lf, why, sizeof(why)), BB_OK);
	assert_int_equal(bb_logfile_open(&lf, fx->path, why, sizeof(why)),
	                 BB_OK);
	bb_logfile_write(&lf, "before\n", 7);
	assert_int_equal(rename(fx->path, moved), 0);
	bb_logfile_write(&lf, "still old\n", 10);
	assert_int_equal(access(fx->path, F_OK), -1);
	assert_int_equal(bb_logfile_reopen(&lf, why, sizeof(why)), BB_OK);
	bb_logfile_write(&lf, "after\n", 6);

	text = slurp(moved);
	assert_string_equal(text, "before\nstill old\n");
	free(text);
	text = slurp(fx->path);
	assert_string_equal(text, "after\n");
	free(text);

	// Back to standard error: the file is left alone.
	assert_int_equal(bb_logfile_open(&lf, "-", why, sizeof(why)), BB_OK);
	text = slurp(fx->path);
	assert_string_equal(text, "after\n");
	free(text);
	bb_logfile_fini(&lf);
}

#define NWRITERS 4
#define NLINES   200
#define NROTATE  20

static void *
writer(void *arg)
{
	bb_logfile *lf = arg;
	int         i;

	for (i = 0; i < NLINES; i++) {
		bb_logfile_write(lf, "line\n", 5);
	}
	return NULL;
}

// count_lines returns the newlines in the file at path (0 if missing).
static size_t
count_lines(const char *path)
{
	char  *buf = NULL;
	size_t len = 0;
	size_t n   = 0;
	size_t i;

	if (bb_file_read(path, 1 << 20, 0, &buf, &len, NULL, NULL, 0) !=
	    BB_OK) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		n += buf[i] == '\n';
	}
	free(buf);
	return n;
}

// Writers run while the file is rotated and reopened again and again:
// every line lands whole in one of the files (none goes to a descriptor
// closed under a writer).  TSan checks the locking.
static void
test_logfile_reopen_under_writers(void **state)
{
	file_fix  *fx = *state;
	bb_logfile lf;
	pthread_t  th[NWRITERS];
	char       moved[160];
	size_t     total;
	int        i;

	bb_logfile_init(&lf);
	assert_int_equal(bb_logfile_open(&lf, fx->path, NULL, 0), BB_OK);
	for (i = 0; i < NWRITERS; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, writer, &lf), 0);
	}
	for (i = 0; i < NROTATE; i++) {
		(void) snprintf(moved, sizeof(moved), "%s.%d", fx->path, i);
		assert_int_equal(rename(fx->path, moved), 0);
		assert_int_equal(bb_logfile_reopen(&lf, NULL, 0), BB_OK);
	}
	for (i = 0; i < NWRITERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	bb_logfile_fini(&lf);
	total = count_lines(fx->path);
	for (i = 0; i < NROTATE; i++) {
		(void) snprintf(moved, sizeof(moved), "%s.%d", fx->path, i);
		total += count_lines(moved);
	}
	assert_int_equal(total, NWRITERS * NLINES);
}

static void
test_logfile_open_error(void **state)
{
	file_fix  *fx = *state;
	bb_logfile lf;
	char       bad[160];
	char       why[BB_WHY_LEN];
	char       want[256];
	char      *text;

	bb_logfile_init(&lf);
	assert_int_equal(bb_logfile_open(&lf, fx->path, why, sizeof(why)),
	                 BB_OK);
	(void) snprintf(bad, sizeof(bad), "%s/no/such/dir.log", fx->dir);
	assert_int_equal(bb_logfile_open(&lf, bad, why, sizeof(why)),
	                 BB_ENOENT);
	(void) snprintf(want, sizeof(want), "%s: %s", bad, strerror(ENOENT));
	assert_string_equal(why, want);
	// The file open before stays in use.
	bb_logfile_write(&lf, "kept\n", 5);
	bb_logfile_fini(&lf);
	text = slurp(fx->path);
	assert_string_equal(text, "kept\n");
	free(text);

	// A zeroed bb_logfile can be finished.
	memset(&lf, 0, sizeof(lf));
	bb_logfile_fini(&lf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_cap, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_empty, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_missing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_not_regular, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_logfile_mode, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_logfile_reopen, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
		    test_logfile_reopen_under_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfile_open_error, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
