// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_loadio.c -- the request engine of "blobby load": one
// libcurl multi handle, a fixed set of request slots (one easy handle
// each, connections shared by the multi handle), bodies generated while
// they are sent and hashed with XXH3 on the fly, answers hashed as they
// arrive.  Memory is bounded by the slot count whatever the blob sizes.
// What to run (phases) and the report are elsewhere (blobby_load.c,
// blobby_stats.c).
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <xxhash.h>

#include "common/clock.h"
#include "tools/blobby_load.h"

#define LD_CONNECT_TIMEOUT_S 10
#define LD_TIMEOUT_MS        60000 // per request, unless --timeout
#define LD_POLL_MS           50
#define LD_ANSWER_MAX        64 // bytes of an insert's answer kept
// Bodies up to this size are made before the request and handed to curl
// whole: it sends them with the head in one write (as wrk does), where a
// read callback costs a second packet and a second wake-up of the node.
#define LD_SMALL_MAX  65536
#define LD_UPLOAD_BUF (512L * 1024) // curl's buffer for streamed bodies

// One request slot.
typedef struct ld_req {
	CURL         *h;     // owned
	XXH3_state_t *xs;    // owned
	char         *small; // owned: LD_SMALL_MAX bytes, made on first use
	bool          whole; // the body is in small
	int           op;    // 0 insert, 1 read
	int           url;
	uint64_t      key;  // the seed of an insert's bytes
	uint64_t      len;  // body bytes to send, or expected
	uint64_t      pos;  // bytes sent or received
	uint64_t      hash; // a read's expected hash, a whole body's hash
	bool          too_long;
	int64_t       t0;
	char          target[1024];
	char          answer[LD_ANSWER_MAX + 1];
	size_t        answer_len;
} ld_req;

static volatile sig_atomic_t ld_interrupted;

static void
ld_on_sigint(int sig)
{
	(void) sig;
	ld_interrupted = 1;
}

static uint64_t
ld_mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static uint64_t
ld_rand(ld_run *r)
{
	r->rng = ld_mix64(r->rng);
	return r->rng;
}

// ld_gen writes bytes [pos, pos+n) of the blob seeded by key: word j is
// a hash of (key, j), so any range can be made again (a rewind).
static void
ld_gen(uint64_t key, uint64_t pos, char *buf, size_t n)
{
	uint64_t w;
	uint64_t p;
	size_t   i = 0;
	int      k;

	while (i < n) {
		p = pos + i;
		w = ld_mix64(key ^ (p / 8 * UINT64_C(0x2545f4914f6cdd1d)));
		// Byte k of a word is (w >> 8k): the same on any machine.  A
		// whole word is written without a loop (one store, compiled).
		if (p % 8 == 0 && n - i >= 8) {
			for (k = 0; k < 8; k++) {
				buf[i + (size_t) k] = (char) (w >> (8 * k));
			}
			i += 8;
			continue;
		}
		for (k = (int) (p % 8); k < 8 && i < n; k++) {
			buf[i++] = (char) ((w >> (8 * k)) & 0xff);
		}
	}
}

static size_t
ld_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	ld_req  *q    = arg;
	uint64_t left = q->len - q->pos;
	size_t   want = size * n;

	if (want > left) {
		want = (size_t) left;
	}
	ld_gen(q->key, q->pos, buf, want);
	(void) XXH3_64bits_update(q->xs, buf, want);
	q->pos += want;
	return want;
}

// ld_seek_cb rewinds the body (curl resends it on a reused connection
// that the node had closed): the hash starts over with it.
static int
ld_seek_cb(void *arg, curl_off_t off, int origin)
{
	ld_req  *q = arg;
	char     buf[16384];
	uint64_t k;

	if (origin != SEEK_SET || off < 0 || (uint64_t) off > q->len) {
		return CURL_SEEKFUNC_CANTSEEK;
	}
	(void) XXH3_64bits_reset(q->xs);
	q->pos = 0;
	while (q->pos < (uint64_t) off) {
		k = (uint64_t) off - q->pos;
		k = k < sizeof(buf) ? k : sizeof(buf);
		ld_gen(q->key, q->pos, buf, (size_t) k);
		(void) XXH3_64bits_update(q->xs, buf, (size_t) k);
		q->pos += k;
	}
	return CURL_SEEKFUNC_OK;
}

static size_t
ld_write_cb(char *data, size_t size, size_t n, void *arg)
{
	ld_req *q   = arg;
	size_t  len = size * n;
	size_t  room;

	if (q->op == 0) {
		room = LD_ANSWER_MAX - q->answer_len;
		room = len < room ? len : room;
		memcpy(q->answer + q->answer_len, data, room);
		q->answer_len += room;
		return len;
	}
	if (q->pos + len > q->len) {
		q->too_long = true; // never a longer body than the ID says
		return 0;
	}
	(void) XXH3_64bits_update(q->xs, data, len);
	q->pos += len;
	return len;
}

static CURLcode
ld_setup(ld_run *r, ld_req *q, struct curl_slist *hdrs)
{
	const cli_opts *o  = r->o;
	CURL           *h  = q->h;
	CURLcode        rc = CURLE_OK;

#define LD_SET(opt, val)                                    \
	do {                                                \
		if (rc == CURLE_OK) {                       \
			rc = curl_easy_setopt(h, opt, val); \
		}                                           \
	} while (0)
	curl_easy_reset(h); // keeps the connections of the multi handle
	LD_SET(CURLOPT_URL, q->target);
	LD_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	LD_SET(CURLOPT_USERAGENT, "blobby/" BLOBBY_VERSION " load");
	LD_SET(CURLOPT_NOSIGNAL, 1L);
	LD_SET(CURLOPT_CONNECTTIMEOUT, (long) LD_CONNECT_TIMEOUT_S);
	LD_SET(CURLOPT_TIMEOUT_MS,
	       o->timeout_ms > 0 ? o->timeout_ms : (long) LD_TIMEOUT_MS);
	if (rc == CURLE_OK) {
		rc = cli__auth_setopt(h, o);
	}
	if (o->insecure) {
		LD_SET(CURLOPT_SSL_VERIFYPEER, 0L);
		LD_SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cacert != NULL) {
		LD_SET(CURLOPT_CAINFO, o->cacert);
	}
	LD_SET(CURLOPT_WRITEFUNCTION, ld_write_cb);
	LD_SET(CURLOPT_WRITEDATA, q);
	LD_SET(CURLOPT_PRIVATE, q);
	if (q->op == 0) {
		LD_SET(CURLOPT_POST, 1L);
		LD_SET(CURLOPT_HTTPHEADER, hdrs);
		LD_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) q->len);
		if (q->whole) {
			// Borrowed: q->small lives until the request is done.
			LD_SET(CURLOPT_POSTFIELDS, q->small);
		} else {
			LD_SET(CURLOPT_READFUNCTION, ld_read_cb);
			LD_SET(CURLOPT_READDATA, q);
			LD_SET(CURLOPT_SEEKFUNCTION, ld_seek_cb);
			LD_SET(CURLOPT_SEEKDATA, q);
			// Fewer, larger writes of a large body.
			LD_SET(CURLOPT_UPLOAD_BUFFERSIZE, LD_UPLOAD_BUF);
		}
	}
#undef LD_SET
	return rc;
}

static const char *
ld_base(const ld_run *r, int url, size_t *len)
{
	const char *b = r->urls[url];
	size_t      n = strlen(b);

	while (n > 0 && b[n - 1] == '/') {
		n--;
	}
	*len = n;
	return b;
}

// ld_prepare fills q with the next request of phase ph; false when the
// phase has nothing more to start.
static bool
ld_prepare(ld_run *r, ld_phase ph, ld_req *q, uint64_t *next)
{
	const ld_blob *b;
	const char    *base;
	size_t         blen;
	bool           read;

	if (ph == LD_PH_VERIFY) {
		if (*next >= r->nblobs) {
			return false;
		}
		b    = &r->blobs[(*next)++];
		read = true;
	} else {
		read = ph == LD_PH_LOAD && r->nblobs > 0 &&
		    (r->op == LD_OP_READ ||
		     (r->op == LD_OP_MIX &&
		      (double) (ld_rand(r) >> 11) / 9007199254740992.0 <
		          r->read_ratio));
		b = read ? &r->blobs[ld_rand(r) % r->nblobs] : NULL;
	}
	q->pos        = 0;
	q->too_long   = false;
	q->whole      = false;
	q->answer_len = 0;
	(void) XXH3_64bits_reset(q->xs);
	if (read) {
		q->op   = 1;
		q->len  = b->length;
		q->hash = b->hash;
		q->url  = b->url;
		if (ph == LD_PH_VERIFY && r->verify_url != NULL) {
			base = r->verify_url;
			blen = strlen(base);
			while (blen > 0 && base[blen - 1] == '/') {
				blen--;
			}
		} else {
			base = ld_base(r, q->url, &blen);
		}
		(void) snprintf(q->target, sizeof(q->target), "%.*s/%s/%s",
		                (int) blen, base, r->ns, b->id);
		return true;
	}
	q->op  = 0;
	q->url = (int) (r->seq % (uint64_t) r->nurls);
	q->key = ld_mix64(r->seed ^ ld_mix64(r->seq));
	q->len = r->size_min;
	if (r->size_max > r->size_min) {
		q->len += ld_rand(r) % (r->size_max - r->size_min + 1);
	}
	r->seq++;
	q->whole = q->len <= LD_SMALL_MAX;
	if (q->whole) {
		if (q->small == NULL) {
			q->small = malloc(LD_SMALL_MAX);
		}
		if (q->small == NULL) {
			q->whole = false; // stream it after all
		} else {
			ld_gen(q->key, 0, q->small, (size_t) q->len);
			q->hash = XXH3_64bits(q->small, (size_t) q->len);
			q->pos  = q->len;
		}
	}
	base = ld_base(r, q->url, &blen);
	(void) snprintf(q->target, sizeof(q->target), "%.*s/%s", (int) blen,
	                base, r->ns);
	return true;
}

// ld_damaged names the first few damaged blobs of a verification on
// standard error.
static void
ld_damaged(ld_phase ph, const ld_req *q, const char *what, const ld_stats *st)
{
	if (ph == LD_PH_VERIFY && st->mismatched + st->missing <= 10) {
		cli__err("verify: GET %s: %s", q->target, what);
	}
}

// ld_done counts a finished request into st.
static void
ld_done(ld_run *r, ld_phase ph, ld_req *q, CURLcode rc, ld_stats *st)
{
	int64_t  now    = bb_clock_mono_ns();
	long     status = 0;
	store_id id;
	uint8_t  tag[STORE_ID_TAG_LEN];
	bool     is_signed = false;
	bool     ok        = false;

	st->requests++;
	(void) curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK && !q->too_long) {
		st->transport[(int) rc < LD_CURLE_MAX ? (int) rc : 0]++;
		st->failed++;
		return;
	}
	if (ph != LD_PH_VERIFY) {
		ld__hist_add(&st->lat[q->op], (uint64_t) (now - q->t0) / 1000);
	}
	if (q->op == 0 && status == 200) {
		while (q->answer_len > 0 &&
		       (q->answer[q->answer_len - 1] == '\n' ||
		        q->answer[q->answer_len - 1] == '\r')) {
			q->answer_len--;
		}
		ok = store_id_decode(q->answer, q->answer_len, &id, &is_signed,
		                     tag) == BB_OK &&
		    id.length == q->len && q->pos == q->len;
		if (!ok) {
			st->bad_answer++;
		} else if (!ld__blob_add(
		               r, q->answer, q->answer_len, id.length,
		               q->whole ? q->hash : XXH3_64bits_digest(q->xs),
		               q->url)) {
			ok = false;
			st->bad_answer++; // out of memory: not tracked
		}
	} else if (q->op == 1 && status == 200) {
		ok = !q->too_long && q->pos == q->len &&
		    XXH3_64bits_digest(q->xs) == q->hash;
		if (!ok) {
			st->mismatched++;
			ld_damaged(ph, q, "other bytes than acknowledged", st);
		} else {
			st->intact++;
		}
	} else if (q->op == 1 && status == 404) {
		st->missing++;
		ld_damaged(ph, q, "404 for an acknowledged blob", st);
	}
	if (ok) {
		st->ok++;
		st->ok_by_op[q->op]++;
		st->bytes += q->len;
		return;
	}
	if (status != 200) {
		st->status[status > 0 && status < LD_STATUS_MAX ? status
		                                                : 0]++;
	}
	// A read that found other bytes or none is counted as such above;
	// everything else is a failure.
	if (q->op == 0 || (status != 200 && status != 404)) {
		st->failed++;
	}
}

// ld_more says whether phase ph may start another request.
static bool
ld_more(const ld_run *r, ld_phase ph, uint64_t n, uint64_t started,
        int64_t deadline)
{
	if (ld_interrupted) {
		return false;
	}
	if (ph == LD_PH_WARMUP) {
		return started < n;
	}
	if (ph == LD_PH_LOAD) {
		return (r->count == 0 || started < r->count) &&
		    (deadline == 0 || bb_clock_mono_ns() < deadline);
	}
	return true; // verify: ld_prepare knows
}

static void
ld_progress(const ld_run *r, ld_phase ph, const ld_stats *st, cli_bar *bar)
{
	static const char *const names[] = { "warm-up", "load", "verify" };
	char                     line[160];
	double secs = (double) (bb_clock_mono_ns() - st->start_ns) / 1e9;

	if (!r->o->progress) {
		return;
	}
	(void) snprintf(line, sizeof(line),
	                "%s: %llu done, %llu failed, %.0f/s, %.1f s",
	                names[ph], (unsigned long long) st->requests,
	                (unsigned long long) (st->requests - st->ok),
	                secs > 0 ? (double) st->requests / secs : 0.0, secs);
	cli__bar_text(bar, line);
}

// ld_loop keeps up to r->conc requests of phase ph in flight on m.
static int
ld_loop(ld_run *r, ld_phase ph, uint64_t n, ld_stats *st, CURLM *m,
        ld_req *slots, struct curl_slist *hdrs)
{
	int     *free_    = NULL;
	int      nfree    = r->conc;
	uint64_t started  = 0;
	uint64_t next     = 0;
	int64_t  deadline = ph == LD_PH_LOAD && r->duration_ns > 0
	     ? bb_clock_mono_ns() + r->duration_ns
	     : 0;
	cli_bar  bar;
	CURLMsg *msg;
	ld_req  *q;
	int      left;
	int      running;
	int      i;
	int      rc = CLI_EXIT_OK;

	free_ = malloc(sizeof(int) * (size_t) r->conc);
	if (free_ == NULL) {
		cli__err("out of memory");
		return EX_OSERR;
	}
	for (i = 0; i < r->conc; i++) {
		free_[i] = r->conc - 1 - i;
	}
	cli__bar_start(&bar);
	for (;;) {
		while (nfree > 0 && ld_more(r, ph, n, started, deadline)) {
			q = &slots[free_[nfree - 1]];
			if (!ld_prepare(r, ph, q, &next)) {
				break;
			}
			if (ld_setup(r, q, hdrs) != CURLE_OK ||
			    curl_multi_add_handle(m, q->h) != CURLM_OK) {
				cli__err("libcurl failed to set up a request");
				rc = EX_SOFTWARE;
				goto done;
			}
			q->t0 = bb_clock_mono_ns();
			nfree--;
			started++;
		}
		if (nfree == r->conc) {
			break;
		}
		(void) curl_multi_perform(m, &running);
		left = 0;
		for (msg = curl_multi_info_read(m, &left); msg != NULL;
		     msg = curl_multi_info_read(m, &left)) {
			if (msg->msg != CURLMSG_DONE) {
				continue;
			}
			(void) curl_easy_getinfo(msg->easy_handle,
			                         CURLINFO_PRIVATE, &q);
			ld_done(r, ph, q, msg->data.result, st);
			(void) curl_multi_remove_handle(m, q->h);
			free_[nfree++] = (int) (q - slots);
		}
		ld_progress(r, ph, st, &bar);
		if (nfree == 0 || !ld_more(r, ph, n, started, deadline)) {
			(void) curl_multi_poll(m, NULL, 0, LD_POLL_MS, NULL);
		}
	}

done:
	cli__bar_erase(&bar);
	free(free_);
	return rc;
}

int
ld__engine_run(ld_run *r, ld_phase ph, uint64_t n, ld_stats *st)
{
	struct curl_slist *hdrs = NULL;
	struct curl_slist *next;
	struct sigaction   sa;
	struct sigaction   old;
	ld_req            *slots = NULL;
	CURLM             *m     = NULL;
	int                rc    = CLI_EXIT_OK;
	int                i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ld_on_sigint;
	(void) sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGINT, &sa, &old);
	m     = curl_multi_init();
	slots = calloc((size_t) r->conc, sizeof(*slots));
	// No "Expect: 100-continue" round trip before large bodies.
	hdrs =
	    curl_slist_append(NULL, "Content-Type: application/octet-stream");
	next = hdrs != NULL ? curl_slist_append(hdrs, "Expect:") : NULL;
	if (m == NULL || slots == NULL || next == NULL) {
		cli__err("out of memory");
		rc = EX_OSERR;
		goto done;
	}
	(void) curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long) r->conc);
	for (i = 0; i < r->conc; i++) {
		slots[i].h  = curl_easy_init();
		slots[i].xs = XXH3_createState();
		if (slots[i].h == NULL || slots[i].xs == NULL) {
			cli__err("out of memory");
			rc = EX_OSERR;
			goto done;
		}
	}
	st->start_ns = bb_clock_mono_ns();
	rc           = ld_loop(r, ph, n, st, m, slots, hdrs);
	st->end_ns   = bb_clock_mono_ns();

done:
	for (i = 0; slots != NULL && i < r->conc; i++) {
		if (slots[i].h != NULL && m != NULL) {
			(void) curl_multi_remove_handle(m, slots[i].h);
		}
		curl_easy_cleanup(slots[i].h);
		XXH3_freeState(slots[i].xs);
		free(slots[i].small);
	}
	free(slots);
	(void) curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	(void) sigaction(SIGINT, &old, NULL);
	if (ld_interrupted && rc == CLI_EXIT_OK && ph != LD_PH_LOAD) {
		rc = 130;
	}
	return rc;
}
