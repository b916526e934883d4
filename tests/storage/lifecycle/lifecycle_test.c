// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/lifecycle/lifecycle_test.c -- the archive lifecycle of sealed
// files: upload to a real directory archive, compression, delay_delete, remote
// deletes, start-up recovery, retries with backoff against a fake archive
// that fails on demand, a sealed replica told to go, and a stop that
// abandons a hanging upload.
#define _XOPEN_SOURCE 700
#include "tests/storage/ns_fixture.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <zlib.h>

#include "storage/archive/archive.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/lifecycle/backoff.h"
#include "storage/metrics.h"

#define WAIT_NS (20 * BB_NS_PER_SEC)

static void
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

static void
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

static bb_err
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

static bb_err
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

static bb_err
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

static void
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

static int
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

static int
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

static void
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
static void
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
static void
archived_path(lc_fix *lf, const store_fid *fid, char *path, size_t len)
{
	char key[256];

	assert_int_equal(
	    store_ns_archive_key(lf->fx.ns, fid, key, sizeof(key)), BB_OK);
	(void) snprintf(path, len, "%s/%s", lf->arcdir, key);
}

// read_archived returns 0 when id reads back from the archive as data.
static int
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
static void
seal_by_size(lc_fix *lf, uint8_t **a, uint8_t **b, store_id *ia, store_id *ib)
{
	lf->fx.conf.upload_file_size = 1500;
	*a                           = make_body(1000, 1);
	*b                           = make_body(700, 2);
	insert_ok(lf->fx.ns, *a, 1000, ia);
	insert_ok(lf->fx.ns, *b, 700, ib);
	assert_true(store_fid_equal(&ia->fid, &ib->fid));
}

static void
test_upload_then_delete_local(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	uint8_t              *a;
	uint8_t              *b;
	store_id              ia;
	store_id              ib;
	char                  path[512];
	char                  key[256];
	infos                 in;

	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	// Archived under base path + fid, then gone locally.
	assert_int_equal(
	    store_ns_archive_key(lf->fx.ns, &ia.fid, key, sizeof(key)), BB_OK);
	assert_int_equal(strncmp(key, "base/", 5), 0);
	archived_path(lf, &ia.fid, path, sizeof(path));
	{
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_size, 1700);
	}
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	collect(lf->fx.ns, &in);
	assert_null(find_info(&in, &ia.fid));
	expect_enoent(lf->fx.ns, ia.start, ia.length, &ia.fid);
	// Both ids read back from the archive, by range.
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	// A range past the object's end is not there.
	ib.length += 1;
	{
		store_archive_rd *rd = NULL;
		assert_int_equal(store_ns_read_archive(lf->fx.ns, &ib, &rd),
		                 BB_ENOENT);
	}
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(st.uploaded_bytes, 1700);
	// During the upload the sealed file was uploading (and no new
	// primary was made yet: that waits for the next insert or tick).
	assert_int_equal(lf->fake.nseen, 1);
	assert_string_equal(lf->fake.seen[0], "uploading");
	assert_int_equal(st.local_deletes, 1);
	assert_int_equal(st.upload_failures, 0);
	free(a);
	free(b);
}

static void
test_retry_with_backoff(void **state)
{
	lc_fix                *lf = *state;
	store_lifecycle_stats  st;
	uint8_t               *a;
	uint8_t               *b;
	store_id               ia;
	store_id               ib;
	int64_t                t0;
	infos                  in;
	const store_file_info *fi;

	lf->fake.fail = 4;
	lc_open(lf, false);
	t0 = bb_clock_mono_ns();
	seal_by_size(lf, &a, &b, &ia, &ib);
	// While the archive fails, the file stays and reads locally.
	sleep_us(3000);
	collect(lf->fx.ns, &in);
	fi = find_info(&in, &ia.fid);
	if (fi != NULL) {
		check_read(lf->fx.ns, &ia, a, 1000);
	}
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.upload_failures, 4);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(lf->fake.puts, 5);
	// Four backoffs of at least 2.5, 5, 10 and 20 ms (the lower halves).
	assert_true(bb_clock_mono_ns() - t0 >= 37 * 1000000);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	free(a);
	free(b);
}

// gunzip_file returns the inflated contents of path (caller frees).
static uint8_t *
gunzip_file(const char *path, size_t max, size_t *np)
{
	gzFile   gz  = gzopen(path, "rb");
	uint8_t *buf = malloc(max);
	int      n;

	assert_non_null(gz);
	assert_non_null(buf);
	n = gzread(gz, buf, (unsigned) max);
	assert_true(n >= 0);
	(void) gzclose(gz);
	*np = (size_t) n;
	return buf;
}

static void
test_compress(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	uint8_t              *a;
	uint8_t              *b;
	uint8_t              *plain;
	store_id              ia;
	store_id              ib;
	store_archive_rd     *rd = NULL;
	char                  path[512];
	char                  gz[512];
	size_t                n;

	lf->fx.conf.compress       = true;
	lf->fx.conf.compress_level = 9;
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	archived_path(lf, &ia.fid, path, sizeof(path));
	plain = gunzip_file(path, 4096, &n);
	assert_int_equal(n, 1700);
	assert_memory_equal(plain, a, 1000);
	assert_memory_equal(plain + 1000, b, 700);
	// The .gz copy and the file are gone; a range read is refused.
	(void) snprintf(gz, sizeof(gz), "%s/%s.gz", lf->fx.dir,
	                strrchr(path, '/') + 1);
	assert_int_not_equal(access(gz, F_OK), 0);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	assert_int_equal(store_ns_read_archive(lf->fx.ns, &ia, &rd),
	                 BB_ENOTSUP);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.compressions, 1);
	assert_int_equal(st.uploads, 1);
	free(plain);
	free(a);
	free(b);
}

static uint8_t *write_file(const char *dir, const char *name, size_t n,
                           uint32_t seed);

static void
test_lost_gz_is_made_again(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	uint8_t              *a;
	uint8_t              *b;
	uint8_t              *plain;
	store_id              ia;
	store_id              ib;
	char                  name[STORE_FID_STRLEN + 1];
	char                  path[512];
	size_t                n;

	lf->fx.conf.compress = true;
	lc_open(lf, false);
	// The file sealed by the second insert has the fid of a first one.
	lf->fx.conf.upload_file_size = 1500;
	a                            = make_body(1000, 1);
	b                            = make_body(700, 2);
	insert_ok(lf->fx.ns, a, 1000, &ia);
	(void) pthread_mutex_lock(&lf->fake.mu);
	(void) snprintf(lf->fake.lose, sizeof(lf->fake.lose), "%s/%s.gz",
	                lf->fx.dir, store_fid_format(&ia.fid, name));
	(void) pthread_mutex_unlock(&lf->fake.mu);
	insert_ok(lf->fx.ns, b, 700, &ib);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.compressions, 2);
	assert_int_equal(st.upload_failures, 2); // the put, then the open
	assert_int_equal(st.uploads, 1);
	archived_path(lf, &ia.fid, path, sizeof(path));
	plain = gunzip_file(path, 4096, &n);
	assert_int_equal(n, 1700);
	assert_memory_equal(plain, a, 1000);
	free(plain);
	free(a);
	free(b);
}

static void
test_dir_archive_refuses_itself(void **state)
{
	lc_fix        *lf = *state;
	store_archive *arc;
	uint8_t       *d = write_file(lf->arcdir, "obj", 100, 5);
	char           path[512];
	char           why[256];
	bool           existed = false;
	int            fd;

	// An object whose path is the file to archive: never "already
	// there", never replaced.
	assert_int_equal(store_archive_dir_new(lf->arcdir, &arc), BB_OK);
	(void) snprintf(path, sizeof(path), "%s/obj", lf->arcdir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(store_archive_put(arc, "obj", fd, 100, NULL, &existed,
	                                   why, sizeof(why)),
	                 BB_EINVAL);
	assert_non_null(strstr(why, "itself"));
	(void) close(fd);
	// Keys that would leave the archive are refused too.
	fd = open(path, O_RDONLY);
	assert_int_equal(store_archive_put(arc, "../x", fd, 100, NULL,
	                                   &existed, why, sizeof(why)),
	                 BB_EINVAL);
	assert_int_equal(store_archive_put(arc, "a//b", fd, 100, NULL,
	                                   &existed, why, sizeof(why)),
	                 BB_EINVAL);
	(void) close(fd);
	store_archive_free(arc);
	free(d);
}

static void
test_delay_delete(void **state)
{
	lc_fix                *lf = *state;
	uint8_t               *a;
	uint8_t               *b;
	store_id               ia;
	store_id               ib;
	infos                  in;
	const store_file_info *fi;
	int64_t                deadline;

	lf->fx.conf.delay_delete_ns = 300 * 1000000; // 300 ms
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	// Uploaded, then kept (and readable) for the delay.
	deadline = bb_clock_mono_ns() + WAIT_NS;
	for (;;) {
		collect(lf->fx.ns, &in);
		fi = find_info(&in, &ia.fid);
		assert_non_null(fi);
		if (strcmp(fi->state, "delete-delay") == 0) {
			break;
		}
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
	}
	check_read(lf->fx.ns, &ia, a, 1000);
	assert_int_not_equal(file_size(&lf->fx, &ia.fid), -1);
	wait_idle(lf);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	free(a);
	free(b);
}

static void
test_remote_deletes(void **state)
{
	lc_fix  *lf = *state;
	uint8_t *a;
	uint8_t *b;
	store_id ia;
	store_id ib;

	lf->fx.conf.replicas = 2;
	lc_open(lf, true);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	// Both replicas were told to go, after the upload.
	assert_int_equal(lf->ndeleted, 2);
	assert_int_equal(lf->deleted[0] + lf->deleted[1], 2 + 3);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	free(a);
	free(b);
}

// write_file makes dir/name with n bytes of seed.
static uint8_t *
write_file(const char *dir, const char *name, size_t n, uint32_t seed)
{
	char     path[512];
	uint8_t *data = make_body(n, seed);
	FILE    *f;

	(void) mkdir(dir, 0755);
	(void) snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return data;
}

static void
test_recovered_files_archived_once(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	store_fid             f1;
	store_fid             f2;
	char                  n1[STORE_FID_STRLEN + 1];
	char                  n2[STORE_FID_STRLEN + 3];
	char                  g1[STORE_FID_STRLEN + 4];
	char                  path[512];
	struct stat           before;
	struct stat           after;
	uint8_t              *d1;
	uint8_t              *d2;
	uint8_t              *stale;
	store_id              id;

	store_fid_next(&f1, 7);
	store_fid_next(&f2, 8);
	(void) store_fid_format(&f1, n1);
	n2[0] = 'r';
	n2[1] = '-';
	(void) store_fid_format(&f2, n2 + 2);
	(void) snprintf(g1, sizeof(g1), "%s.gz", n1);
	d1    = write_file(lf->fx.dir, n1, 5000, 11);
	d2    = write_file(lf->fx.dir, n2, 3000, 12);
	stale = write_file(lf->fx.dir, g1, 10, 13);
	// f2's object is in the archive already, with the same bytes (the
	// key is base path + fid): it is not written again.
	(void) mkdir(lf->arcdir, 0755);
	(void) snprintf(path, sizeof(path), "%s/base", lf->arcdir);
	free(write_file(path, n2 + 2, 3000, 12));
	(void) snprintf(path, sizeof(path), "%s/base/%s", lf->arcdir, n2 + 2);
	assert_int_equal(stat(path, &before), 0);

	lc_open(lf, false);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(st.uploads_existing, 1);
	assert_int_equal(st.uploaded_bytes, 5000);
	assert_int_equal(st.local_deletes, 2);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	// Nothing left locally, not even the stale .gz copy.
	assert_int_equal(file_size(&lf->fx, &f1), -1);
	(void) snprintf(path, sizeof(path), "%s/%s", lf->fx.dir, n2);
	assert_int_not_equal(access(path, F_OK), 0);
	(void) snprintf(path, sizeof(path), "%s/%s", lf->fx.dir, g1);
	assert_int_not_equal(access(path, F_OK), 0);
	// Ranges of both read back from the archive.
	id.fid    = f1;
	id.start  = 100;
	id.length = 200;
	assert_int_equal(read_archived(lf, &id, d1 + 100), 0);
	id.fid    = f2;
	id.start  = 2999;
	id.length = 1;
	assert_int_equal(read_archived(lf, &id, d2 + 2999), 0);
	free(d1);
	free(d2);
	free(stale);
}

static void
test_stop_abandons_upload(void **state)
{
	lc_fix  *lf = *state;
	uint8_t *a;
	uint8_t *b;
	store_id ia;
	store_id ib;
	int64_t  deadline;
	int      puts = 0;

	lf->fake.hang = true;
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	deadline = bb_clock_mono_ns() + WAIT_NS;
	while (puts == 0) {
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
		(void) pthread_mutex_lock(&lf->fake.mu);
		puts = lf->fake.puts;
		(void) pthread_mutex_unlock(&lf->fake.mu);
	}
	store_lifecycle_stop(lf->lc);
	// The file stays, whole, for the next start.
	assert_int_equal(file_size(&lf->fx, &ia.fid), 1700);
	check_read(lf->fx.ns, &ib, b, 700);
	free(a);
	free(b);
}

static void
test_sealed_replica_told_to_go(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	store_fid             fid;
	uint8_t              *data = make_body(4000, 21);
	uint64_t              len  = 0;
	char                  name[STORE_FID_STRLEN + 3];
	char                  path[512];
	int64_t               deadline;

	lf->fake.fail                 = 1000000; // the archive is down
	lf->fx.conf.orphan_timeout_ns = BB_NS_PER_SEC;
	lc_open(lf, false);
	store_fid_next(&fid, 9);
	assert_int_equal(store_ns_replica_initialize(lf->fx.ns, &fid), BB_OK);
	assert_int_equal(
	    store_ns_replica_replicate(lf->fx.ns, &fid, 0, data, 4000,
	                               store_hash(data, 4000), false, &len),
	    BB_OK);
	// Orphaned: sealed and queued for upload, which keeps failing.
	store_ns_tick(lf->fx.ns, bb_clock_mono_ns() + 2 * BB_NS_PER_SEC);
	deadline = bb_clock_mono_ns() + WAIT_NS;
	do {
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
		store_lifecycle_stats_get(lf->lc, &st);
	} while (st.upload_failures < 2);
	// Its primary archived the file: the replica goes without upload.
	assert_int_equal(store_ns_replica_delete(lf->fx.ns, &fid), BB_OK);
	wait_idle(lf);
	name[0] = 'r';
	name[1] = '-';
	(void) store_fid_format(&fid, name + 2);
	(void) snprintf(path, sizeof(path), "%s/%s", lf->fx.dir, name);
	assert_int_not_equal(access(path, F_OK), 0);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 0);
	assert_int_equal(st.local_deletes, 1);
	expect_enoent(lf->fx.ns, 0, 10, &fid);
	free(data);
}

// An upload the archive refuses (it holds other bytes under the key)
// keeps the object and the local file, counts the conflict, and is
// retried: once the object is gone, the file is archived.
static void
test_conflict_keeps_local(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	store_metrics_snap    ms;
	uint8_t              *a;
	uint8_t              *b;
	store_id              ia;
	store_id              ib;
	int64_t               deadline;
	infos                 in;
	char                  obj[64];
	FILE                 *o;

	(void) snprintf(lf->fake.plant, sizeof(lf->fake.plant), "%s",
	                lf->arcdir);
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	deadline = bb_clock_mono_ns() + WAIT_NS;
	do {
		assert_true(bb_clock_mono_ns() < deadline);
		sleep_us(1000);
		store_lifecycle_stats_get(lf->lc, &st);
	} while (st.upload_conflicts < 3);
	// The local file stays, readable; the object is untouched.
	assert_int_equal(file_size(&lf->fx, &ia.fid), 1700);
	collect(lf->fx.ns, &in);
	assert_non_null(find_info(&in, &ia.fid));
	check_read(lf->fx.ns, &ib, b, 700);
	o = fopen(lf->fake.planted, "rb");
	assert_non_null(o);
	assert_non_null(fgets(obj, sizeof(obj), o));
	(void) fclose(o);
	assert_string_equal(obj, "other bytes, not a prefix");
	assert_int_equal(st.uploads, 0);
	assert_int_equal(st.local_deletes, 0);
	store_metrics_snapshot(store_ns_metrics(lf->fx.ns), &ms);
	assert_true(ms.counters[STORE_CTR_ARCHIVE_CONFLICTS] >= 3);
	// The operator removes the other object: the next try archives.
	assert_int_equal(unlink(lf->fake.planted), 0);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 1);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	free(a);
	free(b);
}

// A file whose bytes the archive's object already holds, and more (its
// primary's longer copy), is done without an upload: the local file goes,
// the object stays as it was.
static void
test_longer_object_done(void **state)
{
	lc_fix               *lf = *state;
	store_lifecycle_stats st;
	struct stat           sb;
	uint8_t              *a;
	uint8_t              *b;
	store_id              ia;
	store_id              ib;

	(void) snprintf(lf->fake.plant, sizeof(lf->fake.plant), "%s",
	                lf->arcdir);
	lf->fake.longer = true;
	lc_open(lf, false);
	seal_by_size(lf, &a, &b, &ia, &ib);
	wait_idle(lf);
	store_lifecycle_stats_get(lf->lc, &st);
	assert_int_equal(st.uploads, 0);
	assert_int_equal(st.uploads_existing, 1);
	assert_int_equal(st.upload_conflicts, 0);
	assert_int_equal(st.local_deletes, 1);
	assert_int_equal(file_size(&lf->fx, &ia.fid), -1);
	assert_int_equal(stat(lf->fake.planted, &sb), 0);
	assert_int_equal(sb.st_size, 1700 + 10);
	assert_int_equal(read_archived(lf, &ia, a), 0);
	assert_int_equal(read_archived(lf, &ib, b), 0);
	free(a);
	free(b);
}

static void
test_backoff_schedule(void **state)
{
	uint64_t seed = 1;
	int64_t  d;
	int64_t  first;
	int64_t  want;
	uint32_t i;
	int      k;
	bool     spread = false;

	(void) state;
	for (k = 0; k < 1000; k++) {
		for (i = 1; i <= 40; i++) {
			want = i > 20 ? 60000 : INT64_C(1000) << (i - 1);
			want = want > 60000 ? 60000 : want;
			d    = store_backoff(i, 1000, 60000, &seed);
			assert_true(d <= want);
			assert_true(d >= want / 2);
		}
	}
	// Jitter: files that failed together do not retry together.
	first = store_backoff(5, 1000, 60000, &seed);
	for (k = 0; k < 100 && !spread; k++) {
		spread = store_backoff(5, 1000, 60000, &seed) != first;
	}
	assert_true(spread);
	// A cap below the first delay wins; no overflow after many failures.
	assert_true(store_backoff(1, 1000, 10, &seed) <= 1000);
	assert_true(store_backoff(UINT32_MAX, INT64_MAX / 4, INT64_MAX / 2,
	                          &seed) <= INT64_MAX / 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upload_then_delete_local,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_retry_with_backoff,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_compress, lc_setup,
		                                lc_teardown),
		cmocka_unit_test_setup_teardown(test_delay_delete, lc_setup,
		                                lc_teardown),
		cmocka_unit_test_setup_teardown(test_lost_gz_is_made_again,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_archive_refuses_itself, lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_remote_deletes, lc_setup,
		                                lc_teardown),
		cmocka_unit_test_setup_teardown(
		    test_recovered_files_archived_once, lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_stop_abandons_upload,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_sealed_replica_told_to_go,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_conflict_keeps_local,
		                                lc_setup, lc_teardown),
		cmocka_unit_test_setup_teardown(test_longer_object_done,
		                                lc_setup, lc_teardown),
		cmocka_unit_test(test_backoff_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
