// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/keyfmt.c -- the s3_key_format compiler and formatter, and Go's
// filepath.Join/Clean.  A format compiles to an array of ops (a slice of
// static text, or one field of the fid) so formatting is a loop with no
// parsing and no allocation.  The odd parts of the language (%y is the
// 4-digit year, %Y the 2-digit one, %q is month/3+1, %u counts Sunday as
// 1) are the original's and are kept on purpose: existing buckets hold
// keys made with them.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/keyfmt.h"

// An op is static text (kind 0) or one field, named by its escape
// character ('.' for %.L); the composites %F %r %R %T compile to several.
typedef struct {
	char    kind;
	char    pad;   // '0', ' ' or 0 for none
	uint8_t width; // digits to pad to
	size_t  off;   // text: k->text[off..off + len)
	size_t  len;
} kf_op;

struct store_keyfmt {
	kf_op *ops; // owned
	size_t nops;
	size_t cap;
	char  *text; // owned: all static text, back to back
	size_t tlen;
	size_t tpend; // start of the text not yet in an op
};

// The escapes that take the - and _ modifiers, with their padded widths,
// and the other single escapes.
static const char    kf_padded[] = "dHIjKLmMSY";
static const uint8_t kf_widths[] = { 2, 2, 2, 3, 5, 10, 2, 2, 2, 2 };
static const char    kf_plain[]  = "aAbBCpPqsuwy";
static const char *kf_wdays[] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
	                          "Thursday", "Friday", "Saturday" };
static const char *kf_months[] = { "January", "February", "March",
	                           "April",   "May",      "June",
	                           "July",    "August",   "September",
	                           "October", "November", "December" };
static const char  kf_fffd[]   = "\xEF\xBF\xBD"; // U+FFFD in UTF-8

// kf_utf8_len returns the length of the valid UTF-8 sequence at s, or 0
// when Go would decode it as an invalid byte (RuneError, width 1).  Stops
// at the NUL: a continuation byte is read only after a valid one.
static size_t
kf_utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t        n;
	size_t        i;

	if (s[0] < 0x80) {
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n  = 3;
		lo = s[0] == 0xE0 ? 0xA0 : 0x80; // no overlong forms
		hi = s[0] == 0xED ? 0x9F : 0xBF; // no surrogates
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n  = 4;
		lo = s[0] == 0xF0 ? 0x90 : 0x80;
		hi = s[0] == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF) {
			return 0;
		}
	}
	return n;
}

static void
kf_text(store_keyfmt *k, const char *s, size_t n)
{
	memcpy(k->text + k->tlen, s, n);
	k->tlen += n;
}

// kf_field appends an op for kind, after one for the pending text.
static void
kf_field(store_keyfmt *k, char kind, char pad, uint8_t width)
{
	kf_op *op;

	// The capacity set in store_keyfmt_new bounds what any format can
	// produce; this only guards against a miscount.
	if (k->nops + 2 > k->cap) {
		abort();
	}
	if (k->tlen > k->tpend) {
		op       = &k->ops[k->nops++];
		op->kind = 0;
		op->off  = k->tpend;
		op->len  = k->tlen - k->tpend;
		k->tpend = k->tlen;
	}
	if (kind != 0) {
		op        = &k->ops[k->nops++];
		op->kind  = kind;
		op->pad   = pad;
		op->width = width;
	}
}

static bool kf_compile(store_keyfmt *k, const char *fmt, char *err,
                       size_t errlen);

// kf_escape compiles the character c that follows "%" (mod 0) or "%-",
// "%_", "%." (mod is the modifier).  Returns false if it is unknown.
static bool
kf_escape(store_keyfmt *k, char mod, char c)
{
	const char *p = strchr(kf_padded, c);

	if (mod == '.') {
		if (c == 'L') {
			kf_field(k, '.', 0, 0);
		}
		return c == 'L';
	}
	if (p != NULL) {
		kf_field(k, c, mod == 0 ? '0' : (mod == '_' ? ' ' : 0),
		         mod == '-' ? 0 : kf_widths[p - kf_padded]);
		return true;
	}
	if (mod != 0) {
		return false;
	}
	if (strchr(kf_plain, c) != NULL) {
		kf_field(k, c, 0, 0);
		return true;
	}
	// The composites expand to their parts, as in the original; note the
	// 4-digit year of %F and the upper case AM/PM of %r.
	p = c == 'F'   ? "%y-%m-%d"
	    : c == 'r' ? "%I:%M:%S %P"
	    : c == 'R' ? "%H:%M"
	    : c == 'T' ? "%H:%M:%S"
	               : NULL;
	return p != NULL && kf_compile(k, p, NULL, 0);
}

// kf_compile appends the ops of fmt to k, reading it rune by rune as Go
// does.  On an error it writes the original's message into err.
static bool
kf_compile(store_keyfmt *k, const char *fmt, char *err, size_t errlen)
{
	const unsigned char *s   = (const unsigned char *) fmt;
	char                 mod = 0;
	bool                 esc = false;
	size_t               i;
	size_t               w;

	for (i = 0; s[i] != '\0'; i += w == 0 ? 1 : w) {
		w = kf_utf8_len(s + i);
		if (!esc && s[i] == '%') {
			esc = true;
			mod = 0;
		} else if (!esc) {
			kf_text(k, w == 0 ? kf_fffd : fmt + i, w == 0 ? 3 : w);
		} else if (mod == 0 && strchr("%nt", s[i]) != NULL) {
			kf_text(
			    k, s[i] == '%' ? "%" : (s[i] == 'n' ? "\n" : "\t"),
			    1);
			esc = false;
		} else if (mod == 0 && strchr("-_.", s[i]) != NULL) {
			mod = fmt[i];
		} else if (w == 1 && kf_escape(k, mod, fmt[i])) {
			esc = false;
		} else {
			if (err != NULL && errlen > 0) {
				(void) snprintf(
				    err, errlen,
				    "Unknown or unsupported escape sequence "
				    "%%%.*s%.*s at %zu",
				    mod == 0 ? 0 : 1, &mod,
				    (int) (w == 0 ? 3 : w),
				    w == 0 ? kf_fffd : fmt + i, i);
			}
			return false;
		}
	}
	if (esc && err != NULL && errlen > 0) {
		(void) snprintf(err, errlen, "Unterminated escape sequence.");
	}
	return !esc;
}

bb_err
store_keyfmt_new(const char *fmt, store_keyfmt **kp, char *err, size_t errlen)
{
	store_keyfmt *k = NULL;
	size_t        n = fmt == NULL ? 0 : strlen(fmt);
	bb_err        rv;

	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return BB_ENOMEM;
	}
	// Each input byte gives at most 3 bytes of text (U+FFFD for an
	// invalid byte) and 4 ops (%r is 7 ops for 2 bytes, text 1 for 1).
	k->cap  = 4 * n + 2;
	k->ops  = calloc(k->cap, sizeof(*k->ops));
	k->text = malloc(3 * n + 1);
	if (k->ops == NULL || k->text == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	if (n > 0 && !kf_compile(k, fmt, err, errlen)) {
		rv = BB_EINVAL;
		goto fail;
	}
	kf_field(k, 0, 0, 0); // the text at the end
	*kp = k;
	return BB_OK;

fail:
	store_keyfmt_free(k);
	return rv;
}

void
store_keyfmt_free(store_keyfmt *k)
{
	if (k == NULL) {
		return;
	}
	free(k->ops);
	free(k->text);
	free(k);
}

// kf_out is a bounded writer: once something does not fit, it stops.
typedef struct {
	char  *buf;
	size_t len;
	size_t pos;
	bool   over;
} kf_out;

static void
kf_put(kf_out *o, const char *s, size_t n)
{
	if (o->over || n >= o->len - o->pos) { // keep room for the NUL
		o->over = true;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
}

// kf_put_num writes v in decimal, padded with pad to width digits.
static void
kf_put_num(kf_out *o, uint64_t v, char pad, size_t width)
{
	char   tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (pad != 0 && sizeof(tmp) - i < width) {
		tmp[--i] = pad;
	}
	kf_put(o, tmp + i, sizeof(tmp) - i);
}

// kf_numbers fills num[c] with the value of each numeric escape c.
// Returns false if the time cannot be broken down (never for a u32).
static bool
kf_numbers(const store_fid *fid, uint64_t *num, struct tm *tm)
{
	time_t t = (time_t) store_fid_seconds(fid);

	if (gmtime_r(&t, tm) == NULL) {
		return false;
	}
	num['y'] = (uint64_t) tm->tm_year + 1900; // %y: 4 digits, %Y: 2
	num['Y'] = num['y'] % 100;
	num['C'] = num['y'] / 100;
	num['m'] = (uint64_t) tm->tm_mon + 1;
	num['q'] = num['m'] / 3 + 1; // the original's: March 2, December 5
	num['d'] = (uint64_t) tm->tm_mday;
	num['j'] = (uint64_t) tm->tm_yday + 1;
	num['H'] = (uint64_t) tm->tm_hour;
	num['I'] = num['H'] % 12 == 0 ? 12 : num['H'] % 12;
	num['M'] = (uint64_t) tm->tm_min;
	num['S'] = (uint64_t) tm->tm_sec;
	num['w'] = (uint64_t) tm->tm_wday;
	num['u'] = num['w'] + 1; // Sunday is 1
	num['s'] = store_fid_seconds(fid);
	num['K'] = store_fid_counter(fid);
	num['L'] = store_fid_machine(fid);
	return true;
}

bb_err
store_keyfmt_format(const store_keyfmt *k, const store_fid *fid, char *buf,
                    size_t len)
{
	kf_out      o        = { buf, len, 0, len == 0 };
	uint64_t    num[128] = { 0 };
	struct tm   tm;
	const char *name;
	size_t      i;
	int         b;
	char        def[STORE_FID_STRLEN + 1];

	if (k == NULL || k->nops == 0) {
		kf_put(&o, store_fid_format(fid, def), STORE_FID_STRLEN);
	} else if (!kf_numbers(fid, num, &tm)) {
		o.over = true;
	}
	for (i = 0; k != NULL && i < k->nops && !o.over; i++) {
		const kf_op *op = &k->ops[i];

		switch (op->kind) {
		case 0:
			kf_put(&o, k->text + op->off, op->len);
			break;
		case 'a':
		case 'A':
		case 'b':
		case 'B':
			name = op->kind == 'a' || op->kind == 'A'
			    ? kf_wdays[tm.tm_wday]
			    : kf_months[tm.tm_mon];
			kf_put(&o, name,
			       op->kind == 'a' || op->kind == 'b'
			           ? 3
			           : strlen(name));
			break;
		case 'p':
		case 'P':
			b = (tm.tm_hour >= 12 ? 4 : 0) +
			    (op->kind == 'P' ? 2 : 0);
			kf_put(&o, &"amAMpmPM"[b], 2);
			break;
		case '.': // the machine id as an IPv4 address
			for (b = 24; b >= 0; b -= 8) {
				kf_put_num(&o, (num['L'] >> b) & 0xFF, 0, 0);
				kf_put(&o, ".", b > 0 ? 1 : 0);
			}
			break;
		default:
			kf_put_num(&o, num[(unsigned char) op->kind], op->pad,
			           op->width);
			break;
		}
	}
	if (o.over) {
		if (len > 0) {
			buf[0] = '\0';
		}
		return BB_ETOOBIG;
	}
	buf[o.pos] = '\0';
	return BB_OK;
}

// kf_rev builds a string from right to left.  With buf NULL it only
// counts, so the same walk sizes the result and then writes it.
typedef struct {
	char  *buf;
	size_t end;  // write position, moving left
	size_t n;    // characters so far
	size_t kept; // path elements so far
} kf_rev;

static void
kf_rev_put(kf_rev *r, const char *s, size_t n)
{
	r->n += n;
	if (r->buf != NULL) {
		r->end -= n;
		memcpy(r->buf + r->end, s, n);
	}
}

static void
kf_rev_elem(kf_rev *r, const char *s, size_t n)
{
	if (r->kept++ > 0) {
		kf_rev_put(r, "/", 1);
	}
	kf_rev_put(r, s, n);
}

// kf_clean walks the elements of base and name (joined by '/') from the
// right.  A ".." cancels the nearest element on its left that is kept, as
// in Go's path.Clean, so counting the ".." still to cancel needs no stack.
static void
kf_clean(const char *parts[2], bool rooted, kf_rev *r)
{
	size_t skip = 0;
	size_t e;
	size_t s;
	int    p;

	for (p = 1; p >= 0; p--) {
		for (e = strlen(parts[p]); e > 0; e = s > 0 ? s - 1 : 0) {
			const char *el;

			for (s = e; s > 0 && parts[p][s - 1] != '/'; s--) {
			}
			el = parts[p] + s;
			if (e == s || (e - s == 1 && el[0] == '.')) {
				continue;
			}
			if (e - s == 2 && el[0] == '.' && el[1] == '.') {
				skip++;
			} else if (skip > 0) {
				skip--;
			} else {
				kf_rev_elem(r, el, e - s);
			}
		}
	}
	// ".." left over climbs above a relative path; at the root it is
	// dropped.
	for (; !rooted && skip > 0; skip--) {
		kf_rev_elem(r, "..", 2);
	}
	if (rooted) {
		kf_rev_put(r, "/", 1);
	} else if (r->kept == 0) {
		kf_rev_put(r, ".", 1);
	}
}

bb_err
store_key_join(const char *base, const char *name, char *buf, size_t len)
{
	const char *parts[2] = { base, name };
	kf_rev      r        = { NULL, 0, 0, 0 };
	bool        rooted;

	// Go's Join skips empty elements and returns "" if nothing is left;
	// otherwise the path is rooted if its first element is.
	rooted = base[0] != '\0' ? base[0] == '/' : name[0] == '/';
	if (base[0] != '\0' || name[0] != '\0') {
		kf_clean(parts, rooted, &r);
	}
	if (r.n >= len) {
		if (len > 0) {
			buf[0] = '\0';
		}
		return BB_ETOOBIG;
	}
	buf[r.n] = '\0';
	r.buf    = buf;
	r.end    = r.n;
	r.n      = 0;
	r.kept   = 0;
	if (r.end > 0) {
		kf_clean(parts, rooted, &r);
	}
	return BB_OK;
}

const char *
store_key_object(const char *key)
{
	while (*key == '/') {
		key++;
	}
	return key;
}

bb_err
store_keyfmt_check_unique(const store_keyfmt *k, char *err, size_t errlen)
{
	// 2020-02-20 02:02:02 UTC, counter 1, machine 2, and its neighbours
	// in each field of the fid.
	static const struct {
		uint32_t    dt;
		uint16_t    dc;
		uint32_t    dm;
		const char *what;
	} step[] = {
		{ 1, 0, 0, "second" },          { 60, 0, 0, "minute" },
		{ 3600, 0, 0, "hour" },         { 86400, 0, 0, "day" },
		{ 31u * 86400, 0, 0, "month" }, { 366u * 86400, 0, 0, "year" },
		{ 0, 1, 0, "counter (%K)" },    { 0, 0, 1, "machine (%L)" },
	};
	const uint32_t t0 = 1582164122u;
	store_fid      a;
	store_fid      b;
	char           ka[512];
	char           kb[512];
	size_t         i;

	store_fid_make(&a, t0, 1, 2);
	if (store_keyfmt_format(k, &a, ka, sizeof(ka)) != BB_OK) {
		(void) snprintf(err, errlen, "the keys it makes are too long");
		return BB_EINVAL;
	}
	for (i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		store_fid_make(&b, t0 + step[i].dt,
		               (uint16_t) (1 + step[i].dc), 2 + step[i].dm);
		if (store_keyfmt_format(k, &b, kb, sizeof(kb)) != BB_OK ||
		    strcmp(ka, kb) == 0) {
			(void) snprintf(
			    err, errlen,
			    "files that differ only in their %s get "
			    "the same key ('%s'): an upload would "
			    "replace another file's object; include "
			    "the time to the second, %%K and %%L",
			    step[i].what, ka);
			return BB_EINVAL;
		}
	}
	return BB_OK;
}
