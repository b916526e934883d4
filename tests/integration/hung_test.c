// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/hung_test.c -- one hung peer must not stall the
// cluster (issue 14).  Three nodes under steady concurrent inserts
// (ledger.h); node 3 is stopped with SIGSTOP for several heart beat
// intervals, then continued.  The rate of acknowledged inserts into a
// `replicas = 1` namespace before and during the hang, the slowest
// answer, the orphans and the uploads are measured in the same test and
// printed ("[hung] ...").
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ledger.h"
#include "tests/clock.h"
#include "tests/tmpdir.h"

#define NODES 3

// The prober's figures ([client] probe_interval, probe_timeout): a hung
// peer is noticed within their sum.
#define PROBE_INTERVAL_MS 1000
#define PROBE_TIMEOUT_MS  2000

// The longest any insert may take to answer (acknowledged or refused)
// while a peer hangs: the hung peer is noticed within probe_interval +
// probe_timeout (3 s), which aborts the calls in flight to it; the
// insert is then retried on another primary, or refused with 503 when it
// cannot be placed.  5 s of margin for that normal work on a loaded
// 2-core machine under ASan or TSan.  The [client] timeout is 30 s on
// purpose: an insert that waited for it (or for the hang, 10 s) would
// exceed this bound.
#define INSERT_BOUND_MS (PROBE_INTERVAL_MS + PROBE_TIMEOUT_MS + 5000)

// The windows, relative to SIGSTOP: the rate before is measured over
// [-WINDOW_MS, 0), the rate during over [NOTICE_MS, NOTICE_MS +
// WINDOW_MS), after the hung peer was noticed (probe_interval +
// probe_timeout, with a second to spare).  SIGCONT comes at HANG_MS:
// ten heart beat intervals, half the 20 s orphan timeout, and longer
// than INSERT_BOUND_MS, so that an insert that waits for the hung peer
// to come back fails the bound.
#define WINDOW_MS 4000
#define NOTICE_MS 4000
#define HANG_MS   10000
_Static_assert(HANG_MS > INSERT_BOUND_MS + 1000,
               "an insert stalled by the hang must fail the bound");
_Static_assert(NOTICE_MS + WINDOW_MS <= HANG_MS,
               "the rate during is measured while the peer hangs");

// The least rate during the hang, in percent of the rate before: the
// replicas = 1 namespace can place every insert on the healthy peer,
// but the machine is noisy (ASan, TSan, other tests).
#define MIN_RATE_PCT 25

typedef struct {
	char        tmp[64]; // the shared archive directories
	bbt_cluster cl;
	// The loads, freed by teardown if the test fails half-way.
	bbt_ledger *one;
	bbt_ledger *two;
} hung_fix;

// ns_conf appends the section of namespace name (replicas copies) to
// buf[off..cap), archived to its own directory under fx->tmp.
static size_t
ns_conf(hung_fix *fx, char *buf, size_t cap, size_t off, const char *name,
        int replicas)
{
	off +=
	    (size_t) snprintf(buf + off, cap - off,
	                      "[namespace.%s]\narchive = dir\n"
	                      "archive_directory = %s/archive-%s\n"
	                      "directory = @DIR@/%s\nreplicas = %d\n"
	                      "max_open_files = 4\nupload_file_size = 256kib\n"
	                      "upload_older = 2s\nheart_beat_interval = 1s\n"
	                      "orphan_timeout = 20s\n",
	                      name, fx->tmp, name, name, replicas);
	assert_true(off < cap);
	return off;
}

// hung_conf writes node i's configuration: every other node a peer; a
// `replicas = 1` namespace "one" and a `replicas = 2` namespace "two"
// (with three nodes, it needs all of them); heart beats every second
// and an orphan timeout (20 s) longer than the hang; a [client] timeout
// (30 s) far longer than the hang, so that only the prober can bound
// the waits; files archived to shared directories soon (2 s, 256 KiB).
static void
hung_conf(hung_fix *fx, int i)
{
	char   client[128];
	char  *buf = fx->cl.conf[i];
	size_t cap = sizeof(fx->cl.conf[i]);
	size_t off;

	(void) snprintf(client, sizeof(client),
	                "timeout = 30s\nprobe_interval = %dms\n"
	                "probe_timeout = %dms",
	                PROBE_INTERVAL_MS, PROBE_TIMEOUT_MS);
	off = bbt_cluster_conf_head(&fx->cl, i, client);
	off = ns_conf(fx, buf, cap, off, "one", 1);
	(void) ns_conf(fx, buf, cap, off, "two", 2);
}

static int
setup(void **state)
{
	hung_fix *fx = calloc(1, sizeof(*fx));
	int       i;

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_hung.XXXXXX");
	if (mkdtemp(fx->tmp) == NULL) {
		free(fx);
		return -1;
	}
	*state = fx; // teardown cleans up a failed start too
	bbt_cluster_init(&fx->cl, NODES);
	for (i = 0; i < NODES; i++) {
		hung_conf(fx, i);
	}
	bbt_cluster_start(&fx->cl);
	return 0;
}

// teardown stops the nodes (a node left stopped by a failed test is
// continued first), then the loads a failed test left running: their
// requests end once the nodes are gone.
static int
teardown(void **state)
{
	hung_fix *fx = *state;

	if (fx == NULL) {
		return 0;
	}
	bbt_cluster_stop(&fx->cl);
	bbt_ledger_free(fx->one);
	bbt_ledger_free(fx->two);
	bbt_rmtree(fx->tmp);
	free(fx);
	return 0;
}

// load_start starts threads inserters into namespace ns of nodes 1 and
// 2, bodies of 256..4096 bytes (files fill and go to the archive during
// the test), pausing pause_ms after each insert, for at most 40 s.
static bbt_ledger *
load_start(hung_fix *fx, const char *ns, int threads, int pause_ms)
{
	bbt_ledger_load load;

	memset(&load, 0, sizeof(load));
	load.urls[0]   = fx->cl.nodes[0].url;
	load.urls[1]   = fx->cl.nodes[1].url;
	load.nurls     = 2;
	load.ns        = ns;
	load.threads   = threads;
	load.max_acked = 40000;
	load.pause_ms  = pause_ms;
	load.max_ms    = 40000;
	load.min_len   = 256;
	load.max_len   = 4096;
	return bbt_ledger_start(&load);
}

// The acknowledgements of a ledger every SLOT_MS from t0, for the log:
// where in the hang the inserts stalled, if they did.
#define SLOT_MS 500
#define NSLOTS  64

typedef struct {
	bbt_ledger *l;
	int64_t     t0;
	size_t      acked[NSLOTS];
	int         n; // slots filled
} timeline;

// sleep_until sleeps until the monotonic time t (ms), filling the slots
// of tl that pass meanwhile.
static void
sleep_until(timeline *tl, int64_t t)
{
	int64_t now;

	while ((now = bbt_now_ms()) < t) {
		while (tl->n < NSLOTS && now >= tl->t0 + tl->n * SLOT_MS) {
			tl->acked[tl->n++] = bbt_ledger_acked(tl->l);
		}
		bbt_sleep_ms((int) (t - now < 20 ? t - now : 20));
	}
}

// timeline_print prints the acknowledgements per slot of tl, a "|"
// before the slots that begin at or after each of the times marks[0..n).
static void
timeline_print(const char *what, const timeline *tl, const int64_t *marks,
               int nmarks)
{
	char   buf[1024];
	size_t off = 0;
	int    m   = 0;
	int    k;

	buf[0] = '\0';
	for (k = 1; k < tl->n && off < sizeof(buf) - 16; k++) {
		while (m < nmarks && tl->t0 + k * SLOT_MS > marks[m]) {
			off += (size_t) snprintf(buf + off, sizeof(buf) - off,
			                         " |");
			m++;
		}
		off += (size_t) snprintf(buf + off, sizeof(buf) - off, " %zu",
		                         tl->acked[k] - tl->acked[k - 1]);
	}
	print_message("[hung] %s acknowledged per %d ms:%s\n", what, SLOT_MS,
	              buf);
}

// What the nodes' logs say.
typedef struct {
	int  orphans;  // replicas orphaned (folded repeats counted)
	int  uploads;  // files archived ("archived as", "already ...")
	int  doubles;  // of those: a key archived before (any node)
	char dup[300]; // the first key archived twice
} log_scan;

#define MAX_UPLOADS 4096

// scan_line counts what one log line of a node says into *s; keys holds
// the "<ns> <key>" of every upload seen so far (*nkeys of them).
static void
scan_line(const char *line, log_scan *s, char (*keys)[300], int *nkeys)
{
	const char *at;
	const char *ns;
	char        key[300];
	unsigned    times = 1;
	int         i;

	at = strstr(line, "last message repeated ");
	if (at != NULL) {
		(void) sscanf(at, "last message repeated %u", &times);
	}
	if (strstr(line, "orphaned, no word from its primary") != NULL) {
		s->orphans += (int) times;
		return;
	}
	at = strstr(line, "archived as ");
	ns = strstr(line, "namespace ");
	if (at == NULL || ns == NULL) {
		return;
	}
	ns += strlen("namespace ");
	at += strlen("archived as ");
	(void) snprintf(key, sizeof(key), "%.*s %.*s", (int) strcspn(ns, ":"),
	                ns, (int) strcspn(at, " "), at);
	s->uploads++;
	for (i = 0; i < *nkeys; i++) {
		if (strcmp(keys[i], key) == 0) {
			if (s->doubles++ == 0) {
				(void) snprintf(s->dup, sizeof(s->dup), "%s",
				                key);
			}
			return;
		}
	}
	if (*nkeys < MAX_UPLOADS) {
		memcpy(keys[(*nkeys)++], key, sizeof(key));
	}
}

// scan_logs reads the whole log of every node into *s.
static void
scan_logs(hung_fix *fx, log_scan *s)
{
	char(*keys)[300] = calloc(MAX_UPLOADS, sizeof(*keys));
	char   path[400];
	char  *line  = NULL;
	size_t cap   = 0;
	int    nkeys = 0;
	FILE  *f;
	int    i;

	assert_non_null(keys);
	memset(s, 0, sizeof(*s));
	for (i = 0; i < fx->cl.n; i++) {
		(void) snprintf(path, sizeof(path), "%s/blobbyd.log",
		                fx->cl.nodes[i].dir);
		f = fopen(path, "r");
		assert_non_null(f);
		while (getline(&line, &cap, f) > 0) {
			scan_line(line, s, keys, &nkeys);
		}
		(void) fclose(f);
	}
	free(line);
	free(keys);
}

typedef struct {
	bbt_ledger      *l;
	const char      *url;
	bbt_ledger_check c;
} verify_arg;

static void *
verify_thread(void *arg)
{
	verify_arg *a = arg;

	bbt_ledger_verify(a->l, a->url, &a->c);
	return NULL;
}

// verify_all stops l, reads every acknowledged ID back from every node
// (the nodes at once: the read-back is most of the test's time on a
// loaded machine), prints the figures and fails on anything but intact
// reads.
static void
verify_all(hung_fix *fx, bbt_ledger *l, const char *what)
{
	bbt_ledger_stats st;
	bbt_ledger_check c[NODES];
	verify_arg       a[NODES];
	pthread_t        th[NODES];
	const char      *names[NODES] = { "node 1", "node 2", "node 3" };
	int              i;

	bbt_ledger_stop(l, &st);
	for (i = 1; i < NODES; i++) {
		a[i].l   = l;
		a[i].url = fx->cl.nodes[i].url;
		assert_int_equal(
		    pthread_create(&th[i], NULL, verify_thread, &a[i]), 0);
	}
	bbt_ledger_verify(l, fx->cl.nodes[0].url, &c[0]);
	for (i = 1; i < NODES; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		c[i] = a[i].c;
	}
	bbt_ledger_report(what, &st, c, names, NODES);
	for (i = 0; i < NODES; i++) {
		assert_int_equal(c[i].checked, st.acked);
		assert_int_equal(c[i].lost, 0);
		assert_int_equal(c[i].err5xx, 0);
		assert_int_equal(c[i].other, 0);
		assert_int_equal(c[i].intact, st.acked);
	}
}

static int64_t
worst_answer(const bbt_ledger_stats *st)
{
	return st->worst_insert_ms > st->worst_refused_ms
	    ? st->worst_insert_ms
	    : st->worst_refused_ms;
}

// Node 3 hangs (SIGSTOP) for 10 s while four threads insert into
// "one" (replicas = 1) and two into "two" (replicas = 2) on nodes 1
// and 2, then continues.
//
// The prober notices the hung peer within probe_interval +
// probe_timeout: calls to it are aborted and new primaries of "one"
// take the healthy peer, so inserts into "one" go on at a healthy
// fraction of their rate before the stop (measured over the same
// length, after the notice).  "two" needs node 3 for every file: its
// inserts are refused with 503 (those in flight at the stop when the
// peer is found out, later ones at once); none waits for the hang.  No
// insert answers later than INSERT_BOUND_MS; every refusal is a 503.  The hang
// is shorter than the orphan timeout, so no replica orphans, and every file is
// archived once, by its primary (an orphan would archive it again).
// After SIGCONT node 3 is used again ("two" takes inserts) and every
// acknowledged ID reads back intact from every node.
static void
test_hung_peer(void **state)
{
	hung_fix        *fx = *state;
	bbt_ledger      *one;
	bbt_ledger      *two;
	bbt_ledger_stats st1;
	bbt_ledger_stats st2;
	log_scan         ls;
	timeline         tl = { 0 };
	size_t           a0, a1, d0, d1, two_stop, two_cont, two_after;
	int64_t          t_before, t_stop, t_d0, t_d1, t_cont, t_again;
	int64_t          t_read;
	int64_t          worst;
	double           rate_before, rate_during;
	int              i;

	for (i = 0; i < 2; i++) {
		bbt_wait_writable(&fx->cl.nodes[i], "one", 30000);
		bbt_wait_writable(&fx->cl.nodes[i], "two", 30000);
	}
	// Steady, not saturating: four threads pausing 40 ms (about 90
	// inserts/s) keep the read-back of every ID short on a loaded
	// machine and make the rate what the cluster accepts more than what
	// the CPU allows.
	fx->one = load_start(fx, "one", 4, 40);
	one     = fx->one;
	fx->two = load_start(fx, "two", 2, 100);
	two     = fx->two;
	// Warm: files are open, and some already sealed and archived.
	if (bbt_ledger_wait_acked(one, 50, 20000) < 50 ||
	    bbt_ledger_wait_acked(two, 5, 20000) < 5) {
		fail_msg("the load did not start within 20 s");
	}
	bbt_sleep_ms(1000);

	t_before = bbt_now_ms();
	tl.l     = one;
	tl.t0    = t_before;
	a0       = bbt_ledger_acked(one);
	sleep_until(&tl, t_before + WINDOW_MS);
	a1       = bbt_ledger_acked(one);
	two_stop = bbt_ledger_acked(two);
	assert_int_equal(kill(fx->cl.nodes[2].pid, SIGSTOP), 0);
	t_stop = bbt_now_ms();
	bbt_ledger_mark(one);

	sleep_until(&tl, t_stop + NOTICE_MS);
	t_d0 = bbt_now_ms();
	d0   = bbt_ledger_acked(one);
	sleep_until(&tl, t_stop + NOTICE_MS + WINDOW_MS);
	t_d1 = bbt_now_ms();
	d1   = bbt_ledger_acked(one);
	sleep_until(&tl, t_stop + HANG_MS);
	two_cont = bbt_ledger_acked(two);
	assert_int_equal(kill(fx->cl.nodes[2].pid, SIGCONT), 0);
	t_cont = bbt_now_ms();

	// Node 3 answers probes again: "two" can be placed again.
	while ((two_after = bbt_ledger_acked(two)) < two_cont + 5 &&
	       bbt_now_ms() < t_cont + 15000) {
		sleep_until(&tl, bbt_now_ms() + 10);
	}
	t_again = bbt_now_ms();
	sleep_until(&tl, t_again + 1000);
	bbt_ledger_stop(one, &st1);
	bbt_ledger_stop(two, &st2);

	rate_before = (double) (a1 - a0) * 1000.0 / WINDOW_MS;
	rate_during = (double) (d1 - d0) * 1000.0 / (double) (t_d1 - t_d0);
	worst = worst_answer(&st1) > worst_answer(&st2) ? worst_answer(&st1)
	                                                : worst_answer(&st2);
	print_message("[hung] node 3 stopped for %lld ms (probe interval "
	              "%d ms, timeout %d ms; [client] timeout 30 s)\n",
	              (long long) (t_cont - t_stop), PROBE_INTERVAL_MS,
	              PROBE_TIMEOUT_MS);
	print_message("[hung] replicas=1 rate: before %.1f/s (%zu in %d ms), "
	              "during %.1f/s (%zu in %lld ms from stop+%lld ms): "
	              "%.0f%% (at least %d%%)\n",
	              rate_before, a1 - a0, WINDOW_MS, rate_during, d1 - d0,
	              (long long) (t_d1 - t_d0), (long long) (t_d0 - t_stop),
	              rate_before > 0 ? 100.0 * rate_during / rate_before : 0,
	              MIN_RATE_PCT);
	print_message(
	    "[hung] worst insert answer %lld ms (bound %d ms): "
	    "replicas=1 acknowledged %lld ms, refused %lld ms; "
	    "replicas=2 acknowledged %lld ms, refused %lld ms\n",
	    (long long) worst, INSERT_BOUND_MS,
	    (long long) st1.worst_insert_ms, (long long) st1.worst_refused_ms,
	    (long long) st2.worst_insert_ms, (long long) st2.worst_refused_ms);
	print_message("[hung] replicas=2: %zu acknowledged during the hang, "
	              "%zu in the %lld ms after SIGCONT (at least 5 within "
	              "15 s); refused %zu (503: %zu); replicas=1 refused %zu "
	              "(503: %zu)\n",
	              two_cont - two_stop, two_after - two_cont,
	              (long long) (t_again - t_cont), st2.refused,
	              st2.refused_503, st1.refused, st1.refused_503);
	{
		int64_t marks[2] = { t_stop, t_cont };

		timeline_print("replicas=1 (| SIGSTOP, | SIGCONT)", &tl, marks,
		               2);
	}
	scan_logs(fx, &ls);
	print_message("[hung] orphans %d, uploads %d, double uploads %d%s%s"
	              "%s\n",
	              ls.orphans, ls.uploads, ls.doubles,
	              ls.doubles > 0 ? " (first: " : "", ls.dup,
	              ls.doubles > 0 ? ")" : "");

	assert_true(a1 - a0 >= 20); // a load worth comparing against
	assert_true(rate_during * 100.0 >= rate_before * MIN_RATE_PCT);
	assert_true(worst < INSERT_BOUND_MS);
	assert_int_equal(st1.refused, st1.refused_503);
	assert_int_equal(st2.refused, st2.refused_503);
	assert_true(st2.refused_503 > 0); // "two" met the hang
	assert_true(two_after >= two_cont + 5);
	assert_int_equal(ls.orphans, 0);
	assert_int_equal(ls.doubles, 0);
	assert_true(ls.uploads > 0);
	t_read = bbt_now_ms();
	verify_all(fx, one, "hung peer, replicas=1");
	verify_all(fx, two, "hung peer, replicas=2");
	print_message("[hung] read back from 3 nodes in %lld ms\n",
	              (long long) (bbt_now_ms() - t_read));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hung_peer, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
