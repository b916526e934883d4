// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/cli_errors_test.c -- the blobby client's answers to what
// goes wrong, and its help: the offline id decoder, invalid ids, HTTP errors,
// missing input, a node that is down or silent, usage errors, --help for
// every command, BLOBBY_URL.
#define _XOPEN_SOURCE 700
#include "tests/integration/cli_fixture.h"

static void
test_id_decode(void **state)
{
	run_res r;

	(void) state;
	// Spec 2.1: time 2020-02-20 02:02:02 UTC, counter 1, machine 2 is
	// the fid Xk3omgABAAAAAg; start 4096 and length 1000 follow.
	assert_int_equal(run(&r, "id", "Xk3omgABAAAAAgAAEAAAAAPo", NULL), 0);
	assert_string_equal(r.out,
	                    "id:       Xk3omgABAAAAAgAAEAAAAAPo\n"
	                    "file id:  Xk3omgABAAAAAg\n"
	                    "created:  2020-02-20T02:02:02Z\n"
	                    "counter:  1\n"
	                    "machine:  2 (0.0.0.2)\n"
	                    "start:    4096\n"
	                    "length:   1000\n"
	                    "file:     Xk3omgABAAAAAg (a replica's: "
	                    "r-Xk3omgABAAAAAg)\n"
	                    "signed:   no\n");
	assert_int_equal(r.err_len, 0);
	res_free(&r);
	// Spec 2.2: the long form, f = {0,1,2,3,4,5,6,7,8,10}.
	assert_int_equal(run(&r, "id", "AAECAwQFBgcICv_______________w", NULL),
	                 0);
	assert_string_equal(r.out,
	                    "id:       AAECAwQFBgcICv_______________w\n"
	                    "file id:  AAECAwQFBgcICg\n"
	                    "created:  1970-01-01T18:20:51Z\n"
	                    "counter:  1029\n"
	                    "machine:  101124106 (6.7.8.10)\n"
	                    "start:    18446744073709551615\n"
	                    "length:   4294967295\n"
	                    "file:     AAECAwQFBgcICg (a replica's: "
	                    "r-AAECAwQFBgcICg)\n"
	                    "signed:   no\n");
	res_free(&r);
}

// An ID that starts with '-' (one in 64) is an ID, not options, for id,
// get and head alike; this one names 0 bytes, which a node serves
// without a file.
static void
test_dash_id(void **state)
{
	static const char dash[] = "-AAAAAAAAAAAAAAAAAAAAAAA";
	run_res           r;

	(void) state;
	assert_int_equal(run(&r, "id", dash, NULL), 0);
	assert_memory_equal(r.out, "id:       -AAAA", 15);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "get", "test", dash, NULL),
	                 0);
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "head", "test", dash, "-q", NULL), 0);
	res_free(&r);
	// Options still work around it.
	assert_int_equal(run(&r, "id", "-q", NULL), 64);
	res_free(&r);
}

static void
test_invalid_id(void **state)
{
	static const char *bad[] = {
		"garbage",
		"Xk3omgABAAAAAgAAEAAAAAP",   // 23 characters
		"Xk3omgABAAAAAgAAEAAAAAP!",  // not base64url
		"Xk3omgABAAAAAgAAEAAAAAPoA", // 25 characters
		"Xk3omgABAAAAAg",            // a file id, not an object id
	};
	run_res r;
	size_t  i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run(&r, "id", bad[i], NULL), EX_DATAERR);
		assert_int_equal(r.out_len, 0);
		assert_non_null(strstr(r.err, "not a valid blob ID"));
		res_free(&r);
	}
	// No network needed: the node named is down, the answer is still 65.
	assert_int_equal(
	    run(&r, "--url", dead_url, "get", "test", "garbage", NULL),
	    EX_DATAERR);
	assert_string_equal(r.err,
	                    "blobby: ID 'garbage': not a valid blob ID\n");
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", dead_url, "head", "test", "garbage", NULL),
	    EX_DATAERR);
	res_free(&r);
	// A namespace that would change the request's path.
	assert_int_equal(run(&r, "--url", dead_url, "get", "a/b",
	                     "Xk3omgABAAAAAgAAEAAAAAPo", NULL),
	                 EX_DATAERR);
	res_free(&r);
}

static void
test_http_errors(void **state)
{
	char     path[512];
	char     want[256];
	char     id[CLI_ID_BUF];
	store_id sid;
	run_res  r;

	(void) state;
	// A well-formed ID of this machine for a file that does not exist.
	store_fid_make(&sid.fid, VEC_TIME, 1, MACHINE);
	sid.start  = 0;
	sid.length = 10;
	(void) store_id_format(&sid, id);
	assert_int_equal(run(&r, "--url", node.url, "get", "test", id, NULL),
	                 1);
	(void) snprintf(want, sizeof(want),
	                "blobby: GET /test/%s: 404 The requested ID was not "
	                "found.\n",
	                id);
	assert_string_equal(r.err, want);
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	// Unknown namespace, for each command that names one.
	assert_int_equal(run(&r, "--url", node.url, "get", "nosuch", id, NULL),
	                 1);
	(void) snprintf(want, sizeof(want),
	                "blobby: GET /nosuch/%s: 404 Name space does not "
	                "exist.\n",
	                id);
	assert_string_equal(r.err, want);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "head", "nosuch", id, NULL), 1);
	(void) snprintf(want, sizeof(want), "blobby: HEAD /nosuch/%s: 404 ",
	                id);
	assert_memory_equal(r.err, want, strlen(want));
	res_free(&r);
	(void) snprintf(path, sizeof(path), "%s/small", work);
	write_file(path, "hello", 5);
	assert_int_equal(
	    run(&r, "--url", node.url, "put", "nosuch", path, NULL), 1);
	assert_string_equal(
	    r.err, "blobby: POST /nosuch: 404 Name space does not exist.\n");
	assert_int_equal(r.out_len, 0);
	res_free(&r);
}

static void
test_missing_input(void **state)
{
	char    path[512];
	run_res r;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/does-not-exist", work);
	assert_int_equal(run(&r, "--url", node.url, "put", "test", path, NULL),
	                 EX_NOINPUT);
	assert_non_null(strstr(r.err, "No such file or directory"));
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	assert_int_equal(run(&r, "--url", node.url, "put", "test", work, NULL),
	                 EX_NOINPUT);
	res_free(&r);
	assert_int_equal(
	    run(&r, "--url", node.url, "--cacert", path, "status", NULL),
	    EX_NOINPUT);
	res_free(&r);
}

static void
test_node_down(void **state)
{
	char    path[512];
	char    dir[512];
	char    out[600];
	run_res r;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/down", work);
	write_file(path, "hello", 5);
	assert_int_equal(run(&r, "--url", dead_url, "put", "test", path, NULL),
	                 EX_UNAVAILABLE);
	assert_non_null(strstr(r.err, "blobby: POST /test: "));
	assert_int_equal(r.out_len, 0);
	res_free(&r);
	fresh_dir(dir, sizeof(dir), "down-get");
	(void) snprintf(out, sizeof(out), "%s/blob.bin", dir);
	assert_int_equal(run(&r, "--url", dead_url, "get", "test",
	                     "Xk3omgABAAAAAgAAEAAAAAPo", "-o", out, NULL),
	                 EX_UNAVAILABLE);
	res_free(&r);
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(run(&r, "--url", dead_url, "health", NULL),
	                 EX_UNAVAILABLE);
	res_free(&r);
}

// A node that accepts the connection and never answers: --timeout.
static void
test_timeout(void **state)
{
	struct sockaddr_in sa;
	socklen_t          slen = sizeof(sa);
	char               url[64];
	int64_t            t0;
	run_res            r;
	int                s;

	(void) state;
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *) &sa, &slen), 0);
	(void) snprintf(url, sizeof(url), "http://127.0.0.1:%d",
	                ntohs(sa.sin_port));
	t0 = bbt_now_ms();
	assert_int_equal(run(&r, "--url", url, "--timeout", "0.5", "get",
	                     "test", "Xk3omgABAAAAAgAAEAAAAAPo", NULL),
	                 EX_TEMPFAIL);
	assert_true(bbt_now_ms() - t0 < 10000);
	assert_non_null(strstr(r.err, "blobby: GET /test/"));
	res_free(&r);
	(void) close(s);
}

static void
test_usage_errors(void **state)
{
	run_res r;

	(void) state;
#define USAGE(...)                                                      \
	do {                                                            \
		assert_int_equal(run(&r, __VA_ARGS__, NULL), EX_USAGE); \
		assert_non_null(strstr(r.err, "blobby: "));             \
		assert_int_equal(r.out_len, 0);                         \
		res_free(&r);                                           \
	} while (0)
	assert_int_equal(run(&r, NULL), EX_USAGE);
	res_free(&r);
	USAGE("frobnicate");
	USAGE("--bogus", "status");
	USAGE("status", "--bogus");
	USAGE("-x", "status");
	USAGE("put");
	USAGE("get", "test");
	USAGE("head", "test");
	USAGE("id");
	USAGE("id", "a", "b");
	USAGE("status", "extra");
	USAGE("put", "test", "file", "-o", "out");
	USAGE("get", "test", "Xk3omgABAAAAAgAAEAAAAAPo", "--json");
	USAGE("--timeout", "abc", "status");
	USAGE("--timeout", "-1", "status");
	USAGE("--url");
	USAGE("--url", "ftp://127.0.0.1/", "status");
	USAGE("--url", "127.0.0.1:1091", "status");
	USAGE("--url", "http://127.0.0.1:1091/?x=1", "status");
	USAGE("--url", node.url, "shutdown", "bogus");
	USAGE("help", "frobnicate");
#undef USAGE
}

static void
test_help(void **state)
{
	static const char *cmds[] = { "put",    "get",      "head",  "id",
		                      "status", "shutdown", "health" };
	char               want[64];
	run_res            r;
	size_t             i;

	(void) state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		(void) snprintf(want, sizeof(want),
		                "usage: blobby [OPTIONS] %s", cmds[i]);
		assert_int_equal(run(&r, cmds[i], "--help", NULL), 0);
		assert_memory_equal(r.out, want, strlen(want));
		assert_non_null(strstr(r.out, "Exit codes:"));
		assert_int_equal(r.err_len, 0);
		res_free(&r);
		assert_int_equal(run(&r, "help", cmds[i], NULL), 0);
		assert_memory_equal(r.out, want, strlen(want));
		res_free(&r);
		assert_int_equal(run(&r, cmds[i], "-h", NULL), 0);
		assert_memory_equal(r.out, want, strlen(want));
		res_free(&r);
	}
	assert_int_equal(run(&r, "--help", NULL), 0);
	assert_memory_equal(r.out, "usage: blobby [OPTIONS] COMMAND", 31);
	assert_non_null(strstr(r.out, "  66  input file"));
	assert_non_null(strstr(r.out, "BLOBBY_URL"));
	res_free(&r);
	assert_int_equal(run(&r, "-h", NULL), 0);
	res_free(&r);
	assert_int_equal(run(&r, "--version", NULL), 0);
	assert_memory_equal(r.out, "blobby 0.1.0 (libcurl ", 22);
	res_free(&r);
}

static void
test_env_url(void **state)
{
	run_how how = { .in = "env", .in_len = 3 };
	char    id[CLI_ID_BUF];
	run_res r;

	(void) state;
	how.env_url = node.url;
	assert_int_equal(run_how_args(&r, &how, "put", "test", NULL), 0);
	id_of(&r, id);
	res_free(&r);
	how.in      = NULL;
	how.in_len  = 0;
	how.env_url = node.url;
	assert_int_equal(run_how_args(&r, &how, "get", "test", id, NULL), 0);
	assert_string_equal(r.out, "env");
	res_free(&r);
	// --url wins over BLOBBY_URL.
	how.env_url = dead_url;
	assert_int_equal(
	    run_how_args(&r, &how, "--url", node.url, "get", "test", id, NULL),
	    0);
	assert_string_equal(r.out, "env");
	res_free(&r);
	assert_int_equal(run_how_args(&r, &how, "get", "test", id, NULL),
	                 EX_UNAVAILABLE);
	res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_decode),
		cmocka_unit_test(test_invalid_id),
		cmocka_unit_test(test_dash_id),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_missing_input),
		cmocka_unit_test(test_node_down),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_env_url),
	};
	int rc;

	// A client that exits before reading its input must not kill us.
	(void) signal(SIGPIPE, SIG_IGN);
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
