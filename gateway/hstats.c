// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/hstats.c -- answered requests by method and status code: one
// relaxed atomic add per request into a fixed table (7 methods by 500
// codes, 28 KiB), read by /_metrics.  Counted when libmicrohttpd reports
// a request over (route.c).
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/hstats.h"

#define NCODES (GW__CODE_MAX - GW__CODE_MIN + 1)

struct gw__hstats {
	_Atomic uint64_t n[GW__M_COUNT_][NCODES];
};

static const char *const method_names[GW__M_COUNT_] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "other",
};

bb_err
gw__hstats_new(gw__hstats **hp)
{
	gw__hstats *h;

	// calloc's zero bytes are valid zero atomics where we build.
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return BB_ENOMEM;
	}
	*hp = h;
	return BB_OK;
}

void
gw__hstats_free(gw__hstats *h)
{
	free(h);
}

gw__method
gw__method_of(const char *method)
{
	int i;

	for (i = 0; i < GW__M_OTHER; i++) {
		if (strcmp(method, method_names[i]) == 0) {
			return (gw__method) i;
		}
	}
	return GW__M_OTHER;
}

const char *
gw__method_name(gw__method m)
{
	return (unsigned) m < GW__M_COUNT_ ? method_names[m] : "other";
}

void
gw__hstats_count(gw__hstats *h, gw__method m, unsigned status)
{
	if (h == NULL || (unsigned) m >= GW__M_COUNT_ ||
	    status < GW__CODE_MIN || status > GW__CODE_MAX) {
		return;
	}
	atomic_fetch_add_explicit(&h->n[m][status - GW__CODE_MIN], 1,
	                          memory_order_relaxed);
}

uint64_t
gw__hstats_get(const gw__hstats *h, gw__method m, unsigned status)
{
	if (h == NULL || (unsigned) m >= GW__M_COUNT_ ||
	    status < GW__CODE_MIN || status > GW__CODE_MAX) {
		return 0;
	}
	return atomic_load_explicit(&h->n[m][status - GW__CODE_MIN],
	                            memory_order_relaxed);
}
