// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/drain_test.c -- drain mode as a peer sees it: two
// real blobbyd processes, each the other's replica; /_shutdown/start on
// one reaches the other through the shutting_down flag of its RPC
// answers, and /_shutdown/stop undoes it.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "admin_http.h"
#include "harness.h"
#include "storage/id.h"
#include "tests/clock.h"

#define WAIT_MS 30000

static bbt_node pair[2];

static void
start_pair(void)
{
	char conf[2048];
	int  rpc[2];
	int  i;

	rpc[0] = bbt_free_port();
	rpc[1] = bbt_free_port();
	for (i = 0; i < 2; i++) {
		bbt_node_init(&pair[i]);
		(void) snprintf(
		    conf, sizeof(conf),
		    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
		    "[client]\ntimeout = 5s\n"
		    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n"
		    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n"
		    "name = node%d\n"
		    "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = 1\n"
		    "archive = dir\narchive_directory = @DIR@/archive\n",
		    i + 1, rpc[i], 2 - i, rpc[1 - i], 2 - i);
		bbt_node_start(&pair[i], conf);
	}
}

// pair_get makes one GET to node i.
static long
pair_get(int i, const char *path, adm_resp *r)
{
	return adm_req(pair[i].url, "GET", path, r);
}

// wait_body waits until path on node i answers status with text in it.
static void
wait_body(int i, const char *path, long status, const char *text)
{
	static adm_resp r;
	int64_t         end = bbt_now_ms() + WAIT_MS;

	while (pair_get(i, path, &r) != status ||
	       strstr(r.body, text) == NULL) {
		if (bbt_now_ms() > end) {
			fail_msg("node %d %s: %ld \"%s\", want %ld with "
			         "\"%s\"",
			         i + 1, path, r.status, r.body, status, text);
		}
		bbt_sleep_ms(100);
	}
}

// Node 2 drains while node 1's primary replicates to it: node 1 retires
// that file after its next insert, cannot open another while its only
// peer drains (health fails), and recovers when node 2 stops draining.
static void
test_peer_sees_drain(void **state)
{
	static adm_resp r;
	char            id[STORE_ID_STRMAX + 1];
	char            fid[STORE_FID_STRLEN + 1];
	char            line[128];
	int64_t         end;

	(void) state;
	start_pair();
	end = bbt_now_ms() + WAIT_MS;
	while (adm_insert(pair[0].url, "rep", "first", id) != 200) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	assert_true(adm_fid_of(id, fid));
	(void) snprintf(line, sizeof(line), "%s state=waiting", fid);
	wait_body(0, "/_status", 200, line);
	// Its replica is on node 2, named as the configuration names it.
	assert_int_equal(pair_get(0, "/_status", &r), 200);
	assert_non_null(strstr(r.body, "remotes=node2\n"));
	wait_body(1, "/_status", 200, "    Replicas:\n");
	assert_int_equal(pair_get(1, "/_metrics", &r), 200);
	assert_true(
	    adm_metric(r.body,
	               "blobby_replica_initialize_successes_total{namespace="
	               "\"rep\"}") >= 1);
	assert_true(
	    adm_metric(r.body,
	               "blobby_replica_replicate_successes_total{namespace="
	               "\"rep\"}") >= 1);

	// Node 2 drains: node 1's next insert learns it from the replica's
	// answer and retires the file after that insert.
	assert_int_equal(pair_get(1, "/_shutdown/start", &r), 200);
	assert_int_equal(adm_insert(pair[0].url, "rep", "second", NULL), 200);
	assert_int_equal(pair_get(0, "/_status?format=json", &r), 200);
	(void) snprintf(line, sizeof(line), "\"fid\":\"%s\"", fid);
	if (strstr(r.body, line) != NULL) {
		(void) snprintf(line, sizeof(line),
		                "\"fid\":\"%s\",\"replica\":false,\"primary\":"
		                "true,\"state\":\"waiting\"",
		                fid);
		assert_null(strstr(r.body, line));
	}
	// Its only peer refuses new files: node 1 cannot make a primary.
	wait_body(0, "/_health", 500,
	          "rep: FAILED\n    New file creation: FAILED\n"
	          "    Reason: replicas are not reachable");
	assert_int_equal(pair_get(0, "/_metrics", &r), 200);
	assert_true(
	    adm_metric(r.body,
	               "blobby_namespace_healthy{namespace=\"rep\"}") == 0);
	assert_true(
	    adm_metric(
	        r.body,
	        "blobby_primary_open_failures_total{namespace=\"rep\"}") >= 1);

	// Node 2 is back: node 1 opens a file again and is healthy.
	assert_int_equal(pair_get(1, "/_shutdown/stop", &r), 200);
	wait_body(0, "/_health", 200, "rep: OK\n");
	end = bbt_now_ms() + WAIT_MS;
	while (adm_insert(pair[0].url, "rep", "third", NULL) != 200) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	assert_int_equal(bbt_node_stop(&pair[0], SIGTERM), 0);
	assert_int_equal(bbt_node_stop(&pair[1], SIGTERM), 0);
	bbt_node_cleanup(&pair[0]);
	bbt_node_cleanup(&pair[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_sees_drain),
	};
	int rc;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
