// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/ns_test.c -- one namespace (storage.h, spool.h, fileio.h):
// insert and read round trips, sealing by size and age, write and
// truncate failures injected through the I/O table, parallel inserts.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int
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
	ns_fix *fx = *state;

	store_io_set_ops(NULL);
	store_ns_close(fx->ns);
	(void) nftw(fx->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
fx_open(ns_fix *fx)
{
	const char *errmsg = NULL;
	bb_err      rv;

	rv = store_ns_open(&fx->conf, MACHINE, &fx->ns, &errmsg);
	if (rv != BB_OK) {
		fail_msg("store_ns_open: %s (%s)", bb_err_name(rv),
		         errmsg != NULL ? errmsg : "");
	}
	assert_ptr_equal(store_ns_conf(fx->ns), &fx->conf);
}

// ---- helpers --------------------------------------------------------

static uint32_t
rnd_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

// fill writes n bytes derived from seed: any body can be rebuilt.
static void
fill(uint8_t *buf, size_t n, uint32_t seed)
{
	uint32_t s = seed * 2654435761u + 1;
	size_t   i;

	for (i = 0; i < n; i++) {
		buf[i] = (uint8_t) (rnd_next(&s) >> 24);
	}
}

static uint8_t *
make_body(size_t n, uint32_t seed)
{
	uint8_t *b = malloc(n > 0 ? n : 1);

	assert_non_null(b);
	fill(b, n, seed);
	return b;
}

// insert_bytes spools data in odd-sized chunks and inserts it.  expected
// is passed to store_ns_spool (UINT64_MAX: unknown).
static bb_err
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

static void
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
static int
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

static void
check_read(store_ns *ns, const store_id *id, const uint8_t *data, size_t n)
{
	char s[STORE_ID_STRMAX + 1];

	if (read_back(ns, id, data, n) != 0) {
		(void) store_id_format(id, s);
		fail_msg("id %s (start %llu, length %u) does not read back", s,
		         (unsigned long long) id->start, id->length);
	}
}

static void
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
static long long
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

static void
collect_cb(const store_file_info *info, void *arg)
{
	infos *in = arg;

	if (in->n < MAX_INFOS) {
		in->v[in->n] = *info;
	}
	in->n++;
}

static void
collect(store_ns *ns, infos *in)
{
	in->n = 0;
	store_ns_foreach(ns, collect_cb, in);
	assert_true(in->n <= MAX_INFOS);
}

static const store_file_info *
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

// count_state counts the files of ns in the given state.
static int
count_state(const infos *in, const char *state)
{
	int i;
	int n = 0;

	for (i = 0; i < in->n; i++) {
		if (strcmp(in->v[i].state, state) == 0) {
			n++;
		}
	}
	return n;
}

static int
count_open_fds(void)
{
	DIR           *d = opendir("/proc/self/fd");
	struct dirent *de;
	int            n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			n++;
		}
	}
	(void) closedir(d);
	return n;
}

// ---- fault injection ------------------------------------------------

static store_io_ops fault_ops;
static atomic_int   fault_pwrite_calls;
static atomic_int   fault_copy_calls;
static atomic_int   fault_truncate_calls;

// A write that gets half way, then finds the disk full.
static ssize_t
fault_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (atomic_fetch_add(&fault_pwrite_calls, 1) == 0 && n > 1) {
		return store_io_real()->pwrite(fd, buf, n / 2, off);
	}
	errno = ENOSPC;
	return -1;
}

static ssize_t
fault_copy(int in, off_t *in_off, int out, off_t *out_off, size_t n)
{
	if (atomic_fetch_add(&fault_copy_calls, 1) == 0 && n > 1) {
		return store_io_real()->copy_file_range(in, in_off, out,
		                                        out_off, n / 2);
	}
	errno = ENOSPC;
	return -1;
}

static int
fault_ftruncate(int fd, off_t len)
{
	(void) fd;
	(void) len;
	atomic_fetch_add(&fault_truncate_calls, 1);
	errno = EIO;
	return -1;
}

static void
fault_arm(bool fail_truncate)
{
	fault_ops                 = *store_io_real();
	fault_ops.pwrite          = fault_pwrite;
	fault_ops.copy_file_range = fault_copy;
	if (fail_truncate) {
		fault_ops.ftruncate = fault_ftruncate;
	}
	atomic_store(&fault_pwrite_calls, 0);
	atomic_store(&fault_copy_calls, 0);
	atomic_store(&fault_truncate_calls, 0);
	store_io_set_ops(&fault_ops);
}

// ---- tests ----------------------------------------------------------

static void
test_open_creates_directory(void **state)
{
	ns_fix     *fx = *state;
	struct stat st;
	infos       in;

	assert_int_equal(stat(fx->dir, &st), -1);
	fx_open(fx);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	// min_open_files primaries are open at once, empty and idle.
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	assert_true(in.v[0].primary);
	assert_false(in.v[0].replica);
	assert_string_equal(in.v[0].state, "waiting");
	assert_int_equal(in.v[0].size, 0);
	assert_int_equal(in.v[0].first_insert_wall_ns, 0);
	assert_int_equal(store_fid_machine(&in.v[0].fid), MACHINE);
	assert_int_equal(file_size(fx, &in.v[0].fid), 0);
}

static void
test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = {
		0, 1, 1000, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024
	};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	ns_fix  *fx = *state;
	uint8_t *bodies[2 * N];
	store_id ids[2 * N];
	size_t   i;
	size_t   n;
	bb_err   rv;
	infos    in;

	fx_open(fx);
	for (i = 0; i < 2 * N; i++) {
		n         = sizes[i % N];
		bodies[i] = make_body(n, (uint32_t) i);
		// First round announces the length, second does not.
		rv = insert_bytes(fx->ns, bodies[i], n, i < N ? n : UINT64_MAX,
		                  &ids[i]);
		if (rv != BB_OK) {
			fail_msg("insert %zu bytes: %s", n, bb_err_name(rv));
		}
		assert_int_equal(ids[i].length, n);
		assert_int_equal(store_fid_machine(&ids[i].fid), MACHINE);
		check_read(fx->ns, &ids[i], bodies[i], n);
	}
	// Later inserts did not disturb earlier ones.
	for (i = 0; i < 2 * N; i++) {
		check_read(fx->ns, &ids[i], bodies[i], sizes[i % N]);
	}
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	assert_int_equal(in.v[0].size,
	                 ids[2 * N - 1].start + ids[2 * N - 1].length);
	assert_true(in.v[0].first_insert_wall_ns > 0);
	for (i = 0; i < 2 * N; i++) {
		free(bodies[i]);
	}
}

// A body past STORE_SPOOL_MEM moves to an anonymous temporary file.
static void
test_spool_to_file(void **state)
{
	ns_fix      *fx = *state;
	store_spool *sp = NULL;
	uint8_t     *body;
	store_id     id;
	int          fds;

	fx_open(fx);
	body = make_body(STORE_SPOOL_MEM + 1, 99);
	fds  = count_open_fds();
	assert_int_equal(store_ns_spool(fx->ns, UINT64_MAX, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, body, STORE_SPOOL_MEM), BB_OK);
	assert_int_equal(count_open_fds(), fds); // still in memory
	assert_int_equal(store_spool_write(sp, body + STORE_SPOOL_MEM, 1),
	                 BB_OK);
	assert_int_equal(count_open_fds(), fds + 1); // now a file
	assert_int_equal(store_spool_size(sp), STORE_SPOOL_MEM + 1);
	assert_int_equal(store_ns_insert(fx->ns, sp, &id), BB_OK);
	// copy_to does not consume the spool: a second insert works too.
	check_read(fx->ns, &id, body, STORE_SPOOL_MEM + 1);
	assert_int_equal(store_ns_insert(fx->ns, sp, &id), BB_OK);
	assert_int_equal(id.start, STORE_SPOOL_MEM + 1);
	check_read(fx->ns, &id, body, STORE_SPOOL_MEM + 1);
	store_spool_free(sp);
	assert_int_equal(count_open_fds(), fds);

	// Announced above the memory part: a file from the start.
	assert_int_equal(store_ns_spool(fx->ns, STORE_SPOOL_MEM + 1, &sp),
	                 BB_OK);
	assert_int_equal(count_open_fds(), fds + 1);
	store_spool_free(sp);
	assert_int_equal(count_open_fds(), fds);
	free(body);
}

static void
test_contiguous_ids(void **state)
{
	ns_fix  *fx = *state;
	uint8_t *body;
	store_id ids[20];
	uint64_t total = 0;
	size_t   n;
	int      i;

	fx_open(fx);
	for (i = 0; i < 20; i++) {
		n    = (size_t) (i * 37 % 500);
		body = make_body(n, (uint32_t) (100 + i));
		insert_ok(fx->ns, body, n, &ids[i]);
		free(body);
		if (i > 0) {
			assert_true(store_fid_equal(&ids[i].fid, &ids[0].fid));
			assert_true(ids[i].start ==
			            ids[i - 1].start + ids[i - 1].length);
		} else {
			assert_int_equal(ids[0].start, 0);
		}
		total += n;
	}
	assert_int_equal(file_size(fx, &ids[0].fid), (long long) total);
	for (i = 0; i < 20; i++) {
		n    = (size_t) (i * 37 % 500);
		body = make_body(n, (uint32_t) (100 + i));
		check_read(fx->ns, &ids[i], body, n);
		free(body);
	}
}

static void
test_read_bounds(void **state)
{
	ns_fix   *fx = *state;
	uint8_t  *body;
	store_id  id;
	store_fid other;
	int       fd;
	uint64_t  off;

	fx_open(fx);
	body = make_body(100, 7);
	insert_ok(fx->ns, body, 100, &id);
	check_read(fx->ns, &id, body, 100);

	// Inside the committed range.
	id.start  = 10;
	id.length = 90;
	check_read(fx->ns, &id, body + 10, 90);
	id.start  = 100;
	id.length = 0;
	assert_int_equal(store_ns_read(fx->ns, &id, &fd, &off), BB_OK);
	assert_int_equal(off, 100);
	assert_int_equal(close(fd), 0);

	// Beyond it.
	expect_enoent(fx->ns, 0, 101, &id.fid);
	expect_enoent(fx->ns, 50, 51, &id.fid);
	expect_enoent(fx->ns, 100, 1, &id.fid);
	expect_enoent(fx->ns, 101, 0, &id.fid);
	expect_enoent(fx->ns, UINT32_MAX, UINT32_MAX, &id.fid);
	expect_enoent(fx->ns, UINT64_MAX, 1, &id.fid);
	expect_enoent(fx->ns, UINT64_MAX, 0, &id.fid);
	expect_enoent(fx->ns, UINT64_MAX - 50, 100, &id.fid);

	// Unknown fids: other machine, other counter, all zero.
	store_fid_make(&other, store_fid_seconds(&id.fid),
	               store_fid_counter(&id.fid), MACHINE + 1);
	expect_enoent(fx->ns, 0, 1, &other);
	store_fid_make(&other, store_fid_seconds(&id.fid),
	               (uint16_t) (store_fid_counter(&id.fid) + 100), MACHINE);
	expect_enoent(fx->ns, 0, 1, &other);
	memset(&other, 0, sizeof(other));
	expect_enoent(fx->ns, 0, 0, &other);
	free(body);
}

static void
test_spool_limit(void **state)
{
	ns_fix      *fx = *state;
	store_spool *sp = NULL;
	uint8_t     *body;
	store_id     id;

	fx->conf.max_blob_size = 100000; // above the memory part
	fx_open(fx);
	body = make_body(100001, 3);

	assert_int_equal(store_ns_spool(fx->ns, 100001, &sp), BB_ETOOBIG);
	assert_int_equal(store_ns_spool(fx->ns, UINT64_MAX - 1, &sp),
	                 BB_ETOOBIG);

	// Announced at the limit: fine.
	assert_int_equal(store_ns_spool(fx->ns, 100000, &sp), BB_OK);
	store_spool_free(sp);
	sp = NULL;

	// Unknown length: the limit applies to what is written.
	assert_int_equal(store_ns_spool(fx->ns, UINT64_MAX, &sp), BB_OK);
	assert_int_equal(store_spool_write(sp, body, 60000), BB_OK);
	assert_int_equal(store_spool_write(sp, body + 60000, 40001),
	                 BB_ETOOBIG);
	assert_int_equal(store_spool_size(sp), 60000); // nothing appended
	assert_int_equal(store_spool_write(sp, body + 60000, 40000), BB_OK);
	assert_int_equal(store_spool_write(sp, body, 1), BB_ETOOBIG);
	assert_int_equal(store_spool_write(sp, body, SIZE_MAX), BB_ETOOBIG);
	assert_int_equal(store_spool_size(sp), 100000);
	assert_int_equal(store_ns_insert(fx->ns, sp, &id), BB_OK);
	store_spool_free(sp);
	check_read(fx->ns, &id, body, 100000);

	// Whole body over the limit through the helper too.
	assert_int_equal(insert_bytes(fx->ns, body, 100001, UINT64_MAX, &id),
	                 BB_ETOOBIG);
	free(body);
}

static void
test_seal_by_size(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *a;
	uint8_t               *b;
	store_id               ida;
	store_id               idb;
	store_id               idc;
	store_id               idd;
	infos                  in;
	const store_file_info *fi;

	fx->conf.upload_file_size = 10;
	fx_open(fx);
	a = make_body(11, 1);
	b = make_body(11, 2);
	insert_ok(fx->ns, a, 11, &ida);
	insert_ok(fx->ns, b, 11, &idb);
	assert_false(store_fid_equal(&ida.fid, &idb.fid));
	assert_int_equal(ida.start, 0);
	assert_int_equal(idb.start, 0);

	collect(fx->ns, &in);
	fi = find_info(&in, &ida.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, 11);
	assert_true(fi->primary);
	check_read(fx->ns, &ida, a, 11);
	check_read(fx->ns, &idb, b, 11);

	// Strictly greater: exactly upload_file_size stays open.
	insert_ok(fx->ns, a, 10, &idc);
	assert_false(store_fid_equal(&idc.fid, &idb.fid));
	collect(fx->ns, &in);
	fi = find_info(&in, &idc.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "waiting");
	insert_ok(fx->ns, b, 1, &idd);
	assert_true(store_fid_equal(&idd.fid, &idc.fid));
	assert_int_equal(idd.start, 10);
	collect(fx->ns, &in);
	assert_string_equal(find_info(&in, &idc.fid)->state, "pending-upload");
	assert_int_equal(count_state(&in, "pending-upload"), 3);
	check_read(fx->ns, &idc, a, 10);
	check_read(fx->ns, &idd, b, 1);
	free(a);
	free(b);
}

static void
test_seal_by_age(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *body;
	store_id               id;
	store_fid              p1;
	store_fid              p2;
	infos                  in;
	const store_file_info *fi;
	int64_t                older;
	int                    i;

	fx->conf.upload_older_ns = 60 * BB_NS_PER_SEC;
	older                    = fx->conf.upload_older_ns;
	fx_open(fx);
	body = make_body(500, 5);
	insert_ok(fx->ns, body, 500, &id);

	// Not expired yet: nothing happens.
	store_ns_tick(fx->ns, bb_clock_mono_ns());
	collect(fx->ns, &in);
	assert_int_equal(in.n, 1);
	assert_string_equal(in.v[0].state, "waiting");

	store_ns_tick(fx->ns, bb_clock_mono_ns() + older + BB_NS_PER_SEC);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 2);
	fi = find_info(&in, &id.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, 500);
	check_read(fx->ns, &id, body, 500);
	assert_int_equal(count_state(&in, "waiting"), 1);
	for (i = 0; i < in.n; i++) {
		if (strcmp(in.v[i].state, "waiting") == 0) {
			p1 = in.v[i].fid;
		}
	}
	assert_false(store_fid_equal(&p1, &id.fid));
	assert_int_equal(file_size(fx, &p1), 0);

	// The new primary expires empty: removed and unlinked, not sealed,
	// and replaced to keep min_open_files.
	store_ns_tick(fx->ns, bb_clock_mono_ns() + older + BB_NS_PER_SEC);
	collect(fx->ns, &in);
	assert_null(find_info(&in, &p1));
	assert_int_equal(file_size(fx, &p1), -1);
	assert_int_equal(in.n, 2);
	assert_int_equal(count_state(&in, "pending-upload"), 1);
	assert_int_equal(count_state(&in, "waiting"), 1);
	for (i = 0; i < in.n; i++) {
		if (strcmp(in.v[i].state, "waiting") == 0) {
			p2 = in.v[i].fid;
		}
	}
	assert_false(store_fid_equal(&p2, &p1));
	assert_int_equal(file_size(fx, &p2), 0);

	// The sealed file is never appended to: the next insert goes to p2.
	insert_ok(fx->ns, body, 100, &id);
	assert_true(store_fid_equal(&id.fid, &p2));
	assert_int_equal(id.start, 0);
	free(body);
}

static void
test_write_failure_enospc(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *body;
	store_id               id0;
	store_id               id1;
	store_id               id2;
	infos                  in;
	const store_file_info *fi;
	bb_err                 rv;

	fx_open(fx);
	body = make_body(200000, 11);
	insert_ok(fx->ns, body, 100, &id0);

	// Memory spool: the pwrite path.
	fault_arm(false);
	rv = insert_bytes(fx->ns, body + 100, 50, 50, &id1);
	store_io_set_ops(NULL);
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_pwrite_calls) >= 2); // partial, fail
	assert_int_equal(file_size(fx, &id0.fid), 100);
	collect(fx->ns, &in);
	fi = find_info(&in, &id0.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "waiting");
	assert_int_equal(fi->size, 100);
	expect_enoent(fx->ns, 100, 25, &id0.fid);

	insert_ok(fx->ns, body + 100, 50, &id1);
	assert_true(store_fid_equal(&id1.fid, &id0.fid));
	assert_int_equal(id1.start, 100);

	// File spool: the copy path.  The spool is filled before the fault
	// is armed, so only the copy into the primary fails.
	{
		store_spool *sp = NULL;

		assert_int_equal(store_ns_spool(fx->ns, 150000, &sp), BB_OK);
		assert_int_equal(store_spool_write(sp, body + 150, 150000),
		                 BB_OK);
		fault_arm(false);
		rv = store_ns_insert(fx->ns, sp, &id2);
		store_io_set_ops(NULL);
		store_spool_free(sp);
	}
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_copy_calls) >= 1);
	assert_int_equal(file_size(fx, &id0.fid), 150);
	insert_ok(fx->ns, body + 150, 150000, &id2);
	assert_true(store_fid_equal(&id2.fid, &id0.fid));
	assert_int_equal(id2.start, 150);

	check_read(fx->ns, &id0, body, 100);
	check_read(fx->ns, &id1, body + 100, 50);
	check_read(fx->ns, &id2, body + 150, 150000);
	assert_int_equal(file_size(fx, &id0.fid), 150150);
	free(body);
}

static void
test_truncate_failure(void **state)
{
	ns_fix                *fx = *state;
	uint8_t               *body;
	store_id               id0;
	store_id               id1;
	infos                  in;
	const store_file_info *fi;
	bb_err                 rv;

	fx_open(fx);
	body = make_body(300, 12);
	insert_ok(fx->ns, body, 100, &id0);

	fault_arm(true);
	rv = insert_bytes(fx->ns, body + 100, 100, 100, &id1);
	store_io_set_ops(NULL);
	assert_int_equal(rv, BB_ENOSPC);
	assert_true(atomic_load(&fault_truncate_calls) >= 1);

	// The file could not be cut back, so it is retired, with only the
	// acknowledged bytes counted.
	collect(fx->ns, &in);
	fi = find_info(&in, &id0.fid);
	assert_non_null(fi);
	assert_string_equal(fi->state, "pending-upload");
	assert_int_equal(fi->size, 100);
	expect_enoent(fx->ns, 100, 1, &id0.fid);
	check_read(fx->ns, &id0, body, 100);

	insert_ok(fx->ns, body + 100, 100, &id1);
	assert_false(store_fid_equal(&id1.fid, &id0.fid));
	assert_int_equal(id1.start, 0);
	check_read(fx->ns, &id1, body + 100, 100);
	// The retired file is never written again.
	insert_ok(fx->ns, body + 200, 100, &id1);
	assert_false(store_fid_equal(&id1.fid, &id0.fid));
	collect(fx->ns, &in);
	assert_int_equal(find_info(&in, &id0.fid)->size, 100);
	free(body);
}

#define PAR_THREADS 4
#define PAR_INSERTS 200

typedef struct {
	store_ns *ns;
	uint32_t  thread;
	store_id  ids[PAR_INSERTS];
	size_t    sizes[PAR_INSERTS];
	int       failures; // checked by the main thread
	bb_err    first_err;
} par_arg;

static size_t
par_size(uint32_t *seed, int i)
{
	// Mostly small, a few past the memory spool.
	if (i % 50 == 49) {
		return STORE_SPOOL_MEM + 1 + rnd_next(seed) % 5000;
	}
	return 1 + rnd_next(seed) % 4000;
}

static void *
par_thread(void *arg)
{
	par_arg *pa   = arg;
	uint32_t seed = 1000 + pa->thread;
	uint8_t *body;
	bb_err   rv;
	int      i;

	for (i = 0; i < PAR_INSERTS; i++) {
		pa->sizes[i] = par_size(&seed, i);
		body         = malloc(pa->sizes[i]);
		if (body == NULL) {
			pa->failures++;
			continue;
		}
		fill(body, pa->sizes[i], pa->thread * 100000 + (uint32_t) i);
		rv = insert_bytes(pa->ns, body, pa->sizes[i],
		                  i % 2 == 0 ? pa->sizes[i] : UINT64_MAX,
		                  &pa->ids[i]);
		if (rv != BB_OK) {
			if (pa->failures++ == 0) {
				pa->first_err = rv;
			}
		} else if (read_back(pa->ns, &pa->ids[i], body,
		                     pa->sizes[i]) != 0) {
			pa->failures++;
		}
		free(body);
	}
	return NULL;
}

static int
cmp_id(const void *a, const void *b)
{
	const store_id *x = a;
	const store_id *y = b;
	int             c = memcmp(x->fid.b, y->fid.b, STORE_FID_LEN);

	if (c != 0) {
		return c;
	}
	return x->start < y->start ? -1 : x->start > y->start;
}

static void
test_parallel_inserts(void **state)
{
	ns_fix         *fx = *state;
	static par_arg  args[PAR_THREADS];
	static store_id all[PAR_THREADS * PAR_INSERTS];
	pthread_t       th[PAR_THREADS];
	uint8_t        *body;
	int             t;
	int             i;
	int             k = 0;
	int             nfids;
	infos           in;

	fx->conf.max_open_files = 2;
	fx_open(fx);
	for (t = 0; t < PAR_THREADS; t++) {
		memset(&args[t], 0, sizeof(args[t]));
		args[t].ns     = fx->ns;
		args[t].thread = (uint32_t) t;
		assert_int_equal(
		    pthread_create(&th[t], NULL, par_thread, &args[t]), 0);
	}
	for (t = 0; t < PAR_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
	}
	for (t = 0; t < PAR_THREADS; t++) {
		if (args[t].failures != 0) {
			fail_msg("thread %d: %d failures (first %s)", t,
			         args[t].failures,
			         bb_err_name(args[t].first_err));
		}
	}
	// Every id reads back its own bytes after all the writing.
	for (t = 0; t < PAR_THREADS; t++) {
		for (i = 0; i < PAR_INSERTS; i++) {
			body = make_body(args[t].sizes[i],
			                 (uint32_t) t * 100000 + (uint32_t) i);
			check_read(fx->ns, &args[t].ids[i], body,
			           args[t].sizes[i]);
			free(body);
			assert_int_equal(
			    store_fid_machine(&args[t].ids[i].fid), MACHINE);
			all[k++] = args[t].ids[i];
		}
	}
	// Distinct and non-overlapping within each file.
	qsort(all, (size_t) k, sizeof(all[0]), cmp_id);
	nfids = 1;
	for (i = 1; i < k; i++) {
		if (!store_fid_equal(&all[i].fid, &all[i - 1].fid)) {
			nfids++;
			continue;
		}
		assert_true(all[i].start >=
		            all[i - 1].start + all[i - 1].length);
	}
	assert_true(nfids >= 1 && nfids <= 2); // max_open_files
	collect(fx->ns, &in);
	assert_true(in.n <= 2);
	for (i = 0; i < in.n; i++) {
		assert_int_equal(file_size(fx, &in.v[i].fid),
		                 (long long) in.v[i].size);
	}
}

// Every name in the directory is a 14-character fid of a file of ns, and
// no temporary spool file is left behind.
static void
test_file_names(void **state)
{
	ns_fix        *fx = *state;
	uint8_t       *body;
	store_id       id;
	store_fid      fid;
	DIR           *d;
	struct dirent *de;
	infos          in;
	int            names = 0;
	int            i;

	fx->conf.upload_file_size = 1000;
	fx_open(fx);
	body = make_body(STORE_SPOOL_MEM + 10, 8);
	for (i = 0; i < 6; i++) {
		insert_ok(fx->ns, body,
		          i % 2 == 0 ? 600 : STORE_SPOOL_MEM + 10, &id);
	}
	free(body);
	collect(fx->ns, &in);
	assert_int_equal(in.n, 3); // three sealed by size

	d = opendir(fx->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		names++;
		if (strlen(de->d_name) != STORE_FID_STRLEN ||
		    store_fid_parse(de->d_name, STORE_FID_STRLEN, &fid) !=
		        BB_OK ||
		    find_info(&in, &fid) == NULL) {
			fail_msg("unexpected file %s", de->d_name);
		}
	}
	(void) closedir(d);
	assert_int_equal(names, in.n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_directory,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_sizes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_spool_to_file, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_contiguous_ids, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_read_bounds, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_spool_limit, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_seal_by_size, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_seal_by_age, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_enospc,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_failure, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_parallel_inserts, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_file_names, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
