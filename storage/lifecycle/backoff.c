// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/lifecycle/backoff.c -- the retry schedule of the archive lifecycle:
// exponential, capped, with jitter (the original retried at once, in a
// tight loop).
#include "storage/lifecycle/backoff.h"

// backoff_rand is xorshift64*: jitter needs spread, not secrecy.
static uint64_t
backoff_rand(uint64_t *seed)
{
	uint64_t x = *seed != 0 ? *seed : UINT64_C(0x9e3779b97f4a7c15);

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*seed = x;
	return x * UINT64_C(2685821657736338717);
}

int64_t
store_backoff(uint32_t failures, int64_t initial_ns, int64_t max_ns,
              uint64_t *seed)
{
	int64_t  d = initial_ns > 0 ? initial_ns : 1;
	uint32_t i;

	if (max_ns < d) {
		max_ns = d;
	}
	for (i = 1; i < failures && d < max_ns; i++) {
		d = d > max_ns / 2 ? max_ns : d * 2;
	}
	// The upper half is random: [d/2, d].
	return d - (int64_t) (backoff_rand(seed) % (uint64_t) (d / 2 + 1));
}
