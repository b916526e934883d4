// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/reads_test.c -- the read policy with real blobbyd
// processes: blobs answer while a copy exists (the writer killed with
// SIGKILL, the writer's own directory archive, S3 stopped), 404 only for
// what is known absent, 503 with Retry-After otherwise, and the health
// checks a load balancer uses for reads and for inserts.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"
#include "storage/id.h"
#include "tests/clock.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"

#define NODES   3
#define NBLOBS  40
#define WAIT_MS 30000

static bbt_node nodes[NODES];
static int      rpc_ports[NODES];

// The ledger: every acknowledged id with the length and hash of its
// bytes.
typedef struct {
	char     id[STORE_ID_STRMAX + 1];
	size_t   len;
	uint64_t hash;
} entry;

static entry ledger[NBLOBS];

static uint64_t
fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t             h = 1469598103934665603ULL;
	size_t               i;

	for (i = 0; i < n; i++) {
		h = (h ^ b[i]) * 1099511628211ULL;
	}
	return h;
}

// node_conf: node i (machine id i + 1), every other node its peer; each
// node archives to a directory of its own.
static void
node_conf(char *buf, size_t cap, int i)
{
	size_t off = 0;

	off += (size_t) snprintf(
	    buf + off, cap - off,
	    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\ntimeout = 2s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n",
	    i + 1, rpc_ports[i]);
	off = bbt_conf_peers(buf, cap, off, i, NODES, rpc_ports);
	(void) snprintf(buf + off, cap - off,
	                "[namespace.rep]\ndirectory = @DIR@/rep\n"
	                "replicas = 1\narchive = dir\n"
	                "archive_directory = @DIR@/archive\n"
	                "heart_beat_interval = 1s\norphan_timeout = 5m\n"
	                "[namespace.two]\ndirectory = @DIR@/two\n"
	                "replicas = 2\narchive = dir\n"
	                "archive_directory = @DIR@/archive\n"
	                "heart_beat_interval = 1s\n"
	                "orphan_timeout = 5m\n"
	                "[namespace.arc]\ndirectory = @DIR@/arc\n"
	                "replicas = 0\narchive = dir\n"
	                "archive_directory = @DIR@/archive\n"
	                "upload_file_size = 1\n");
}

// get reads path from node i: the status, the body's hash and length.
static long
get(int i, const char *path, uint64_t *hash, size_t *len)
{
	char     url[512];
	bbt_resp r;
	long     st;

	(void) snprintf(url, sizeof(url), "%s%s", nodes[i].url, path);
	st = bbt_http("GET", url, NULL, 0, &r);
	if (hash != NULL) {
		*hash = fnv(r.body, r.len);
	}
	if (len != NULL) {
		*len = r.len;
	}
	bbt_resp_free(&r);
	return st;
}

// header_cb keeps the value of Retry-After.
static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	long *retry = arg;

	if (size * n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		*retry = strtol(p + 12, NULL, 10);
	}
	return size * n;
}

// get_retry is get for a status and its Retry-After (0 if none).
static long
get_retry(const char *base, const char *path, long *retry)
{
	char  url[512];
	CURL *c  = curl_easy_init();
	long  st = -1;

	*retry = 0;
	assert_non_null(c);
	(void) snprintf(url, sizeof(url), "%s%s", base, path);
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	(void) curl_easy_setopt(c, CURLOPT_HEADERDATA, retry);
	(void) curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, header_cb);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, &(long) { 0 });
	if (curl_easy_perform(c) == CURLE_OK) {
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	}
	curl_easy_cleanup(c);
	return st;
}

// insert posts len bytes to ns of node i; returns the status.
static long
insert(int i, const char *ns, const void *data, size_t len, char *id)
{
	char     url[256];
	bbt_resp r;
	long     st;

	(void) snprintf(url, sizeof(url), "%s/%s", nodes[i].url, ns);
	st = bbt_http("POST", url, data, len, &r);
	if (st == 200 && id != NULL) {
		(void) snprintf(id, STORE_ID_STRMAX + 1, "%s", r.body);
	}
	bbt_resp_free(&r);
	return st;
}

// body_has says whether GET path on node i answers want with text in
// its body.
static bool
body_has(int i, const char *method, const char *path, long want,
         const char *text)
{
	char     url[512];
	bbt_resp r;
	bool     ok;

	(void) snprintf(url, sizeof(url), "%s%s", nodes[i].url, path);
	ok = bbt_http(method, url, NULL, 0, &r) == want &&
	    (text == NULL || (r.body != NULL && strstr(r.body, text) != NULL));
	bbt_resp_free(&r);
	return ok;
}

// wait_body waits until body_has holds.
static void
wait_body(int i, const char *path, long want, const char *text)
{
	int64_t end = bbt_now_ms() + WAIT_MS;

	while (!body_has(i, "GET", path, want, text)) {
		if (bbt_now_ms() > end) {
			fail_msg("GET %s on node %d never answered %ld (%s)",
			         path, i, want, text != NULL ? text : "");
		}
		bbt_sleep_ms(100);
	}
}

static void
start_cluster(void)
{
	char conf[4096];
	int  i;

	for (i = 0; i < NODES; i++) {
		rpc_ports[i] = bbt_free_port();
	}
	for (i = 0; i < NODES; i++) {
		bbt_node_init(&nodes[i]);
		node_conf(conf, sizeof(conf), i);
		bbt_node_start(&nodes[i], conf);
	}
	for (i = 0; i < NODES; i++) {
		bbt_wait_writable(&nodes[i], "rep", WAIT_MS);
		bbt_wait_writable(&nodes[i], "two", WAIT_MS);
	}
}

// stop_cluster stops the nodes still running and removes their
// directories.
static void
stop_cluster(void)
{
	int k;

	for (k = 0; k < NODES; k++) {
		if (nodes[k].pid > 0) {
			assert_int_equal(bbt_node_stop(&nodes[k], SIGTERM), 0);
		}
		bbt_node_cleanup(&nodes[k]);
	}
}

// archive_on_0 inserts text into arc on node 0 (machine id 1) and waits
// until node 0 has archived it to its own directory and removed its
// local file: then only node 0 can reach it.
static void
archive_on_0(const char *text, char *id)
{
	char path[256];

	assert_int_equal(insert(0, "arc", text, strlen(text), id), 200);
	(void) snprintf(path, sizeof(path), "/_id/arc/%s", id);
	wait_body(0, path, 200, "a read is served from the archive.");
}

// Nodes that archive to directories of their own: the owner serves its
// archive over Read, so every node answers 200; an id that was never
// written (a known machine, a range beyond any file) is 404 everywhere.
static void
test_own_dir_archive(void **state)
{
	static const char text[] = "archived on node 1";
	char              path[256];
	char              arcid[STORE_ID_STRMAX + 1];
	char              none[STORE_ID_STRMAX + 1];
	store_id          sid;
	uint64_t          h;
	size_t            len;
	long              retry;
	int               k;

	(void) state;
	start_cluster();
	archive_on_0(text, arcid);
	(void) snprintf(path, sizeof(path), "/arc/%s", arcid);
	for (k = 0; k < NODES; k++) {
		assert_int_equal(get(k, path, &h, &len), 200);
		assert_true(len == strlen(text) && h == fnv(text, len));
	}
	// Every node and every archive say no: 404, no Retry-After.
	assert_int_equal(store_id_parse(arcid, strlen(arcid), &sid), BB_OK);
	sid.start = UINT64_C(1) << 40;
	(void) store_id_format(&sid, none);
	(void) snprintf(path, sizeof(path), "/arc/%s", none);
	for (k = 0; k < NODES; k++) {
		assert_int_equal(get_retry(nodes[k].url, path, &retry), 404);
		assert_int_equal(retry, 0);
	}
	(void) snprintf(path, sizeof(path), "/rep/%s", none);
	assert_int_equal(get(1, path, NULL, NULL), 404);
	stop_cluster();
}

// The writer killed with SIGKILL: every blob it acknowledged reads back
// from the other nodes (their replicas) within a few seconds, no 404 on
// the way; its blob archived to its own directory answers 503 (not
// 404) once it is gone; health for reads stays up, for inserts of a
// namespace that cannot place its replicas goes down.
static void
test_writer_killed(void **state)
{
	static char buf[700 * 1024];
	char        path[256];
	char        arcid[STORE_ID_STRMAX + 1];
	uint64_t    h;
	size_t      len;
	long        retry;
	long        st;
	int64_t     t0, worst = 0;
	int         n404 = 0, n503 = 0;
	int         i, k;

	(void) state;
	start_cluster();
	for (i = 0; i < NBLOBS; i++) {
		// One blob above RPC_MAX_CHUNK, streamed chunk by chunk.
		len = i == 7 ? sizeof(buf) : 100 + (size_t) i * 997;
		bbt_fill(buf, len, (unsigned) i + 1);
		assert_int_equal(insert(0, "rep", buf, len, ledger[i].id),
		                 200);
		ledger[i].len  = len;
		ledger[i].hash = fnv(buf, len);
	}
	archive_on_0("archived on node 1", arcid);
	assert_true(body_has(1, "GET", "/_health/insert?ns=two", 200, NULL));

	assert_int_equal(bbt_node_stop(&nodes[0], SIGKILL), 128 + SIGKILL);
	t0 = bbt_now_ms();
	// Every blob from both survivors: 200, the same bytes; a 503 is
	// retried (a peer not yet seen as gone), a 404 is counted.
	for (k = 1; k < NODES; k++) {
		for (i = 0; i < NBLOBS; i++) {
			bbt_fmt(path, sizeof(path), "/rep/%s", ledger[i].id);
			for (;;) {
				st = get(k, path, &h, &len);
				if (st != 503) {
					break;
				}
				n503++;
				assert_true(bbt_now_ms() - t0 < WAIT_MS);
				bbt_sleep_ms(100);
			}
			if (st == 404) {
				n404++;
				continue;
			}
			if (st != 200 || len != ledger[i].len ||
			    h != ledger[i].hash) {
				fail_msg("node %d, blob %d: %ld, %zu bytes", k,
				         i, st, len);
			}
			if (bbt_now_ms() - t0 > worst) {
				worst = bbt_now_ms() - t0;
			}
		}
	}
	print_message("writer killed: %d blobs from 2 nodes, 404s %d, 503s "
	              "%d, all read back within %lld ms\n",
	              NBLOBS, n404, n503, (long long) worst);
	assert_int_equal(n404, 0);
	assert_true(worst < 10000);

	// The archived blob only node 0 could reach: it may exist, it
	// cannot be reached now.
	(void) snprintf(path, sizeof(path), "/arc/%s", arcid);
	assert_int_equal(get_retry(nodes[1].url, path, &retry), 503);
	assert_true(retry > 0);

	// Reads stay healthy; inserts into "two" (replicas = 2, one peer
	// left) cannot be placed, into "rep" they can.
	assert_true(body_has(1, "GET", "/_health/read", 200, "OK"));
	assert_true(body_has(1, "HEAD", "/_health/read", 200, NULL));
	wait_body(1, "/_health/insert?ns=two", 503,
	          "replicas = 2 but 1 peer is reachable");
	assert_true(body_has(1, "HEAD", "/_health/insert?ns=two", 503, NULL));
	assert_true(body_has(1, "GET", "/_health/insert?ns=rep", 200, NULL));
	assert_true(body_has(1, "GET", "/_health/insert", 503, "two: FAILED"));
	assert_true(body_has(1, "GET", "/_health/insert?ns=nope", 404, NULL));
	bbt_wait_writable(&nodes[1], "rep", WAIT_MS);
	stop_cluster();
}

// The writer hung (SIGSTOP): its Read calls time out after the [client]
// timeout (2 s here), then a replica holder serves the blob: 200, the
// same bytes, each read within the timeout and a margin.
static void
test_writer_hung(void **state)
{
	static char buf[4096];
	char        path[256];
	uint64_t    h;
	size_t      len;
	int64_t     t0, worst = 0;
	int         i;

	(void) state;
	start_cluster();
	for (i = 0; i < 3; i++) {
		len = 1000 + (size_t) i * 1000;
		bbt_fill(buf, len, (unsigned) i + 100);
		assert_int_equal(insert(0, "rep", buf, len, ledger[i].id),
		                 200);
		ledger[i].len  = len;
		ledger[i].hash = fnv(buf, len);
	}
	assert_int_equal(kill(nodes[0].pid, SIGSTOP), 0);
	// From both other nodes: one of them holds no replica of a blob
	// and must find the other's.
	for (i = 0; i < 6; i++) {
		(void) snprintf(path, sizeof(path), "/rep/%s",
		                ledger[i / 2].id);
		t0 = bbt_now_ms();
		assert_int_equal(get(1 + i % 2, path, &h, &len), 200);
		assert_true(len == ledger[i / 2].len &&
		            h == ledger[i / 2].hash);
		if (bbt_now_ms() - t0 > worst) {
			worst = bbt_now_ms() - t0;
		}
	}
	print_message("writer hung: 3 blobs read back from 2 nodes, worst "
	              "%lld ms\n",
	              (long long) worst);
	assert_true(worst < 8000);
	assert_int_equal(kill(nodes[0].pid, SIGCONT), 0);
	stop_cluster();
}

// S3 stopped: a read of an archived blob answers 503 with Retry-After,
// not 404, /_health/read stays 200; once S3 is back, 200.
static void
test_s3_stopped(void **state)
{
	char        tmp[]     = "/tmp/bb-reads-XXXXXX";
	const char *buckets[] = { "blobby", NULL };
	bbt_s3     *s3;
	char        conf[2048];
	char        id[STORE_ID_STRMAX + 1];
	char        path[256];
	char        data[64];
	uint64_t    h;
	size_t      len;
	long        retry;

	(void) state;
	assert_non_null(mkdtemp(tmp));
	s3 = bbt_s3_start(tmp, buckets);
	assert_non_null(s3);
	(void) snprintf(conf, sizeof(conf),
	                "machine_id = 1\narchive_retry_initial = 100ms\n"
	                "[log]\nfile = @DIR@/blobbyd.log\n"
	                "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
	                "[aws.local]\nregion = us-east-1\nendpoint = %s\n"
	                "key_id = S3RVER\nsecret_key = S3RVER\n"
	                "[namespace.test]\ndirectory = @DIR@/test\n"
	                "replicas = 0\narchive = s3\naws_profile = local\n"
	                "s3_bucket = blobby\nupload_file_size = 1\n",
	                bbt_s3_endpoint(s3));
	bbt_node_init(&nodes[0]);
	bbt_node_start(&nodes[0], conf);
	(void) snprintf(data, sizeof(data), "archived in s3");
	assert_int_equal(insert(0, "test", data, strlen(data), id), 200);
	(void) snprintf(path, sizeof(path), "/_id/test/%s", id);
	wait_body(0, path, 200, "a read is served from the archive.");

	bbt_s3_pause(s3);
	(void) snprintf(path, sizeof(path), "/test/%s", id);
	assert_int_equal(get_retry(nodes[0].url, path, &retry), 503);
	assert_true(retry > 0);
	assert_true(body_has(0, "GET", "/_health/read", 200, "OK"));
	assert_int_equal(bbt_s3_resume(s3), 0);
	assert_int_equal(get(0, path, &h, &len), 200);
	assert_true(len == strlen(data) && h == fnv(data, len));

	assert_int_equal(bbt_node_stop(&nodes[0], SIGTERM), 0);
	bbt_node_cleanup(&nodes[0]);
	bbt_s3_stop(s3);
	bbt_rmtree(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_dir_archive),
		cmocka_unit_test(test_writer_killed),
		cmocka_unit_test(test_writer_hung),
		cmocka_unit_test(test_s3_stopped),
	};

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
