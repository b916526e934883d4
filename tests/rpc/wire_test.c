// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/wire_test.c -- a NUL byte inside a string field of a request
// (rpc/wire.c): protobuf-c would cut "test\0x" to the namespace "test";
// the server refuses it with INVALID_ARGUMENT instead.  The walk itself
// on top-level, repeated and nested string fields, and on input that is
// not well formed.
#define _XOPEN_SOURCE 700 // nftw, in tests/tmpdir.h
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "rpc/rpc_impl.h"
#include "tests/rpc/rpc_fixture.h"

#define MACHINE 7u

// pack_patched packs m into buf and turns every 'A' into a NUL byte;
// returns the length.
static size_t
pack_patched(const ProtobufCMessage *m, uint8_t *buf, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	size_t i;

	assert_true(n <= cap);
	assert_int_equal(protobuf_c_message_pack(m, buf), n);
	for (i = 0; i < n; i++) {
		if (buf[i] == 'A') {
			buf[i] = 0;
		}
	}
	return n;
}

static void
test_walk(void **state)
{
	Blobby__Rpc__V1__ReadRequest rd = BLOBBY__RPC__V1__READ_REQUEST__INIT;
	Blobby__Rpc__V1__NodeStatusResponse st =
	    BLOBBY__RPC__V1__NODE_STATUS_RESPONSE__INIT;
	Blobby__Rpc__V1__Status status = BLOBBY__RPC__V1__STATUS__INIT;
	const ProtobufCMessageDescriptor *rdd =
	    &blobby__rpc__v1__read_request__descriptor;
	const ProtobufCMessageDescriptor *std =
	    &blobby__rpc__v1__node_status_response__descriptor;
	static uint8_t fid[10] = { 'A', 1, 2 }; // a NUL in bytes is fine
	char          *names[2];
	uint8_t        buf[256];
	size_t         n;

	(void) state;
	rd.namespace_ = "test";
	rd.fid.data   = fid;
	rd.fid.len    = sizeof(fid);
	rd.start      = 65; // 'A' in a varint: not a string either
	n             = pack_patched(&rd.base, buf, sizeof(buf));
	assert_true(rpc__wire_strings_clean(rdd, buf, n));
	rd.namespace_ = "testAx";
	n             = pack_patched(&rd.base, buf, sizeof(buf));
	assert_false(rpc__wire_strings_clean(rdd, buf, n));
	// Cut short, or a length past the end: not well formed.
	rd.namespace_ = "test";
	n             = pack_patched(&rd.base, buf, sizeof(buf));
	assert_false(rpc__wire_strings_clean(rdd, buf, 3));
	buf[1] = 0x7f;
	assert_false(rpc__wire_strings_clean(rdd, buf, n));
	// A repeated string; a string of a nested message.
	names[0]        = "a";
	names[1]        = "bAc";
	st.n_namespaces = 2;
	st.namespaces   = names;
	n               = pack_patched(&st.base, buf, sizeof(buf));
	assert_false(rpc__wire_strings_clean(std, buf, n));
	names[1]       = "bc";
	status.message = "fine";
	st.status      = &status;
	n              = pack_patched(&st.base, buf, sizeof(buf));
	assert_true(rpc__wire_strings_clean(std, buf, n));
	status.message = "notAfine";
	n              = pack_patched(&st.base, buf, sizeof(buf));
	assert_false(rpc__wire_strings_clean(std, buf, n));
	assert_true(rpc__wire_strings_clean(std, buf, 0)); // empty message
}

// read_code sends a Read of namespace ns (with 'A' as NUL) on a bare
// req0 socket and returns the status code of the answer.
static int
read_code(const char *url, const char *ns)
{
	Blobby__Rpc__V1__ReadRequest rd = BLOBBY__RPC__V1__READ_REQUEST__INIT;
	Blobby__Rpc__V1__ReadResponse *r;
	static uint8_t                 fid[10];
	uint8_t                        buf[256] = { 0, 0, 0, RPC_M_READ };
	void                          *ans      = NULL;
	size_t                         n, sz = 0;
	nng_socket                     s;
	int                            code;

	rd.namespace_ = (char *) ns;
	rd.fid.data   = fid;
	rd.fid.len    = sizeof(fid);
	rd.length     = 1;
	n             = 4 + pack_patched(&rd.base, buf + 4, sizeof(buf) - 4);
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000), 0);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	assert_int_equal(nng_send(s, buf, n, 0), 0);
	assert_int_equal(nng_recv(s, &ans, &sz, NNG_FLAG_ALLOC), 0);
	r = blobby__rpc__v1__read_response__unpack(NULL, sz, ans);
	nng_free(ans, sz);
	assert_non_null(r);
	assert_non_null(r->status);
	code = (int) r->status->code;
	blobby__rpc__v1__read_response__free_unpacked(r, NULL);
	(void) nng_close(s);
	return code;
}

static void
test_server_refuses(void **state)
{
	rpct_node n;
	char      url[64];

	(void) state;
	rpct_node_start(&n, "bb_wire_test", MACHINE, "ns", "");
	rpct_url(n.srv, url, sizeof(url));
	// The fid names no file: a clean name gets as far as NOT_FOUND.
	assert_int_equal(read_code(url, "test"),
	                 BLOBBY__RPC__V1__CODE__NOT_FOUND);
	assert_int_equal(read_code(url, "testAx"),
	                 BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT);
	rpct_node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_server_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
