// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/batch_test.c -- group commit across real nodes: many
// concurrent inserts of mixed sizes (0 B to 3 MiB) into a two-node cluster
// (replicas = 1) and a three-node one (replicas = 2, fsync = true), kept
// in a ledger (ledger.h): every acknowledged ID reads back byte-exact
// from every node, and every replica file holds exactly its primary's
// bytes over the primary's length.  Each test prints its figures.
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "ledger.h"

#define MAXN 3

// cluster_start starts n nodes with namespace g: the given replicas and
// fsync, files that neither seal nor expire during the test (so that
// every file is still there to compare).
static bbt_cluster *
cluster_start(int n, int replicas, bool fsync)
{
	bbt_cluster *c = calloc(1, sizeof(*c));
	size_t       off;
	int          i;

	assert_non_null(c);
	bbt_cluster_init(c, n);
	for (i = 0; i < n; i++) {
		off = bbt_cluster_conf_head(c, i, NULL);
		(void) snprintf(c->conf[i] + off, sizeof(c->conf[i]) - off,
		                "[namespace.g]\ndirectory = @DIR@/g\n"
		                "replicas = %d\nfsync = %s\n"
		                "max_open_files = 2\nupload_older = 1h\n"
		                "upload_file_size = 1gib\n"
		                "max_blob_size = 4mib\narchive = dir\n"
		                "archive_directory = @DIR@/archive\n",
		                replicas, fsync ? "true" : "false");
	}
	bbt_cluster_start(c);
	for (i = 0; i < n; i++) {
		bbt_wait_writable(&c->nodes[i], "g", 30000);
	}
	return c;
}

static void
cluster_stop(bbt_cluster *c)
{
	bbt_cluster_stop(c);
	free(c);
}

// load starts threads inserters into every node of c, bodies of
// min..max bytes, at most acked acknowledgements.
static bbt_ledger *
load(bbt_cluster *c, int threads, int acked, size_t min, size_t max)
{
	bbt_ledger_load ld;
	int             i;

	memset(&ld, 0, sizeof(ld));
	for (i = 0; i < c->n; i++) {
		ld.urls[i] = c->nodes[i].url;
	}
	ld.nurls     = c->n;
	ld.ns        = "g";
	ld.threads   = threads;
	ld.max_acked = acked;
	ld.max_ms    = 40000;
	ld.min_len   = min;
	ld.max_len   = max;
	return bbt_ledger_start(&ld);
}

// verify waits (at most 40 s) until l has want acknowledgements, stops
// it, reads every ID back from every node and fails unless all are
// intact.
static void
verify(bbt_cluster *c, bbt_ledger *l, size_t want, const char *what)
{
	bbt_ledger_stats st;
	bbt_ledger_check ck[MAXN];
	const char      *names[MAXN] = { "node 1", "node 2", "node 3" };
	int              i;

	(void) bbt_ledger_wait_acked(l, want, 40000);
	bbt_ledger_stop(l, &st);
	for (i = 0; i < c->n; i++) {
		bbt_ledger_verify(l, c->nodes[i].url, &ck[i]);
	}
	bbt_ledger_report(what, &st, ck, names, c->n);
	assert_true(st.acked > 0);
	// A loaded machine may refuse an insert that found no file in 10 s
	// (503); nothing else.
	assert_int_equal(st.refused, st.refused_503);
	for (i = 0; i < c->n; i++) {
		assert_int_equal(ck[i].checked, st.acked);
		assert_int_equal(ck[i].intact, st.acked);
	}
}

// same_prefix says whether the file at b holds the bytes of the file at
// a over a's whole length.
static bool
same_prefix(const char *a, const char *b, off_t *lenp)
{
	static char ba[65536], bb[65536];
	struct stat sa;
	off_t       off = 0;
	ssize_t     n;
	bool        same = false;
	int         fa   = open(a, O_RDONLY);
	int         fb   = open(b, O_RDONLY);

	if (fa >= 0 && fb >= 0 && fstat(fa, &sa) == 0) {
		same = true;
		while (same && off < sa.st_size) {
			n    = pread(fa, ba, sizeof(ba), off);
			same = n > 0 && pread(fb, bb, (size_t) n, off) == n &&
			    memcmp(ba, bb, (size_t) n) == 0;
			off += n > 0 ? n : 0;
		}
		*lenp = sa.st_size;
	}
	if (fa >= 0) {
		(void) close(fa);
	}
	if (fb >= 0) {
		(void) close(fb);
	}
	return same;
}

// check_replicas compares every replica file r-<fid> of every node with
// the primary <fid> on the node whose directory has it, and returns how
// many were compared.
static int
check_replicas(bbt_cluster *c)
{
	char           dir[300], rp[600], pp[600];
	struct dirent *e;
	DIR           *d;
	off_t          len;
	int            i, j, found, n = 0;

	for (i = 0; i < c->n; i++) {
		(void) snprintf(dir, sizeof(dir), "%s/g", c->nodes[i].dir);
		d = opendir(dir);
		assert_non_null(d);
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "r-", 2) != 0) {
				continue;
			}
			(void) snprintf(rp, sizeof(rp), "%s/%s", dir,
			                e->d_name);
			found = 0;
			for (j = 0; j < c->n; j++) {
				(void) snprintf(pp, sizeof(pp), "%s/g/%s",
				                c->nodes[j].dir,
				                e->d_name + 2);
				if (access(pp, F_OK) != 0) {
					continue;
				}
				found = 1;
				if (!same_prefix(pp, rp, &len)) {
					fail_msg("%s differs from %s", rp, pp);
				}
			}
			if (!found) {
				fail_msg("%s has no primary", rp);
			}
			n++;
		}
		(void) closedir(d);
	}
	return n;
}

// run_case loads a cluster of n nodes (replicas, fsync) with small
// bodies (0 B to 2 KiB) from 8 threads, nsmall acknowledged, and large
// ones (64 KiB to 3 MiB) from 2, nbig acknowledged, at the same time;
// then verifies every ID from every node and every replica file.
static void
run_case(int n, int replicas, bool fsync, size_t nsmall, size_t nbig)
{
	bbt_cluster *c = cluster_start(n, replicas, fsync);
	bbt_ledger  *small;
	bbt_ledger  *big;
	char         what[96];

	small = load(c, 8, (int) nsmall, 0, 2048);
	big   = load(c, 2, (int) nbig, 64 * 1024, 3 * 1024 * 1024);
	(void) snprintf(what, sizeof(what), "group commit, %d nodes%s, small",
	                n, fsync ? ", fsync" : "");
	verify(c, small, nsmall, what);
	(void) snprintf(what, sizeof(what), "group commit, %d nodes%s, large",
	                n, fsync ? ", fsync" : "");
	verify(c, big, nbig, what);
	print_message("[batch] replica files equal to their primary: %d\n",
	              check_replicas(c));
	bbt_ledger_free(small);
	bbt_ledger_free(big);
	cluster_stop(c);
}

// Two nodes, replicas = 1.
static void
test_two_nodes(void **state)
{
	(void) state;
	run_case(2, 1, false, 400, 16);
}

// Three nodes, replicas = 2, fsync = true: the same, durably.
static void
test_three_nodes_fsync(void **state)
{
	(void) state;
	run_case(3, 2, true, 300, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_three_nodes_fsync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
