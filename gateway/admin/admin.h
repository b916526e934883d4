// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/admin/admin.h -- internal to gateway/: the endpoints under /_
// (admin.c dispatches, status.c and metrics.c render).
#ifndef GATEWAY_ADMIN_ADMIN_H
#define GATEWAY_ADMIN_ADMIN_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "gateway/gateway.h"
#include "storage/lifecycle/lifecycle.h"
#include "storage/metrics.h"

// gw__admin answers GET, HEAD or POST /_<anything> (the caller checked
// the method): each endpoint behind its ACL, 404 for unknown ones.  POST
// is for the endpoints that change state (/_shutdown), whose requests a
// browser sent on behalf of another site are refused.
enum MHD_Result gw__admin(gw_server *g, struct MHD_Connection *conn,
                          const char *url, const char *method);

// gw__status answers /_status: text, or JSON with json set.
enum MHD_Result gw__status(gw_server *g, struct MHD_Connection *conn,
                           bool json);

// gw__metrics answers /_metrics in the Prometheus text format 0.0.4.
enum MHD_Result gw__metrics(gw_server *g, struct MHD_Connection *conn);

// What the metrics page shows of one namespace.
typedef struct gw__ns_metrics {
	const char        *name; // borrowed
	store_metrics_snap snap;
	bool               healthy;
	int64_t            queued_upload_ns; // oldest queued upload, 0: none
	int64_t            unuploaded_ns;    // oldest unarchived first insert
} gw__ns_metrics;

// gw__metrics_render writes the metrics page into b: the families of the
// original (label names prefixed by prefix) for the namespaces v[0..n),
// the latency histograms and, if lc is not NULL, the archive lifecycle's
// process-wide counters, lc_oldest_ns being the age of its oldest queued
// upload.  Pure: everything it shows is in its arguments.
void gw__metrics_render(bb_buf *b, const char *prefix, bool draining,
                        const gw__ns_metrics *v, size_t n,
                        const store_lifecycle_stats *lc, int64_t lc_oldest_ns);

#endif // GATEWAY_ADMIN_ADMIN_H
