// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/archive_health_test.c -- /_health shows archive
// trouble without failing: with its S3 server stopped (a closed loopback
// port), a node's uploads fail, and within seconds /_health names the
// namespace's archive line while still answering 200 and serving the
// blob; when S3 is back the file is archived and the line goes.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"

#define WAIT_MS 30000

// health_until polls /_health of n until its body contains text (want)
// or no longer does (!want), for up to WAIT_MS; the last answer is left
// in *r (the caller frees it).
static bool
health_until(bbt_node *n, const char *text, bool want, bbt_resp *r)
{
	int64_t end = bbt_now_ms() + WAIT_MS;
	char    url[256];

	(void) snprintf(url, sizeof(url), "%s/_health", n->url);
	for (;;) {
		if (bbt_http("GET", url, NULL, 0, r) >= 0 &&
		    (strstr(r->body, text) != NULL) == want) {
			return true;
		}
		if (bbt_now_ms() >= end) {
			return false;
		}
		bbt_resp_free(r);
		bbt_sleep_ms(100);
	}
}

static void
test_health_shows_failing_uploads(void **state)
{
	static const char *const buckets[] = { "blobby", NULL };
	char                     tmp[64];
	char                     conf[2048];
	char                     url[512];
	char                     id[64];
	bbt_s3                  *s3;
	bbt_node                 n;
	bbt_resp                 r;
	int64_t                  t0;
	int64_t                  shown_ms;

	(void) state;
	(void) snprintf(tmp, sizeof(tmp), "/tmp/bb_arch_health.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	s3 = bbt_s3_start(tmp, buckets);
	assert_non_null(s3);
	(void) snprintf(conf, sizeof(conf),
	                "machine_id = 1\narchive_retry_initial = 100ms\n"
	                "archive_retry_max = 500ms\n"
	                "[log]\nfile = @DIR@/blobbyd.log\n"
	                "[client]\ntimeout = 5s\n"
	                "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
	                "[aws.local]\nregion = us-east-1\nendpoint = %s\n"
	                "key_id = S3RVER\nsecret_key = S3RVER\n"
	                "[namespace.test]\ndirectory = @DIR@/test\n"
	                "replicas = 0\narchive = s3\naws_profile = local\n"
	                "s3_bucket = blobby\nupload_older = 1s\n"
	                "[namespace.other]\ndirectory = @DIR@/other\n"
	                "replicas = 0\narchive = dir\n"
	                "archive_directory = @DIR@/archive\n",
	                bbt_s3_endpoint(s3));
	bbt_node_init(&n);
	bbt_node_start(&n, conf);

	// Healthy: no archive line.
	(void) snprintf(url, sizeof(url), "%s/_health", n.url);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_null(strstr(r.body, "archive:"));
	bbt_resp_free(&r);

	// S3 down: its port is closed; the file seals after 1 s and every
	// upload fails at once (connection refused).
	bbt_s3_pause(s3);
	(void) snprintf(url, sizeof(url), "%s/test", n.url);
	assert_int_equal(
	    bbt_http("POST", url, "kept while S3 is down", 21, &r), 200);
	(void) snprintf(id, sizeof(id), "%s", r.body);
	bbt_resp_free(&r);
	t0 = bbt_now_ms();
	if (!health_until(&n, "archive: uploads failing (", true, &r)) {
		fail_msg("no archive line on /_health: %s", r.body);
	}
	shown_ms = bbt_now_ms() - t0;
	print_message("archive line on /_health %lld ms after the insert\n",
	              (long long) shown_ms);
	// Still 200 (reads and inserts go on), the namespace named and OK,
	// the line under it, and the other namespace untouched.
	assert_int_equal(r.status, 200);
	assert_non_null(
	    strstr(r.body, "test: OK\n    archive: uploads failing ("));
	assert_non_null(strstr(r.body, " in a row, last error: "));
	assert_non_null(strstr(r.body, "other: OK\n"));
	assert_null(strstr(r.body, "other: OK\n    archive"));
	bbt_resp_free(&r);
	(void) snprintf(url, sizeof(url), "%s/test/%s", n.url, id);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_int_equal(r.len, 21);
	assert_memory_equal(r.body, "kept while S3 is down", 21);
	bbt_resp_free(&r);

	// S3 back: the next try archives the file and the line goes.
	assert_int_equal(bbt_s3_resume(s3), 0);
	if (!health_until(&n, "archive:", false, &r)) {
		fail_msg("archive line still on /_health: %s", r.body);
	}
	assert_int_equal(r.status, 200);
	bbt_resp_free(&r);
	assert_true(bbt_log_has(&n, "archived as", 10000));

	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
	bbt_s3_stop(s3);
	bbt_rmtree(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_shows_failing_uploads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
