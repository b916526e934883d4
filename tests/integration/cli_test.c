// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/cli_test.c -- the blobby client ($BLOBBY) against one
// real blobbyd: round trips through files, standard input and output,
// head, failed downloads that leave no file, the progress bar on a
// pseudo terminal, and the admin commands (health, status, shutdown).
#define _XOPEN_SOURCE 700
#include "tests/integration/cli_fixture.h"

static void
test_put_get_file(void **state)
{
	static const size_t sizes[] = { 0, 1, BIG };
	char                path[512];
	char                tag[32];
	char                id[CLI_ID_BUF];
	store_id            sid;
	run_res             r;
	size_t              i;
	char               *data;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		data = make_data(sizes[i], (unsigned) i + 1);
		(void) snprintf(path, sizeof(path), "%s/in-%zu", work, i);
		write_file(path, data, sizes[i]);
		assert_int_equal(
		    run(&r, "--url", node.url, "put", "test", path, NULL), 0);
		assert_int_equal(r.err_len, 0);
		id_of(&r, id);
		res_free(&r);
		assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
		assert_int_equal(sid.length, sizes[i]);
		(void) snprintf(tag, sizeof(tag), "file-%zu", i);
		check_get(id, data, sizes[i], tag);
		free(data);
	}
}

static void
test_put_get_stdin(void **state)
{
	static const size_t sizes[] = { 0, 1, BIG };
	run_how             how     = { 0 };
	char                tag[32];
	char                id[CLI_ID_BUF];
	store_id            sid;
	run_res             r;
	size_t              i;
	char               *data;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		data       = make_data(sizes[i], (unsigned) i + 10);
		how.in     = data;
		how.in_len = sizes[i];
		// "-" names standard input as well as no FILE at all.
		if (i == 1) {
			assert_int_equal(run_how_args(&r, &how, "put", "test",
			                              "-", "--url", node.url,
			                              NULL),
			                 0);
		} else {
			assert_int_equal(run_how_args(&r, &how, "--url",
			                              node.url, "put", "test",
			                              NULL),
			                 0);
		}
		assert_int_equal(r.err_len, 0);
		id_of(&r, id);
		res_free(&r);
		assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
		assert_int_equal(sid.length, sizes[i]);
		(void) snprintf(tag, sizeof(tag), "stdin-%zu", i);
		check_get(id, data, sizes[i], tag);
		free(data);
	}
}

static void
test_head(void **state)
{
	char    id[CLI_ID_BUF];
	run_res r;

	(void) state;
	put_bytes(12345, 7, id);
	assert_int_equal(run(&r, "--url", node.url, "head", "test", id, NULL),
	                 0);
	assert_string_equal(r.out, "length: 12345\nstatus: 200 OK\n");
	res_free(&r);
	put_bytes(0, 7, id);
	assert_int_equal(run(&r, "--url", node.url, "head", "test", id, NULL),
	                 0);
	assert_string_equal(r.out, "length: 0\nstatus: 200 OK\n");
	res_free(&r);
}

static void
test_get_output_failures(void **state)
{
	char     dir[512];
	char     out[600];
	char     id[CLI_ID_BUF];
	store_id sid;
	run_res  r;

	(void) state;
	store_fid_make(&sid.fid, VEC_TIME, 2, MACHINE);
	sid.start  = 0;
	sid.length = 10;
	(void) store_id_format(&sid, id);
	fresh_dir(dir, sizeof(dir), "fail-get");
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL), 1);
	res_free(&r);
	assert_int_equal(count_entries(dir), 0);
	// An existing FILE is left alone by a failure.
	write_file(out, "old", 3);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL), 1);
	res_free(&r);
	assert_int_equal(count_entries(dir), 1);
	(void) snprintf(out, sizeof(out), "%s/no-dir/blob.bin", dir);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", out, NULL),
	    EX_CANTCREAT);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", id, "-o", dir, NULL),
	    EX_CANTCREAT);
	res_free(&r);
}

// The progress bar: on a terminal for a transfer above 1 MB, erased at
// the end; never with --quiet or on a pipe.
static void
test_progress(void **state)
{
	run_how how = { .pty = true };
	char    dir[512];
	char    out[600];
	char    in[600];
	char    id[CLI_ID_BUF];
	char   *data;
	run_res r;

	(void) state;
	data = make_data(BIG, 99);
	(void) snprintf(in, sizeof(in), "%s/progress.in", work);
	write_file(in, data, BIG);
	free(data);
	assert_int_equal(
	    run_how_args(&r, &how, "--url", node.url, "put", "test", in, NULL),
	    0);
	assert_non_null(strstr(r.err, "%"));
	assert_non_null(strstr(r.err, "3.14MB"));
	assert_int_equal(r.err[r.err_len - 1], '\r'); // erased
	id_of(&r, id);
	res_free(&r);
	fresh_dir(dir, sizeof(dir), "progress");
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "get",
	                              "test", id, "-o", out, NULL),
	                 0);
	assert_non_null(strstr(r.err, "%  "));
	assert_non_null(strstr(r.err, " / 3.14MB"));
	assert_int_equal(r.err[r.err_len - 1], '\r');
	res_free(&r);
	assert_int_equal(run_how_args(&r, &how, "-q", "--url", node.url, "get",
	                              "test", id, "-o", out, NULL),
	                 0);
	assert_int_equal(r.err_len, 0);
	res_free(&r);
	// Small transfers draw nothing.
	put_bytes(1000, 5, id);
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "get",
	                              "test", id, "-o", out, NULL),
	                 0);
	assert_int_equal(r.err_len, 0);
	res_free(&r);
}

// check_admin: the command succeeded and printed want.
static void
check_admin(run_res *r, int code, const char *want)
{
	if (code != 0) {
		fail_msg("exit %d: %s", code, r->err);
	}
	assert_non_null(strstr(r->out, want));
}

static void
test_health(void **state)
{
	run_res r;
	int     code;

	(void) state;
	code = run(&r, "--url", node.url, "health", NULL);
	check_admin(&r, code, "test");
	res_free(&r);
}

static void
test_status(void **state)
{
	run_res r;
	int     code;

	(void) state;
	code = run(&r, "--url", node.url, "status", NULL);
	check_admin(&r, code, "test");
	res_free(&r);
	code = run(&r, "--url", node.url, "status", "--json", NULL);
	check_admin(&r, code, "test");
	res_free(&r);
}

static void
test_shutdown(void **state)
{
	run_res r;
	int     code;

	(void) state;
	// Only the query: starting a shutdown would stop the other tests.
	code = run(&r, "--url", node.url, "shutdown", "status", NULL);
	check_admin(&r, code, "shutting down");
	res_free(&r);
	code = run(&r, "--url", node.url, "shutdown", NULL);
	check_admin(&r, code, "shutting down");
	res_free(&r);
	// A round trip through shutdown mode, during
	// which the node reports itself unhealthy (500, or 503 → 69).
	assert_int_equal(run(&r, "--url", node.url, "shutdown", "start", NULL),
	                 0);
	assert_non_null(strstr(r.out, "shutting down"));
	res_free(&r);
	code = run(&r, "--url", node.url, "health", NULL);
	assert_true(code == 1 || code == EX_UNAVAILABLE);
	assert_memory_equal(r.err, "blobby: GET /_health: 5", 23);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "shutdown", "stop", NULL),
	                 0);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "health", NULL), 0);
	res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_file),
		cmocka_unit_test(test_put_get_stdin),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_get_output_failures),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_shutdown),
	};
	int rc;

	// A client that exits before reading its input must not kill us.
	(void) signal(SIGPIPE, SIG_IGN);
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
