// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/err.c -- strings for bb_err and the errno mapping.
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

static const char *const err_msgs[] = {
#define BB_ERR_MSG(name, msg) msg,
	BB_ERRORS(BB_ERR_MSG)
#undef BB_ERR_MSG
};

static const char *const err_names[] = {
#define BB_ERR_NAME(name, msg) "BB_" #name,
	BB_ERRORS(BB_ERR_NAME)
#undef BB_ERR_NAME
};

const char *
bb_strerror(bb_err err)
{
	if ((unsigned) err >= (unsigned) BB_ERR_COUNT_) {
		return "unknown error";
	}
	return err_msgs[err];
}

const char *
bb_err_name(bb_err err)
{
	if ((unsigned) err >= (unsigned) BB_ERR_COUNT_) {
		return "BB_UNKNOWN";
	}
	return err_names[err];
}

bb_err
bb_err_from_errno(int errnum)
{
	switch (errnum) {
	case 0:
		return BB_OK;
	case ENOMEM:
		return BB_ENOMEM;
	case EINVAL:
		return BB_EINVAL;
	case ENOENT:
	case ENOTDIR:
		return BB_ENOENT;
	case EIO:
		return BB_EIO;
	case ETIMEDOUT:
		return BB_ETIMEDOUT;
	case EEXIST:
		return BB_EEXIST;
	case ENOSPC:
	case EDQUOT:
		return BB_ENOSPC;
	case EBUSY:
	case EAGAIN:
		return BB_EBUSY;
	case EACCES:
	case EPERM:
	case EROFS:
		return BB_EACCES;
	case EFBIG:
		return BB_ETOOBIG;
	case ERANGE:
	case EOVERFLOW:
		return BB_ERANGE;
	case EPIPE:
	case ECONNRESET:
		return BB_ECLOSED;
	default:
		return BB_ESYS;
	}
}

bb_err
bb_why(bb_err err, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0) {
		return err;
	}
	va_start(ap, fmt);
	(void) vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

bb_err
bb_why_errno(int errnum, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	size_t  n;
	char    sys[128];

	if (why == NULL || whylen == 0) {
		return bb_err_from_errno(errnum);
	}
	va_start(ap, fmt);
	(void) vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	// strerror_r (XSI): strerror itself is not thread-safe.
	if (strerror_r(errnum, sys, sizeof(sys)) != 0) {
		(void) snprintf(sys, sizeof(sys), "errno %d", errnum);
	}
	n = strlen(why);
	if (n < whylen) {
		(void) snprintf(why + n, whylen - n, ": %s", sys);
	}
	return bb_err_from_errno(errnum);
}
