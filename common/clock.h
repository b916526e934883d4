// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/clock.h -- wall and monotonic time in nanoseconds, and RFC 3339
// timestamps for logs.
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BB_NS_PER_SEC INT64_C(1000000000)
#define BB_NS_PER_MS  INT64_C(1000000)

// bb_clock_wall_ns returns the wall-clock time (CLOCK_REALTIME) in
// nanoseconds since the Unix epoch.  Use it for what is stored (file ids).
int64_t bb_clock_wall_ns(void);

// bb_clock_mono_ns returns CLOCK_MONOTONIC in nanoseconds.  Use it for
// deadlines, timeouts and durations: it never jumps.
int64_t bb_clock_mono_ns(void);

// bb_clock_rfc3339 writes wall_ns as "2026-11-25T00:37:18.123Z" (UTC,
// milliseconds) into buf, which should hold at least 32 bytes.  Returns
// buf.
char *bb_clock_rfc3339(int64_t wall_ns, char *buf, size_t len);

// bb_clock_ts converts ns (a bb_clock_mono_ns deadline, say) to a
// timespec, as pthread_cond_timedwait on a CLOCK_MONOTONIC condition
// variable takes it.
struct timespec bb_clock_ts(int64_t ns);

// bb_clock_cond_init initialises cv so that pthread_cond_timedwait takes
// its deadlines on CLOCK_MONOTONIC (bb_clock_ts of a bb_clock_mono_ns
// time): a wall-clock jump must not shorten or stretch a wait.  Returns
// pthread_cond_init's result.
int bb_clock_cond_init(pthread_cond_t *cv);

// bb_clock_sleep_ns sleeps for ns nanoseconds (restarting on EINTR).
void bb_clock_sleep_ns(int64_t ns);

#endif // COMMON_CLOCK_H
