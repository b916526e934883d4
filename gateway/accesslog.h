// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/accesslog.h -- internal to gateway/: the record of one request
// and the access log that writes it (accesslog.c).
#ifndef GATEWAY_ACCESSLOG_H
#define GATEWAY_ACCESSLOG_H

#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"

typedef struct gw__request_info {
	int64_t  start_ns; // monotonic; 0: none
	char     method[16];
	char     path[1024];
	char     client[64]; // the peer address
	unsigned status;     // 0 if no response was queued
} gw__request_info;

typedef struct gw__alog gw__alog;

// gw__alog_open opens the access log of c.  Caller owns *ap.
bb_err gw__alog_open(const bb_log_conf *c, gw__alog **ap);

// gw__alog_reopen reopens the file (SIGHUP); on failure the old stays.
void gw__alog_reopen(gw__alog *a);

// gw__alog_close closes a.  NULL is a no-op.
void gw__alog_close(gw__alog *a);

// gw__alog_write logs one finished request.  NULL a is a no-op.
void gw__alog_write(gw__alog *a, const gw__request_info *ri);

#endif // GATEWAY_ACCESSLOG_H
