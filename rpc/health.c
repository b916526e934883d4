// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/health.c -- whether each peer answers.  A peer that hangs (a
// stopped process, a host gone without resets) keeps its connection, so
// calls to it would each wait out their deadline while holding what the
// caller holds: a primary, an HTTP thread.  One thread probes every peer
// at a short interval with a cheap call under a short deadline; a peer
// that misses it is marked as not answering, which fails its calls in
// flight and makes new ones fail at once, until a probe is answered
// again.  Calls through the pool that time out mark it too.
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/rpc_impl.h"

struct rpc__prober {
	const rpc__pool_ent *peers; // borrowed; guarded by mu (a reload)
	size_t               n;
	const rpc__pool_ent *round; // borrowed: the peers of the round
	size_t               nround;
	int64_t              interval_ns;
	int64_t              timeout_ns;
	rpc_call           **calls; // owned array of ncalls, one round's
	size_t               ncalls;
	pthread_t            thread;
	pthread_mutex_t      mu; // stop, done
	pthread_cond_t       cv; // stop or done was set
	bool                 stop;
	bool                 done; // the thread is about to end
};

// health_set records that e's peer answers (on) or not, and logs it when
// that is news.
static void
health_set(const rpc__pool_ent *e, bool on, const char *why)
{
	if (!rpc__peer_set_responsive(e->peer, on)) {
		return;
	}
	if (on) {
		bb_log_info("rpc: machine %u (%s) answers again",
		            (unsigned) e->id, rpc_peer_url(e->peer));
		return;
	}
	bb_log_warn("rpc: machine %u (%s) does not answer (%s): its calls "
	            "fail at once and new files avoid it until it answers a "
	            "probe again",
	            (unsigned) e->id, rpc_peer_url(e->peer), why);
}

void
rpc__health_note(const rpc__pool_ent *e, bb_err rv)
{
	if (rv == BB_ETIMEDOUT) {
		health_set(e, false, "a call timed out");
	}
}

// The most a round may outlast its deadline before its timeouts are taken
// for this node's own stall (it was stopped, or starved of CPU) rather
// than the peers'.
#define PROBE_OVERRUN_NS BB_NS_PER_SEC

// How long a stop waits for the probes in flight to be answered.
#define PROBE_STOP_GRACE_NS (500 * BB_NS_PER_MS)

// prober_round probes every peer at once and waits for the answers: the
// round lasts the slowest answer, at most the deadline.  A peer without
// a connection is not probed (its calls fail at once anyway); a probe cut
// by a lost connection says nothing.  Called and returns with pr->mu
// held, stop not set.
static void
prober_round(rpc__prober *pr)
{
	ProtobufCMessage    *resp;
	const rpc__pool_ent *peers;
	rpc_call           **calls;
	int64_t late = bb_clock_mono_ns() + pr->timeout_ns + PROBE_OVERRUN_NS;
	size_t  i, n;
	bb_err  rv;

	// The peers of this round, whatever a reload sets meanwhile.
	if (pr->n > pr->ncalls) {
		calls = realloc(pr->calls, pr->n * sizeof(*calls));
		if (calls == NULL) {
			return; // the next round tries again
		}
		pr->calls  = calls;
		pr->ncalls = pr->n;
	}
	peers      = pr->peers;
	n          = pr->n;
	calls      = pr->calls;
	pr->round  = peers;
	pr->nround = n;
	// Started under pr->mu: rpc__prober_stop sets stop under it and then
	// aborts what is in flight, so no probe starts after that abort to
	// hold the stop for its whole deadline.  A start does not wait: the
	// probe slot is free between rounds.
	for (i = 0; i < n; i++) {
		if (rpc__peer_probe_start(peers[i].peer, pr->timeout_ns,
		                          &calls[i]) != BB_OK) {
			calls[i] = NULL;
		}
	}
	(void) pthread_mutex_unlock(&pr->mu);
	for (i = 0; i < n; i++) {
		if (calls[i] == NULL) {
			continue;
		}
		resp = NULL;
		rv   = rpc_call_finish(calls[i], &resp);
		if (resp != NULL) {
			protobuf_c_message_free_unpacked(resp, NULL);
		}
		// Any answer, whatever its status, is an answer.
		if (rv == BB_OK || rv == BB_EPROTO) {
			health_set(&peers[i], true, NULL);
		} else if (rv == BB_ETIMEDOUT && bb_clock_mono_ns() < late) {
			health_set(&peers[i], false,
			           "no answer to a probe in time");
		}
	}
	(void) pthread_mutex_lock(&pr->mu);
}

static void *
prober_main(void *arg)
{
	rpc__prober    *pr = arg;
	struct timespec ts;
	int64_t         next;

	(void) pthread_mutex_lock(&pr->mu);
	while (!pr->stop) {
		next = bb_clock_mono_ns() + pr->interval_ns;
		prober_round(pr);
		ts = bb_clock_ts(next);
		while (!pr->stop &&
		       pthread_cond_timedwait(&pr->cv, &pr->mu, &ts) == 0) {
		}
	}
	pr->done = true;
	(void) pthread_cond_broadcast(&pr->cv);
	(void) pthread_mutex_unlock(&pr->mu);
	return NULL;
}

bb_err
rpc__prober_start(const rpc__pool_ent *peers, size_t n, int64_t interval_ns,
                  int64_t timeout_ns, rpc__prober **prp)
{
	rpc__prober *pr;

	pr = calloc(1, sizeof(*pr));
	if (pr == NULL) {
		return BB_ENOMEM;
	}
	pr->calls = calloc(n > 0 ? n : 1, sizeof(*pr->calls));
	if (pr->calls == NULL) {
		free(pr);
		return BB_ENOMEM;
	}
	pr->ncalls      = n > 0 ? n : 1;
	pr->peers       = peers;
	pr->n           = n;
	pr->interval_ns = interval_ns;
	pr->timeout_ns  = timeout_ns;
	(void) pthread_mutex_init(&pr->mu, NULL);
	// The monotonic clock: a wall-clock jump must not stop the probes.
	(void) bb_clock_cond_init(&pr->cv);
	if (pthread_create(&pr->thread, NULL, prober_main, pr) != 0) {
		(void) pthread_cond_destroy(&pr->cv);
		(void) pthread_mutex_destroy(&pr->mu);
		free(pr->calls);
		free(pr);
		return BB_ESYS;
	}
	*prp = pr;
	return BB_OK;
}

void
rpc__prober_set(rpc__prober *pr, const rpc__pool_ent *peers, size_t n)
{
	(void) pthread_mutex_lock(&pr->mu);
	pr->peers = peers;
	pr->n     = n;
	(void) pthread_mutex_unlock(&pr->mu);
}

void
rpc__prober_stop(rpc__prober *pr)
{
	const rpc__pool_ent *round;
	struct timespec      ts;
	size_t               i, nround;
	bool                 done;

	if (pr == NULL) {
		return;
	}
	(void) pthread_mutex_lock(&pr->mu);
	pr->stop = true;
	(void) pthread_cond_broadcast(&pr->cv);
	// A probe in flight to a peer that answers ends in milliseconds;
	// aborting it instead would leave its answer in transit while the
	// pool closes the socket (see close.c).  One that does not end
	// within the grace is aborted: the peer hangs, stop does not wait
	// for its deadline.
	ts = bb_clock_ts(bb_clock_mono_ns() + PROBE_STOP_GRACE_NS);
	while (!pr->done &&
	       pthread_cond_timedwait(&pr->cv, &pr->mu, &ts) == 0) {
	}
	done = pr->done;
	// The round in flight may be on peers a reload replaced since.
	round  = pr->round;
	nround = pr->nround;
	(void) pthread_mutex_unlock(&pr->mu);
	for (i = 0; !done && i < nround; i++) {
		rpc__peer_abort(round[i].peer);
	}
	(void) pthread_join(pr->thread, NULL);
	(void) pthread_cond_destroy(&pr->cv);
	(void) pthread_mutex_destroy(&pr->mu);
	free(pr->calls);
	free(pr);
}
