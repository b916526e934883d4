// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/close.c -- closing an NNG socket without hanging on libnng 1.5.2.
// Its TCP and TLS transports lose a message that arrives while a
// connection is being closed: the transport's receive is re-armed on an
// aio that is already stopped, so the protocol's receive never ends and
// NNG's single reaper thread waits for it forever (fixed upstream after
// 1.5.2: nanomsg/nng#1636 and the aio stop fix of 2024).  nng_close then
// never returns, and nor does any later close in the process.  The
// window is a message in transit at the moment of the close; a node
// shutting down while its peers probe it can meet it.
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/rpc_impl.h"

// The longest a close may take before it is left to finish on its own:
// a healthy close takes milliseconds.
#define RPC_CLOSE_WAIT_NS (2 * BB_NS_PER_SEC)

typedef struct rpc__closer {
	nng_socket sock;
	void (*after)(void *); // frees what NNG may call into until closed
	void           *arg;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            done;      // nng_close returned
	bool            abandoned; // the caller stopped waiting
} rpc__closer;

static void
rpc_closer_free(rpc__closer *c)
{
	(void) pthread_cond_destroy(&c->cv);
	(void) pthread_mutex_destroy(&c->mu);
	free(c);
}

static void *
rpc_closer_main(void *arg)
{
	rpc__closer *c = arg;
	bool         abandoned;

	(void) nng_close(c->sock);
	c->after(c->arg);
	(void) pthread_mutex_lock(&c->mu);
	c->done   = true;
	abandoned = c->abandoned;
	(void) pthread_cond_signal(&c->cv);
	(void) pthread_mutex_unlock(&c->mu);
	if (abandoned) {
		rpc_closer_free(c);
	}
	return NULL;
}

bool
rpc__sock_close(nng_socket sock, void (*after)(void *), void *arg,
                const char *what)
{
	rpc__closer    *c;
	pthread_t       t;
	struct timespec ts;
	int64_t         end = bb_clock_mono_ns() + RPC_CLOSE_WAIT_NS;
	bool            done;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		(void) nng_close(sock); // no memory to wait with: plain close
		after(arg);
		return true;
	}
	c->sock  = sock;
	c->after = after;
	c->arg   = arg;
	(void) pthread_mutex_init(&c->mu, NULL);
	(void) bb_clock_cond_init(&c->cv);
	if (pthread_create(&t, NULL, rpc_closer_main, c) != 0) {
		rpc_closer_free(c);
		(void) nng_close(sock);
		after(arg);
		return true;
	}
	ts = bb_clock_ts(end);
	(void) pthread_mutex_lock(&c->mu);
	while (!c->done && pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0) {
	}
	done         = c->done;
	c->abandoned = !done;
	(void) pthread_mutex_unlock(&c->mu);
	if (done) {
		(void) pthread_join(t, NULL);
		rpc_closer_free(c);
		return true;
	}
	(void) pthread_detach(t);
	bb_log_warn("rpc: closing %s did not finish within %lld s (a known "
	            "libnng 1.5.2 hang when a message arrives during it); "
	            "going on without it",
	            what, (long long) (RPC_CLOSE_WAIT_NS / BB_NS_PER_SEC));
	return false;
}
