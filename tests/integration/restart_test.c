// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/restart_test.c -- what survives a restart (every
// acknowledged id, after SIGKILL or SIGTERM), what start-up refuses (bad
// configuration, with file and line) and the 500 path.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "harness.h"
#include "storage/id.h"

#define BLOBS 40

static const char conf_text[] = "machine_id = 12\n"
                                "[log]\n"
                                "file = @DIR@/blobbyd.log\n"
                                "[server]\n"
                                "addr = 127.0.0.1\n"
                                "port = 0\n"
                                "rpc_port = 0\n"
                                "[namespace.test]\n"
                                "directory = @DIR@/test\n"
                                "replicas = 0\n"
                                "max_open_files = 2\n"
                                "upload_file_size = 1mib\n"
                                // The archive is down (nothing listens
                                // on port 1), so sealed files stay:
                                // this is about the local files.
                                "archive = s3\n"
                                "aws_profile = down\n"
                                "s3_bucket = nowhere\n"
                                "[aws.down]\n"
                                "endpoint = http://127.0.0.1:1\n"
                                "key_id = none\n"
                                "secret_key = none\n";

typedef struct {
	char   id[STORE_ID_STRMAX + 1];
	char  *data;
	size_t len;
} blob;

static blob blobs[BLOBS + 10];
static int  nblobs;

static void
insert(bbt_node *n, size_t len, unsigned seed)
{
	blob    *b = &blobs[nblobs++];
	char     url[256];
	bbt_resp r;

	b->len  = len;
	b->data = malloc(len + 1);
	assert_non_null(b->data);
	bbt_fill(b->data, len, seed);
	(void) snprintf(url, sizeof(url), "%s/test", n->url);
	assert_int_equal(bbt_http("POST", url, b->data, len, &r), 200);
	(void) snprintf(b->id, sizeof(b->id), "%s", r.body);
	bbt_resp_free(&r);
}

static void
check_all(bbt_node *n)
{
	char     url[256];
	bbt_resp r;
	int      i;

	for (i = 0; i < nblobs; i++) {
		bbt_fmt(url, sizeof(url), "%s/test/%s", n->url, blobs[i].id);
		assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
		assert_int_equal(r.len, blobs[i].len);
		assert_memory_equal(r.body, blobs[i].data, blobs[i].len);
		bbt_resp_free(&r);
	}
}

// file_sizes records the size of every data file of the namespace.
static size_t
file_sizes(bbt_node *n, char names[][32], off_t *sizes, size_t max)
{
	char           dir[400];
	char           path[700];
	struct dirent *de;
	struct stat    st;
	DIR           *d;
	size_t         k = 0;

	(void) snprintf(dir, sizeof(dir), "%s/test", n->dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && k < max) {
		if (de->d_name[0] == '.') {
			continue;
		}
		(void) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		(void) snprintf(names[k], 32, "%.31s", de->d_name);
		sizes[k++] = st.st_size;
	}
	(void) closedir(d);
	return k;
}

static void
test_restart_keeps_every_id(void **state)
{
	bbt_node n;
	char     names[64][32];
	off_t    sizes[64];
	char     names2[64][32];
	off_t    sizes2[64];
	size_t   k;
	size_t   k2;
	size_t   i;
	size_t   j;
	store_id id;
	int      b;

	(void) state;
	nblobs = 0;
	bbt_node_init(&n);
	bbt_node_start(&n, conf_text);
	for (b = 0; b < BLOBS; b++) {
		insert(&n, b == 7 ? 2u << 20 : (size_t) (b * 977) % 70000,
		       (unsigned) b);
	}
	// A crash: no chance to flush or close anything.
	assert_int_equal(bbt_node_stop(&n, SIGKILL), 128 + SIGKILL);
	k = file_sizes(&n, names, sizes, 64);
	assert_true(k >= 2); // 1 MiB files: the data spans several

	bbt_node_start(&n, conf_text);
	check_all(&n);
	for (b = 0; b < 10; b++) {
		insert(&n, 1000 + (size_t) b, 100u + (unsigned) b);
	}
	// New ids live in new files; recovered files never grow.
	for (b = BLOBS; b < nblobs; b++) {
		char fid[STORE_FID_STRLEN + 1];
		assert_int_equal(
		    store_id_parse(blobs[b].id, strlen(blobs[b].id), &id),
		    BB_OK);
		(void) store_fid_format(&id.fid, fid);
		for (i = 0; i < k; i++) {
			assert_string_not_equal(fid, names[i]);
		}
	}
	k2 = file_sizes(&n, names2, sizes2, 64);
	for (i = 0; i < k; i++) {
		for (j = 0; j < k2; j++) {
			if (strcmp(names[i], names2[j]) == 0) {
				assert_int_equal(sizes[i], sizes2[j]);
			}
		}
	}
	check_all(&n);

	// A graceful stop exits 0, and everything is still there after it.
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_start(&n, conf_text);
	check_all(&n);
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
	for (b = 0; b < nblobs; b++) {
		free(blobs[b].data);
	}
}

static void
test_internal_error_is_500(void **state)
{
	static const char text[] = "machine_id = 1\n"
	                           "[log]\n"
	                           "file = @DIR@/blobbyd.log\n"
	                           "[server]\n"
	                           "port = 0\n"
	                           "rpc_port = 0\n"
	                           "[namespace.test]\n"
	                           "directory = @DIR@/test\n"
	                           "replicas = 0\n"
	                           "archive = dir\n"
	                           "archive_directory = @DIR@/archive\n"
	                           "upload_file_size = 1\n";
	bbt_node          n;
	char              url[256];
	char              cmd[400];
	char              first[STORE_ID_STRMAX + 1];
	bbt_resp          r;

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n, text);
	(void) snprintf(url, sizeof(url), "%s/test", n.url);
	// upload_file_size = 1: every insert seals its file, so the next one
	// needs a new file, which cannot be made once the directory is gone.
	assert_int_equal(bbt_http("POST", url, "ab", 2, &r), 200);
	(void) snprintf(first, sizeof(first), "%s", r.body);
	bbt_resp_free(&r);
	(void) snprintf(cmd, sizeof(cmd), "rm -rf '%s/test'", n.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bbt_http("POST", url, "cd", 2, &r), 500);
	assert_non_null(strstr(r.body, "Internal server error"));
	assert_int_equal(strchr(r.body, '\n') - r.body + 1, (long) r.len);
	bbt_resp_free(&r);
	// The sealed file's descriptor is still open: its id still reads.
	(void) snprintf(url, sizeof(url), "%s/test/%s", n.url, first);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_string_equal(r.body, "ab");
	bbt_resp_free(&r);
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

static void
test_bad_config_names_file_and_line(void **state)
{
	static const char text[] = "machine_id = 1\n"
	                           "[server]\n"
	                           "port = 0\n"
	                           "colour = blue\n"
	                           "[namespace.test]\n"
	                           "directory = @DIR@/test\n"
	                           "replicas = 0\n"
	                           "archive = dir\n"
	                           "archive_directory = @DIR@/archive\n"
	                           "[nonsense]\n";
	bbt_node          n;
	char              err[4096];
	char              want[512];

	(void) state;
	bbt_node_init(&n);
	assert_int_equal(bbt_node_try_start(&n, text, err, sizeof(err)),
	                 EX_CONFIG);
	print_message("%s", err);
	// Both problems are reported at once, each with file and line.
	(void) snprintf(want, sizeof(want), "%s:4:", n.conf);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "colour"));
	(void) snprintf(want, sizeof(want), "%s:10:", n.conf);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "nonsense"));
	bbt_node_cleanup(&n);
}

static void
test_pidfile(void **state)
{
	static const char text[] = "machine_id = 12\n"
	                           "pidfile = @DIR@/blobbyd.pid\n"
	                           "[log]\nfile = @DIR@/blobbyd.log\n"
	                           "[server]\naddr = 127.0.0.1\nport = 0\n"
	                           "rpc_port = 0\n"
	                           "[namespace.test]\n"
	                           "directory = @DIR@/test\n"
	                           "replicas = 0\narchive = dir\n"
	                           "archive_directory = @DIR@/archive\n";
	bbt_node          n;
	bbt_node          second;
	char              path[512];
	char              buf[64] = "";
	char              err[4096];
	FILE             *f;

	(void) state;
	bbt_node_init(&n);
	// A stale pid file (no such process) is taken over.
	(void) snprintf(path, sizeof(path), "%s/blobbyd.pid", n.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	(void) fputs("4000000\n", f);
	(void) fclose(f);
	bbt_node_start(&n, text);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	(void) fclose(f);
	assert_int_equal(strtol(buf, NULL, 10), n.pid);
	// A second node on the same configuration (same data) refuses to
	// start, and leaves the first one's pid file alone.
	second = n;
	assert_int_equal(bbt_node_try_start(&second, text, err, sizeof(err)),
	                 EX_TEMPFAIL);
	assert_non_null(strstr(err, "is running"));
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	// Removed on a clean stop.
	assert_int_not_equal(access(path, F_OK), 0);
	bbt_node_cleanup(&n);
}

// ---- SIGTERM under load ------------------------------------------------

#define LOAD_THREADS 4
#define LOAD_MAX     400 // per thread

typedef struct {
	char     url[160];
	unsigned tid;
	int      n; // acknowledged
	char     ids[LOAD_MAX][STORE_ID_STRMAX + 1];
	size_t   lens[LOAD_MAX];
} load_thread;

static unsigned
load_seed(unsigned tid, int k)
{
	return tid * 100003u + (unsigned) k;
}

static size_t
load_len(unsigned tid, int k)
{
	return 1 + (size_t) (load_seed(tid, k) * 2654435761u % 200000u);
}

// load_main inserts until the node stops answering 200 (or LOAD_MAX):
// it keeps every acknowledged id.
static void *
load_main(void *arg)
{
	load_thread *t = arg;
	char        *body;
	bbt_resp     r;
	long         st;
	int          k;

	for (k = 0; k < LOAD_MAX; k++) {
		body = malloc(load_len(t->tid, k));
		if (body == NULL) {
			break;
		}
		bbt_fill(body, load_len(t->tid, k), load_seed(t->tid, k));
		st = bbt_http("POST", t->url, body, load_len(t->tid, k), &r);
		if (st == 200) {
			(void) snprintf(t->ids[t->n], sizeof(t->ids[0]), "%s",
			                r.body);
			t->lens[t->n] = load_len(t->tid, k);
			t->n++;
		}
		bbt_resp_free(&r);
		free(body);
		if (st != 200) {
			break; // stopping: refused, or the connection closed
		}
	}
	return NULL;
}

static void
test_sigterm_under_load(void **state)
{
	load_thread *ts = calloc(LOAD_THREADS, sizeof(*ts));
	pthread_t    th[LOAD_THREADS];
	bbt_node     n;
	char         url[256];
	char        *want;
	bbt_resp     r;
	int          acked = 0;
	int          i;
	int          k;

	(void) state;
	assert_non_null(ts);
	bbt_node_init(&n);
	bbt_node_start(&n, conf_text);
	for (i = 0; i < LOAD_THREADS; i++) {
		ts[i].tid = (unsigned) i + 1;
		(void) snprintf(ts[i].url, sizeof(ts[i].url), "%s/test",
		                n.url);
		assert_int_equal(
		    pthread_create(&th[i], NULL, load_main, &ts[i]), 0);
	}
	// Stop while inserts are in flight: each one either is refused or
	// fails, or is acknowledged and then readable after the restart.
	bbt_sleep_ms(700);
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	for (i = 0; i < LOAD_THREADS; i++) {
		(void) pthread_join(th[i], NULL);
		acked += ts[i].n;
	}
	print_message("%d inserts acknowledged before the stop\n", acked);
	assert_true(acked > 0);
	bbt_node_start(&n, conf_text);
	for (i = 0; i < LOAD_THREADS; i++) {
		for (k = 0; k < ts[i].n; k++) {
			(void) snprintf(url, sizeof(url), "%s/test/%s", n.url,
			                ts[i].ids[k]);
			assert_int_equal(bbt_http("GET", url, NULL, 0, &r),
			                 200);
			want = malloc(ts[i].lens[k]);
			assert_non_null(want);
			bbt_fill(want, ts[i].lens[k], load_seed(ts[i].tid, k));
			assert_int_equal(r.len, ts[i].lens[k]);
			assert_memory_equal(r.body, want, r.len);
			free(want);
			bbt_resp_free(&r);
		}
	}
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
	free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_keeps_every_id),
		cmocka_unit_test(test_internal_error_is_500),
		cmocka_unit_test(test_bad_config_names_file_and_line),
		cmocka_unit_test(test_pidfile),
		cmocka_unit_test(test_sigterm_under_load),
	};
	int rc;

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
