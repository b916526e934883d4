// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/conn.c -- the S3 archive's pool of connections: an easy
// handle and the multi handle that drives it, kept between requests so
// their TCP and TLS connections are reused.  Any thread takes one, uses
// it alone, and gives it back.
#include <stdlib.h>

#include "storage/archive/s3/s3_impl.h"

// Idle connections kept per archive; more are made when needed and
// closed when returned to a full pool.
#define S3_POOL_IDLE 16

store__s3_conn *
store__s3_conn_get(store__s3 *s3)
{
	store__s3_conn *c;

	(void) pthread_mutex_lock(&s3->pool_mu);
	c = s3->idle;
	if (c != NULL) {
		s3->idle = c->next;
		s3->nidle--;
	}
	(void) pthread_mutex_unlock(&s3->pool_mu);
	if (c != NULL) {
		c->next = NULL;
		return c;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	c->easy  = curl_easy_init();
	c->multi = curl_multi_init();
	if (c->easy == NULL || c->multi == NULL) {
		curl_multi_cleanup(c->multi);
		curl_easy_cleanup(c->easy);
		free(c);
		return NULL;
	}
	return c;
}

static void
s3_conn_free(store__s3_conn *c)
{
	if (c != NULL) {
		curl_multi_cleanup(c->multi);
		curl_easy_cleanup(c->easy);
		free(c);
	}
}

// store__s3_conn_put returns c (not attached to any transfer) to the pool. The
// reset drops every option (and pointer into a finished request) but not
// the connections cached in c->multi.
void
store__s3_conn_put(store__s3 *s3, store__s3_conn *c)
{
	curl_easy_reset(c->easy);
	(void) pthread_mutex_lock(&s3->pool_mu);
	if (s3->nidle < S3_POOL_IDLE) {
		c->next  = s3->idle;
		s3->idle = c;
		s3->nidle++;
		c = NULL;
	}
	(void) pthread_mutex_unlock(&s3->pool_mu);
	s3_conn_free(c);
}

void
store__s3_pool_fini(store__s3 *s3)
{
	store__s3_conn *c = s3->idle;
	store__s3_conn *next;

	while (c != NULL) {
		next = c->next;
		s3_conn_free(c);
		c = next;
	}
	s3->idle  = NULL;
	s3->nidle = 0;
}
