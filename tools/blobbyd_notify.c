// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobbyd_notify.c -- what blobbyd tells systemd through
// sd_notify(3) (libsystemd): ready, reloading, stopping.  Without
// $NOTIFY_SOCKET (not started by systemd, or Type=simple) every call is a
// no-op.  The main thread calls these; sd_notify itself is thread-safe.
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "common/clock.h"
#include "common/log.h"
#include "tools/blobbyd.h"

// notify_send sends msg; the node goes on whatever systemd answers.
static void
notify_send(const char *msg)
{
	int r = sd_notify(0, msg);

	if (r < 0) {
		bb_log_debug("sd_notify %s: error %d", msg, -r);
	}
}

// The STATUS= of the last READY=1, said again after a reload.
static char ready_status[256];

void
blobbyd_notify_ready(const char *status)
{
	char msg[512];

	if (status != NULL) {
		(void) snprintf(ready_status, sizeof(ready_status), "%s",
		                status);
	}
	(void) snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s",
	                ready_status[0] != '\0' ? ready_status : "ready");
	notify_send(msg);
}

void
blobbyd_notify_reloading(void)
{
	char msg[128];

	// systemd (253 and later) matches the reload it asked for by this
	// time stamp, taken when the reload starts (sd_notify(3)).
	(void) snprintf(msg, sizeof(msg),
	                "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%lld",
	                (long long) (bb_clock_mono_ns() / 1000));
	notify_send(msg);
}

void
blobbyd_notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=draining");
}
