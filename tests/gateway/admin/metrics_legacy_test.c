// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/admin/metrics_legacy_test.c -- the page of the original's
// names (/_metrics/legacy): families, labels with the tag prefix,
// histogram lines, the format's structure.  The page by Prometheus'
// conventions: metrics_test.c.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_impl.h"

// has_line checks that text holds line as a whole line.
static void
has_line(const char *text, const char *line)
{
	size_t      n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n') {
			return;
		}
		p += n;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

// render makes the page for two namespaces with known values.
static char *
render(const char *prefix, bool draining)
{
	gw__ns_metrics        v[2];
	gw__metrics_page      pg;
	store_lifecycle_stats lc;
	store_metrics        *m = NULL;
	bb_buf                b;
	char                 *text;

	memset(v, 0, sizeof(v));
	memset(&pg, 0, sizeof(pg));
	memset(&lc, 0, sizeof(lc));
	assert_int_equal(store_metrics_new(&m), BB_OK);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, false);
	store_metrics_add(m, STORE_CTR_BYTES_INSERTED, 12345);
	store_metrics_add(m, STORE_CTR_INTERNAL_ERRORS_INSERT, 1);
	store_metrics_add(m, STORE_CTR_TIME_WRITE_NS, 777);
	store_metrics_observe(m, STORE_HIST_INSERT, 50000);
	store_metrics_observe(m, STORE_HIST_INSERT, 3000000);
	store_metrics_snapshot(m, &v[0].snap);
	store_metrics_free(m);
	v[0].name             = "alpha";
	v[0].healthy          = true;
	v[0].queued_upload_ns = 1500000000;
	v[1].name             = "beta";
	v[1].unuploaded_ns    = 61000000000;
	lc.uploads            = 4;
	lc.uploaded_bytes     = 4096;
	lc.queued             = 2;

	bb_buf_init(&b, 1 << 20);
	pg.prefix       = prefix;
	pg.draining     = draining;
	pg.v            = v;
	pg.n            = 2;
	pg.lc           = &lc;
	pg.lc_oldest_ns = 2500000000;
	pg.waiting      = 3;
	gw__metrics_render_legacy(&b, &pg);
	assert_false(b.failed);
	text = b.p;
	return text; // the caller frees it
}

static void
test_render_values(void **state)
{
	char *t = render("", false);

	(void) state;
	has_line(t, "shutting_down 0");
	has_line(t, "namespaces_healthy{namespace=\"alpha\"} 1");
	has_line(t, "namespaces_healthy{namespace=\"beta\"} 0");
	has_line(t, "bytes_inserted{namespace=\"alpha\"} 12345");
	has_line(t, "bytes_inserted{namespace=\"beta\"} 0");
	has_line(t, "primary_insert_total{namespace=\"alpha\"} 3");
	has_line(t, "primary_insert_successes{namespace=\"alpha\"} 2");
	has_line(t, "primary_insert_failures{namespace=\"alpha\"} 1");
	has_line(t, "# TYPE primary_insert_total counter");
	has_line(t,
	         "# HELP primary_insert_total Total number of primary "
	         "inserts");
	has_line(t, "internal_errors{namespace=\"alpha\",type=\"insert\"} 1");
	has_line(t,
	         "oldest_queued_upload_seconds{namespace=\"alpha\"} "
	         "1.500000");
	has_line(t,
	         "primary_oldest_unuploaded_file_age_seconds{namespace="
	         "\"beta\"} 61.000000");
	has_line(t, "queued_inserts{namespace=\"alpha\"} 0");
	has_line(t, "replica_queuedelete_total{namespace=\"beta\"} 0");
	has_line(t, "replicas_orphaned{namespace=\"alpha\"} 0");
	has_line(t, "archive_conflicts{namespace=\"alpha\"} 0");
	has_line(t,
	         "timing_data_nanoseconds{namespace=\"alpha\",type="
	         "\"primary_insert_write\"} 777");
	// The histogram: cumulative buckets, exact sum, count = +Inf.
	has_line(t, "# TYPE blobby_insert_duration_seconds histogram");
	has_line(t,
	         "blobby_insert_duration_seconds_bucket{namespace="
	         "\"alpha\",le=\"0.0001\"} 1");
	has_line(t,
	         "blobby_insert_duration_seconds_bucket{namespace="
	         "\"alpha\",le=\"0.0025\"} 1");
	has_line(t,
	         "blobby_insert_duration_seconds_bucket{namespace="
	         "\"alpha\",le=\"0.005\"} 2");
	has_line(t,
	         "blobby_insert_duration_seconds_bucket{namespace="
	         "\"alpha\",le=\"+Inf\"} 2");
	has_line(t,
	         "blobby_insert_duration_seconds_sum{namespace="
	         "\"alpha\"} 0.003050000");
	has_line(t,
	         "blobby_insert_duration_seconds_count{namespace="
	         "\"alpha\"} 2");
	has_line(t,
	         "blobby_read_duration_seconds_count{namespace=\"beta\"} "
	         "0");
	// The lifecycle, process-wide.
	has_line(t, "blobby_archive_uploads 4");
	has_line(t, "blobby_archive_uploaded_bytes 4096");
	has_line(t, "blobby_archive_queued_files 2");
	has_line(t, "blobby_archive_oldest_queued_upload_seconds 2.500000");
	has_line(t, "blobby_http_waiting_requests 3");
	free(t);
}

static void
test_render_prefix_and_drain(void **state)
{
	char *t = render("bb_", true);

	(void) state;
	has_line(t, "shutting_down 1");
	has_line(t, "bytes_inserted{bb_namespace=\"alpha\"} 12345");
	has_line(t,
	         "internal_errors{bb_namespace=\"alpha\",bb_type="
	         "\"insert\"} 1");
	// le belongs to Prometheus: never prefixed.
	has_line(t,
	         "blobby_read_duration_seconds_bucket{bb_namespace="
	         "\"beta\",le=\"10\"} 0");
	assert_null(strstr(t, "{namespace="));
	free(t);
}

// Every sample's family was announced by a TYPE line before it; families
// are separated by one blank line, and the page ends with a sample line
// (no blank line after the last family, as the original).
static void
test_render_structure(void **state)
{
	char       *t = render("", false);
	char        name[128];
	char        typed[128] = "";
	const char *line;
	const char *nl;
	size_t      n;
	bool        blank = false;

	(void) state;
	for (line = t; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		n = (size_t) (nl - line);
		if (n == 0) {
			assert_false(blank); // never two in a row
			blank = true;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			(void) sscanf(line + 7, "%127s", typed);
			assert_true(blank || line == t);
			blank = false;
			continue;
		}
		assert_false(blank); // a blank line only before a TYPE
		if (strncmp(line, "# HELP ", 7) == 0) {
			(void) sscanf(line + 7, "%127s", name);
			assert_string_equal(name, typed);
			continue;
		}
		n = strcspn(line, "{ ");
		assert_true(n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		// A histogram's samples carry a suffix.
		if (strncmp(name, typed, strlen(typed)) != 0) {
			fail_msg("sample %s under family %s", name, typed);
		}
	}
	n = strlen(t);
	assert_true(n >= 2 && t[n - 1] == '\n' && t[n - 2] != '\n');
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_values),
		cmocka_unit_test(test_render_prefix_and_drain),
		cmocka_unit_test(test_render_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
