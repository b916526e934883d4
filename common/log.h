// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/log.h -- the process log: levels, plain or JSON lines, to
// standard error or a file that SIGHUP can reopen.  One line per call,
// written with a single write(2) so threads never interleave.
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"

typedef enum {
	BB_LOG_DEBUG = 0,
	BB_LOG_INFO,
	BB_LOG_WARN,
	BB_LOG_ERROR,
} bb_log_level;

// bb_log_open directs the log to path ("-" or NULL: standard error) in
// the given format; debug enables BB_LOG_DEBUG lines.  Until it is called
// the log writes plain lines at info level to standard error.  Not
// thread-safe against concurrent bb_log_open/bb_log_reopen: call it at
// start-up.  Errors: as open(2), mapped by bb_err_from_errno.
bb_err bb_log_open(const char *path, bb_log_format format, bool debug);

// bb_log_reopen reopens the log file (after rotation; called on SIGHUP).
// Safe to call while other threads log.
bb_err bb_log_reopen(void);

// bb_log_close returns the log to standard error and closes the file.
void bb_log_close(void);

// bb_log_enabled says whether lines at level are written.
bool bb_log_enabled(bb_log_level level);

// bb_log writes one line at level; fmt is printf-like.  Lines longer
// than 4 KiB are truncated.  A line (info and above) with the same level
// and text as one written less than the repeat window ago (in warnings
// and errors, ids aside:
// runs of 12 or more letters, digits, '-' or '_' with a digit or a
// capital past the first compare as one '*') is
// not written
// but counted; when the window has passed, or another line takes its
// place in the bounded table of recent lines, or at bb_log_open and
// bb_log_close, one line at its level says "last message repeated <n>
// times in <s> s: <text>" (n: the lines not written; text with each id
// as '*').  Lines of 512 bytes or
// more and debug lines are never folded.  Thread-safe, and takes no lock but
// the log file's.
void bb_log(bb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// The default repeat window: 60 s.
#define BB_LOG_REPEAT_WINDOW_NS (60 * (int64_t) 1000000000)

// bb_log_set_repeat_window sets the repeat window (ns; 0 writes every
// line).  For tests; thread-safe.
void bb_log_set_repeat_window(int64_t ns);

// bb_log_tick writes the counts of folded lines whose window has passed,
// so that they come out on time when nothing else is logged; the daemon
// calls it every second.  Thread-safe.
void bb_log_tick(void);
#define bb_log_debug(...) bb_log(BB_LOG_DEBUG, __VA_ARGS__)
#define bb_log_info(...)  bb_log(BB_LOG_INFO, __VA_ARGS__)
#define bb_log_warn(...)  bb_log(BB_LOG_WARN, __VA_ARGS__)
#define bb_log_error(...) bb_log(BB_LOG_ERROR, __VA_ARGS__)

#endif // COMMON_LOG_H
