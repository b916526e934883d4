// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/diff.c -- two configurations compared key by key through
// the key tables of schema.c, and every change sorted into what a running
// node may apply (ACLs, [remote.*] added or removed, [log], the HTTPS
// certificate files) and what it may not (the rest).  A list of what may
// change, not of what may not: a key added later is refused on reload
// until someone makes it reloadable on purpose.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf/conf_impl.h"
#include "common/conf/diff.h"

// Where each section and key of a file was given.
struct bb_conf_lines {
	char **label; // owned, each owned: "[section] key", "[section]", "key"
	int   *line;
	size_t n;
	size_t cap;
};

// lines_add records label (printf-style) on line.
static void lines_add(bb__conf_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
lines_add(bb__conf_parser *p, int line, const char *fmt, ...)
{
	struct bb_conf_lines *l = p->conf->lines;
	char                  buf[BB__CONF_MAX_NAME + 64];
	char                **v;
	int                  *n;
	va_list               ap;

	if (l->n == l->cap) {
		v = realloc(l->label, (l->cap * 2 + 16) * sizeof(*v));
		if (v != NULL) {
			l->label = v;
		}
		n = realloc(l->line, (l->cap * 2 + 16) * sizeof(*n));
		if (n != NULL) {
			l->line = n;
		}
		if (v == NULL || n == NULL) {
			p->nomem = true;
			return;
		}
		l->cap = l->cap * 2 + 16;
	}
	va_start(ap, fmt);
	(void) vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l->label[l->n] = bb__conf_strdup(p, buf);
	if (l->label[l->n] != NULL) {
		l->line[l->n++] = line;
	}
}

void
bb__conf_lines_record(bb__conf_parser *p)
{
	const bb__conf_sect *s;
	const char          *key;
	size_t               i, k;

	p->conf->lines = calloc(1, sizeof(*p->conf->lines));
	if (p->conf->lines == NULL) {
		p->nomem = true;
		return;
	}
	for (i = 0; i < p->n_sects && !p->nomem; i++) {
		s = &p->sects[i];
		if (s->kind != BB__CONF_TOP) {
			lines_add(p, s->line, "[%s]", s->name);
		}
		for (k = 0; (key = bb__conf_key_at(s->kind, k)) != NULL; k++) {
			if (*key == '\0' || s->seen[k] <= 0) {
				continue;
			}
			if (s->kind == BB__CONF_TOP) {
				lines_add(p, s->seen[k], "%s", key);
			} else {
				lines_add(p, s->seen[k], "[%s] %s", s->name,
				          key);
			}
		}
	}
}

void
bb__conf_lines_free(struct bb_conf_lines *l)
{
	size_t i;

	if (l == NULL) {
		return;
	}
	for (i = 0; i < l->n; i++) {
		free(l->label[i]);
	}
	free(l->label);
	free(l->line);
	free(l);
}

int
bb_conf_line(const bb_conf *conf, const char *label)
{
	const struct bb_conf_lines *l = conf->lines;
	size_t                      i;

	for (i = 0; l != NULL && i < l->n; i++) {
		if (strcmp(l->label[i], label) == 0) {
			return l->line[i];
		}
	}
	return 0;
}

// The state of one comparison.
typedef struct diff_state {
	bb_conf_diff *d;
	const char   *sect; // "[server]", "" at the top level: for names
	bool          acl;  // in an ACL section: every key may change
	bool          srv;  // in [server]: the certificate files may change
	bool          log;  // in [log]
	bool          nomem;
} diff_state;

// diff_push appends "<a><b>" to l.
static void
diff_push(diff_state *s, bb_strlist *l, const char *a, const char *b)
{
	char **v;
	char  *t;
	size_t n = strlen(a) + strlen(b) + 2;

	if (bb_strlist_has(l->v, l->n, a) && *b == '\0') {
		return; // one line per ACL section, however many keys
	}
	t = malloc(n);
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (t == NULL || v == NULL) {
		free(t);
		if (v != NULL) {
			l->v = v;
		}
		s->nomem = true;
		return;
	}
	(void) snprintf(t, n, "%s%s%s", a, *a != '\0' && *b != '\0' ? " " : "",
	                b);
	l->v         = v;
	l->v[l->n++] = t;
}

// diff_key sorts one changed key of the current section.
static void
diff_key(void *arg, const char *key)
{
	diff_state *s = arg;

	if (s->acl) {
		diff_push(s, &s->d->acls, s->sect, "");
	} else if (s->log) {
		if (strcmp(key, "file") == 0) {
			s->d->log_file = true;
		} else if (strcmp(key, "format") == 0) {
			s->d->log_format = true;
		} else {
			s->d->log_debug = true;
		}
	} else if (s->srv &&
	           (strcmp(key, "tls_certificate_file") == 0 ||
	            strcmp(key, "tls_private_key_file") == 0)) {
		s->d->https_cert = true;
	} else {
		diff_push(s, &s->d->immutable, s->sect, key);
	}
}

// diff_sect compares one section of kind at a and b under the name sect.
static void
diff_sect(diff_state *s, bb__conf_kind kind, const void *a, const void *b,
          const char *sect)
{
	s->sect = sect;
	s->acl  = kind == BB__CONF_SERVER_ACL || kind == BB__CONF_NS_ACL;
	s->srv  = kind == BB__CONF_SERVER;
	s->log  = kind == BB__CONF_LOG;
	bb__conf_diff_fields(kind, a, b, diff_key, s);
}

// diff_acls compares the ACLs within the [server] or namespace structs
// a and b; prefix is "server" or "namespace.<ns>".
static void
diff_acls(diff_state *s, bb__conf_kind kind, bb__conf_kind acl_kind,
          const void *a, const void *b, const char *prefix)
{
	const bb_acl_conf *x;
	const bb_acl_conf *y;
	const char        *name;
	char               sect[BB__CONF_MAX_NAME + 64];
	size_t             i;
	size_t             off = 0;

	for (i = 0; (name = bb__conf_acl_at(kind, i, &off)) != NULL; i++) {
		(void) snprintf(sect, sizeof(sect), "[%s.%s]", prefix, name);
		x = (const void *) ((const char *) a + off);
		y = (const void *) ((const char *) b + off);
		if (x->present != y->present) {
			// An absent admin ACL means loopback only, an empty
			// one open: presence is part of the value.
			diff_push(s, &s->d->acls, sect, "");
		}
		diff_sect(s, acl_kind, x, y, sect);
	}
}

// diff_remotes walks the two sorted [remote.*] arrays.  The node's own
// id may not come or go: storage decides at start whether the node is
// its own replica.
static void
diff_remotes(diff_state *s, const bb_conf *o, const bb_conf *n)
{
	bb_conf_diff *d = s->d;
	char          sect[64];
	size_t        i = 0, j = 0;
	uint32_t      id;
	size_t        before;
	bool          gone, come;

	d->added   = calloc(n->n_remotes + 1, sizeof(*d->added));
	d->removed = calloc(o->n_remotes + 1, sizeof(*d->removed));
	if (d->added == NULL || d->removed == NULL) {
		s->nomem = true;
		return;
	}
	while (i < o->n_remotes || j < n->n_remotes) {
		if (j == n->n_remotes ||
		    (i < o->n_remotes &&
		     o->remotes[i].id < n->remotes[j].id)) {
			id   = o->remotes[i++].id;
			gone = true;
			come = false;
		} else if (i == o->n_remotes ||
		           n->remotes[j].id < o->remotes[i].id) {
			id   = n->remotes[j++].id;
			gone = false;
			come = true;
		} else {
			// The same id: any key changed is remove + add.
			id = o->remotes[i].id;
			(void) snprintf(sect, sizeof(sect), "[remote.%lu]",
			                (unsigned long) id);
			before = d->immutable.n;
			diff_sect(s, BB__CONF_REMOTE, &o->remotes[i],
			          &n->remotes[j], sect);
			gone = come = d->immutable.n != before;
			// Those keys were not immutable after all.
			while (d->immutable.n > before) {
				free(d->immutable.v[--d->immutable.n]);
			}
			i++;
			j++;
		}
		if (!gone && !come) {
			continue;
		}
		if (id == n->machine_id) {
			(void) snprintf(sect, sizeof(sect), "[remote.%lu]",
			                (unsigned long) id);
			diff_push(s, &d->immutable, sect, "");
			continue;
		}
		if (gone) {
			d->removed[d->n_removed++] = id;
		}
		if (come) {
			d->added[d->n_added++] = id;
		}
	}
}

// diff_namespaces compares the namespaces by name: one added or removed
// is immutable (storage opens its directory at start), as are its keys
// but its ACLs.
static void
diff_namespaces(diff_state *s, const bb_conf *o, const bb_conf *n)
{
	char   sect[BB__CONF_MAX_NAME + 32];
	char   prefix[BB__CONF_MAX_NAME + 16];
	size_t i, j;

	for (i = 0; i < o->n_namespaces; i++) {
		(void) snprintf(sect, sizeof(sect), "[namespace.%s]",
		                o->namespaces[i].name);
		(void) snprintf(prefix, sizeof(prefix), "namespace.%s",
		                o->namespaces[i].name);
		for (j = 0; j < n->n_namespaces; j++) {
			if (strcmp(o->namespaces[i].name,
			           n->namespaces[j].name) == 0) {
				break;
			}
		}
		if (j == n->n_namespaces) {
			diff_push(s, &s->d->immutable, sect, "");
			continue;
		}
		diff_sect(s, BB__CONF_NS, &o->namespaces[i], &n->namespaces[j],
		          sect);
		diff_acls(s, BB__CONF_NS, BB__CONF_NS_ACL, &o->namespaces[i],
		          &n->namespaces[j], prefix);
	}
	for (j = 0; j < n->n_namespaces; j++) {
		if (bb_conf_find_ns(o, n->namespaces[j].name) == NULL) {
			(void) snprintf(sect, sizeof(sect), "[namespace.%s]",
			                n->namespaces[j].name);
			diff_push(s, &s->d->immutable, sect, "");
		}
	}
}

// diff_aws compares the [aws.*] sections, all immutable: the archives
// hold their credentials from the start.
static void
diff_aws(diff_state *s, const bb_conf *o, const bb_conf *n)
{
	char   sect[BB__CONF_MAX_NAME + 16];
	size_t i, j;

	for (i = 0; i < o->n_aws; i++) {
		(void) snprintf(sect, sizeof(sect), "[aws.%s]",
		                o->aws[i].name);
		for (j = 0; j < n->n_aws; j++) {
			if (strcmp(o->aws[i].name, n->aws[j].name) == 0) {
				break;
			}
		}
		if (j == n->n_aws) {
			diff_push(s, &s->d->immutable, sect, "");
		} else {
			diff_sect(s, BB__CONF_AWS, &o->aws[i], &n->aws[j],
			          sect);
		}
	}
	for (j = 0; j < n->n_aws; j++) {
		for (i = 0; i < o->n_aws; i++) {
			if (strcmp(o->aws[i].name, n->aws[j].name) == 0) {
				break;
			}
		}
		if (i == o->n_aws) {
			(void) snprintf(sect, sizeof(sect), "[aws.%s]",
			                n->aws[j].name);
			diff_push(s, &s->d->immutable, sect, "");
		}
	}
}

bb_err
bb_conf_diff_new(const bb_conf *o, const bb_conf *n, bb_conf_diff **dp)
{
	diff_state s;

	memset(&s, 0, sizeof(s));
	s.d = calloc(1, sizeof(*s.d));
	if (s.d == NULL) {
		return BB_ENOMEM;
	}
	// The top level and [client] share bb_conf's fields: one walk each
	// with its own table.
	diff_sect(&s, BB__CONF_TOP, o, n, "");
	diff_sect(&s, BB__CONF_CLIENT, o, n, "[client]");
	diff_sect(&s, BB__CONF_LOG, &o->log, &n->log, "[log]");
	diff_sect(&s, BB__CONF_SERVER, &o->server, &n->server, "[server]");
	diff_acls(&s, BB__CONF_SERVER, BB__CONF_SERVER_ACL, &o->server,
	          &n->server, "server");
	if (o->server.has_access_log != n->server.has_access_log) {
		diff_push(&s, &s.d->immutable, "[server.access_log]", "");
	}
	diff_sect(&s, BB__CONF_ACCESS_LOG, &o->server.access_log,
	          &n->server.access_log, "[server.access_log]");
	diff_remotes(&s, o, n);
	diff_namespaces(&s, o, n);
	diff_aws(&s, o, n);
	if (s.nomem) {
		bb_conf_diff_free(s.d);
		return BB_ENOMEM;
	}
	*dp = s.d;
	return BB_OK;
}

void
bb_conf_diff_free(bb_conf_diff *d)
{
	if (d == NULL) {
		return;
	}
	bb_strlist_fini(&d->immutable);
	bb_strlist_fini(&d->acls);
	free(d->added);
	free(d->removed);
	free(d);
}

bool
bb_conf_diff_empty(const bb_conf_diff *d)
{
	return d->immutable.n == 0 && d->acls.n == 0 && d->n_added == 0 &&
	    d->n_removed == 0 && !d->log_file && !d->log_format &&
	    !d->log_debug && !d->https_cert;
}

// describe_add appends text to buf at *off, cut to len.
static void describe_add(char *buf, size_t len, size_t *off, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

static void
describe_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int     n;

	if (*off >= len) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0) {
		*off += (size_t) n;
	}
}

void
bb_conf_diff_describe(const bb_conf_diff *d, const bb_conf *new, char *buf,
                      size_t len)
{
	const char *sep = "";
	size_t      off = 0;
	size_t      i;

	if (len == 0) {
		return;
	}
	buf[0] = '\0';
	if (d->n_added + d->n_removed > 0) {
		describe_add(buf, len, &off, "%speers", sep);
		for (i = 0; i < d->n_removed; i++) {
			describe_add(buf, len, &off, " -%lu",
			             (unsigned long) d->removed[i]);
		}
		for (i = 0; i < d->n_added; i++) {
			describe_add(buf, len, &off, " +%lu",
			             (unsigned long) d->added[i]);
		}
		sep = ", ";
	}
	if (d->acls.n > 0) {
		describe_add(buf, len, &off, "%sacl", sep);
		for (i = 0; i < d->acls.n; i++) {
			describe_add(buf, len, &off, " %s", d->acls.v[i]);
		}
		describe_add(buf, len, &off, " changed");
		sep = ", ";
	}
	if (d->log_file) {
		describe_add(buf, len, &off, "%slog file %s", sep,
		             new->log.file);
		sep = ", ";
	}
	if (d->log_format) {
		describe_add(buf, len, &off, "%slog format %s", sep,
		             new->log.format == BB_LOG_FORMAT_JSON ? "json"
		                                                   : "plain");
		sep = ", ";
	}
	if (d->log_debug) {
		describe_add(buf, len, &off, "%slog debug %s", sep,
		             new->log.debug ? "on" : "off");
		sep = ", ";
	}
	if (d->https_cert) {
		describe_add(buf, len, &off,
		             "%shttps certificate files changed", sep);
		sep = ", ";
	}
	if (d->immutable.n > 0) {
		describe_add(buf, len, &off, "%snot reloadable:", sep);
		for (i = 0; i < d->immutable.n; i++) {
			describe_add(buf, len, &off, " %s", d->immutable.v[i]);
		}
	}
	if (off == 0) {
		(void) snprintf(buf, len, "nothing changed");
	}
}
