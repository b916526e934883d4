// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/rpc_dispatch.c -- RPC dispatch on a real store, with an
// oracle: no sequence of requests changes a byte that a client reads for
// a primary's ids.  Each input gets a fresh node (machine 1, namespaces
// "test" and "other", in a temporary directory) holding three blobs
// inserted through the store API; the input's requests go through the
// server's handler entry (rpc__handle, as a worker calls it, without a
// socket); then every blob reads back byte-identical, locally and through
// the Read RPC, and every reply unpacked as its method's response.
//
// [remote.1] (the node itself) and [remote.2] are on 127.0.0.1, so a
// request from loopback may act for both machines: replica calls on the
// primary's own fid are refused by the store (no shadow of a primary),
// not by the caller's address.
//
// Input: requests, each a flag byte (bits 0-1: the caller, none,
// 127.0.0.1, ::1 or 192.0.2.1; bit 2: fix the hash of a Replicate), a
// 2-byte big-endian length and that many bytes (a 4-byte big-endian
// method number and the packed request).  The 10 bytes "@PRIMARY@@"
// anywhere in a request become the fid of the blobs' primary, so that
// seeds can name it.  With bit 2, a Replicate request that unpacks is
// packed again with the XXH3 of its data (a fuzzer does not find hashes:
// without this no data would ever be written).
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <xxhash.h>

#include "tests/tmpdir.h"
#include "common/conf/conf.h"
#include "rpc/rpc_impl.h"
#include "storage/spool.h"
#include "storage/storage.h"
#include "tests/fuzz/fuzz.h"

#define DISPATCH_BLOBS    3
#define DISPATCH_MAX_REQS 64
#define DISPATCH_MARK     "@PRIMARY@@"
#define DISPATCH_REHASH   4u

static const size_t blob_sizes[DISPATCH_BLOBS] = { 1, 100, 5000 };

typedef struct {
	char         tmp[64];
	bb_conf     *conf;
	store       *st;
	store_ns    *ns;
	atomic_bool  draining;
	rpc__service svc;
	store_id     ids[DISPATCH_BLOBS];
	uint8_t     *bodies[DISPATCH_BLOBS]; // owned
} dispatch_node;

static uint8_t
blob_byte(size_t blob, size_t i)
{
	return (uint8_t) (blob * 31 + i * 7 + (i >> 8));
}

// node_start makes the node and inserts the blobs.  false if the
// environment fails (then nothing is checked).
static bool
node_start(dispatch_node *n)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char        text[1024];
	char        why[BB_WHY_LEN];
	char       *errs = NULL;
	store_spool *sp;
	size_t       b, i;

	memset(n, 0, sizeof(*n));
	(void) snprintf(n->tmp, sizeof(n->tmp), "%s/bb_fuzz_rpc.XXXXXX", base);
	if (mkdtemp(n->tmp) == NULL) {
		return false;
	}
	(void) snprintf(
	    text, sizeof(text),
	    "machine_id = 1\n"
	    "[server]\nport = 0\nrpc_addr = 127.0.0.1\nrpc_port = 0\n"
	    "[remote.1]\nhost = 127.0.0.1\n"
	    "[remote.2]\nhost = 127.0.0.1\n"
	    "[namespace.test]\ndirectory = %s/test\nreplicas = 0\n"
	    "min_open_files = 1\nmax_open_files = 1\n"
	    "archive = dir\narchive_directory = %s/ar\n"
	    "[namespace.other]\ndirectory = %s/other\n"
	    "replicas = 0\nmin_open_files = 1\nmax_open_files = 1\n"
	    "archive = dir\narchive_directory = %s/ar2\n",
	    n->tmp, n->tmp, n->tmp, n->tmp);
	FUZZ_CHECK(bb_conf_load_string(text, "fuzz.conf", &n->conf, &errs) ==
	           BB_OK);
	why[0] = '\0';
	if (store_open(n->conf, NULL, &n->st, why, sizeof(why)) != BB_OK) {
		(void) fprintf(stderr, "store_open: %s\n", why);
		abort();
	}
	n->ns = store_find_ns(n->st, "test", 4);
	FUZZ_CHECK(n->ns != NULL);
	for (b = 0; b < DISPATCH_BLOBS; b++) {
		n->bodies[b] = malloc(blob_sizes[b]);
		FUZZ_CHECK(n->bodies[b] != NULL);
		for (i = 0; i < blob_sizes[b]; i++) {
			n->bodies[b][i] = blob_byte(b, i);
		}
		FUZZ_CHECK(store_ns_spool(n->ns, blob_sizes[b], &sp) == BB_OK);
		FUZZ_CHECK(store_spool_write(sp, n->bodies[b],
		                             blob_sizes[b]) == BB_OK);
		FUZZ_CHECK(store_ns_insert(n->ns, sp, &n->ids[b]) == BB_OK);
		store_spool_free(sp);
	}
	atomic_init(&n->draining, false);
	rpc__service_init(&n->svc, n->conf, n->st, &n->draining);
	return true;
}

static void
node_stop(dispatch_node *n)
{
	size_t b;

	store_close(n->st);
	bb_conf_free(n->conf);
	bbt_rmtree(n->tmp);
	for (b = 0; b < DISPATCH_BLOBS; b++) {
		free(n->bodies[b]);
	}
}

static void
caller_set(unsigned which, nng_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (which == 2) {
		sa->s_in6.sa_family   = NNG_AF_INET6;
		sa->s_in6.sa_addr[15] = 1;
		return;
	}
	sa->s_in.sa_family = NNG_AF_INET;
	sa->s_in.sa_addr   = htonl(which == 1 ? 0x7f000001u : 0xc0000201u);
}

// rehash packs the Replicate request *reqp[0..*lenp) again with the hash
// of its data, in a new exact block (the old one is freed); nothing
// changes when it is no Replicate or does not unpack.
static void
rehash(uint8_t **reqp, size_t *lenp)
{
	Blobby__Rpc__V1__ReplicateRequest *rq;
	uint8_t                           *req = *reqp;
	uint8_t                           *out;
	size_t                             len;

	if (*lenp < 4 || req[0] != 0 || req[1] != 0 || req[2] != 0 ||
	    req[3] != 1) {
		return;
	}
	rq = blobby__rpc__v1__replicate_request__unpack(NULL, *lenp - 4,
	                                                req + 4);
	if (rq == NULL) {
		return;
	}
	rq->hash = XXH3_64bits(rq->data.data, rq->data.len);
	len      = blobby__rpc__v1__replicate_request__get_packed_size(rq);
	out      = malloc(len + 4);
	if (out != NULL) {
		memcpy(out, req, 4);
		(void) blobby__rpc__v1__replicate_request__pack(rq, out + 4);
		free(req);
		*reqp = out;
		*lenp = len + 4;
	}
	blobby__rpc__v1__replicate_request__free_unpacked(rq, NULL);
}

// dispatch_one runs one request and checks that its reply is the
// method's response (or a status-only message for an unknown method).
static void
dispatch_one(dispatch_node *n, unsigned who, const uint8_t *req, size_t len)
{
	const ProtobufCServiceDescriptor *sd =
	    &blobby__rpc__v1__blobby__descriptor;
	const ProtobufCMessageDescriptor *out =
	    &blobby__rpc__v1__initialize_response__descriptor;
	ProtobufCMessage *m;
	nng_sockaddr      sa;
	nng_msg          *reply;
	uint32_t          method;

	caller_set(who, &sa);
	reply = rpc__handle(&n->svc, who != 0 ? &sa : NULL, req, len);
	FUZZ_CHECK(reply != NULL);
	if (len >= 4) {
		method = (uint32_t) req[0] << 24 | (uint32_t) req[1] << 16 |
		    (uint32_t) req[2] << 8 | req[3];
		if (method < sd->n_methods) {
			out = sd->methods[method].output;
		}
	}
	m = protobuf_c_message_unpack(out, NULL, nng_msg_len(reply),
	                              nng_msg_body(reply));
	FUZZ_CHECK(m != NULL);
	FUZZ_CHECK(rpc__resp_status(m) != NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	nng_msg_free(reply);
}

// read_rpc reads blob b through the Read RPC from loopback and compares.
static void
read_rpc(dispatch_node *n, size_t b)
{
	Blobby__Rpc__V1__ReadRequest rq = BLOBBY__RPC__V1__READ_REQUEST__INIT;
	Blobby__Rpc__V1__ReadResponse *rs;
	nng_sockaddr                   sa;
	nng_msg                       *reply;
	uint8_t                        buf[256];
	size_t                         len;

	rq.namespace_ = "test";
	rq.fid.data   = n->ids[b].fid.b;
	rq.fid.len    = STORE_FID_LEN;
	rq.start      = n->ids[b].start;
	rq.length     = n->ids[b].length;
	len           = protobuf_c_message_get_packed_size(&rq.base);
	FUZZ_CHECK(len + 4 <= sizeof(buf));
	buf[0] = buf[1] = buf[2] = 0;
	buf[3]                   = 4; // Read
	(void) protobuf_c_message_pack(&rq.base, buf + 4);
	caller_set(1, &sa);
	reply = rpc__handle(&n->svc, &sa, buf, len + 4);
	FUZZ_CHECK(reply != NULL);
	rs = blobby__rpc__v1__read_response__unpack(NULL, nng_msg_len(reply),
	                                            nng_msg_body(reply));
	FUZZ_CHECK(rs != NULL && rs->status != NULL);
	FUZZ_CHECK(rs->status->code == BLOBBY__RPC__V1__CODE__OK);
	FUZZ_CHECK(rs->data.len == blob_sizes[b]);
	FUZZ_CHECK(memcmp(rs->data.data, n->bodies[b], blob_sizes[b]) == 0);
	blobby__rpc__v1__read_response__free_unpacked(rs, NULL);
	nng_msg_free(reply);
}

// oracle: every blob reads back as inserted.
static void
oracle(dispatch_node *n)
{
	uint8_t *buf;
	size_t   b;

	for (b = 0; b < DISPATCH_BLOBS; b++) {
		buf = malloc(blob_sizes[b]);
		FUZZ_CHECK(buf != NULL);
		FUZZ_CHECK(n->ids[b].length == blob_sizes[b]);
		FUZZ_CHECK(store_ns_read_copy(n->ns, &n->ids[b], buf) ==
		           BB_OK);
		FUZZ_CHECK(memcmp(buf, n->bodies[b], blob_sizes[b]) == 0);
		free(buf);
		read_rpc(n, b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char mark[] = DISPATCH_MARK;
	dispatch_node     n;
	size_t            pos  = 0, len, i;
	unsigned          reqs = 0;
	unsigned          flags;
	uint8_t          *req;

	if (!node_start(&n)) {
		return 0;
	}
	while (pos + 3 <= size && reqs < DISPATCH_MAX_REQS) {
		len = (size_t) data[pos + 1] << 8 | data[pos + 2];
		if (len > size - pos - 3) {
			len = size - pos - 3;
		}
		// An exact heap block: AddressSanitizer sees a read past it.
		req = malloc(len > 0 ? len : 1);
		FUZZ_CHECK(req != NULL);
		memcpy(req, data + pos + 3, len);
		for (i = 0; i + STORE_FID_LEN <= len; i++) {
			if (memcmp(req + i, mark, STORE_FID_LEN) == 0) {
				memcpy(req + i, n.ids[0].fid.b, STORE_FID_LEN);
			}
		}
		flags = data[pos];
		pos += 3 + len;
		if ((flags & DISPATCH_REHASH) != 0) {
			rehash(&req, &len);
		}
		dispatch_one(&n, flags & 3u, req, len);
		free(req);
		reqs++;
	}
	oracle(&n);
	node_stop(&n);
	return 0;
}
