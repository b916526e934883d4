// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/log.c -- formatting log lines.  Writing them, and reopening the
// file after rotation, is common/file.c's bb_logfile.
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/file.h"
#include "common/log.h"

#define LOG_LINE_MAX 4096

static bb_logfile  log_file    = BB_LOGFILE_INIT;
static atomic_int  log_format  = BB_LOG_FORMAT_PLAIN;
static atomic_int  log_min     = BB_LOG_INFO;
static const char *log_names[] = { "debug", "info", "warn", "error" };

bb_err
bb_log_open(const char *path, bb_log_format format, bool debug)
{
	bb_err rv;

	rv = bb_logfile_open(&log_file, path, NULL, 0);
	if (rv != BB_OK) {
		return rv;
	}
	atomic_store(&log_format, (int) format);
	atomic_store(&log_min, debug ? BB_LOG_DEBUG : BB_LOG_INFO);
	return BB_OK;
}

bb_err
bb_log_reopen(void)
{
	return bb_logfile_reopen(&log_file, NULL, 0);
}

void
bb_log_close(void)
{
	(void) bb_logfile_open(&log_file, NULL, NULL, 0);
}

bool
bb_log_enabled(bb_log_level level)
{
	return (int) level >= atomic_load(&log_min);
}

void
bb_log(bb_log_level level, const char *fmt, ...)
{
	char    msg[LOG_LINE_MAX];
	char    line[LOG_LINE_MAX + 128];
	char    ts[40];
	size_t  off;
	int     n;
	va_list ap;

	if (!bb_log_enabled(level) || (unsigned) level > BB_LOG_ERROR) {
		return;
	}
	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void) bb_clock_rfc3339(bb_clock_wall_ns(), ts, sizeof(ts));

	if (atomic_load(&log_format) == BB_LOG_FORMAT_JSON) {
		n   = snprintf(line, sizeof(line),
		               "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"",
		               ts, log_names[level]);
		off = (size_t) n;
		// Leave room for the closing quote, brace and newline (the
		// NUL bb_json_escape writes is overwritten by them).
		off += bb_json_escape(line + off, sizeof(line) - 2 - off, msg);
		memcpy(line + off, "\"}\n", 3);
		off += 3;
	} else {
		n = snprintf(line, sizeof(line), "%s %-5s %s\n", ts,
		             log_names[level], msg);
		off =
		    (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1;
		line[off - 1] = '\n';
	}
	bb_logfile_write(&log_file, line, off);
}
