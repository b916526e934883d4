// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/fault_test.c -- faults under concurrent load, checked
// with the ledger (ledger.h): every acknowledged ID must read back intact
// from every node afterwards.  Three nodes on loopback, replicas = 1:
// a replica node killed (SIGKILL) mid-load and restarted; the S3 server
// stopped and restarted under load, everything archived after; a node
// holding primaries killed and restarted, read through that node.  Each
// prints its figures ("[ledger] ...").
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "ledger.h"
#include "tests/clock.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"

#define NODES 3

typedef struct {
	char        tmp[64]; // the shared archive directory, s3rver's data
	bbt_s3     *s3;      // NULL: archive = dir in tmp
	bbt_cluster cl;
} fault_fix;

// fix_conf writes node i's configuration: every other node a peer, one
// replica, files sealed at 64 KiB or after 2 s, archived to the shared
// directory or to S3.  Short heart beats and orphan timeout, and quick
// archive retries, keep each fault within seconds.
static void
fix_conf(fault_fix *fx, int i)
{
	char  *buf = fx->cl.conf[i];
	size_t cap = sizeof(fx->cl.conf[i]);
	size_t off = bbt_cluster_conf_head(&fx->cl, i, "timeout = 5s");

	if (fx->s3 != NULL) {
		off += (size_t) snprintf(
		    buf + off, cap - off,
		    "[aws.local]\nregion = us-east-1\nendpoint = %s\n"
		    "key_id = S3RVER\nsecret_key = S3RVER\n"
		    "[namespace.led]\narchive = s3\naws_profile = local\n"
		    "s3_bucket = blobby\ns3_base_path = /led\n",
		    bbt_s3_endpoint(fx->s3));
	} else {
		off += (size_t) snprintf(buf + off, cap - off,
		                         "[namespace.led]\narchive = dir\n"
		                         "archive_directory = %s/archive\n",
		                         fx->tmp);
	}
	(void) snprintf(buf + off, cap - off,
	                "directory = @DIR@/led\nreplicas = 1\n"
	                "max_open_files = 4\nupload_file_size = 64kib\n"
	                "upload_older = 2s\nheart_beat_interval = 1s\n"
	                "orphan_timeout = 3s\n");
}

static int
fix_setup(fault_fix **fxp, bool s3)
{
	static const char *const buckets[] = { "blobby", NULL };
	fault_fix               *fx        = calloc(1, sizeof(*fx));
	int                      i;

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_fault.XXXXXX");
	if (mkdtemp(fx->tmp) == NULL) {
		free(fx);
		return -1;
	}
	if (s3) {
		fx->s3 = bbt_s3_start(fx->tmp, buckets);
		if (fx->s3 == NULL) {
			bbt_rmtree(fx->tmp);
			free(fx);
			return -1;
		}
	}
	*fxp = fx; // teardown cleans up a failed start too
	bbt_cluster_init(&fx->cl, NODES);
	for (i = 0; i < NODES; i++) {
		fix_conf(fx, i);
	}
	bbt_cluster_start(&fx->cl);
	return 0;
}

static int
setup_dir(void **state)
{
	return fix_setup((fault_fix **) state, false);
}

static int
setup_s3(void **state)
{
	return fix_setup((fault_fix **) state, true);
}

static int
teardown(void **state)
{
	fault_fix *fx = *state;

	bbt_cluster_stop(&fx->cl);
	bbt_s3_stop(fx->s3);
	bbt_rmtree(fx->tmp);
	free(fx);
	return 0;
}

// load_start starts 4 inserters into the first n nodes: 1..8 KiB bodies,
// a pause of 20 ms after each (a few hundred a second at most), at most
// 3000 acknowledged, at most 40 s.
static bbt_ledger *
load_start(fault_fix *fx, int n)
{
	bbt_ledger_load load;
	int             i;

	memset(&load, 0, sizeof(load));
	for (i = 0; i < n; i++) {
		bbt_wait_writable(&fx->cl.nodes[i], "led", 30000);
		load.urls[i] = fx->cl.nodes[i].url;
	}
	load.nurls     = n;
	load.ns        = "led";
	load.threads   = 4;
	load.max_acked = 3000;
	load.pause_ms  = 20;
	load.max_ms    = 40000;
	load.min_len   = 1024;
	load.max_len   = 8192;
	return bbt_ledger_start(&load);
}

// more_acks waits for n acknowledgements beyond *seen (at most 20 s:
// then the load is stuck, which fails the test) and updates *seen.
static void
more_acks(bbt_ledger *l, size_t *seen, size_t n)
{
	size_t got = bbt_ledger_wait_acked(l, *seen + n, 20000);

	if (got < *seen + n) {
		fail_msg("inserts stuck: %zu acknowledged, waited for %zu",
		         got, *seen + n);
	}
	*seen = got;
}

// load_for lets the load run for ms more and requires n more
// acknowledgements by then (or within 20 s).
static void
load_for(bbt_ledger *l, size_t *seen, int ms, size_t n)
{
	bbt_sleep_ms(ms);
	more_acks(l, seen, n);
}

// verify_all reads every acknowledged ID from every node, prints the
// figures and fails on anything but intact reads.
static void
verify_all(fault_fix *fx, bbt_ledger *l, const char *what)
{
	bbt_ledger_stats st;
	bbt_ledger_check c[NODES];
	const char      *names[NODES] = { "node 1", "node 2", "node 3" };
	int              i;

	bbt_ledger_stop(l, &st);
	assert_true(st.acked > 0);
	for (i = 0; i < NODES; i++) {
		bbt_ledger_verify(l, fx->cl.nodes[i].url, &c[i]);
	}
	bbt_ledger_report(what, &st, c, names, NODES);
	for (i = 0; i < NODES; i++) {
		assert_int_equal(c[i].checked, st.acked);
		assert_int_equal(c[i].lost, 0);
		assert_int_equal(c[i].err5xx, 0);
		assert_int_equal(c[i].other, 0);
	}
}

// restart starts node i again on its data and configuration and prints
// how long it took to take inserts.
static void
restart(fault_fix *fx, int i)
{
	int64_t t0 = bbt_now_ms();

	bbt_node_start(&fx->cl.nodes[i], fx->cl.conf[i]);
	bbt_wait_writable(&fx->cl.nodes[i], "led", 30000);
	print_message("[ledger] node %d took inserts %lld ms after its "
	              "restart\n",
	              i + 1, (long long) (bbt_now_ms() - t0));
}

// A replica node dies (SIGKILL) mid-load: inserts into the other two go
// on (a failed replication seals the file and the insert is retried on
// another), and no acknowledged ID is lost, read from the survivors and
// from the dead node once restarted.
static void
test_kill_replica_node(void **state)
{
	fault_fix  *fx   = *state;
	bbt_ledger *l    = load_start(fx, 2);
	size_t      seen = 0;

	more_acks(l, &seen, 100);
	assert_int_equal(bbt_node_stop(&fx->cl.nodes[2], SIGKILL),
	                 128 + SIGKILL);
	bbt_ledger_mark(l);
	load_for(l, &seen, 2000, 50);
	restart(fx, 2);
	load_for(l, &seen, 1500, 50);
	verify_all(fx, l, "replica node killed");
	bbt_ledger_free(l);
}

static int64_t wait_archived(fault_fix *fx);

#define MAX_KEYS 1024

typedef struct {
	char key[128];
	int  writes;             // "archived as": a new object, or
	                         // a longer copy over a prefix
	unsigned long long size; // of the last write
	bool               same; // written again with no more bytes
} key_count;

// count_log adds node n's archive lines to keys[*nkeys] and *already
// ("already archived as": the object held the bytes, nothing written).
static void
count_log(const bbt_node *n, key_count *keys, int *nkeys, int *already)
{
	char               path[512];
	char               line[1024];
	char               key[128];
	unsigned long long size;
	FILE              *f;
	char              *p;
	int                k;

	(void) snprintf(path, sizeof(path), "%s/blobbyd.log", n->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, ": already archived as ") != NULL) {
			(*already)++;
			continue;
		}
		p = strstr(line, ": archived as ");
		if (p == NULL ||
		    sscanf(p, ": archived as %127s (%llu bytes)", key,
		           &size) != 2) {
			continue;
		}
		for (k = 0; k < *nkeys && strcmp(keys[k].key, key) != 0; k++) {
		}
		if (k == *nkeys) {
			assert_true(*nkeys < MAX_KEYS);
			(void) snprintf(keys[k].key, sizeof(keys[k].key), "%s",
			                key);
			(*nkeys)++;
		} else {
			// Logs are read node by node, not in time order: any
			// second write of the same size is a second upload.
			print_message("[ledger] written again: %s", line);
			keys[k].same = keys[k].same || size == keys[k].size;
		}
		keys[k].writes++;
		keys[k].size = size;
	}
	(void) fclose(f);
}

// archive_writes counts, from every node's log, how many times each
// archive object was written, prints the figures and fails if one was
// written twice with the same bytes (a replica and its primary both
// uploading one file).  A longer copy over a shorter prefix (a primary
// killed with unreplicated bytes at its tail) is allowed and counted.
static void
archive_writes(fault_fix *fx)
{
	static key_count keys[MAX_KEYS];
	int              nkeys   = 0;
	int              already = 0;
	int              twice   = 0;
	int              same    = 0;
	int              i;

	memset(keys, 0, sizeof(keys));
	for (i = 0; i < NODES; i++) {
		count_log(&fx->cl.nodes[i], keys, &nkeys, &already);
	}
	for (i = 0; i < nkeys; i++) {
		twice += keys[i].writes > 1;
		same += keys[i].same;
	}
	print_message("[ledger] archive: %d objects, %d written more than "
	              "once (%d with the same size), %d uploads found the "
	              "object already there\n",
	              nkeys, twice, same, already);
	assert_true(nkeys > 0);
	assert_int_equal(same, 0);
}

// A node with primaries (and replicas of the others) dies mid-load and
// restarts: its recovered files are sealed and archived, and nothing
// acknowledged is lost, read through the restarted node and the others.
static void
test_kill_primary_node(void **state)
{
	fault_fix  *fx   = *state;
	bbt_ledger *l    = load_start(fx, NODES);
	size_t      seen = 0;

	more_acks(l, &seen, 150);
	assert_int_equal(bbt_node_stop(&fx->cl.nodes[0], SIGKILL),
	                 128 + SIGKILL);
	bbt_ledger_mark(l);
	// Longer than orphan_timeout: its replicas elsewhere orphan too.
	load_for(l, &seen, 4000, 50);
	restart(fx, 0);
	bbt_ledger_set_url(l, 0, fx->cl.nodes[0].url);
	load_for(l, &seen, 1500, 50);
	{
		bbt_ledger_stats st;

		bbt_ledger_stop(l, &st);
	}
	print_message("[ledger] everything archived %lld ms after the load\n",
	              (long long) wait_archived(fx));
	verify_all(fx, l, "primary node killed and restarted");
	archive_writes(fx);
	bbt_ledger_free(l);
}

// wait_archived waits (at most 40 s) until no node keeps a data file:
// everything sealed, archived and removed locally; returns how long.
static int64_t
wait_archived(fault_fix *fx)
{
	int64_t t0 = bbt_now_ms();
	char    dir[512];
	int     left;
	int     i;

	do {
		left = 0;
		for (i = 0; i < NODES; i++) {
			(void) snprintf(dir, sizeof(dir), "%s/led",
			                fx->cl.nodes[i].dir);
			left += bbt_data_files(dir);
		}
		if (left == 0) {
			return bbt_now_ms() - t0;
		}
		bbt_sleep_ms(100);
	} while (bbt_now_ms() - t0 < 40000);
	fail_msg("%d data files still on disk after 40 s", left);
	return -1;
}

// S3 stops under load and comes back: inserts go on meanwhile (files
// wait on disk, readable), then everything is archived and every
// acknowledged ID reads back from S3 through every node.
static void
test_s3_outage(void **state)
{
	fault_fix  *fx   = *state;
	bbt_ledger *l    = load_start(fx, NODES);
	size_t      seen = 0;
	int64_t     t0;

	more_acks(l, &seen, 100);
	bbt_s3_pause(fx->s3);
	bbt_ledger_mark(l);
	t0 = bbt_now_ms();
	load_for(l, &seen, 3000, 100);
	assert_int_equal(bbt_s3_resume(fx->s3), 0);
	print_message("[ledger] S3 was down for %lld ms\n",
	              (long long) (bbt_now_ms() - t0));
	load_for(l, &seen, 1000, 50);
	{
		bbt_ledger_stats st;

		bbt_ledger_stop(l, &st);
	}
	print_message("[ledger] everything archived %lld ms after the load\n",
	              (long long) wait_archived(fx));
	verify_all(fx, l, "S3 stopped and restarted");
	bbt_ledger_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_replica_node,
		                                setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_kill_primary_node,
		                                setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_s3_outage, setup_s3,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
