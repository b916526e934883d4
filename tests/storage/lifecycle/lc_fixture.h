// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/lifecycle/lc_fixture.h -- what the lifecycle tests
// (lifecycle_test.c, objects_test.c) share: a namespace with a lifecycle
// and a fake archive in front of a real directory archive (fails, hangs or
// plants another object on demand), fake peers that count deletes, and
// the wait, seal and read-back helpers.  Define _XOPEN_SOURCE 700 first.
#ifndef TESTS_STORAGE_LIFECYCLE_LC_FIXTURE_H
#define TESTS_STORAGE_LIFECYCLE_LC_FIXTURE_H

#include "tests/storage/ns_fixture.h"

#include <pthread.h>
#include <time.h>

#include "storage/archive/archive.h"
#include "storage/lifecycle/lifecycle.h"

#define WAIT_NS (20 * BB_NS_PER_SEC)

static inline void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	(void) nanosleep(&ts, NULL);
}

// A fake archive in front of a real directory archive: fails the next
// `fail` puts, or hangs in put until cancelled.
typedef struct {
	store_archive  *real;
	int             fail;
	bool            hang;
	int             puts;
	int             failed;
	pthread_mutex_t mu;
	char            lose[512];   // unlinked (once) by the next put
	store_ns       *ns;          // set once open: states seen by put
	char            seen[2][32]; // states of the files during put
	int             nseen;
	// If set, the next put first writes other bytes as the object
	// under <plant>/<key>: another copy archived them before us.
	char plant[160];
	char planted[512]; // the path it wrote
	bool longer;       // plant the file's bytes and more instead
} fake_arc;

static inline void
seen_cb(const store_file_info *info, void *arg)
{
	fake_arc *f = arg;

	if (!info->primary || f->nseen >= 2) {
		return;
	}
	(void) snprintf(f->seen[f->nseen++], sizeof(f->seen[0]), "%s",
	                info->state);
}

typedef struct {
	ns_fix               fx; // first: the fixture's helpers take it
	char                 arcdir[160];
	store_archive       *arc;
	fake_arc             fake;
	store_lifecycle     *lc;
	store_lifecycle_conf lconf;
	// Fake peers: the machine ids a DELETE reached.
	store_remotes remotes;
	uint32_t      deleted[8];
	int           ndeleted;
	int           nassign;
} lc_fix;

static inline bb_err
fake_put(void *ctx, const char *key, int fd, uint64_t size,
         const atomic_bool *cancel, bool *existed, char *why, size_t whylen)
{
	fake_arc *f = ctx;
	bool      fail;
	bool      hang;

	(void) pthread_mutex_lock(&f->mu);
	f->puts++;
	fail = f->fail > 0;
	if (fail) {
		f->fail--;
		f->failed++;
	}
	hang = f->hang;
	if (f->lose[0] != '\0') {
		// The .gz copy goes missing under an upload that fails.
		(void) unlink(f->lose);
		f->lose[0] = '\0';
		fail       = true;
		f->failed++;
	}
	if (f->plant[0] != '\0') {
		FILE *o;
		(void) snprintf(f->planted, sizeof(f->planted), "%s/%s",
		                f->plant, key);
		*strrchr(f->planted, '/') = '\0';
		(void) mkdir(f->planted, 0755);
		(void) snprintf(f->planted, sizeof(f->planted), "%s/%s",
		                f->plant, key);
		o = fopen(f->planted, "wb");
		assert_non_null(o);
		if (f->longer) {
			uint8_t *buf = malloc(size);
			assert_non_null(buf);
			assert_int_equal(pread(fd, buf, size, 0),
			                 (ssize_t) size);
			assert_int_equal(fwrite(buf, 1, size, o), size);
			free(buf);
			(void) fprintf(o, "%s", "and a tail");
		} else {
			(void) fprintf(o, "%s", "other bytes, not a prefix");
		}
		(void) fclose(o);
		f->plant[0] = '\0';
	}
	if (f->ns != NULL) {
		f->nseen = 0;
		store_ns_foreach(f->ns, seen_cb, f);
	}
	(void) pthread_mutex_unlock(&f->mu);
	if (hang) {
		while (!atomic_load(cancel)) {
			sleep_us(1000);
		}
		return BB_ESHUTDOWN;
	}
	if (fail) {
		(void) snprintf(why, whylen, "injected failure");
		return BB_EUNAVAIL;
	}
	return store_archive_put(f->real, key, fd, size, cancel, existed, why,
	                         whylen);
}

static inline bb_err
fake_open(void *ctx, const char *key, uint64_t off, uint64_t len,
          store_archive_rd **rdp)
{
	fake_arc *f = ctx;

	return store_archive_open(f->real, key, off, len, rdp);
}

static const store_archive_ops fake_ops = {
	.put  = fake_put,
	.open = fake_open,
};

static inline bb_err
peers_assign(void *ctx, uint32_t n, uint32_t *ids)
{
	lc_fix  *lf = ctx;
	uint32_t i;

	for (i = 0; i < n; i++) {
		ids[i] = i + 2;
	}
	lf->nassign++;
	return BB_OK;
}

static inline void
peers_call(void *ctx, const uint32_t *ids, size_t n, const store_call *c,
           store_call_result *res)
{
	lc_fix *lf = ctx;
	size_t  i;

	for (i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		if (c->kind == STORE_CALL_DELETE && lf->ndeleted < 8) {
			lf->deleted[lf->ndeleted++] = ids[i];
		}
	}
}

static inline int
lc_setup(void **state)
{
	lc_fix *lf = calloc(1, sizeof(*lf));
	void   *inner;

	if (lf == NULL || setup(&inner) != 0) {
		free(lf);
		return -1;
	}
	lf->fx = *(ns_fix *) inner;
	free(inner);
	lf->fx.conf.directory = lf->fx.dir; // it pointed into inner
	(void) snprintf(lf->arcdir, sizeof(lf->arcdir), "%s/archive",
	                lf->fx.tmp);
	lf->fx.conf.s3_base_path   = "/base";
	lf->lconf.compressions     = 2;
	lf->lconf.uploads          = 2;
	lf->lconf.deletes          = 2;
	lf->lconf.remote_deletes   = 2;
	lf->lconf.retry_initial_ns = 5 * 1000000;  // 5 ms
	lf->lconf.retry_max_ns     = 40 * 1000000; // 40 ms
	lf->remotes.ctx            = lf;
	lf->remotes.max_chunk      = 1 << 20;
	lf->remotes.assign         = peers_assign;
	lf->remotes.call           = peers_call;
	(void) pthread_mutex_init(&lf->fake.mu, NULL);
	assert_int_equal(store_lifecycle_new(&lf->lconf, &lf->lc), BB_OK);
	assert_int_equal(store_archive_dir_new(lf->arcdir, &lf->fake.real),
	                 BB_OK);
	assert_int_equal(
	    store_archive_custom(&fake_ops, &lf->fake, "fake", &lf->arc),
	    BB_OK);
	*state = lf;
	return 0;
}

static inline int
lc_teardown(void **state)
{
	lc_fix *lf = *state;

	store_lifecycle_stop(lf->lc);
	lf->fake.ns = NULL;
	store_ns_close(lf->fx.ns);
	lf->fx.ns = NULL;
	store_lifecycle_free(lf->lc);
	store_archive_free(lf->arc);
	store_archive_free(lf->fake.real);
	(void) pthread_mutex_destroy(&lf->fake.mu);
	bbt_rmtree(lf->fx.tmp);
	free(lf);
	return 0;
}

static inline void
lc_open(lc_fix *lf, bool with_peers)
{
	store_ns_env env             = { .machine_id = MACHINE,
		                         .remotes    = with_peers ? &lf->remotes : NULL,
		                         .archive    = lf->arc,
		                         .lifecycle  = lf->lc };
	char         why[BB_WHY_LEN] = "";
	bb_err       rv;

	rv = store_ns_open(&lf->fx.conf, &env, &lf->fx.ns, why, sizeof(why));
	if (rv != BB_OK) {
		fail_msg("store_ns_open: %s (%s)", bb_err_name(rv), why);
	}
	(void) pthread_mutex_lock(&lf->fake.mu);
	lf->fake.ns = lf->fx.ns;
	(void) pthread_mutex_unlock(&lf->fake.mu);
}

// wait_idle waits until the lifecycle has nothing left to do.
static inline void
wait_idle(lc_fix *lf)
{
	int64_t deadline = bb_clock_mono_ns() + WAIT_NS;

	// A file sealed by an insert is queued before the insert returns.
	while (!store_lifecycle_idle(lf->lc)) {
		if (bb_clock_mono_ns() > deadline) {
			fail_msg("the lifecycle did not finish in time");
		}
		sleep_us(2000);
	}
}

// archived_path writes where the directory archive keeps fid.
static inline void
archived_path(lc_fix *lf, const store_fid *fid, char *path, size_t len)
{
	char key[256];

	assert_int_equal(
	    store_ns_archive_key(lf->fx.ns, fid, key, sizeof(key)), BB_OK);
	(void) snprintf(path, len, "%s/%s", lf->arcdir, key);
}

// read_archived returns 0 when id reads back from the archive as data.
static inline int
read_archived(lc_fix *lf, const store_id *id, const uint8_t *data)
{
	store_archive_rd *rd  = NULL;
	uint8_t          *buf = malloc(id->length + 1);
	size_t            got = 0;
	size_t            n;
	int               res = -1;

	if (buf == NULL ||
	    store_ns_read_archive(lf->fx.ns, id, &rd) != BB_OK) {
		goto done;
	}
	while (store_archive_rd_read(rd, buf + got, id->length + 1 - got,
	                             &n) == BB_OK &&
	       n > 0) {
		got += n;
	}
	res = got == id->length && memcmp(buf, data, got) == 0 ? 0 : -1;
done:
	store_archive_rd_close(rd);
	free(buf);
	return res;
}

// seal_by_size inserts two bodies into a primary that seals after the
// second (upload_file_size is below their sum).
static inline void
seal_by_size(lc_fix *lf, uint8_t **a, uint8_t **b, store_id *ia, store_id *ib)
{
	lf->fx.conf.upload_file_size = 1500;
	*a                           = make_body(1000, 1);
	*b                           = make_body(700, 2);
	insert_ok(lf->fx.ns, *a, 1000, ia);
	insert_ok(lf->fx.ns, *b, 700, ib);
	assert_true(store_fid_equal(&ia->fid, &ib->fid));
}

#endif // TESTS_STORAGE_LIFECYCLE_LC_FIXTURE_H
