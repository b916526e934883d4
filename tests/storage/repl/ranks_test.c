// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/ranks_test.c -- no replica may shadow a primary: a
// node refuses replicas of its own fids unless it is its own peer and the
// primary chose it, and of a primary it holds; a node that is its own peer
// keeps its own replica through the real replica calls.
#define _XOPEN_SOURCE 700 // nftw, in ns_fixture.h
#include "tests/storage/repl/replica_fixture.h"

// The fake peers of a node that is its own peer ([remote.<id>] with its
// own machine id): the one peer is the namespace itself, reached through
// the real replica calls, as blobbyd reaches itself over the RPC.
static bb_err
self_assign(void *ctx, uint32_t n, uint32_t *ids)
{
	uint32_t i;

	(void) ctx;
	for (i = 0; i < n; i++) {
		ids[i] = MACHINE;
	}
	return BB_OK;
}

static void
self_call(void *ctx, const uint32_t *ids, size_t n, const store_call *c,
          store_call_result *res)
{
	ns_fix  *fx = ctx;
	uint64_t off;
	size_t   i;

	for (i = 0; i < n; i++) {
		assert_int_equal(ids[i], MACHINE);
		res[i].shutting_down = false;
		res[i].msg[0]        = '\0';
		switch (c->kind) {
		case STORE_CALL_INITIALIZE:
			res[i].err =
			    store_ns_replica_initialize(fx->ns, &c->fid);
			break;
		case STORE_CALL_REPLICATE:
			res[i].err = store_ns_replica_replicate(
			    fx->ns, &c->fid, c->start, c->data, c->len,
			    c->hash, false, &off);
			break;
		case STORE_CALL_HEARTBEAT:
			res[i].err =
			    store_ns_replica_heartbeat(fx->ns, &c->fid);
			break;
		case STORE_CALL_DELETE:
			res[i].err = store_ns_replica_delete(fx->ns, &c->fid);
			break;
		}
	}
}

// self_open opens the fixture's namespace as a node whose [remote.<id>]
// sections name its own machine id (self_peer), with replicas copies.
static store_remotes self_remotes;

static ns_fix *
self_open(void **state, uint32_t replicas)
{
	ns_fix      *fx              = *state;
	store_ns_env env             = { .machine_id = MACHINE,
		                         .remotes    = &self_remotes,
		                         .self_peer  = true };
	char         why[BB_WHY_LEN] = "";

	self_remotes.ctx                = fx;
	self_remotes.max_chunk          = MAX_CHUNK;
	self_remotes.assign             = self_assign;
	self_remotes.call               = self_call;
	fx->conf.heart_beat_interval_ns = 30 * BB_NS_PER_SEC;
	fx->conf.orphan_timeout_ns      = ORPHAN_NS;
	fx->conf.replicas               = replicas;
	// The first primary is made on the first insert: one made while
	// opening would call back into a namespace not yet returned.
	fx->conf.min_open_files = 0;
	if (store_ns_open(&fx->conf, &env, &fx->ns, why, sizeof(why)) !=
	    BB_OK) {
		fail_msg("store_ns_open: %s", why);
	}
	return fx;
}

// expect_refused checks that every replica call on fid is refused with
// BB_EACCES, that the reason names the cause, and that no r-<fid> exists.
static void
expect_refused(ns_fix *fx, const store_fid *fid, const char *cause)
{
	static const uint8_t junk[100] = { 0xee };
	char                 why[BB_WHY_LEN];

	why[0] = '\0';
	assert_int_equal(store_ns_replica_check(fx->ns, fid, why, sizeof(why)),
	                 BB_EACCES);
	if (strstr(why, cause) == NULL) {
		fail_msg("reason \"%s\" does not say \"%s\"", why, cause);
	}
	assert_int_equal(store_ns_replica_initialize(fx->ns, fid), BB_EACCES);
	assert_int_equal(repl(fx->ns, fid, 0, junk, sizeof(junk), NULL),
	                 BB_EACCES);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, fid), BB_EACCES);
	assert_int_equal(store_ns_replica_delete(fx->ns, fid), BB_EACCES);
	assert_int_equal(rsize(fx, fid), -1);
}

// A node that is not its own peer refuses every replica of a fid that
// names it, whether it holds the primary or not (defect 2: Initialize
// made r-<fid> beside the primary and Replicate filled it with the
// caller's bytes, which reads then returned).
static void
test_own_fid_refused(void **state)
{
	ns_fix   *fx   = ropen(state);
	uint8_t  *blob = make_body(6000, 14);
	store_id  id;
	store_fid later;
	char      why[BB_WHY_LEN];

	insert_ok(fx->ns, blob, 6000, &id);
	expect_refused(fx, &id.fid, "not its own peer");
	store_fid_make(&later, 1900000000u, 77, MACHINE); // not held here
	expect_refused(fx, &later, "not its own peer");
	check_read(fx->ns, &id, blob, 6000);
	assert_int_equal(file_size(fx, &id.fid), 6000);
	// A peer's fid is still fine.
	later = peer_fid(30);
	assert_int_equal(
	    store_ns_replica_check(fx->ns, &later, why, sizeof(why)), BB_OK);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &later), BB_OK);
	free(blob);
}

// A primary <fid> in the map that does not name this node (a file found
// at start-up) gets no replica beside it either.
static void
test_foreign_primary_refused(void **state)
{
	ns_fix   *fx  = *state;
	store_fid fid = peer_fid(31);
	uint8_t  *all = make_body(700, 31);
	store_id  id  = { .fid = fid, .start = 0, .length = 700 };
	char      name[STORE_FID_STRLEN + 1];
	char      path[256];
	int       fd;

	assert_int_equal(mkdir(fx->dir, 0755), 0);
	(void) snprintf(path, sizeof(path), "%s/%s", fx->dir,
	                store_fid_format(&fid, name));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, all, 700), 700);
	(void) close(fd);
	(void) ropen(state);
	expect_refused(fx, &fid, "holds the primary");
	check_read(fx->ns, &id, all, 700);
	free(all);
}

// A node that is its own peer keeps a replica of its own primary when
// that primary chose it: the insert replicates into r-<fid> through the
// replica calls, and reads still serve the primary.
static void
test_own_replica(void **state)
{
	ns_fix   *fx   = self_open(state, 1);
	uint8_t  *blob = make_body(6000, 14);
	uint8_t  *more = make_body(500, 15);
	uint8_t   both[6500];
	store_id  id;
	store_id  id2;
	store_fid f;
	infos     in;

	insert_ok(fx->ns, blob, 6000, &id);
	f = id.fid;
	assert_int_equal(file_size(fx, &f), 6000);
	rcheck(fx, &f, blob, 6000);
	assert_int_equal(store_ns_replica_heartbeat(fx->ns, &f), BB_OK);
	// Only the primary's bytes: a caller that passes for this node
	// can neither extend the replica nor rewrite it.
	assert_int_equal(repl(fx->ns, &f, 6000, more, 500, NULL), BB_EACCES);
	assert_int_equal(repl(fx->ns, &f, 0, more, 500, NULL), BB_EACCES);
	repl_ok(fx->ns, &f, 0, blob, 6000); // a resend of what it holds
	rcheck(fx, &f, blob, 6000);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 2); // the primary and its own replica
	assert_int_equal(replica_info(&in, &f)->size, 6000);
	check_read(fx->ns, &id, blob, 6000);

	insert_ok(fx->ns, more, 500, &id2);
	assert_true(store_fid_equal(&id2.fid, &f));
	assert_int_equal(id2.start, 6000);
	(void) memcpy(both, blob, 6000);
	(void) memcpy(both + 6000, more, 500);
	rcheck(fx, &f, both, 6500);
	assert_int_equal(file_size(fx, &f), 6500);
	assert_int_equal(store_ns_replica_delete(fx->ns, &f), BB_OK);
	assert_int_equal(rsize(fx, &f), -1);
	check_read(fx->ns, &id, blob, 6000);
	check_read(fx->ns, &id2, more, 500);
	free(blob);
	free(more);
}

// Its own peer, but the primary did not choose it (no replicas): no
// r-<fid> beside that primary.  A fid of its own machine that it does not
// hold (a primary being set up) is allowed.
static void
test_own_peer_unchosen(void **state)
{
	ns_fix   *fx   = self_open(state, 0);
	uint8_t  *blob = make_body(3000, 16);
	store_id  id;
	store_fid next;
	char      why[BB_WHY_LEN];

	insert_ok(fx->ns, blob, 3000, &id);
	expect_refused(fx, &id.fid, "holds the primary");
	check_read(fx->ns, &id, blob, 3000);
	store_fid_make(&next, 1900000000u, 78, MACHINE);
	assert_int_equal(
	    store_ns_replica_check(fx->ns, &next, why, sizeof(why)), BB_OK);
	assert_int_equal(store_ns_replica_initialize(fx->ns, &next), BB_OK);
	// ... but no bytes reach it while there is no primary to match.
	assert_int_equal(repl(fx->ns, &next, 0, blob, 100, NULL), BB_EACCES);
	assert_int_equal(rsize(fx, &next), 0);
	free(blob);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_own_fid_refused),
		T(test_foreign_primary_refused),
		T(test_own_replica),
		T(test_own_peer_unchosen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
