// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/log.c -- formatting log lines, and folding repeated ones.
// Writing them, and reopening the file after rotation, is common/file.c's
// bb_logfile.
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/file.h"
#include "common/log.h"

#define LOG_LINE_MAX 4096

static bb_logfile  log_file    = BB_LOGFILE_INIT;
static atomic_int  log_format  = BB_LOG_FORMAT_PLAIN;
static atomic_int  log_min     = BB_LOG_INFO;
static const char *log_names[] = { "debug", "info", "warn", "error" };

// Repeated lines (one unreachable peer once wrote 6,224 warnings in a
// minute, identical but for the file id: each insert tried a new file).
// A line is "the same" when its level and its whole text are, ids aside
// in warnings and errors: runs of 12 or more letters, digits, '-' and '_'
// with a digit or a capital past the first (file ids, blob ids, keys)
// compare as one '*'.  Not its call site: one call site also says
// different things (another peer, another namespace, another error; "%s"
// wrappers say anything), and none of that may be hidden; only which file
// or blob a warning names may be, and its summary shows the '*'.  The
// first line is written; the same line again within the window is only
// counted in its slot; when the window has passed (checked by every later
// line and by bb_log_tick) or the slot is taken by another line, or at
// close, one line says how many were folded.
//
// Slots are found by a hash of the line (direct-mapped: two lines that
// share a slot just displace each other, and nothing is folded wrongly,
// since a match compares the whole text).  No lock: a slot's word holds a
// generation and the count; a thread that rewrites the slot first makes
// the generation odd with a compare-and-swap, and a count is only added
// with a compare-and-swap against the generation the text was compared
// under, so a count never lands on another line.  Every access is a
// sequentially consistent atomic: a count's compare-and-swap succeeding
// proves no rewrite began after the comparison read the text.
#define REP_SLOTS  64
#define REP_TEXT   512 // longer lines are never folded
#define REP_WORDS  (REP_TEXT / 8)
#define REP_ID_MIN 12 // characters: no word, number or address is as long

typedef struct {
	_Atomic uint64_t word;  // generation << 32 | count; odd: rewriting
	_Atomic int64_t  start; // monotonic ns the window began
	_Atomic uint64_t hash;
	_Atomic uint32_t meta; // level << 16 | length; length 0: empty
	_Atomic uint64_t text[REP_WORDS]; // the line, zero-padded
} log_rep;

static log_rep         log_reps[REP_SLOTS];
static _Atomic int64_t log_rep_window = BB_LOG_REPEAT_WINDOW_NS;

static void log_emit(bb_log_level level, const char *msg);

#define REP_COUNT(w)  ((uint32_t) ((w) &0xffffffffu))
#define REP_BUSY(w)   (((w) >> 32) & 1u)
#define REP_CLAIM(w)  ((((w) >> 32) + 1) << 32)
#define REP_UNLOCK(w) ((((w) >> 32) + 2) << 32)

// rep_hash is FNV-1a over the level and the text.
static uint64_t
rep_hash(bb_log_level level, const char *msg, size_t len)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t) level;
	size_t   i;

	for (i = 0; i < len; i++) {
		h = (h ^ (unsigned char) msg[i]) * 1099511628211ull;
	}
	return h;
}

// rep_matches says whether slot s holds the line packed in words.
static bool
rep_matches(log_rep *s, uint32_t meta, uint64_t hash, const uint64_t *words,
            size_t nwords)
{
	size_t i;

	if (atomic_load(&s->meta) != meta || atomic_load(&s->hash) != hash) {
		return false;
	}
	for (i = 0; i < nwords; i++) {
		if (atomic_load(&s->text[i]) != words[i]) {
			return false;
		}
	}
	return true;
}

// rep_summary writes the count of slot s, which the caller has claimed.
static void
rep_summary(log_rep *s, uint32_t count, int64_t now)
{
	uint64_t words[REP_WORDS];
	char     text[REP_TEXT + 1];
	char     msg[REP_TEXT + 96];
	uint32_t meta = atomic_load(&s->meta);
	size_t   len  = meta & 0xffffu;
	size_t   i;

	for (i = 0; i < (len + 7) / 8; i++) {
		words[i] = atomic_load(&s->text[i]);
	}
	memcpy(text, words, len);
	text[len] = '\0';
	(void) snprintf(msg, sizeof(msg),
	                "last message repeated %u times in %.3g s: %s",
	                (unsigned) count,
	                (double) (now - atomic_load(&s->start)) / 1e9, text);
	log_emit((bb_log_level) (meta >> 16), msg);
}

// rep_idchar says whether c may be part of an id (base64url).
static bool
rep_idchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// rep_mask copies msg[0..len) into out with each run of REP_ID_MIN or
// more id characters with a digit or a capital past its first character
// (a file id, blob id, key, digest; not a word such as
// "initialization") replaced by '*', and returns the new length (at most
// len).
static size_t
rep_mask(const char *msg, size_t len, char *out)
{
	size_t i = 0;
	size_t o = 0;
	size_t j;

	bool id;

	while (i < len) {
		id = false;
		for (j = i; j < len && rep_idchar(msg[j]); j++) {
			id = id || (msg[j] >= '0' && msg[j] <= '9') ||
			    (j > i && msg[j] >= 'A' && msg[j] <= 'Z');
		}
		if (id && j - i >= REP_ID_MIN) {
			out[o++] = '*';
			i        = j;
			continue;
		}
		if (j == i) {
			j++; // one character that is not an id's
		}
		memcpy(out + o, msg + i, j - i);
		o += j - i;
		i = j;
	}
	return o;
}

// rep_fold says whether the line msg is a repeat within the window, now
// counted and not to be written.  If not, it takes the line's slot for
// it, first writing the count of the line it displaces.
static bool
rep_fold(bb_log_level level, const char *msg, int64_t now, int64_t window)
{
	uint64_t words[REP_WORDS] = { 0 };
	char     masked[REP_TEXT];
	size_t   len = strlen(msg);
	size_t   nwords;
	uint64_t hash;
	uint32_t meta;
	log_rep *s;
	uint64_t w;
	size_t   i;
	int      tries;

	if (len == 0 || len >= REP_TEXT) {
		return false;
	}
	// Info lines keep their ids: they are the record of what happened
	// to which file ("sealed", "archived as"), and never a flood.
	if (level >= BB_LOG_WARN) {
		len = rep_mask(msg, len, masked);
	} else {
		memcpy(masked, msg, len);
	}
	nwords = (len + 7) / 8;
	memcpy(words, masked, len);
	hash = rep_hash(level, masked, len);
	meta = (uint32_t) level << 16 | (uint32_t) len;
	s    = &log_reps[hash % REP_SLOTS];
	// A few tries: another thread counting or rewriting the same slot
	// makes a compare-and-swap fail; after that the line is written.
	for (tries = 0; tries < 8; tries++) {
		w = atomic_load(&s->word);
		if (REP_BUSY(w)) {
			return false;
		}
		if (rep_matches(s, meta, hash, words, nwords) &&
		    now - atomic_load(&s->start) < window) {
			if (REP_COUNT(w) == UINT32_MAX) {
				return false;
			}
			if (atomic_compare_exchange_strong(&s->word, &w,
			                                   w + 1)) {
				return true;
			}
			continue;
		}
		if (!atomic_compare_exchange_strong(&s->word, &w,
		                                    REP_CLAIM(w))) {
			continue;
		}
		if (REP_COUNT(w) > 0) {
			rep_summary(s, REP_COUNT(w), now);
		}
		atomic_store(&s->meta, meta);
		atomic_store(&s->hash, hash);
		for (i = 0; i < REP_WORDS; i++) {
			atomic_store(&s->text[i], i < nwords ? words[i] : 0);
		}
		atomic_store(&s->start, now);
		atomic_store(&s->word, REP_UNLOCK(w));
		return false;
	}
	return false;
}

// rep_flush writes the counts whose window has passed (all: every count,
// and empties the slots).  A slot being rewritten is left for later.
static void
rep_flush(int64_t now, bool all)
{
	log_rep *s;
	uint64_t w;
	int64_t  window = atomic_load(&log_rep_window);
	int      i;

	for (i = 0; i < REP_SLOTS; i++) {
		s = &log_reps[i];
		w = atomic_load(&s->word);
		if (REP_BUSY(w) || (REP_COUNT(w) == 0 && !all) ||
		    (!all && now - atomic_load(&s->start) < window)) {
			continue;
		}
		if (!atomic_compare_exchange_strong(&s->word, &w,
		                                    REP_CLAIM(w))) {
			continue;
		}
		if (REP_COUNT(w) > 0) {
			rep_summary(s, REP_COUNT(w), now);
		}
		// The line stays: its repeats in the next window are counted
		// too, and the summary just written said it is still coming.
		atomic_store(&s->start, now);
		if (all) {
			atomic_store(&s->meta, 0);
		}
		atomic_store(&s->word, REP_UNLOCK(w));
	}
}

void
bb_log_set_repeat_window(int64_t ns)
{
	atomic_store(&log_rep_window, ns > 0 ? ns : 0);
}

void
bb_log_tick(void)
{
	rep_flush(bb_clock_mono_ns(), false);
}

bb_err
bb_log_open(const char *path, bb_log_format format, bool debug)
{
	bb_err rv;

	rep_flush(bb_clock_mono_ns(), true);
	rv = bb_logfile_open(&log_file, path, NULL, 0);
	if (rv != BB_OK) {
		return rv;
	}
	atomic_store(&log_format, (int) format);
	atomic_store(&log_min, debug ? BB_LOG_DEBUG : BB_LOG_INFO);
	return BB_OK;
}

bb_err
bb_log_reopen(void)
{
	return bb_logfile_reopen(&log_file, NULL, 0);
}

void
bb_log_close(void)
{
	rep_flush(bb_clock_mono_ns(), true);
	(void) bb_logfile_open(&log_file, NULL, NULL, 0);
}

bool
bb_log_enabled(bb_log_level level)
{
	return (int) level >= atomic_load(&log_min);
}

void
bb_log(bb_log_level level, const char *fmt, ...)
{
	char    msg[LOG_LINE_MAX];
	int64_t now;
	int64_t window;
	va_list ap;

	if (!bb_log_enabled(level) || (unsigned) level > BB_LOG_ERROR) {
		return;
	}
	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	// Debug lines are never folded: whoever turns them on wants each.
	now    = bb_clock_mono_ns();
	window = atomic_load(&log_rep_window);
	if (level > BB_LOG_DEBUG && window > 0 &&
	    rep_fold(level, msg, now, window)) {
		return;
	}
	rep_flush(now, false);
	log_emit(level, msg);
}

// log_emit writes msg as one line at level.
static void
log_emit(bb_log_level level, const char *msg)
{
	char   line[LOG_LINE_MAX + 128];
	char   ts[40];
	size_t off;
	int    n;

	(void) bb_clock_rfc3339(bb_clock_wall_ns(), ts, sizeof(ts));

	if (atomic_load(&log_format) == BB_LOG_FORMAT_JSON) {
		n   = snprintf(line, sizeof(line),
		               "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"",
		               ts, log_names[level]);
		off = (size_t) n;
		// Leave room for the closing quote, brace and newline (the
		// NUL bb_json_escape writes is overwritten by them).
		off += bb_json_escape(line + off, sizeof(line) - 2 - off, msg);
		memcpy(line + off, "\"}\n", 3);
		off += 3;
	} else {
		n = snprintf(line, sizeof(line), "%s %-5s %s\n", ts,
		             log_names[level], msg);
		off =
		    (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1;
		line[off - 1] = '\n';
	}
	bb_logfile_write(&log_file, line, off);
}
