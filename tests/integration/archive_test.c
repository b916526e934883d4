// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/archive_test.c -- the archive tier with real parts:
// blobbyd processes on loopback, a real S3 protocol server (s3rver) and
// real directories.  Files seal by size and by age, go to the archive,
// replicas and local copies are removed, and every acknowledged id still
// reads back (by range from S3, or from the directory archive); an S3
// outage under inserts and restarts with recovered files lose nothing;
// large files go as multipart uploads.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "storage/id.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"
#include "tests/clock.h"

#define MAX_BLOBS 128
#define WAIT_MS   60000

typedef struct {
	int    node;
	char   ns[16];
	char   id[STORE_ID_STRMAX + 1];
	char  *data;
	size_t len;
} blob;

static blob blobs[MAX_BLOBS];
static int  nblobs;

static void
forget_blobs(void)
{
	int i;

	for (i = 0; i < nblobs; i++) {
		free(blobs[i].data);
	}
	nblobs = 0;
}

// insert posts len patterned bytes to ns of node n (index i) and keeps
// the id; the insert must succeed.
static void
insert(bbt_node *n, int i, const char *ns, size_t len)
{
	blob    *b = &blobs[nblobs];
	char     url[256];
	bbt_resp r;
	long     st;

	assert_true(nblobs < MAX_BLOBS);
	b->node = i;
	b->len  = len;
	b->data = malloc(len + 1);
	assert_non_null(b->data);
	bbt_fill(b->data, len, (unsigned) (nblobs * 7919 + 1));
	(void) snprintf(b->ns, sizeof(b->ns), "%s", ns);
	(void) snprintf(url, sizeof(url), "%s/%s", n->url, ns);
	st = bbt_http("POST", url, b->data, len, &r);
	if (st != 200) {
		fail_msg("insert %d into %s: status %ld: %s", nblobs, ns, st,
		         r.body != NULL ? r.body : "");
	}
	(void) snprintf(b->id, sizeof(b->id), "%s", r.body);
	bbt_resp_free(&r);
	nblobs++;
}

// check_all reads every blob back from node n: status 200 and the bytes.
static void
check_all(bbt_node *n)
{
	char     url[256];
	bbt_resp r;
	long     st;
	int      i;

	for (i = 0; i < nblobs; i++) {
		(void) snprintf(url, sizeof(url), "%s/%s/%s", n->url,
		                blobs[i].ns, blobs[i].id);
		st = bbt_http("GET", url, NULL, 0, &r);
		if (st != 200 || r.len != blobs[i].len ||
		    memcmp(r.body, blobs[i].data, r.len) != 0) {
			fail_msg("blob %d (%s/%s, %zu bytes) from %s: status "
			         "%ld, %zu bytes%s",
			         i, blobs[i].ns, blobs[i].id, blobs[i].len,
			         n->url, st, r.len,
			         st == 200 ? ", wrong bytes" : "");
		}
		bbt_resp_free(&r);
	}
}

// wait_archived waits until no node keeps a non-empty data file of ns:
// everything sealed, archived and removed locally.
static void
wait_archived(bbt_node *nodes, int n, const char *ns)
{
	int64_t end = bbt_now_ms() + WAIT_MS;
	char    dir[512];
	int     left;
	int     i;

	do {
		left = 0;
		for (i = 0; i < n; i++) {
			bbt_fmt(dir, sizeof(dir), "%s/%s", nodes[i].dir, ns);
			left += bbt_data_files(dir);
		}
		if (left == 0) {
			return;
		}
		bbt_sleep_ms(100);
	} while (bbt_now_ms() < end);
	fail_msg("%d data files of %s still on disk after %d ms", left, ns,
	         WAIT_MS);
}

// ---- the directory archive --------------------------------------------

static const char dir_conf[] = "machine_id = 21\n"
                               "[log]\nfile = @DIR@/blobbyd.log\n"
                               "[server]\naddr = 127.0.0.1\nport = 0\n"
                               "rpc_port = 0\n"
                               "[namespace.plain]\n"
                               "directory = @DIR@/plain\n"
                               "replicas = 0\n"
                               "archive = dir\n"
                               "archive_directory = @DIR@/archive\n"
                               "s3_base_path = /kept\n"
                               "s3_key_format = %y/%j/%H%M%S/%L-%K\n"
                               "upload_file_size = 64kib\n"
                               "upload_older = 1s\n"
                               "[namespace.packed]\n"
                               "directory = @DIR@/packed\n"
                               "replicas = 0\n"
                               "archive = dir\n"
                               "archive_directory = @DIR@/archive-gz\n"
                               "compress = true\n"
                               "upload_file_size = 64kib\n"
                               "upload_older = 1s\n";

// tree_bytes sums the sizes of the regular files under path.
static long long
tree_bytes(const char *path)
{
	DIR           *d = opendir(path);
	struct dirent *de;
	struct stat    st;
	char           sub[1024];
	long long      sum = 0;

	if (d == NULL) {
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		(void) snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &st) != 0) {
			continue;
		}
		sum += S_ISDIR(st.st_mode) ? tree_bytes(sub) : st.st_size;
	}
	(void) closedir(d);
	return sum;
}

// first_file writes the path of a regular file under dir into out.
static bool
first_file(const char *dir, char *out, size_t len)
{
	DIR           *d = opendir(dir);
	struct dirent *de;
	struct stat    st;
	char           sub[1024];
	bool           found = false;

	if (d == NULL) {
		return false;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		(void) snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (stat(sub, &st) != 0) {
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			found = first_file(sub, out, len);
		} else {
			bbt_fmt(out, len, "%s", sub);
			found = true;
		}
	}
	(void) closedir(d);
	return found;
}

// is_gzip says whether the file at path starts with the gzip magic.
static bool
is_gzip(const char *path)
{
	unsigned char m[2] = { 0, 0 };
	FILE         *f    = fopen(path, "rb");

	if (f == NULL) {
		return false;
	}
	(void) fread(m, 1, 2, f);
	(void) fclose(f);
	return m[0] == 0x1f && m[1] == 0x8b;
}

static void
test_dir_archive_and_restart(void **state)
{
	bbt_node  n;
	char      path[512];
	char      url[256];
	bbt_resp  r;
	long long total = 0;
	int       i;

	(void) state;
	bbt_node_init(&n);
	// A key format that would give two files one key is refused.
	{
		static const char bad[] =
		    "machine_id = 21\n[server]\nport = 0\nrpc_port = 0\n"
		    "[namespace.plain]\ndirectory = @DIR@/plain\n"
		    "replicas = 0\narchive = dir\n"
		    "archive_directory = @DIR@/archive\n"
		    "s3_key_format = %y/%m/%d/%K-%L\n";
		char err[2048];

		assert_int_equal(bbt_node_try_start(&n, bad, err, sizeof(err)),
		                 EX_CONFIG);
		assert_non_null(strstr(err, "same key"));
	}
	bbt_node_start(&n, dir_conf);
	// Sealed by size (64 KiB) and, for the last file, by age.
	for (i = 0; i < 24; i++) {
		insert(&n, 0, "plain", 9000 + (size_t) i * 100);
		total += (long long) blobs[nblobs - 1].len;
	}
	wait_archived(&n, 1, "plain");
	(void) snprintf(path, sizeof(path), "%s/archive/kept", n.dir);
	assert_int_equal(tree_bytes(path), total);
	check_all(&n);

	// Files recovered after a crash are archived too.
	for (i = 0; i < 5; i++) {
		insert(&n, 0, "plain", 5000);
		total += 5000;
	}
	assert_int_equal(bbt_node_stop(&n, SIGKILL), 128 + SIGKILL);
	bbt_node_start(&n, dir_conf);
	wait_archived(&n, 1, "plain");
	assert_int_equal(tree_bytes(path), total);
	check_all(&n);

	// A compressed namespace archives gzip streams, which cannot be
	// read by range: 400, as the original.
	forget_blobs();
	insert(&n, 0, "packed", 70000);
	wait_archived(&n, 1, "packed");
	(void) snprintf(url, sizeof(url), "%s/packed/%s", n.url, blobs[0].id);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 400);
	assert_non_null(strstr(r.body, "compressed"));
	bbt_resp_free(&r);
	(void) snprintf(path, sizeof(path), "%s/archive-gz", n.dir);
	assert_true(first_file(path, path, sizeof(path)));
	assert_true(is_gzip(path));

	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
	forget_blobs();
}

// ---- S3 -------------------------------------------------------------

typedef struct {
	char    tmp[64];
	bbt_s3 *s3;
} s3_fix;

static int
s3_setup(void **state)
{
	static const char *const buckets[] = { "blobby", NULL };
	s3_fix                  *fx        = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	(void) snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/bb_arc_test.XXXXXX");
	if (mkdtemp(fx->tmp) == NULL) {
		free(fx);
		return -1;
	}
	fx->s3 = bbt_s3_start(fx->tmp, buckets);
	if (fx->s3 == NULL) {
		bbt_rmtree(fx->tmp);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
s3_teardown(void **state)
{
	s3_fix *fx = *state;

	bbt_s3_stop(fx->s3);
	bbt_rmtree(fx->tmp);
	free(fx);
	forget_blobs();
	return 0;
}

// s3_conf writes the configuration of node i of n (machine id i + 1),
// each node the replica of the next when replicas > 0.
static void
s3_conf(char *buf, size_t cap, const s3_fix *fx, int i, int n,
        const int *rpc_ports, int replicas, const char *extra)
{
	size_t off = 0;

	off += (size_t) snprintf(
	    buf + off, cap - off,
	    "machine_id = %d\narchive_retry_initial = 100ms\n"
	    "archive_retry_max = 500ms\n"
	    "[log]\nfile = @DIR@/blobbyd.log\n[client]\ntimeout = 5s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n",
	    i + 1, rpc_ports[i]);
	if (replicas > 0) {
		off += (size_t) snprintf(
		    buf + off, cap - off,
		    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n",
		    (i + 1) % n + 1, rpc_ports[(i + 1) % n]);
	}
	(void) snprintf(buf + off, cap - off,
	                "[aws.local]\nregion = us-east-1\nendpoint = %s\n"
	                "key_id = S3RVER\nsecret_key = S3RVER\n"
	                "[namespace.test]\ndirectory = @DIR@/test\n"
	                "replicas = %d\narchive = s3\naws_profile = local\n"
	                "s3_bucket = blobby\ns3_base_path = /it\n"
	                "s3_key_format = %%y/%%m/%%d/%%H%%M%%S-%%K-%%.L\n"
	                "heart_beat_interval = 1s\n%s",
	                bbt_s3_endpoint(fx->s3), replicas, extra);
}

static void
test_s3_cluster(void **state)
{
	s3_fix  *fx = *state;
	bbt_node nodes[2];
	int      ports[2];
	char     conf[4096];
	char     path[512];
	int      i;

	for (i = 0; i < 2; i++) {
		ports[i] = bbt_free_port();
	}
	for (i = 0; i < 2; i++) {
		bbt_node_init(&nodes[i]);
		s3_conf(conf, sizeof(conf), fx, i, 2, ports, 1,
		        "upload_file_size = 100kib\nupload_older = 1s\n"
		        "orphan_timeout = 5m\n");
		bbt_node_start(&nodes[i], conf);
	}
	for (i = 0; i < 2; i++) {
		bbt_wait_writable(&nodes[i], "test", 30000);
	}
	// Sealed by size, then the rest by age; uploads by the primaries,
	// replicas removed on Delete (they would orphan only after 5 min,
	// far beyond the wait), local files removed.
	for (i = 0; i < 40; i++) {
		insert(&nodes[i % 2], i % 2, "test", 8000 + (size_t) i * 211);
	}
	wait_archived(nodes, 2, "test");
	// Every id, from either node: by range from S3.
	check_all(&nodes[0]);
	check_all(&nodes[1]);
	// The keys follow s3_base_path and s3_key_format.
	(void) snprintf(path, sizeof(path), "%s/blobby/it", fx->tmp);
	assert_int_equal(access(path, F_OK), 0);
	assert_true(bbt_log_has(&nodes[0], "archived as it/", 0));
	for (i = 0; i < 2; i++) {
		assert_int_equal(bbt_node_stop(&nodes[i], SIGTERM), 0);
		bbt_node_cleanup(&nodes[i]);
	}
}

static void
test_s3_multipart(void **state)
{
	s3_fix  *fx = *state;
	bbt_node n;
	int      port = bbt_free_port();
	char     conf[4096];
	int      i;

	bbt_node_init(&n);
	s3_conf(conf, sizeof(conf), fx, 0, 1, &port, 0,
	        "upload_file_size = 5mib\nupload_older = 1h\n"
	        "s3_multipart_threshold = 5mib\ns3_part_size = 5mib\n");
	bbt_node_start(&n, conf);
	// 11 blobs of 512 KiB: the file seals above 5 MiB by size and goes
	// in two parts.
	for (i = 0; i < 11; i++) {
		insert(&n, 0, "test", 512 * 1024);
	}
	wait_archived(&n, 1, "test");
	assert_true(bbt_log_has(&n, "multipart", 0));
	check_all(&n);
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

static void
test_s3_outage_and_restart(void **state)
{
	s3_fix  *fx = *state;
	bbt_node n;
	int      port = bbt_free_port();
	char     conf[4096];
	int      i;

	bbt_node_init(&n);
	s3_conf(conf, sizeof(conf), fx, 0, 1, &port, 0,
	        "upload_file_size = 32kib\nupload_older = 1s\n");
	bbt_node_start(&n, conf);
	// S3 goes away under inserts: files seal, uploads fail and are
	// retried; every id still reads (locally).
	bbt_s3_pause(fx->s3);
	for (i = 0; i < 30; i++) {
		insert(&n, 0, "test", 6000 + (size_t) i * 37);
	}
	bbt_sleep_ms(2000);
	assert_true(bbt_log_has(&n, "upload of", 0));
	check_all(&n);
	// A crash meanwhile: the files come back as recovered files.
	assert_int_equal(bbt_node_stop(&n, SIGKILL), 128 + SIGKILL);
	bbt_node_start(&n, conf);
	for (i = 0; i < 10; i++) {
		insert(&n, 0, "test", 7000);
	}
	bbt_sleep_ms(1500);
	assert_int_equal(bbt_s3_resume(fx->s3), 0);
	wait_archived(&n, 1, "test");
	check_all(&n);
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_archive_and_restart),
		cmocka_unit_test_setup_teardown(test_s3_cluster, s3_setup,
		                                s3_teardown),
		cmocka_unit_test_setup_teardown(test_s3_multipart, s3_setup,
		                                s3_teardown),
		cmocka_unit_test_setup_teardown(test_s3_outage_and_restart,
		                                s3_setup, s3_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
