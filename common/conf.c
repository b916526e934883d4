// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf.c -- loading the configuration: reading the file, feeding
// libinih line by line (so every message can name its line), collecting
// errors, which sections exist and the records they create, the embedded
// default, and freeing.  What each key means, and every check on values,
// lives in conf_check.c.
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/conf_impl.h"

const char bb_conf_default_text[] =
    "; blobbyd's embedded single-node default (used without -c).\n"
    "machine_id = 1\n"
    "\n"
    "[server]\n"
    "addr = 127.0.0.1\n"
    "port = 1091\n"
    "rpc_addr = 127.0.0.1\n"
    "rpc_port = 1092\n"
    "\n"
    "[namespace.default]\n"
    "directory = ./blobby-data/default\n"
    "replicas = 0\n"
    "archive = dir\n"
    "archive_directory = ./blobby-data/archive\n";

void
bb__conf_error(bb__conf_parser *p, int line, const char *fmt, ...)
{
	char    msg[512];
	char    head[300];
	va_list ap;
	size_t  need, mlen, hlen;
	char   *nb, *c;

	p->n_errs++;
	if (p->n_errs > BB__CONF_MAX_ERRORS + 1) {
		return;
	}
	if (p->n_errs == BB__CONF_MAX_ERRORS + 1) {
		(void) snprintf(
		    msg, sizeof(msg),
		    "too many errors; only the first %d are listed",
		    BB__CONF_MAX_ERRORS);
		line = 0;
	} else {
		va_start(ap, fmt);
		(void) vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	for (c = msg; *c != '\0'; c++) {
		if ((unsigned char) *c < 0x20 || *c == 0x7f) {
			*c = '?'; // values are echoed; keep terminals sane
		}
	}
	if (line > 0) {
		(void) snprintf(head, sizeof(head), "%s:%d: ", p->source,
		                line);
	} else {
		(void) snprintf(head, sizeof(head), "%s: ", p->source);
	}
	hlen = strlen(head);
	mlen = strlen(msg);
	need = p->errs_len + 1 + hlen + mlen + 1;
	if (need > p->errs_cap) {
		// The count cap above also caps this buffer (~80 KiB).
		size_t cap = p->errs_cap == 0 ? 1024 : p->errs_cap;
		while (cap < need) {
			cap *= 2;
		}
		nb = realloc(p->errs, cap);
		if (nb == NULL) {
			p->nomem = true;
			return;
		}
		p->errs     = nb;
		p->errs_cap = cap;
	}
	if (p->errs_len > 0) {
		p->errs[p->errs_len++] = '\n';
	}
	memcpy(p->errs + p->errs_len, head, hlen);
	memcpy(p->errs + p->errs_len + hlen, msg, mlen + 1);
	p->errs_len += hlen + mlen;
}

// ini_scan mirrors inih's find_chars_or_comment(): it stops at one of
// chars or at a ';' that follows whitespace (an inline comment).  The
// reader must classify lines exactly as inih will.
static const char *
ini_scan(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	       !(was_space && *s == ';')) {
		was_space = *s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\v' || *s == '\f';
		s++;
	}
	return s;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// conf_header handles a line that starts with '['.  inih keeps at most 49
// characters of a section name, so the name is taken from here, in full.
static void
conf_header(bb__conf_parser *p, const char *line)
{
	char        name[BB__CONF_MAX_NAME];
	const char *end = ini_scan(line + 1, "]");
	const char *b   = line + 1;
	const char *rest;
	size_t      n;

	if (*end != ']') {
		bb__conf_error(p, p->line, "syntax error: missing ']'");
		if (p->first_syntax == 0) {
			p->first_syntax = p->line;
		}
		p->cur = -1; // its keys would land in the previous section
		return;
	}
	while (b < end && is_blank(*b)) {
		b++;
	}
	n = (size_t) (end - b);
	while (n > 0 && is_blank(b[n - 1])) {
		n--;
	}
	if (n >= sizeof(name)) {
		n = sizeof(name) - 1; // cannot happen: lines are shorter
	}
	memcpy(name, b, n);
	name[n] = '\0';
	rest    = end + 1;
	while (is_blank(*rest)) {
		rest++;
	}
	if (*rest != '\0' && *rest != '\n' && *rest != ';' && *rest != '#') {
		bb__conf_error(p, p->line, "unexpected text after ']'");
	}
	bb__conf_section_begin(p, name, p->line);
}

// conf_reader is the fgets-style reader handed to inih.  It returns one
// whole line per call, so its count is inih's line number; it strips
// leading blanks, so no line is ever a multi-line continuation; and it
// hands over a blank line in place of one that inih would split or cut.
static char *
conf_reader(char *buf, int num, void *stream)
{
	bb__conf_parser *p = stream;
	const char      *start, *nl, *body;
	size_t           rem, linelen, blen;

	if (p->pos >= p->len || num < 3) {
		return NULL;
	}
	start   = p->text + p->pos;
	rem     = p->len - p->pos;
	nl      = memchr(start, '\n', rem);
	linelen = nl != NULL ? (size_t) (nl - start) : rem;
	p->pos += linelen + (nl != NULL ? 1 : 0);
	p->line++;

	body = start;
	blen = linelen;
	if (p->line == 1 && blen >= 3 &&
	    memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
		body += 3; // UTF-8 byte order mark
		blen -= 3;
	}
	while (blen > 0 && is_blank(*body)) {
		body++;
		blen--;
	}
	buf[0] = '\n';
	buf[1] = '\0';
	if (memchr(body, '\0', blen) != NULL) {
		bb__conf_error(p, p->line, "line contains a NUL byte");
		return buf;
	}
	if (linelen > (size_t) num - 2) {
		bb__conf_error(p, p->line,
		               "line too long (%zu characters; at most %d)",
		               linelen, num - 2);
		if (blen > 0 && body[0] == '[') {
			p->cur = -1; // a lost header: skip what follows
		}
		return buf;
	}
	memcpy(buf, body, blen);
	buf[blen]     = '\n';
	buf[blen + 1] = '\0';

	if (buf[0] == '[') {
		conf_header(p, buf);
	} else if (buf[0] != ';' && buf[0] != '#' && buf[0] != '\n') {
		const char *eq = ini_scan(buf, "=:");
		if (*eq != '=' && *eq != ':') {
			bb__conf_error(
			    p, p->line,
			    "syntax error: expected 'key = value' or "
			    "'[section]'");
			if (p->first_syntax == 0) {
				p->first_syntax = p->line;
			}
		}
	}
	return buf;
}

static int
conf_handler(void *user, const char *section, const char *name,
             const char *value)
{
	bb__conf_parser *p = user;

	(void) section; // may be truncated by inih; the reader has it whole
	bb__conf_set_key(p, name, value);
	return 1; // errors are ours to report, not inih's
}

typedef struct {
	const char *name;
	size_t      off;
} acl_name;

static const acl_name server_acls[] = {
	{ "status_acl", offsetof(bb_server_conf, status_acl) },
	{ "health_check_acl", offsetof(bb_server_conf, health_check_acl) },
	{ "shut_down_acl", offsetof(bb_server_conf, shut_down_acl) },
	{ "debug_paths_acl", offsetof(bb_server_conf, debug_paths_acl) },
};

static const acl_name ns_acls[] = {
	{ "read_acl", offsetof(bb_ns_conf, read_acl) },
	{ "insert_acl", offsetof(bb_ns_conf, insert_acl) },
	{ "primary_acl", offsetof(bb_ns_conf, primary_acl) },
	{ "blast_path_acl", offsetof(bb_ns_conf, blast_path_acl) },
};

long
bb__conf_find_sect(const bb__conf_parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_sects; i++) {
		if (strcmp(p->sects[i].name, name) == 0) {
			return (long) i;
		}
	}
	return -1;
}

// grow makes room for element n of arr (cap elements allocated).  Returns
// the array, moved or not, or NULL when out of memory.
static void *
grow(bb__conf_parser *p, void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t nc = *cap == 0 ? 8 : *cap * 2;
	void  *nb;

	if (n < *cap) {
		return arr;
	}
	nb = realloc(arr, nc * elem);
	if (nb == NULL) {
		p->nomem = true;
		return NULL;
	}
	*cap = nc;
	return nb;
}

static long
add_sect(bb__conf_parser *p, const char *name, bb__conf_kind kind,
         size_t index, size_t acl_off, int line)
{
	bb__conf_sect *s;

	if (p->n_sects >= BB__CONF_MAX_SECTS) {
		bb__conf_error(p, line, "too many sections (at most %d)",
		               BB__CONF_MAX_SECTS);
		return -1;
	}
	s = grow(p, p->sects, &p->cap_sects, p->n_sects, sizeof(*s));
	if (s == NULL) {
		return -1;
	}
	p->sects = s;
	s        = &p->sects[p->n_sects];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (s->name == NULL) {
		p->nomem = true;
		return -1;
	}
	s->kind    = kind;
	s->index   = index;
	s->acl_off = acl_off;
	s->line    = line;
	return (long) p->n_sects++;
}

bb_err
bb__conf_defaults(bb__conf_parser *p)
{
	bb_conf *c = p->conf;
	size_t   i;

	p->cur = add_sect(p, "", BB__CONF_TOP, 0, 0, 0);
	bb__conf_apply_defaults(p, BB__CONF_TOP, c);
	bb__conf_apply_defaults(p, BB__CONF_CLIENT, c);
	bb__conf_apply_defaults(p, BB__CONF_LOG, &c->log);
	bb__conf_apply_defaults(p, BB__CONF_SERVER, &c->server);
	bb__conf_apply_defaults(p, BB__CONF_ACCESS_LOG, &c->server.access_log);
	for (i = 0; i < sizeof(server_acls) / sizeof(server_acls[0]); i++) {
		bb__conf_apply_defaults(p, BB__CONF_SERVER_ACL,
		                        (char *) &c->server +
		                            server_acls[i].off);
	}
	return p->nomem ? BB_ENOMEM : BB_OK;
}

static bool
valid_name(const char *n, const char *extra)
{
	if (*n == '\0') {
		return false;
	}
	for (; *n != '\0'; n++) {
		bool alnum = (*n >= 'a' && *n <= 'z') ||
		    (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9');
		if (!alnum && strchr(extra, *n) == NULL) {
			return false;
		}
	}
	return true;
}

// add_ns creates [namespace.<name>] and its section record; line is
// negative when an ACL section names the namespace first.
static long
add_ns(bb__conf_parser *p, const char *name, const char *sect, int line)
{
	bb_conf    *c = p->conf;
	bb_ns_conf *ns;
	size_t      i;

	if (c->n_namespaces >= BB__CONF_MAX_NS) {
		bb__conf_error(p, line < 0 ? -line : line,
		               "too many namespaces (at most %d)",
		               BB__CONF_MAX_NS);
		return -1;
	}
	ns = grow(p, c->namespaces, &p->cap_ns, c->n_namespaces, sizeof(*ns));
	if (ns == NULL) {
		return -1;
	}
	c->namespaces = ns;
	ns            = &c->namespaces[c->n_namespaces];
	memset(ns, 0, sizeof(*ns));
	ns->name = strdup(name);
	if (ns->name == NULL) {
		p->nomem = true;
		return -1;
	}
	c->n_namespaces++;
	bb__conf_apply_defaults(p, BB__CONF_NS, ns);
	for (i = 0; i < sizeof(ns_acls) / sizeof(ns_acls[0]); i++) {
		bb__conf_apply_defaults(p, BB__CONF_NS_ACL,
		                        (char *) ns + ns_acls[i].off);
	}
	return add_sect(p, sect, BB__CONF_NS, c->n_namespaces - 1, 0, line);
}

static long
begin_ns(bb__conf_parser *p, const char *name, int line)
{
	char        nsname[BB__CONF_MAX_NAME], sect[BB__CONF_MAX_NAME + 16];
	const char *rest = name + strlen("namespace.");
	const char *dot  = strchr(rest, '.');
	size_t      n    = dot != NULL ? (size_t) (dot - rest) : strlen(rest);
	size_t      i;
	long        ns;
	bb_ns_conf *nsc;

	if (n >= sizeof(nsname)) {
		n = sizeof(nsname) - 1;
	}
	memcpy(nsname, rest, n);
	nsname[n] = '\0';
	if (!valid_name(nsname, "_-") || nsname[0] == '_') {
		// '_' starts the server's own paths (/_status).
		bb__conf_error(
		    p, line,
		    "[%s]: a namespace name is letters, digits, '_' and '-', "
		    "not starting with '_'",
		    name);
		return -1;
	}
	for (i = 0; dot != NULL && i < sizeof(ns_acls) / sizeof(ns_acls[0]);
	     i++) {
		if (strcmp(dot + 1, ns_acls[i].name) == 0) {
			break;
		}
	}
	if (dot != NULL && i == sizeof(ns_acls) / sizeof(ns_acls[0])) {
		bb__conf_error(p, line, "unknown section [%s]", name);
		return -1;
	}
	(void) snprintf(sect, sizeof(sect), "namespace.%s", nsname);
	ns = bb__conf_find_sect(p, sect);
	if (ns < 0) {
		ns = add_ns(p, nsname, sect, dot != NULL ? -line : line);
		if (ns < 0) {
			return -1;
		}
	}
	if (dot == NULL) {
		return ns;
	}
	nsc = &p->conf->namespaces[p->sects[ns].index];
	((bb_acl_conf *) ((char *) nsc + ns_acls[i].off))->present = true;
	return add_sect(p, name, BB__CONF_NS_ACL, p->sects[ns].index,
	                ns_acls[i].off, line);
}

static long
begin_remote(bb__conf_parser *p, const char *name, int line)
{
	const char     *id = name + strlen("remote.");
	const char     *d;
	bb_conf        *c = p->conf;
	bb_remote_conf *r;
	uint64_t        v = 0;

	for (d = id; *d >= '0' && *d <= '9' && v <= UINT32_MAX; d++) {
		v = v * 10 + (uint64_t) (*d - '0');
	}
	// One spelling per id ("01" is refused), so a repeated id is the
	// same section and its keys merge.
	if (d == id || *d != '\0' || v > UINT32_MAX ||
	    (id[0] == '0' && id[1] != '\0')) {
		bb__conf_error(
		    p, line,
		    "[%s]: the section is named by the peer's machine id, an "
		    "integer from 0 to 4294967295",
		    name);
		return -1;
	}
	if (c->n_remotes >= BB__CONF_MAX_REMOTES) {
		bb__conf_error(p, line, "too many remotes (at most %d)",
		               BB__CONF_MAX_REMOTES);
		return -1;
	}
	r = grow(p, c->remotes, &p->cap_remotes, c->n_remotes, sizeof(*r));
	if (r == NULL) {
		return -1;
	}
	c->remotes = r;
	r          = &c->remotes[c->n_remotes++];
	memset(r, 0, sizeof(*r));
	r->id = (uint32_t) v;
	bb__conf_apply_defaults(p, BB__CONF_REMOTE, r);
	return add_sect(p, name, BB__CONF_REMOTE, c->n_remotes - 1, 0, line);
}

static long
begin_aws(bb__conf_parser *p, const char *name, int line)
{
	const char  *an = name + strlen("aws.");
	bb_conf     *c  = p->conf;
	bb_aws_conf *a;

	if (!valid_name(an, "_.-")) {
		bb__conf_error(
		    p, line,
		    "[%s]: an aws profile name is letters, digits, '_', '.' "
		    "and '-'",
		    name);
		return -1;
	}
	if (c->n_aws >= BB__CONF_MAX_AWS) {
		bb__conf_error(p, line,
		               "too many [aws.*] sections (at most %d)",
		               BB__CONF_MAX_AWS);
		return -1;
	}
	a = grow(p, c->aws, &p->cap_aws, c->n_aws, sizeof(*a));
	if (a == NULL) {
		return -1;
	}
	c->aws = a;
	a      = &c->aws[c->n_aws];
	memset(a, 0, sizeof(*a));
	a->name = strdup(an);
	if (a->name == NULL) {
		p->nomem = true;
		return -1;
	}
	c->n_aws++;
	return add_sect(p, name, BB__CONF_AWS, c->n_aws - 1, 0, line);
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void
bb__conf_section_begin(bb__conf_parser *p, const char *name, int line)
{
	long   cur;
	size_t i;

	cur = bb__conf_find_sect(p, name);
	if (cur >= 0 && p->sects[cur].kind == BB__CONF_NS &&
	    p->sects[cur].line < 0) {
		p->sects[cur].line = line; // the header, after an ACL's
	}
	if (cur >= 0 && *name != '\0') {
		p->cur = cur; // a repeated header: keys merge
		return;
	}
	p->cur = -1;
	if (*name == '\0') {
		bb__conf_error(p, line, "empty section name []");
	} else if (strcmp(name, "client") == 0) {
		p->cur = add_sect(p, name, BB__CONF_CLIENT, 0, 0, line);
	} else if (strcmp(name, "log") == 0) {
		p->cur = add_sect(p, name, BB__CONF_LOG, 0, 0, line);
	} else if (strcmp(name, "server") == 0) {
		p->cur = add_sect(p, name, BB__CONF_SERVER, 0, 0, line);
	} else if (strcmp(name, "server.access_log") == 0) {
		p->conf->server.has_access_log = true;
		p->cur = add_sect(p, name, BB__CONF_ACCESS_LOG, 0, 0, line);
	} else if (has_prefix(name, "remote.")) {
		p->cur = begin_remote(p, name, line);
	} else if (has_prefix(name, "aws.")) {
		p->cur = begin_aws(p, name, line);
	} else if (has_prefix(name, "namespace.")) {
		p->cur = begin_ns(p, name, line);
	} else if (strcmp(name, "saml") == 0 || has_prefix(name, "saml.")) {
		bb__conf_error(
		    p, line,
		    "[%s]: web-form and SAML logins are not supported", name);
	} else if (has_prefix(name, "server.")) {
		for (i = 0; i < sizeof(server_acls) / sizeof(server_acls[0]);
		     i++) {
			if (strcmp(name + 7, server_acls[i].name) == 0) {
				break;
			}
		}
		if (i == sizeof(server_acls) / sizeof(server_acls[0])) {
			bb__conf_error(p, line, "unknown section [%s]", name);
			return;
		}
		((bb_acl_conf *) ((char *) &p->conf->server +
		                  server_acls[i].off))
		    ->present = true;
		p->cur        = add_sect(p, name, BB__CONF_SERVER_ACL, 0,
		                         server_acls[i].off, line);
	} else {
		bb__conf_error(p, line, "unknown section [%s]", name);
	}
}

static int
ns_cmp(const void *a, const void *b)
{
	const bb_ns_conf *x = a;
	const bb_ns_conf *y = b;

	return strcmp(x->name, y->name);
}

static int
remote_cmp(const void *a, const void *b)
{
	const bb_remote_conf *x = a;
	const bb_remote_conf *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
set_message(char **errorsp, const char *msg)
{
	if (errorsp != NULL) {
		*errorsp = msg != NULL ? strdup(msg) : NULL;
	}
}

static bb_err
conf_parse(const char *text, size_t len, const char *source, bb_conf **confp,
           char **errorsp)
{
	bb__conf_parser p;
	bb_err          rv;
	size_t          i;
	int             r;

	memset(&p, 0, sizeof(p));
	p.source = source;
	p.text   = text;
	p.len    = len;
	p.conf   = calloc(1, sizeof(*p.conf));
	if (p.conf == NULL) {
		rv = BB_ENOMEM;
		goto done;
	}
	p.conf->path = strdup(source);
	if (p.conf->path == NULL) {
		rv = BB_ENOMEM;
		goto done;
	}
	rv = bb__conf_defaults(&p);
	if (rv != BB_OK) {
		goto done;
	}
	r = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	if (r == -2) {
		p.nomem = true;
	} else if (r > 0 && r != p.first_syntax) {
		bb__conf_error(&p, r, "syntax error");
	}
	if (!p.nomem) {
		bb__conf_finish(&p);
	}
	if (p.nomem) {
		rv = BB_ENOMEM;
		goto done;
	}
	if (p.n_errs > 0) {
		rv = BB_ECONFIG;
		goto done;
	}
	if (p.conf->n_namespaces > 1) {
		qsort(p.conf->namespaces, p.conf->n_namespaces,
		      sizeof(p.conf->namespaces[0]), ns_cmp);
	}
	if (p.conf->n_remotes > 1) {
		qsort(p.conf->remotes, p.conf->n_remotes,
		      sizeof(p.conf->remotes[0]), remote_cmp);
	}
	*confp = p.conf;
	p.conf = NULL;
	if (errorsp != NULL) {
		*errorsp = NULL;
	}
	rv = BB_OK;

done:
	if (rv == BB_ECONFIG && errorsp != NULL) {
		*errorsp = p.errs; // the caller frees it
		p.errs   = NULL;
	} else if (rv != BB_OK) {
		set_message(errorsp, bb_strerror(rv));
	}
	for (i = 0; i < p.n_sects; i++) {
		free(p.sects[i].name);
	}
	free(p.sects);
	free(p.errs);
	bb_conf_free(p.conf);
	return rv;
}

bb_err
bb_conf_load_string(const char *text, const char *name, bb_conf **confp,
                    char **errorsp)
{
	if (text == NULL || confp == NULL) {
		set_message(errorsp, "no configuration text");
		return BB_EINVAL;
	}
	if (name == NULL) {
		name = text == bb_conf_default_text ? "(embedded default)"
		                                    : "(string)";
	}
	return conf_parse(text, strlen(text), name, confp, errorsp);
}

bb_err
bb_conf_load(const char *path, bb_conf **confp, char **errorsp)
{
	FILE  *f    = NULL;
	char  *text = NULL;
	char  *nb;
	size_t len = 0, cap = 0, got;
	char   ebuf[128], msg[1024];
	bb_err rv  = BB_OK;
	int    err = 0;

	if (path == NULL || confp == NULL) {
		set_message(errorsp, "no configuration file");
		return BB_EINVAL;
	}
	f = fopen(path, "r");
	if (f == NULL) {
		err = errno;
		goto done;
	}
	errno = 0;
	for (;;) {
		if (len == cap) {
			// One byte over the cap tells "too large" from "full".
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > BB__CONF_MAX_FILE + 1) {
				cap = BB__CONF_MAX_FILE + 1;
			}
			nb = realloc(text, cap);
			if (nb == NULL) {
				err = ENOMEM;
				goto done;
			}
			text = nb;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (len > BB__CONF_MAX_FILE) {
			(void) snprintf(
			    msg, sizeof(msg),
			    "%s: file too large (more than %d bytes)", path,
			    BB__CONF_MAX_FILE);
			set_message(errorsp, msg);
			rv = BB_ECONFIG;
			goto done;
		}
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		// fopen() succeeds on a directory; the read says EISDIR.
		err = errno != 0 ? errno : EIO;
		goto done;
	}
	rv = conf_parse(text, len, path, confp, errorsp);

done:
	if (err != 0) {
		if (strerror_r(err, ebuf, sizeof(ebuf)) != 0) {
			(void) snprintf(ebuf, sizeof(ebuf), "error %d", err);
		}
		(void) snprintf(msg, sizeof(msg), "%s: %s", path, ebuf);
		set_message(errorsp, msg);
		rv = bb_err_from_errno(err);
	}
	if (f != NULL) {
		(void) fclose(f);
	}
	free(text);
	return rv;
}

void
bb__conf_strlist_fini(bb_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
bb__conf_acl_fini(bb_acl_conf *acl)
{
	bb__conf_strlist_fini(&acl->white_list_cidrs);
	bb__conf_strlist_fini(&acl->allow_x_forwarded_from_cidrs);
	bb__conf_strlist_fini(&acl->basic_auth_user_tags);
	free(acl->basic_auth_htpasswd_file);
	free(acl->basic_auth_realm);
	memset(acl, 0, sizeof(*acl));
}

void
bb__conf_ns_fini(bb_ns_conf *ns)
{
	free(ns->name);
	free(ns->directory);
	free(ns->archive_directory);
	free(ns->aws_profile);
	free(ns->s3_bucket);
	free(ns->s3_base_path);
	free(ns->s3_key_format);
	bb__conf_acl_fini(&ns->read_acl);
	bb__conf_acl_fini(&ns->insert_acl);
	bb__conf_acl_fini(&ns->primary_acl);
	bb__conf_acl_fini(&ns->blast_path_acl);
	memset(ns, 0, sizeof(*ns));
}

void
bb__conf_remote_fini(bb_remote_conf *r)
{
	free(r->host);
	free(r->name);
	free(r->verify_host);
	memset(r, 0, sizeof(*r));
}

void
bb__conf_aws_fini(bb_aws_conf *aws)
{
	free(aws->name);
	free(aws->region);
	free(aws->endpoint);
	free(aws->key_id);
	free(aws->secret_key);
	free(aws->profile);
	free(aws->assume_role_arn);
	memset(aws, 0, sizeof(*aws));
}

static void
log_fini(bb_log_conf *log)
{
	free(log->file);
	log->file = NULL;
}

void
bb_conf_free(bb_conf *conf)
{
	bb_server_conf *s;
	size_t          i;

	if (conf == NULL) {
		return;
	}
	s = &conf->server;
	free(conf->path);
	free(conf->pidfile);
	log_fini(&conf->log);
	free(s->addr);
	free(s->rpc_addr);
	free(s->host_name);
	free(s->tls_certificate_file);
	free(s->tls_private_key_file);
	free(s->prometheus_tag_prefix);
	log_fini(&s->access_log);
	bb__conf_acl_fini(&s->status_acl);
	bb__conf_acl_fini(&s->health_check_acl);
	bb__conf_acl_fini(&s->shut_down_acl);
	bb__conf_acl_fini(&s->debug_paths_acl);
	for (i = 0; i < conf->n_remotes; i++) {
		bb__conf_remote_fini(&conf->remotes[i]);
	}
	free(conf->remotes);
	for (i = 0; i < conf->n_aws; i++) {
		bb__conf_aws_fini(&conf->aws[i]);
	}
	free(conf->aws);
	for (i = 0; i < conf->n_namespaces; i++) {
		bb__conf_ns_fini(&conf->namespaces[i]);
	}
	free(conf->namespaces);
	free(conf);
}

const bb_ns_conf *
bb_conf_find_ns(const bb_conf *conf, const char *name)
{
	size_t i;

	if (conf == NULL || name == NULL) {
		return NULL;
	}
	for (i = 0; i < conf->n_namespaces; i++) {
		if (strcmp(conf->namespaces[i].name, name) == 0) {
			return &conf->namespaces[i];
		}
	}
	return NULL;
}
