// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/guard.c -- the framing and same-origin checks of guard.h.
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "gateway/guard.h"

typedef struct guard_heads {
	unsigned    nlength; // Content-Length headers
	unsigned    ncoding; // Transfer-Encoding headers
	const char *coding;  // the last Transfer-Encoding
} guard_heads;

// guard_count counts the framing headers: every one of them, where
// MHD_lookup_connection_value would give the first only.
static enum MHD_Result
guard_count(void *cls, enum MHD_ValueKind kind, const char *key,
            const char *value)
{
	guard_heads *h = cls;

	(void) kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		h->nlength++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		h->ncoding++;
		h->coding = value;
	}
	return MHD_YES;
}

bool
gw__guard_framing(struct MHD_Connection *conn, const char **why)
{
	guard_heads h = { 0, 0, NULL };

	(void) MHD_get_connection_values(conn, MHD_HEADER_KIND, guard_count,
	                                 &h);
	if (h.nlength > 1) {
		*why = "Invalid request: more than one Content-Length.";
		return false;
	}
	if (h.ncoding > 0 && h.nlength > 0) {
		*why = "Invalid request: both Content-Length and "
		       "Transfer-Encoding.";
		return false;
	}
	if (h.ncoding > 1 ||
	    (h.ncoding == 1 && strcasecmp(h.coding, "chunked") != 0)) {
		*why = "Invalid request: the only Transfer-Encoding taken is "
		       "chunked.";
		return false;
	}
	return true;
}

// guard_origin_host says whether origin ("scheme://host[:port]") names
// host (the Host header: "host[:port]"), ignoring case.
static bool
guard_origin_host(const char *origin, const char *host)
{
	const char *h = strstr(origin, "://");

	if (h == NULL || host == NULL) {
		return false;
	}
	h += 3;
	return strcasecmp(h, host) == 0;
}

bool
gw__guard_same_origin(struct MHD_Connection *conn, const char **why)
{
	const char *site;
	const char *origin;
	const char *host;

	site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                   "Sec-Fetch-Site");
	if (site != NULL && strcasecmp(site, "same-origin") != 0 &&
	    strcasecmp(site, "none") != 0) {
		*why = "Cross-site request refused: send it from the same "
		       "origin or without a browser.";
		return false;
	}
	origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	host   = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                     MHD_HTTP_HEADER_HOST);
	if (origin != NULL && !guard_origin_host(origin, host)) {
		*why = "Cross-site request refused: its Origin is not this "
		       "server.";
		return false;
	}
	return true;
}
