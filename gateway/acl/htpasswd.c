// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/htpasswd.c -- an htpasswd file watched for changes: the table
// in force, swapped under a short lock when a new version loads.
// Parsing and checking one version is gateway/acl/htpasswd_table.c.
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/acl/htpasswd.h"

struct gw__htpasswd {
	char               *path;    // owned
	pthread_mutex_t     mu;      // guards the pointer cur
	gw__htpasswd_table *cur;     // owned: one reference
	pthread_mutex_t     reload;  // serialises refreshes; guards below
	struct stat         seen;    // the version last loaded or tried
	bool                missing; // stat failed; logged once
	_Atomic int64_t     next_check_ns; // monotonic time of the next look
};

bb_err
gw__htpasswd_new(const char *path, gw__htpasswd **htp, char *err,
                 size_t errlen)
{
	gw__htpasswd *ht;
	bb_err        rv;

	ht = calloc(1, sizeof(*ht));
	if (ht == NULL) {
		(void) snprintf(err, errlen, "%s: out of memory", path);
		return BB_ENOMEM;
	}
	ht->path = strdup(path);
	if (ht->path == NULL) {
		rv = BB_ENOMEM;
		(void) snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	rv = gw__htpasswd_table_load(path, &ht->cur, &ht->seen, err, errlen);
	if (rv != BB_OK) {
		goto fail;
	}
	(void) pthread_mutex_init(&ht->mu, NULL);
	(void) pthread_mutex_init(&ht->reload, NULL);
	atomic_init(&ht->next_check_ns, bb_clock_mono_ns() + BB_NS_PER_SEC);
	*htp = ht;
	return BB_OK;

fail:
	free(ht->path);
	free(ht);
	return rv;
}

void
gw__htpasswd_free(gw__htpasswd *ht)
{
	if (ht == NULL) {
		return;
	}
	gw__htpasswd_table_unref(ht->cur);
	(void) pthread_mutex_destroy(&ht->mu);
	(void) pthread_mutex_destroy(&ht->reload);
	free(ht->path);
	free(ht);
}

// ht_acquire returns the table in force with a reference for the
// caller.  The lock only covers reading the pointer and the increment,
// so a reload never waits for a bcrypt check.
static gw__htpasswd_table *
ht_acquire(gw__htpasswd *ht)
{
	gw__htpasswd_table *t;

	(void) pthread_mutex_lock(&ht->mu);
	t = ht->cur;
	gw__htpasswd_table_ref(t);
	(void) pthread_mutex_unlock(&ht->mu);
	return t;
}

bb_err
gw__htpasswd_refresh(gw__htpasswd *ht)
{
	struct stat         st;
	gw__htpasswd_table *t = NULL, *old;
	char                err[512];
	bb_err              rv = BB_OK;

	(void) pthread_mutex_lock(&ht->reload);
	if (stat(ht->path, &st) != 0) {
		rv = bb_err_from_errno(errno);
		if (!ht->missing) {
			bb_log_error("htpasswd %s: %s; keeping the entries "
			             "loaded before",
			             ht->path, strerror(errno));
		}
		ht->missing = true;
		goto done;
	}
	ht->missing = false;
	if (gw__htpasswd_same_version(&st, &ht->seen)) {
		goto done;
	}
	rv = gw__htpasswd_table_load(ht->path, &t, &st, err, sizeof(err));
	if (rv == BB_EBUSY) {
		goto done; // still being written: look again next time
	}
	ht->seen = st; // a version that failed is not tried again
	if (rv != BB_OK) {
		bb_log_error("htpasswd reload failed, keeping the entries "
		             "loaded before: %s",
		             err);
		goto done;
	}
	(void) pthread_mutex_lock(&ht->mu);
	old     = ht->cur;
	ht->cur = t;
	(void) pthread_mutex_unlock(&ht->mu);
	bb_log_info("htpasswd %s reloaded: %zu entries", ht->path,
	            gw__htpasswd_table_count(t));
	gw__htpasswd_table_unref(old);

done:
	(void) pthread_mutex_unlock(&ht->reload);
	return rv;
}

// ht_maybe_refresh runs gw__htpasswd_refresh at most once a second: the
// one thread that moves next_check_ns forward does it, in line (a stat,
// and rarely a parse; no hashing).
static void
ht_maybe_refresh(gw__htpasswd *ht)
{
	int64_t now  = bb_clock_mono_ns();
	int64_t next = atomic_load(&ht->next_check_ns);

	if (now < next ||
	    !atomic_compare_exchange_strong(&ht->next_check_ns, &next,
	                                    now + BB_NS_PER_SEC)) {
		return;
	}
	(void) gw__htpasswd_refresh(ht);
}

bool
gw__htpasswd_check(gw__htpasswd *ht, const char *user, const char *password,
                   char *const *tags, size_t ntags)
{
	gw__htpasswd_table *t;
	bool                ok;

	ht_maybe_refresh(ht);
	t  = ht_acquire(ht);
	ok = gw__htpasswd_table_check(t, user, password, tags, ntags);
	gw__htpasswd_table_unref(t);
	return ok;
}

size_t
gw__htpasswd_count(gw__htpasswd *ht)
{
	gw__htpasswd_table *t = ht_acquire(ht);
	size_t              n = gw__htpasswd_table_count(t);

	gw__htpasswd_table_unref(t);
	return n;
}
