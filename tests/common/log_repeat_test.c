// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/log_repeat_test.c -- common/log.h: the folding of repeated
// lines: one line and a summary with the count, the summary at the end of
// the window, different and debug lines never folded, lines that differ
// only in an id folded, and threads that lose no count.
#include "tests/common/log_fixture.h"

#include <pthread.h>

// read_all returns the whole file, however long, as a string.
static char *
read_all(const char *path)
{
	FILE  *f;
	char  *buf;
	long   size;
	size_t n;

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = calloc(1, (size_t) size + 1);
	assert_non_null(buf);
	n      = fread(buf, 1, (size_t) size, f);
	buf[n] = '\0';
	(void) fclose(f);
	return buf;
}

// rep_tally counts, in the plain log buf, the lines written with exactly
// the text msg and the repeats the summaries of msg report; *lines gets
// the number of lines in buf.  Written plus reported is what was logged.
static void
rep_tally(const char *buf, const char *msg, unsigned *written,
          unsigned *reported, unsigned *lines)
{
	static const char pre[] = "last message repeated ";
	const char       *p     = buf;
	const char       *nl;
	const char       *text;
	const char       *colon;
	size_t            len;
	size_t            mlen = strlen(msg);

	*written = *reported = *lines = 0;
	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		(*lines)++;
		// "<24-char time> <level, 5 wide> <text>"
		assert_true(nl - p > 31);
		text = p + 31;
		len  = (size_t) (nl - text);
		if (len == mlen && memcmp(text, msg, mlen) == 0) {
			(*written)++;
			continue;
		}
		if (strncmp(text, pre, sizeof(pre) - 1) != 0) {
			continue;
		}
		colon = strstr(text, " s: ");
		assert_non_null(colon);
		colon += 4;
		if ((size_t) (nl - colon) == mlen &&
		    memcmp(colon, msg, mlen) == 0) {
			*reported += (unsigned) strtoul(text + sizeof(pre) - 1,
			                                NULL, 10);
		}
	}
}

// 1000 identical warnings in a tight loop: one line, and one summary at
// close with the right count.
static void
test_repeat_folded(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	unsigned w, r, n;
	int      i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 1000; i++) {
		bb_log_warn("peer %u: connection refused", 7u);
	}
	buf = read_all(fx->path);
	rep_tally(buf, "peer 7: connection refused", &w, &r, &n);
	assert_int_equal(w, 1);
	assert_int_equal(r, 0);
	assert_int_equal(n, 1);
	free(buf);

	bb_log_close();
	buf = read_all(fx->path);
	rep_tally(buf, "peer 7: connection refused", &w, &r, &n);
	assert_int_equal(w, 1);
	assert_int_equal(r, 999);
	assert_int_equal(n, 2);
	assert_non_null(strstr(buf, "warn  last message repeated 999 times"));
	free(buf);
}

// The summary comes out when the window has passed: from the next line
// (before it), and from bb_log_tick when nothing else is logged.
static void
test_repeat_window_end(void **state)
{
	log_fix        *fx = *state;
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	char           *buf;
	char           *other;
	char           *sum;
	unsigned        w, r, n;
	int             i;

	bb_log_set_repeat_window(200 * 1000 * 1000);
	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 100; i++) {
		bb_log_error("same");
	}
	(void) nanosleep(&ts, NULL);
	bb_log_info("other");
	buf = read_all(fx->path);
	rep_tally(buf, "same", &w, &r, &n);
	assert_int_equal(w, 1);
	assert_int_equal(r, 99);
	assert_int_equal(n, 3);
	sum   = strstr(buf, "error last message repeated 99 times");
	other = strstr(buf, "info  other");
	assert_non_null(sum);
	assert_non_null(other);
	assert_true(sum < other);
	free(buf);

	for (i = 0; i < 50; i++) {
		bb_log_error("same");
	}
	bb_log_tick(); // within the window: nothing yet
	(void) nanosleep(&ts, NULL);
	bb_log_tick();
	buf = read_all(fx->path);
	rep_tally(buf, "same", &w, &r, &n);
	assert_int_equal(w + r, 150);
	assert_true(n <= 5);
	free(buf);
	bb_log_close();
	buf = read_all(fx->path);
	rep_tally(buf, "same", &w, &r, &n);
	assert_int_equal(w + r, 150);
	free(buf);
}

// Different lines are never folded, even interleaved with repeats, and
// debug lines are never folded.
static void
test_repeat_different(void **state)
{
	log_fix *fx = *state;
	char    *buf;
	char     msg[32];
	unsigned w, r, n;
	int      i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, true),
	                 BB_OK);
	for (i = 0; i < 1000; i++) {
		bb_log_warn("line %d", i);
		bb_log_warn("A");
		bb_log_info("A"); // another level: another line
		bb_log_debug("debug");
	}
	bb_log_close();
	buf = read_all(fx->path);
	for (i = 0; i < 1000; i++) {
		(void) snprintf(msg, sizeof(msg), "line %d", i);
		rep_tally(buf, msg, &w, &r, &n);
		assert_int_equal(w, 1);
		assert_int_equal(r, 0);
	}
	rep_tally(buf, "debug", &w, &r, &n);
	assert_int_equal(w, 1000);
	// Both A lines: written and reported add up, per level.
	assert_non_null(strstr(buf, "warn  A\n"));
	assert_non_null(strstr(buf, "info  A\n"));
	rep_tally(buf, "A", &w, &r, &n);
	assert_int_equal(w + r, 2000);
	// Written anew only when a "line %d" took their slot for a while.
	assert_true(w < 200);
	assert_true(n < 1000 + 1000 + 400);
	free(buf);
}

// count_reported adds up the counts of the summaries whose text starts
// with prefix.
static unsigned
count_reported(const char *buf, const char *prefix)
{
	static const char pre[] = "last message repeated ";
	const char       *p     = buf;
	const char       *text;
	unsigned          sum = 0;

	while ((p = strstr(p, pre)) != NULL) {
		text = strstr(p, " s: ");
		assert_non_null(text);
		if (strncmp(text + 4, prefix, strlen(prefix)) == 0) {
			sum +=
			    (unsigned) strtoul(p + sizeof(pre) - 1, NULL, 10);
		}
		p = text;
	}
	return sum;
}

// Lines that differ only in an id (a new file each time, as when a peer
// is down) are folded, and the summary shows the id as '*'; a word, a
// short number or another machine is never taken for an id.
static void
test_repeat_ids(void **state)
{
	log_fix    *fx = *state;
	char       *buf;
	const char *p;
	unsigned    w, r, n;
	unsigned    written;
	int         i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 500; i++) {
		bb_log_warn("initialize of axQnzQI%07d on machine %d failed: "
		            "tcp://127.0.0.1:45104: service unavailable",
		            i, 2 + i % 2);
		bb_log_warn("initialization %s failed",
		            i % 2 ? "failed" : "ok");
		bb_log_warn("size %d", 100000 + i);
	}
	bb_log_close();
	buf = read_all(fx->path);
	// Written and reported add up per machine; written again only when
	// a "size" line took the slot for a while.
	rep_tally(
	    buf,
	    "initialize of * on machine 2 failed: tcp://127.0.0.1:45104: "
	    "service unavailable",
	    &w, &r, &n);
	assert_true(r > 150);
	rep_tally(
	    buf,
	    "initialize of * on machine 3 failed: tcp://127.0.0.1:45104: "
	    "service unavailable",
	    &w, &r, &n);
	assert_true(r > 150);
	assert_non_null(
	    strstr(buf, "initialize of axQnzQI0000000 on machine 2"));
	assert_non_null(
	    strstr(buf, "initialize of axQnzQI0000001 on machine 3"));
	for (p = buf, written = 0; (p = strstr(p, "of axQnzQI")) != NULL;
	     p++) {
		written++;
	}
	assert_int_equal(written + count_reported(buf, "initialize of *"),
	                 500);
	assert_true(written < 100);
	rep_tally(buf, "initialization failed failed", &w, &r, &n);
	assert_int_equal(w + r, 250);
	rep_tally(buf, "initialization ok failed", &w, &r, &n);
	assert_int_equal(w + r, 250);
	rep_tally(buf, "size 100499", &w, &r, &n);
	assert_int_equal(w, 1);
	free(buf);

	// Info lines keep their ids: each file's line is written.
	assert_int_equal(unlink(fx->path), 0);
	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (i = 0; i < 20; i++) {
		bb_log_info("sealed axQnzQI%07d", i);
	}
	bb_log_close();
	buf = read_all(fx->path);
	assert_non_null(strstr(buf, "sealed axQnzQI0000019\n"));
	assert_null(strstr(buf, "repeated"));
	free(buf);
}

#define REP_THREADS 4
#define REP_LINES   1000

static void *
rep_thread(void *arg)
{
	int t = (int) (intptr_t) arg;
	int i;

	for (i = 0; i < REP_LINES; i++) {
		bb_log_warn("shared %s", "warning");
		bb_log_warn("thread %d line %d", t, i);
	}
	return NULL;
}

// Threads folding the same line lose no count and fold nothing else.
static void
test_repeat_threads(void **state)
{
	log_fix  *fx = *state;
	pthread_t th[REP_THREADS];
	char     *buf;
	char      msg[48];
	unsigned  w, r, n;
	int       t;
	int       i;

	assert_int_equal(bb_log_open(fx->path, BB_LOG_FORMAT_PLAIN, false),
	                 BB_OK);
	for (t = 0; t < REP_THREADS; t++) {
		assert_int_equal(pthread_create(&th[t], NULL, rep_thread,
		                                (void *) (intptr_t) t),
		                 0);
	}
	for (t = 0; t < REP_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
	}
	bb_log_close();
	buf = read_all(fx->path);
	rep_tally(buf, "shared warning", &w, &r, &n);
	assert_int_equal(w + r, REP_THREADS * REP_LINES);
	// Some are written anew: when a distinct line took the slot for a
	// moment, or while another thread (preempted on a loaded machine)
	// held the slot to rewrite it.  How many depends on scheduling, so
	// only "folded at all" is asserted here; test_repeat_folded checks
	// the folding itself on one thread.
	assert_true(w < REP_THREADS * REP_LINES);
	for (t = 0; t < REP_THREADS; t++) {
		for (i = 0; i < REP_LINES; i += 97) {
			(void) snprintf(msg, sizeof(msg), "thread %d line %d",
			                t, i);
			rep_tally(buf, msg, &w, &r, &n);
			assert_int_equal(w, 1);
		}
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repeat_folded, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_window_end, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_different, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_ids, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeat_threads, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
