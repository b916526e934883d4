// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/batch_node_test.c -- the Read calls that carry several reads
// (ReadRequest.more, rpc/handlers.c) against a real node: a Read with
// more answers each read with its own status and refuses more than the
// caps; many coalesced reads (rpc/batch.c) each get their own bytes.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/rpc/batch_fixture.h"
#include "storage/spool.h"

// A real node with one blob of len bytes (pattern) and a peer of it.
typedef struct {
	rpct_node n;
	rpc_peer *p;
	store_id  id;
	uint8_t  *body;
	size_t    len;
} node_fix;

static int
node_setup(void **state)
{
	node_fix    *fx = calloc(1, sizeof(*fx));
	store_ns    *ns;
	store_spool *sp = NULL;
	size_t       i;

	assert_non_null(fx);
	rpct_node_start(&fx->n, "bb_batch_test", 2, "data", "");
	fx->len  = 200 * 1000;
	fx->body = malloc(fx->len);
	assert_non_null(fx->body);
	for (i = 0; i < fx->len; i++) {
		fx->body[i] = pattern(i);
	}
	ns = store_find_ns(fx->n.st, "test", 4);
	assert_non_null(ns);
	assert_int_equal(store_ns_spool(ns, fx->len, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, fx->body, fx->len), BB_OK);
	assert_int_equal(store_ns_insert(ns, sp, &fx->id), BB_OK);
	store_spool_free(sp);
	fx->p = rpct_peer_open(fx->n.srv, 16);
	tally_init();
	*state = fx;
	return 0;
}

static int
node_teardown(void **state)
{
	node_fix *fx = *state;

	rpc_peer_close(fx->p);
	rpct_node_stop(&fx->n);
	free(fx->body);
	tally_fini();
	free(fx);
	return 0;
}

// rd_init makes q a read of len bytes at start of fx's blob (in ns).
static void
rd_init(read_req *q, const node_fix *fx, const char *ns, uint64_t start,
        uint32_t len)
{
	blobby__rpc__v1__read_request__init(q);
	q->namespace_ = (char *) ns;
	q->fid.len    = STORE_FID_LEN;
	q->fid.data   = (uint8_t *) fx->id.fid.b;
	q->start      = fx->id.start + start;
	q->length     = len;
}

// expect_refused checks that the Read q (with its more) is refused as a
// whole: INVALID_ARGUMENT, without more.
static void
expect_refused(const node_fix *fx, const read_req *q)
{
	ProtobufCMessage *resp = NULL;
	read_resp        *r;

	assert_int_equal(
	    rpc_peer_call(fx->p, RPC_M_READ, &q->base, TIMEOUT, &resp), BB_OK);
	r = (read_resp *) resp;
	assert_int_equal(r->status->code,
	                 BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT);
	assert_int_equal(r->n_more, 0);
	protobuf_c_message_free_unpacked(resp, NULL);
}

// One Read with more: each read answered with its own status and bytes.
static void
test_node_more(void **state)
{
	node_fix         *fx = *state;
	read_req          q[6];
	read_req         *more[RPC_READ_MORE_MAX + 1];
	read_resp        *r    = NULL;
	ProtobufCMessage *resp = NULL;
	size_t            i;

	rd_init(&q[0], fx, "test", 0, 100);
	rd_init(&q[1], fx, "test", 5000, 1000);
	rd_init(&q[2], fx, "nope", 0, 10); // no such namespace
	rd_init(&q[3], fx, "test", 7, 0);  // empty
	rd_init(&q[4], fx, "test", 150000, 50000);
	rd_init(&q[5], fx, "test", 199990, 20); // past the blob's file end
	for (i = 1; i < 6; i++) {
		more[i - 1] = &q[i];
	}
	q[0].n_more = 5;
	q[0].more   = more;
	assert_int_equal(
	    rpc_peer_call(fx->p, RPC_M_READ, &q[0].base, TIMEOUT, &resp),
	    BB_OK);
	r = (read_resp *) resp;
	assert_int_equal(r->n_more, 5);
	for (i = 0; i < 6; i++) {
		const read_resp *a = i == 0 ? r : r->more[i - 1];

		assert_non_null(a->status);
		if (i == 2) {
			assert_int_equal(a->status->code,
			                 BLOBBY__RPC__V1__CODE__NOT_FOUND);
			continue;
		}
		if (i == 5) {
			assert_int_not_equal(a->status->code, 0);
			continue;
		}
		assert_int_equal(a->status->code, 0);
		assert_int_equal(a->data.len, q[i].length);
		if (q[i].length > 0) {
			assert_memory_equal(
			    a->data.data, fx->body + q[i].start - fx->id.start,
			    q[i].length);
		}
	}
	protobuf_c_message_free_unpacked(resp, NULL);

	// Over the caps: the whole call is INVALID_ARGUMENT, without more.
	for (i = 0; i < RPC_READ_MORE_MAX + 1; i++) {
		more[i] = &q[1];
	}
	q[0].n_more = RPC_READ_MORE_MAX + 1;
	expect_refused(fx, &q[0]);
	rd_init(&q[4], fx, "test", 0, RPC_MAX_CHUNK);
	more[0]     = &q[4];
	q[0].n_more = 1;
	expect_refused(fx, &q[0]);
}

// Many coalesced reads against a real node: each its own bytes.
static void
test_node_many(void **state)
{
	node_fix *fx = *state;
	uint8_t  *dst[NREADS];
	int       i;

	for (i = 0; i < NREADS; i++) {
		dst[i] = malloc(1000 + 1);
		assert_non_null(dst[i]);
		rpc__bread_start(fx->p, "test", &fx->id.fid,
		                 fx->id.start + 2000 * (uint64_t) i,
		                 1000 + i % 2, dst[i], TIMEOUT, bread_done,
		                 &args[i]);
	}
	assert_int_equal(tally_wait(NREADS, WAIT_MS), NREADS);
	for (i = 0; i < NREADS; i++) {
		assert_int_equal(tl.calls[i], 1);
		assert_int_equal(tl.rv[i], BB_OK);
		assert_memory_equal(dst[i], fx->body + 2000 * i, 1000 + i % 2);
		free(dst[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_node_more, node_setup,
		                                node_teardown),
		cmocka_unit_test_setup_teardown(test_node_many, node_setup,
		                                node_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
