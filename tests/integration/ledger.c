// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/ledger.c -- the fault tests' ledger (ledger.h).  Its
// threads use libcurl directly, one easy handle each (kept connections),
// not bbt_http: cmocka's asserts must not run outside the test's thread.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "ledger.h"
#include "storage/id.h"
#include "tests/clock.h"

#define VERIFY_THREADS 4

typedef struct {
	char     id[STORE_ID_STRMAX + 1];
	size_t   len;
	uint64_t hash;
} ledger_entry;

typedef struct {
	bbt_ledger *l;
	int         idx;
} ledger_worker;

struct bbt_ledger {
	bbt_ledger_load load;
	ledger_worker   workers[BBT_LEDGER_MAX_THREADS];
	char            urls[BBT_LEDGER_MAX_URLS][128]; // under mu
	pthread_t       th[BBT_LEDGER_MAX_THREADS];
	int             started;
	atomic_bool     stop;
	int64_t         t0;  // when the load started (ms)
	int64_t         end; // when it must stop (ms)

	pthread_mutex_t  mu;
	ledger_entry    *entries; // [cap], under mu
	size_t           n, cap;
	size_t           refused;
	size_t           refused_503;
	size_t           refused_507;
	long             refused_status;
	int64_t          worst_insert_ms;
	int64_t          worst_refused_ms;
	int64_t          last_ack_ms; // for the longest gap
	int64_t          longest_gap_ms;
	int64_t          mark_ms;     // 0: none
	int64_t          recovery_ms; // -1: none yet
	bool             stopped;
	bbt_ledger_stats final;
};

// What one request gets back: the status, the body hashed as it comes,
// and the first bytes of it (an ID).
typedef struct {
	XXH3_state_t *xs;
	size_t        len;
	char          head[64];
} ledger_body;

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	ledger_body *b = arg;
	size_t       n = size * nmemb;
	size_t       k;

	if (b->len < sizeof(b->head) - 1) {
		k = sizeof(b->head) - 1 - b->len;
		k = k < n ? k : n;
		memcpy(b->head + b->len, p, k);
		b->head[b->len + k] = '\0';
	}
	(void) XXH3_64bits_update(b->xs, p, n);
	b->len += n;
	return n;
}

// ledger_request makes one request with c (body: a POST) into *b;
// returns the status, or -1 without an answer.
static long
ledger_request(CURL *c, const char *url, const void *body, size_t len,
               ledger_body *b)
{
	struct curl_slist *h = NULL;
	long               status;

	memset(b->head, 0, sizeof(b->head));
	b->len = 0;
	(void) XXH3_64bits_reset(b->xs);
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	(void) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	(void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	h = curl_slist_append(h, "Expect:");
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		(void) curl_easy_setopt(c, CURLOPT_POST, 1L);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                        (curl_off_t) len);
	} else {
		(void) curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	if (curl_easy_perform(c) != CURLE_OK ||
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) !=
	        CURLE_OK) {
		status = -1;
	}
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return status;
}

// ledger_fill makes len bytes from seed (xorshift64*).
static void
ledger_fill(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t   i;

	for (i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		buf[i] = (unsigned char) ((x * 0x2545f4914f6cdd1dull) >> 56);
	}
}

// ledger_ack records one acknowledged insert, sent at sent_ms.
static void
ledger_ack(bbt_ledger *l, const char *id, const unsigned char *data,
           size_t len, int64_t sent_ms)
{
	int64_t now = bbt_now_ms();

	(void) pthread_mutex_lock(&l->mu);
	if (l->n < l->cap) {
		ledger_entry *e = &l->entries[l->n++];
		(void) snprintf(e->id, sizeof(e->id), "%s", id);
		e->len  = len;
		e->hash = XXH3_64bits(data, len);
	}
	if (now - sent_ms > l->worst_insert_ms) {
		l->worst_insert_ms = now - sent_ms;
	}
	if (now - l->last_ack_ms > l->longest_gap_ms) {
		l->longest_gap_ms = now - l->last_ack_ms;
	}
	l->last_ack_ms = now;
	if (l->mark_ms > 0 && l->recovery_ms < 0 && sent_ms >= l->mark_ms) {
		l->recovery_ms = now - l->mark_ms;
	}
	(void) pthread_mutex_unlock(&l->mu);
}

// ledger_refuse records one insert sent at sent_ms and answered with
// status st (-1: none) or without an ID.
static void
ledger_refuse(bbt_ledger *l, long st, int64_t sent_ms)
{
	int64_t took = bbt_now_ms() - sent_ms;

	(void) pthread_mutex_lock(&l->mu);
	l->refused++;
	if (st == 503) {
		l->refused_503++;
	} else if (st == 507) {
		l->refused_507++;
	} else {
		l->refused_status = st;
	}
	if (took > l->worst_refused_ms) {
		l->worst_refused_ms = took;
	}
	(void) pthread_mutex_unlock(&l->mu);
}

size_t
bbt_ledger_refused(bbt_ledger *l, long status)
{
	size_t n;

	(void) pthread_mutex_lock(&l->mu);
	n = status == 503   ? l->refused_503
	    : status == 507 ? l->refused_507
	                    : l->refused;
	(void) pthread_mutex_unlock(&l->mu);
	return n;
}

size_t
bbt_ledger_acked(bbt_ledger *l)
{
	size_t n;

	(void) pthread_mutex_lock(&l->mu);
	n = l->n;
	(void) pthread_mutex_unlock(&l->mu);
	return n;
}

static void *
ledger_insert(void *arg)
{
	ledger_worker  *w = arg;
	bbt_ledger     *l = w->l;
	CURL           *c = curl_easy_init();
	unsigned char  *buf;
	ledger_body     b;
	char            url[256];
	char            id[STORE_ID_STRMAX + 1];
	size_t          len;
	uint64_t        k;
	int64_t         sent;
	long            st;
	struct timespec pause;

	buf  = malloc(l->load.max_len);
	b.xs = XXH3_createState();
	for (k = 0; c != NULL && buf != NULL && b.xs != NULL; k++) {
		if (atomic_load(&l->stop) || bbt_now_ms() >= l->end ||
		    bbt_ledger_acked(l) >= (size_t) l->load.max_acked) {
			break;
		}
		len = l->load.min_len +
		    (size_t) (k * 7919 + (uint64_t) w->idx * 104729) %
		        (l->load.max_len - l->load.min_len + 1);
		ledger_fill(buf, len, (uint64_t) w->idx << 40 | k);
		(void) pthread_mutex_lock(&l->mu);
		(void) snprintf(url, sizeof(url), "%s/%s",
		                l->urls[(k + (uint64_t) w->idx) %
		                        (uint64_t) l->load.nurls],
		                l->load.ns);
		(void) pthread_mutex_unlock(&l->mu);
		sent = bbt_now_ms();
		st   = ledger_request(c, url, buf, len, &b);
		// An ID is at most STORE_ID_STRMAX characters.
		if (st == 200 && b.head[0] != '\0' &&
		    strlen(b.head) < sizeof(id)) {
			memcpy(id, b.head, strlen(b.head) + 1);
			ledger_ack(l, id, buf, len, sent);
		} else {
			ledger_refuse(l, st, sent);
		}
		// Also, a node that is down refuses at once: no spinning.
		pause.tv_sec  = l->load.pause_ms / 1000;
		pause.tv_nsec = (long) (l->load.pause_ms % 1000 + 1) * 1000000;
		(void) nanosleep(&pause, NULL);
	}
	XXH3_freeState(b.xs);
	free(buf);
	if (c != NULL) {
		curl_easy_cleanup(c);
	}
	return NULL;
}

bbt_ledger *
bbt_ledger_start(const bbt_ledger_load *load)
{
	bbt_ledger *l = calloc(1, sizeof(*l));
	int         i;

	assert_non_null(l);
	assert_true(load->threads > 0 &&
	            load->threads <= BBT_LEDGER_MAX_THREADS);
	assert_true(load->nurls > 0 && load->nurls <= BBT_LEDGER_MAX_URLS);
	assert_true(load->max_len > 0 && load->min_len <= load->max_len);
	// libcurl's global set-up is not thread-safe: before the threads.
	assert_int_equal(curl_global_init(CURL_GLOBAL_ALL), CURLE_OK);
	l->load = *load;
	for (i = 0; i < load->nurls; i++) {
		(void) snprintf(l->urls[i], sizeof(l->urls[i]), "%s",
		                load->urls[i]);
	}
	l->cap     = (size_t) load->max_acked + (size_t) load->threads;
	l->entries = calloc(l->cap, sizeof(*l->entries));
	assert_non_null(l->entries);
	(void) pthread_mutex_init(&l->mu, NULL);
	l->recovery_ms = -1;
	l->t0          = bbt_now_ms();
	l->last_ack_ms = l->t0;
	l->end         = l->t0 + load->max_ms;
	for (i = 0; i < load->threads; i++) {
		l->workers[i].l   = l;
		l->workers[i].idx = i;
		assert_int_equal(pthread_create(&l->th[i], NULL, ledger_insert,
		                                &l->workers[i]),
		                 0);
		l->started++;
	}
	return l;
}

void
bbt_ledger_set_url(bbt_ledger *l, int i, const char *url)
{
	assert_true(i >= 0 && i < l->load.nurls);
	(void) pthread_mutex_lock(&l->mu);
	(void) snprintf(l->urls[i], sizeof(l->urls[i]), "%s", url);
	(void) pthread_mutex_unlock(&l->mu);
}

size_t
bbt_ledger_wait_acked(bbt_ledger *l, size_t n, int64_t ms)
{
	int64_t         end = bbt_now_ms() + ms;
	struct timespec ts  = { 0, 10 * 1000 * 1000 };
	size_t          got;

	while ((got = bbt_ledger_acked(l)) < n && bbt_now_ms() < end) {
		(void) nanosleep(&ts, NULL);
	}
	return got;
}

void
bbt_ledger_mark(bbt_ledger *l)
{
	(void) pthread_mutex_lock(&l->mu);
	l->mark_ms = bbt_now_ms();
	(void) pthread_mutex_unlock(&l->mu);
}

void
bbt_ledger_stop(bbt_ledger *l, bbt_ledger_stats *st)
{
	int64_t now;
	int     i;

	if (!l->stopped) {
		atomic_store(&l->stop, true);
		for (i = 0; i < l->started; i++) {
			(void) pthread_join(l->th[i], NULL);
		}
		now                       = bbt_now_ms();
		l->stopped                = true;
		l->final.acked            = l->n;
		l->final.refused          = l->refused;
		l->final.refused_503      = l->refused_503;
		l->final.refused_507      = l->refused_507;
		l->final.refused_status   = l->refused_status;
		l->final.worst_insert_ms  = l->worst_insert_ms;
		l->final.worst_refused_ms = l->worst_refused_ms;
		l->final.longest_gap_ms   = l->longest_gap_ms;
		l->final.recovery_ms      = l->recovery_ms;
		l->final.load_ms          = now - l->t0;
	}
	*st = l->final;
}

typedef struct {
	bbt_ledger      *l;
	const char      *url;
	size_t           from, to; // entries [from, to)
	bbt_ledger_check c;
} ledger_reader;

static void *
ledger_read(void *arg)
{
	ledger_reader *r = arg;
	CURL          *c = curl_easy_init();
	ledger_body    b;
	ledger_entry  *e;
	char           url[256];
	int64_t        t0;
	int64_t        took;
	long           st;
	size_t         i;

	b.xs = XXH3_createState();
	for (i = r->from; c != NULL && b.xs != NULL && i < r->to; i++) {
		e = &r->l->entries[i];
		(void) snprintf(url, sizeof(url), "%s/%s/%s", r->url,
		                r->l->load.ns, e->id);
		t0   = bbt_now_ms();
		st   = ledger_request(c, url, NULL, 0, &b);
		took = bbt_now_ms() - t0;
		r->c.checked++;
		if (took > r->c.worst_read_ms) {
			r->c.worst_read_ms = took;
		}
		if (st == 200 && b.len == e->len &&
		    XXH3_64bits_digest(b.xs) == e->hash) {
			r->c.intact++;
			continue;
		}
		r->c.worst_status = st;
		if (st == 200 || st == 404) {
			r->c.lost++;
		} else if (st >= 500 && st <= 599) {
			r->c.err5xx++;
		} else {
			r->c.other++;
		}
	}
	if (b.xs != NULL) {
		XXH3_freeState(b.xs);
	}
	if (c != NULL) {
		curl_easy_cleanup(c);
	}
	// Requests that could not even be made count as other failures.
	r->c.other += (r->to - r->from) - r->c.checked;
	r->c.checked = r->to - r->from;
	return NULL;
}

void
bbt_ledger_verify(bbt_ledger *l, const char *url, bbt_ledger_check *c)
{
	ledger_reader r[VERIFY_THREADS];
	pthread_t     th[VERIFY_THREADS];
	size_t        per;
	int           i;

	assert_true(l->stopped);
	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(r));
	per = (l->n + VERIFY_THREADS - 1) / VERIFY_THREADS;
	for (i = 0; i < VERIFY_THREADS; i++) {
		r[i].l    = l;
		r[i].url  = url;
		r[i].from = (size_t) i * per < l->n ? (size_t) i * per : l->n;
		r[i].to   = r[i].from + per < l->n ? r[i].from + per : l->n;
		assert_int_equal(
		    pthread_create(&th[i], NULL, ledger_read, &r[i]), 0);
	}
	for (i = 0; i < VERIFY_THREADS; i++) {
		(void) pthread_join(th[i], NULL);
		c->checked += r[i].c.checked;
		c->intact += r[i].c.intact;
		c->lost += r[i].c.lost;
		c->err5xx += r[i].c.err5xx;
		c->other += r[i].c.other;
		if (r[i].c.worst_read_ms > c->worst_read_ms) {
			c->worst_read_ms = r[i].c.worst_read_ms;
		}
		if (r[i].c.worst_status != 0) {
			c->worst_status = r[i].c.worst_status;
		}
	}
}

void
bbt_ledger_report(const char *what, const bbt_ledger_stats *st,
                  const bbt_ledger_check *checks, const char *const *names,
                  int n)
{
	int i;

	print_message(
	    "[ledger] %s: acknowledged %zu, refused %zu (503: %zu, "
	    "507: %zu) in %lld ms (slowest insert %lld ms, slowest "
	    "refusal %lld ms, longest without an ack %lld ms, "
	    "recovery %lld ms)\n",
	    what, st->acked, st->refused, st->refused_503, st->refused_507,
	    (long long) st->load_ms, (long long) st->worst_insert_ms,
	    (long long) st->worst_refused_ms, (long long) st->longest_gap_ms,
	    (long long) st->recovery_ms);
	for (i = 0; i < n; i++) {
		print_message("[ledger] %s: read from %s: %zu of %zu intact, "
		              "lost %zu, 5xx %zu, other %zu (last failure "
		              "%ld), worst read %lld ms\n",
		              what, names[i], checks[i].intact,
		              checks[i].checked, checks[i].lost,
		              checks[i].err5xx, checks[i].other,
		              checks[i].worst_status,
		              (long long) checks[i].worst_read_ms);
	}
}

void
bbt_ledger_free(bbt_ledger *l)
{
	bbt_ledger_stats st;

	if (l == NULL) {
		return;
	}
	bbt_ledger_stop(l, &st);
	(void) pthread_mutex_destroy(&l->mu);
	free(l->entries);
	free(l);
}
