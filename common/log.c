// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/log.c -- formatting and writing log lines.  The file descriptor
// is swapped atomically on reopen so writers never take a lock.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"

#define LOG_LINE_MAX 4096
#define LOG_PATH_MAX 4096

static atomic_int  log_fd     = 2;
static atomic_int  log_format = BB_LOG_FORMAT_PLAIN;
static atomic_int  log_min    = BB_LOG_INFO;
static char        log_path[LOG_PATH_MAX]; // "" means standard error
static const char *log_names[] = { "debug", "info", "warn", "error" };

static bb_err
log_open_fd(const char *path, int *fdp)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		return bb_err_from_errno(errno);
	}
	*fdp = fd;
	return BB_OK;
}

bb_err
bb_log_open(const char *path, bb_log_format format, bool debug)
{
	int    fd = 2;
	int    old;
	bb_err rv;

	if (path != NULL && strcmp(path, "-") != 0) {
		if (strlen(path) >= sizeof(log_path)) {
			return BB_ETOOBIG;
		}
		rv = log_open_fd(path, &fd);
		if (rv != BB_OK) {
			return rv;
		}
		(void) snprintf(log_path, sizeof(log_path), "%s", path);
	} else {
		log_path[0] = '\0';
	}
	atomic_store(&log_format, (int) format);
	atomic_store(&log_min, debug ? BB_LOG_DEBUG : BB_LOG_INFO);
	old = atomic_exchange(&log_fd, fd);
	if (old > 2) {
		(void) close(old);
	}
	return BB_OK;
}

bb_err
bb_log_reopen(void)
{
	int    fd;
	int    old;
	bb_err rv;

	if (log_path[0] == '\0') {
		return BB_OK;
	}
	rv = log_open_fd(log_path, &fd);
	if (rv != BB_OK) {
		return rv;
	}
	old = atomic_exchange(&log_fd, fd);
	// A writer that loaded the old descriptor may still be writing; a
	// closed descriptor only loses that one line, never corrupts memory.
	if (old > 2) {
		(void) close(old);
	}
	return BB_OK;
}

void
bb_log_close(void)
{
	int old;

	old         = atomic_exchange(&log_fd, 2);
	log_path[0] = '\0';
	if (old > 2) {
		(void) close(old);
	}
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
	// One write per line keeps lines whole across threads (O_APPEND).
	(void) write(atomic_load(&log_fd), line, off);
}
