// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/store.c -- all namespaces of a node and the timer thread that
// runs their timed work once a second.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "storage/archive/archive.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/ns_impl.h"

#define STORE_TICK_NS BB_NS_PER_SEC

struct store {
	const bb_conf   *conf; // borrowed
	store_ns       **ns;   // owned array of owned namespaces, conf order
	store_archive  **archives;  // owned array, one per namespace
	store_lifecycle *lifecycle; // owned
	size_t           nns;
	pthread_t        timer;
	bool             timer_running;
	pthread_mutex_t  mu;
	pthread_cond_t   cv;
	bool             stopping;
};

static void *
store_timer_main(void *arg)
{
	store          *s = arg;
	struct timespec ts;
	int64_t         next;
	size_t          i;

	(void) pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		next = bb_clock_mono_ns() + STORE_TICK_NS;
		ts   = bb_clock_ts(next);
		(void) pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->stopping) {
			break;
		}
		(void) pthread_mutex_unlock(&s->mu);
		for (i = 0; i < s->nns; i++) {
			store_ns_tick(s->ns[i], bb_clock_mono_ns());
		}
		(void) pthread_mutex_lock(&s->mu);
	}
	(void) pthread_mutex_unlock(&s->mu);
	return NULL;
}

// store_open_archive makes the archive of namespace ns.
static bb_err
store_open_archive(const bb_conf *conf, const bb_ns_conf *ns,
                   store_archive **ap, char *why, size_t whylen)
{
	bb_err rv;

	if (ns->archive == BB_ARCHIVE_S3) {
		// The S3 back end says which key or section is wrong.
		rv = store_archive_s3_from_conf(conf, ns, ap, why, whylen);
		if (rv != BB_OK) {
			return rv;
		}
	} else {
		rv = store_archive_dir_new(ns->archive_directory, ap);
		if (rv != BB_OK) {
			return bb_why(rv, why, whylen,
			              "namespace %s: archive: %s", ns->name,
			              bb_strerror(rv));
		}
	}
	bb_log_info("namespace %s: archive %s", ns->name,
	            store_archive_desc(*ap));
	return BB_OK;
}

bb_err
store_open(const bb_conf *conf, const store_remotes *remotes, store **sp,
           char *why, size_t whylen)
{
	store_lifecycle_conf lc;
	store_ns_env         env;
	store               *s;
	size_t               i;
	size_t               k;
	bb_err               rv;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return BB_ENOMEM;
	}
	s->conf = conf;
	(void) pthread_mutex_init(&s->mu, NULL);
	(void) bb_clock_cond_init(&s->cv);
	s->ns       = calloc(conf->n_namespaces + 1, sizeof(*s->ns));
	s->archives = calloc(conf->n_namespaces + 1, sizeof(*s->archives));
	if (s->ns == NULL || s->archives == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	lc.compressions     = conf->maximum_parallel_compressions;
	lc.uploads          = conf->maximum_parallel_uploads;
	lc.deletes          = conf->maximum_parallel_deletes;
	lc.remote_deletes   = conf->maximum_parallel_remote_deletes;
	lc.retry_initial_ns = conf->archive_retry_initial_ns;
	lc.retry_max_ns     = conf->archive_retry_max_ns;
	rv                  = store_lifecycle_new(&lc, &s->lifecycle);
	if (rv != BB_OK) {
		goto fail;
	}
	for (i = 0; i < conf->n_namespaces; i++) {
		rv = store_open_archive(conf, &conf->namespaces[i],
		                        &s->archives[i], why, whylen);
		if (rv != BB_OK) {
			goto fail;
		}
		env.machine_id = conf->machine_id;
		env.remotes    = remotes;
		env.self_peer  = false;
		for (k = 0; k < conf->n_remotes; k++) {
			if (conf->remotes[k].id == conf->machine_id) {
				env.self_peer = true;
			}
		}
		env.archive   = s->archives[i];
		env.lifecycle = s->lifecycle;
		rv = store_ns_open(&conf->namespaces[i], &env, &s->ns[i], why,
		                   whylen);
		if (rv != BB_OK) {
			goto fail;
		}
		s->nns++;
	}
	if (pthread_create(&s->timer, NULL, store_timer_main, s) != 0) {
		rv = BB_ESYS;
		goto fail;
	}
	s->timer_running = true;
	*sp              = s;
	return BB_OK;

fail:
	store_close(s);
	return rv;
}

void
store_quiesce(store *s)
{
	if (s == NULL || !s->timer_running) {
		return;
	}
	(void) pthread_mutex_lock(&s->mu);
	s->stopping = true;
	(void) pthread_cond_signal(&s->cv);
	(void) pthread_mutex_unlock(&s->mu);
	(void) pthread_join(s->timer, NULL);
	s->timer_running = false;
}

void
store_close(store *s)
{
	size_t i;

	if (s == NULL) {
		return;
	}
	store_quiesce(s);
	// The lifecycle holds files of the namespaces: it goes first.
	store_lifecycle_stop(s->lifecycle);
	for (i = 0; i < s->nns; i++) {
		store_ns_close(s->ns[i]);
	}
	for (i = 0; s->archives != NULL && s->archives[i] != NULL; i++) {
		store_archive_free(s->archives[i]);
	}
	store_lifecycle_free(s->lifecycle);
	free(s->archives);
	free(s->ns);
	(void) pthread_cond_destroy(&s->cv);
	(void) pthread_mutex_destroy(&s->mu);
	free(s);
}

store_lifecycle *
store_get_lifecycle(store *s)
{
	return s->lifecycle;
}

store_ns *
store_find_ns(store *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->nns; i++) {
		const char *n = s->ns[i]->conf->name;
		if (strlen(n) == len && memcmp(n, name, len) == 0) {
			return s->ns[i];
		}
	}
	return NULL;
}
