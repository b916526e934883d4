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

typedef struct {
	int      n;
	int      rpc_ports[MAXN];
	bbt_node nodes[MAXN];
	char     conf[MAXN][4096];
} cluster;

// cluster_start starts n nodes, each the others' peer, with namespace g:
// the given replicas and fsync, files that neither seal nor expire during
// the test (so that every file is still there to compare).
static cluster *
cluster_start(int n, int replicas, bool fsync)
{
	cluster *c = calloc(1, sizeof(*c));
	size_t   off;
	int      i;

	assert_non_null(c);
	for (i = 0; i < n; i++) {
		c->rpc_ports[i] = bbt_free_port();
	}
	for (i = 0; i < n; i++) {
		off = (size_t) snprintf(
		    c->conf[i], sizeof(c->conf[i]),
		    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
		    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n",
		    i + 1, c->rpc_ports[i]);
		off = bbt_conf_peers(c->conf[i], sizeof(c->conf[i]), off, i, n,
		                     c->rpc_ports);
		(void) snprintf(c->conf[i] + off, sizeof(c->conf[i]) - off,
		                "[namespace.g]\ndirectory = @DIR@/g\n"
		                "replicas = %d\nfsync = %s\n"
		                "max_open_files = 2\nupload_older = 1h\n"
		                "upload_file_size = 1gib\n"
		                "max_blob_size = 4mib\narchive = dir\n"
		                "archive_directory = @DIR@/archive\n",
		                replicas, fsync ? "true" : "false");
		bbt_node_init(&c->nodes[i]);
		bbt_node_start(&c->nodes[i], c->conf[i]);
		c->n++;
	}
	for (i = 0; i < n; i++) {
		bbt_wait_writable(&c->nodes[i], "g", 30000);
	}
	return c;
}

static void
cluster_stop(cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		(void) bbt_node_stop(&c->nodes[i], SIGTERM);
		bbt_node_cleanup(&c->nodes[i]);
	}
	free(c);
}

// load starts threads inserters into every node of c, bodies of
// min..max bytes, at most acked acknowledgements.
static bbt_ledger *
load(cluster *c, int threads, int acked, size_t min, size_t max)
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
verify(cluster *c, bbt_ledger *l, size_t want, const char *what)
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
check_replicas(cluster *c)
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

// Two nodes, replicas = 1: small bodies (0 B to 2 KiB) from 8 threads
// and large ones (64 KiB to 3 MiB) from 2, at the same time.
static void
test_two_nodes(void **state)
{
	cluster    *c = cluster_start(2, 1, false);
	bbt_ledger *small;
	bbt_ledger *big;

	(void) state;
	small = load(c, 8, 400, 0, 2048);
	big   = load(c, 2, 16, 64 * 1024, 3 * 1024 * 1024);
	verify(c, small, 400, "group commit, 2 nodes, small");
	verify(c, big, 16, "group commit, 2 nodes, large");
	print_message("[batch] replica files equal to their primary: %d\n",
	              check_replicas(c));
	bbt_ledger_free(small);
	bbt_ledger_free(big);
	cluster_stop(c);
}

// Three nodes, replicas = 2, fsync = true: the same, durably.
static void
test_three_nodes_fsync(void **state)
{
	cluster    *c = cluster_start(3, 2, true);
	bbt_ledger *small;
	bbt_ledger *big;

	(void) state;
	small = load(c, 8, 300, 0, 2048);
	big   = load(c, 2, 10, 64 * 1024, 3 * 1024 * 1024);
	verify(c, small, 300, "group commit, 3 nodes, fsync, small");
	verify(c, big, 10, "group commit, 3 nodes, fsync, large");
	print_message("[batch] replica files equal to their primary: %d\n",
	              check_replicas(c));
	bbt_ledger_free(small);
	bbt_ledger_free(big);
	cluster_stop(c);
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
