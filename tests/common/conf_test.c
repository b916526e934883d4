// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/conf_test.c -- the configuration loader: the embedded
// default, a file using every section, syntax details, file errors and a
// bounded fuzz run (ASan turns a crash or leak into a failure).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf/conf.h"
#include "conf_fixture.h"

#define SEC 1000000000LL

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
	assert_int_equal(c->archive_retry_initial_ns, SEC);
	assert_int_equal(c->archive_retry_max_ns, 300 * SEC);
	assert_null(c->pidfile);
	assert_int_equal(c->client_timeout_ns, 60 * SEC);
	assert_string_equal(c->log.file, "-");
	assert_int_equal(c->log.format, BB_LOG_FORMAT_PLAIN);
	assert_false(c->log.debug);
	assert_false(c->server.has_access_log);
	assert_string_equal(c->server.access_log.file, "-");
	assert_int_equal(c->server.read_timeout_ns, 60 * SEC);
	assert_int_equal(c->server.read_header_timeout_ns, 10 * SEC);
	assert_int_equal(c->server.write_timeout_ns, 60 * SEC);
	assert_int_equal(c->server.idle_timeout_ns, 300 * SEC);
	assert_int_equal(c->server.max_header_bytes, 1048576);
	assert_int_equal(c->server.max_connections, 1024);
	assert_int_equal(c->server.max_connections_per_address, 128);
	assert_int_equal(c->server.loopback_reserved_connections, 16);
	assert_int_equal(c->server.rpc_handshake_timeout_ns, 10 * SEC);
	assert_int_equal(c->server.rpc_max_handshakes, 256);
	assert_int_equal(c->server.rpc_max_handshakes_per_address, 32);
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
	assert_int_equal(ns->s3_multipart_threshold, 256u << 20);
	assert_int_equal(ns->s3_part_size, 64u << 20);
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
	// The last two are bad inputs from the table in conf_errors_test.c.
	const char *seeds[] = { bb_conf_default_text, full_text, BASE,
		                "pidfile = a\tb\n" BASE,
		                BASE "[remote.2]\nport = 1\n" };
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
		cmocka_unit_test(test_syntax_details),
		cmocka_unit_test_setup_teardown(test_files, setup_dir,
		                                teardown_dir),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
