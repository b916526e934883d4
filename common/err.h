// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/err.h -- the one error enum of the project and its strings.
// Every fallible function returns a bb_err; foreign codes (errno, NNG,
// CURLcode, protobuf-c) are converted at the module edge.
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

#include <stddef.h>

// BB_ERRORS lists every code once: name and message.  Codes are
// append-only: never renumber or remove one, new ones go at the end.
#define BB_ERRORS(X)                              \
	X(OK, "success")                          \
	X(ENOMEM, "out of memory")                \
	X(EINVAL, "invalid argument")             \
	X(ENOENT, "not found")                    \
	X(EIO, "input/output error")              \
	X(ECORRUPT, "data corrupted")             \
	X(ETIMEDOUT, "timed out")                 \
	X(EPROTO, "protocol error")               \
	X(ECLOSED, "object closed")               \
	X(ETOOBIG, "too big")                     \
	X(EREMOTE, "remote peer failed")          \
	X(EEXIST, "already exists")               \
	X(ENOSPC, "no space left on device")      \
	X(EBUSY, "resource busy")                 \
	X(EUNAVAIL, "service unavailable")        \
	X(ESHORT, "unexpected end of data")       \
	X(ESTATE, "object is in the wrong state") \
	X(EACCES, "permission denied")            \
	X(ESHUTDOWN, "shutting down")             \
	X(ECONFIG, "invalid configuration")       \
	X(ESYS, "system call failed")             \
	X(ERANGE, "value out of range")           \
	X(ENOTSUP, "not supported")

typedef enum {
#define BB_ERR_ENUM(name, msg) BB_##name,
	BB_ERRORS(BB_ERR_ENUM)
#undef BB_ERR_ENUM
	    BB_ERR_COUNT_,
} bb_err;

// bb_strerror returns a static, human-readable message for err.  Unknown
// values give "unknown error".  Thread-safe.
const char *bb_strerror(bb_err err);

// bb_err_name returns the static symbolic name of err ("BB_ENOENT").
// Unknown values give "BB_UNKNOWN".  Thread-safe.
const char *bb_err_name(bb_err err);

// bb_err_from_errno maps an errno value to the closest bb_err.  0 maps to
// BB_OK; unmapped values to BB_ESYS.
bb_err bb_err_from_errno(int errnum);

// Error detail: a function that can say more than its code takes a
// caller-owned buffer (curl's error buffer), by convention the last two
// parameters `char *why, size_t whylen`, and fills it on failure only.
// BB_WHY_LEN is a size every caller may use for it.
#define BB_WHY_LEN 512

// bb_why writes a one-line reason, printf-style, into why[0..whylen)
// (truncated, always NUL-terminated; why NULL or whylen 0 writes
// nothing) and returns err, so a failure path reads
// `return bb_why(BB_EINVAL, why, whylen, "...", ...);`.  Thread-safe.
bb_err bb_why(bb_err err, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// bb_why_errno is bb_why for a failed system call: the reason ends in
// ": <strerror(errnum)>", so the errno behind BB_ESYS is never lost, and
// it returns bb_err_from_errno(errnum).  Thread-safe.
bb_err bb_why_errno(int errnum, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif // COMMON_ERR_H
