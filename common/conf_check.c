// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf_check.c -- what the configuration means: the table of keys
// of every section (type, range, default), turning values into fields,
// and the checks that need the whole file.  Reading lines, naming
// sections and collecting messages are conf.c's job.
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/conf.h"
#include "common/conf_impl.h"
#include "common/units.h"

enum {
	T_STR,     // char *
	T_PATH,    // char *, a path or a file: URL
	T_U16,     // uint16_t
	T_U32,     // uint32_t
	T_INT,     // int
	T_BOOL,    // bool
	T_DUR,     // int64_t nanoseconds
	T_SIZE,    // uint64_t bytes
	T_LOGFMT,  // bb_log_format
	T_ARCHIVE, // bb_archive_kind
	T_CIDRS,   // bb_strlist of CIDRs
	T_TAGS,    // bb_strlist without duplicates
	T_REJECT,  // an original key for a feature we do not have
};

#define K_REQ   1 // must be given
#define K_EMPTY 2 // "" is a valid string

typedef const char *(*str_check)(const char *v);

// One key.  Keys that share off with an earlier entry are aliases: the
// first such entry is canonical, and giving both is a duplicate.
typedef struct conf_key {
	const char   *name;
	unsigned char type;
	unsigned char flags;
	size_t        off;
	int64_t       lo;
	uint64_t      hi;
	const char   *def; // default in file syntax, NULL: zero
	str_check     check;
} conf_key;

#define SEC 1000000000LL
#define K(n, t, fl, st, f, lo, hi, def, chk)                \
	{                                                   \
		n, t, fl, offsetof(st, f), lo, hi, def, chk \
	}
#define KREJ(n)                                     \
	{                                           \
		n, T_REJECT, 0, 0, 0, 0, NULL, NULL \
	}

static const char *check_ip(const char *v);
static const char *check_host(const char *v);
static const char *check_url(const char *v);
static const char *check_arn(const char *v);
static const char *check_realm(const char *v);
static const char *check_bucket(const char *v);
static const char *check_prom(const char *v);

static const conf_key top_keys[] = {
	K("machine_id", T_U32, K_REQ, bb_conf, machine_id, 0, UINT32_MAX, NULL,
	  NULL),
	K("maximum_parallel_compressions", T_U32, 0, bb_conf,
	  maximum_parallel_compressions, 1, UINT32_MAX, "10", NULL),
	K("maximum_parallel_deletes", T_U32, 0, bb_conf,
	  maximum_parallel_deletes, 1, UINT32_MAX, "10", NULL),
	K("maximum_parallel_remote_deletes", T_U32, 0, bb_conf,
	  maximum_parallel_remote_deletes, 1, UINT32_MAX, "10", NULL),
	K("maximum_parallel_uploads", T_U32, 0, bb_conf,
	  maximum_parallel_uploads, 1, UINT32_MAX, "10", NULL),
	K("pidfile", T_STR, 0, bb_conf, pidfile, 0, 0, NULL, NULL),
};

static const conf_key client_keys[] = {
	K("timeout", T_DUR, 0, bb_conf, client_timeout_ns, SEC, INT64_MAX,
	  "1m", NULL),
};

static const conf_key log_keys[] = {
	K("file", T_STR, 0, bb_log_conf, file, 0, 0, "-", NULL),
	K("format", T_LOGFMT, 0, bb_log_conf, format, 0, 0, "plain", NULL),
	K("debug", T_BOOL, 0, bb_log_conf, debug, 0, 0, NULL, NULL),
};

// Durations of the HTTP server only need to be positive: tests of slow
// clients use short ones.
#define SRV_DUR(n, f, def) \
	K(n, T_DUR, 0, bb_server_conf, f, SEC / 1000, INT64_MAX, def, NULL)

static const conf_key server_keys[] = {
	K("addr", T_STR, 0, bb_server_conf, addr, 0, 0, "127.0.0.1", check_ip),
	K("port", T_U16, 0, bb_server_conf, port, 0, 65535, "1091", NULL),
	K("rpc_addr", T_STR, 0, bb_server_conf, rpc_addr, 0, 0, NULL,
	  check_ip),
	K("rpc_port", T_U16, 0, bb_server_conf, rpc_port, 0, 65535, "1092",
	  NULL),
	K("host_name", T_STR, 0, bb_server_conf, host_name, 0, 0, NULL,
	  check_host),
	K("tls", T_BOOL, 0, bb_server_conf, tls, 0, 0, NULL, NULL),
	K("tls_certificate_file", T_PATH, 0, bb_server_conf,
	  tls_certificate_file, 0, 0, NULL, NULL),
	K("tls_certificate_url", T_PATH, 0, bb_server_conf,
	  tls_certificate_file, 0, 0, NULL, NULL),
	K("tls_private_key_file", T_PATH, 0, bb_server_conf,
	  tls_private_key_file, 0, 0, NULL, NULL),
	K("tls_private_key_url", T_PATH, 0, bb_server_conf,
	  tls_private_key_file, 0, 0, NULL, NULL),
	SRV_DUR("read_timeout", read_timeout_ns, "1m"),
	SRV_DUR("read_header_timeout", read_header_timeout_ns, "1m"),
	SRV_DUR("write_timeout", write_timeout_ns, "1m"),
	SRV_DUR("idle_timeout", idle_timeout_ns, "5m"),
	K("max_header_bytes", T_SIZE, 0, bb_server_conf, max_header_bytes,
	  4096, 1073741824, "1mib", NULL),
	K("max_connections", T_U32, 0, bb_server_conf, max_connections, 1,
	  UINT32_MAX, "1024", NULL),
	K("threads", T_U32, 0, bb_server_conf, threads, 0, 1024, NULL, NULL),
	K("prometheus_tag_prefix", T_STR, K_EMPTY, bb_server_conf,
	  prometheus_tag_prefix, 0, 0, "", check_prom),
	K("enable_tracing", T_BOOL, 0, bb_server_conf, enable_tracing, 0, 0,
	  NULL, NULL),
	K("debug_paths_enable", T_BOOL, 0, bb_server_conf, debug_paths_enable,
	  0, 0, NULL, NULL),
	KREJ("aes_keys"),
	KREJ("aes_keys_url"),
	KREJ("web_users_htpasswd_url"),
	KREJ("web_login_duration"),
	KREJ("web_auth_cookie_name"),
	KREJ("use_secure_cookies"),
	KREJ("cookie_domain"),
	KREJ("cookiedomain"),
};

static const conf_key acl_keys[] = {
	K("white_list_cidrs", T_CIDRS, 0, bb_acl_conf, white_list_cidrs, 0, 0,
	  NULL, NULL),
	K("allow_x_fowarded_from_cidrs", T_CIDRS, 0, bb_acl_conf,
	  allow_x_forwarded_from_cidrs, 0, 0, NULL, NULL),
	K("allow_x_forwarded_from_cidrs", T_CIDRS, 0, bb_acl_conf,
	  allow_x_forwarded_from_cidrs, 0, 0, NULL, NULL),
	K("white_list_required", T_BOOL, 0, bb_acl_conf, white_list_required,
	  0, 0, NULL, NULL),
	K("basic_auth_htpasswd_file", T_PATH, 0, bb_acl_conf,
	  basic_auth_htpasswd_file, 0, 0, NULL, NULL),
	K("basic_auth_htpasswd_url", T_PATH, 0, bb_acl_conf,
	  basic_auth_htpasswd_file, 0, 0, NULL, NULL),
	K("basic_auth_realm", T_STR, 0, bb_acl_conf, basic_auth_realm, 0, 0,
	  "Blobby", check_realm),
	K("basic_auth_user_tags", T_TAGS, 0, bb_acl_conf, basic_auth_user_tags,
	  0, 0, NULL, NULL),
	K("basic_auth_required", T_BOOL, 0, bb_acl_conf, basic_auth_required,
	  0, 0, NULL, NULL),
	KREJ("saml_providers"),
	KREJ("saml_users_tags"),
	KREJ("saml_required"),
	KREJ("web_users"),
	KREJ("web_users_tags"),
	KREJ("web_users_required"),
};

static const conf_key remote_keys[] = {
	K("host", T_STR, K_REQ, bb_remote_conf, host, 0, 0, NULL, check_ip),
	K("port", T_U16, 0, bb_remote_conf, port, 1, 65535, "1091", NULL),
	K("rpc_port", T_U16, 0, bb_remote_conf, rpc_port, 1, 65535, "1092",
	  NULL),
	K("name", T_STR, 0, bb_remote_conf, name, 0, 0, NULL, NULL),
	K("tls", T_BOOL, 0, bb_remote_conf, tls, 0, 0, NULL, NULL),
	K("tls_insecure_skip_verify", T_BOOL, 0, bb_remote_conf,
	  tls_insecure_skip_verify, 0, 0, NULL, NULL),
	K("verify_host", T_STR, 0, bb_remote_conf, verify_host, 0, 0, NULL,
	  check_host),
	K("max_idle_conns", T_U32, 0, bb_remote_conf, max_idle_conns, 0,
	  UINT32_MAX, "1000", NULL),
};

static const conf_key aws_keys[] = {
	K("region", T_STR, 0, bb_aws_conf, region, 0, 0, NULL, NULL),
	K("endpoint", T_STR, 0, bb_aws_conf, endpoint, 0, 0, NULL, check_url),
	K("key_id", T_STR, 0, bb_aws_conf, key_id, 0, 0, NULL, NULL),
	K("secret_key", T_STR, 0, bb_aws_conf, secret_key, 0, 0, NULL, NULL),
	K("profile", T_STR, 0, bb_aws_conf, profile, 0, 0, NULL, NULL),
	K("from_environment", T_BOOL, 0, bb_aws_conf, from_environment, 0, 0,
	  NULL, NULL),
	K("from_ec2_role", T_BOOL, 0, bb_aws_conf, from_ec2_role, 0, 0, NULL,
	  NULL),
	K("assume_role_arn", T_STR, 0, bb_aws_conf, assume_role_arn, 0, 0,
	  NULL, check_arn),
};

static const conf_key ns_keys[] = {
	K("directory", T_STR, K_REQ, bb_ns_conf, directory, 0, 0, NULL, NULL),
	K("archive", T_ARCHIVE, 0, bb_ns_conf, archive, 0, 0, "s3", NULL),
	K("archive_directory", T_STR, 0, bb_ns_conf, archive_directory, 0, 0,
	  NULL, NULL),
	K("aws_profile", T_STR, 0, bb_ns_conf, aws_profile, 0, 0, NULL, NULL),
	K("s3_bucket", T_STR, 0, bb_ns_conf, s3_bucket, 0, 0, NULL,
	  check_bucket),
	K("s3_base_path", T_STR, K_EMPTY, bb_ns_conf, s3_base_path, 0, 0, "",
	  NULL),
	K("s3_key_format", T_STR, 0, bb_ns_conf, s3_key_format, 0, 0, NULL,
	  NULL),
	K("compress", T_BOOL, 0, bb_ns_conf, compress, 0, 0, NULL, NULL),
	K("compress_level", T_INT, 0, bb_ns_conf, compress_level, -1, 9, NULL,
	  NULL),
	K("delay_delete", T_DUR, 0, bb_ns_conf, delay_delete_ns, 0, INT64_MAX,
	  NULL, NULL),
	K("min_open_files", T_U32, 0, bb_ns_conf, min_open_files, 1, 65536,
	  "1", NULL),
	K("max_open_files", T_U32, 0, bb_ns_conf, max_open_files, 1, 65536,
	  NULL, NULL),
	K("replicas", T_U32, 0, bb_ns_conf, replicas, 0, BB__CONF_MAX_REMOTES,
	  "1", NULL),
	K("upload_file_size", T_SIZE, 0, bb_ns_conf, upload_file_size, 1,
	  UINT64_MAX, "1gib", NULL),
	K("upload_older", T_DUR, 0, bb_ns_conf, upload_older_ns, SEC,
	  INT64_MAX, "1h", NULL),
	// The ID stores a blob's length in 32 bits.
	K("max_blob_size", T_SIZE, 0, bb_ns_conf, max_blob_size, 1, UINT32_MAX,
	  "1g", NULL),
	K("heart_beat_interval", T_DUR, 0, bb_ns_conf, heart_beat_interval_ns,
	  SEC, INT64_MAX, "30s", NULL),
	K("orphan_timeout", T_DUR, 0, bb_ns_conf, orphan_timeout_ns, SEC,
	  INT64_MAX, "60s", NULL),
};

typedef struct {
	const conf_key *keys;
	size_t          n;
} conf_table;

#define TABLE(t)                            \
	{                                   \
		t, sizeof(t) / sizeof(t[0]) \
	}
static const conf_table tables[] = {
	[BB__CONF_TOP]        = TABLE(top_keys),
	[BB__CONF_CLIENT]     = TABLE(client_keys),
	[BB__CONF_LOG]        = TABLE(log_keys),
	[BB__CONF_SERVER]     = TABLE(server_keys),
	[BB__CONF_ACCESS_LOG] = TABLE(log_keys),
	[BB__CONF_SERVER_ACL] = TABLE(acl_keys),
	[BB__CONF_REMOTE]     = TABLE(remote_keys),
	[BB__CONF_AWS]        = TABLE(aws_keys),
	[BB__CONF_NS]         = TABLE(ns_keys),
	[BB__CONF_NS_ACL]     = TABLE(acl_keys),
};
// seen[] has one slot per key of the largest tables.
_Static_assert(sizeof(server_keys) / sizeof(server_keys[0]) <=
                   BB__CONF_MAX_KEYS,
               "seen[] is too small for [server]");
_Static_assert(sizeof(ns_keys) / sizeof(ns_keys[0]) <= BB__CONF_MAX_KEYS,
               "seen[] is too small for [namespace.*]");
_Static_assert(sizeof(acl_keys) / sizeof(acl_keys[0]) <= BB__CONF_MAX_KEYS,
               "seen[] is too small for ACLs");

static bool
is_ip(const char *v)
{
	unsigned char b[16];

	return inet_pton(AF_INET, v, b) == 1 || inet_pton(AF_INET6, v, b) == 1;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_hostname(const char *v)
{
	size_t label = 0;
	size_t n     = strlen(v);

	if (n == 0 || n > 253) {
		return false;
	}
	for (; *v != '\0'; v++) {
		if (*v == '.') {
			if (label == 0 || v[-1] == '-') {
				return false;
			}
			label = 0;
		} else if (!is_alnum(*v) && !(*v == '-' && label > 0)) {
			return false;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0 && v[-1] != '-';
}

static const char *
check_ip(const char *v)
{
	return is_ip(v) ? NULL : "expected an IP address such as 127.0.0.1";
}

static const char *
check_host(const char *v)
{
	return is_ip(v) || is_hostname(v) ? NULL
	                                  : "expected a host name or address";
}

static const char *
check_url(const char *v)
{
	const char *h = NULL;

	if (strncasecmp(v, "http://", 7) == 0) {
		h = v + 7;
	} else if (strncasecmp(v, "https://", 8) == 0) {
		h = v + 8;
	}
	if (h == NULL || *h == '\0' || *h == '/' || strchr(v, ' ') != NULL) {
		return "expected an http:// or https:// URL with a host";
	}
	return NULL;
}

static const char *
check_arn(const char *v)
{
	if (strncmp(v, "arn:aws:iam::", 13) != 0 || v[13] == '\0') {
		return "expected an IAM ARN starting with arn:aws:iam::";
	}
	return NULL;
}

static const char *
check_realm(const char *v)
{
	// The realm is sent inside a quoted WWW-Authenticate parameter.
	if (strpbrk(v, "\"\\") != NULL) {
		return "must not contain '\"' or '\\'";
	}
	return NULL;
}

static const char *
check_bucket(const char *v)
{
	if (strpbrk(v, "/ ") != NULL) {
		return "a bucket name has no '/' or spaces";
	}
	return NULL;
}

static const char *
check_prom(const char *v)
{
	// It is prepended to Prometheus label names.
	const char *s = v;

	for (; *s != '\0'; s++) {
		if (!is_alnum(*s) && *s != '_') {
			break;
		}
	}
	if (*s != '\0' || (*v >= '0' && *v <= '9')) {
		return "expected letters, digits and '_', not starting with a "
		       "digit";
	}
	return NULL;
}

static bool
is_cidr(const char *v)
{
	char          addr[64];
	unsigned char b[16];
	const char   *slash = strchr(v, '/');
	const char   *d;
	unsigned      pfx = 0, max;
	size_t        n;

	if (slash == NULL || slash == v ||
	    (size_t) (slash - v) >= sizeof(addr)) {
		return false;
	}
	n = (size_t) (slash - v);
	memcpy(addr, v, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, b) == 1) {
		max = 32;
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		max = 128;
	} else {
		return false;
	}
	d = slash + 1;
	if (*d == '\0' || strlen(d) > 3) {
		return false;
	}
	for (; *d != '\0'; d++) {
		if (*d < '0' || *d > '9') {
			return false;
		}
		pfx = pfx * 10 + (unsigned) (*d - '0');
	}
	return pfx <= max;
}

// file_path turns the original's secret URL forms that name a local file
// into a path; other schemes (sm://, http://) name remote secrets, which
// this version does not fetch.
static const char *
file_path(const char *v, const char **pathp)
{
	const char *s = v;

	if (strncmp(v, "file://", 7) == 0) {
		s = v + 7;
		if (strncmp(s, "localhost/", 10) == 0) {
			s += 9;
		}
		if (*s != '/') {
			return "expected file:///absolute/path or "
			       "file:relative/path";
		}
	} else if (strncmp(v, "file:", 5) == 0) {
		s = v + 5;
	} else if (strstr(v, "://") != NULL || strncmp(v, "sm:", 3) == 0) {
		return "only a local path or a file: URL is supported";
	}
	if (s != v && strchr(s, '?') != NULL) {
		return "query parameters are not supported";
	}
	if (*s == '\0') {
		return "the path is empty";
	}
	*pathp = s;
	return NULL;
}

static bool
parse_int(const char *v, int64_t *out)
{
	bool        neg = *v == '-';
	const char *s   = neg ? v + 1 : v;
	uint64_t    x   = 0;

	if (*s == '\0') {
		return false;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || x > (uint64_t) INT64_MAX / 10) {
			return false;
		}
		x = x * 10 + (uint64_t) (*s - '0');
	}
	if (x > (uint64_t) INT64_MAX) {
		return false;
	}
	*out = neg ? -(int64_t) x : (int64_t) x;
	return true;
}

// split_list parses "a, b,c" into *out, replacing what it held.
static bool
split_list(bb__conf_parser *p, const conf_key *k, const char *v, int line,
           bb_strlist *out)
{
	bb_strlist  l = { NULL, 0 };
	const char *s = v, *e, *b;
	size_t      n = 1, i, j;

	for (e = v; *e != '\0'; e++) {
		n += *e == ',';
	}
	l.v = calloc(n, sizeof(char *));
	if (l.v == NULL) {
		p->nomem = true;
		return false;
	}
	while (*v != '\0') {
		e = strchr(s, ',');
		if (e == NULL) {
			e = s + strlen(s);
		}
		for (b = s; b < e && (*b == ' ' || *b == '\t'); b++) {
		}
		j = (size_t) (e - b);
		while (j > 0 && (b[j - 1] == ' ' || b[j - 1] == '\t')) {
			j--;
		}
		if (j == 0) {
			bb__conf_error(p, line, "%s: empty element in list",
			               k->name);
			goto fail;
		}
		l.v[l.n] = strndup(b, j);
		if (l.v[l.n] == NULL) {
			p->nomem = true;
			goto fail;
		}
		l.n++;
		if (*e == '\0') {
			break;
		}
		s = e + 1;
	}
	for (i = 0; i < l.n; i++) {
		if (k->type == T_CIDRS && !is_cidr(l.v[i])) {
			bb__conf_error(
			    p, line,
			    "%s: '%s' is not a CIDR such as 10.0.0.0/8 or "
			    "::1/128",
			    k->name, l.v[i]);
			goto fail;
		}
		for (j = 0; k->type == T_TAGS && j < i; j++) {
			if (strcmp(l.v[i], l.v[j]) == 0) {
				bb__conf_error(p, line,
				               "%s: duplicate tag '%s'",
				               k->name, l.v[i]);
				goto fail;
			}
		}
	}
	bb__conf_strlist_fini(out);
	*out = l;
	return true;

fail:
	bb__conf_strlist_fini(&l);
	return false;
}

static bool
set_str(bb__conf_parser *p, const conf_key *k, const char *v, int line,
        char **field)
{
	const char *msg  = NULL;
	const char *path = v;
	const char *c;
	char       *s;

	for (c = v; *c != '\0'; c++) {
		if ((unsigned char) *c < 0x20 || *c == 0x7f) {
			msg = "contains a control character";
		}
	}
	if (msg == NULL && *v == '\0' && (k->flags & K_EMPTY) == 0) {
		msg = "must not be empty";
	}
	if (msg == NULL && *v != '\0' && k->check != NULL) {
		msg = k->check(v);
	}
	if (msg == NULL && k->type == T_PATH) {
		msg = file_path(v, &path);
	}
	if (msg != NULL) {
		bb__conf_error(p, line, "%s: %s, got '%s'", k->name, msg, v);
		return false;
	}
	s = strdup(path);
	if (s == NULL) {
		p->nomem = true;
		return false;
	}
	free(*field);
	*field = s;
	return true;
}

static void
fmt_min_dur(int64_t ns, char *buf, size_t len)
{
	if (ns % SEC == 0) {
		(void) snprintf(buf, len, "%llds", (long long) (ns / SEC));
	} else {
		(void) snprintf(buf, len, "%lldms",
		                (long long) (ns / 1000000));
	}
}

// set_value stores v into base as k says.  On a bad value it reports on
// line and leaves the field alone.
static bool
set_value(bb__conf_parser *p, const conf_key *k, void *base, const char *v,
          int line)
{
	void    *f = (char *) base + k->off;
	int64_t  i;
	uint64_t u;
	bool     b;
	char     tmp[32];
	bb_err   rv;

	switch (k->type) {
	case T_STR:
	case T_PATH:
		return set_str(p, k, v, line, (char **) f);
	case T_U16:
	case T_U32:
	case T_INT:
		if (!parse_int(v, &i) || i < k->lo ||
		    (i >= 0 && (uint64_t) i > k->hi)) {
			bb__conf_error(
			    p, line,
			    "%s: expected an integer from %lld to %llu, got "
			    "'%s'",
			    k->name, (long long) k->lo,
			    (unsigned long long) k->hi, v);
			return false;
		}
		if (k->type == T_U16) {
			*(uint16_t *) f = (uint16_t) i;
		} else if (k->type == T_U32) {
			*(uint32_t *) f = (uint32_t) i;
		} else {
			*(int *) f = (int) i;
		}
		return true;
	case T_BOOL:
		if (bb_parse_bool(v, &b) != BB_OK) {
			bb__conf_error(p, line,
			               "%s: expected true or false, got '%s'",
			               k->name, v);
			return false;
		}
		*(bool *) f = b;
		return true;
	case T_DUR:
		rv = bb_parse_duration(v, &i);
		if (rv != BB_OK) {
			bb__conf_error(
			    p, line,
			    "%s: expected a duration such as 30s, 1h30m or "
			    "1.5h, got '%s'",
			    k->name, v);
			return false;
		}
		if (i < k->lo) {
			fmt_min_dur(k->lo, tmp, sizeof(tmp));
			bb__conf_error(p, line,
			               "%s: must be at least %s, got '%s'",
			               k->name, tmp, v);
			return false;
		}
		*(int64_t *) f = i;
		return true;
	case T_SIZE:
		rv = bb_parse_size(v, &u);
		if (rv == BB_EINVAL) {
			bb__conf_error(
			    p, line,
			    "%s: expected a size such as 4096, 512k, 100mib "
			    "or 1g, got '%s'",
			    k->name, v);
			return false;
		}
		if (rv != BB_OK || u < (uint64_t) k->lo || u > k->hi) {
			bb__conf_error(
			    p, line,
			    "%s: expected a size from %llu to %llu bytes, got "
			    "'%s'",
			    k->name, (unsigned long long) k->lo,
			    (unsigned long long) k->hi, v);
			return false;
		}
		*(uint64_t *) f = u;
		return true;
	case T_LOGFMT:
		if (strcasecmp(v, "plain") != 0 &&
		    strcasecmp(v, "json") != 0) {
			bb__conf_error(p, line,
			               "%s: expected plain or json, got '%s'",
			               k->name, v);
			return false;
		}
		*(bb_log_format *) f = strcasecmp(v, "json") == 0
		    ? BB_LOG_FORMAT_JSON
		    : BB_LOG_FORMAT_PLAIN;
		return true;
	case T_ARCHIVE:
		if (strcasecmp(v, "s3") != 0 && strcasecmp(v, "dir") != 0) {
			bb__conf_error(p, line,
			               "%s: expected s3 or dir, got '%s'",
			               k->name, v);
			return false;
		}
		*(bb_archive_kind *) f =
		    strcasecmp(v, "dir") == 0 ? BB_ARCHIVE_DIR : BB_ARCHIVE_S3;
		return true;
	case T_CIDRS:
	case T_TAGS:
		return split_list(p, k, v, line, (bb_strlist *) f);
	default:
		return false;
	}
}

// canon returns the index of the entry whose seen[] slot k shares.
static size_t
canon(const conf_table *t, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++) {
		if (t->keys[i].type != T_REJECT &&
		    t->keys[i].off == t->keys[k].off) {
			return i;
		}
	}
	return k;
}

// key_seen returns the line key was set on in s: negative if its value
// was rejected, 0 if absent.
static int
key_seen(const bb__conf_sect *s, const char *key)
{
	const conf_table *t = &tables[s->kind];
	size_t            i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->keys[i].name, key) == 0) {
			return s->seen[canon(t, i)];
		}
	}
	return 0;
}

// key_line is where to report a problem with key: its line, else the
// section header's.
static int
key_line(const bb__conf_sect *s, const char *key)
{
	int l = key_seen(s, key);

	if (l == 0) {
		l = s->line;
	}
	return l < 0 ? -l : l;
}

static void *
sect_base(bb__conf_parser *p, const bb__conf_sect *s)
{
	bb_conf *c = p->conf;

	switch (s->kind) {
	case BB__CONF_LOG:
		return &c->log;
	case BB__CONF_SERVER:
		return &c->server;
	case BB__CONF_ACCESS_LOG:
		return &c->server.access_log;
	case BB__CONF_SERVER_ACL:
		return (char *) &c->server + s->acl_off;
	case BB__CONF_REMOTE:
		return &c->remotes[s->index];
	case BB__CONF_AWS:
		return &c->aws[s->index];
	case BB__CONF_NS:
		return &c->namespaces[s->index];
	case BB__CONF_NS_ACL:
		return (char *) &c->namespaces[s->index] + s->acl_off;
	default:
		return c; // top level and [client]
	}
}

void
bb__conf_apply_defaults(bb__conf_parser *p, bb__conf_kind kind, void *base)
{
	const conf_table *t = &tables[kind];
	size_t            i;

	for (i = 0; i < t->n; i++) {
		if (t->keys[i].def != NULL) {
			(void) set_value(p, &t->keys[i], base, t->keys[i].def,
			                 0);
		}
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

	if (p->cur < 0) {
		return; // in a section already reported as bad
	}
	s = &p->sects[p->cur];
	t = &tables[s->kind];
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->keys[i].name, name) == 0) {
			break;
		}
	}
	if (*name == '\0') {
		bb__conf_error(p, p->line, "missing key name before '='");
		return;
	}
	if (i == t->n) {
		bb__conf_error(p, p->line, "unknown key '%s' in %s", name,
		               sect_label(s, label, sizeof(label)));
		return;
	}
	if (t->keys[i].type == T_REJECT) {
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
	s->seen[c] = set_value(p, &t->keys[i], sect_base(p, s), value, p->line)
	    ? p->line
	    : -p->line;
}

static void
check_required(bb__conf_parser *p, const bb__conf_sect *s)
{
	const conf_table *t = &tables[s->kind];
	size_t            i;
	int               line = s->line < 0 ? -s->line : s->line;

	for (i = 0; i < t->n; i++) {
		if ((t->keys[i].flags & K_REQ) == 0 || s->seen[canon(t, i)]) {
			continue;
		}
		if (s->kind == BB__CONF_TOP) {
			bb__conf_error(p, 0, "%s is required",
			               t->keys[i].name);
		} else {
			bb__conf_error(p, line, "[%s]: %s is required",
			               s->name, t->keys[i].name);
		}
	}
}

static void
check_acl(bb__conf_parser *p, const bb__conf_sect *s, const bb_acl_conf *a)
{
	bool cidrs =
	    a->white_list_cidrs.n > 0 || key_seen(s, "white_list_cidrs") < 0;
	bool file = a->basic_auth_htpasswd_file != NULL ||
	    key_seen(s, "basic_auth_htpasswd_file") < 0;

	if (a->white_list_required && !cidrs) {
		bb__conf_error(
		    p, key_line(s, "white_list_required"),
		    "[%s]: white_list_required needs white_list_cidrs",
		    s->name);
	}
	if (a->allow_x_forwarded_from_cidrs.n > 0 && !cidrs) {
		bb__conf_error(p, key_line(s, "allow_x_fowarded_from_cidrs"),
		               "[%s]: allow_x_forwarded_from_cidrs needs "
		               "white_list_cidrs",
		               s->name);
	}
	if (a->basic_auth_required && !file) {
		bb__conf_error(
		    p, key_line(s, "basic_auth_required"),
		    "[%s]: basic_auth_required needs basic_auth_htpasswd_file",
		    s->name);
	}
	if (a->basic_auth_user_tags.n > 0 && !file) {
		bb__conf_error(p, key_line(s, "basic_auth_user_tags"),
		               "[%s]: basic_auth_user_tags needs "
		               "basic_auth_htpasswd_file",
		               s->name);
	}
}

static void
check_server(bb__conf_parser *p)
{
	bb_server_conf *srv = &p->conf->server;
	long            si  = bb__conf_find_sect(p, "server");
	bb__conf_sect  *s;

	if (srv->rpc_addr == NULL && srv->addr != NULL) {
		srv->rpc_addr = strdup(srv->addr);
		if (srv->rpc_addr == NULL) {
			p->nomem = true;
		}
	}
	if (si < 0) {
		return; // all defaults, and they agree with each other
	}
	s = &p->sects[si];
	if (srv->tls && srv->tls_certificate_file == NULL) {
		bb__conf_error(
		    p, key_line(s, "tls"),
		    "[server]: tls = true needs tls_certificate_file");
	}
	if (srv->tls && srv->tls_private_key_file == NULL) {
		bb__conf_error(
		    p, key_line(s, "tls"),
		    "[server]: tls = true needs tls_private_key_file");
	}
	if (!srv->tls && key_seen(s, "tls") >= 0 &&
	    (srv->tls_certificate_file != NULL ||
	     srv->tls_private_key_file != NULL)) {
		bb__conf_error(
		    p, key_line(s, "tls"),
		    "[server]: a TLS certificate or key is given but tls is "
		    "not true");
	}
	if (srv->addr != NULL && srv->rpc_addr != NULL &&
	    strcmp(srv->addr, srv->rpc_addr) == 0 && srv->port != 0 &&
	    srv->port == srv->rpc_port) {
		bb__conf_error(p, key_line(s, "rpc_port"),
		               "[server]: port and rpc_port are both %u on %s",
		               (unsigned) srv->port, srv->addr);
	}
}

static void
check_remote(bb__conf_parser *p, const bb__conf_sect *s, bb_remote_conf *r)
{
	char buf[80];

	if (r->tls_insecure_skip_verify && !r->tls) {
		bb__conf_error(
		    p, key_line(s, "tls_insecure_skip_verify"),
		    "[%s]: tls_insecure_skip_verify needs tls = true",
		    s->name);
	}
	if (r->verify_host != NULL && !r->tls) {
		bb__conf_error(p, key_line(s, "verify_host"),
		               "[%s]: verify_host needs tls = true", s->name);
	}
	if (r->name == NULL && r->host != NULL) {
		(void) snprintf(buf, sizeof(buf),
		                strchr(r->host, ':') != NULL ? "[%s]:%u"
		                                             : "%s:%u",
		                r->host, (unsigned) r->rpc_port);
		r->name = strdup(buf);
		if (r->name == NULL) {
			p->nomem = true;
		}
	}
}

static void
check_aws(bb__conf_parser *p, const bb__conf_sect *s, const bb_aws_conf *a)
{
	int methods = (a->key_id != NULL || a->secret_key != NULL) +
	    (a->profile != NULL) + a->from_environment + a->from_ec2_role;

	if ((a->key_id == NULL) != (a->secret_key == NULL)) {
		bb__conf_error(p, s->line,
		               "[%s]: key_id and secret_key go together",
		               s->name);
	}
	if (methods > 1) {
		bb__conf_error(
		    p, s->line,
		    "[%s]: give at most one credential method: key_id and "
		    "secret_key, profile, from_environment or from_ec2_role",
		    s->name);
	}
}

static void
check_ns(bb__conf_parser *p, const bb__conf_sect *s, bb_ns_conf *ns)
{
	const bb_conf *c = p->conf;
	size_t         i;
	bool           aws = false;

	if (key_seen(s, "archive") >= 0) {
		if (ns->archive == BB_ARCHIVE_DIR && !ns->archive_directory &&
		    key_seen(s, "archive_directory") == 0) {
			bb__conf_error(
			    p, key_line(s, "archive"),
			    "[%s]: archive = dir needs archive_directory",
			    s->name);
		}
		if (ns->archive == BB_ARCHIVE_S3 && !ns->aws_profile &&
		    key_seen(s, "aws_profile") == 0) {
			bb__conf_error(p, key_line(s, "archive"),
			               "[%s]: archive = s3 needs aws_profile",
			               s->name);
		}
		if (ns->archive == BB_ARCHIVE_S3 && !ns->s3_bucket &&
		    key_seen(s, "s3_bucket") == 0) {
			bb__conf_error(p, key_line(s, "archive"),
			               "[%s]: archive = s3 needs s3_bucket",
			               s->name);
		}
	}
	for (i = 0; ns->aws_profile != NULL && i < c->n_aws; i++) {
		aws = aws || strcmp(c->aws[i].name, ns->aws_profile) == 0;
	}
	if (ns->aws_profile != NULL && !aws) {
		bb__conf_error(
		    p, key_line(s, "aws_profile"),
		    "[%s]: aws_profile: there is no [aws.%s] section", s->name,
		    ns->aws_profile);
	}
	if (key_seen(s, "compress_level") > 0 && !ns->compress &&
	    key_seen(s, "compress") >= 0) {
		bb__conf_error(p, key_line(s, "compress_level"),
		               "[%s]: compress_level needs compress = true",
		               s->name);
	}
	if (key_seen(s, "max_open_files") == 0) {
		ns->max_open_files = ns->min_open_files;
	} else if (key_seen(s, "max_open_files") > 0 &&
	           ns->max_open_files < ns->min_open_files) {
		bb__conf_error(
		    p, key_line(s, "max_open_files"),
		    "[%s]: max_open_files (%u) is below min_open_files (%u)",
		    s->name, ns->max_open_files, ns->min_open_files);
	}
	if (ns->orphan_timeout_ns <= ns->heart_beat_interval_ns &&
	    key_seen(s, "orphan_timeout") >= 0 &&
	    key_seen(s, "heart_beat_interval") >= 0) {
		bb__conf_error(p,
		               key_seen(s, "orphan_timeout") > 0
		                   ? key_line(s, "orphan_timeout")
		                   : key_line(s, "heart_beat_interval"),
		               "[%s]: orphan_timeout must be longer than "
		               "heart_beat_interval",
		               s->name);
	}
	if (ns->replicas > c->n_remotes && key_seen(s, "replicas") >= 0) {
		bb__conf_error(
		    p, key_line(s, "replicas"),
		    "[%s]: replicas = %u needs at least %u [remote.<id>] "
		    "sections but there are %zu: add [remote.<id>] sections "
		    "or lower replicas",
		    s->name, ns->replicas, ns->replicas, c->n_remotes);
	}
	for (i = 0; ns->directory != NULL && &c->namespaces[i] != ns; i++) {
		if (c->namespaces[i].directory != NULL &&
		    strcmp(c->namespaces[i].directory, ns->directory) == 0) {
			bb__conf_error(
			    p, key_line(s, "directory"),
			    "[%s]: directory is also the directory of "
			    "[namespace.%s]",
			    s->name, c->namespaces[i].name);
		}
	}
}

void
bb__conf_finish(bb__conf_parser *p)
{
	size_t         i;
	bb__conf_sect *s;

	check_server(p);
	for (i = 0; i < p->n_sects; i++) {
		s = &p->sects[i];
		check_required(p, s);
		switch (s->kind) {
		case BB__CONF_SERVER_ACL:
		case BB__CONF_NS_ACL:
			check_acl(p, s, sect_base(p, s));
			break;
		case BB__CONF_REMOTE:
			check_remote(p, s, sect_base(p, s));
			break;
		case BB__CONF_AWS:
			check_aws(p, s, sect_base(p, s));
			break;
		case BB__CONF_NS:
			check_ns(p, s, sect_base(p, s));
			break;
		default:
			break;
		}
	}
	if (p->conf->n_namespaces == 0) {
		bb__conf_error(
		    p, 0,
		    "no [namespace.<name>] section: at least one namespace is "
		    "required");
	}
}
