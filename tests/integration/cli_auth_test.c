// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/cli_auth_test.c -- the blobby client against a
// namespace behind HTTP Basic authentication, with the password never on
// the command line: $BLOBBY_PASSWORD, $BLOBBY_USER, ~/.netrc, and a prompt
// on a real pseudo terminal.  Also what it does on a terminal: a binary
// blob is refused unless asked, a text one is written; and an -o error
// names the user's path.
#define _XOPEN_SOURCE 700
#include "tests/integration/cli_fixture.h"

#define PASSWORD "opensesame"

// conf_text of the fixture plus a namespace both of whose ACLs require
// the user alice (password PASSWORD).
static const char auth_conf[] =
    CLI_CONF_TEXT "[namespace.locked]\n"
                  "directory = @DIR@/locked\n"
                  "replicas = 0\n"
                  "archive = dir\n"
                  "archive_directory = @DIR@/archive-locked\n"
                  "[namespace.locked.insert_acl]\n"
                  "basic_auth_htpasswd_file = @DIR@/htpasswd\n"
                  "basic_auth_required = true\n"
                  "[namespace.locked.read_acl]\n"
                  "basic_auth_htpasswd_file = @DIR@/htpasswd\n"
                  "basic_auth_required = true\n";

static const char text_blob[] = "hello, terminal\n";

static char locked_id[CLI_ID_BUF]; // "locked" holds text_blob
static char binary_id[CLI_ID_BUF]; // "test" holds 4096 seeded bytes

static int
auth_setup(void **state)
{
	char path[512];

	(void) state;
	setup_dirs();
	bbt_fmt(path, sizeof(path), "%s/htpasswd", node.dir);
	// {SHA} of PASSWORD.
	write_file(path, "alice:{SHA}F2GPAaOiG5EcklvLUlodIavTBnM=\n", 40);
	bbt_node_start(&node, auth_conf);
	return 0;
}

// put_locked stores text_blob in "locked" with how's credentials.
static int
put_locked(run_how *how, run_res *r, const char *user)
{
	how->in     = text_blob;
	how->in_len = strlen(text_blob);
	if (user == NULL) {
		return run_how_args(r, how, "--url", node.url, "put", "locked",
		                    NULL);
	}
	return run_how_args(r, how, "--url", node.url, "--user", user, "put",
	                    "locked", NULL);
}

static void
test_env_password(void **state)
{
	run_how how  = { .env = { "BLOBBY_PASSWORD=" PASSWORD } };
	run_how bad  = { .env = { "BLOBBY_PASSWORD=wrong" } };
	run_how none = { 0 };
	run_res r;

	(void) state;
	assert_int_equal(put_locked(&how, &r, "alice"), 0);
	id_of(&r, locked_id);
	res_free(&r);
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "--user",
	                              "alice", "get", "locked", locked_id,
	                              NULL),
	                 0);
	assert_string_equal(r.out, text_blob);
	res_free(&r);
	// The node does refuse: a wrong password, or none.
	assert_int_equal(put_locked(&bad, &r, "alice"), 1);
	assert_non_null(strstr(r.err, "401"));
	res_free(&r);
	assert_int_equal(run_how_args(&r, &none, "--url", node.url, "get",
	                              "locked", locked_id, NULL),
	                 1);
	assert_non_null(strstr(r.err, "Authentication is required"));
	res_free(&r);
	// NAME:PASSWORD on the command line works too (documented as
	// visible to every local user).
	assert_int_equal(put_locked(&none, &r, "alice:" PASSWORD), 0);
	res_free(&r);
}

static void
test_env_user(void **state)
{
	run_how how = { .env = { "BLOBBY_USER=alice",
		                 "BLOBBY_PASSWORD=" PASSWORD } };
	run_res r;

	(void) state;
	assert_int_equal(put_locked(&how, &r, NULL), 0);
	res_free(&r);
}

static void
test_netrc(void **state)
{
	char    home[512];
	char    netrc[600];
	char    envhome[600];
	char    line[256];
	run_how how = { 0 };
	run_res r;

	(void) state;
	fresh_dir(home, sizeof(home), "home");
	bbt_fmt(netrc, sizeof(netrc), "%s/.netrc", home);
	bbt_fmt(line, sizeof(line),
	        "machine 127.0.0.1 login alice password %s\n", PASSWORD);
	write_file(netrc, line, strlen(line));
	assert_int_equal(chmod(netrc, 0600), 0);
	bbt_fmt(envhome, sizeof(envhome), "HOME=%s", home);
	how.env[0] = envhome;
	assert_int_equal(put_locked(&how, &r, NULL), 0);
	res_free(&r);
	// --user wins over the file: with no password anywhere and no
	// terminal, it is a usage error, not a silent fall-back.
	assert_int_equal(put_locked(&how, &r, "alice"), EX_USAGE);
	assert_non_null(strstr(r.err, "no password"));
	res_free(&r);
}

static void
test_no_terminal(void **state)
{
	run_how how = { 0 };
	run_res r;

	(void) state;
	assert_int_equal(put_locked(&how, &r, "alice"), EX_USAGE);
	assert_string_equal(r.err,
	                    "blobby: --user alice: no password: set "
	                    "BLOBBY_PASSWORD, use ~/.netrc, or run blobby on "
	                    "a terminal\n");
	assert_int_equal(r.out_len, 0);
	res_free(&r);
}

static void
test_prompt(void **state)
{
	run_how how = { .pty = true, .typed = PASSWORD "\n" };
	run_res r;

	(void) state;
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "--user",
	                              "alice", "-q", "get", "locked",
	                              locked_id, NULL),
	                 0);
	assert_non_null(strstr(r.err, "Password for 'alice': "));
	assert_null(strstr(r.err, PASSWORD)); // not echoed
	assert_string_equal(r.out, text_blob);
	res_free(&r);
	// A wrong answer is the node's 401, not a hang.
	how.typed = "nope\n";
	assert_int_equal(run_how_args(&r, &how, "--url", node.url, "--user",
	                              "alice", "-q", "get", "locked",
	                              locked_id, NULL),
	                 1);
	res_free(&r);
}

static void
test_binary_terminal(void **state)
{
	run_how tty = { .pty = true, .pty_out = true };
	run_how put = { 0 };
	char   *data;
	run_res r;

	(void) state;
	data       = make_data(4096, 7);
	data[100]  = '\0'; // binary whatever the seed gives
	put.in     = data;
	put.in_len = 4096;
	assert_int_equal(
	    run_how_args(&r, &put, "--url", node.url, "put", "test", NULL), 0);
	id_of(&r, binary_id);
	res_free(&r);
	assert_int_equal(run_how_args(&r, &tty, "--url", node.url, "get",
	                              "test", binary_id, NULL),
	                 EX_USAGE);
	assert_non_null(strstr(r.err,
	                       "binary output to a terminal: use -o "
	                       "FILE, or -o - to write it anyway"));
	assert_true(r.err_len < 1024); // the blob did not go to the terminal
	res_free(&r);
	// Asked for: written.
	assert_int_equal(run_how_args(&r, &tty, "--url", node.url, "-q", "get",
	                              "test", binary_id, "-o", "-", NULL),
	                 0);
	assert_true(r.err_len >= 4096);
	res_free(&r);
	// Text goes to the terminal as it is.
	assert_int_equal(run_how_args(&r, &tty, "--url", node.url, "-q",
	                              "--user", "alice:" PASSWORD, "get",
	                              "locked", locked_id, NULL),
	                 0);
	assert_non_null(strstr(r.err, "hello, terminal"));
	res_free(&r);
	// A pipe is no terminal: bytes as they are.
	assert_int_equal(
	    run(&r, "--url", node.url, "get", "test", binary_id, NULL), 0);
	assert_int_equal(r.out_len, 4096);
	assert_memory_equal(r.out, data, 4096);
	res_free(&r);
	free(data);
}

static void
test_output_error_names_path(void **state)
{
	char    out[600];
	char    want[700];
	run_res r;

	(void) state;
	bbt_fmt(out, sizeof(out), "%s/no-such-dir/blob.bin", work);
	assert_int_equal(run(&r, "--url", node.url, "get", "test", binary_id,
	                     "-o", out, NULL),
	                 EX_CANTCREAT);
	bbt_fmt(want, sizeof(want), "blobby: %s: No such file or directory\n",
	        out);
	assert_string_equal(r.err, want);
	res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_password),
		cmocka_unit_test(test_env_user),
		cmocka_unit_test(test_netrc),
		cmocka_unit_test(test_no_terminal),
		cmocka_unit_test(test_prompt),
		cmocka_unit_test(test_binary_terminal),
		cmocka_unit_test(test_output_error_names_path),
	};
	int rc;

	(void) signal(SIGPIPE, SIG_IGN);
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, auth_setup, teardown);
	curl_global_cleanup();
	return rc;
}
