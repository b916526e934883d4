// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/units.c -- the original's value syntax: byte counts with commas
// and unit suffixes, Go duration strings, booleans, and the human byte
// form used in /_status.  Pure functions: no allocation, no global state.
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/units.h"

typedef struct {
	const char *name;
	uint64_t    mult;
} size_unit;

#define KB  1000ULL
#define KIB 1024ULL

// Ordered so that every suffix appears once; the match is on the whole
// remaining text, so "kb" never matches the entry for "k".
static const size_unit size_units[] = {
	{ "b", 1 },
	{ "k", KB },
	{ "kb", KB },
	{ "kib", KIB },
	{ "m", KB *KB },
	{ "mb", KB *KB },
	{ "mib", KIB *KIB },
	{ "g", KB *KB *KB },
	{ "gb", KB *KB *KB },
	{ "gib", KIB *KIB *KIB },
	{ "t", KB *KB *KB *KB },
	{ "tb", KB *KB *KB *KB },
	{ "tib", KIB *KIB *KIB *KIB },
	{ "p", KB *KB *KB *KB *KB },
	{ "pb", KB *KB *KB *KB *KB },
	{ "pib", KIB *KIB *KIB *KIB *KIB },
	{ "e", KB *KB *KB *KB *KB *KB },
	{ "eb", KB *KB *KB *KB *KB *KB },
	{ "eib", KIB *KIB *KIB *KIB *KIB *KIB },
};

bb_err
bb_parse_size(const char *s, uint64_t *out)
{
	uint64_t    v     = 0;
	uint64_t    mult  = 1;
	bool        digit = false; // the previous character was a digit
	bool        big   = false;
	const char *p     = s;
	size_t      i;

	if (s == NULL || *s < '0' || *s > '9') {
		return BB_EINVAL;
	}
	for (; (*p >= '0' && *p <= '9') || *p == ','; p++) {
		if (*p == ',') {
			// "1,,0" and "1," are typos, not numbers.
			if (!digit || p[1] < '0' || p[1] > '9') {
				return BB_EINVAL;
			}
			digit = false;
			continue;
		}
		digit = true;
		if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10) {
			big =
			    true; // keep scanning: bad syntax wins over range
		} else {
			v = v * 10 + (uint64_t) (*p - '0');
		}
	}
	while (*p == ' ' && p[1] != '\0') {
		p++; // "1 GiB" reads well; a trailing blank is a typo
	}
	if (*p != '\0') {
		size_t n = sizeof(size_units) / sizeof(size_units[0]);
		for (i = 0; i < n; i++) {
			if (strcasecmp(p, size_units[i].name) == 0) {
				break;
			}
		}
		if (i == n) {
			return BB_EINVAL;
		}
		mult = size_units[i].mult;
	}
	if (big || (v != 0 && v > UINT64_MAX / mult)) {
		return BB_ERANGE;
	}
	*out = v * mult;
	return BB_OK;
}

typedef struct {
	const char *name;
	uint64_t    ns;
} dur_unit;

// Longest names first so that "ms" is not read as "m" followed by junk.
static const dur_unit dur_units[] = {
	{ "ns", 1ULL },           { "us", 1000ULL },
	{ "\xc2\xb5s", 1000ULL }, // U+00B5 micro sign
	{ "\xce\xbcs", 1000ULL }, // U+03BC Greek small letter mu
	{ "ms", 1000000ULL },     { "s", 1000000000ULL },
	{ "m", 60000000000ULL },  { "h", 3600000000000ULL },
};

// dur_unit_at returns the unit starting at p (its name length in *lenp),
// or NULL.  Two-character units are tried before one-character ones.
static const dur_unit *
dur_unit_at(const char *p, size_t *lenp)
{
	const dur_unit *best     = NULL;
	size_t          best_len = 0;
	size_t          i;

	for (i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]); i++) {
		size_t n = strlen(dur_units[i].name);
		if (n > best_len && strncmp(p, dur_units[i].name, n) == 0) {
			best     = &dur_units[i];
			best_len = n;
		}
	}
	*lenp = best_len;
	return best;
}

// The limit follows Go's time.ParseDuration: magnitudes up to 2^63 are
// accepted so that the most negative duration parses.
#define DUR_LIMIT (1ULL << 63)

bb_err
bb_parse_duration(const char *s, int64_t *out)
{
	const char *p   = s;
	bool        neg = false;
	uint64_t    d   = 0;

	if (s == NULL) {
		return BB_EINVAL;
	}
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (strcmp(p, "0") == 0) {
		*out = 0;
		return BB_OK;
	}
	if (*p == '\0') {
		return BB_EINVAL;
	}
	while (*p != '\0') {
		uint64_t        v = 0, f = 0;
		double          scale = 1;
		bool            any   = false;
		bool            fdrop = false;
		const dur_unit *u;
		size_t          ulen;

		if (!(*p == '.' || (*p >= '0' && *p <= '9'))) {
			return BB_EINVAL;
		}
		for (; *p >= '0' && *p <= '9'; p++) {
			if (v > (DUR_LIMIT - (uint64_t) (*p - '0')) / 10) {
				return BB_ERANGE;
			}
			v   = v * 10 + (uint64_t) (*p - '0');
			any = true;
		}
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++) {
				any = true;
				// Digits beyond uint64 precision cannot change
				// the result in nanoseconds; Go drops them
				// too.
				if (fdrop || f > (UINT64_MAX - 9) / 10) {
					fdrop = true;
					continue;
				}
				f = f * 10 + (uint64_t) (*p - '0');
				scale *= 10;
			}
		}
		if (!any) {
			return BB_EINVAL;
		}
		u = dur_unit_at(p, &ulen);
		if (u == NULL) {
			return BB_EINVAL; // Go: missing or unknown unit
		}
		p += ulen;
		if (v > DUR_LIMIT / u->ns) {
			return BB_ERANGE;
		}
		v *= u->ns;
		if (f > 0) {
			v +=
			    (uint64_t) ((double) f * ((double) u->ns / scale));
			if (v > DUR_LIMIT) {
				return BB_ERANGE;
			}
		}
		d += v;
		if (d > DUR_LIMIT) {
			return BB_ERANGE;
		}
	}
	if (neg) {
		// -(2^63) is representable; negate in unsigned arithmetic.
		*out = (int64_t) (0 - d);
		return BB_OK;
	}
	if (d > DUR_LIMIT - 1) {
		return BB_ERANGE;
	}
	*out = (int64_t) d;
	return BB_OK;
}

bb_err
bb_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[]  = { "false", "no", "off", "0" };
	size_t                   i;

	if (s == NULL) {
		return BB_EINVAL;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return BB_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return BB_OK;
		}
	}
	return BB_EINVAL;
}

char *
bb_format_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B",  "kB", "MB", "GB",
		                             "TB", "PB", "EB" };
	uint64_t                 base    = 1;
	uint64_t                 q;
	size_t                   k = 0;

	if (len == 0) {
		return buf;
	}
	while (n / base >= 1000) {
		base *= 1000;
		k++;
	}
	q = n / base;
	// Three significant digits, truncated; a zero fraction is dropped,
	// and so is a trailing zero ("1.10" prints as "1.1").
	if (k == 0 || q >= 100) {
		(void) snprintf(buf, len, "%llu%s", (unsigned long long) q,
		                units[k]);
	} else if (q >= 10) {
		uint64_t d = n / (base / 10) % 10;
		if (d == 0) {
			(void) snprintf(buf, len, "%llu%s",
			                (unsigned long long) q, units[k]);
		} else {
			(void) snprintf(buf, len, "%llu.%llu%s",
			                (unsigned long long) q,
			                (unsigned long long) d, units[k]);
		}
	} else {
		uint64_t t = n / (base / 100) % 100;
		if (t == 0) {
			(void) snprintf(buf, len, "%llu%s",
			                (unsigned long long) q, units[k]);
		} else if (t % 10 == 0) {
			(void) snprintf(
			    buf, len, "%llu.%llu%s", (unsigned long long) q,
			    (unsigned long long) (t / 10), units[k]);
		} else {
			(void) snprintf(buf, len, "%llu.%02llu%s",
			                (unsigned long long) q,
			                (unsigned long long) t, units[k]);
		}
	}
	return buf;
}

// fmt_frac writes the fraction of v / 10^prec before *w, moving *w back:
// ".25" for 250 with prec 3, nothing at all when the fraction is 0
// (trailing zeros are dropped, as in Go).  Returns v / 10^prec.
static uint64_t
fmt_frac(char *buf, size_t *w, uint64_t v, int prec)
{
	bool print = false;
	int  i;

	for (i = 0; i < prec; i++) {
		uint64_t digit = v % 10;
		print          = print || digit != 0;
		if (print) {
			buf[--*w] = (char) ('0' + digit);
		}
		v /= 10;
	}
	if (print) {
		buf[--*w] = '.';
	}
	return v;
}

// fmt_int writes v in decimal before *w, moving *w back.
static void
fmt_int(char *buf, size_t *w, uint64_t v)
{
	do {
		buf[--*w] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
}

char *
bb_format_duration(int64_t ns, char *buf, size_t len)
{
	char     tmp[32];
	size_t   w   = sizeof(tmp) - 1;
	bool     neg = ns < 0;
	uint64_t u   = neg ? 0 - (uint64_t) ns : (uint64_t) ns;

	// Built from the end, as Go's Duration.format does: the longest
	// value, "-2562047h47m16.854775808s", takes 25 bytes.
	tmp[w] = '\0';
	if (u < 1000000000u) {
		int prec = 0;
		tmp[--w] = 's';
		if (u == 0) {
			tmp[--w] = '0';
			goto out;
		}
		if (u < 1000) {
			tmp[--w] = 'n';
		} else if (u < 1000000) {
			prec     = 3;
			tmp[--w] = '\xb5'; // U+00B5 MICRO SIGN in UTF-8
			tmp[--w] = '\xc2';
		} else {
			prec     = 6;
			tmp[--w] = 'm';
		}
		u = fmt_frac(tmp, &w, u, prec);
		fmt_int(tmp, &w, u);
	} else {
		tmp[--w] = 's';
		u        = fmt_frac(tmp, &w, u, 9);
		fmt_int(tmp, &w, u % 60);
		u /= 60;
		if (u > 0) {
			tmp[--w] = 'm';
			fmt_int(tmp, &w, u % 60);
			u /= 60;
			if (u > 0) {
				tmp[--w] = 'h';
				fmt_int(tmp, &w, u);
			}
		}
	}
	if (neg) {
		tmp[--w] = '-';
	}
out:
	if (len > 0) {
		(void) snprintf(buf, len, "%s", tmp + w);
	}
	return buf;
}
