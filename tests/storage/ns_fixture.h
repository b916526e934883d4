// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/ns_fixture.h -- what the namespace tests share (ns, seal,
// recover, lifecycle, replica): a namespace in a temporary directory
// (define _XOPEN_SOURCE 700 first, for nftw), bodies rebuilt from a seed,
// insert, read-back and listing helpers.
#ifndef TESTS_STORAGE_NS_FIXTURE_H
#define TESTS_STORAGE_NS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/tmpdir.h"
#include "common/clock.h"
#include "storage/fileio.h"
#include "storage/spool.h"
#include "storage/storage.h"

#define MACHINE   UINT32_C(0x0a0b0c0d)
#define MIB       (UINT64_C(1) << 20)
#define MAX_INFOS 64

typedef struct {
	char       tmp[64];
	char       dir[128];
	bb_ns_conf conf;
	store_ns  *ns;
} ns_fix;

// ---- fixture --------------------------------------------------------

static inline int
setup(void **state)
{
	ns_fix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_ns_test.XXXXXX");
	if (mkdtemp(fx->tmp) == NULL) {
		free(fx);
		return -1;
	}
	(void) snprintf(fx->dir, sizeof(fx->dir), "%s/ns", fx->tmp);
	fx->conf.name             = "test";
	fx->conf.directory        = fx->dir;
	fx->conf.min_open_files   = 1;
	fx->conf.max_open_files   = 1;
	fx->conf.replicas         = 0;
	fx->conf.upload_file_size = 1024 * MIB;
	fx->conf.upload_older_ns  = 3600 * BB_NS_PER_SEC;
	fx->conf.max_blob_size    = 4 * MIB;
	*state                    = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	ns_fix *fx = *state;

	store_io_set_ops(NULL);
	store_ns_close(fx->ns);
	bbt_rmtree(fx->tmp);
	free(fx);
	return 0;
}

static inline void
fx_open(ns_fix *fx)
{
	store_ns_env env             = { .machine_id = MACHINE };
	char         why[BB_WHY_LEN] = "";
	bb_err       rv;

	rv = store_ns_open(&fx->conf, &env, &fx->ns, why, sizeof(why));
	if (rv != BB_OK) {
		fail_msg("store_ns_open: %s (%s)", bb_err_name(rv), why);
	}
	assert_ptr_equal(store_ns_conf(fx->ns), &fx->conf);
}

// ---- helpers --------------------------------------------------------

static inline uint32_t
rnd_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

// fill writes n bytes derived from seed: any body can be rebuilt.
static inline void
fill(uint8_t *buf, size_t n, uint32_t seed)
{
	uint32_t s = seed * 2654435761u + 1;
	size_t   i;

	for (i = 0; i < n; i++) {
		buf[i] = (uint8_t) (rnd_next(&s) >> 24);
	}
}

static inline uint8_t *
make_body(size_t n, uint32_t seed)
{
	uint8_t *b = malloc(n > 0 ? n : 1);

	assert_non_null(b);
	fill(b, n, seed);
	return b;
}

// insert_bytes spools data in odd-sized chunks and inserts it.  expected
// is passed to store_ns_spool (UINT64_MAX: unknown).
static inline bb_err
insert_bytes(store_ns *ns, const uint8_t *data, size_t n, uint64_t expected,
             store_id *id)
{
	store_spool *sp = NULL;
	size_t       off;
	size_t       chunk;
	bb_err       rv;

	rv = store_ns_spool(ns, expected, &sp);
	if (rv != BB_OK) {
		return rv;
	}
	for (off = 0; off < n; off += chunk) {
		chunk = n - off < 7919 ? n - off : 7919;
		rv    = store_spool_write(sp, data + off, chunk);
		if (rv != BB_OK) {
			goto done;
		}
	}
	if (store_spool_size(sp) != n) {
		rv = BB_EIO;
		goto done;
	}
	rv = store_ns_insert(ns, sp, id);
done:
	store_spool_free(sp);
	return rv;
}

static inline void
insert_ok(store_ns *ns, const uint8_t *data, size_t n, store_id *id)
{
	bb_err rv = insert_bytes(ns, data, n, n, id);

	if (rv != BB_OK) {
		fail_msg("insert of %zu bytes: %s", n, bb_err_name(rv));
	}
	assert_int_equal(id->length, n);
	assert_int_equal(store_fid_machine(&id->fid), MACHINE);
}

// read_back returns 0 when id reads back exactly data[0..n).
static inline int
read_back(store_ns *ns, const store_id *id, const uint8_t *data, size_t n)
{
	uint8_t *buf = malloc(n + 1);
	uint64_t off = 0;
	int      fd  = -1;
	ssize_t  r;
	size_t   got = 0;
	int      res = -1;

	if (buf == NULL || id->length != n) {
		goto done;
	}
	if (store_ns_read(ns, id, &fd, &off) != BB_OK) {
		goto done;
	}
	if (off != id->start) {
		goto done;
	}
	while (got < n) {
		r = pread(fd, buf + got, n - got, (off_t) (off + got));
		if (r <= 0) {
			goto done;
		}
		got += (size_t) r;
	}
	res = memcmp(buf, data, n) == 0 ? 0 : -1;
done:
	if (fd >= 0) {
		(void) close(fd);
	}
	free(buf);
	return res;
}

static inline void
check_read(store_ns *ns, const store_id *id, const uint8_t *data, size_t n)
{
	char s[STORE_ID_STRMAX + 1];

	if (read_back(ns, id, data, n) != 0) {
		(void) store_id_format(id, s);
		fail_msg("id %s (start %llu, length %u) does not read back", s,
		         (unsigned long long) id->start, id->length);
	}
}

static inline void
expect_enoent(store_ns *ns, uint64_t start, uint32_t length,
              const store_fid *fid)
{
	store_id id;
	int      fd  = -1;
	uint64_t off = 0;
	bb_err   rv;

	id.fid    = *fid;
	id.start  = start;
	id.length = length;
	rv        = store_ns_read(ns, &id, &fd, &off);
	if (rv == BB_OK) {
		(void) close(fd);
	}
	if (rv != BB_ENOENT) {
		fail_msg("read (%llu, %u): got %s, want BB_ENOENT",
		         (unsigned long long) start, length, bb_err_name(rv));
	}
}

// file_size returns the size on disk of the data file of fid, or -1.
static inline long long
file_size(const ns_fix *fx, const store_fid *fid)
{
	char        name[STORE_FID_STRLEN + 1];
	char        path[256];
	struct stat st;

	(void) snprintf(path, sizeof(path), "%s/%s", fx->dir,
	                store_fid_format(fid, name));
	if (stat(path, &st) != 0) {
		return -1;
	}
	return (long long) st.st_size;
}

typedef struct {
	int             n;
	store_file_info v[MAX_INFOS];
} infos;

static inline void
collect_cb(const store_file_info *info, void *arg)
{
	infos *in = arg;

	if (in->n < MAX_INFOS) {
		in->v[in->n] = *info;
	}
	in->n++;
}

static inline void
collect(store_ns *ns, infos *in)
{
	in->n = 0;
	store_ns_foreach(ns, collect_cb, in);
	assert_true(in->n <= MAX_INFOS);
}

static inline const store_file_info *
find_info(const infos *in, const store_fid *fid)
{
	int i;

	for (i = 0; i < in->n; i++) {
		if (store_fid_equal(&in->v[i].fid, fid)) {
			return &in->v[i];
		}
	}
	return NULL;
}

#endif // TESTS_STORAGE_NS_FIXTURE_H
