// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/keyfmt.h -- the archive object key of a file: the
// original's s3_key_format mini-language applied to a fid, Go's
// filepath.Join of the base path and that name, and the key as the bucket
// or the archive directory stores it.  Strings only: nothing here talks to
// S3 or touches a file.
// Internal to storage/.
#ifndef STORAGE_KEYFMT_H
#define STORAGE_KEYFMT_H

#include <stddef.h>

#include "common/err.h"
#include "storage/id.h"

// A compiled key format.  Read-only once built.
typedef struct store_keyfmt store_keyfmt;

// store_keyfmt_new compiles fmt.  NULL or "" gives the default formatter,
// whose output is the 14-character fid string.  On BB_OK the caller owns
// *kp; free it with store_keyfmt_free().  A bad format gives BB_EINVAL and
// the original's message in err[0..errlen) (truncated, always NUL
// terminated; err may be NULL): "Unknown or unsupported escape sequence
// %<seq> at <byte index of the character after the % or modifier>" or
// "Unterminated escape sequence.".  BB_ENOMEM if out of memory.  err is
// written only on BB_EINVAL.  Like the original, the format is read as
// UTF-8 and an invalid byte in static text becomes U+FFFD.
bb_err store_keyfmt_new(const char *fmt, store_keyfmt **kp, char *err,
                        size_t errlen);

// store_keyfmt_free frees k.  NULL is a no-op.
void store_keyfmt_free(store_keyfmt *k);

// store_keyfmt_format writes the name of fid, NUL terminated, into
// buf[0..len).  Time fields come from the fid's timestamp in UTC.  A NULL
// k acts as the default formatter (as a nil formatter in the original).
// BB_ETOOBIG if the name and its NUL do not fit; buf then holds "" when
// len > 0 and nothing is written past buf[len - 1].  Never allocates;
// thread-safe on a shared k.
bb_err store_keyfmt_format(const store_keyfmt *k, const store_fid *fid,
                           char *buf, size_t len);

// store_keyfmt_check_unique makes sure that k gives different files
// different keys: two fids that differ in their second, minute, hour,
// day, month or year, in their counter or in their machine must not
// share a key.  A format that drops one of them (the original allowed
// it) makes a later upload replace an object that still holds
// acknowledged data.  BB_EINVAL with a reason in err[0..errlen) if not.
bb_err store_keyfmt_check_unique(const store_keyfmt *k, char *err,
                                 size_t errlen);

// store_key_join writes Go's filepath.Join(base, name) into buf[0..len),
// NUL terminated: "" when both are empty, otherwise the elements joined
// with '/' and cleaned as Go's path.Clean does (repeated '/' collapsed,
// "." removed, ".." resolved against the element before it, ".." at the
// root dropped, a trailing '/' removed, "." for an empty result).
// BB_ETOOBIG if the result and its NUL do not fit; buf then holds "" when
// len > 0.  Never allocates; thread-safe.
bb_err store_key_join(const char *base, const char *name, char *buf,
                      size_t len);

// store_key_object returns the object key actually used for a joined key:
// key without its leading '/' characters (the original's S3 SDK cleaned
// the request path, so "/test/x" was stored as "test/x").  Borrowed:
// points into key, valid as long as key is.
const char *store_key_object(const char *key);

#endif // STORAGE_KEYFMT_H
