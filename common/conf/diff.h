// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/diff.h -- two configurations compared key by key, for a
// reload: which keys changed, which of them may change while the node
// runs (ACLs, peers, the log, the HTTPS certificate files) and which may
// not (everything else).  What a change does belongs to the modules that
// apply it; this only compares values.
#ifndef COMMON_CONF_DIFF_H
#define COMMON_CONF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf/conf.h"
#include "common/err.h"
#include "common/strlist.h"

// What changed from one configuration to the next.
typedef struct bb_conf_diff {
	// Keys that changed but cannot change while running, each as
	// "[section] key" ("machine_id" at the top level) or "[section]"
	// for a section added or removed.  Non-empty: refuse the reload.
	bb_strlist immutable;
	// ACL sections whose keys (or presence) changed, as "[section]".
	bb_strlist acls;
	// [remote.*] ids that appear, and that disappear.  A peer whose
	// keys changed is in both (remove, then add), sorted ascending.
	uint32_t *added; // owned
	size_t    n_added;
	uint32_t *removed; // owned
	size_t    n_removed;
	bool      log_file;   // [log] file
	bool      log_format; // [log] format
	bool      log_debug;  // [log] debug
	bool      https_cert; // [server] tls_certificate/private_key files
} bb_conf_diff;

// bb_conf_line returns the line of conf's file where label was given:
// "[section]" for a section header, "[section] key" or a top-level
// "key" (the spellings of bb_conf_diff.immutable); 0 when it was not
// (a default, or a section that is not in the file).
int bb_conf_line(const bb_conf *conf, const char *label);

// bb_conf_diff_new compares old and new (both borrowed for the call).
// On BB_OK the caller owns *dp; free it with bb_conf_diff_free().
// Errors: BB_ENOMEM.  Thread-safe.
bb_err bb_conf_diff_new(const bb_conf *old, const bb_conf *new,
                        bb_conf_diff **dp);

// bb_conf_diff_free releases d.  NULL is a no-op.
void bb_conf_diff_free(bb_conf_diff *d);

// bb_conf_diff_empty says whether nothing at all changed.
bool bb_conf_diff_empty(const bb_conf_diff *d);

// bb_conf_diff_describe writes what changed of what may change, for the
// one log line of a reload: "peers +4 -2, acl [server.status_acl]
// changed, log debug on, https certificate files changed", or "nothing
// changed"; new is the configuration d was made towards (for the new
// values).  NUL-terminated, cut to len bytes.
void bb_conf_diff_describe(const bb_conf_diff *d, const bb_conf *new,
                           char *buf, size_t len);

#endif // COMMON_CONF_DIFF_H
