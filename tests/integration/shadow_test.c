// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/shadow_test.c -- copies are ranked (issue 10, defect
// 2): three real nodes on their own loopback addresses (127.0.0.2, .3,
// .4), blobs inserted on the first, then a hostile RPC caller plays the
// shadowing sequence (Initialize r-<fid> of a primary, Replicate other
// bytes, HeartBeat, Delete) from a local tool's address, from the
// primary's own address and from another node's address.  Every call is
// refused, no r-<fid> appears beside a primary, and every blob of the
// ledger reads back byte-identical from every node.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "tests/integration/harness.h"
#include "common/clock.h"
#include "rpc/rpc.h"
#include "storage/id.h"
#include "storage/remote.h"

#define NODES   3
#define NBLOBS  24
#define TIMEOUT (5 * BB_NS_PER_SEC)

static bbt_node nodes[NODES];
static int      rpc_ports[NODES];

// The ledger: every acknowledged id with the hash of its bytes.
typedef struct {
	char     id[STORE_ID_STRMAX + 1];
	store_id sid;
	uint64_t hash;
	size_t   len;
} entry;

static entry ledger[NBLOBS];

// node_addr is the RPC address of node i: 127.0.0.(i + 2).
static const char *
node_addr(int i)
{
	static const char *const addrs[NODES] = { "127.0.0.2", "127.0.0.3",
		                                  "127.0.0.4" };

	return addrs[i];
}

static void
node_conf(char *buf, size_t cap, int i)
{
	size_t off = 0;
	int    j;

	off += (size_t) snprintf(
	    buf + off, cap - off,
	    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\ntimeout = 5s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_addr = %s\n"
	    "rpc_port = %d\n",
	    i + 1, node_addr(i), rpc_ports[i]);
	for (j = 0; j < NODES; j++) {
		if (j == i) {
			continue;
		}
		off += (size_t) snprintf(
		    buf + off, cap - off,
		    "[remote.%d]\nhost = %s\nrpc_port = %d\n", j + 1,
		    node_addr(j), rpc_ports[j]);
	}
	(void) snprintf(buf + off, cap - off,
	                "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = "
	                "1\narchive = dir\narchive_directory = @DIR@/ar\n"
	                "max_open_files = 2\n");
}

static int
setup(void **state)
{
	char conf[4096];
	int  i;

	(void) state;
	for (i = 0; i < NODES; i++) {
		rpc_ports[i] = bbt_free_port();
	}
	for (i = 0; i < NODES; i++) {
		bbt_node_init(&nodes[i]);
		node_conf(conf, sizeof(conf), i);
		bbt_node_start(&nodes[i], conf);
	}
	return 0;
}

static int
teardown(void **state)
{
	int i;

	(void) state;
	for (i = 0; i < NODES; i++) {
		if (nodes[i].pid > 0) {
			assert_int_equal(bbt_node_stop(&nodes[i], SIGTERM), 0);
		}
		bbt_node_cleanup(&nodes[i]);
	}
	rpc_fini();
	return 0;
}

// insert_all inserts NBLOBS blobs on node 0, waiting (bounded) until its
// primaries have their replicas, and fills the ledger.
static void
insert_all(void)
{
	char     url[256];
	bbt_resp r;
	char    *buf;
	size_t   len;
	long     st;
	int      i;
	int      tries;

	(void) snprintf(url, sizeof(url), "%s/rep", nodes[0].url);
	for (i = 0; i < NBLOBS; i++) {
		len = 1 + (size_t) i * 3001;
		buf = malloc(len);
		assert_non_null(buf);
		bbt_fill(buf, len, (unsigned) i + 1);
		// A node starts before its peers listen: 503 until the
		// first primary has its replica (at most ~10 s).
		for (tries = 0; tries < 100; tries++) {
			st = bbt_http("POST", url, buf, len, &r);
			if (st == 200) {
				break;
			}
			bbt_resp_free(&r);
			bbt_sleep_ms(100);
		}
		assert_int_equal(st, 200);
		(void) snprintf(ledger[i].id, sizeof(ledger[i].id), "%s",
		                r.body);
		bbt_resp_free(&r);
		assert_int_equal(store_id_parse(ledger[i].id,
		                                strlen(ledger[i].id),
		                                &ledger[i].sid),
		                 BB_OK);
		assert_int_equal(store_fid_machine(&ledger[i].sid.fid), 1);
		ledger[i].hash = store_hash(buf, len);
		ledger[i].len  = len;
		free(buf);
	}
}

// verify_all reads every blob of the ledger from nodes 0..n-1.
static void
verify_all(int n)
{
	char     url[256];
	bbt_resp r;
	long     st;
	int      i, k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < NBLOBS; i++) {
			bbt_fmt(url, sizeof(url), "%s/rep/%s", nodes[k].url,
			        ledger[i].id);
			st = bbt_http("GET", url, NULL, 0, &r);
			if (st != 200 || r.len != ledger[i].len ||
			    store_hash(r.body, r.len) != ledger[i].hash) {
				fail_msg("node %d, blob %d (%s): status %ld, "
				         "%zu bytes, %s",
				         k + 1, i, ledger[i].id, st, r.len,
				         st == 200 ? "other bytes" : "");
			}
			bbt_resp_free(&r);
		}
	}
}

// caller opens an RPC client of node `to` that dials from address from
// (a local tool, or a process that took a node's address) and waits up to
// wait_ms for a connection.  Caller owns the result (rpc_peer_close).
static rpc_peer *
caller(int to, const char *from, int wait_ms)
{
	char      text[512];
	char      url[64];
	char     *errs = NULL;
	char      why[BB_WHY_LEN];
	bb_conf  *conf = NULL;
	rpc_peer *p    = NULL;
	int64_t   end;

	(void) snprintf(text, sizeof(text),
	                "machine_id = 99\n[server]\nrpc_addr = %s\n"
	                "[namespace.a]\ndirectory = /d\nreplicas = 0\n"
	                "archive = dir\narchive_directory = /ar\n",
	                from);
	if (bb_conf_load_string(text, "t.ini", &conf, &errs) != BB_OK) {
		fail_msg("config: %s", errs != NULL ? errs : "?");
	}
	(void) snprintf(url, sizeof(url), "tcp://%s:%d", node_addr(to),
	                rpc_ports[to]);
	assert_int_equal(
	    rpc_peer_open_conf(url, 2, conf, &p, why, sizeof(why)), BB_OK);
	bb_conf_free(conf); // the peer keeps no pointer into it
	end = bb_clock_mono_ns() + (int64_t) wait_ms * BB_NS_PER_MS;
	while (!rpc_peer_connected(p) && bb_clock_mono_ns() < end) {
		bbt_sleep_ms(5);
	}
	return p;
}

// call makes method m for fid in "rep" on p (Replicate sends data at
// start) and returns the status code; msg gets the message.
static int
call(rpc_peer *p, rpc_method m, const store_fid *fid, const void *data,
     size_t len, uint64_t start, char *msg, size_t msglen)
{
	Blobby__Rpc__V1__InitializeRequest in =
	    BLOBBY__RPC__V1__INITIALIZE_REQUEST__INIT;
	Blobby__Rpc__V1__ReplicateRequest rq =
	    BLOBBY__RPC__V1__REPLICATE_REQUEST__INIT;
	Blobby__Rpc__V1__HeartBeatRequest hb =
	    BLOBBY__RPC__V1__HEART_BEAT_REQUEST__INIT;
	Blobby__Rpc__V1__DeleteRequest dl =
	    BLOBBY__RPC__V1__DELETE_REQUEST__INIT;
	ProtobufCBinaryData     fb   = { STORE_FID_LEN, (uint8_t *) fid->b };
	ProtobufCMessage       *resp = NULL;
	const ProtobufCMessage *req  = &in.base;
	const Blobby__Rpc__V1__Status *st;
	int                            code;

	in.namespace_ = rq.namespace_ = hb.namespace_ = dl.namespace_ = "rep";
	in.fid = rq.fid = hb.fid = dl.fid = fb;
	rq.data.data                      = (uint8_t *) data;
	rq.data.len                       = len;
	rq.hash                           = store_hash(data, len);
	rq.start                          = start;
	if (m == RPC_M_REPLICATE) {
		req = &rq.base;
	} else if (m == RPC_M_HEARTBEAT) {
		req = &hb.base;
	} else if (m == RPC_M_DELETE) {
		req = &dl.base;
	}
	if (rpc_peer_call(p, m, req, TIMEOUT, &resp) != BB_OK) {
		// No connection: the node closed it (an address that is
		// not a peer's), so the request never reached a handler.
		(void) snprintf(msg, msglen, "no connection");
		return -1;
	}
	// Every response carries its status in field 1, as Initialize's.
	st   = ((Blobby__Rpc__V1__InitializeResponse *) resp)->status;
	code = st->code;
	(void) snprintf(msg, msglen, "%s", st->message);
	protobuf_c_message_free_unpacked(resp, NULL);
	return code;
}

// shadow plays the whole sequence on p for fid and expects every call
// refused with PERMISSION_DENIED, or (closed) its connection refused.
static void
shadow(rpc_peer *p, const store_fid *fid, const char *who, bool closed)
{
	static const rpc_method seq[] = { RPC_M_INITIALIZE, RPC_M_REPLICATE,
		                          RPC_M_HEARTBEAT, RPC_M_REPLICATE,
		                          RPC_M_DELETE };
	char                    junk[4096];
	char                    msg[256];
	size_t                  i;
	int                     code;

	memset(junk, 'X', sizeof(junk));
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		code = call(p, seq[i], fid, junk, sizeof(junk), 0, msg,
		            sizeof(msg));
		if (code != BLOBBY__RPC__V1__CODE__PERMISSION_DENIED &&
		    !(closed && code == -1)) {
			fail_msg("%s: call %zu (method %d) answered %d \"%s\"",
			         who, i, (int) seq[i], code, msg);
		}
		print_message("%s: method %d refused: %s\n", who, (int) seq[i],
		              msg);
	}
}

// no_replica_beside fails if node i holds r-<fid>.
static void
no_replica_beside(int i, const store_fid *fid)
{
	char        name[STORE_FID_STRLEN + 1];
	char        path[512];
	struct stat st;

	(void) snprintf(path, sizeof(path), "%s/rep/r-%s", nodes[i].dir,
	                store_fid_format(fid, name));
	if (stat(path, &st) == 0) {
		fail_msg("node %d holds %s", i + 1, path);
	}
}

static void
test_shadow_refused(void **state)
{
	rpc_peer *tool, *self, *other, *as_b, *as_c;
	store_fid fid;
	store_fid bfid;
	char      msg[256];
	int       i;

	(void) state;
	insert_all();
	verify_all(NODES);
	fid = ledger[0].sid.fid;

	// A local tool (127.0.0.1 may connect, for Read and NodeStatus).
	tool = caller(0, "127.0.0.1", 10000);
	shadow(tool, &fid, "tool -> node 1", false);
	// The primary's own address (any process of the host can take it):
	// the node is not its own peer, so its address is not a peer's (the
	// connection is closed) and no replica of its own fids is taken.
	self = caller(0, node_addr(0), 1000);
	shadow(self, &fid, "own address -> node 1", true);
	// Another node's address: node 3 may not act for node 1's fids.
	other = caller(0, node_addr(2), 10000);
	shadow(other, &fid, "node 3 -> node 1", false);
	rpc_peer_close(other);
	// The replica holders: nobody but node 1 may touch its replicas.
	for (i = 0; i < NBLOBS; i++) {
		no_replica_beside(0, &ledger[i].sid.fid);
	}
	as_c = caller(1, node_addr(2), 10000);
	shadow(as_c, &fid, "node 3 -> node 2", false);
	rpc_peer_close(as_c);

	// A fid of machine 2 is taken from machine 2's address only.
	store_fid_make(&bfid, 1900000000u, 4242, 2);
	assert_int_equal(
	    call(tool, RPC_M_INITIALIZE, &bfid, NULL, 0, 0, msg, sizeof(msg)),
	    BLOBBY__RPC__V1__CODE__PERMISSION_DENIED);
	as_c = caller(0, node_addr(2), 10000);
	assert_int_equal(
	    call(as_c, RPC_M_INITIALIZE, &bfid, NULL, 0, 0, msg, sizeof(msg)),
	    BLOBBY__RPC__V1__CODE__PERMISSION_DENIED);
	print_message("machine 2's fid from node 3's address: %s\n", msg);
	rpc_peer_close(as_c);
	as_b = caller(0, node_addr(1), 10000);
	assert_int_equal(
	    call(as_b, RPC_M_INITIALIZE, &bfid, NULL, 0, 0, msg, sizeof(msg)),
	    BLOBBY__RPC__V1__CODE__OK);
	assert_int_equal(
	    call(as_b, RPC_M_DELETE, &bfid, NULL, 0, 0, msg, sizeof(msg)),
	    BLOBBY__RPC__V1__CODE__OK);
	rpc_peer_close(as_b);
	rpc_peer_close(self);
	rpc_peer_close(tool);

	for (i = 0; i < NBLOBS; i++) {
		no_replica_beside(0, &ledger[i].sid.fid);
	}
	verify_all(NODES);
	// And the cluster still replicates: node 1's new inserts succeed.
	insert_all();
	verify_all(NODES);
}

// A node that is its own peer, alone at 127.0.0.2 (machine 1, listed
// as [remote.1] at its own address): every primary keeps its replica
// beside it.  A process that takes the node's address passes for the
// node, yet cannot put other bytes into r-<fid>, and reads serve the
// primary.  A local tool's calls are refused outright.
static int
setup_self(void **state)
{
	char conf[2048];

	(void) state;
	rpc_ports[0] = bbt_free_port();
	bbt_node_init(&nodes[0]);
	(void) snprintf(
	    conf, sizeof(conf),
	    "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\ntimeout = 5s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_addr = %s\n"
	    "rpc_port = %d\n[remote.1]\nhost = %s\nrpc_port = %d\n"
	    "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = 1\n"
	    "archive = dir\narchive_directory = @DIR@/ar\n"
	    "max_open_files = 2\n",
	    node_addr(0), rpc_ports[0], node_addr(0), rpc_ports[0]);
	bbt_node_start(&nodes[0], conf);
	return 0;
}

static int
teardown_self(void **state)
{
	(void) state;
	assert_int_equal(bbt_node_stop(&nodes[0], SIGTERM), 0);
	bbt_node_cleanup(&nodes[0]);
	rpc_fini();
	return 0;
}

static void
test_own_replica_bytes(void **state)
{
	rpc_peer   *self, *tool;
	store_fid   fid;
	char        junk[4096];
	char        msg[256];
	char        name[STORE_FID_STRLEN + 1];
	char        path[512];
	struct stat st, st2;
	int         code;

	(void) state;
	insert_all();
	verify_all(1);
	fid = ledger[NBLOBS - 1].sid.fid;
	(void) snprintf(path, sizeof(path), "%s/rep/r-%s", nodes[0].dir,
	                store_fid_format(&fid, name));
	assert_int_equal(stat(path, &st), 0); // its own replica
	memset(junk, 'X', sizeof(junk));

	self = caller(0, node_addr(0), 10000);
	// Other bytes over what it holds, and past it: refused.
	code = call(self, RPC_M_REPLICATE, &fid, junk, sizeof(junk), 0, msg,
	            sizeof(msg));
	assert_int_equal(code, BLOBBY__RPC__V1__CODE__PERMISSION_DENIED);
	code = call(self, RPC_M_REPLICATE, &fid, junk, sizeof(junk),
	            (uint64_t) st.st_size, msg, sizeof(msg));
	assert_int_equal(code, BLOBBY__RPC__V1__CODE__PERMISSION_DENIED);
	print_message("own address, bytes past the primary's: %s\n", msg);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_size, st.st_size);
	rpc_peer_close(self);
	tool = caller(0, "127.0.0.1", 10000);
	shadow(tool, &fid, "tool -> own-peer node", false);
	rpc_peer_close(tool);
	verify_all(1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shadow_refused, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_own_replica_bytes,
		                                setup_self, teardown_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
