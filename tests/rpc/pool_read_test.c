// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/rpc/pool_read_test.c -- the reads of rpc_pool against a real
// server over a real store: rpc_pool_read in chunks kept in flight
// together, rpc_pool_read_any and rpc_pool_read_from (replicas of
// another machine's fids, peers that are down, the owner's archive).
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/rpc/pool_fixture.h"
#include "storage/spool.h"

// A blob inserted on the server node reads back through rpc_pool_read,
// in chunks of RPC_MAX_CHUNK kept in flight together.
static void
test_pool_read(void **state)
{
	fix         *fx   = *state;
	size_t       n    = 2 * 1024 * 1024 + 3, i;
	uint8_t     *body = malloc(n), *got = malloc(n);
	store_ns    *ns = store_find_ns(fx->n.st, "test", 4);
	store_spool *sp = NULL;
	store_id     id, other;

	assert_true(body != NULL && got != NULL && ns != NULL);
	for (i = 0; i < n; i++) {
		body[i] = (uint8_t) (i * 7 + i / 509);
	}
	assert_int_equal(store_ns_spool(ns, n, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, body, n), BB_OK);
	assert_int_equal(store_ns_insert(ns, sp, &id), BB_OK);
	store_spool_free(sp);
	assert_int_equal(store_fid_machine(&id.fid), SERVER);

	memset(got, 0, n);
	assert_int_equal(rpc_pool_read(fx->pool, "test", &id, 0, got, n),
	                 BB_OK);
	assert_memory_equal(got, body, n);
	// An odd range: short chunks at both ends.
	memset(got, 0, n);
	assert_int_equal(
	    rpc_pool_read(fx->pool, "test", &id, 123, got, n / 2 + 7), BB_OK);
	assert_memory_equal(got, body + 123, n / 2 + 7);
	// Outside the blob: refused before any call.
	assert_int_equal(rpc_pool_read(fx->pool, "test", &id, n - 1, got, 2),
	                 BB_EINVAL);
	// Past the file's end on the peer; a peer that is not configured;
	// a peer that is down.
	other = id;
	other.start += n;
	assert_int_equal(rpc_pool_read(fx->pool, "test", &other, 0, got, 10),
	                 BB_ENOENT);
	store_fid_make(&other.fid, 1700000000u, 1, 99);
	assert_int_equal(rpc_pool_read(fx->pool, "test", &other, 0, got, 10),
	                 BB_ENOENT);
	store_fid_make(&other.fid, 1700000000u, 1, DOWN_A);
	assert_int_equal(rpc_pool_read(fx->pool, "test", &other, 0, got, 10),
	                 BB_EUNAVAIL);
	free(got);
	free(body);
}

// rpc_pool_read_any asks every peer but one at once and takes the first
// that has the range: the listening peer serves its replica r-<fid> of
// another machine's fid; the peers that are down make a miss
// BB_EUNAVAIL ("cannot tell"), never BB_ENOENT.  And the owner serves
// its own fids from its archive when the local file is gone, not
// another machine's.
static void
test_pool_read_any(void **state)
{
	fix        *fx     = *state;
	store_ns   *ns     = store_find_ns(fx->n.st, "test", 4);
	static char data[] = "bytes of machine 1, replicated on machine 2";
	char        got[sizeof(data)];
	char        key[512];
	char        path[1024];
	store_id    id, other;
	uint32_t    m = 0;
	FILE       *f;

	assert_non_null(ns);
	assert_int_equal(rpc_pool_responsive(fx->pool), 1);
	assert_int_equal(rpc_pool_responsive(NULL), 0);
	// A replica on SERVER of a primary of machine PRIMARY.
	store_fid_make(&id.fid, 1700000000u, 7, PRIMARY);
	id.start  = 0;
	id.length = sizeof(data);
	assert_int_equal(store_ns_replica_initialize(ns, &id.fid), BB_OK);
	assert_int_equal(
	    store_ns_replica_replicate(ns, &id.fid, 0, data, sizeof(data),
	                               store_hash(data, sizeof(data)), false,
	                               &other.start),
	    BB_OK);
	memset(got, 0, sizeof(got));
	assert_int_equal(rpc_pool_read_any(fx->pool, PRIMARY, "test", &id, got,
	                                   sizeof(got), &m),
	                 BB_OK);
	assert_int_equal(m, SERVER);
	assert_memory_equal(got, data, sizeof(data));
	// The rest from that peer, at an offset.
	assert_int_equal(
	    rpc_pool_read_from(fx->pool, SERVER, "test", &id, 6, got, 10),
	    BB_OK);
	assert_memory_equal(got, data + 6, 10);
	// Not on SERVER, and DOWN_A or DOWN_B could not be asked.
	other = id;
	other.start += sizeof(data);
	assert_int_equal(
	    rpc_pool_read_any(fx->pool, PRIMARY, "test", &other, got, 10, &m),
	    BB_EUNAVAIL);
	// Only peers that are down.
	assert_int_equal(
	    rpc_pool_read_any(fx->pool, SERVER, "test", &id, got, 10, &m),
	    BB_EUNAVAIL);
	assert_int_equal(rpc_pool_read_any(fx->pool, PRIMARY, "test", &id, got,
	                                   RPC_MAX_CHUNK + 1, &m),
	                 BB_EINVAL);

	// SERVER's own fid, only in its archive (a directory of its own).
	store_fid_make(&other.fid, 1700000001u, 9, SERVER);
	other.start  = 3;
	other.length = 10;
	assert_int_equal(
	    store_ns_archive_key(ns, &other.fid, key, sizeof(key)), BB_OK);
	assert_null(strchr(key, '/'));
	(void) snprintf(path, sizeof(path), "%s/ar/%s", fx->n.tmp, key);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, sizeof(data), f), sizeof(data));
	assert_int_equal(fclose(f), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(rpc_pool_read(fx->pool, "test", &other, 0, got, 10),
	                 BB_OK);
	assert_memory_equal(got, data + 3, 10);
	// Beyond the object: not found.
	other.start = sizeof(data);
	assert_int_equal(rpc_pool_read(fx->pool, "test", &other, 0, got, 10),
	                 BB_ENOENT);
	// Another machine's fid in SERVER's archive is not served: only
	// the owner answers for its archive.
	store_fid_make(&other.fid, 1700000001u, 9, PRIMARY);
	other.start = 0;
	assert_int_equal(
	    store_ns_archive_key(ns, &other.fid, key, sizeof(key)), BB_OK);
	(void) snprintf(path, sizeof(path), "%s/ar/%s", fx->n.tmp, key);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, sizeof(data), f), sizeof(data));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(
	    rpc_pool_read_from(fx->pool, SERVER, "test", &other, 0, got, 10),
	    BB_ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_read, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_pool_read_any, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
