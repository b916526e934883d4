// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/metrics_test.c -- /_metrics of two real nodes by
// Prometheus' conventions: promtool check metrics finds nothing to say
// about either page (when promtool is installed; tools/test installs
// it), while it does complain about the original's names, which stay at
// /_metrics/legacy; and the values move with what the test does: POSTs
// answered 200, bytes of GETs (a HEAD adds none), the peers' RPC calls
// (replication one way, a forwarded read the other), the process's
// descriptors and memory, build info, disk per namespace.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "admin_http.h"
#include "harness.h"

#define NBLOBS       5
#define SETTLE_TRIES 200 // of 50 ms: how long counts may lag the answers

static bbt_cluster cl;

static int
setup(void **state)
{
	size_t off;
	int    i;

	(void) state;
	bbt_cluster_init(&cl, 2);
	for (i = 0; i < 2; i++) {
		off = bbt_cluster_conf_head(&cl, i, NULL);
		// r: replicated to the other node; s: not, so that the other
		// node forwards its reads to the owner.
		bbt_fmt(cl.conf[i] + off, sizeof(cl.conf[i]) - off,
		        "[namespace.r]\ndirectory = @DIR@/r\nreplicas = 1\n"
		        "archive = dir\narchive_directory = @DIR@/archive\n"
		        "[namespace.s]\ndirectory = @DIR@/s\nreplicas = 0\n"
		        "archive = dir\narchive_directory = @DIR@/archive\n");
	}
	bbt_cluster_start(&cl);
	for (i = 0; i < 2; i++) {
		bbt_wait_writable(&cl.nodes[i], "r", 30000);
		bbt_wait_writable(&cl.nodes[i], "s", 30000);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	bbt_cluster_stop(&cl);
	return 0;
}

// page fetches path of node i; the caller frees the text.
static char *
page(int i, const char *path)
{
	char     url[256];
	bbt_resp r;

	bbt_fmt(url, sizeof(url), "%s%s", cl.nodes[i].url, path);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_non_null(r.body);
	return r.body; // owned by the caller now
}

// val is the value of sample key of text (-1 if absent).
static double
val(const char *text, const char *key)
{
	return adm_metric(text, key);
}

// delta is how far sample key moved from page a to page b (a sample
// absent from a counts as 0 there).
static double
delta(const char *b, const char *a, const char *key)
{
	double was = adm_metric(a, key);

	return adm_metric(b, key) - (was < 0 ? 0 : was);
}

// promtool runs promtool check metrics on text (saved in node 0's
// directory) and returns its exit status, with what it printed in
// out[0..len).  -1 if promtool is not installed.
static int
promtool(const char *text, char *out, size_t len)
{
	char  path[320];
	FILE *f;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		return -1;
	}
	bbt_fmt(path, sizeof(path), "%s/page.txt", cl.nodes[0].dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	// Its findings go to standard error: keep both.
	return bbt_sh_out(out, len, "promtool check metrics < '%s' 2>&1",
	                  path);
}

static void
test_promtool(void **state)
{
	static char out[16384];
	char       *t;
	int         i;
	int         st;

	(void) state;
	for (i = 0; i < 2; i++) {
		t  = page(i, "/_metrics");
		st = promtool(t, out, sizeof(out));
		if (st < 0) {
			print_message("promtool is not installed: the page is "
			              "not checked (tools/test installs the "
			              "Debian package prometheus)\n");
			free(t);
			return;
		}
		if (st != 0 || out[0] != '\0') {
			fail_msg("promtool on node %d's page: exit %d:\n%s", i,
			         st, out);
		}
		free(t);
	}
	// The check can fail: the original's names draw its warnings.
	t  = page(0, "/_metrics/legacy");
	st = promtool(t, out, sizeof(out));
	free(t);
	assert_int_not_equal(st, 0);
	assert_non_null(strstr(out,
	                       "bytes_inserted counter metrics should "
	                       "have \"_total\" suffix"));
	assert_non_null(strstr(out,
	                       "timing_data_nanoseconds use base unit "
	                       "\"seconds\" instead of \"nanoseconds\""));
}

// insert posts data to node i's namespace ns; id gets the ID.
static void
insert(int i, const char *ns, const char *data, char *id)
{
	assert_int_equal(adm_insert(cl.nodes[i].url, ns, data, id), 200);
}

// get reads ns/id from node i with method; returns the status.
static long
get(int i, const char *method, const char *ns, const char *id,
    const char *want)
{
	static adm_resp r;
	char            path[256];

	bbt_fmt(path, sizeof(path), "/%s/%s", ns, id);
	(void) adm_req(cl.nodes[i].url, method, path, &r);
	if (want != NULL && r.status == 200) {
		assert_string_equal(r.body, want);
	}
	return r.status;
}

static void
test_values_move(void **state)
{
	char   ids[NBLOBS][STORE_ID_STRMAX + 1];
	char   sids[NBLOBS][STORE_ID_STRMAX + 1];
	char   data[NBLOBS][64];
	char  *a0;
	char  *a1;
	char  *b0;
	char  *b1;
	double bytes = 0;
	double now   = (double) time(NULL);
	int    k;

	(void) state;
	a0 = page(0, "/_metrics");
	a1 = page(1, "/_metrics");
	for (k = 0; k < NBLOBS; k++) {
		bbt_fmt(data[k], sizeof(data[k]), "%0*d", (k + 1) * 7, k);
		bytes += (k + 1) * 7;
		insert(0, "r", data[k], ids[k]);
		insert(0, "s", data[k], sids[k]);
	}
	for (k = 0; k < NBLOBS; k++) {
		// Local on node 0; forwarded to node 0 by node 1.
		assert_int_equal(get(0, "GET", "r", ids[k], data[k]), 200);
		assert_int_equal(get(1, "GET", "s", sids[k], data[k]), 200);
	}
	assert_int_equal(get(0, "HEAD", "r", ids[0], NULL), 200);

	// Requests by method and code: the inserts, the reads and the HEAD,
	// counted once they were over (the page before this one included).
	// "Over" is libmicrohttpd's completion, which may come after the
	// client has its answer: wait (bounded) for the last ones.
#define HTTP(m, c) \
	"blobby_http_requests_total{method=\"" m "\",code=\"" c "\"}"
	b0 = page(0, "/_metrics");
	b1 = page(1, "/_metrics");
	for (k = 0; k < SETTLE_TRIES &&
	     (delta(b0, a0, HTTP("POST", "200")) < 2 * NBLOBS ||
	      val(b0, HTTP("HEAD", "200")) < 1 ||
	      val(b1, HTTP("GET", "200")) < NBLOBS + 1);
	     k++) {
		free(b0);
		free(b1);
		bbt_sleep_ms(50);
		b0 = page(0, "/_metrics");
		b1 = page(1, "/_metrics");
	}
	assert_true(delta(b0, a0, HTTP("POST", "200")) == 2 * NBLOBS);
	assert_true(val(b0, HTTP("HEAD", "200")) == 1);
	assert_true(val(b0, HTTP("GET", "200")) >= NBLOBS + 1);
	assert_true(val(b1, HTTP("GET", "200")) >= NBLOBS + 1);
	// Bytes of the GETs, local and forwarded alike; the HEAD adds none.
	assert_true(val(b0, "blobby_read_bytes_total{namespace=\"r\"}") ==
	            bytes);
	assert_true(val(b1, "blobby_read_bytes_total{namespace=\"s\"}") ==
	            bytes);
	assert_true(val(b0, "blobby_read_bytes_total{namespace=\"s\"}") == 0);
	assert_true(
	    delta(b0, a0, "blobby_inserted_bytes_total{namespace=\"s\"}") ==
	    bytes);
	// The peers: node 0 replicated every insert of r to node 2 (machine
	// ids are node index + 1), node 1 read from machine 1.
	assert_true(delta(b0, a0,
	                  "blobby_rpc_calls_total{peer=\"2\",method="
	                  "\"Replicate\"}") >= NBLOBS);
	assert_true(delta(b1, a1,
	                  "blobby_rpc_calls_total{peer=\"1\",method="
	                  "\"Read\"}") >= 1);
	assert_true(val(b0,
	                "blobby_rpc_call_duration_seconds_count{peer="
	                "\"2\"}") > 0);
	assert_true(val(b0,
	                "blobby_rpc_call_duration_seconds_bucket{peer="
	                "\"2\",le=\"+Inf\"}") ==
	            val(b0,
	                "blobby_rpc_call_duration_seconds_count{peer="
	                "\"2\"}"));
	assert_true(val(b0,
	                "blobby_rpc_call_errors_total{peer=\"2\",method="
	                "\"Replicate\"}") == 0);
	assert_true(val(b0, "blobby_peer_up{peer=\"2\"}") == 1);
	// The process and the node.
	assert_true(val(b0, "process_open_fds") > 0);
	assert_true(val(b0, "process_max_fds") >= val(b0, "process_open_fds"));
	assert_true(val(b0, "process_resident_memory_bytes") > 0);
	assert_true(val(b0, "process_cpu_seconds_total") >= 0);
	assert_true(val(b0, "process_start_time_seconds") > now - 600);
	assert_true(val(b0, "process_start_time_seconds") < now + 60);
	assert_non_null(strstr(b0, "\nblobby_build_info{version=\""));
	assert_true(val(b0, "blobby_disk_size_bytes{namespace=\"r\"}") > 0);
	assert_true(val(b0, "blobby_disk_avail_bytes{namespace=\"r\"}") >= 0);
	free(a0);
	free(a1);
	free(b0);
	free(b1);

	// The original's names, for its dashboards, count the same.
	b0 = page(0, "/_metrics/legacy");
	// The setup's insert too ("ready", until one succeeded).
	assert_true(val(b0, "primary_insert_successes{namespace=\"s\"}") ==
	            NBLOBS + 1);
	assert_true(val(b0, "primary_insert_successes{namespace=\"r\"}") ==
	            NBLOBS + 1);
	assert_true(val(b0, "bytes_inserted{namespace=\"s\"}") ==
	            bytes + 5); // "ready"
	assert_true(val(b0, "shutting_down") == 0);
	assert_null(strstr(b0, "blobby_build_info"));
	assert_null(strstr(b0, "_bytes_total"));
	free(b0);
#undef HTTP
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_values_move),
	};

	curl_global_init(CURL_GLOBAL_ALL);
	return cmocka_run_group_tests(tests, setup, teardown);
}
