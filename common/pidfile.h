// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/pidfile.h -- the daemon's pid file ([top] pidfile): written when
// the node is ready, removed when it stops, and refused when another live
// process already owns it.
#ifndef COMMON_PIDFILE_H
#define COMMON_PIDFILE_H

#include <stddef.h>

#include "common/err.h"

// bb_pidfile_write writes "<pid>\n" for this process to path, through a
// temporary name and a rename, so a reader never sees half a file.
// BB_EEXIST if path names a process that is still running (its pid in
// *otherp); other errors from the file system.  On failure why[0..len)
// gets a one-line reason.
bb_err bb_pidfile_write(const char *path, long *otherp, char *why, size_t len);

// bb_pidfile_remove removes path if it still holds this process's pid.
void bb_pidfile_remove(const char *path);

#endif // COMMON_PIDFILE_H
