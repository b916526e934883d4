// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/htpasswd_table.c -- one version of an htpasswd file: read,
// parsed, sorted by user, checked.  Immutable once built and
// reference-counted, so checks run on it while a reload replaces it.
// Watching the file for changes is gateway/acl/htpasswd.c.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_md5.h>

#include "common/file.h"
#include "common/strlist.h"
#include "gateway/acl/htpasswd.h"

#define HT_MAX_FILE  (16u << 20)
#define HT_MAX_LINE  4096u
#define HT_MAX_TRIES 3 // reads of a file that changes under us

typedef struct ht_entry {
	const char *user; // points into line
	const char *hash; // points into line
	char      **tags; // owned array; the strings point into line
	size_t      ntags;
	size_t      lineno;
	char       *line; // owned
} ht_entry;

struct gw__htpasswd_table {
	atomic_size_t refs;
	ht_entry     *e; // owned array, sorted by user, then line
	size_t        n;
};

static pthread_once_t ht_apr_once = PTHREAD_ONCE_INIT;

static void
ht_apr_init(void)
{
	// apr_password_validate needs no pool, but APR wants to be set up
	// once per process before any of its calls.
	(void) apr_initialize();
}

bool
gw__htpasswd_same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

void
gw__htpasswd_table_ref(gw__htpasswd_table *t)
{
	atomic_fetch_add(&t->refs, 1);
}

void
gw__htpasswd_table_unref(gw__htpasswd_table *t)
{
	size_t i;

	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1) {
		return;
	}
	for (i = 0; i < t->n; i++) {
		free(t->e[i].tags);
		free(t->e[i].line);
	}
	free(t->e);
	free(t);
}

// ht_known_hash says whether h is in a format apr_password_validate
// checks as a hash.  Anything else would reach crypt(3) as a "salt" or,
// in the original, be compared as plain text.
static bool
ht_known_hash(const char *h)
{
	static const char *const prefixes[] = { "$apr1$", "$2y$",  "$2a$",
		                                "$2b$",   "{SHA}", "$1$",
		                                "$5$",    "$6$",   "$y$" };
	size_t                   i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(h, prefixes[i], strlen(prefixes[i])) == 0) {
			return strlen(h) > strlen(prefixes[i]);
		}
	}
	// Traditional DES crypt: 13 characters of ./0-9A-Za-z.
	return strlen(h) == 13 &&
	    strspn(h,
	           "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	           "abcdefghijklmnopqrstuvwxyz") == 13;
}

// ht_field cuts the ':'-separated field at *pp and moves *pp past it
// (NULL after the last field).  Returns the field, NUL-terminated.
static char *
ht_field(char **pp)
{
	char *f = *pp;
	char *c = strchr(f, ':');

	if (c != NULL) {
		*c  = '\0';
		*pp = c + 1;
	} else {
		*pp = NULL;
	}
	return f;
}

// ht_parse_line fills e from line, which e owns from now on (even on
// error).  On error a message is written to why.
static bb_err
ht_parse_line(char *line, ht_entry *e, char *why, size_t whylen)
{
	char  *p = line, *tag;
	size_t i, n = 1;

	e->line = line;
	e->user = ht_field(&p);
	e->hash = p != NULL ? ht_field(&p) : "";
	if (e->user[0] == '\0' || e->hash[0] == '\0') {
		(void) snprintf(why, whylen, "%s",
		                e->user[0] == '\0' ? "empty user name"
		                                   : "no password hash");
		return BB_ECONFIG;
	}
	if (!ht_known_hash(e->hash)) {
		(void) snprintf(why, whylen,
		                "user '%s': not a bcrypt, $apr1$, {SHA} or "
		                "crypt hash (plain-text passwords are not "
		                "accepted)",
		                e->user);
		return BB_ECONFIG;
	}
	if (p == NULL) {
		return BB_OK;
	}
	for (i = 0; p[i] != '\0'; i++) {
		n += p[i] == ':';
	}
	e->tags = calloc(n, sizeof(*e->tags));
	if (e->tags == NULL) {
		(void) snprintf(why, whylen, "%s", bb_strerror(BB_ENOMEM));
		return BB_ENOMEM;
	}
	while (p != NULL) {
		tag = ht_field(&p);
		if (tag[0] == '\0') {
			(void) snprintf(why, whylen, "user '%s': empty tag",
			                e->user);
			return BB_ECONFIG;
		}
		if (bb_strlist_has(e->tags, e->ntags, tag)) {
			(void) snprintf(why, whylen,
			                "user '%s': duplicate tag '%s'",
			                e->user, tag);
			return BB_ECONFIG;
		}
		e->tags[e->ntags++] = tag;
	}
	return BB_OK;
}

static int
ht_entry_cmp(const void *a, const void *b)
{
	const ht_entry *x = a;
	const ht_entry *y = b;
	int             c = strcmp(x->user, y->user);

	if (c != 0) {
		return c;
	}
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

// ht_parse builds a table from the text buf[0..len) (NUL-terminated;
// modified).
static bb_err
ht_parse(const char *path, char *buf, size_t len, gw__htpasswd_table **tp,
         char *err, size_t errlen)
{
	gw__htpasswd_table *t   = NULL;
	char               *p   = buf, *nl, *s, *end;
	size_t              cap = 0, lineno = 0;
	char                why[256];
	bb_err              rv = BB_ECONFIG;
	ht_entry           *grown;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		(void) snprintf(err, errlen, "%s: out of memory", path);
		return BB_ENOMEM;
	}
	atomic_init(&t->refs, 1);
	while (p < buf + len) {
		lineno++;
		nl   = memchr(p, '\n', (size_t) (buf + len - p));
		end  = nl != NULL ? nl : buf + len;
		*end = '\0';
		s    = p;
		p    = end + 1;
		if (strlen(s) != (size_t) (end - s) ||
		    (size_t) (end - s) > HT_MAX_LINE) {
			(void) snprintf(why, sizeof(why), "%s",
			                strlen(s) != (size_t) (end - s)
			                    ? "NUL byte in the line"
			                    : "line longer than 4096 bytes");
			rv = BB_ECONFIG; // a good line before left BB_OK
			goto fail;
		}
		// Blank lines and comments; CR LF files are fine too.
		while (end > s && strchr(" \t\r", end[-1]) != NULL) {
			*--end = '\0';
		}
		s += strspn(s, " \t");
		if (*s == '\0' || *s == '#') {
			continue;
		}
		if (t->n == cap) {
			cap   = cap == 0 ? 16 : cap * 2;
			grown = realloc(t->e, cap * sizeof(*t->e));
			if (grown == NULL) {
				rv = BB_ENOMEM;
				(void) snprintf(why, sizeof(why), "%s",
				                bb_strerror(rv));
				goto fail;
			}
			t->e = grown;
		}
		memset(&t->e[t->n], 0, sizeof(t->e[t->n]));
		t->e[t->n].lineno = lineno;
		s                 = strdup(s);
		if (s == NULL) {
			rv = BB_ENOMEM;
			(void) snprintf(why, sizeof(why), "%s",
			                bb_strerror(rv));
			goto fail;
		}
		rv = ht_parse_line(s, &t->e[t->n], why, sizeof(why));
		t->n++; // the entry owns its line even when it is wrong
		if (rv != BB_OK) {
			goto fail;
		}
	}
	if (t->n > 1) {
		qsort(t->e, t->n, sizeof(*t->e), ht_entry_cmp);
	}
	*tp = t;
	return BB_OK;

fail:
	(void) snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
	gw__htpasswd_table_unref(t);
	return rv;
}

// ht_read reads the whole file at path into a NUL-terminated buffer;
// *stp is the version read.  Caller owns *bufp (free()).
static bb_err
ht_read(const char *path, char **bufp, size_t *lenp, struct stat *stp,
        char *err, size_t errlen)
{
	struct stat st;
	char       *buf = NULL;
	size_t      len = 0;
	bb_err      rv;

	rv = bb_file_read(path, HT_MAX_FILE, BB_FILE_REGULAR, &buf, &len, &st,
	                  err, errlen);
	if (rv == BB_ETOOBIG) {
		// The text this message always had.
		return bb_why(rv, err, errlen, "%s: larger than 16 MiB", path);
	}
	if (rv != BB_OK) {
		return rv;
	}
	// A size other than the one fstat saw: the file changed meanwhile.
	if (len != (size_t) st.st_size) {
		free(buf);
		return bb_why(BB_EBUSY, err, errlen,
		              "%s: changed while being read", path);
	}
	*bufp = buf;
	*lenp = len;
	*stp  = st;
	return BB_OK;
}

// The file is stat'ed again after the read: a version that changed
// meanwhile may be half written (the writer did not rename a finished
// file into place), so it is read again, HT_MAX_TRIES times at most.
bb_err
gw__htpasswd_table_load(const char *path, gw__htpasswd_table **tp,
                        struct stat *stp, char *err, size_t errlen)
{
	struct stat         st, got;
	gw__htpasswd_table *t   = NULL;
	char               *buf = NULL;
	size_t              len = 0;
	int                 tries;
	bb_err              rv = BB_EBUSY;

	for (tries = 0; tries < HT_MAX_TRIES && rv == BB_EBUSY; tries++) {
		rv = ht_read(path, &buf, &len, &got, err, errlen);
		if (rv != BB_OK) {
			continue;
		}
		rv = ht_parse(path, buf, len, &t, err, errlen);
		free(buf);
		if (rv != BB_OK) {
			return rv;
		}
		if (stat(path, &st) == 0 &&
		    gw__htpasswd_same_version(&st, &got)) {
			(void) pthread_once(&ht_apr_once, ht_apr_init);
			*tp  = t;
			*stp = got;
			return BB_OK;
		}
		gw__htpasswd_table_unref(t);
		t  = NULL;
		rv = BB_EBUSY;
		(void) snprintf(err, errlen, "%s: changed while being read",
		                path);
	}
	return rv;
}

static bool
ht_has_tags(const ht_entry *e, char *const *tags, size_t ntags)
{
	size_t i;

	for (i = 0; i < ntags; i++) {
		if (!bb_strlist_has(e->tags, e->ntags, tags[i])) {
			return false;
		}
	}
	return true;
}

bool
gw__htpasswd_table_check(const gw__htpasswd_table *t, const char *user,
                         const char *password, char *const *tags, size_t ntags)
{
	size_t lo = 0, hi = t->n, mid;
	bool   ok = false;

	while (lo < hi) { // the first line of user
		mid = lo + (hi - lo) / 2;
		if (strcmp(t->e[mid].user, user) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	// Tags first: they are cheap, a bcrypt check is not.
	for (; !ok && lo < t->n && strcmp(t->e[lo].user, user) == 0; lo++) {
		ok = ht_has_tags(&t->e[lo], tags, ntags) &&
		    apr_password_validate(password, t->e[lo].hash) ==
		        APR_SUCCESS;
	}
	return ok;
}

size_t
gw__htpasswd_table_count(const gw__htpasswd_table *t)
{
	return t->n;
}
