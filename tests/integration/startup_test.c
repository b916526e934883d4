// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/startup_test.c -- what stops blobbyd at start-up, as an
// operator sees it: a bad file named by the configuration (htpasswd,
// HTTPS or RPC certificate, id_key_file) makes "blobbyd -t" and blobbyd
// itself exit 78 naming the file, before any namespace directory is
// created (the namespace that comes first in the configuration is fine);
// and a fatal error at start (a port in use, a data directory that cannot
// be made) reaches the configured log as well as standard error.  S3 keys
// come from systemd credentials when the configuration has none.
#define _XOPEN_SOURCE 700 // mkdtemp, popen
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

// The head of every configuration: a log file, ports 0, and namespace
// "a" first, whose directory must not appear when the start is refused.
#define HEAD                                                      \
	"machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"       \
	"[namespace.a]\ndirectory = @DIR@/data/a\nreplicas = 0\n" \
	"archive = dir\narchive_directory = @DIR@/archive\n"
#define SERVER "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"

typedef struct bad_case {
	const char *name;
	const char *conf; // after HEAD
	const char *file; // what the message must name
} bad_case;

// A world-readable key file: store_idkeys_load refuses it.
#define KEY "00112233445566778899aabbccddeeff\n"

static const bad_case bad_cases[] = {
	{ "htpasswd missing",
	  SERVER "[server.status_acl]\n"
	         "basic_auth_htpasswd_file = @DIR@/nope.htpasswd\n",
	  "nope.htpasswd" },
	{ "htpasswd plain text",
	  SERVER "[server.status_acl]\n"
	         "basic_auth_htpasswd_file = @DIR@/plain.htpasswd\n",
	  "plain.htpasswd" },
	{ "https certificate missing",
	  SERVER "tls = true\ntls_certificate_file = @DIR@/nope.crt\n"
	         "tls_private_key_file = @DIR@/nope.key\n",
	  "nope.crt" },
	{ "rpc certificate missing",
	  SERVER "rpc_tls = true\nrpc_tls_certificate_file = @DIR@/rpc.crt\n"
	         "rpc_tls_private_key_file = @DIR@/rpc.key\n"
	         "rpc_tls_ca_file = @DIR@/ca.crt\n",
	  "rpc.crt" },
	{ "id_key_file readable by others",
	  SERVER "[namespace.b]\ndirectory = @DIR@/data/b\nreplicas = 0\n"
	         "archive = dir\narchive_directory = @DIR@/archive\n"
	         "id_key_file = @DIR@/open.key\n",
	  "open.key" },
	{ "id_key_file missing",
	  SERVER "[namespace.b]\ndirectory = @DIR@/data/b\nreplicas = 0\n"
	         "archive = dir\narchive_directory = @DIR@/archive\n"
	         "id_key_file = @DIR@/nope.key\n",
	  "nope.key" },
};

// write_file writes text to dir/name with mode.
static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char  path[512];
	FILE *f;

	bbt_fmt(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

// check_only runs "$BLOBBYD -t -c conf 2>&1": its exit status, and what
// it printed in out.
static int
check_only(const char *conf, char *out, size_t cap)
{
	return bbt_sh_out(out, cap, "%s -t -c %s 2>&1", getenv("BLOBBYD"),
	                  conf);
}

static bool
exists(const char *dir, const char *name)
{
	char        path[512];
	struct stat st;

	bbt_fmt(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void
test_bad_files(void **state)
{
	char     conf[2048];
	char     err[4096];
	char     out[4096];
	size_t   i;
	int      st;
	bbt_node n;

	(void) state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		print_message("case: %s\n", bad_cases[i].name);
		bbt_node_init(&n);
		write_file(n.dir, "open.key", KEY, 0644);
		write_file(n.dir, "plain.htpasswd", "alice:secret\n", 0644);
		bbt_fmt(conf, sizeof(conf), "%s%s", HEAD, bad_cases[i].conf);
		st = bbt_node_try_start(&n, conf, err, sizeof(err));
		assert_int_equal(st, 78); // EX_CONFIG
		assert_non_null(strstr(err, bad_cases[i].file));
		// Refused before namespace a (which is fine) was opened.
		assert_false(exists(n.dir, "data"));
		// The log says it too.
		assert_true(bbt_log_has(&n, bad_cases[i].file, 1000));
		// blobbyd -t finds the same.
		assert_int_equal(check_only(n.conf, out, sizeof(out)), 78);
		assert_non_null(strstr(out, bad_cases[i].file));
		assert_false(exists(n.dir, "data"));
		bbt_node_cleanup(&n);
	}
}

// A port in use: blobbyd exits 69 (EX_UNAVAILABLE), and says so in the
// log as well as on standard error.
static void
test_port_in_use_logged(void **state)
{
	struct sockaddr_in sa;
	socklen_t          len = sizeof(sa);
	char               conf[2048];
	char               err[4096];
	int                fd;
	int                st;
	bbt_node           n;

	(void) state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	bbt_node_init(&n);
	bbt_fmt(conf, sizeof(conf),
	        HEAD "[server]\naddr = 127.0.0.1\nport = %u\nrpc_port = 0\n",
	        (unsigned) ntohs(sa.sin_port));
	st = bbt_node_try_start(&n, conf, err, sizeof(err));
	assert_int_equal(st, 69);
	assert_non_null(strstr(err, "cannot listen"));
	assert_true(bbt_log_has(&n, "cannot listen", 1000));
	(void) close(fd);
	bbt_node_cleanup(&n);
}

// A data directory that cannot be made (its parent is a file): exit 73
// (EX_CANTCREAT), in the log too.
static void
test_data_dir_logged(void **state)
{
	char     err[4096];
	int      st;
	bbt_node n;

	(void) state;
	bbt_node_init(&n);
	write_file(n.dir, "file", "x", 0644);
	st = bbt_node_try_start(
	    &n,
	    "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n" SERVER
	    "[namespace.a]\ndirectory = @DIR@/file/a\nreplicas = 0\n"
	    "archive = dir\narchive_directory = @DIR@/archive\n",
	    err, sizeof(err));
	assert_int_equal(st, 73);
	assert_non_null(strstr(err, "file/a"));
	assert_true(bbt_log_has(&n, "file/a", 1000));
	bbt_node_cleanup(&n);
}

// S3 keys from systemd credentials ($CREDENTIALS_DIRECTORY, files
// s3_access_key_id and s3_secret_access_key) when the section has none:
// without them the check refuses the configuration, with both it passes,
// with one of the two it names the other.
static void
test_credentials(void **state)
{
	char     out[4096];
	char     cred[512];
	int      st;
	bbt_node node;
	int      i;
	// 0: no credentials, 1: one file, 2: both.
	static const int   want[] = { 78, 78, 0 };
	static const char *says[] = { "no S3 credentials", "go together",
		                      "is valid" };

	(void) state;
	// Keys in the test's environment would be taken first.
	assert_int_equal(unsetenv("AWS_ACCESS_KEY_ID"), 0);
	assert_int_equal(unsetenv("AWS_SECRET_ACCESS_KEY"), 0);
	bbt_node_init(&node);
	bbt_fmt(cred, sizeof(cred), "%s/creds", node.dir);
	assert_int_equal(mkdir(cred, 0700), 0);
	// Written but not started: blobbyd -t only.
	st = bbt_node_try_start(
	    &node,
	    "machine_id = 1\n[aws.main]\nregion = us-east-1\n"
	    "endpoint = http://127.0.0.1:1\n" SERVER
	    "[namespace.a]\ndirectory = @DIR@/data\nreplicas = 0\n"
	    "archive = s3\naws_profile = main\ns3_bucket = b\n",
	    out, sizeof(out));
	assert_int_equal(st, 78);
	for (i = 0; i < 3; i++) {
		if (i == 1) {
			write_file(cred, "s3_access_key_id", "AKIDEXAMPLE\n",
			           0600);
		}
		if (i == 2) {
			write_file(cred, "s3_secret_access_key", "sekrit\n",
			           0600);
		}
		st = bbt_sh_out(
		    out, sizeof(out),
		    "env -u AWS_ACCESS_KEY_ID -u "
		    "AWS_SECRET_ACCESS_KEY CREDENTIALS_DIRECTORY=%s "
		    "%s -t -c %s 2>&1",
		    cred, getenv("BLOBBYD"), node.conf);
		assert_int_equal(st, want[i]);
		assert_non_null(strstr(out, says[i]));
	}
	bbt_node_cleanup(&node);
}

// A node whose S3 keys come from systemd credentials reloads: the new
// configuration gets the keys the same way, so its [aws.*] section (which
// cannot change while running) is not taken for changed.
static void
test_credentials_reload(void **state)
{
	char     cred[512];
	bbt_node node;

	(void) state;
	assert_int_equal(unsetenv("AWS_ACCESS_KEY_ID"), 0);
	assert_int_equal(unsetenv("AWS_SECRET_ACCESS_KEY"), 0);
	bbt_node_init(&node);
	bbt_fmt(cred, sizeof(cred), "%s/creds", node.dir);
	assert_int_equal(mkdir(cred, 0700), 0);
	write_file(cred, "s3_access_key_id", "AKIDEXAMPLE\n", 0600);
	write_file(cred, "s3_secret_access_key", "sekrit\n", 0600);
	// The node inherits it; no upload happens before the test ends (an
	// unreachable endpoint would only be retried).
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", cred, 1), 0);
	bbt_node_start(&node,
	               "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
	               "[aws.main]\nregion = us-east-1\n"
	               "endpoint = http://127.0.0.1:1\n" SERVER
	               "[namespace.a]\ndirectory = @DIR@/data\nreplicas = 0\n"
	               "archive = s3\naws_profile = main\ns3_bucket = b\n");
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	assert_int_equal(kill(node.pid, SIGHUP), 0);
	assert_true(bbt_log_has(&node, "nothing changed", 20000));
	assert_false(bbt_log_has(&node, "cannot change while running", 0));
	assert_int_equal(bbt_node_stop(&node, SIGTERM), 0);
	bbt_node_cleanup(&node);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_port_in_use_logged),
		cmocka_unit_test(test_data_dir_logged),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_credentials_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
