// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/conf_test.c -- the configuration loader: the embedded
// default, a file using every section, one table of bad inputs with the
// exact message each must produce, file errors, and a bounded fuzz run
// (ASan turns a crash or leak into a failure).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SEC  1000000000LL

// A valid config of 6 lines: a case appends its text from line 7 on, in
// the section [namespace.a].
#define BASE               \
	"machine_id = 1\n" \
	"[namespace.a]\n"  \
	"directory = /d\n" \
	"replicas = 0\n"   \
	"archive = dir\n"  \
	"archive_directory = /ar\n"

static size_t
count_lines(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

static bb_conf *
load_ok(const char *text)
{
	bb_conf *conf = NULL;
	char    *errs = NULL;
	bb_err   rv   = bb_conf_load_string(text, "t.ini", &conf, &errs);

	if (rv != BB_OK) {
		fail_msg("load failed: %s\n%s", bb_err_name(rv),
		         errs != NULL ? errs : "(null)");
	}
	assert_null(errs);
	assert_non_null(conf);
	return conf;
}

static void
test_default_text(void **state)
{
	bb_conf          *c;
	const bb_ns_conf *ns;
	char             *errs = NULL;

	(void) state;
	assert_int_equal(
	    bb_conf_load_string(bb_conf_default_text, NULL, &c, &errs), BB_OK);
	assert_null(errs);
	assert_string_equal(c->path, "(embedded default)");
	assert_int_equal(c->machine_id, 1);
	assert_string_equal(c->server.addr, "127.0.0.1");
	assert_int_equal(c->server.port, 1091);
	assert_string_equal(c->server.rpc_addr, "127.0.0.1");
	assert_int_equal(c->server.rpc_port, 1092);
	assert_int_equal(c->n_namespaces, 1);
	assert_int_equal(c->n_remotes, 0);
	ns = bb_conf_find_ns(c, "default");
	assert_non_null(ns);
	assert_string_equal(ns->directory, "./blobby-data/default");
	assert_int_equal(ns->archive, BB_ARCHIVE_DIR);
	assert_string_equal(ns->archive_directory, "./blobby-data/archive");
	assert_int_equal(ns->replicas, 0);
	// Defaults of keys the text does not set.
	assert_int_equal(c->maximum_parallel_compressions, 10);
	assert_int_equal(c->maximum_parallel_deletes, 10);
	assert_int_equal(c->maximum_parallel_remote_deletes, 10);
	assert_int_equal(c->maximum_parallel_uploads, 10);
	assert_null(c->pidfile);
	assert_int_equal(c->client_timeout_ns, 60 * SEC);
	assert_string_equal(c->log.file, "-");
	assert_int_equal(c->log.format, BB_LOG_FORMAT_PLAIN);
	assert_false(c->log.debug);
	assert_false(c->server.has_access_log);
	assert_string_equal(c->server.access_log.file, "-");
	assert_int_equal(c->server.read_timeout_ns, 60 * SEC);
	assert_int_equal(c->server.read_header_timeout_ns, 60 * SEC);
	assert_int_equal(c->server.write_timeout_ns, 60 * SEC);
	assert_int_equal(c->server.idle_timeout_ns, 300 * SEC);
	assert_int_equal(c->server.max_header_bytes, 1048576);
	assert_int_equal(c->server.max_connections, 1024);
	assert_int_equal(c->server.threads, 0);
	assert_string_equal(c->server.prometheus_tag_prefix, "");
	assert_false(c->server.tls);
	assert_null(c->server.host_name);
	assert_false(c->server.status_acl.present);
	assert_string_equal(c->server.status_acl.basic_auth_realm, "Blobby");
	assert_false(ns->compress);
	assert_int_equal(ns->compress_level, 0);
	assert_int_equal(ns->delay_delete_ns, 0);
	assert_int_equal(ns->min_open_files, 1);
	assert_int_equal(ns->max_open_files, 1);
	assert_int_equal(ns->upload_file_size, 1073741824);
	assert_int_equal(ns->upload_older_ns, 3600 * SEC);
	assert_int_equal(ns->max_blob_size, 1000000000);
	assert_int_equal(ns->heart_beat_interval_ns, 30 * SEC);
	assert_int_equal(ns->orphan_timeout_ns, 60 * SEC);
	assert_string_equal(ns->s3_base_path, "");
	assert_null(ns->s3_key_format);
	assert_null(ns->aws_profile);
	assert_false(ns->read_acl.present);
	assert_string_equal(ns->insert_acl.basic_auth_realm, "Blobby");
	assert_null(bb_conf_find_ns(c, "nope"));
	assert_null(bb_conf_find_ns(NULL, "default"));
	bb_conf_free(c);
	bb_conf_free(NULL);
}

static const char full_text[] =
    "\xEF\xBB\xBF; every section\r\n"
    "machine_id = 4294967295\n"
    "maximum_parallel_compressions = 2\n"
    "maximum_parallel_deletes = 3\n"
    "maximum_parallel_remote_deletes = 4\n"
    "maximum_parallel_uploads = 5\n"
    "pidfile = /run/blobby.pid\n"
    "[client]\n"
    "timeout = 1m30s\n"
    "[log]\n"
    "file = /var/log/blobby.log   ; inline comment\n"
    "format = JSON\n"
    "debug = yes\n"
    "  [server]\n"
    "    addr = ::\n"
    "port = 0\n"
    "rpc_port = 0\n"
    "host_name = blobby.example.com\n"
    "tls = true\n"
    "tls_certificate_url = file:///etc/blobby/cert.pem\n"
    "tls_private_key_file = file:key.pem\n"
    "read_timeout = 100ms\n"
    "read_header_timeout = 2s\n"
    "write_timeout = 3s\n"
    "idle_timeout = 4s\n"
    "max_header_bytes = 64kib\n"
    "max_connections = 16\n"
    "threads = 8\n"
    "prometheus_tag_prefix = blobby_\n"
    "enable_tracing = on\n"
    "debug_paths_enable = 1\n"
    "[server.access_log]\n"
    "file = /var/log/access.log\n"
    "[server.status_acl]\n"
    "white_list_cidrs = 127.0.0.1/32 , ::1/128,10.0.0.0/8\n"
    "allow_x_fowarded_from_cidrs = 10.1.0.0/16\n"
    "white_list_required = true\n"
    "[server.shut_down_acl]\n"
    "basic_auth_htpasswd_url = /etc/blobby/htpasswd\n"
    "basic_auth_realm = Admin area\n"
    "basic_auth_user_tags = admin, ops\n"
    "basic_auth_required = true\n"
    "[remote.7]\n"
    "host = 10.0.0.7\n"
    "rpc_port = 2092\n"
    "[remote.2]\n"
    "host = ::1\n"
    "port = 2091\n"
    "name = node2\n"
    "tls = true\n"
    "tls_insecure_skip_verify = true\n"
    "verify_host = node2.example.com\n"
    "max_idle_conns = 0\n"
    "[remote.4294967295]\n"
    "host = 127.0.0.1\n"
    "[aws.default]\n"
    "region = us-east-1\n"
    "endpoint = http://127.0.0.1:4569\n"
    "key_id = AKID\n"
    "secret_key = SECRET\n"
    "assume_role_arn = arn:aws:iam::123456789012:role/blobby\n"
    "[aws.env]\n"
    "from_environment = true\n"
    "[namespace.zeta.read_acl]\n"
    "allow_x_forwarded_from_cidrs = 192.168.0.0/16\n"
    "white_list_cidrs = 192.168.1.0/24\n"
    "[namespace.zeta]\n"
    "directory = /var/lib/blobby/zeta\n"
    "replicas = 3\n"
    "upload_file_size = 1,000m\n"
    "upload_older = 90m\n"
    "archive = s3\n"
    "aws_profile = default\n"
    "s3_bucket = blobby-zeta\n"
    "s3_base_path = /zeta\n"
    "s3_key_format = %y/%m/%d/%K\n"
    "compress = true\n"
    "compress_level = -1\n"
    "delay_delete = 10m\n"
    "min_open_files = 2\n"
    "max_open_files = 4\n"
    "max_blob_size = 4294967295\n"
    "heart_beat_interval = 10s\n"
    "orphan_timeout = 11s\n"
    "[namespace.alpha]\n"
    "directory = /var/lib/blobby/alpha\n"
    "archive = dir\n"
    "archive_directory = /var/lib/blobby/archive\n"
    "min_open_files = 3\n"
    "[namespace.alpha.primary_acl]\n"
    "white_list_cidrs = 10.0.0.7/32\n"
    "[namespace.alpha.insert_acl]\n"
    "[namespace.alpha.blast_path_acl]\n"
    "basic_auth_htpasswd_file = ht\n"
    "[namespace.the-longest-namespace-name-that-inih-would-cut-at-49]\n"
    "directory = /var/lib/blobby/long\n"
    "archive = dir\n"
    "archive_directory = /var/lib/blobby/archive\n"
    "replicas = 0\n";

static void
test_full(void **state)
{
	bb_conf              *c;
	const bb_server_conf *s;
	const bb_ns_conf     *z, *a;
	const bb_remote_conf *r;
	const bb_acl_conf    *acl;

	(void) state;
	c = load_ok(full_text);
	assert_string_equal(c->path, "t.ini");
	assert_int_equal(c->machine_id, UINT32_MAX);
	assert_int_equal(c->maximum_parallel_compressions, 2);
	assert_int_equal(c->maximum_parallel_deletes, 3);
	assert_int_equal(c->maximum_parallel_remote_deletes, 4);
	assert_int_equal(c->maximum_parallel_uploads, 5);
	assert_string_equal(c->pidfile, "/run/blobby.pid");
	assert_int_equal(c->client_timeout_ns, 90 * SEC);
	assert_string_equal(c->log.file, "/var/log/blobby.log");
	assert_int_equal(c->log.format, BB_LOG_FORMAT_JSON);
	assert_true(c->log.debug);

	s = &c->server;
	assert_string_equal(s->addr, "::");
	assert_string_equal(s->rpc_addr, "::"); // defaults to addr
	assert_int_equal(s->port, 0);
	assert_int_equal(s->rpc_port, 0);
	assert_string_equal(s->host_name, "blobby.example.com");
	assert_true(s->tls);
	assert_string_equal(s->tls_certificate_file, "/etc/blobby/cert.pem");
	assert_string_equal(s->tls_private_key_file, "key.pem");
	assert_int_equal(s->read_timeout_ns, SEC / 10);
	assert_int_equal(s->read_header_timeout_ns, 2 * SEC);
	assert_int_equal(s->write_timeout_ns, 3 * SEC);
	assert_int_equal(s->idle_timeout_ns, 4 * SEC);
	assert_int_equal(s->max_header_bytes, 65536);
	assert_int_equal(s->max_connections, 16);
	assert_int_equal(s->threads, 8);
	assert_string_equal(s->prometheus_tag_prefix, "blobby_");
	assert_true(s->enable_tracing);
	assert_true(s->debug_paths_enable);
	assert_true(s->has_access_log);
	assert_string_equal(s->access_log.file, "/var/log/access.log");
	assert_int_equal(s->access_log.format, BB_LOG_FORMAT_PLAIN);

	acl = &s->status_acl;
	assert_true(acl->present);
	assert_int_equal(acl->white_list_cidrs.n, 3);
	assert_string_equal(acl->white_list_cidrs.v[0], "127.0.0.1/32");
	assert_string_equal(acl->white_list_cidrs.v[1], "::1/128");
	assert_string_equal(acl->white_list_cidrs.v[2], "10.0.0.0/8");
	assert_int_equal(acl->allow_x_forwarded_from_cidrs.n, 1);
	assert_true(acl->white_list_required);
	assert_null(acl->basic_auth_htpasswd_file);
	acl = &s->shut_down_acl;
	assert_true(acl->present);
	assert_string_equal(acl->basic_auth_htpasswd_file,
	                    "/etc/blobby/htpasswd");
	assert_string_equal(acl->basic_auth_realm, "Admin area");
	assert_int_equal(acl->basic_auth_user_tags.n, 2);
	assert_string_equal(acl->basic_auth_user_tags.v[1], "ops");
	assert_true(acl->basic_auth_required);
	assert_false(s->health_check_acl.present);
	assert_false(s->debug_paths_acl.present);

	// Remotes come sorted by id.
	assert_int_equal(c->n_remotes, 3);
	r = &c->remotes[0];
	assert_int_equal(r->id, 2);
	assert_string_equal(r->host, "::1");
	assert_int_equal(r->port, 2091);
	assert_int_equal(r->rpc_port, 1092);
	assert_string_equal(r->name, "node2");
	assert_true(r->tls);
	assert_true(r->tls_insecure_skip_verify);
	assert_string_equal(r->verify_host, "node2.example.com");
	assert_int_equal(r->max_idle_conns, 0);
	r = &c->remotes[1];
	assert_int_equal(r->id, 7);
	assert_int_equal(r->port, 1091);
	assert_string_equal(r->name, "10.0.0.7:2092");
	assert_int_equal(r->max_idle_conns, 1000);
	assert_false(r->tls);
	assert_int_equal(c->remotes[2].id, UINT32_MAX);
	assert_string_equal(c->remotes[2].name, "127.0.0.1:1092");

	assert_int_equal(c->n_aws, 2);
	assert_string_equal(c->aws[0].name, "default");
	assert_string_equal(c->aws[0].region, "us-east-1");
	assert_string_equal(c->aws[0].endpoint, "http://127.0.0.1:4569");
	assert_string_equal(c->aws[0].key_id, "AKID");
	assert_string_equal(c->aws[0].secret_key, "SECRET");
	assert_string_equal(c->aws[0].assume_role_arn,
	                    "arn:aws:iam::123456789012:role/blobby");
	assert_true(c->aws[1].from_environment);
	assert_null(c->aws[1].key_id);

	// Namespaces come sorted by name, the long name whole.
	assert_int_equal(c->n_namespaces, 3);
	assert_string_equal(c->namespaces[0].name, "alpha");
	assert_string_equal(
	    c->namespaces[1].name,
	    "the-longest-namespace-name-that-inih-would-cut-at-49");
	assert_string_equal(c->namespaces[2].name, "zeta");
	z = bb_conf_find_ns(c, "zeta");
	assert_ptr_equal(z, &c->namespaces[2]);
	assert_string_equal(z->directory, "/var/lib/blobby/zeta");
	assert_int_equal(z->replicas, 3);
	assert_int_equal(z->upload_file_size, 1000000000);
	assert_int_equal(z->upload_older_ns, 5400 * SEC);
	assert_int_equal(z->archive, BB_ARCHIVE_S3);
	assert_string_equal(z->aws_profile, "default");
	assert_string_equal(z->s3_bucket, "blobby-zeta");
	assert_string_equal(z->s3_base_path, "/zeta");
	assert_string_equal(z->s3_key_format, "%y/%m/%d/%K");
	assert_true(z->compress);
	assert_int_equal(z->compress_level, -1);
	assert_int_equal(z->delay_delete_ns, 600 * SEC);
	assert_int_equal(z->min_open_files, 2);
	assert_int_equal(z->max_open_files, 4);
	assert_int_equal(z->max_blob_size, UINT32_MAX);
	assert_int_equal(z->heart_beat_interval_ns, 10 * SEC);
	assert_int_equal(z->orphan_timeout_ns, 11 * SEC);
	assert_true(z->read_acl.present);
	assert_int_equal(z->read_acl.white_list_cidrs.n, 1);
	assert_int_equal(z->read_acl.allow_x_forwarded_from_cidrs.n, 1);
	assert_false(z->insert_acl.present);
	a = bb_conf_find_ns(c, "alpha");
	assert_int_equal(a->replicas, 1);
	assert_int_equal(a->min_open_files, 3);
	assert_int_equal(a->max_open_files, 3); // defaults to the minimum
	assert_true(a->primary_acl.present);
	assert_true(a->insert_acl.present);
	assert_string_equal(a->blast_path_acl.basic_auth_htpasswd_file, "ht");
	assert_false(a->read_acl.present);
	bb_conf_free(c);
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

// Whatever inih is told, lines are never continuations, comments and
// CR LF endings work, and a repeated header merges its keys.
static void
test_syntax_details(void **state)
{
	bb_conf *c;

	(void) state;
	c = load_ok("machine_id = 3 ; the id\r\n"
	            "# a comment\r\n"
	            "[server]\r\n"
	            "port = 1\r\n"
	            "[namespace.a]\r\n"
	            "  directory = /d\r\n"
	            "\treplicas = 0\r\n"
	            "archive = dir\r\n"
	            "archive_directory = /x\r\n"
	            "[server]\r\n"
	            "\t\trpc_port = 7\r\n"
	            "[namespace.a.read_acl]\n"
	            "basic_auth_realm = a;b ; c");
	assert_int_equal(c->machine_id, 3);
	assert_int_equal(c->server.rpc_port, 7);
	assert_string_equal(c->namespaces[0].read_acl.basic_auth_realm, "a;b");
	assert_int_equal(c->namespaces[0].replicas, 0);
	bb_conf_free(c);
	// "1;not a comment" is one value, which is not a port.
	c = NULL;
	{
		char *errs = NULL;
		assert_int_equal(bb_conf_load_string("[server]\nport = 1;x\n",
		                                     NULL, &c, NULL),
		                 BB_ECONFIG);
		assert_int_equal(bb_conf_load_string("[server]\nport = 1;x\n",
		                                     NULL, &c, &errs),
		                 BB_ECONFIG);
		assert_non_null(strstr(errs, "(string):2: port:"));
		free(errs);
	}
	assert_null(c);
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

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void) state;
	(void) snprintf(tmpdir, sizeof(tmpdir), "/tmp/conf_test.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char path[128];

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/c.ini", tmpdir);
	(void) unlink(path);
	return rmdir(tmpdir);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_files(void **state)
{
	char     path[128], want[256];
	char    *errs = NULL, *big;
	bb_conf *c    = NULL;
	size_t   n;

	(void) state;
	(void) snprintf(path, sizeof(path), "%s/c.ini", tmpdir);
	write_file(path, BASE, strlen(BASE));
	assert_int_equal(bb_conf_load(path, &c, &errs), BB_OK);
	assert_null(errs);
	assert_string_equal(c->path, path);
	bb_conf_free(c);
	c = NULL;

	write_file(path, BASE "port\0= 1\n", strlen(BASE) + 9);
	assert_int_equal(bb_conf_load(path, &c, &errs), BB_ECONFIG);
	(void) snprintf(want, sizeof(want), "%s:7: line contains a NUL byte",
	                path);
	assert_string_equal(errs, want);
	free(errs);

	n   = 1024 * 1024 + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	write_file(path, big, n);
	free(big);
	assert_int_equal(bb_conf_load(path, &c, &errs), BB_ECONFIG);
	(void) snprintf(want, sizeof(want),
	                "%s: file too large (more than 1048576 bytes)", path);
	assert_string_equal(errs, want);
	free(errs);

	(void) snprintf(path, sizeof(path), "%s/missing.ini", tmpdir);
	assert_int_equal(bb_conf_load(path, &c, &errs), BB_ENOENT);
	(void) snprintf(want, sizeof(want), "%s: No such file or directory",
	                path);
	assert_string_equal(errs, want);
	free(errs);

	assert_int_not_equal(bb_conf_load(tmpdir, &c, &errs), BB_OK);
	(void) snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	assert_string_equal(errs, want);
	free(errs);
	assert_null(c);

	assert_int_equal(bb_conf_load(NULL, &c, NULL), BB_EINVAL);
	assert_int_equal(bb_conf_load_string(NULL, "x", &c, NULL), BB_EINVAL);
}

// A small deterministic generator, so a failing input can be replayed.
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static const char *const fuzz_tokens[] = { "[",
	                                   "]",
	                                   "=",
	                                   ":",
	                                   ";",
	                                   " ; ",
	                                   "\n",
	                                   "\r\n",
	                                   ",",
	                                   "/",
	                                   ".",
	                                   "namespace.",
	                                   "server.",
	                                   "_acl",
	                                   "-1",
	                                   "0",
	                                   "4294967296",
	                                   "18446744073709551616",
	                                   "1e",
	                                   "9h",
	                                   "true",
	                                   "::",
	                                   "\xEF\xBB\xBF",
	                                   "\t",
	                                   "remote.",
	                                   "saml.",
	                                   "file:",
	                                   "%",
	                                   "\xff\xfe" };

static void
fuzz_one(const char *text)
{
	bb_conf *c    = NULL;
	char    *errs = NULL;
	bb_err   rv   = bb_conf_load_string(text, "f.ini", &c, &errs);

	if (rv == BB_OK) {
		assert_non_null(c);
		assert_null(errs);
		assert_true(c->n_namespaces >= 1);
		assert_non_null(c->server.rpc_addr);
	} else {
		assert_int_equal(rv, BB_ECONFIG);
		assert_null(c);
		assert_non_null(errs);
		assert_true(errs[0] != '\0');
	}
	bb_conf_free(c);
	free(errs);
}

static void
test_fuzz(void **state)
{
	const char *seeds[] = { bb_conf_default_text, full_text, BASE,
		                err_cases[20].text, err_cases[60].text };
	char       *buf;
	uint32_t    s   = 0x2545F491;
	size_t      cap = 16384, i, j, len;

	(void) state;
	buf = malloc(cap);
	assert_non_null(buf);
	for (i = 0; i < 600; i++) {
		const char *seed  = seeds[i % N(seeds)];
		size_t      edits = 1 + rnd(&s) % 8;

		len = strlen(seed);
		memcpy(buf, seed, len + 1);
		for (j = 0; j < edits; j++) {
			size_t      at = len == 0 ? 0 : rnd(&s) % len;
			const char *t  = fuzz_tokens[rnd(&s) % N(fuzz_tokens)];
			size_t      tl = strlen(t);

			switch (rnd(&s) % 4) {
			case 0: // overwrite one byte with anything but NUL
				if (len > 0) {
					buf[at] = (char) (1 + rnd(&s) % 255);
				}
				break;
			case 1: // delete a run
				if (len > 0) {
					size_t d = 1 + rnd(&s) % 16;
					d        = d > len - at ? len - at : d;
					memmove(buf + at, buf + at + d,
					        len - at - d + 1);
					len -= d;
				}
				break;
			case 2: // insert a token
				if (len + tl + 1 < cap) {
					memmove(buf + at + tl, buf + at,
					        len - at + 1);
					memcpy(buf + at, t, tl);
					len += tl;
				}
				break;
			default: // repeat a run: long lines, dup keys
				if (len > 0 && len * 2 + 1 < cap) {
					size_t d = 1 + rnd(&s) % 300;
					d        = d > len - at ? len - at : d;
					memmove(buf + at + d, buf + at,
					        len - at + 1);
					len += d;
				}
				break;
			}
		}
		fuzz_one(buf);
	}
	// Pure noise, printable and not.
	for (i = 0; i < 200; i++) {
		len = rnd(&s) % 600;
		for (j = 0; j < len; j++) {
			buf[j] = (char) (i % 2 == 0 ? 32 + rnd(&s) % 95
			                            : 1 + rnd(&s) % 255);
			if (rnd(&s) % 20 == 0) {
				buf[j] = '\n';
			}
		}
		buf[len] = '\0';
		fuzz_one(buf);
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_text),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors_at_once),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_syntax_details),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test_setup_teardown(test_files, setup_dir,
		                                teardown_dir),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
