// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/drain.c -- drain mode: the flag every response reads, the hook
// that tells the rest of the node, and the public gw_server_*draining
// calls.  The headers a draining node sends are reply.c's; /_shutdown is
// admin.c's.
#include "common/log.h"
#include "gateway/gateway_impl.h"

void
gw__drain_init(gw__drain *d, gw_drain_fn fn, void *arg)
{
	atomic_init(&d->on, false);
	(void) pthread_mutex_init(&d->mu, NULL);
	d->fn  = fn;
	d->arg = arg;
}

void
gw__drain_fini(gw__drain *d)
{
	(void) pthread_mutex_destroy(&d->mu);
}

bool
gw__drain_set(gw__drain *d, bool on)
{
	bool was;

	(void) pthread_mutex_lock(&d->mu);
	was = atomic_exchange(&d->on, on);
	if (was != on) {
		bb_log_info("drain mode %s",
		            on ? "on: shutting down"
		               : "off: serving normally");
		if (d->fn != NULL) {
			d->fn(d->arg, on);
		}
	}
	(void) pthread_mutex_unlock(&d->mu);
	return was;
}

bool
gw__drain_on(const gw__drain *d)
{
	return d != NULL && atomic_load(&d->on);
}

bool
gw_server_set_draining(gw_server *g, bool on)
{
	return gw__drain_set(&g->drain, on);
}

bool
gw_server_draining(const gw_server *g)
{
	return gw__drain_on(&g->drain);
}
