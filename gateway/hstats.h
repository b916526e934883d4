// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/hstats.h -- internal to gateway/: the count of answered HTTP
// requests by method and status code, for /_metrics (hstats.c).  Fixed
// arrays of atomics: counting takes no lock and allocates nothing.
#ifndef GATEWAY_HSTATS_H
#define GATEWAY_HSTATS_H

#include <stdint.h>

#include "common/err.h"

// The methods counted apart; every other one is GW__M_OTHER.
typedef enum {
	GW__M_GET = 0,
	GW__M_HEAD,
	GW__M_POST,
	GW__M_PUT,
	GW__M_DELETE,
	GW__M_OPTIONS,
	GW__M_OTHER,
	GW__M_COUNT_,
} gw__method;

// The status codes counted: 100..599, each apart.
#define GW__CODE_MIN 100
#define GW__CODE_MAX 599

typedef struct gw__hstats gw__hstats;

// gw__hstats_new makes a zeroed set.  On BB_OK the caller owns *hp; free
// with gw__hstats_free.  BB_ENOMEM otherwise.
bb_err gw__hstats_new(gw__hstats **hp);

// gw__hstats_free frees h.  NULL is a no-op.
void gw__hstats_free(gw__hstats *h);

// gw__method_of maps a request method ("GET") to its gw__method.
gw__method gw__method_of(const char *method);

// gw__method_name is the label value of m ("GET", "other").  Static.
const char *gw__method_name(gw__method m);

// gw__hstats_count counts one request of method m answered with status.
// A status outside GW__CODE_MIN..GW__CODE_MAX (0: never answered) is not
// counted.  NULL h is a no-op.  Lock-free, any thread.
void gw__hstats_count(gw__hstats *h, gw__method m, unsigned status);

// gw__hstats_get returns the count of method m and status (0 out of
// range).  Thread-safe.
uint64_t gw__hstats_get(const gw__hstats *h, gw__method m, unsigned status);

#endif // GATEWAY_HSTATS_H
