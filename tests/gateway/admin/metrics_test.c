// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/admin/metrics_test.c -- the page of /_metrics by
// Prometheus' conventions: values and names of every kind of family
// (namespaces, archive, requests, peers, process, build info), the tag
// prefix on label names but le, the structure promtool checks (HELP and
// TYPE before the samples, counters ending in _total), and what
// gw__proc_read and gw__disk_read find.  The page of the original's
// names: metrics_legacy_test.c.  promtool itself runs on a real node's
// page in tests/integration/metrics_test.c.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

// render makes the page for two namespaces, one peer, a few requests and
// a process, with known values.
static char *
render(const char *prefix)
{
	gw__ns_metrics        v[2];
	gw__metrics_page      pg;
	gw__proc_stats        ps;
	rpc_peer_stats        peer;
	store_lifecycle_stats lc;
	store_metrics        *m = NULL;
	gw__hstats           *h = NULL;
	bb_buf                b;
	int                   i;

	memset(v, 0, sizeof(v));
	memset(&pg, 0, sizeof(pg));
	memset(&ps, 0, sizeof(ps));
	memset(&peer, 0, sizeof(peer));
	memset(&lc, 0, sizeof(lc));
	assert_int_equal(store_metrics_new(&m), BB_OK);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, true);
	store_metrics_op(m, STORE_OP_PRIMARY_INSERT, false);
	store_metrics_add(m, STORE_CTR_BYTES_INSERTED, 12345);
	store_metrics_add(m, STORE_CTR_BYTES_READ, 678);
	store_metrics_add(m, STORE_CTR_INTERNAL_ERRORS_INSERT, 1);
	store_metrics_add(m, STORE_CTR_TIME_WRITE_NS, 1500000777);
	store_metrics_observe(m, STORE_HIST_INSERT, 50000);
	store_metrics_observe(m, STORE_HIST_INSERT, 3000000);
	store_metrics_snapshot(m, &v[0].snap);
	store_metrics_free(m);
	v[0].name             = "alpha";
	v[0].healthy          = true;
	v[0].queued_upload_ns = 1500000000;
	v[0].has_disk         = true;
	v[0].disk_size        = 1000000;
	v[0].disk_free        = 600000;
	v[0].disk_avail       = 500000;
	v[1].name             = "beta";
	v[1].unuploaded_ns    = 61000000000;
	lc.uploads            = 4;
	lc.uploaded_bytes     = 4096;
	lc.queued             = 2;
	assert_int_equal(gw__hstats_new(&h), BB_OK);
	for (i = 0; i < 3; i++) {
		gw__hstats_count(h, gw__method_of("POST"), 200);
	}
	gw__hstats_count(h, gw__method_of("GET"), 404);
	gw__hstats_count(h, gw__method_of("BREW"), 405);
	gw__hstats_count(h, gw__method_of("GET"), 0);   // never answered
	gw__hstats_count(h, gw__method_of("GET"), 999); // out of range
	peer.machine                = 2;
	peer.responsive             = true;
	peer.calls[RPC_M_REPLICATE] = 5;
	peer.errors[RPC_M_READ]     = 1;
	peer.calls[RPC_M_READ]      = 1;
	for (i = 3; i <= STORE_HIST_NBOUNDS; i++) {
		peer.buckets[i] = 5; // cumulative: all five under 1 ms
	}
	peer.count      = 5;
	peer.sum_ns     = 2000000;
	ps.ok           = true;
	ps.cpu_seconds  = 1.25;
	ps.rss_bytes    = 4096000;
	ps.vsize_bytes  = 8192000;
	ps.start_time_s = 1700000000.5;
	ps.has_fds      = true;
	ps.open_fds     = 17;
	ps.max_fds      = 1024;
	ps.vmax_bytes   = -1;
	pg.prefix       = prefix;
	pg.v            = v;
	pg.n            = 2;
	pg.lc           = &lc;
	pg.lc_oldest_ns = 2500000000;
	pg.waiting      = 3;
	pg.http         = h;
	pg.peers        = &peer;
	pg.npeers       = 1;
	pg.proc         = &ps;
	pg.version      = "1.2.3";

	bb_buf_init(&b, 1 << 20);
	gw__metrics_render(&b, &pg);
	gw__hstats_free(h);
	assert_false(b.failed);
	return b.p; // the caller frees it
}

static void
test_render_values(void **state)
{
	char *t = render("");

	(void) state;
	has_line(t, "blobby_shutting_down 0");
	has_line(t, "blobby_namespace_healthy{namespace=\"alpha\"} 1");
	has_line(t, "blobby_namespace_healthy{namespace=\"beta\"} 0");
	has_line(t, "blobby_inserted_bytes_total{namespace=\"alpha\"} 12345");
	has_line(t, "blobby_read_bytes_total{namespace=\"alpha\"} 678");
	has_line(t, "blobby_primary_insert_total{namespace=\"alpha\"} 3");
	has_line(t,
	         "blobby_primary_insert_successes_total{namespace=\"alpha\"} "
	         "2");
	has_line(t,
	         "blobby_primary_insert_failures_total{namespace=\"alpha\"} "
	         "1");
	has_line(t, "# TYPE blobby_primary_insert_total counter");
	has_line(t,
	         "blobby_internal_errors_total{namespace=\"alpha\",type="
	         "\"insert\"} 1");
	has_line(t,
	         "blobby_oldest_queued_upload_seconds{namespace=\"alpha\"} "
	         "1.500000000");
	has_line(t,
	         "blobby_primary_oldest_unuploaded_file_age_seconds{namespace="
	         "\"beta\"} 61.000000000");
	// The original's nanoseconds, in seconds and exact.
	has_line(t,
	         "blobby_timing_data_seconds_total{namespace=\"alpha\",type="
	         "\"primary_insert_write\"} 1.500000777");
	has_line(t,
	         "blobby_insert_duration_seconds_bucket{namespace=\"alpha\","
	         "le=\"0.005\"} 2");
	has_line(t,
	         "blobby_insert_duration_seconds_sum{namespace=\"alpha\"} "
	         "0.003050000");
	// Disk only where statvfs worked.
	has_line(t, "blobby_disk_avail_bytes{namespace=\"alpha\"} 500000");
	has_line(t, "blobby_disk_size_bytes{namespace=\"alpha\"} 1000000");
	assert_null(strstr(t, "blobby_disk_free_bytes{namespace=\"beta\"}"));
	has_line(t, "blobby_archive_uploads_total 4");
	has_line(t, "blobby_archive_uploaded_bytes_total 4096");
	has_line(t, "blobby_archive_queued_files 2");
	has_line(t, "blobby_archive_oldest_queued_upload_seconds 2.500000000");
	has_line(t, "blobby_http_waiting_requests 3");
	has_line(t, "blobby_build_info{version=\"1.2.3\"} 1");
	// Requests: only the pairs seen, unknown methods as "other".
	has_line(t,
	         "blobby_http_requests_total{method=\"POST\",code=\"200\"} 3");
	has_line(t,
	         "blobby_http_requests_total{method=\"GET\",code=\"404\"} 1");
	has_line(
	    t, "blobby_http_requests_total{method=\"other\",code=\"405\"} 1");
	assert_null(strstr(t, "code=\"0\""));
	assert_null(strstr(t, "method=\"HEAD\""));
	has_line(t, "blobby_peer_up{peer=\"2\"} 1");
	has_line(t,
	         "blobby_rpc_calls_total{peer=\"2\",method=\"Replicate\"} 5");
	has_line(t,
	         "blobby_rpc_call_errors_total{peer=\"2\",method=\"Read\"} 1");
	has_line(t,
	         "blobby_rpc_call_duration_seconds_bucket{peer=\"2\",le="
	         "\"0.0005\"} 0");
	has_line(t,
	         "blobby_rpc_call_duration_seconds_bucket{peer=\"2\",le="
	         "\"0.001\"} 5");
	has_line(t,
	         "blobby_rpc_call_duration_seconds_bucket{peer=\"2\",le="
	         "\"+Inf\"} 5");
	has_line(t,
	         "blobby_rpc_call_duration_seconds_sum{peer=\"2\"} "
	         "0.002000000");
	has_line(t, "blobby_rpc_call_duration_seconds_count{peer=\"2\"} 5");
	// The process, under the client libraries' names, whole numbers
	// in full.
	has_line(t, "process_cpu_seconds_total 1.250000");
	has_line(t, "process_resident_memory_bytes 4096000");
	has_line(t, "process_virtual_memory_bytes 8192000");
	has_line(t, "process_start_time_seconds 1700000000.500000");
	has_line(t, "process_open_fds 17");
	has_line(t, "process_max_fds 1024");
	has_line(t, "process_virtual_memory_max_bytes -1");
	// Nothing of the original's names is left on this page.
	assert_null(strstr(t, "\nbytes_inserted"));
	assert_null(strstr(t, "nanoseconds"));
	free(t);
}

static void
test_render_prefix(void **state)
{
	char *t = render("bb_");

	(void) state;
	has_line(t,
	         "blobby_inserted_bytes_total{bb_namespace=\"alpha\"} 12345");
	has_line(t,
	         "blobby_internal_errors_total{bb_namespace=\"alpha\",bb_type="
	         "\"insert\"} 1");
	// le belongs to Prometheus: never prefixed.
	has_line(t,
	         "blobby_read_duration_seconds_bucket{bb_namespace=\"beta\","
	         "le=\"10\"} 0");
	has_line(t,
	         "blobby_http_requests_total{bb_method=\"POST\",bb_code="
	         "\"200\"} 3");
	has_line(t, "blobby_peer_up{bb_peer=\"2\"} 1");
	has_line(t, "blobby_build_info{bb_version=\"1.2.3\"} 1");
	assert_null(strstr(t, "{namespace="));
	free(t);
}

// Every sample belongs to the family of the HELP and TYPE lines before
// it (a histogram's with a suffix), counters end in _total and nothing
// else does, every family is announced once.
static void
test_render_structure(void **state)
{
	char       *t          = render("");
	char        help[128]  = "";
	char        typed[128] = "";
	char        type[32]   = "";
	char        name[128];
	char        seen[256][128];
	const char *line;
	const char *nl;
	size_t      nseen = 0;
	size_t      n;
	size_t      i;

	(void) state;
	for (line = t; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl > line); // no blank lines
		if (strncmp(line, "# HELP ", 7) == 0) {
			(void) sscanf(line + 7, "%127s", help);
			for (i = 0; i < nseen; i++) {
				if (strcmp(seen[i], help) == 0) {
					fail_msg("%s announced twice", help);
				}
			}
			assert_true(nseen < 256);
			(void) snprintf(seen[nseen++], sizeof(seen[0]), "%s",
			                help);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			(void) sscanf(line + 7, "%127s %31s", typed, type);
			assert_string_equal(typed, help);
			n = strlen(typed);
			if (strcmp(type, "counter") == 0) {
				assert_true(n > 6 &&
				            strcmp(typed + n - 6, "_total") ==
				                0);
			} else {
				assert_false(n > 6 &&
				             strcmp(typed + n - 6, "_total") ==
				                 0);
			}
			continue;
		}
		n = strcspn(line, "{ ");
		assert_true(n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		if (strncmp(name, typed, strlen(typed)) != 0) {
			fail_msg("sample %s under family %s", name, typed);
		}
		if (strcmp(type, "histogram") != 0) {
			assert_string_equal(name, typed);
		}
	}
	free(t);
}

static void
test_proc_and_disk(void **state)
{
	gw__proc_stats ps;
	gw__ns_metrics v;
	double         now = (double) time(NULL);

	(void) state;
	gw__proc_read(&ps);
	assert_true(ps.ok);
	assert_true(ps.has_fds);
	assert_true(ps.open_fds >= 3); // at least the standard three
	assert_true(ps.max_fds >= ps.open_fds);
	assert_true(ps.rss_bytes > 0);
	assert_true(ps.vsize_bytes >= ps.rss_bytes);
	assert_true(ps.cpu_seconds >= 0);
	// Started a moment ago (boot time plus ticks: within a minute).
	assert_true(ps.start_time_s > now - 60 && ps.start_time_s < now + 60);
	memset(&v, 0, sizeof(v));
	gw__disk_read("/", &v);
	assert_true(v.has_disk);
	assert_true(v.disk_size > 0);
	assert_true(v.disk_free <= v.disk_size);
	assert_true(v.disk_avail <= v.disk_free);
	memset(&v, 0, sizeof(v));
	gw__disk_read("/nonexistent/blobby", &v);
	assert_false(v.has_disk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_values),
		cmocka_unit_test(test_render_prefix),
		cmocka_unit_test(test_render_structure),
		cmocka_unit_test(test_proc_and_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
