// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/conf_errors_test.c -- the loader's error reports: a table
// of bad inputs with the exact message each must produce, every problem
// at once, the cap of 100 errors and the 198-character line limit.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf/conf.h"
#include "conf_fixture.h"

static size_t
count_lines(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

typedef struct {
	const char *text;
	const char *want; // the whole error text
} err_case;

#define NS_S3 "[namespace.s]\ndirectory = /s\nreplicas = 0\n"

static const err_case err_cases[] = {
	// Syntax and structure.
	{ BASE "bogus = 1\n",
	  "t.ini:7: unknown key 'bogus' in [namespace.a]" },
	{ "bogus = 1\n" BASE,
	  "t.ini:1: unknown key 'bogus' in the top level (before any "
	  "[section])" },
	{ BASE "[foo]\nx = 1\n", "t.ini:7: unknown section [foo]" },
	{ BASE "[server.foo_acl]\n",
	  "t.ini:7: unknown section [server.foo_acl]" },
	{ BASE "[namespace.a.bogus_acl]\n",
	  "t.ini:7: unknown section [namespace.a.bogus_acl]" },
	{ BASE "[]\nx = 1\n", "t.ini:7: empty section name []" },
	{ BASE "[server\nport = 1\n", "t.ini:7: syntax error: missing ']'" },
	{ BASE "[server ; x]\n", "t.ini:7: syntax error: missing ']'" },
	{ BASE "just words\n",
	  "t.ini:7: syntax error: expected 'key = value' or '[section]'" },
	{ BASE "[server] junk\n", "t.ini:7: unexpected text after ']'" },
	{ BASE "= 1\n", "t.ini:7: missing key name before '='" },
	{ BASE
	  "; "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "\n",
	  "t.ini:7: line too long (201 characters; at most 198)" },
	{ BASE
	  "[server.status_acl"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]\nport = 1\n",
	  "t.ini:7: line too long (202 characters; at most 198)" },
	{ BASE "[server]\nport = 1\n[log]\n[server]\nport = 2\n",
	  "t.ini:11: 'port' in [server] given twice (first on line 8)" },
	{ BASE "[server.status_acl]\nwhite_list_cidrs = ::/0\n"
	       "allow_x_fowarded_from_cidrs = ::/0\n"
	       "allow_x_forwarded_from_cidrs = ::/0\n",
	  "t.ini:10: 'allow_x_forwarded_from_cidrs' in [server.status_acl] "
	  "given twice (first on line 9)" },
	{ "machine_id = 1\n",
	  "t.ini: no [namespace.<name>] section: at least "
	  "one namespace is required" },
	{ "[namespace.a]\ndirectory = /d\nreplicas = 0\narchive = dir\n"
	  "archive_directory = /x\n",
	  "t.ini: machine_id is required" },
	// Top level and [client], [log].
	{ "machine_id = x\n[namespace.a]\ndirectory = /d\nreplicas = 0\n"
	  "archive = dir\narchive_directory = /x\n",
	  "t.ini:1: machine_id: expected an integer from 0 to 4294967295, "
	  "got 'x'" },
	{ "machine_id = 4294967296\n[namespace.a]\ndirectory = /d\n"
	  "replicas = 0\narchive = dir\narchive_directory = /x\n",
	  "t.ini:1: machine_id: expected an integer from 0 to 4294967295, "
	  "got '4294967296'" },
	{ "maximum_parallel_uploads = 0\n" BASE,
	  "t.ini:1: maximum_parallel_uploads: expected an integer from 1 to "
	  "4294967295, got '0'" },
	{ "pidfile = a\tb\n" BASE,
	  "t.ini:1: pidfile: contains a control character, got 'a?b'" },
	{ BASE "[client]\ntimeout = 0s\n",
	  "t.ini:8: timeout: must be at least 1s, got '0s'" },
	{ BASE "[log]\nformat = xml\n",
	  "t.ini:8: format: expected plain or json, got 'xml'" },
	{ BASE "[log]\ndebug = maybe\n",
	  "t.ini:8: debug: expected true or false, got 'maybe'" },
	{ BASE "[server.access_log]\nfile =\n",
	  "t.ini:8: file: must not be empty, got ''" },
	// [server]
	{ BASE "[server]\nport = 65536\n",
	  "t.ini:8: port: expected an integer from 0 to 65535, got '65536'" },
	{ BASE "[server]\nport = -1\n",
	  "t.ini:8: port: expected an integer from 0 to 65535, got '-1'" },
	{ BASE "[server]\naddr = localhost\n",
	  "t.ini:8: addr: expected an IP address such as 127.0.0.1, got "
	  "'localhost'" },
	{ BASE "[server]\nhost_name = -bad-\n",
	  "t.ini:8: host_name: expected a host name or address, got "
	  "'-bad-'" },
	{ BASE "[server]\nrpc_port = 1091\n",
	  "t.ini:8: [server]: port and rpc_port are both 1091 on "
	  "127.0.0.1" },
	{ BASE "[server]\ntls = true\n",
	  "t.ini:8: [server]: tls = true needs tls_certificate_file\n"
	  "t.ini:8: [server]: tls = true needs tls_private_key_file" },
	{ BASE "[server]\ntls_certificate_file = /c\n",
	  "t.ini:7: [server]: a TLS certificate or key is given but tls is "
	  "not true" },
	{ BASE "[server]\ntls_private_key_url = sm://aws/key\n",
	  "t.ini:8: tls_private_key_url: only a local path or a file: URL "
	  "is supported, got 'sm://aws/key'" },
	{ BASE "[server]\nread_timeout = 0\n",
	  "t.ini:8: read_timeout: must be at least 1ms, got '0'" },
	{ BASE "[server]\nidle_timeout = 5\n",
	  "t.ini:8: idle_timeout: expected a duration such as 30s, 1h30m or "
	  "1.5h, got '5'" },
	{ BASE "[server]\nmax_header_bytes = 1k\n",
	  "t.ini:8: max_header_bytes: expected a size from 4096 to "
	  "1073741824 bytes, got '1k'" },
	{ BASE "[server]\nmax_header_bytes = lots\n",
	  "t.ini:8: max_header_bytes: expected a size such as 4096, 512k, "
	  "100mib or 1g, got 'lots'" },
	{ BASE "[server]\nmax_connections = 0\n",
	  "t.ini:8: max_connections: expected an integer from 1 to "
	  "4294967295, got '0'" },
	{ BASE "[server]\nthreads = 1025\n",
	  "t.ini:8: threads: expected an integer from 0 to 1024, got "
	  "'1025'" },
	{ BASE "[server]\nprometheus_tag_prefix = 1x\n",
	  "t.ini:8: prometheus_tag_prefix: expected letters, digits and "
	  "'_', not starting with a digit, got '1x'" },
	{ BASE "[server]\naes_keys = 00\n",
	  "t.ini:8: aes_keys: web-form and SAML logins are not supported" },
	{ BASE "[saml.idp]\nidp_url = http://x\n",
	  "t.ini:7: [saml.idp]: web-form and SAML logins are not supported" },
	// ACLs
	{ BASE "[server.status_acl]\nwhite_list_cidrs = 10.0.0.0/8, "
	       "1.2.3.4/33\n",
	  "t.ini:8: white_list_cidrs: '1.2.3.4/33' is not a CIDR such as "
	  "10.0.0.0/8 or ::1/128" },
	{ BASE "[server.status_acl]\nwhite_list_cidrs = 10.0.0.1\n",
	  "t.ini:8: white_list_cidrs: '10.0.0.1' is not a CIDR such as "
	  "10.0.0.0/8 or ::1/128" },
	{ BASE "[server.status_acl]\nwhite_list_cidrs = ::1/129\n",
	  "t.ini:8: white_list_cidrs: '::1/129' is not a CIDR such as "
	  "10.0.0.0/8 or ::1/128" },
	{ BASE "[server.status_acl]\nwhite_list_cidrs = ::1/1x\n",
	  "t.ini:8: white_list_cidrs: '::1/1x' is not a CIDR such as "
	  "10.0.0.0/8 or ::1/128" },
	{ BASE "[server.status_acl]\nwhite_list_cidrs = ::1/128,,::/0\n",
	  "t.ini:8: white_list_cidrs: empty element in list" },
	{ BASE "[server.status_acl]\nwhite_list_required = true\n",
	  "t.ini:8: [server.status_acl]: white_list_required needs "
	  "white_list_cidrs" },
	{ BASE "[server.status_acl]\nallow_x_forwarded_from_cidrs = ::/0\n",
	  "t.ini:8: [server.status_acl]: allow_x_forwarded_from_cidrs "
	  "needs white_list_cidrs" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_required = true\n",
	  "t.ini:8: [namespace.a.read_acl]: basic_auth_required needs "
	  "basic_auth_htpasswd_file" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_user_tags = x\n",
	  "t.ini:8: [namespace.a.read_acl]: basic_auth_user_tags needs "
	  "basic_auth_htpasswd_file" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_htpasswd_file = /h\n"
	       "basic_auth_user_tags = a, b, a\n",
	  "t.ini:9: basic_auth_user_tags: duplicate tag 'a'" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_htpasswd_url = "
	       "file://host/x\n",
	  "t.ini:8: basic_auth_htpasswd_url: expected file:///absolute/path "
	  "or file:relative/path, got 'file://host/x'" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_htpasswd_url = "
	       "file:h?cache=1h\n",
	  "t.ini:8: basic_auth_htpasswd_url: query parameters are not "
	  "supported, got 'file:h?cache=1h'" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_realm =\n",
	  "t.ini:8: basic_auth_realm: must not be empty, got ''" },
	{ BASE "[namespace.a.read_acl]\nbasic_auth_realm = a\"b\n",
	  "t.ini:8: basic_auth_realm: must not contain '\"' or '\\', got "
	  "'a\"b'" },
	{ BASE "[namespace.a.insert_acl]\nweb_users = true\n",
	  "t.ini:8: web_users: web-form and SAML logins are not supported" },
	// [remote.<id>]
	{ BASE "[remote.01]\nhost = ::1\n",
	  "t.ini:7: [remote.01]: the section is named by the peer's machine "
	  "id, an integer from 0 to 4294967295" },
	{ BASE "[remote.4294967296]\n",
	  "t.ini:7: [remote.4294967296]: the section is named by the peer's "
	  "machine id, an integer from 0 to 4294967295" },
	{ BASE "[remote.x]\n",
	  "t.ini:7: [remote.x]: the section is named by "
	  "the peer's machine id, an integer from 0 to "
	  "4294967295" },
	{ BASE "[remote.2]\nport = 1\n",
	  "t.ini:7: [remote.2]: host is required" },
	{ BASE "[remote.2]\nhost = ::1\nport = 0\n",
	  "t.ini:9: port: expected an integer from 1 to 65535, got '0'" },
	{ BASE "[remote.2]\nhost = example.com\n",
	  "t.ini:8: host: expected an IP address such as 127.0.0.1, got "
	  "'example.com'" },
	{ BASE "[remote.2]\nhost = ::1\ntls_insecure_skip_verify = true\n",
	  "t.ini:9: [remote.2]: tls_insecure_skip_verify needs tls = true" },
	{ BASE "[remote.2]\nhost = ::1\nverify_host = a.example\n",
	  "t.ini:9: [remote.2]: verify_host needs tls = true" },
	// [aws.<name>]
	{ BASE "[aws.p]\nkey_id = a\n",
	  "t.ini:7: [aws.p]: key_id and secret_key go together" },
	{ BASE "[aws.p]\nkey_id = a\nsecret_key = b\nfrom_ec2_role = true\n",
	  "t.ini:7: [aws.p]: give at most one credential method: key_id and "
	  "secret_key, profile, from_environment or from_ec2_role" },
	{ BASE "[aws.p]\nendpoint = ftp://x\n",
	  "t.ini:8: endpoint: expected an http:// or https:// URL with a "
	  "host, got 'ftp://x'" },
	{ BASE "[aws.p]\nendpoint = http:///x\n",
	  "t.ini:8: endpoint: expected an http:// or https:// URL with a "
	  "host, got 'http:///x'" },
	{ BASE "[aws.p]\nassume_role_arn = arn:aws:sts::1:x\n",
	  "t.ini:8: assume_role_arn: expected an IAM ARN starting with "
	  "arn:aws:iam::, got 'arn:aws:sts::1:x'" },
	{ BASE "[aws.p q]\n",
	  "t.ini:7: [aws.p q]: an aws profile name is "
	  "letters, digits, '_', '.' and '-'" },
	// [namespace.<name>]
	{ BASE "[namespace._x]\n",
	  "t.ini:7: [namespace._x]: a namespace name is letters, digits, "
	  "'_' and '-', not starting with '_'" },
	{ BASE "[namespace.]\n",
	  "t.ini:7: [namespace.]: a namespace name is letters, digits, '_' "
	  "and '-', not starting with '_'" },
	{ BASE "[namespace.a b]\n",
	  "t.ini:7: [namespace.a b]: a namespace name is letters, digits, "
	  "'_' and '-', not starting with '_'" },
	{ BASE "[namespace.b]\nreplicas = 0\narchive = dir\n"
	       "archive_directory = /x\n",
	  "t.ini:7: [namespace.b]: directory is required" },
	{ BASE "[namespace.b.read_acl]\n",
	  "t.ini:7: [namespace.b]: directory is required\n"
	  "t.ini:7: [namespace.b]: archive = s3 needs aws_profile\n"
	  "t.ini:7: [namespace.b]: archive = s3 needs s3_bucket\n"
	  "t.ini:7: [namespace.b]: replicas = 1 needs at least 1 "
	  "[remote.<id>] sections but there are 0: add [remote.<id>] "
	  "sections or lower replicas" },
	{ BASE "[namespace.b.read_acl]\n[namespace.b]\nreplicas = 0\n"
	       "archive = dir\narchive_directory = /x\n",
	  "t.ini:8: [namespace.b]: directory is required" },
	{ BASE NS_S3,
	  "t.ini:7: [namespace.s]: archive = s3 needs aws_profile\n"
	  "t.ini:7: [namespace.s]: archive = s3 needs s3_bucket" },
	{ BASE NS_S3 "archive = dir\n",
	  "t.ini:10: [namespace.s]: archive = dir needs archive_directory" },
	{ BASE NS_S3 "aws_profile = nope\ns3_bucket = b\n",
	  "t.ini:10: [namespace.s]: aws_profile: there is no [aws.nope] "
	  "section" },
	{ BASE NS_S3 "aws_profile = p\ns3_bucket = a/b\n[aws.p]\n",
	  "t.ini:11: s3_bucket: a bucket name has no '/' or spaces, got "
	  "'a/b'" },
	{ BASE "directory = /d2\n",
	  "t.ini:7: 'directory' in [namespace.a] given twice (first on line "
	  "3)" },
	{ BASE "[namespace.b]\ndirectory = /d\nreplicas = 0\narchive = dir\n"
	       "archive_directory = /x\n",
	  "t.ini:8: [namespace.b]: directory is also the directory of "
	  "[namespace.a]" },
	{ BASE "[namespace.t]\ndirectory = /t\narchive = tape\n",
	  "t.ini:9: archive: expected s3 or dir, got 'tape'\n"
	  "t.ini:7: [namespace.t]: replicas = 1 needs at least 1 "
	  "[remote.<id>] sections but there are 0: add [remote.<id>] "
	  "sections or lower replicas" },
	{ BASE "compress_level = 3\n",
	  "t.ini:7: [namespace.a]: compress_level needs compress = true" },
	{ BASE "compress = true\ncompress_level = 10\n",
	  "t.ini:8: compress_level: expected an integer from -1 to 9, got "
	  "'10'" },
	{ BASE "min_open_files = 4\nmax_open_files = 2\n",
	  "t.ini:8: [namespace.a]: max_open_files (2) is below "
	  "min_open_files (4)" },
	{ BASE "min_open_files = 0\n",
	  "t.ini:7: min_open_files: expected an integer from 1 to 65536, "
	  "got '0'" },
	{ BASE "max_blob_size = 5g\n",
	  "t.ini:7: max_blob_size: expected a size from 1 to 4294967295 "
	  "bytes, got '5g'" },
	{ BASE "max_blob_size = 0\n",
	  "t.ini:7: max_blob_size: expected a size from 1 to 4294967295 "
	  "bytes, got '0'" },
	{ BASE "upload_file_size = 0\n",
	  "t.ini:7: upload_file_size: expected a size from 1 to "
	  "18446744073709551615 bytes, got '0'" },
	{ BASE "upload_older = 500ms\n",
	  "t.ini:7: upload_older: must be at least 1s, got '500ms'" },
	{ "machine_id = 1\n[namespace.a]\ndirectory = /d\nreplicas = 0\n"
	  "archive = dir\narchive_directory = /d/./\n",
	  "t.ini:6: [namespace.a]: archive_directory overlaps the directory "
	  "of [namespace.a]; give the archive a directory of its own" },
	{ "machine_id = 1\n[namespace.a]\ndirectory = /d/a/../x\n"
	  "replicas = 0\narchive = dir\narchive_directory = /d\n",
	  "t.ini:6: [namespace.a]: archive_directory overlaps the directory "
	  "of [namespace.a]; give the archive a directory of its own" },
	{ BASE "[namespace.b]\ndirectory = /ar/b\nreplicas = 0\n"
	       "archive = dir\narchive_directory = /dx\n",
	  "t.ini:6: [namespace.a]: archive_directory overlaps the directory "
	  "of [namespace.b]; give the archive a directory of its own" },
	{ BASE "s3_part_size = 4mib\n",
	  "t.ini:7: s3_part_size: expected a size from 5242880 to "
	  "5368709120 bytes, got '4mib'" },
	{ BASE "s3_multipart_threshold = 1m\n",
	  "t.ini:7: s3_multipart_threshold: expected a size from 5242880 to "
	  "18446744073709551615 bytes, got '1m'" },
	{ "machine_id = 1\narchive_retry_initial = 0s\n[namespace.a]\n"
	  "directory = /d\nreplicas = 0\narchive = dir\n"
	  "archive_directory = /x\n",
	  "t.ini:2: archive_retry_initial: must be at least 1ms, got '0s'" },
	{ BASE "delay_delete = -1s\n",
	  "t.ini:7: delay_delete: must be at least 0s, got '-1s'" },
	{ BASE "heart_beat_interval = 1m\n",
	  "t.ini:7: [namespace.a]: orphan_timeout must be longer than "
	  "heart_beat_interval" },
	{ BASE "orphan_timeout = 30s\n",
	  "t.ini:7: [namespace.a]: orphan_timeout must be longer than "
	  "heart_beat_interval" },
	{ "machine_id = 1\n[namespace.a]\ndirectory = /d\nreplicas = 2\n"
	  "archive = dir\narchive_directory = /x\n[remote.1]\nhost = ::1\n",
	  "t.ini:4: [namespace.a]: replicas = 2 needs at least 2 "
	  "[remote.<id>] sections but there are 1: add [remote.<id>] "
	  "sections or lower replicas" },
	{ BASE "[namespace.r]\ndirectory = /r\narchive = dir\n"
	       "archive_directory = /x\nreplicas = 1025\n",
	  "t.ini:11: replicas: expected an integer from 0 to 1024, got "
	  "'1025'" },
};

static void
test_errors(void **state)
{
	size_t i, bad = 0;

	(void) state;
	for (i = 0; i < N(err_cases); i++) {
		bb_conf *conf = (bb_conf *) 0x1; // must stay untouched
		char    *errs = NULL;
		bb_err   rv;

		rv = bb_conf_load_string(err_cases[i].text, "t.ini", &conf,
		                         &errs);
		if (rv != BB_ECONFIG || errs == NULL ||
		    strcmp(errs, err_cases[i].want) != 0 ||
		    conf != (bb_conf *) 0x1) {
			print_error(
			    "case %zu: %s\n--- got:\n%s\n--- want:\n%s\n", i,
			    bb_err_name(rv), errs != NULL ? errs : "(null)",
			    err_cases[i].want);
			bad++;
		}
		free(errs);
	}
	assert_int_equal(bad, 0);
}

// Every problem in one file is reported, in order, one per line.
static void
test_all_errors_at_once(void **state)
{
	static const char text[] = "machine_id = -1\n"
	                           "[server]\n"
	                           "port = x\n"
	                           "[nope]\n"
	                           "[namespace.a]\n"
	                           "replicas = 0\n"
	                           "bogus = 1\n";
	bb_conf          *conf   = NULL;
	char             *errs   = NULL;

	(void) state;
	assert_int_equal(bb_conf_load_string(text, "all.ini", &conf, &errs),
	                 BB_ECONFIG);
	assert_null(conf);
	assert_non_null(errs);
	assert_string_equal(
	    errs,
	    "all.ini:1: machine_id: expected an integer from 0 to 4294967295, "
	    "got '-1'\n"
	    "all.ini:3: port: expected an integer from 0 to 65535, got 'x'\n"
	    "all.ini:4: unknown section [nope]\n"
	    "all.ini:7: unknown key 'bogus' in [namespace.a]\n"
	    "all.ini:5: [namespace.a]: directory is required\n"
	    "all.ini:5: [namespace.a]: archive = s3 needs aws_profile\n"
	    "all.ini:5: [namespace.a]: archive = s3 needs s3_bucket");
	free(errs);
}

static void
test_too_many_errors(void **state)
{
	char    *text = NULL;
	char    *errs = NULL;
	bb_conf *conf = NULL;
	size_t   i, len = 0;

	(void) state;
	text = malloc(300 * 16 + 1);
	assert_non_null(text);
	for (i = 0; i < 300; i++) {
		len += (size_t) sprintf(text + len, "bad%zu = 1\n", i);
	}
	assert_int_equal(bb_conf_load_string(text, "t.ini", &conf, &errs),
	                 BB_ECONFIG);
	assert_int_equal(count_lines(errs), 101);
	assert_non_null(strstr(
	    errs, "\nt.ini: too many errors; only the first 100 are listed"));
	free(errs);
	free(text);
}

// inih reads lines into 200 bytes: 198 characters, '\n' and NUL.  The
// longest line passes whole; one more character is an error, not a
// silently split line.
static void
test_line_limit(void **state)
{
	char        text[512];
	char        value[200];
	size_t      n;
	bb_conf    *c    = NULL;
	char       *errs = NULL;
	const char *key  = "s3_key_format = ";

	(void) state;
	n = 198 - strlen(key);
	memset(value, 'k', n);
	value[n] = '\0';
	(void) snprintf(text, sizeof(text), BASE "%s%s\n", key, value);
	c = load_ok(text);
	assert_string_equal(c->namespaces[0].s3_key_format, value);
	bb_conf_free(c);
	c = NULL;

	(void) snprintf(text, sizeof(text), BASE "%s%sk\n", key, value);
	assert_int_equal(bb_conf_load_string(text, "t.ini", &c, &errs),
	                 BB_ECONFIG);
	assert_string_equal(
	    errs, "t.ini:7: line too long (199 characters; at most 198)");
	free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors_at_once),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_line_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
