// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/batch_test.c -- coalesced reads (rpc/batch.c) against a fake
// peer that holds each request until the test answers it: reads started
// while a call is in flight go out together in one call, each gets its
// own bytes or its own error, the caps hold, a read too large for a
// batch goes alone, a peer that answers without more gets the others
// again as single calls.  batch_node_test.c has the real node's side.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/rpc/batch_fixture.h"

// ---- a fake peer ------------------------------------------------------

// A replier with two contexts, so that it can hold one request while it
// takes another.
typedef struct {
	nng_socket sock;
	nng_ctx    ctx[2];
	nng_aio   *aio[2];
	unsigned   port;
} fake;

typedef struct {
	fake      f;
	rpc_peer *p;
	store_fid fid;
	uint8_t  *dst[NREADS];
} fix;

// fake_recv takes the next request on context k within ms: a Read,
// unpacked (the caller frees it), or NULL when none came.
static read_req *
fake_recv(fix *fx, int k, int ms)
{
	nng_aio  *aio = fx->f.aio[k];
	nng_msg  *msg;
	uint8_t  *b;
	read_req *req;

	nng_aio_set_timeout(aio, ms);
	nng_ctx_recv(fx->f.ctx[k], aio);
	nng_aio_wait(aio);
	if (nng_aio_result(aio) != 0) {
		return NULL;
	}
	msg = nng_aio_get_msg(aio);
	assert_true(nng_msg_len(msg) >= 4);
	b = nng_msg_body(msg);
	assert_int_equal(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3],
	                 RPC_M_READ);
	req = blobby__rpc__v1__read_request__unpack(NULL, nng_msg_len(msg) - 4,
	                                            b + 4);
	assert_non_null(req);
	nng_msg_free(msg);
	return req;
}

// fake_send answers the request held on context k with resp.
static void
fake_send(fix *fx, int k, const read_resp *resp)
{
	nng_aio *aio = fx->f.aio[k];
	nng_msg *msg;
	size_t   len = blobby__rpc__v1__read_response__get_packed_size(resp);

	assert_int_equal(nng_msg_alloc(&msg, len), 0);
	(void) blobby__rpc__v1__read_response__pack(resp, nng_msg_body(msg));
	nng_aio_set_timeout(aio, WAIT_MS);
	nng_aio_set_msg(aio, msg);
	nng_ctx_send(fx->f.ctx[k], aio);
	nng_aio_wait(aio);
	assert_int_equal(nng_aio_result(aio), 0);
}

// The answers a fake peer gives: per read, a code and what to do with
// its bytes.
typedef enum { DATA_OK, DATA_SHORT, DATA_NONE } data_kind;

typedef struct {
	Blobby__Rpc__V1__Status st;
	read_resp               r;
	uint8_t                *buf;
} fake_ans;

// fake_fill makes the answer to q: its bytes (pattern at q->start) unless
// code is not OK; one byte short with DATA_SHORT.
static void
fake_fill(fake_ans *a, const read_req *q, int code, data_kind dk)
{
	uint32_t i;

	blobby__rpc__v1__status__init(&a->st);
	blobby__rpc__v1__read_response__init(&a->r);
	a->st.code  = (Blobby__Rpc__V1__Code) code;
	a->r.status = &a->st;
	a->buf      = malloc(q->length + 1);
	assert_non_null(a->buf);
	for (i = 0; i < q->length; i++) {
		a->buf[i] = pattern(q->start + i);
	}
	if (dk != DATA_NONE) {
		a->r.data.data = a->buf;
		a->r.data.len  = dk == DATA_SHORT ? q->length - 1 : q->length;
	}
}

// fake_answer answers the request q held on context k: every read of it
// with its bytes, codes[i] (NULL: all OK) and kinds[i] (NULL: DATA_OK);
// with_more false answers the first read only, as a node that predates
// ReadRequest.more.  Frees q.
static void
fake_answer(fix *fx, int k, read_req *q, const int *codes,
            const data_kind *kinds, bool with_more)
{
	size_t      n    = 1 + q->n_more;
	fake_ans   *a    = calloc(n, sizeof(*a));
	read_resp **more = calloc(n, sizeof(*more));
	size_t      i;

	assert_non_null(a);
	assert_non_null(more);
	for (i = 0; i < n; i++) {
		fake_fill(&a[i], i == 0 ? q : q->more[i - 1],
		          codes != NULL ? codes[i] : 0,
		          kinds != NULL ? kinds[i] : DATA_OK);
		if (i > 0) {
			more[i - 1] = &a[i].r;
		}
	}
	if (with_more) {
		a[0].r.n_more = n - 1;
		a[0].r.more   = more;
	}
	fake_send(fx, k, &a[0].r);
	for (i = 0; i < n; i++) {
		free(a[i].buf);
	}
	free(a);
	free(more);
	blobby__rpc__v1__read_request__free_unpacked(q, NULL);
}

// start_read starts read i: len bytes at 1000 * i of the fake's fid.
static void
start_read(fix *fx, int i, size_t len, int64_t timeout_ns)
{
	fx->dst[i] = calloc(1, len + 1);
	assert_non_null(fx->dst[i]);
	rpc__bread_start(fx->p, "test", &fx->fid, 1000 * (uint64_t) i, len,
	                 fx->dst[i], timeout_ns, bread_done, &args[i]);
}

// check_read checks that read i ended once with rv, and with its bytes
// when rv is BB_OK.
static void
check_read(fix *fx, int i, size_t len, bb_err rv)
{
	size_t k;

	assert_int_equal(tl.calls[i], 1);
	assert_int_equal(tl.rv[i], rv);
	for (k = 0; rv == BB_OK && k < len; k++) {
		assert_int_equal(fx->dst[i][k],
		                 pattern(1000 * (uint64_t) i + k));
	}
}

// check_req checks that q asks for read i (len bytes) and its more for
// reads i + 1, ... in order, each len bytes.
static void
check_req(const read_req *q, int i, size_t nmore, size_t len)
{
	size_t k;

	assert_int_equal(q->n_more, nmore);
	for (k = 0; k <= nmore; k++) {
		const read_req *r = k == 0 ? q : q->more[k - 1];

		assert_string_equal(r->namespace_, "test");
		assert_int_equal(r->fid.len, STORE_FID_LEN);
		assert_int_equal(r->start, 1000 * (uint64_t) (i + (int) k));
		assert_int_equal(r->length, len);
		if (k > 0) {
			assert_int_equal(r->n_more, 0);
		}
	}
}

static int
setup(void **state)
{
	fix         *fx = calloc(1, sizeof(*fx));
	char         url[64];
	int          port;
	int          k;
	nng_listener l;

	assert_non_null(fx);
	assert_int_equal(nng_rep0_open(&fx->f.sock), 0);
	assert_int_equal(
	    nng_socket_set_size(fx->f.sock, NNG_OPT_RECVMAXSZ, RPC_MAX_MSG),
	    0);
	assert_int_equal(nng_listen(fx->f.sock, "tcp://127.0.0.1:0", &l, 0),
	                 0);
	assert_int_equal(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	for (k = 0; k < 2; k++) {
		assert_int_equal(nng_ctx_open(&fx->f.ctx[k], fx->f.sock), 0);
		assert_int_equal(nng_aio_alloc(&fx->f.aio[k], NULL, NULL), 0);
	}
	(void) snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(rpc_peer_open(url, 16, &fx->p), BB_OK);
	rpct_wait_connected(fx->p);
	store_fid_make(&fx->fid, 1700000000u, 1, 2);
	tally_init();
	*state = fx;
	return 0;
}

static void
noop(void *arg)
{
	(void) arg;
}

static int
teardown(void **state)
{
	fix *fx = *state;
	int  i;

	rpc_peer_close(fx->p);
	(void) rpc__sock_close(fx->f.sock, noop, NULL, "the fake peer");
	for (i = 0; i < 2; i++) {
		nng_aio_free(fx->f.aio[i]);
	}
	for (i = 0; i < NREADS; i++) {
		free(fx->dst[i]);
	}
	tally_fini();
	free(fx);
	return 0;
}

// ---- tests against the fake peer --------------------------------------

// queue_behind starts read first and waits until the peer has it, starts
// reads first+1..last (len bytes each, timeout_ns), which queue behind it,
// answers the first, and returns the call that follows, on context k.
static read_req *
queue_behind(fix *fx, int first, int last, size_t len, int64_t timeout_ns,
             int k)
{
	read_req *q;
	int       i;

	start_read(fx, first, len, timeout_ns);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	for (i = first + 1; i <= last; i++) {
		start_read(fx, i, len, timeout_ns);
	}
	fake_answer(fx, 0, q, NULL, NULL, true);
	q = fake_recv(fx, k, WAIT_MS);
	assert_non_null(q);
	return q;
}

// Reads started while one is in flight wait, then go out in one call
// when it ends; each gets its own bytes.
static void
test_coalesce(void **state)
{
	fix      *fx = *state;
	read_req *q;
	int       i;

	start_read(fx, 0, 10, TIMEOUT);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 0, 0, 10);
	for (i = 1; i < 10; i++) {
		start_read(fx, i, 10, TIMEOUT);
	}
	// Nothing else goes out while the first is in flight.
	assert_null(fake_recv(fx, 1, 200));
	assert_int_equal(tally_wait(1, 0), 0);
	fake_answer(fx, 0, q, NULL, NULL, true);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 1, 8, 10);
	fake_answer(fx, 0, q, NULL, NULL, true);
	assert_int_equal(tally_wait(10, WAIT_MS), 10);
	for (i = 0; i < 10; i++) {
		check_read(fx, i, 10, BB_OK);
	}
}

// Each read of a batch gets its own outcome: a status, an answer of the
// wrong length; a call that is not answered fails each of its reads.
static void
test_batch_errors(void **state)
{
	fix             *fx      = *state;
	static const int codes[] = { 0, BLOBBY__RPC__V1__CODE__NOT_FOUND, 0,
		                     BLOBBY__RPC__V1__CODE__UNAVAILABLE, 0 };
	static const data_kind kinds[] = { DATA_OK, DATA_NONE, DATA_SHORT,
		                           DATA_NONE, DATA_OK };
	read_req              *q;
	int                    i;

	q = queue_behind(fx, 0, 5, 50, TIMEOUT, 0);
	check_req(q, 1, 4, 50);
	fake_answer(fx, 0, q, codes, kinds, true);
	assert_int_equal(tally_wait(6, WAIT_MS), 6);
	check_read(fx, 0, 50, BB_OK);
	check_read(fx, 1, 50, BB_OK);
	check_read(fx, 2, 50, BB_ENOENT);
	check_read(fx, 3, 50, BB_EPROTO);
	check_read(fx, 4, 50, BB_EUNAVAIL);
	check_read(fx, 5, 50, BB_OK);

	// A reply with another number of answers than reads: BB_EPROTO for
	// every read of the call.
	q = queue_behind(fx, 6, 9, 8, TIMEOUT, 0);
	check_req(q, 7, 2, 8);
	// Answer two of the three.
	blobby__rpc__v1__read_request__free_unpacked(q->more[1], NULL);
	q->n_more = 1;
	fake_answer(fx, 0, q, NULL, NULL, true);
	assert_int_equal(tally_wait(10, WAIT_MS), 10);
	check_read(fx, 7, 8, BB_EPROTO);
	check_read(fx, 8, 8, BB_EPROTO);
	check_read(fx, 9, 8, BB_EPROTO);

	// Never answered: each read of the call times out, once.
	q = queue_behind(fx, 10, 13, 8, 300 * BB_NS_PER_MS,
	                 1); // never answered
	check_req(q, 11, 2, 8);
	blobby__rpc__v1__read_request__free_unpacked(q, NULL);
	assert_int_equal(tally_wait(14, WAIT_MS), 14);
	check_read(fx, 10, 8, BB_OK);
	for (i = 11; i <= 13; i++) {
		check_read(fx, i, 8, BB_ETIMEDOUT);
	}
}

// A read over the batch limit goes alone at once; a call carries at most
// RPC_READ_MORE_MAX + 1 reads and RPC_MAX_CHUNK bytes.
static void
test_caps(void **state)
{
	fix      *fx  = *state;
	size_t    big = 64 * 1024;
	read_req *q;
	read_req *q2;
	int       i;

	start_read(fx, 0, 10, TIMEOUT);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	// In flight beside the first: not queued behind it.
	start_read(fx, 1, big + 1, TIMEOUT);
	q2 = fake_recv(fx, 1, WAIT_MS);
	assert_non_null(q2);
	check_req(q2, 1, 0, big + 1);
	fake_answer(fx, 1, q2, NULL, NULL, true);
	assert_int_equal(tally_wait(1, WAIT_MS), 1);
	check_read(fx, 1, big + 1, BB_OK);

	// Nine reads of 64 KiB: eight fill RPC_MAX_CHUNK, the ninth waits.
	for (i = 2; i < 11; i++) {
		start_read(fx, i, big, TIMEOUT);
	}
	fake_answer(fx, 0, q, NULL, NULL, true);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 2, 7, big);
	assert_null(fake_recv(fx, 1, 200));
	fake_answer(fx, 0, q, NULL, NULL, true);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 10, 0, big);
	// The rest (69 small ones) wait meanwhile: 64 go in the next call,
	// 5 in the one after.
	for (i = 11; i < NREADS; i++) {
		start_read(fx, i, 1, TIMEOUT);
	}
	fake_answer(fx, 0, q, NULL, NULL, true);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 11, RPC_READ_MORE_MAX, 1);
	fake_answer(fx, 0, q, NULL, NULL, true);
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 11 + RPC_READ_MORE_MAX + 1,
	          (size_t) (NREADS - 11 - RPC_READ_MORE_MAX - 2), 1);
	fake_answer(fx, 0, q, NULL, NULL, true);
	assert_int_equal(tally_wait(NREADS, WAIT_MS), NREADS);
	check_read(fx, 0, 10, BB_OK);
	for (i = 2; i < 11; i++) {
		check_read(fx, i, big, BB_OK);
	}
	for (i = 11; i < NREADS; i++) {
		check_read(fx, i, 1, BB_OK);
	}
}

// A peer that answers the first read only (no more: it predates the
// field): the others go again alone, and later reads go alone too.
static void
test_old_peer(void **state)
{
	fix      *fx = *state;
	read_req *q;
	read_req *q2;
	int       i;

	q = queue_behind(fx, 0, 2, 20, TIMEOUT, 0);
	check_req(q, 1, 1, 20);
	fake_answer(fx, 0, q, NULL, NULL, false);
	// Read 2 again, alone.
	q = fake_recv(fx, 0, WAIT_MS);
	assert_non_null(q);
	check_req(q, 2, 0, 20);
	fake_answer(fx, 0, q, NULL, NULL, false);
	assert_int_equal(tally_wait(3, WAIT_MS), 3);
	for (i = 0; i <= 2; i++) {
		check_read(fx, i, 20, BB_OK);
	}
	// From now on no batch: two reads are in flight at once.
	start_read(fx, 3, 20, TIMEOUT);
	start_read(fx, 4, 20, TIMEOUT);
	q  = fake_recv(fx, 0, WAIT_MS);
	q2 = fake_recv(fx, 1, WAIT_MS);
	assert_non_null(q);
	assert_non_null(q2);
	assert_int_equal(q->n_more + q2->n_more, 0);
	fake_answer(fx, 0, q, NULL, NULL, false);
	fake_answer(fx, 1, q2, NULL, NULL, false);
	assert_int_equal(tally_wait(5, WAIT_MS), 5);
	check_read(fx, 3, 20, BB_OK);
	check_read(fx, 4, 20, BB_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_coalesce, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_batch_errors, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_peer, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
