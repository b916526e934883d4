// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/conf.c -- loading the configuration: reading the file, feeding
// libinih line by line (so every message can name its line), collecting
// errors, which sections exist and the records they create, the embedded
// default, and freeing.  The keys of a section live in schema.c, the
// checks across them in check.c, parsing one value in value.c.
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf/conf.h"
#include "common/conf/conf_impl.h"
#include "common/file.h"

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
	char    msg[512], head[300];
	va_list ap;
	size_t  len;
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
	// The count cap above also caps this buffer (~80 KiB).
	len = strlen(head) + strlen(msg) + 2; // and '\n', NUL
	nb  = realloc(p->errs, p->errs_len + len);
	if (nb == NULL) {
		p->nomem = true;
		return;
	}
	p->errs = nb;
	p->errs_len +=
	    (size_t) snprintf(nb + p->errs_len, len, "%s%s%s",
	                      p->errs_len > 0 ? "\n" : "", head, msg);
}

char *
bb__conf_strdup(bb__conf_parser *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		p->nomem = true;
	}
	return d;
}

#define BLANKS " \t\r\v\f" // what inih's isspace() skips, but '\n'

static bool
is_blank(char c)
{
	return c != '\0' && strchr(BLANKS, c) != NULL;
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
		was_space = is_blank(*s);
		s++;
	}
	return s;
}

// syntax_error reports a line inih will also fail on, and remembers the
// first such line so that inih's report of it is not repeated.
static void
syntax_error(bb__conf_parser *p, const char *what)
{
	bb__conf_error(p, p->line, "syntax error: %s", what);
	if (p->first_syntax == 0) {
		p->first_syntax = p->line;
	}
}

// conf_header handles a line that starts with '['.  inih keeps at most 49
// characters of a section name, so the name is taken from here, in full.
static void
conf_header(bb__conf_parser *p, const char *line)
{
	char        name[BB__CONF_MAX_NAME];
	const char *end = ini_scan(line + 1, "]"); // as inih sees it
	const char *b   = line + 1 + strspn(line + 1, BLANKS);
	const char *rest;
	int         n;

	if (*end != ']') {
		syntax_error(p, "missing ']'");
		p->cur = -1; // its keys would land in the previous section
		return;
	}
	n = (int) (end - b);
	while (n > 0 && is_blank(b[n - 1])) {
		n--;
	}
	(void) snprintf(name, sizeof(name), "%.*s", n, b);
	rest = end + 1 + strspn(end + 1, BLANKS);
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
	const char      *start, *nl, *body, *eq;
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

	eq = ini_scan(buf, "=:");
	if (buf[0] == '[') {
		conf_header(p, buf);
	} else if (buf[0] != ';' && buf[0] != '#' && buf[0] != '\n' &&
	           *eq != '=' && *eq != ':') {
		syntax_error(p, "expected 'key = value' or '[section]'");
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

// grow makes room for element n of arr (*cap elements of size elem
// allocated) and zeroes it.  There may be at most max elements, called
// what in the message (on line) when there would be more.  Returns the
// array, moved or not, or NULL.
static void *
grow(bb__conf_parser *p, void *arr, size_t elem, size_t n, size_t *cap,
     size_t max, const char *what, int line)
{
	size_t nc = *cap == 0 ? 8 : *cap * 2;

	if (n >= max) {
		bb__conf_error(p, line, "too many %s (at most %zu)", what,
		               max);
		return NULL;
	}
	if (n >= *cap) {
		arr = realloc(arr, nc * elem);
		if (arr == NULL) {
			p->nomem = true;
			return NULL;
		}
		*cap = nc;
	}
	memset((char *) arr + n * elem, 0, elem);
	return arr;
}

static long
add_sect(bb__conf_parser *p, const char *name, bb__conf_kind kind,
         size_t index, size_t acl_off, int line)
{
	bb__conf_sect *s;

	s = grow(p, p->sects, sizeof(*s), p->n_sects, &p->cap_sects,
	         BB__CONF_MAX_SECTS, "sections", line);
	if (s == NULL) {
		return -1;
	}
	p->sects = s;
	s        = &p->sects[p->n_sects];
	s->name  = bb__conf_strdup(p, name);
	if (s->name == NULL) {
		return -1;
	}
	s->kind    = kind;
	s->index   = index;
	s->acl_off = acl_off;
	s->line    = line;
	return (long) p->n_sects++;
}

// add_acl makes name the section of the ACL at acl_off in the parent
// record (index in its array, if any) and marks the ACL present.
static long
add_acl(bb__conf_parser *p, const char *name, bb__conf_kind kind, size_t index,
        long acl_off, int line)
{
	bb_acl_conf *acl =
	    bb__conf_base(p->conf, kind, index, (size_t) acl_off);

	acl->present = true;
	return add_sect(p, name, kind, index, (size_t) acl_off, line);
}

// begin_ns handles [namespace.<ns>] and [namespace.<ns>.<acl>].  An ACL
// section may come first: it creates the namespace, whose header line
// stays negative until the header itself is seen.
static long
begin_ns(bb__conf_parser *p, const char *name, int line)
{
	bb_conf    *c   = p->conf;
	const char *dot = strchr(name + strlen("namespace."), '.');
	char        sect[BB__CONF_MAX_NAME]; // "namespace.<ns>"
	const char *nsname = sect + strlen("namespace.");
	long        s, acl = -1;
	bb_ns_conf *ns;

	(void) snprintf(
	    sect, sizeof(sect), "%.*s",
	    (int) (dot != NULL ? (size_t) (dot - name) : strlen(name)), name);
	if (!bb__conf_record_name(p, name, BB__CONF_NS, nsname, NULL, line)) {
		return -1;
	}
	if (dot != NULL) {
		acl = bb__conf_acl_off(BB__CONF_NS, dot + 1);
		if (acl < 0) {
			bb__conf_error(p, line, "unknown section [%s]", name);
			return -1;
		}
	}
	s = bb__conf_find_sect(p, sect);
	if (s < 0) {
		ns = grow(p, c->namespaces, sizeof(*ns), c->n_namespaces,
		          &p->cap_ns, BB__CONF_MAX_NS, "namespaces", line);
		if (ns == NULL) {
			return -1;
		}
		c->namespaces = ns;
		ns            = &c->namespaces[c->n_namespaces];
		ns->name      = bb__conf_strdup(p, nsname);
		if (ns->name == NULL) {
			return -1;
		}
		bb__conf_apply_defaults(p, BB__CONF_NS, ns);
		s = add_sect(p, sect, BB__CONF_NS, c->n_namespaces++, 0,
		             dot != NULL ? -line : line);
	}
	if (s < 0 || acl < 0) {
		return s;
	}
	return add_acl(p, name, BB__CONF_NS_ACL, p->sects[s].index, acl, line);
}

static long
begin_remote(bb__conf_parser *p, const char *name, int line)
{
	bb_conf        *c = p->conf;
	bb_remote_conf *r;
	uint32_t        id;

	if (!bb__conf_record_name(p, name, BB__CONF_REMOTE,
	                          name + strlen("remote."), &id, line)) {
		return -1;
	}
	r = grow(p, c->remotes, sizeof(*r), c->n_remotes, &p->cap_remotes,
	         BB__CONF_MAX_REMOTES, "remotes", line);
	if (r == NULL) {
		return -1;
	}
	c->remotes = r;
	r          = &c->remotes[c->n_remotes];
	r->id      = id;
	bb__conf_apply_defaults(p, BB__CONF_REMOTE, r);
	return add_sect(p, name, BB__CONF_REMOTE, c->n_remotes++, 0, line);
}

static long
begin_aws(bb__conf_parser *p, const char *name, int line)
{
	const char  *an = name + strlen("aws.");
	bb_conf     *c  = p->conf;
	bb_aws_conf *a;

	if (!bb__conf_record_name(p, name, BB__CONF_AWS, an, NULL, line)) {
		return -1;
	}
	a = grow(p, c->aws, sizeof(*a), c->n_aws, &p->cap_aws,
	         BB__CONF_MAX_AWS, "[aws.*] sections", line);
	if (a == NULL) {
		return -1;
	}
	c->aws  = a;
	a       = &c->aws[c->n_aws];
	a->name = bb__conf_strdup(p, an);
	if (a->name == NULL) {
		return -1;
	}
	return add_sect(p, name, BB__CONF_AWS, c->n_aws++, 0, line);
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void
bb__conf_section_begin(bb__conf_parser *p, const char *name, int line)
{
	long cur = bb__conf_find_sect(p, name);
	long acl = has_prefix(name, "server.")
	    ? bb__conf_acl_off(BB__CONF_SERVER, name + strlen("server."))
	    : -1;

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
	} else if (acl >= 0) {
		p->cur = add_acl(p, name, BB__CONF_SERVER_ACL, 0, acl, line);
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
	} else {
		bb__conf_error(p, line, "unknown section [%s]", name);
	}
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
	bb_err          rv = BB_ENOMEM;
	bb__conf_kind   k;
	size_t          i;
	int             r;

	memset(&p, 0, sizeof(p));
	p.source = source;
	p.text   = text;
	p.len    = len;
	p.conf   = calloc(1, sizeof(*p.conf));
	if (p.conf == NULL) {
		goto done;
	}
	p.conf->path = bb__conf_strdup(&p, source);
	// The top level's section record, and the defaults of the records
	// that exist whatever the file says.
	p.cur = add_sect(&p, "", BB__CONF_TOP, 0, 0, 0);
	for (k = BB__CONF_TOP; k <= BB__CONF_ACCESS_LOG; k++) {
		bb__conf_apply_defaults(&p, k, bb__conf_base(p.conf, k, 0, 0));
	}
	if (!p.nomem) {
		r       = ini_parse_stream(conf_reader, &p, conf_handler, &p);
		p.nomem = p.nomem || r == -2;
		if (r > 0 && r != p.first_syntax) {
			bb__conf_error(&p, r, "syntax error");
		}
	}
	if (!p.nomem) {
		bb__conf_finish(&p);
		bb__conf_lines_record(&p);
	}
	rv = p.nomem ? BB_ENOMEM : p.n_errs > 0 ? BB_ECONFIG : BB_OK;
	if (rv == BB_OK) {
		*confp = p.conf; // sorted by bb__conf_finish()
		p.conf = NULL;
	}

done:
	if (rv == BB_ECONFIG && errorsp != NULL) {
		*errorsp = p.errs; // the caller frees it
		p.errs   = NULL;
	} else {
		set_message(errorsp, rv != BB_OK ? bb_strerror(rv) : NULL);
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
	char  *text = NULL;
	size_t len;
	char   why[BB_WHY_LEN];
	bb_err rv;

	if (path == NULL || confp == NULL) {
		set_message(errorsp, "no configuration file");
		return BB_EINVAL;
	}
	// No BB_FILE_REGULAR: a configuration may come from a pipe.
	rv = bb_file_read(path, BB__CONF_MAX_FILE, 0, &text, &len, NULL, why,
	                  sizeof(why));
	if (rv != BB_OK) {
		set_message(errorsp, why);
		return rv == BB_ETOOBIG ? BB_ECONFIG : rv;
	}
	rv = conf_parse(text, len, path, confp, errorsp);
	free(text);
	return rv;
}

void
bb_conf_free(bb_conf *conf)
{
	bb__conf_kind k;
	size_t        i;

	if (conf == NULL) {
		return;
	}
	// Every field that owns memory is a key's, so the key tables say
	// what to free; only the names from section headers are not.
	for (k = BB__CONF_TOP; k <= BB__CONF_ACCESS_LOG; k++) {
		bb__conf_free_fields(k, bb__conf_base(conf, k, 0, 0));
	}
	for (i = 0; i < conf->n_remotes; i++) {
		bb__conf_free_fields(BB__CONF_REMOTE, &conf->remotes[i]);
	}
	for (i = 0; i < conf->n_aws; i++) {
		free(conf->aws[i].name);
		bb__conf_free_fields(BB__CONF_AWS, &conf->aws[i]);
	}
	for (i = 0; i < conf->n_namespaces; i++) {
		free(conf->namespaces[i].name);
		bb__conf_free_fields(BB__CONF_NS, &conf->namespaces[i]);
	}
	free(conf->remotes);
	free(conf->aws);
	free(conf->namespaces);
	free(conf->path);
	bb__conf_lines_free(conf->lines);
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
