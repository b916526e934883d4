// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/conf_impl.h -- what the files of the loader share:
// conf.c (reading lines, sections, errors, freeing), schema.c (the key
// tables, keys of a section, defaults), check.c (checks across keys and
// sections) and value.c (one value by its type), and diff.c (two
// configurations compared key by key).  Only those files include it.
#ifndef COMMON_CONF_IMPL_H
#define COMMON_CONF_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf/conf.h"

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
#define BB__CONF_N_ACLS      4             // ACLs of [server], of a namespace

#define BB__CONF_SEC 1000000000LL // nanoseconds in a second

// What kind of section a name denotes; it picks the key table and where
// the values go.  The kinds up to BB__CONF_ACCESS_LOG have exactly one
// record each, which exists before the file is read.
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

// The type of a key: how its text is parsed and checked, and what its
// field is.  The string types come first (bb__conf_free_value() relies
// on it).
typedef enum {
	BB__CONF_T_STR = 0, // char *, owned
	BB__CONF_T_PATH,    // char *: a path or a file: URL, stored as a path
	BB__CONF_T_IP,      // char *: an IP literal
	BB__CONF_T_HOST,    // char *: a host name or IP literal
	BB__CONF_T_URL,     // char *: an http:// or https:// URL
	BB__CONF_T_ARN,     // char *: an IAM ARN
	BB__CONF_T_REALM,   // char *: an HTTP Basic realm
	BB__CONF_T_BUCKET,  // char *: an S3 bucket name
	BB__CONF_T_PROM,    // char *: a Prometheus label prefix
	BB__CONF_T_U16,     // uint16_t
	BB__CONF_T_U32,     // uint32_t
	BB__CONF_T_INT,     // int
	BB__CONF_T_BOOL,    // bool
	BB__CONF_T_DUR,     // int64_t nanoseconds
	BB__CONF_T_SIZE,    // uint64_t bytes
	BB__CONF_T_LOGFMT,  // bb_log_format
	BB__CONF_T_ARCHIVE, // bb_archive_kind
	BB__CONF_T_CIDRS,   // bb_strlist of CIDRs
	BB__CONF_T_TAGS,    // bb_strlist without duplicates
	BB__CONF_T_REJECT,  // an original key for a feature we do not have
} bb__conf_type;

#define BB__CONF_REQ   1 // the key must be given
#define BB__CONF_EMPTY 2 // "" is a valid string

// One key of a section's table.  Keys that share off with an earlier
// entry are aliases: the first such entry is canonical, and giving both
// is a duplicate.
typedef struct bb__conf_key {
	const char   *name;
	unsigned char type; // bb__conf_type
	unsigned char flags;
	size_t        off; // of the field in the section's struct
	int64_t       lo;  // numbers: smallest value allowed
	uint64_t      hi;  // integers and sizes: largest value allowed
	const char   *def; // default in file syntax, NULL: zero
} bb__conf_key;

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
	size_t         n_errs;
	bool           nomem;
} bb__conf_parser;

// conf.c

// bb__conf_error appends "<source>:<line>: <message>" (no ":<line>" when
// line is 0 or less) to p's errors.  Out of memory is recorded in
// p->nomem.
void bb__conf_error(bb__conf_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// bb__conf_strdup is strdup() that records out of memory in p->nomem.
// Caller owns the result.
char *bb__conf_strdup(bb__conf_parser *p, const char *s);

// bb__conf_find_sect returns the index of the section record called
// name, or -1.
long bb__conf_find_sect(const bb__conf_parser *p, const char *name);

// bb__conf_section_begin handles a "[name]" header on line: classifies
// it, creates what it names, and makes it the current section (or makes
// keys be skipped after reporting an unknown or rejected section).
void bb__conf_section_begin(bb__conf_parser *p, const char *name, int line);

// schema.c

// bb__conf_base returns the struct that the keys of a section of kind go
// into: index picks the remote, aws or namespace record, acl_off the ACL
// within [server] or the namespace.  Borrowed from c.
void *bb__conf_base(bb_conf *c, bb__conf_kind kind, size_t index,
                    size_t acl_off);

// bb__conf_acl_off returns the offset of the ACL called name in the
// struct of a section of kind ([server] or a namespace), or -1.
long bb__conf_acl_off(bb__conf_kind kind, const char *name);

// bb__conf_apply_defaults sets every key of kind's table that has a
// default in the struct at base, and in the ACLs within it.
void bb__conf_apply_defaults(bb__conf_parser *p, bb__conf_kind kind,
                             void *base);

// bb__conf_free_fields frees what the keys of kind's table own in the
// struct at base, and in the ACLs within it.
void bb__conf_free_fields(bb__conf_kind kind, void *base);

// bb__conf_set_key handles "name = value" on p->line in the current
// section.  Problems are reported through bb__conf_error().
void bb__conf_set_key(bb__conf_parser *p, const char *name, const char *value);

// bb__conf_key_seen returns the line key was set on in s: negative if
// its value was rejected, 0 if absent (or key is unknown in s's table).
int bb__conf_key_seen(const bb__conf_sect *s, const char *key);

// bb__conf_key_line is where to report a problem with key: its line, else
// the section header's (always the header's for a NULL key).
int bb__conf_key_line(const bb__conf_sect *s, const char *key);

// bb__conf_check_required reports each required key that s lacks.
void bb__conf_check_required(bb__conf_parser *p, const bb__conf_sect *s);

// bb__conf_diff_fields calls fn(arg, key) with the name of each key of
// kind's table (canonical spelling, aliases once) whose values differ
// between the structs a and b of that kind; the ACLs within are not
// visited (bb__conf_acl_at lists them).  For diff.c.
void bb__conf_diff_fields(bb__conf_kind kind, const void *a, const void *b,
                          void (*fn)(void *arg, const char *key), void *arg);

// bb__conf_acl_at returns the name of the i-th ACL within a section of
// kind ([server] or a namespace) and sets *off to its offset there, or
// returns NULL past the last one (or for a kind without ACLs).  Static.
const char *bb__conf_acl_at(bb__conf_kind kind, size_t i, size_t *off);

// bb__conf_key_at returns the name of the key whose seen[] slot is i in
// a section of kind, "" when slot i is no key's own (an alias, a rejected
// key), or NULL past the table.  Static.
const char *bb__conf_key_at(bb__conf_kind kind, size_t i);

// check.c

// bb__conf_finish applies the defaults that depend on other keys, runs
// the checks that need the whole file, then sorts the remotes by id and
// the namespaces by name.
void bb__conf_finish(bb__conf_parser *p);

// value.c

// bb__conf_set_value parses v as k's type into its field in the struct at
// base, replacing (and freeing) what the field held.  On a bad value it
// reports on line, leaves the field alone and returns false.
bool bb__conf_set_value(bb__conf_parser *p, const bb__conf_key *k, void *base,
                        const char *v, int line);

// bb__conf_free_value frees what k's field in the struct at base owns and
// zeroes the field.
void bb__conf_free_value(const bb__conf_key *k, void *base);

// bb__conf_record_name checks s, what follows the prefix in the name of
// the section [name]: [remote.<id>] (the id goes to *id), [aws.<name>]
// or [namespace.<name>] by kind.  Returns false after reporting a bad
// one on line.
bool bb__conf_record_name(bb__conf_parser *p, const char *name,
                          bb__conf_kind kind, const char *s, uint32_t *id,
                          int line);

// bb__conf_value_equal says whether k's fields in the structs a and b
// hold the same value (strings and lists compared by content, in order).
bool bb__conf_value_equal(const bb__conf_key *k, const void *a, const void *b);

// diff.c

// bb__conf_lines_record keeps in p->conf where each section and key was
// given (bb_conf_line).  Out of memory is recorded in p->nomem.
void bb__conf_lines_record(bb__conf_parser *p);

// bb__conf_lines_free frees what bb__conf_lines_record kept.  NULL is a
// no-op.
void bb__conf_lines_free(struct bb_conf_lines *l);

#endif // COMMON_CONF_IMPL_H
