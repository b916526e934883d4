// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/repl/replica_fixture.h -- what the replica tests
// (replica_test.c, ranks_test.c) share: the namespace of ns_fixture.h
// opened with the orphan timer on, fids of a peer's primaries, and checks
// of r-<fid> files and of replica states.  Define _XOPEN_SOURCE 700 first.
#ifndef TESTS_STORAGE_REPL_REPLICA_FIXTURE_H
#define TESTS_STORAGE_REPL_REPLICA_FIXTURE_H

#include "tests/storage/ns_fixture.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "storage/remote.h"

#define PEER        UINT32_C(7) // the machine id of the primaries' node
#define ORPHAN_NS   (60 * BB_NS_PER_SEC)
#define NCHUNKS     100
#define NTHREADS    4
#define MAX_CHUNK   3000
#define THREAD_SIZE (NCHUNKS * MAX_CHUNK)

// ---- helpers --------------------------------------------------------

// ropen opens the fixture's namespace with the orphan timer on.
static inline ns_fix *
ropen(void **state)
{
	ns_fix *fx = *state;

	fx->conf.heart_beat_interval_ns = 30 * BB_NS_PER_SEC;
	fx->conf.orphan_timeout_ns      = ORPHAN_NS;
	fx_open(fx);
	return fx;
}

static inline store_fid
peer_fid(uint16_t counter)
{
	store_fid fid;

	store_fid_make(&fid, 1700000000u, counter, PEER);
	return fid;
}

static inline void
rpath(const ns_fix *fx, const store_fid *fid, char *path, size_t n)
{
	char name[STORE_FID_STRLEN + 1];

	(void) snprintf(path, n, "%s/r-%s", fx->dir,
	                store_fid_format(fid, name));
}

// rsize returns the size on disk of r-<fid>, or -1 if there is none.
static inline long long
rsize(const ns_fix *fx, const store_fid *fid)
{
	char        path[256];
	struct stat st;

	rpath(fx, fid, path, sizeof(path));
	if (stat(path, &st) != 0) {
		return -1;
	}
	return (long long) st.st_size;
}

// rcheck fails unless r-<fid> holds exactly data[0..n).
static inline void
rcheck(const ns_fix *fx, const store_fid *fid, const uint8_t *data, size_t n)
{
	char     path[256];
	uint8_t *buf = malloc(n + 1);
	ssize_t  r;
	int      fd;

	assert_non_null(buf);
	assert_int_equal(rsize(fx, fid), (long long) n);
	rpath(fx, fid, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = pread(fd, buf, n + 1, 0);
	(void) close(fd);
	assert_int_equal(r, (ssize_t) n);
	assert_memory_equal(buf, data, n);
	free(buf);
}

static inline bb_err
repl(store_ns *ns, const store_fid *fid, uint64_t start, const void *data,
     size_t len, uint64_t *offp)
{
	uint64_t off = UINT64_MAX;
	bb_err   rv;

	rv = store_ns_replica_replicate(ns, fid, start, data, len,
	                                store_hash(data, len), false, &off);
	if (offp != NULL) {
		*offp = off;
	}
	return rv;
}

static inline void
repl_ok(store_ns *ns, const store_fid *fid, uint64_t start, const void *data,
        size_t len)
{
	uint64_t off = 0;
	bb_err   rv  = repl(ns, fid, start, data, len, &off);

	if (rv != BB_OK) {
		fail_msg("replicate %zu bytes at %llu: %s", len,
		         (unsigned long long) start, bb_err_name(rv));
	}
	assert_int_equal(off, start + len);
}

// replica_info returns what foreach reports about the replica of fid.
static inline const store_file_info *
replica_info(const infos *in, const store_fid *fid)
{
	int i;

	for (i = 0; i < in->n; i++) {
		if (in->v[i].replica && store_fid_equal(&in->v[i].fid, fid)) {
			return &in->v[i];
		}
	}
	return NULL;
}

static inline void
expect_state(store_ns *ns, const store_fid *fid, const char *state)
{
	infos                  in;
	const store_file_info *fi;

	collect(ns, &in);
	fi = replica_info(&in, fid);
	if (state == NULL) {
		assert_null(fi);
		return;
	}
	assert_non_null(fi);
	assert_string_equal(fi->state, state);
}

// expect_closed checks that a sealed or failed replica refuses appends
// (even at its length), heart beats and a new Initialize.
static inline void
expect_closed(store_ns *ns, const store_fid *fid, uint64_t length)
{
	assert_int_equal(repl(ns, fid, length, "x", 1, NULL), BB_ESTATE);
	assert_int_equal(store_ns_replica_heartbeat(ns, fid), BB_ESTATE);
	assert_int_equal(store_ns_replica_initialize(ns, fid), BB_ESTATE);
}

#endif // TESTS_STORAGE_REPL_REPLICA_FIXTURE_H
