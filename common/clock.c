// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/clock.c -- clock_gettime wrappers and timestamp formatting.
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"

static int64_t
clock_read(clockid_t id)
{
	struct timespec ts;

	// clock_gettime cannot fail for these clocks on Linux.
	(void) clock_gettime(id, &ts);
	return (int64_t) ts.tv_sec * BB_NS_PER_SEC + ts.tv_nsec;
}

int64_t
bb_clock_wall_ns(void)
{
	return clock_read(CLOCK_REALTIME);
}

int64_t
bb_clock_mono_ns(void)
{
	return clock_read(CLOCK_MONOTONIC);
}

char *
bb_clock_rfc3339(int64_t wall_ns, char *buf, size_t len)
{
	time_t    secs = (time_t) (wall_ns / BB_NS_PER_SEC);
	int       ms   = (int) ((wall_ns % BB_NS_PER_SEC) / BB_NS_PER_MS);
	struct tm tm;

	if (len == 0) {
		return buf;
	}
	if (gmtime_r(&secs, &tm) == NULL) {
		buf[0] = '\0';
		return buf;
	}
	(void) snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

struct timespec
bb_clock_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec  = (time_t) (ns / BB_NS_PER_SEC);
	ts.tv_nsec = (long) (ns % BB_NS_PER_SEC);
	return ts;
}

int
bb_clock_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int                rv;

	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rv = pthread_cond_init(cv, &ca);
	(void) pthread_condattr_destroy(&ca);
	return rv;
}

void
bb_clock_sleep_ns(int64_t ns)
{
	struct timespec ts;

	if (ns <= 0) {
		return;
	}
	ts = bb_clock_ts(ns);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		// the remaining time is already in ts
	}
}
