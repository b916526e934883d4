// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/schema.c -- the keys of the configuration: the table of keys
// of every section (type, range, default), looking a key up, applying
// defaults, and the keys of a section (unknown, repeated, required).
// The checks across keys and sections are check.c's, parsing one value
// value.c's; reading lines, naming sections and collecting messages are
// conf.c's.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf/conf.h"
#include "common/conf/conf_impl.h"

// An entry of a key table: name, type (without BB__CONF_T_), flags, the
// struct and field, range and default.  KP is one without flags, range
// or default; KREJ one for a key we refuse.
#define K(n, t, fl, st, f, lo, hi, def)                             \
	{                                                           \
		n, BB__CONF_T_##t, fl, offsetof(st, f), lo, hi, def \
	}
#define KP(n, t, st, f) K(n, t, 0, st, f, 0, 0, NULL)
#define KREJ(n)                                        \
	{                                              \
		n, BB__CONF_T_REJECT, 0, 0, 0, 0, NULL \
	}

static const bb__conf_key top_keys[] = {
	K("machine_id", U32, BB__CONF_REQ, bb_conf, machine_id, 0, UINT32_MAX,
	  NULL),
	K("maximum_parallel_compressions", U32, 0, bb_conf,
	  maximum_parallel_compressions, 1, UINT32_MAX, "10"),
	K("maximum_parallel_deletes", U32, 0, bb_conf,
	  maximum_parallel_deletes, 1, UINT32_MAX, "10"),
	K("maximum_parallel_remote_deletes", U32, 0, bb_conf,
	  maximum_parallel_remote_deletes, 1, UINT32_MAX, "10"),
	K("maximum_parallel_uploads", U32, 0, bb_conf,
	  maximum_parallel_uploads, 1, UINT32_MAX, "10"),
	KP("pidfile", STR, bb_conf, pidfile),
	K("archive_retry_initial", DUR, 0, bb_conf, archive_retry_initial_ns,
	  BB__CONF_SEC / 1000, INT64_MAX, "1s"),
	K("archive_retry_max", DUR, 0, bb_conf, archive_retry_max_ns,
	  BB__CONF_SEC / 1000, INT64_MAX, "5m"),
};

static const bb__conf_key client_keys[] = {
	K("timeout", DUR, 0, bb_conf, client_timeout_ns, BB__CONF_SEC,
	  INT64_MAX, "1m"),
	K("probe_interval", DUR, 0, bb_conf, client_probe_interval_ns,
	  BB__CONF_SEC / 10, INT64_MAX, "1s"),
	K("probe_timeout", DUR, 0, bb_conf, client_probe_timeout_ns,
	  BB__CONF_SEC / 10, INT64_MAX, "3s"),
};

static const bb__conf_key log_keys[] = {
	K("file", STR, 0, bb_log_conf, file, 0, 0, "-"),
	K("format", LOGFMT, 0, bb_log_conf, format, 0, 0, "plain"),
	KP("debug", BOOL, bb_log_conf, debug),
};

// Durations of the HTTP server only need to be positive: tests of slow
// clients use short ones.
#define SRV_DUR(n, f, def) \
	K(n, DUR, 0, bb_server_conf, f, BB__CONF_SEC / 1000, INT64_MAX, def)

static const bb__conf_key server_keys[] = {
	K("addr", IP, 0, bb_server_conf, addr, 0, 0, "127.0.0.1"),
	K("port", U16, 0, bb_server_conf, port, 0, 65535, "1091"),
	KP("rpc_addr", IP, bb_server_conf, rpc_addr),
	K("rpc_port", U16, 0, bb_server_conf, rpc_port, 0, 65535, "1092"),
	KP("host_name", HOST, bb_server_conf, host_name),
	KP("tls", BOOL, bb_server_conf, tls),
	KP("tls_certificate_file", PATH, bb_server_conf, tls_certificate_file),
	KP("tls_certificate_url", PATH, bb_server_conf, tls_certificate_file),
	KP("tls_private_key_file", PATH, bb_server_conf, tls_private_key_file),
	KP("tls_private_key_url", PATH, bb_server_conf, tls_private_key_file),
	KP("rpc_tls", BOOL, bb_server_conf, rpc_tls),
	KP("rpc_tls_certificate_file", PATH, bb_server_conf,
	   rpc_tls_certificate_file),
	KP("rpc_tls_private_key_file", PATH, bb_server_conf,
	   rpc_tls_private_key_file),
	KP("rpc_tls_ca_file", PATH, bb_server_conf, rpc_tls_ca_file),
	SRV_DUR("read_timeout", read_timeout_ns, "1m"),
	SRV_DUR("read_header_timeout", read_header_timeout_ns, "10s"),
	SRV_DUR("write_timeout", write_timeout_ns, "1m"),
	SRV_DUR("idle_timeout", idle_timeout_ns, "5m"),
	K("max_header_bytes", SIZE, 0, bb_server_conf, max_header_bytes, 4096,
	  1073741824, "1mib"),
	K("max_connections", U32, 0, bb_server_conf, max_connections, 1,
	  UINT32_MAX, "1024"),
	K("max_connections_per_address", U32, 0, bb_server_conf,
	  max_connections_per_address, 0, UINT32_MAX, "128"),
	K("loopback_reserved_connections", U32, 0, bb_server_conf,
	  loopback_reserved_connections, 0, UINT32_MAX, "16"),
	SRV_DUR("rpc_handshake_timeout", rpc_handshake_timeout_ns, "10s"),
	K("rpc_max_handshakes", U32, 0, bb_server_conf, rpc_max_handshakes, 1,
	  UINT32_MAX, "256"),
	K("rpc_max_handshakes_per_address", U32, 0, bb_server_conf,
	  rpc_max_handshakes_per_address, 1, UINT32_MAX, "32"),
	K("threads", U32, 0, bb_server_conf, threads, 0, 1024, NULL),
	K("prometheus_tag_prefix", PROM, BB__CONF_EMPTY, bb_server_conf,
	  prometheus_tag_prefix, 0, 0, ""),
	KP("enable_tracing", BOOL, bb_server_conf, enable_tracing),
	KP("debug_paths_enable", BOOL, bb_server_conf, debug_paths_enable),
	KREJ("aes_keys"),
	KREJ("aes_keys_url"),
	KREJ("web_users_htpasswd_url"),
	KREJ("web_login_duration"),
	KREJ("web_auth_cookie_name"),
	KREJ("use_secure_cookies"),
	KREJ("cookie_domain"),
	KREJ("cookiedomain"),
};

static const bb__conf_key acl_keys[] = {
	KP("white_list_cidrs", CIDRS, bb_acl_conf, white_list_cidrs),
	KP("allow_x_fowarded_from_cidrs", CIDRS, bb_acl_conf,
	   allow_x_forwarded_from_cidrs),
	KP("allow_x_forwarded_from_cidrs", CIDRS, bb_acl_conf,
	   allow_x_forwarded_from_cidrs),
	KP("white_list_required", BOOL, bb_acl_conf, white_list_required),
	KP("basic_auth_htpasswd_file", PATH, bb_acl_conf,
	   basic_auth_htpasswd_file),
	KP("basic_auth_htpasswd_url", PATH, bb_acl_conf,
	   basic_auth_htpasswd_file),
	K("basic_auth_realm", REALM, 0, bb_acl_conf, basic_auth_realm, 0, 0,
	  "Blobby"),
	KP("basic_auth_user_tags", TAGS, bb_acl_conf, basic_auth_user_tags),
	KP("basic_auth_required", BOOL, bb_acl_conf, basic_auth_required),
	KREJ("saml_providers"),
	KREJ("saml_users_tags"),
	KREJ("saml_required"),
	KREJ("web_users"),
	KREJ("web_users_tags"),
	KREJ("web_users_required"),
};

static const bb__conf_key remote_keys[] = {
	K("host", IP, BB__CONF_REQ, bb_remote_conf, host, 0, 0, NULL),
	K("port", U16, 0, bb_remote_conf, port, 1, 65535, "1091"),
	K("rpc_port", U16, 0, bb_remote_conf, rpc_port, 1, 65535, "1092"),
	KP("name", STR, bb_remote_conf, name),
	KP("tls", BOOL, bb_remote_conf, tls),
	KP("tls_insecure_skip_verify", BOOL, bb_remote_conf,
	   tls_insecure_skip_verify),
	KP("verify_host", HOST, bb_remote_conf, verify_host),
	K("max_idle_conns", U32, 0, bb_remote_conf, max_idle_conns, 0,
	  UINT32_MAX, "1000"),
};

static const bb__conf_key aws_keys[] = {
	KP("region", STR, bb_aws_conf, region),
	KP("endpoint", URL, bb_aws_conf, endpoint),
	KP("key_id", STR, bb_aws_conf, key_id),
	KP("secret_key", STR, bb_aws_conf, secret_key),
	KP("profile", STR, bb_aws_conf, profile),
	KP("from_environment", BOOL, bb_aws_conf, from_environment),
	KP("from_ec2_role", BOOL, bb_aws_conf, from_ec2_role),
	KP("assume_role_arn", ARN, bb_aws_conf, assume_role_arn),
};

static const bb__conf_key ns_keys[] = {
	K("directory", STR, BB__CONF_REQ, bb_ns_conf, directory, 0, 0, NULL),
	K("archive", ARCHIVE, 0, bb_ns_conf, archive, 0, 0, "s3"),
	KP("archive_directory", STR, bb_ns_conf, archive_directory),
	KP("aws_profile", STR, bb_ns_conf, aws_profile),
	KP("s3_bucket", BUCKET, bb_ns_conf, s3_bucket),
	K("s3_base_path", STR, BB__CONF_EMPTY, bb_ns_conf, s3_base_path, 0, 0,
	  ""),
	KP("s3_key_format", STR, bb_ns_conf, s3_key_format),
	// S3 needs parts of at least 5 MiB.
	K("s3_multipart_threshold", SIZE, 0, bb_ns_conf,
	  s3_multipart_threshold, 5242880, UINT64_MAX, "256mib"),
	K("s3_part_size", SIZE, 0, bb_ns_conf, s3_part_size, 5242880,
	  5368709120, "64mib"),
	KP("compress", BOOL, bb_ns_conf, compress),
	KP("fsync", BOOL, bb_ns_conf, fsync),
	KP("id_key_file", PATH, bb_ns_conf, id_key_file),
	K("compress_level", INT, 0, bb_ns_conf, compress_level, -1, 9, NULL),
	K("delay_delete", DUR, 0, bb_ns_conf, delay_delete_ns, 0, INT64_MAX,
	  NULL),
	K("min_open_files", U32, 0, bb_ns_conf, min_open_files, 1, 65536, "1"),
	K("max_open_files", U32, 0, bb_ns_conf, max_open_files, 1, 65536,
	  NULL),
	K("replicas", U32, 0, bb_ns_conf, replicas, 0, BB__CONF_MAX_REMOTES,
	  "1"),
	K("upload_file_size", SIZE, 0, bb_ns_conf, upload_file_size, 1,
	  UINT64_MAX, "1gib"),
	K("upload_older", DUR, 0, bb_ns_conf, upload_older_ns, BB__CONF_SEC,
	  INT64_MAX, "1h"),
	// The ID stores a blob's length in 32 bits.
	K("max_blob_size", SIZE, 0, bb_ns_conf, max_blob_size, 1, UINT32_MAX,
	  "1g"),
	K("heart_beat_interval", DUR, 0, bb_ns_conf, heart_beat_interval_ns,
	  BB__CONF_SEC, INT64_MAX, "30s"),
	K("orphan_timeout", DUR, 0, bb_ns_conf, orphan_timeout_ns,
	  BB__CONF_SEC, INT64_MAX, "60s"),
};

// The ACL sections of [server] and of a namespace: [server.<name>] and
// [namespace.<ns>.<name>], each a bb_acl_conf at off in the parent.
typedef struct {
	const char *name;
	size_t      off;
} acl_name;

static const acl_name server_acls[BB__CONF_N_ACLS] = {
	{ "status_acl", offsetof(bb_server_conf, status_acl) },
	{ "health_check_acl", offsetof(bb_server_conf, health_check_acl) },
	{ "shut_down_acl", offsetof(bb_server_conf, shut_down_acl) },
	{ "debug_paths_acl", offsetof(bb_server_conf, debug_paths_acl) },
};

static const acl_name ns_acls[BB__CONF_N_ACLS] = {
	{ "read_acl", offsetof(bb_ns_conf, read_acl) },
	{ "insert_acl", offsetof(bb_ns_conf, insert_acl) },
	{ "primary_acl", offsetof(bb_ns_conf, primary_acl) },
	{ "blast_path_acl", offsetof(bb_ns_conf, blast_path_acl) },
};

typedef struct {
	const bb__conf_key *keys;
	size_t              n;
	const acl_name     *acls; // the ACLs within, or NULL
	bb__conf_kind       acl_kind;
} conf_table;

#define TABLE(t) t, sizeof(t) / sizeof(t[0])
// A section without ACLs (every field given: clang's
// -Wmissing-field-initializers asks for it).
#define NO_ACLS NULL, BB__CONF_TOP
static const conf_table tables[] = {
	[BB__CONF_TOP]        = { TABLE(top_keys), NO_ACLS },
	[BB__CONF_CLIENT]     = { TABLE(client_keys), NO_ACLS },
	[BB__CONF_LOG]        = { TABLE(log_keys), NO_ACLS },
	[BB__CONF_SERVER]     = { TABLE(server_keys), server_acls,
	                          BB__CONF_SERVER_ACL },
	[BB__CONF_ACCESS_LOG] = { TABLE(log_keys), NO_ACLS },
	[BB__CONF_SERVER_ACL] = { TABLE(acl_keys), NO_ACLS },
	[BB__CONF_REMOTE]     = { TABLE(remote_keys), NO_ACLS },
	[BB__CONF_AWS]        = { TABLE(aws_keys), NO_ACLS },
	[BB__CONF_NS]         = { TABLE(ns_keys), ns_acls, BB__CONF_NS_ACL },
	[BB__CONF_NS_ACL]     = { TABLE(acl_keys), NO_ACLS },
};
// seen[] has one slot per key of the largest tables.
_Static_assert(sizeof(server_keys) / sizeof(server_keys[0]) <=
                   BB__CONF_MAX_KEYS,
               "seen[] is too small for [server]");
_Static_assert(sizeof(ns_keys) / sizeof(ns_keys[0]) <= BB__CONF_MAX_KEYS,
               "seen[] is too small for [namespace.*]");
_Static_assert(sizeof(acl_keys) / sizeof(acl_keys[0]) <= BB__CONF_MAX_KEYS,
               "seen[] is too small for ACLs");

// find_key returns the index of the key called name in t, or t->n.
static size_t
find_key(const conf_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->keys[i].name, name) == 0) {
			break;
		}
	}
	return i;
}

// canon returns the index of the entry whose seen[] slot k shares: the
// first entry with its field.
static size_t
canon(const conf_table *t, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++) {
		if (t->keys[i].type != BB__CONF_T_REJECT &&
		    t->keys[i].off == t->keys[k].off) {
			return i;
		}
	}
	return k;
}

// bb__conf_key_seen returns the line key was set on in s: negative if its
// value was rejected, 0 if absent.
int
bb__conf_key_seen(const bb__conf_sect *s, const char *key)
{
	const conf_table *t = &tables[s->kind];
	size_t            i = find_key(t, key);

	return i < t->n ? s->seen[canon(t, i)] : 0;
}

// bb__conf_key_line is where to report a problem with key: its line, else the
// section header's (always the header's for a NULL key).
int
bb__conf_key_line(const bb__conf_sect *s, const char *key)
{
	int l = key != NULL ? bb__conf_key_seen(s, key) : 0;

	if (l == 0) {
		l = s->line;
	}
	return l < 0 ? -l : l;
}

void *
bb__conf_base(bb_conf *c, bb__conf_kind kind, size_t index, size_t acl_off)
{
	switch (kind) {
	case BB__CONF_LOG:
		return &c->log;
	case BB__CONF_SERVER:
		return &c->server;
	case BB__CONF_ACCESS_LOG:
		return &c->server.access_log;
	case BB__CONF_SERVER_ACL:
		return (char *) &c->server + acl_off;
	case BB__CONF_REMOTE:
		return &c->remotes[index];
	case BB__CONF_AWS:
		return &c->aws[index];
	case BB__CONF_NS:
		return &c->namespaces[index];
	case BB__CONF_NS_ACL:
		return (char *) &c->namespaces[index] + acl_off;
	default:
		return c; // top level and [client]
	}
}

long
bb__conf_acl_off(bb__conf_kind kind, const char *name)
{
	const conf_table *t = &tables[kind];
	size_t            i;

	for (i = 0; t->acls != NULL && i < BB__CONF_N_ACLS; i++) {
		if (strcmp(t->acls[i].name, name) == 0) {
			return (long) t->acls[i].off;
		}
	}
	return -1;
}

void
bb__conf_apply_defaults(bb__conf_parser *p, bb__conf_kind kind, void *base)
{
	const conf_table *t = &tables[kind];
	size_t            i;

	for (i = 0; i < t->n; i++) {
		if (t->keys[i].def != NULL) {
			(void) bb__conf_set_value(p, &t->keys[i], base,
			                          t->keys[i].def, 0);
		}
	}
	for (i = 0; t->acls != NULL && i < BB__CONF_N_ACLS; i++) {
		bb__conf_apply_defaults(p, t->acl_kind,
		                        (char *) base + t->acls[i].off);
	}
}

void
bb__conf_free_fields(bb__conf_kind kind, void *base)
{
	const conf_table *t = &tables[kind];
	size_t            i;

	for (i = 0; i < t->n; i++) {
		if (t->keys[i].type != BB__CONF_T_REJECT && canon(t, i) == i) {
			// Aliases share the canonical entry's field.
			bb__conf_free_value(&t->keys[i], base);
		}
	}
	for (i = 0; t->acls != NULL && i < BB__CONF_N_ACLS; i++) {
		bb__conf_free_fields(t->acl_kind,
		                     (char *) base + t->acls[i].off);
	}
}

static const char *
sect_label(const bb__conf_sect *s, char *buf, size_t len)
{
	if (s->kind == BB__CONF_TOP) {
		return "the top level (before any [section])";
	}
	(void) snprintf(buf, len, "[%s]", s->name);
	return buf;
}

void
bb__conf_set_key(bb__conf_parser *p, const char *name, const char *value)
{
	bb__conf_sect    *s;
	const conf_table *t;
	char              label[BB__CONF_MAX_NAME + 2];
	size_t            i, c;
	void             *base;
	bool              ok;

	if (p->cur < 0) {
		return; // in a section already reported as bad
	}
	s = &p->sects[p->cur];
	t = &tables[s->kind];
	i = find_key(t, name);
	if (*name == '\0') {
		bb__conf_error(p, p->line, "missing key name before '='");
		return;
	}
	if (i == t->n) {
		bb__conf_error(p, p->line, "unknown key '%s' in %s", name,
		               sect_label(s, label, sizeof(label)));
		return;
	}
	if (t->keys[i].type == BB__CONF_T_REJECT) {
		bb__conf_error(
		    p, p->line,
		    "%s: web-form and SAML logins are not supported", name);
		return;
	}
	c = canon(t, i);
	if (s->seen[c] != 0) {
		bb__conf_error(p, p->line,
		               "'%s' in %s given twice (first on line %d)",
		               name, sect_label(s, label, sizeof(label)),
		               s->seen[c] < 0 ? -s->seen[c] : s->seen[c]);
		return;
	}
	base       = bb__conf_base(p->conf, s->kind, s->index, s->acl_off);
	ok         = bb__conf_set_value(p, &t->keys[i], base, value, p->line);
	s->seen[c] = ok ? p->line : -p->line;
}

// bb__conf_check_required reports each required key that s lacks.
void
bb__conf_check_required(bb__conf_parser *p, const bb__conf_sect *s)
{
	const conf_table *t = &tables[s->kind];
	size_t            i;

	for (i = 0; i < t->n; i++) {
		if ((t->keys[i].flags & BB__CONF_REQ) == 0 ||
		    s->seen[canon(t, i)]) {
			continue;
		}
		if (s->kind == BB__CONF_TOP) {
			bb__conf_error(p, 0, "%s is required",
			               t->keys[i].name);
		} else {
			bb__conf_error(p, bb__conf_key_line(s, NULL),
			               "[%s]: %s is required", s->name,
			               t->keys[i].name);
		}
	}
}

void
bb__conf_diff_fields(bb__conf_kind kind, const void *a, const void *b,
                     void (*fn)(void *arg, const char *key), void *arg)
{
	const conf_table *t = &tables[kind];
	size_t            i;

	for (i = 0; i < t->n; i++) {
		// Aliases share the canonical entry's field: one report.
		if (t->keys[i].type == BB__CONF_T_REJECT || canon(t, i) != i) {
			continue;
		}
		if (!bb__conf_value_equal(&t->keys[i], a, b)) {
			fn(arg, t->keys[i].name);
		}
	}
}

const char *
bb__conf_acl_at(bb__conf_kind kind, size_t i, size_t *off)
{
	const conf_table *t = &tables[kind];

	if (t->acls == NULL || i >= BB__CONF_N_ACLS) {
		return NULL;
	}
	*off = t->acls[i].off;
	return t->acls[i].name;
}

const char *
bb__conf_key_at(bb__conf_kind kind, size_t i)
{
	const conf_table *t = &tables[kind];

	if (i >= t->n) {
		return NULL;
	}
	if (t->keys[i].type == BB__CONF_T_REJECT || canon(t, i) != i) {
		return ""; // no slot of its own in seen[]
	}
	return t->keys[i].name;
}
