// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/units.h -- sizes ("100m", "1gib", "1,024") and durations ("30s",
// "1h30m", "1.5h") as the original parses them, and their printing.
#ifndef COMMON_UNITS_H
#define COMMON_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

// bb_parse_size parses a byte count: digits with optional commas, then an
// optional case-insensitive suffix b, k/kb (1e3), kib (2^10), m/mb, mib,
// g/gb, gib, t/tb, tib, p/pb, pib, e/eb, eib.  On BB_OK *out is set.
// BB_EINVAL for bad syntax, BB_ERANGE for a value above UINT64_MAX.
bb_err bb_parse_size(const char *s, uint64_t *out);

// bb_parse_duration parses a Go duration ("300ms", "1.5h", "2h45m", "0")
// into nanoseconds.  Units ns, us, µs, ms, s, m, h.  A leading '-' is
// accepted.  On BB_OK *out is set.  BB_EINVAL for bad syntax, BB_ERANGE
// for overflow.
bb_err bb_parse_duration(const char *s, int64_t *out);

// bb_parse_bool accepts true/false, yes/no, on/off, 1/0 (case-insensitive).
bb_err bb_parse_bool(const char *s, bool *out);

// bb_format_bytes writes n in the original's human form (SI, three
// significant digits truncated: "1.01kB", "999kB", "18.4EB") into buf.
// Returns buf.
char *bb_format_bytes(uint64_t n, char *buf, size_t len);

// bb_format_duration writes ns as Go's time.Duration.String() does
// ("0s", "999ns", "1.5ms", "1m1s", "2h0m0.5s", "-3s") into buf, truncated
// to len (32 bytes always suffice).  Returns buf.
char *bb_format_duration(int64_t ns, char *buf, size_t len);

#endif // COMMON_UNITS_H
