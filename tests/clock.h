// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/clock.h -- the monotonic clock and sleeps of the tests' bounded
// waits (header-only, like tmpdir.h, so any test can use it whatever it
// links).
#ifndef TESTS_CLOCK_H
#define TESTS_CLOCK_H

#include <stdint.h>
#include <time.h>

// bbt_now_ms is the monotonic clock in milliseconds.
static inline int64_t
bbt_now_ms(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif // TESTS_CLOCK_H
