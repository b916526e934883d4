// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf_impl.h -- what conf.c (reading lines, collecting errors,
// freeing) and conf_check.c (sections, keys, values, cross checks) share.
// Only those two files include it.
#ifndef COMMON_CONF_IMPL_H
#define COMMON_CONF_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/conf.h"

// Caps: a config file is operator input, but a typo in a generated one
// must not make the loader allocate without bound.
#define BB__CONF_MAX_FILE    (1024 * 1024) // bytes of INI text
#define BB__CONF_MAX_ERRORS  100           // errors listed; then a summary
#define BB__CONF_MAX_SECTS   8192          // distinct section names
#define BB__CONF_MAX_NS      1024          // [namespace.*]
#define BB__CONF_MAX_REMOTES 1024          // [remote.*]
#define BB__CONF_MAX_AWS     256           // [aws.*]
#define BB__CONF_MAX_KEYS    48            // keys in one section's table
#define BB__CONF_MAX_NAME    256           // a section name

// What kind of section a name denotes; it picks the key table and where
// the values go.
typedef enum {
	BB__CONF_TOP = 0,
	BB__CONF_CLIENT,
	BB__CONF_LOG,
	BB__CONF_SERVER,
	BB__CONF_ACCESS_LOG,
	BB__CONF_SERVER_ACL,
	BB__CONF_REMOTE,
	BB__CONF_AWS,
	BB__CONF_NS,
	BB__CONF_NS_ACL,
} bb__conf_kind;

// One distinct section name seen in the text.  A repeated header reuses
// its record, so keys merge and a key given twice is caught.
typedef struct bb__conf_sect {
	char         *name; // owned, as written between the brackets
	bb__conf_kind kind;
	size_t        index;   // into remotes, aws or namespaces
	size_t        acl_off; // offset of the bb_acl_conf in its parent
	int           line;    // line of the (first) header, 0 for top
	// Line each key of the table was set on, by canonical key index;
	// negative when the value was rejected, 0 when absent.
	int seen[BB__CONF_MAX_KEYS];
} bb__conf_sect;

typedef struct bb__conf_parser {
	bb_conf       *conf;   // owned until handed to the caller
	const char    *source; // borrowed; the file name in messages
	const char    *text;   // borrowed
	size_t         len;
	size_t         pos;
	int            line;         // lines handed to inih so far
	long           cur;          // current section record, -1: skip
	int            first_syntax; // first syntax error line we reported
	bb__conf_sect *sects;        // owned array
	size_t         n_sects;
	size_t         cap_sects;
	size_t         cap_ns; // allocated length of conf->namespaces
	size_t         cap_remotes;
	size_t         cap_aws;
	char          *errs; // owned, "\n"-separated messages
	size_t         errs_len;
	size_t         errs_cap;
	size_t         n_errs;
	bool           nomem;
} bb__conf_parser;

// bb__conf_error appends "<source>:<line>: <message>" (no ":<line>" when
// line is 0) to p's errors.  Out of memory is recorded in p->nomem.
void bb__conf_error(bb__conf_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// bb__conf_find_sect returns the index of the section record called
// name, or -1.
long bb__conf_find_sect(const bb__conf_parser *p, const char *name);

// bb__conf_apply_defaults sets every key of kind's table that has a
// default in the struct at base.
void bb__conf_apply_defaults(bb__conf_parser *p, bb__conf_kind kind,
                             void *base);

// bb__conf_defaults fills p->conf with the defaults of the singleton
// sections.  Returns BB_ENOMEM only.
bb_err bb__conf_defaults(bb__conf_parser *p);

// bb__conf_section_begin handles a "[name]" header on line: classifies
// it, creates what it names, and makes it the current section (or makes
// keys be skipped after reporting an unknown or rejected section).
void bb__conf_section_begin(bb__conf_parser *p, const char *name, int line);

// bb__conf_set_key handles "name = value" on p->line in the current
// section.  Problems are reported through bb__conf_error().
void bb__conf_set_key(bb__conf_parser *p, const char *name, const char *value);

// bb__conf_finish applies the defaults that depend on other keys and runs
// the checks that need the whole file.
void bb__conf_finish(bb__conf_parser *p);

// Release helpers for the owned members of the config structs; each
// leaves the member zeroed.
void bb__conf_strlist_fini(bb_strlist *l);
void bb__conf_acl_fini(bb_acl_conf *acl);
void bb__conf_ns_fini(bb_ns_conf *ns);
void bb__conf_remote_fini(bb_remote_conf *r);
void bb__conf_aws_fini(bb_aws_conf *aws);

#endif // COMMON_CONF_IMPL_H
