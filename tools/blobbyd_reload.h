// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobbyd_reload.h -- SIGHUP for blobbyd: read the configuration
// file again and put in force what may change while the node runs (ACLs
// and htpasswd files, [remote.*] peers, [log], the HTTPS certificate),
// all or nothing.  Which keys may change is common/conf/diff.c's; what a
// change does, the modules' (gateway/reload.c, rpc/pool.c, rpc/server.c,
// common/log.c).
#ifndef TOOLS_BLOBBYD_RELOAD_H
#define TOOLS_BLOBBYD_RELOAD_H

#include <stddef.h>

#include "common/conf/conf.h"
#include "gateway/gateway.h"
#include "rpc/rpc.h"

// The state of reloads.  The caller fills the first fields; the rest
// starts zeroed.
typedef struct bbd_reloader {
	const char    *path; // borrowed; NULL: the embedded default
	const bb_conf *conf; // the configuration in force (borrowed or kept)
	gw_server     *gw;   // borrowed
	rpc_pool      *pool; // borrowed
	rpc_server    *rpc;  // borrowed
	// Every configuration a reload put in force, kept until
	// bbd_reloader_fini: the servers and calls in flight borrow from
	// them (peer lists, ACL names).  A few KiB each.
	bb_conf     **kept; // owned array, each owned
	size_t        nkept;
	unsigned long reloads;  // reloads put in force
	unsigned long failures; // reloads refused
} bbd_reloader;

// bbd_reload reads r->path again and, when every key that changed may
// change while running and every part accepts the new values (htpasswd
// files and certificates load, log file opens), puts it in force and
// logs one line saying what changed.  Otherwise it logs why (one line
// per key that may not change, naming it) and changes nothing.  Called
// on SIGHUP by the thread that waits for signals; not thread-safe
// against itself.
void bbd_reload(bbd_reloader *r);

// bbd_reloader_fini frees the configurations r kept.  Call it after the
// servers and the pool stopped.
void bbd_reloader_fini(bbd_reloader *r);

#endif // TOOLS_BLOBBYD_RELOAD_H
