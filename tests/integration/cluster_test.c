// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/cluster_test.c -- three real blobbyd processes on
// loopback: replication to every replica byte for byte, reads from any
// node (local or forwarded), a replica killed under inserts, orphaned
// replicas, and garbage on the RPC port.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tests/tmpdir.h"
#include "storage/id.h"
#include "tests/clock.h"

#define NODES    3
#define READY_MS 30000

static bbt_node nodes[NODES];
static int      rpc_ports[NODES];
// The archive every node shares, as a cluster shares its S3 bucket: a
// file one node archived is readable from any node.
static char shared_archive[64];

typedef struct {
	int    node; // where it was inserted
	char   id[STORE_ID_STRMAX + 1];
	char  *data;
	size_t len;
} blob;

// node_conf writes the configuration of node i (machine id i + 1): its
// peers are the other nodes, or itself when self_replica is set.
static void
node_conf(char *buf, size_t cap, int i, int replicas, bool self_replica)
{
	size_t off = 0;
	int    j;

	off += (size_t) snprintf(
	    buf + off, cap - off,
	    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\ntimeout = 5s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n",
	    i + 1, rpc_ports[i]);
	for (j = 0; j < NODES; j++) {
		bool peer = self_replica ? j == i : j != i;
		if (!peer) {
			continue;
		}
		off += (size_t) snprintf(
		    buf + off, cap - off,
		    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n", j + 1,
		    rpc_ports[j]);
	}
	(void) snprintf(
	    buf + off, cap - off,
	    "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = %d\n"
	    "archive = dir\narchive_directory = %s/rep\n"
	    "max_open_files = 2\nheart_beat_interval = 1s\n"
	    "orphan_timeout = 3s\n"
	    "[namespace.fwd]\ndirectory = @DIR@/fwd\nreplicas = 0\n"
	    "archive = dir\narchive_directory = %s/fwd\n",
	    replicas, shared_archive, shared_archive);
}

static void
start_cluster(int n, int replicas)
{
	char conf[4096];
	int  i;

	for (i = 0; i < n; i++) {
		rpc_ports[i] = bbt_free_port();
	}
	for (i = 0; i < n; i++) {
		bbt_node_init(&nodes[i]);
		node_conf(conf, sizeof(conf), i, replicas, false);
		bbt_node_start(&nodes[i], conf);
		assert_int_equal(nodes[i].rpc_port, rpc_ports[i]);
	}
}

static void
stop_cluster(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (nodes[i].pid > 0) {
			assert_int_equal(bbt_node_stop(&nodes[i], SIGTERM), 0);
		}
		bbt_node_cleanup(&nodes[i]);
	}
}

// insert posts data to namespace ns of node i; returns the status.
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

static void
expect_get(int i, const char *ns, const blob *b)
{
	char     url[256];
	bbt_resp r;

	(void) snprintf(url, sizeof(url), "%s/%s/%s", nodes[i].url, ns, b->id);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_int_equal(r.len, b->len);
	assert_memory_equal(r.body, b->data, b->len);
	bbt_resp_free(&r);
}

// file_has checks that file name in namespace dir ns of node i holds the
// bytes of b at the offset of its id.
static void
file_has(int i, const char *ns, const char *prefix, const blob *b)
{
	char     path[700];
	char     fid[STORE_FID_STRLEN + 1];
	char    *got = malloc(b->len + 1);
	store_id id;
	int      fd;

	assert_non_null(got);
	assert_int_equal(store_id_parse(b->id, strlen(b->id), &id), BB_OK);
	(void) snprintf(path, sizeof(path), "%s/%s/%s%s", nodes[i].dir, ns,
	                prefix, store_fid_format(&id.fid, fid));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail_msg("node %d has no %s", i + 1, path);
	}
	assert_int_equal(pread(fd, got, b->len, (off_t) id.start), b->len);
	assert_memory_equal(got, b->data, b->len);
	(void) close(fd);
	free(got);
}

static blob *
make_blobs(int count, size_t big)
{
	blob *bs = calloc((size_t) count, sizeof(*bs));
	int   k;

	assert_non_null(bs);
	for (k = 0; k < count; k++) {
		bs[k].len  = k == 0 ? big : (size_t) (k * 7919) % 100000 + 1;
		bs[k].data = malloc(bs[k].len);
		assert_non_null(bs[k].data);
		bbt_fill(bs[k].data, bs[k].len, (unsigned) k + 1000);
	}
	return bs;
}

static void
free_blobs(blob *bs, int count)
{
	int k;

	for (k = 0; k < count; k++) {
		free(bs[k].data);
	}
	free(bs);
}

static void
test_replicas_hold_every_byte(void **state)
{
	blob    *bs = make_blobs(12, 1536 * 1024); // the first: 3 chunks
	blob    *fw = make_blobs(4, 2 << 20);
	char     url[256];
	char     idtext[STORE_ID_STRMAX + 1];
	bbt_resp r;
	store_id id;
	int      i;
	int      j;
	int      k;

	(void) state;
	start_cluster(NODES, 2);
	for (i = 0; i < NODES; i++) {
		bbt_wait_writable(&nodes[i], "rep", READY_MS);
	}
	for (k = 0; k < 12; k++) {
		bs[k].node = k % NODES;
		assert_int_equal(
		    insert(bs[k].node, "rep", bs[k].data, bs[k].len, bs[k].id),
		    200);
	}
	for (k = 0; k < 12; k++) {
		// The primary and both replicas hold the same bytes...
		for (j = 0; j < NODES; j++) {
			file_has(j, "rep", j == bs[k].node ? "" : "r-",
			         &bs[k]);
		}
		// ...and every node serves the id.
		for (i = 0; i < NODES; i++) {
			expect_get(i, "rep", &bs[k]);
		}
	}
	// Without replicas, the other nodes forward the read to the owner.
	for (k = 0; k < 4; k++) {
		assert_int_equal(
		    insert(0, "fwd", fw[k].data, fw[k].len, fw[k].id), 200);
		expect_get(1, "fwd", &fw[k]);
		expect_get(2, "fwd", &fw[k]);
	}
	// A machine id no node has: 404, not an error.
	assert_int_equal(store_id_parse(fw[1].id, strlen(fw[1].id), &id),
	                 BB_OK);
	store_fid_make(&id.fid, store_fid_seconds(&id.fid), 1, 99);
	(void) store_id_format(&id, idtext);
	(void) snprintf(url, sizeof(url), "%s/fwd/%s", nodes[1].url, idtext);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 404);
	bbt_resp_free(&r);
	stop_cluster(NODES);
	free_blobs(bs, 12);
	free_blobs(fw, 4);
}

static void
test_replica_killed_under_inserts(void **state)
{
	blob   *bs = make_blobs(40, 300 * 1024);
	int64_t t0;
	long    st;
	int     k;
	char    path[700];

	(void) state;
	start_cluster(NODES, 1);
	bbt_wait_writable(&nodes[0], "rep", READY_MS);
	for (k = 0; k < 10; k++) {
		assert_int_equal(
		    insert(0, "rep", bs[k].data, bs[k].len, bs[k].id), 200);
	}
	assert_int_equal(bbt_node_stop(&nodes[2], SIGKILL), 128 + SIGKILL);
	for (k = 10; k < 30; k++) {
		t0 = bbt_now_ms();
		st = insert(0, "rep", bs[k].data, bs[k].len, bs[k].id);
		// Either stored or refused cleanly, and quickly: never a hang.
		assert_true(st == 200 || st == 503);
		assert_true(bbt_now_ms() - t0 < 10000);
		if (st != 200) {
			bs[k].id[0] = '\0';
		}
	}
	// Files whose replica is alive take inserts again (at once, or once
	// node 1 has a connection to node 2, if it had none yet).
	t0 = bbt_now_ms();
	while (insert(0, "rep", "again", 5, NULL) != 200) {
		assert_true(bbt_now_ms() - t0 < READY_MS);
		bbt_sleep_ms(50);
	}
	for (k = 30; k < 40; k++) {
		assert_int_equal(
		    insert(0, "rep", bs[k].data, bs[k].len, bs[k].id), 200);
	}
	for (k = 0; k < 40; k++) {
		if (bs[k].id[0] != '\0') {
			expect_get(0, "rep", &bs[k]);
			expect_get(1, "rep", &bs[k]);
		}
	}

	// The primary disappears: node 2's replicas are orphaned after
	// orphan_timeout, sealed, and still serve their ids.
	assert_int_equal(bbt_node_stop(&nodes[0], SIGKILL), 128 + SIGKILL);
	assert_true(bbt_log_has(&nodes[1], "orphan", 15000));
	for (k = 0; k < 40; k++) {
		store_id id;
		char     fid[STORE_FID_STRLEN + 1];
		if (bs[k].id[0] == '\0') {
			continue;
		}
		assert_int_equal(
		    store_id_parse(bs[k].id, strlen(bs[k].id), &id), BB_OK);
		(void) snprintf(path, sizeof(path), "%s/rep/r-%s",
		                nodes[1].dir, store_fid_format(&id.fid, fid));
		if (access(path, F_OK) == 0) {
			expect_get(1, "rep", &bs[k]);
		}
	}
	stop_cluster(NODES);
	free_blobs(bs, 40);
}

static void
test_rpc_garbage_and_self_replica(void **state)
{
	static const char sp_req0[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
	char              conf[4096];
	char              junk[4096];
	blob             *bs = make_blobs(3, 700 * 1024);
	int               fd;
	int               k;
	int               n;

	(void) state;
	rpc_ports[0] = bbt_free_port();
	bbt_node_init(&nodes[0]);
	node_conf(conf, sizeof(conf), 0, 1, true); // its own replica
	bbt_node_start(&nodes[0], conf);
	bbt_wait_writable(&nodes[0], "rep", READY_MS);

	for (k = 0; k < 60; k++) {
		fd = bbt_connect(nodes[0].rpc_port);
		assert_true(fd >= 0);
		n = (int) ((unsigned) k * 97u % sizeof(junk)) + 1;
		bbt_fill(junk, sizeof(junk), (unsigned) k);
		if (k % 2 == 1) {
			// A valid handshake, then a frame claiming a huge
			// length or random framing.
			(void) send(fd, sp_req0, sizeof(sp_req0),
			            MSG_NOSIGNAL);
			if (k % 4 == 1) {
				memset(junk, 0xff, 8);
			}
		}
		(void) send(fd, junk, (size_t) n, MSG_NOSIGNAL);
		(void) close(fd);
	}
	// Still alive, and replicating to itself through RPC: the primary
	// <fid> and its replica r-<fid> sit side by side.
	for (k = 0; k < 3; k++) {
		assert_int_equal(
		    insert(0, "rep", bs[k].data, bs[k].len, bs[k].id), 200);
		file_has(0, "rep", "", &bs[k]);
		file_has(0, "rep", "r-", &bs[k]);
		expect_get(0, "rep", &bs[k]);
	}
	assert_int_equal(bbt_node_stop(&nodes[0], SIGTERM), 0);
	bbt_node_cleanup(&nodes[0]);
	free_blobs(bs, 3);
}

// A forward that breaks midway (its owner dies) breaks the transfer and
// logs the line docs/OPERATIONS.md lists: "forwarded read of NS stopped
// at N of L: ...".
static void
test_forward_broken_midway(void **state)
{
	enum { LEN = 24 << 20 }; // far more than the sockets can buffer
	char   *data = malloc(LEN);
	char    id[STORE_ID_STRMAX + 1];
	char    req[512];
	char    buf[64 * 1024];
	char    want[64];
	int     rcv = 16 * 1024;
	size_t  got = 0;
	ssize_t n;
	int     fd;

	(void) state;
	assert_non_null(data);
	bbt_fill(data, LEN, 7);
	start_cluster(2, 0);
	assert_int_equal(insert(0, "fwd", data, LEN, id), 200);
	// A client that reads slowly: node 1 must still be fetching chunks
	// from node 0 when node 0 dies.
	fd = bbt_connect(nodes[1].port);
	assert_true(fd >= 0);
	(void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	(void) snprintf(req, sizeof(req),
	                "GET /fwd/%s HTTP/1.1\r\nHost: x\r\n\r\n", id);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
	                 (ssize_t) strlen(req));
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n >= 12);
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
	assert_int_equal(bbt_node_stop(&nodes[0], SIGKILL), 128 + SIGKILL);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		got += (size_t) n;
	}
	(void) close(fd);
	assert_true(got < LEN); // broken, never complete
	(void) snprintf(want, sizeof(want), " of %d: ", LEN);
	assert_true(bbt_log_has(&nodes[1], "forwarded read of fwd stopped at ",
	                        10000));
	assert_true(bbt_log_has(&nodes[1], want, 1000));
	bbt_node_cleanup(&nodes[0]);
	assert_int_equal(bbt_node_stop(&nodes[1], SIGTERM), 0);
	bbt_node_cleanup(&nodes[1]);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replicas_hold_every_byte),
		cmocka_unit_test(test_replica_killed_under_inserts),
		cmocka_unit_test(test_rpc_garbage_and_self_replica),
		cmocka_unit_test(test_forward_broken_midway),
	};
	int rc;

	(void) snprintf(shared_archive, sizeof(shared_archive),
	                "/tmp/bb_cluster_archive.XXXXXX");
	if (mkdtemp(shared_archive) == NULL) {
		return 1;
	}
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	bbt_rmtree(shared_archive);
	return rc;
}
