// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/htpasswd.h -- an htpasswd file held in memory: a parsed
// version (gw__htpasswd_table) and the file watched for changes
// (gw__htpasswd), checked against a user, a password and the tags an ACL
// asks for.  Knows nothing of HTTP: the Authorization header is parsed
// by gateway/acl/acl.c.
//
// Format: `user:hash[:tag1[:tag2...]]`, one entry a line; `#`
// comments and blank lines are skipped; a user may have several lines
// (any line whose hash matches counts, with that line's tags).  Hashes
// are checked by apr-util's apr_password_validate: bcrypt ($2y$, $2a$,
// $2b$), apr1-MD5 ($apr1$), {SHA} and crypt(3) ($1$, $5$, $6$, $y$,
// DES).  Deviation from the original: a hash in no known format (plain
// text, {SSHA}) is an error of the line, never compared as plain text.
// Internal to gateway/.
#ifndef GATEWAY_HTPASSWD_H
#define GATEWAY_HTPASSWD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct stat;

// ---- one version of the file (gateway/acl/htpasswd_table.c) ----

typedef struct gw__htpasswd_table gw__htpasswd_table;

// gw__htpasswd_table_load reads and parses the file at path.  On BB_OK
// *tp holds one reference, the caller's (drop it with
// gw__htpasswd_table_unref()), and *stp the stat of the version read.
// Errors: BB_ENOMEM; the open/read errors of the file (mapped by
// bb_err_from_errno); BB_EINVAL for no regular file; BB_ETOOBIG over
// 16 MiB; BB_ECONFIG for a bad line (also one over 4 KiB); BB_EBUSY when
// the file kept changing while it was read.  On error a one-line message
// naming the file (and line: "<path>:<line>: <why>") is written to err
// (errlen bytes, may be 0).
bb_err gw__htpasswd_table_load(const char *path, gw__htpasswd_table **tp,
                               struct stat *stp, char *err, size_t errlen);

// gw__htpasswd_table_ref takes another reference to t.  Thread-safe.
void gw__htpasswd_table_ref(gw__htpasswd_table *t);

// gw__htpasswd_table_unref drops a reference; the last one frees t.
// NULL is a no-op.  Thread-safe.
void gw__htpasswd_table_unref(gw__htpasswd_table *t);

// gw__htpasswd_table_check says whether password is right for user on a
// line that carries every tag of tags[0..ntags).  Thread-safe (t is
// immutable); the arguments are borrowed.
bool gw__htpasswd_table_check(const gw__htpasswd_table *t, const char *user,
                              const char *password, char *const *tags,
                              size_t ntags);

// gw__htpasswd_table_count returns the number of entries (lines) of t.
size_t gw__htpasswd_table_count(const gw__htpasswd_table *t);

// gw__htpasswd_same_version says whether two stats are of the same
// version of a file: device, inode, size and modification time.
bool gw__htpasswd_same_version(const struct stat *a, const struct stat *b);

// ---- the file, watched (gateway/acl/htpasswd.c) ----

typedef struct gw__htpasswd gw__htpasswd;

// gw__htpasswd_new loads the file at path.  On BB_OK *htp is set; the
// caller owns it and frees it with gw__htpasswd_free().  path is copied.
// Errors and err: as gw__htpasswd_table_load.
bb_err gw__htpasswd_new(const char *path, gw__htpasswd **htp, char *err,
                        size_t errlen);

// gw__htpasswd_free releases ht.  NULL is a no-op.  No check may run on
// ht any more.
void gw__htpasswd_free(gw__htpasswd *ht);

// gw__htpasswd_check says whether password is right for user on a line
// that carries every tag of tags[0..ntags).  At most once a second it
// first looks whether the file changed (gw__htpasswd_refresh).  Thread-
// safe; a concurrent reload never shows a half-built table: a check uses
// the table current when it began.  The arguments are borrowed.
bool gw__htpasswd_check(gw__htpasswd *ht, const char *user,
                        const char *password, char *const *tags, size_t ntags);

// gw__htpasswd_refresh looks at the file now (stat: device, inode, size,
// modification time) and reloads it when it changed.  BB_OK when it is
// unchanged or was reloaded.  A reload that fails keeps the previous
// table, logs an error once per version of the file and returns the
// error of gw__htpasswd_new; the same version is not retried (BB_EBUSY
// excepted: a file being written is tried again).  Thread-safe.
bb_err gw__htpasswd_refresh(gw__htpasswd *ht);

// gw__htpasswd_count returns the number of entries (lines) of the
// current table.  Thread-safe; for tests (nothing else calls it).
size_t gw__htpasswd_count(gw__htpasswd *ht);

#endif // GATEWAY_HTPASSWD_H
