// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/load_test.c -- "blobby load" ($BLOBBY) against one
// real blobbyd: inserts verified byte for byte with figures that add up
// in valid JSON (bodies made whole and streamed), read and mix runs, a ledger
// whose hashes are the blobs' own, a verify-only run that catches a byte
// flipped on disk and a blob that is missing, unreachable nodes and bad
// options.
#define _XOPEN_SOURCE 700
#include "tests/integration/cli_fixture.h"

#include <inttypes.h>
#include <xxhash.h>

#define LINE_MAX_ 256

// json_valid checks that text is one JSON object (python3 is a build
// requirement: CMake finds it for the tests).
static void
json_valid(const char *text)
{
	char path[600];
	char cmd[1400];

	(void) snprintf(path, sizeof(path), "%s/out.json", work);
	write_file(path, text, strlen(text));
	(void) snprintf(cmd, sizeof(cmd),
	                "python3 -c 'import json,sys; "
	                "d=json.load(open(sys.argv[1])); "
	                "assert isinstance(d, dict)' '%s'",
	                path);
	assert_int_equal(system(cmd), 0);
}

// num returns the number after "key": in text, after the first
// occurrence of anchor (NULL: from the start); fails if it is absent.
static double
num(const char *text, const char *anchor, const char *key)
{
	char        pat[64];
	const char *p = text;

	if (anchor != NULL) {
		p = strstr(text, anchor);
		assert_non_null(p);
	}
	(void) snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(p, pat);
	if (p == NULL) {
		fail_msg("no %s in %s", pat, text);
	}
	return strtod(p + strlen(pat), NULL);
}

static void
check_latency(const char *out, const char *which, double count)
{
	char anchor[32];

	(void) snprintf(anchor, sizeof(anchor), "\"%s\":{\"count\"", which);
	assert_true(num(out, anchor, "count") == count);
	if (count == 0) {
		return;
	}
	assert_true(num(out, anchor, "p50") > 0);
	assert_true(num(out, anchor, "p50") <= num(out, anchor, "p90"));
	assert_true(num(out, anchor, "p90") <= num(out, anchor, "p99"));
	assert_true(num(out, anchor, "p99") <= num(out, anchor, "p999"));
	assert_true(num(out, anchor, "p999") <= num(out, anchor, "max"));
	assert_true(num(out, anchor, "max") < 60e6);
}

static void
test_insert_verify(void **state)
{
	run_res r;

	(void) state;
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--count", "300", "--concurrency", "8", "--size",
	                     "0-64KiB", "--verify", "--json", NULL),
	                 0);
	json_valid(r.out);
	assert_true(num(r.out, NULL, "requests") == 300);
	assert_true(num(r.out, NULL, "ok") == 300);
	assert_true(num(r.out, NULL, "inserts") == 300);
	assert_true(num(r.out, NULL, "failed") == 0);
	assert_true(num(r.out, NULL, "ops_per_s") > 0);
	assert_true(num(r.out, NULL, "mb_per_s") > 0);
	// 0..65536 bytes each: on average about 32 KiB.
	assert_true(num(r.out, NULL, "bytes") > 300.0 * 8192);
	assert_true(num(r.out, NULL, "bytes") < 300.0 * 65537);
	check_latency(r.out, "insert", 300);
	check_latency(r.out, "read", 0);
	assert_true(num(r.out, "\"verify\"", "checked") == 300);
	assert_true(num(r.out, "\"verify\"", "intact") == 300);
	assert_true(num(r.out, "\"verify\"", "mismatched") == 0);
	assert_true(num(r.out, "\"verify\"", "missing") == 0);
	assert_true(num(r.out, "\"verify\"", "failed") == 0);
	res_free(&r);

	// Bodies above 64 KiB are made while they are sent.
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--count", "8", "--size", "100KiB-1MiB",
	                     "--verify", "--json", NULL),
	                 0);
	assert_true(num(r.out, NULL, "ok") == 8);
	assert_true(num(r.out, NULL, "bytes") > 8.0 * 100 * 1024);
	assert_true(num(r.out, "\"verify\"", "intact") == 8);
	res_free(&r);

	// The text report has the same parts.
	assert_int_equal(run(&r, "load", "--url", node.url, "--url", node.url,
	                     "--ns", "test", "--count", "20", "--size", "1k",
	                     "--verify", NULL),
	                 0);
	assert_non_null(strstr(r.out, "requests:   20 (20 ok, 0 failed)"));
	assert_non_null(strstr(r.out, "latency:    insert (20): p50 "));
	assert_non_null(strstr(r.out,
	                       "verify:     20 checked, 20 intact, "
	                       "0 mismatched, 0 missing, 0 failed"));
	res_free(&r);
}

static void
test_read_and_mix(void **state)
{
	run_res r;

	(void) state;
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--op", "read", "--count", "200", "--warmup",
	                     "50", "--size", "100-5000", "--verify", "--json",
	                     NULL),
	                 0);
	json_valid(r.out);
	assert_true(num(r.out, NULL, "ok") == 200);
	assert_true(num(r.out, NULL, "reads") == 200);
	assert_true(num(r.out, NULL, "inserts") == 0);
	assert_true(num(r.out, NULL, "read_mismatched") == 0);
	check_latency(r.out, "read", 200);
	assert_true(num(r.out, "\"verify\"", "checked") == 50);
	assert_true(num(r.out, "\"verify\"", "intact") == 50);
	res_free(&r);

	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--op", "mix", "--read-ratio", "0.5", "--count",
	                     "300", "--duration", "30s", "-c", "4",
	                     "--verify-url", node.url, "--json", NULL),
	                 0);
	json_valid(r.out);
	assert_true(num(r.out, NULL, "ok") == 300);
	assert_true(num(r.out, NULL, "reads") > 30);
	assert_true(num(r.out, NULL, "inserts") > 30);
	assert_true(num(r.out, "\"verify\"", "checked") ==
	            num(r.out, NULL, "inserts"));
	assert_true(num(r.out, "\"verify\"", "intact") ==
	            num(r.out, NULL, "inserts"));
	res_free(&r);

	// A duration bounds a run without --count.
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--duration", "300ms", "--json", NULL),
	                 0);
	assert_true(num(r.out, NULL, "ok") > 0);
	assert_true(num(r.out, NULL, "seconds") < 30);
	res_free(&r);
}

// ledger_line reads line k (from 0) of the ledger at path.
static void
ledger_line(const char *path, int k, char *id, unsigned *len, uint64_t *hash)
{
	FILE *f = fopen(path, "r");
	char  line[LINE_MAX_];
	int   i;

	assert_non_null(f);
	for (i = 0; i <= k; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
	}
	(void) fclose(f);
	assert_int_equal(sscanf(line, "%30s %u %" SCNx64, id, len, hash), 3);
}

// flip_byte inverts the byte at offset off of the data file of fid.
static void
flip_byte(const store_fid *fid, uint64_t off)
{
	char          path[600];
	char          name[STORE_FID_STRLEN + 1];
	unsigned char c;
	int           fd;

	(void) snprintf(path, sizeof(path), "%s/test/%s", node.dir,
	                store_fid_format(fid, name));
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t) off), 1);
	c ^= 0xff;
	assert_int_equal(pwrite(fd, &c, 1, (off_t) off), 1);
	assert_int_equal(close(fd), 0);
}

static void
test_ledger_catches_corruption(void **state)
{
	char     ledger[600];
	char     url[256];
	char     id[CLI_ID_BUF];
	char     line[LINE_MAX_];
	unsigned len;
	uint64_t hash;
	store_id sid;
	bbt_resp resp = { 0 };
	FILE    *f;
	run_res  r;

	(void) state;
	(void) snprintf(ledger, sizeof(ledger), "%s/ledger", work);
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--count", "40", "--size", "4KiB", "--ledger",
	                     ledger, "--json", NULL),
	                 0);
	assert_true(num(r.out, NULL, "ok") == 40);
	res_free(&r);

	// The ledger holds the blob's own XXH3-64 and length.
	ledger_line(ledger, 7, id, &len, &hash);
	assert_int_equal(len, 4096);
	(void) snprintf(url, sizeof(url), "%s/test/%s", node.url, id);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &resp), 200);
	assert_int_equal(resp.len, 4096);
	assert_true(XXH3_64bits(resp.body, resp.len) == hash);
	bbt_resp_free(&resp);

	// Untouched, every blob is intact.
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--verify-ledger", ledger, "--json", NULL),
	                 0);
	json_valid(r.out);
	assert_true(num(r.out, "\"verify\"", "intact") == 40);
	res_free(&r);

	// One byte of blob 7 flipped on disk where its ID says it lives, and
	// a blob that was never written (past the end of the same file).
	assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
	flip_byte(&sid.fid, sid.start + 1234);
	sid.start += UINT64_C(1) << 30;
	(void) store_id_format(&sid, id);
	f = fopen(ledger, "a");
	assert_non_null(f);
	(void) fprintf(f, "%s %u %016" PRIx64 "\n", id, (unsigned) sid.length,
	               hash);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--verify-ledger", ledger, "--json", NULL),
	                 EX_DATAERR);
	json_valid(r.out);
	assert_true(num(r.out, "\"verify\"", "checked") == 41);
	assert_true(num(r.out, "\"verify\"", "intact") == 39);
	assert_true(num(r.out, "\"verify\"", "mismatched") == 1);
	assert_true(num(r.out, "\"verify\"", "missing") == 1);
	assert_true(num(r.out, "\"verify\"", "failed") == 0);
	ledger_line(ledger, 7, line, &len, &hash);
	assert_non_null(strstr(r.err, line)); // names the damaged blob
	assert_non_null(strstr(r.err, "other bytes than acknowledged"));
	assert_non_null(strstr(r.err, "404 for an acknowledged blob"));
	res_free(&r);
}

static void
test_failures(void **state)
{
	char    bad[600];
	run_res r;

	(void) state;
	// No node answers: every request failed, exit 69.
	assert_int_equal(run(&r, "load", "--url", dead_url, "--ns", "test",
	                     "--count", "5", "--json", NULL),
	                 EX_UNAVAILABLE);
	assert_true(num(r.out, NULL, "ok") == 0);
	assert_true(num(r.out, NULL, "failed") == 5);
	res_free(&r);
	// An unknown namespace: every insert answered 404, exit 1.
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "nope",
	                     "--count", "5", "--json", NULL),
	                 1);
	assert_true(num(r.out, "\"status\"", "404") == 5);
	res_free(&r);
	// Options.
	assert_int_equal(run(&r, "load", "--url", node.url, NULL), EX_USAGE);
	assert_non_null(strstr(r.err, "--ns NS is required"));
	res_free(&r);
	assert_int_equal(
	    run(&r, "load", "--ns", "test", "--size", "9-1", NULL), EX_USAGE);
	res_free(&r);
	assert_int_equal(
	    run(&r, "load", "--ns", "test", "--op", "delete", NULL), EX_USAGE);
	res_free(&r);
	(void) snprintf(bad, sizeof(bad), "%s/none", work);
	assert_int_equal(run(&r, "load", "--url", node.url, "--ns", "test",
	                     "--verify-ledger", bad, NULL),
	                 EX_NOINPUT);
	res_free(&r);
	assert_int_equal(run(&r, "load", "--help", NULL), 0);
	assert_non_null(strstr(r.out, "--verify-ledger"));
	res_free(&r);
}

static void
test_progress_on_terminal(void **state)
{
	run_how how = { .pty = true };
	run_res r;

	(void) state;
	assert_int_equal(run_how_args(&r, &how, "load", "--url", node.url,
	                              "--ns", "test", "--count", "50", NULL),
	                 0);
	assert_non_null(strstr(r.err, "\rload: "));
	res_free(&r);
	assert_int_equal(run_how_args(&r, &how, "load", "--url", node.url,
	                              "--ns", "test", "--count", "50", "-q",
	                              NULL),
	                 0);
	assert_null(strstr(r.err, "load: "));
	res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_verify),
		cmocka_unit_test(test_read_and_mix),
		cmocka_unit_test(test_ledger_catches_corruption),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_progress_on_terminal),
	};

	int rc;

	(void) signal(SIGPIPE, SIG_IGN);
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
