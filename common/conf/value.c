// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/value.c -- one value of the configuration: parsing a key's
// text by its type (integers, booleans, sizes, durations, the two enums,
// lists of CIDRs or tags, strings with their checks: IPs, host names,
// URLs, paths) into its field, and freeing what a field owns.  Which key
// has which type is schema.c's, checks across keys are check.c's.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/conf/conf.h"
#include "common/conf/conf_impl.h"
#include "common/units.h"

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

// valid_name is true when n is not empty and holds only ASCII letters,
// digits and characters of extra.
static bool
valid_name(const char *n, const char *extra)
{
	if (*n == '\0') {
		return false;
	}
	for (; *n != '\0'; n++) {
		if (!is_alnum(*n) && strchr(extra, *n) == NULL) {
			return false;
		}
	}
	return true;
}

// parse_int parses an optionally negative decimal integer that fits
// int64_t.  On true *out is set.
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
		if (!is_digit(*s) || x > (uint64_t) INT64_MAX / 10) {
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

// ip_bits returns 32 for an IPv4 literal, 128 for an IPv6 one, else 0.
static int64_t
ip_bits(const char *v)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, v, b) == 1) {
		return 32;
	}
	return inet_pton(AF_INET6, v, b) == 1 ? 128 : 0;
}

static bool
is_cidr(const char *v)
{
	char        addr[64];
	const char *slash = strchr(v, '/');
	int64_t     bits, pfx;

	if (slash == NULL || (size_t) (slash - v) >= sizeof(addr)) {
		return false;
	}
	(void) snprintf(addr, sizeof(addr), "%.*s", (int) (slash - v), v);
	bits = ip_bits(addr);
	// The prefix length is one to three digits, without a sign.
	return bits != 0 && is_digit(slash[1]) && strlen(slash + 1) <= 3 &&
	    parse_int(slash + 1, &pfx) && pfx <= bits;
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

static bool
is_url(const char *v)
{
	const char *h = NULL;

	if (strncasecmp(v, "http://", 7) == 0) {
		h = v + 7;
	} else if (strncasecmp(v, "https://", 8) == 0) {
		h = v + 8;
	}
	return h != NULL && *h != '\0' && *h != '/' && strchr(v, ' ') == NULL;
}

// str_problem says what is wrong with v, a non-empty value of the string
// type t, or returns NULL.
static const char *
str_problem(bb__conf_type t, const char *v)
{
	switch (t) {
	case BB__CONF_T_IP:
		return ip_bits(v) != 0 ? NULL
		                       : "expected an IP address such as "
		                         "127.0.0.1";
	case BB__CONF_T_HOST:
		return ip_bits(v) != 0 || is_hostname(v)
		    ? NULL
		    : "expected a host name or address";
	case BB__CONF_T_URL:
		return is_url(v) ? NULL
		                 : "expected an http:// or https:// URL with "
		                   "a host";
	case BB__CONF_T_ARN:
		return strncmp(v, "arn:aws:iam::", 13) == 0 && v[13] != '\0'
		    ? NULL
		    : "expected an IAM ARN starting with arn:aws:iam::";
	case BB__CONF_T_REALM:
		// The realm is sent inside a quoted WWW-Authenticate
		// parameter.
		return strpbrk(v, "\"\\") == NULL
		    ? NULL
		    : "must not contain '\"' or '\\'";
	case BB__CONF_T_BUCKET:
		return strpbrk(v, "/ ") == NULL
		    ? NULL
		    : "a bucket name has no '/' or spaces";
	case BB__CONF_T_PROM:
		// It is prepended to Prometheus label names.
		return valid_name(v, "_") && !is_digit(*v)
		    ? NULL
		    : "expected letters, digits and '_', not starting with a "
		      "digit";
	default:
		return NULL;
	}
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

// reject reports v as a bad value for k: "<key>: <why>, got '<v>'".
// Returns false, for the caller to return.
static bool
reject(bb__conf_parser *p, const bb__conf_key *k, const char *v, int line,
       const char *why)
{
	bb__conf_error(p, line, "%s: %s, got '%s'", k->name, why, v);
	return false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

// split_list parses "a, b,c" into *out, replacing what it held.  An empty
// value is an empty list.
static bool
split_list(bb__conf_parser *p, const bb__conf_key *k, const char *v, int line,
           bb_strlist *out)
{
	bb_strlist  l = { NULL, 0 };
	const char *s, *e;
	size_t      n = 1, i, j;

	for (s = v; *s != '\0'; s++) {
		n += *s == ',';
	}
	l.v = calloc(n, sizeof(char *));
	if (l.v == NULL) {
		p->nomem = true;
		return false;
	}
	for (s = v; *v != '\0'; s = e + 1) {
		e = strchr(s, ',');
		if (e == NULL) {
			e = s + strlen(s);
		}
		while (s < e && is_blank(*s)) {
			s++;
		}
		j = (size_t) (e - s);
		while (j > 0 && is_blank(s[j - 1])) {
			j--;
		}
		if (j == 0) {
			bb__conf_error(p, line, "%s: empty element in list",
			               k->name);
			goto fail;
		}
		l.v[l.n] = strndup(s, j);
		if (l.v[l.n] == NULL) {
			p->nomem = true;
			goto fail;
		}
		l.n++;
		if (*e == '\0') {
			break;
		}
	}
	for (i = 0; k->type == BB__CONF_T_CIDRS && i < l.n; i++) {
		if (!is_cidr(l.v[i])) {
			bb__conf_error(
			    p, line,
			    "%s: '%s' is not a CIDR such as 10.0.0.0/8 or "
			    "::1/128",
			    k->name, l.v[i]);
			goto fail;
		}
	}
	i = bb_strlist_dup(l.v, l.n);
	if (k->type == BB__CONF_T_TAGS && i < l.n) {
		bb__conf_error(p, line, "%s: duplicate tag '%s'", k->name,
		               l.v[i]);
		goto fail;
	}
	bb_strlist_fini(out);
	*out = l;
	return true;

fail:
	bb_strlist_fini(&l);
	return false;
}

static bool
set_str(bb__conf_parser *p, const bb__conf_key *k, const char *v, int line,
        char **field)
{
	const char *why  = NULL;
	const char *path = v;
	const char *c;
	char       *s;

	for (c = v; *c != '\0'; c++) {
		if ((unsigned char) *c < 0x20 || *c == 0x7f) {
			why = "contains a control character";
		}
	}
	if (why == NULL && *v == '\0' && (k->flags & BB__CONF_EMPTY) == 0) {
		why = "must not be empty";
	}
	if (why == NULL && *v != '\0') {
		why = str_problem(k->type, v);
	}
	if (why == NULL && k->type == BB__CONF_T_PATH) {
		why = file_path(v, &path);
	}
	if (why != NULL) {
		return reject(p, k, v, line, why);
	}
	s = bb__conf_strdup(p, path);
	if (s == NULL) {
		return false;
	}
	free(*field);
	*field = s;
	return true;
}

// set_enum stores which of w0 and w1 (in any case) v is into the enum
// field f: conf.h numbers each enum's words from 0.
static bool
set_enum(bb__conf_parser *p, const bb__conf_key *k, const char *v, int line,
         void *f, const char *w0, const char *w1)
{
	char why[64];
	int  i = strcasecmp(v, w0) == 0 ? 0 : strcasecmp(v, w1) == 0 ? 1 : -1;

	if (i < 0) {
		(void) snprintf(why, sizeof(why), "expected %s or %s", w0, w1);
		return reject(p, k, v, line, why);
	}
	if (k->type == BB__CONF_T_LOGFMT) {
		*(bb_log_format *) f = (bb_log_format) i;
	} else {
		*(bb_archive_kind *) f = (bb_archive_kind) i;
	}
	return true;
}

bool
bb__conf_set_value(bb__conf_parser *p, const bb__conf_key *k, void *base,
                   const char *v, int line)
{
	void    *f = (char *) base + k->off;
	char     why[96];
	int64_t  i;
	uint64_t u;
	bool     b;
	bb_err   rv;

	switch (k->type) {
	case BB__CONF_T_U16:
	case BB__CONF_T_U32:
	case BB__CONF_T_INT:
		if (!parse_int(v, &i) || i < k->lo ||
		    (i >= 0 && (uint64_t) i > k->hi)) {
			(void) snprintf(
			    why, sizeof(why),
			    "expected an integer from %lld to %llu",
			    (long long) k->lo, (unsigned long long) k->hi);
			return reject(p, k, v, line, why);
		}
		if (k->type == BB__CONF_T_U16) {
			*(uint16_t *) f = (uint16_t) i;
		} else if (k->type == BB__CONF_T_U32) {
			*(uint32_t *) f = (uint32_t) i;
		} else {
			*(int *) f = (int) i;
		}
		return true;
	case BB__CONF_T_BOOL:
		if (bb_parse_bool(v, &b) != BB_OK) {
			return reject(p, k, v, line, "expected true or false");
		}
		*(bool *) f = b;
		return true;
	case BB__CONF_T_DUR:
		if (bb_parse_duration(v, &i) != BB_OK) {
			return reject(p, k, v, line,
			              "expected a duration such as 30s, 1h30m "
			              "or 1.5h");
		}
		if (i < k->lo) {
			// Minimums are whole seconds or whole milliseconds.
			bool whole = k->lo % BB__CONF_SEC == 0;

			(void) snprintf(
			    why, sizeof(why), "must be at least %lld%s",
			    (long long) (whole ? k->lo / BB__CONF_SEC
			                       : k->lo / 1000000),
			    whole ? "s" : "ms");
			return reject(p, k, v, line, why);
		}
		*(int64_t *) f = i;
		return true;
	case BB__CONF_T_SIZE:
		rv = bb_parse_size(v, &u);
		if (rv == BB_EINVAL) {
			return reject(p, k, v, line,
			              "expected a size such as 4096, 512k, "
			              "100mib or 1g");
		}
		if (rv != BB_OK || u < (uint64_t) k->lo || u > k->hi) {
			(void) snprintf(
			    why, sizeof(why),
			    "expected a size from %llu to %llu bytes",
			    (unsigned long long) k->lo,
			    (unsigned long long) k->hi);
			return reject(p, k, v, line, why);
		}
		*(uint64_t *) f = u;
		return true;
	case BB__CONF_T_LOGFMT:
		return set_enum(p, k, v, line, f, "plain", "json");
	case BB__CONF_T_ARCHIVE:
		return set_enum(p, k, v, line, f, "s3", "dir");
	case BB__CONF_T_CIDRS:
	case BB__CONF_T_TAGS:
		return split_list(p, k, v, line, (bb_strlist *) f);
	case BB__CONF_T_REJECT:
		return false;
	default: // the string types
		return set_str(p, k, v, line, (char **) f);
	}
}

void
bb__conf_free_value(const bb__conf_key *k, void *base)
{
	void *f = (char *) base + k->off;

	if (k->type == BB__CONF_T_CIDRS || k->type == BB__CONF_T_TAGS) {
		bb_strlist_fini(f);
	} else if (k->type <= BB__CONF_T_PROM) {
		free(*(char **) f);
		*(char **) f = NULL;
	}
}

bool
bb__conf_record_name(bb__conf_parser *p, const char *name, bb__conf_kind kind,
                     const char *s, uint32_t *id, int line)
{
	const char *why;
	int64_t     v;

	switch (kind) {
	case BB__CONF_REMOTE:
		// One spelling per id (digits only, "01" is refused), so a
		// repeated id is the same section and its keys merge.
		why = "the section is named by the peer's machine id, an "
		      "integer from 0 to 4294967295";
		if (is_digit(*s) && parse_int(s, &v) && v <= UINT32_MAX &&
		    (s[0] != '0' || s[1] == '\0')) {
			*id = (uint32_t) v;
			why = NULL;
		}
		break;
	case BB__CONF_AWS:
		why = valid_name(s, "_.-") ? NULL
		                           : "an aws profile name is letters, "
		                             "digits, '_', '.' and '-'";
		break;
	default:
		// '_' starts the server's own paths (/_status).
		why = valid_name(s, "_-") && *s != '_'
		    ? NULL
		    : "a namespace name is letters, digits, '_' and '-', not "
		      "starting with '_'";
		break;
	}
	if (why != NULL) {
		bb__conf_error(p, line, "[%s]: %s", name, why);
	}
	return why == NULL;
}

// value_str_equal compares two optional strings.
static bool
value_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return strcmp(a, b) == 0;
}

bool
bb__conf_value_equal(const bb__conf_key *k, const void *a, const void *b)
{
	const void       *fa = (const char *) a + k->off;
	const void       *fb = (const char *) b + k->off;
	const bb_strlist *la;
	const bb_strlist *lb;
	size_t            i;

	switch ((bb__conf_type) k->type) {
	case BB__CONF_T_CIDRS:
	case BB__CONF_T_TAGS:
		// In order: a list written in another order is a change the
		// operator can see in the file, and harmless to apply.
		la = fa;
		lb = fb;
		if (la->n != lb->n) {
			return false;
		}
		for (i = 0; i < la->n; i++) {
			if (!value_str_equal(la->v[i], lb->v[i])) {
				return false;
			}
		}
		return true;
	case BB__CONF_T_U16:
		return *(const uint16_t *) fa == *(const uint16_t *) fb;
	case BB__CONF_T_U32:
		return *(const uint32_t *) fa == *(const uint32_t *) fb;
	case BB__CONF_T_INT:
		return *(const int *) fa == *(const int *) fb;
	case BB__CONF_T_BOOL:
		return *(const bool *) fa == *(const bool *) fb;
	case BB__CONF_T_DUR:
		return *(const int64_t *) fa == *(const int64_t *) fb;
	case BB__CONF_T_SIZE:
		return *(const uint64_t *) fa == *(const uint64_t *) fb;
	case BB__CONF_T_LOGFMT:
		return *(const bb_log_format *) fa ==
		    *(const bb_log_format *) fb;
	case BB__CONF_T_ARCHIVE:
		return *(const bb_archive_kind *) fa ==
		    *(const bb_archive_kind *) fb;
	case BB__CONF_T_REJECT:
		return true; // no field
	default:
		return value_str_equal(*(char *const *) fa,
		                       *(char *const *) fb);
	}
}
