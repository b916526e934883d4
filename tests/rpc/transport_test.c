// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/transport_test.c -- a real rpc_server on 127.0.0.1:0 over a
// real store, real rpc_peer clients and a raw req0 socket for what a
// client of ours never sends: status codes, NodeStatus, Read (one chunk,
// several through rpc_pool_read, errors), unknown methods, short, random
// and oversize messages, a peer that is down, parallel calls, deadlines.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blobby/rpc/v1/rpc.pb-c.h"
#include "common/clock.h"
#include "rpc/rpc.h"

#define MACHINE  7u
#define TIMEOUT  (5 * BB_NS_PER_SEC)
#define MIB      (1024u * 1024u)
#define NTHREADS 8
#define NCALLS   50
#define NGARBAGE 300

typedef struct {
	char        tmp[64];
	char        url[64];
	bb_conf    *conf;
	store      *st;
	rpc_server *srv;
	rpc_peer   *peer;
} fix;

// ---- fixture --------------------------------------------------------

static bb_conf *
load(const char *text)
{
	bb_conf *conf = NULL;
	char    *errs = NULL;

	if (bb_conf_load_string(text, "t.ini", &conf, &errs) != BB_OK) {
		fail_msg("config: %s", errs != NULL ? errs : "?");
	}
	return conf;
}

static void
wait_connected(const rpc_peer *p)
{
	int64_t end = bb_clock_mono_ns() + TIMEOUT;

	while (!rpc_peer_connected(p)) {
		if (bb_clock_mono_ns() > end) {
			fail_msg("no connection to %s", rpc_peer_url(p));
		}
		bb_clock_sleep_ns(2 * BB_NS_PER_MS);
	}
}

static int
setup(void **state)
{
	const char *errmsg = NULL;
	char        text[1024];
	fix        *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_rpc_test.XXXXXX");
	assert_non_null(mkdtemp(fx->tmp));
	(void) snprintf(text, sizeof(text),
	                "machine_id = %u\n"
	                "[server]\nport = 0\nrpc_addr = 127.0.0.1\n"
	                "rpc_port = 0\n"
	                "[namespace.test]\ndirectory = %s/ns\nreplicas = 0\n"
	                "archive = dir\narchive_directory = %s/ar\n"
	                "max_blob_size = 4m\n",
	                MACHINE, fx->tmp, fx->tmp);
	fx->conf = load(text);
	assert_int_equal(store_open(fx->conf, NULL, &fx->st, &errmsg), BB_OK);
	if (rpc_server_start(fx->conf, fx->st, &fx->srv, &errmsg) != BB_OK) {
		fail_msg("rpc_server_start: %s", errmsg);
	}
	assert_int_not_equal(rpc_server_port(fx->srv), 0);
	(void) snprintf(fx->url, sizeof(fx->url), "tcp://127.0.0.1:%u",
	                (unsigned) rpc_server_port(fx->srv));
	assert_int_equal(rpc_peer_open(fx->url, 4, &fx->peer), BB_OK);
	wait_connected(fx->peer);
	*state = fx;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	fix *fx = *state;

	rpc_peer_close(fx->peer);
	rpc_server_stop(fx->srv);
	store_close(fx->st);
	bb_conf_free(fx->conf);
	(void) nftw(fx->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

// ---- helpers --------------------------------------------------------

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static uint8_t *
make_body(size_t n, uint32_t seed)
{
	uint8_t *b = malloc(n);
	size_t   i;

	assert_non_null(b);
	seed = seed * 2654435761u + 1;
	for (i = 0; i < n; i++) {
		b[i] = (uint8_t) (rnd(&seed) >> 24);
	}
	return b;
}

static store_id
insert(fix *fx, const uint8_t *data, size_t n)
{
	store_ns    *ns = store_find_ns(fx->st, "test", 4);
	store_spool *sp = NULL;
	store_id     id;

	assert_non_null(ns);
	assert_int_equal(store_ns_spool(ns, n, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, data, n), BB_OK);
	assert_int_equal(store_ns_insert(ns, sp, &id), BB_OK);
	store_spool_free(sp);
	assert_int_equal(store_fid_machine(&id.fid), MACHINE);
	return id;
}

// read_rpc makes a Read call; the caller frees *rp.
static Blobby__Rpc__V1__ReadResponse *
read_rpc(fix *fx, const char *ns, const uint8_t *fid, size_t fidlen,
         uint64_t start, uint32_t length)
{
	Blobby__Rpc__V1__ReadRequest req = BLOBBY__RPC__V1__READ_REQUEST__INIT;
	ProtobufCMessage            *resp = NULL;

	req.namespace_ = (char *) ns;
	req.fid.data   = (uint8_t *) fid;
	req.fid.len    = fidlen;
	req.start      = start;
	req.length     = length;
	assert_int_equal(rpc_peer_call(fx->peer, RPC_M_READ, &req.base,
	                               TIMEOUT, &resp),
	                 BB_OK);
	assert_non_null(((Blobby__Rpc__V1__ReadResponse *) resp)->status);
	return (Blobby__Rpc__V1__ReadResponse *) resp;
}

static Blobby__Rpc__V1__NodeStatusResponse *
node_status(rpc_peer *p)
{
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	assert_int_equal(
	    rpc_peer_call(p, RPC_M_NODE_STATUS, &req.base, TIMEOUT, &resp),
	    BB_OK);
	return (Blobby__Rpc__V1__NodeStatusResponse *) resp;
}

static void
expect_alive(fix *fx)
{
	Blobby__Rpc__V1__NodeStatusResponse *r = node_status(fx->peer);

	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__OK);
	assert_int_equal(r->machine_id, MACHINE);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

// raw_open dials the server with a bare req0 socket: it sends whatever
// bytes a test gives it.
static nng_socket
raw_open(const fix *fx)
{
	nng_socket s;

	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 2000), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 2000), 0);
	assert_int_equal(nng_dial(s, fx->url, NULL, 0), 0);
	return s;
}

// raw_call sends body and returns the Status of the reply, decoded as
// the status-only response (any response type decodes it).  *code gets
// the status code.  Fails the test if no reply comes.
static void
raw_call(nng_socket s, const void *body, size_t len, int *code)
{
	Blobby__Rpc__V1__InitializeResponse *r;
	static const uint8_t                 none[1];
	void                                *buf = NULL;
	size_t                               sz  = 0;

	assert_int_equal(nng_send(s, len > 0 ? (void *) body : (void *) none,
	                          len, 0),
	                 0);
	assert_int_equal(nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC), 0);
	r = blobby__rpc__v1__initialize_response__unpack(NULL, sz, buf);
	nng_free(buf, sz);
	assert_non_null(r);
	assert_non_null(r->status);
	*code = (int) r->status->code;
	blobby__rpc__v1__initialize_response__free_unpacked(r, NULL);
}

// ---- tests ----------------------------------------------------------

static void
test_status_codes(void **state)
{
	static const struct {
		bb_err err;
		int    code;
		bb_err back;
	} cases[] = {
		{ BB_OK, BLOBBY__RPC__V1__CODE__OK, BB_OK },
		{ BB_EINVAL, BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT, BB_EINVAL },
		{ BB_ENOENT, BLOBBY__RPC__V1__CODE__NOT_FOUND, BB_ENOENT },
		{ BB_EEXIST, BLOBBY__RPC__V1__CODE__ALREADY_EXISTS, BB_EEXIST },
		{ BB_EACCES, BLOBBY__RPC__V1__CODE__PERMISSION_DENIED,
		  BB_EACCES },
		{ BB_ETOOBIG, BLOBBY__RPC__V1__CODE__RESOURCE_EXHAUSTED,
		  BB_ENOSPC },
		{ BB_ENOSPC, BLOBBY__RPC__V1__CODE__RESOURCE_EXHAUSTED,
		  BB_ENOSPC },
		{ BB_ESTATE, BLOBBY__RPC__V1__CODE__FAILED_PRECONDITION,
		  BB_ESTATE },
		{ BB_ERANGE, BLOBBY__RPC__V1__CODE__OUT_OF_RANGE, BB_ERANGE },
		{ BB_ECORRUPT, BLOBBY__RPC__V1__CODE__DATA_LOSS, BB_ECORRUPT },
		{ BB_EUNAVAIL, BLOBBY__RPC__V1__CODE__UNAVAILABLE, BB_EUNAVAIL },
		{ BB_ESHUTDOWN, BLOBBY__RPC__V1__CODE__UNAVAILABLE,
		  BB_EUNAVAIL },
		{ BB_EBUSY, BLOBBY__RPC__V1__CODE__UNAVAILABLE, BB_EUNAVAIL },
		{ BB_ETIMEDOUT, BLOBBY__RPC__V1__CODE__DEADLINE_EXCEEDED,
		  BB_ETIMEDOUT },
		{ BB_EIO, BLOBBY__RPC__V1__CODE__INTERNAL, BB_EREMOTE },
		{ BB_ENOMEM, BLOBBY__RPC__V1__CODE__INTERNAL, BB_EREMOTE },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rpc_code_from_err(cases[i].err),
		                 cases[i].code);
		assert_int_equal(rpc_err_from_code(cases[i].code),
		                 cases[i].back);
	}
	assert_int_equal(rpc_err_from_code(BLOBBY__RPC__V1__CODE__UNIMPLEMENTED),
	                 BB_EPROTO);
	assert_int_equal(rpc_err_from_code(99), BB_EREMOTE);
	assert_int_equal(rpc_err_from_code(-1), BB_EREMOTE);
}

static void
test_node_status(void **state)
{
	fix                                 *fx = *state;
	Blobby__Rpc__V1__NodeStatusResponse *r;

	r = node_status(fx->peer);
	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__OK);
	assert_string_equal(r->status->message, "");
	assert_false(r->status->shutting_down);
	assert_int_equal(r->machine_id, MACHINE);
	assert_string_equal(r->version, "0.1.0");
	assert_int_equal(r->max_chunk, RPC_MAX_CHUNK);
	assert_int_equal(r->n_namespaces, 1);
	assert_string_equal(r->namespaces[0], "test");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	rpc_server_set_draining(fx->srv, true);
	r = node_status(fx->peer);
	assert_true(r->status->shutting_down);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	rpc_server_set_draining(fx->srv, false);
	assert_string_equal(rpc_peer_url(fx->peer), fx->url);
}

static void
test_read_single_chunk(void **state)
{
	fix                           *fx   = *state;
	size_t                         n    = 100000;
	uint8_t                       *body = make_body(n, 1);
	store_id                       id   = insert(fx, body, n);
	Blobby__Rpc__V1__ReadResponse *r;

	r = read_rpc(fx, "test", id.fid.b, STORE_FID_LEN, id.start,
	             id.length);
	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__OK);
	assert_int_equal(r->data.len, n);
	assert_memory_equal(r->data.data, body, n);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	// A range inside the blob.
	r = read_rpc(fx, "test", id.fid.b, STORE_FID_LEN, id.start + 10, 1000);
	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__OK);
	assert_int_equal(r->data.len, 1000);
	assert_memory_equal(r->data.data, body + 10, 1000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(body);
}

static void
test_read_multi_chunk(void **state)
{
	fix      *fx   = *state;
	size_t    n    = 2 * MIB;
	uint8_t  *body = make_body(n, 2);
	uint8_t  *got  = malloc(n);
	store_id  id   = insert(fx, body, n);
	store_id  other;
	bb_conf  *pconf;
	rpc_pool *pool = NULL;
	char      text[1024];

	assert_non_null(got);
	(void) snprintf(text, sizeof(text),
	                "machine_id = 1\n[client]\ntimeout = 5s\n"
	                "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %u\n"
	                "[namespace.test]\ndirectory = %s/other\n"
	                "replicas = 0\narchive = dir\n"
	                "archive_directory = %s/ar\n",
	                MACHINE, (unsigned) rpc_server_port(fx->srv), fx->tmp,
	                fx->tmp);
	pconf = load(text);
	assert_int_equal(rpc_pool_open(pconf, &pool), BB_OK);
	assert_non_null(rpc_pool_peer(pool, MACHINE));
	wait_connected(rpc_pool_peer(pool, MACHINE));

	// 4 chunks of RPC_MAX_CHUNK, in one window.
	memset(got, 0, n);
	assert_int_equal(rpc_pool_read(pool, "test", &id, 0, got, n), BB_OK);
	assert_memory_equal(got, body, n);
	// An odd range: a short first chunk boundary and a short last one.
	memset(got, 0, n);
	assert_int_equal(
	    rpc_pool_read(pool, "test", &id, 123, got, MIB + 7), BB_OK);
	assert_memory_equal(got, body + 123, MIB + 7);
	// Outside the blob: refused before any call.
	assert_int_equal(rpc_pool_read(pool, "test", &id, n - 1, got, 2),
	                 BB_EINVAL);
	// A blob the peer does not have, and a peer that is not configured.
	other = id;
	other.start += n; // past the committed end of the file
	assert_int_equal(rpc_pool_read(pool, "test", &other, 0, got, 10),
	                 BB_ENOENT);
	store_fid_make(&other.fid, 1700000000u, 1, MACHINE + 1);
	assert_int_equal(rpc_pool_read(pool, "test", &other, 0, got, 10),
	                 BB_ENOENT);
	rpc_pool_close(pool);
	bb_conf_free(pconf);
	free(got);
	free(body);
}

static void
test_read_errors(void **state)
{
	fix                           *fx = *state;
	uint8_t                        body[100];
	store_id                       id;
	store_fid                      fid;
	Blobby__Rpc__V1__ReadResponse *r;

	memset(body, 'x', sizeof(body));
	id = insert(fx, body, sizeof(body));
	store_fid_make(&fid, 1700000000u, 77, MACHINE);
	// Unknown file.
	r = read_rpc(fx, "test", fid.b, STORE_FID_LEN, 0, 10);
	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__NOT_FOUND);
	assert_int_equal(r->data.len, 0);
	assert_string_not_equal(r->status->message, "");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	// Past the committed end of a known file.
	r = read_rpc(fx, "test", id.fid.b, STORE_FID_LEN, id.start, 1000);
	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__NOT_FOUND);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	// Unknown namespace.
	r = read_rpc(fx, "nope", id.fid.b, STORE_FID_LEN, id.start, 10);
	assert_int_equal(r->status->code, BLOBBY__RPC__V1__CODE__NOT_FOUND);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	// A fid of the wrong size.
	r = read_rpc(fx, "test", id.fid.b, STORE_FID_LEN - 1, id.start, 10);
	assert_int_equal(r->status->code,
	                 BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	// More than one chunk in one call.
	r = read_rpc(fx, "test", id.fid.b, STORE_FID_LEN, id.start,
	             RPC_MAX_CHUNK + 1);
	assert_int_equal(r->status->code,
	                 BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void
test_unknown_method(void **state)
{
	fix                                 *fx   = *state;
	nng_socket                           s    = raw_open(fx);
	static const uint8_t                 m99[] = { 0, 0, 0, 99 };
	static const uint8_t                 big[] = { 0x80, 0, 0, 6, 1 };
	Blobby__Rpc__V1__NodeStatusResponse *ns;
	void                                *buf = NULL;
	size_t                               sz  = 0;
	int                                  code;

	raw_call(s, m99, sizeof(m99), &code);
	assert_int_equal(code, BLOBBY__RPC__V1__CODE__UNIMPLEMENTED);
	raw_call(s, big, sizeof(big), &code);
	assert_int_equal(code, BLOBBY__RPC__V1__CODE__UNIMPLEMENTED);
	// The same reply decodes as any response type: here NodeStatus's,
	// as a newer client calling a method we lack would.
	assert_int_equal(nng_send(s, (void *) m99, sizeof(m99), 0), 0);
	assert_int_equal(nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC), 0);
	ns = blobby__rpc__v1__node_status_response__unpack(NULL, sz, buf);
	nng_free(buf, sz);
	assert_non_null(ns);
	assert_int_equal(ns->status->code,
	                 BLOBBY__RPC__V1__CODE__UNIMPLEMENTED);
	assert_string_equal(ns->status->message, "unknown method 99");
	blobby__rpc__v1__node_status_response__free_unpacked(ns, NULL);
	(void) nng_close(s);
	expect_alive(fx);
}

static void
test_short_and_garbage(void **state)
{
	fix       *fx = *state;
	nng_socket s  = raw_open(fx);
	uint8_t    msg[2048];
	uint32_t   seed = 12345;
	size_t     len, i, j;
	int        code, counts[16] = { 0 };
	// A Read whose first field claims more bytes than follow.
	static const uint8_t bad_read[] = { 0, 0, 0, 4, 0x0a, 0x7f, 'x' };

	for (len = 0; len < 4; len++) {
		memset(msg, 0, sizeof(msg));
		raw_call(s, msg, len, &code);
		assert_int_equal(code,
		                 BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT);
	}
	raw_call(s, bad_read, sizeof(bad_read), &code);
	assert_int_equal(code, BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT);
	for (i = 0; i < NGARBAGE; i++) {
		len = rnd(&seed) % sizeof(msg);
		for (j = 0; j < len; j++) {
			msg[j] = (uint8_t) rnd(&seed);
		}
		if (len >= 4 && i % 2 == 0) {
			// Half of them name a real method, so the bodies
			// reach protobuf-c and the handlers.
			msg[0] = msg[1] = msg[2] = 0;
			msg[3] = (uint8_t) (rnd(&seed) % 6);
		}
		raw_call(s, msg, len, &code);
		assert_true(code >= 0 && code < 16);
		counts[code]++;
	}
	print_message("garbage: %d INVALID_ARGUMENT, %d UNIMPLEMENTED, "
	              "%d NOT_FOUND, %d OK of %d\n",
	              counts[BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT],
	              counts[BLOBBY__RPC__V1__CODE__UNIMPLEMENTED],
	              counts[BLOBBY__RPC__V1__CODE__NOT_FOUND],
	              counts[BLOBBY__RPC__V1__CODE__OK], NGARBAGE);
	assert_true(counts[BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT] > 0);
	assert_true(counts[BLOBBY__RPC__V1__CODE__UNIMPLEMENTED] > 0);
	(void) nng_close(s);
	expect_alive(fx);
}

static void
test_oversize(void **state)
{
	fix                              *fx = *state;
	nng_socket                        s  = raw_open(fx);
	size_t                            n  = RPC_MAX_MSG + 1;
	uint8_t                          *big = calloc(1, n);
	Blobby__Rpc__V1__ReplicateRequest req =
	    BLOBBY__RPC__V1__REPLICATE_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	void             *buf  = NULL;
	size_t            sz   = 0;

	assert_non_null(big);
	big[3] = RPC_M_NODE_STATUS;
	// The server drops the connection instead of answering; the raw
	// requester would resend on every reconnect, so give up soon.
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 300), 0);
	assert_int_equal(nng_send(s, big, n, 0), 0);
	assert_int_equal(nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC),
	                 NNG_ETIMEDOUT);
	(void) nng_close(s);
	expect_alive(fx);

	// Our own client refuses to send what the server would drop.
	req.namespace_ = "test";
	req.data.data  = big;
	req.data.len   = RPC_MAX_MSG;
	assert_int_equal(rpc_peer_call(fx->peer, RPC_M_REPLICATE, &req.base,
	                               TIMEOUT, &resp),
	                 BB_ETOOBIG);
	// And a request of the wrong type for the method.
	assert_int_equal(
	    rpc_peer_call(fx->peer, RPC_M_READ, &req.base, TIMEOUT, &resp),
	    BB_EINVAL);
	free(big);
	expect_alive(fx);
}

// free_port returns a loopback port that nobody listens on (bound, then
// closed: good enough for a test).
static unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t          len = sizeof(sa);
	int                fd  = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	(void) close(fd);
	return ntohs(sa.sin_port);
}

static void
test_peer_down(void **state)
{
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_peer         *p    = NULL;
	char              url[64];
	int64_t           t0, dt;

	(void) state;
	(void) snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", free_port());
	assert_int_equal(rpc_peer_open(url, 2, &p), BB_OK);
	bb_clock_sleep_ns(50 * BB_NS_PER_MS); // let a dial attempt fail
	assert_false(rpc_peer_connected(p));
	t0 = bb_clock_mono_ns();
	assert_int_equal(
	    rpc_peer_call(p, RPC_M_NODE_STATUS, &req.base, TIMEOUT, &resp),
	    BB_EUNAVAIL);
	dt = bb_clock_mono_ns() - t0;
	print_message("call to a peer that is down failed in %.3f ms\n",
	              (double) dt / 1e6);
	assert_true(dt < BB_NS_PER_SEC);
	rpc_peer_close(p);
	assert_int_equal(rpc_peer_open("bogus://x", 1, &p), BB_EINVAL);
}

typedef struct {
	rpc_peer *peer;
	int       ok;
} worker_arg;

static void *
worker(void *arg)
{
	worker_arg                        *w   = arg;
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	ProtobufCMessage *resp;
	int               i;

	for (i = 0; i < NCALLS; i++) {
		resp = NULL;
		if (rpc_peer_call(w->peer, RPC_M_NODE_STATUS, &req.base,
		                  TIMEOUT, &resp) != BB_OK) {
			continue;
		}
		if (((Blobby__Rpc__V1__NodeStatusResponse *) resp)->machine_id ==
		    MACHINE) {
			w->ok++;
		}
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	return NULL;
}

static void
test_parallel(void **state)
{
	fix       *fx = *state;
	pthread_t  th[NTHREADS];
	worker_arg args[NTHREADS];
	int64_t    t0, dt;
	int        i, total = 0;

	t0 = bb_clock_mono_ns();
	for (i = 0; i < NTHREADS; i++) {
		args[i].peer = fx->peer; // nctx = 4: threads share contexts
		args[i].ok   = 0;
		assert_int_equal(
		    pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		total += args[i].ok;
	}
	dt = bb_clock_mono_ns() - t0;
	print_message("%d NodeStatus calls from %d threads over 4 contexts "
	              "in %.1f ms: %.0f calls/s\n",
	              total, NTHREADS, (double) dt / 1e6,
	              (double) total * 1e9 / (double) dt);
	assert_int_equal(total, NTHREADS * NCALLS);
}

static void
test_context_wait(void **state)
{
	fix                               *fx = *state;
	Blobby__Rpc__V1__NodeStatusRequest req =
	    BLOBBY__RPC__V1__NODE_STATUS_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_peer         *p    = NULL;
	rpc_call         *c1   = NULL, *c2 = NULL;
	int64_t           t0, dt;

	assert_int_equal(rpc_peer_open(fx->url, 1, &p), BB_OK);
	wait_connected(p);
	// The only context is taken: a second call waits for it until its
	// own deadline, then gives up.
	assert_int_equal(rpc_peer_call_start(p, RPC_M_NODE_STATUS, &req.base,
	                                     TIMEOUT, &c1),
	                 BB_OK);
	t0 = bb_clock_mono_ns();
	assert_int_equal(rpc_peer_call_start(p, RPC_M_NODE_STATUS, &req.base,
	                                     100 * BB_NS_PER_MS, &c2),
	                 BB_ETIMEDOUT);
	dt = bb_clock_mono_ns() - t0;
	assert_true(dt >= 90 * BB_NS_PER_MS && dt < 2 * BB_NS_PER_SEC);
	assert_int_equal(rpc_call_finish(c1, &resp), BB_OK);
	protobuf_c_message_free_unpacked(resp, NULL);
	// Freed: the next call gets the context at once.
	resp = NULL;
	assert_int_equal(rpc_peer_call(p, RPC_M_NODE_STATUS, &req.base,
	                               TIMEOUT, &resp),
	                 BB_OK);
	protobuf_c_message_free_unpacked(resp, NULL);
	rpc_peer_close(p);
}

static void
test_server_restart(void **state)
{
	fix        *fx     = *state;
	const char *errmsg = NULL;
	rpc_server *again  = NULL;

	// The port is taken: a second server on it fails, cleanly.
	fx->conf->server.rpc_port = rpc_server_port(fx->srv);
	assert_int_not_equal(rpc_server_start(fx->conf, fx->st, &again,
	                                      &errmsg),
	                     BB_OK);
	assert_non_null(errmsg);
	fx->conf->server.rpc_port = 0;
	expect_alive(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_codes),
		cmocka_unit_test_setup_teardown(test_node_status, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_single_chunk, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_multi_chunk, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_unknown_method, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_short_and_garbage, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_oversize, setup,
		                                teardown),
		cmocka_unit_test(test_peer_down),
		cmocka_unit_test_setup_teardown(test_parallel, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_context_wait, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_server_restart, setup,
		                                teardown),
	};

	if (getenv("F")) cmocka_set_test_filter(getenv("F")); /*DEBUG*/
	if (getenv("S")) cmocka_set_skip_filter(getenv("S")); /*DEBUG*/
	return cmocka_run_group_tests(tests, NULL, NULL);
}
