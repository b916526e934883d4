// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobbyd.h -- internal to tools/: what blobbyd.c calls besides the
// modules: the start-up checks and fatal messages (blobbyd_start.c), and
// what it tells systemd (blobbyd_notify.c).
#ifndef TOOLS_BLOBBYD_H
#define TOOLS_BLOBBYD_H

#include "common/conf/conf.h"
#include "common/err.h"

// --- Start-up (blobbyd_start.c) ---

// blobbyd_log_open opens the log of conf ([log] file, format, debug) and
// remembers whether it is a file, for blobbyd_fatal.  Returns EX_OK, or
// EX_CANTCREAT after saying why on standard error.  Main thread only.
int blobbyd_log_open(const bb_conf *conf);

// blobbyd_fatal says why blobbyd cannot start: one line "blobbyd: ..." on
// standard error and, once blobbyd_log_open made the log a file, the
// same text as an error line of that log, so that an operator who reads
// only the log (systemd, logrotate) sees it too.
void blobbyd_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// blobbyd_creds_load fills the S3 keys of every [aws.<name>] section that
// names no credentials (no key_id, secret_key, profile, role) from the
// systemd credentials s3_access_key_id and s3_secret_access_key (files of
// $CREDENTIALS_DIRECTORY, LoadCredential= in the unit), unless
// AWS_ACCESS_KEY_ID is set: the section, then the environment, then the
// credentials.  Without $CREDENTIALS_DIRECTORY or without both files it
// changes nothing.  conf's strings it sets are owned by conf
// (bb_conf_free).  Returns EX_OK, or EX_CONFIG after blobbyd_fatal (one
// file but not the other, or a file that cannot be read).
int blobbyd_creds_load(bb_conf *conf);

// blobbyd_check loads every file the configuration names that the start
// would load (htpasswd files, HTTPS and RPC certificates, keys and CA,
// id_key_file, S3 credentials) and frees it, before anything is created,
// recovered, archived or listened on.  Returns EX_OK, or EX_CONFIG after
// blobbyd_fatal naming the file; EX_OSERR when out of memory.
int blobbyd_check(const bb_conf *conf);

// --- systemd (blobbyd_notify.c) ---
// Each sends one sd_notify(3) message when $NOTIFY_SOCKET is set (a
// service of Type=notify), and does nothing otherwise.  Failures are
// logged at debug level only: the node works without systemd.

// blobbyd_notify_ready says READY=1 (the ports are open, or a reload is
// done) with STATUS=status; NULL says the status of the last call again.
void blobbyd_notify_ready(const char *status);

// blobbyd_notify_reloading says RELOADING=1 with MONOTONIC_USEC= now;
// blobbyd_notify_ready must follow when the reload is done.
void blobbyd_notify_reloading(void);

// blobbyd_notify_stopping says STOPPING=1: the drain has started.
void blobbyd_notify_stopping(void);

#endif // TOOLS_BLOBBYD_H
