// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/best_copy_test.c -- a lesser copy never replaces the
// archived object (issue 10, defect 1), with real blobbyd processes sharing
// one directory archive: a replica whose node crashed comes back with a torn,
// shorter file after its primary archived the complete one; the replica's
// upload finds its bytes archived and removes itself, and every acknowledged
// id still reads back from both nodes.
#define _XOPEN_SOURCE 700 // nftw, in tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tests/tmpdir.h"
#include "storage/id.h"
#include "tests/clock.h"

#define NODES    2
#define NBLOBS   20
#define BLOBLEN  10000
#define READY_MS 30000

static bbt_node nodes[NODES];
static int      rpc_ports[NODES];
static char     archive[64]; // shared by both nodes

typedef struct {
	char id[STORE_ID_STRMAX + 1];
	char data[BLOBLEN];
} blob;

static blob blobs[NBLOBS];

// node_conf: node i (machine id i + 1), each the other's replica.
static void
node_conf(char *buf, size_t cap, int i)
{
	(void) snprintf(
	    buf, cap,
	    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\ntimeout = 5s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n"
	    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n"
	    "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = 1\n"
	    "archive = dir\narchive_directory = %s\n"
	    "heart_beat_interval = 1s\norphan_timeout = 3s\n",
	    i + 1, rpc_ports[i], 2 - i, rpc_ports[1 - i], archive);
}

static long
insert(int i, const void *data, size_t len, char *id)
{
	char     url[256];
	bbt_resp r;
	long     st;

	(void) snprintf(url, sizeof(url), "%s/rep", nodes[i].url);
	st = bbt_http("POST", url, data, len, &r);
	if (st == 200 && id != NULL) {
		(void) snprintf(id, STORE_ID_STRMAX + 1, "%s", r.body);
	}
	bbt_resp_free(&r);
	return st;
}

// get_ok says whether node i reads blob b back whole.
static bool
get_ok(int i, const blob *b)
{
	char     url[256];
	bbt_resp r;
	bool     ok;

	bbt_fmt(url, sizeof(url), "%s/rep/%s", nodes[i].url, b->id);
	ok = bbt_http("GET", url, NULL, 0, &r) == 200 && r.len == BLOBLEN &&
	    memcmp(r.body, b->data, BLOBLEN) == 0;
	bbt_resp_free(&r);
	return ok;
}

static void
test_torn_replica_keeps_archive(void **state)
{
	char     conf[2048];
	char     path[700];
	char     fid[STORE_FID_STRLEN + 1];
	store_id id;
	int64_t  end;
	int      i;
	int      k;

	(void) state;
	(void) snprintf(archive, sizeof(archive), "/tmp/bb-best-XXXXXX");
	assert_non_null(mkdtemp(archive));
	for (i = 0; i < NODES; i++) {
		rpc_ports[i] = bbt_free_port();
	}
	for (i = 0; i < NODES; i++) {
		bbt_node_init(&nodes[i]);
		node_conf(conf, sizeof(conf), i);
		bbt_node_start(&nodes[i], conf);
	}
	end = bbt_now_ms() + READY_MS;
	while (insert(0, "ready", 5, NULL) != 200) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	for (k = 0; k < NBLOBS; k++) {
		bbt_fill(blobs[k].data, BLOBLEN, (unsigned) k + 77);
		assert_int_equal(
		    insert(0, blobs[k].data, BLOBLEN, blobs[k].id), 200);
	}
	assert_int_equal(store_id_parse(blobs[0].id, strlen(blobs[0].id), &id),
	                 BB_OK);
	(void) store_fid_format(&id.fid, fid);
	for (k = 1; k < NBLOBS; k++) {
		store_id o;
		assert_int_equal(
		    store_id_parse(blobs[k].id, strlen(blobs[k].id), &o),
		    BB_OK);
		assert_true(store_fid_equal(&o.fid, &id.fid));
	}

	// The replica's node crashes, and its file loses its tail (nothing
	// was fsynced).  The primary seals (a missed heart beat) and
	// archives the complete file.
	assert_int_equal(bbt_node_stop(&nodes[1], SIGKILL), 128 + SIGKILL);
	(void) snprintf(path, sizeof(path), "%s/rep/r-%s", nodes[1].dir, fid);
	assert_int_equal(truncate(path, (off_t) (NBLOBS * BLOBLEN / 2 + 7)),
	                 0);
	assert_true(bbt_log_has(&nodes[0], "archived as", 20000));

	// The replica comes back: recovered and uploaded under the same key,
	// it finds its bytes in the (longer) archived object.
	node_conf(conf, sizeof(conf), 1);
	bbt_node_start(&nodes[1], conf);
	assert_true(bbt_log_has(&nodes[1], "archived as", 20000));
	end = bbt_now_ms() + 20000;
	while (access(path, F_OK) == 0) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	for (k = 0; k < NBLOBS; k++) {
		for (i = 0; i < NODES; i++) {
			if (!get_ok(i, &blobs[k])) {
				fail_msg("blob %d (%s) does not read back "
				         "from node %d",
				         k, blobs[k].id, i + 1);
			}
		}
	}
	// Its upload sent nothing: the archive already held its bytes.
	assert_true(bbt_log_has(&nodes[1], "already archived as", 100));
	for (i = 0; i < NODES; i++) {
		assert_int_equal(bbt_node_stop(&nodes[i], SIGTERM), 0);
		bbt_node_cleanup(&nodes[i]);
	}
	bbt_rmtree(archive);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torn_replica_keeps_archive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
