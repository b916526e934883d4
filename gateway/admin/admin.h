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
#include "gateway/hstats.h"
#include "rpc/rpc.h"
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

// gw__metrics answers /_metrics in the Prometheus text format 0.0.4: with
// legacy set (/_metrics/legacy), the page of the original's names.
enum MHD_Result gw__metrics(gw_server *g, struct MHD_Connection *conn,
                            bool legacy);

// What the metrics page shows of one namespace.
typedef struct gw__ns_metrics {
	const char        *name; // borrowed
	store_metrics_snap snap;
	bool               healthy;
	int64_t            queued_upload_ns; // oldest queued upload, 0: none
	int64_t            unuploaded_ns;    // oldest unarchived first insert
	bool               has_disk;         // the statvfs below worked
	uint64_t           disk_size;        // bytes of its file system
	uint64_t           disk_free;        // free bytes
	uint64_t           disk_avail;       // free to unprivileged users
} gw__ns_metrics;

// What the page shows of the process, from /proc/self (the names of the
// Prometheus client libraries' process collector).
typedef struct gw__proc_stats {
	bool     ok;           // /proc/self/stat was read
	double   cpu_seconds;  // user and system time
	uint64_t rss_bytes;    // resident memory
	uint64_t vsize_bytes;  // virtual memory
	double   start_time_s; // since the epoch
	bool     has_fds;      // /proc/self/fd was read
	uint64_t open_fds;
	uint64_t max_fds;    // RLIMIT_NOFILE, soft
	double   vmax_bytes; // RLIMIT_AS, soft; -1 unlimited
} gw__proc_stats;

// Everything one metrics page shows (borrowed pointers).
typedef struct gw__metrics_page {
	const char                  *prefix; // prepended to label names
	bool                         draining;
	const gw__ns_metrics        *v; // the namespaces, by name
	size_t                       n;
	const store_lifecycle_stats *lc; // NULL: no archive lifecycle
	int64_t                      lc_oldest_ns; // its oldest queued upload
	unsigned                     waiting;      // parked requests
	// The rest is for the new page only (not the legacy one).
	const gw__hstats     *http;  // NULL: none
	const rpc_peer_stats *peers; // peers[0..npeers)
	size_t                npeers;
	const gw__proc_stats *proc;    // NULL: none
	const char           *version; // blobby_build_info
} gw__metrics_page;

// gw__metrics_render writes the page of pg into b: every family with
// the blobby_ prefix, base units and _total on counters (promtool check
// metrics is clean), then the peers', the requests' and the process's.
// Pure: everything it shows is in pg.
void gw__metrics_render(bb_buf *b, const gw__metrics_page *pg);

// gw__metrics_escape appends val to b as a label value of the text
// format: backslash, double quote and newline escaped.
void gw__metrics_escape(bb_buf *b, const char *val);

// gw__metrics_render_legacy writes the page of the original's names
// into b: the original's families (label names prefixed by pg->prefix)
// for the namespaces, the latency histograms, the archive lifecycle's
// counters if pg->lc is not NULL, the parked requests.  Pure.
void gw__metrics_render_legacy(bb_buf *b, const gw__metrics_page *pg);

// A writer of Prometheus samples (metrics.c), for metrics_node.c.
typedef struct gw__prom {
	bb_buf     *b;
	const char *prefix; // of every label name but Prometheus' le
	int         nl;     // labels written in the sample being written
} gw__prom;

// gw__prom_family writes the HELP and TYPE lines of a family.
void gw__prom_family(gw__prom *o, const char *name, const char *type,
                     const char *help);

// gw__prom_name starts a sample of name (suffix appended, may be "");
// gw__prom_label adds <prefix>key="val" (escaped); gw__prom_u64, _f and
// _ns end it with an integer, a float or nanoseconds written as exact
// seconds.
void gw__prom_name(gw__prom *o, const char *name, const char *suffix);
void gw__prom_label(gw__prom *o, const char *key, const char *val);
void gw__prom_u64(gw__prom *o, uint64_t v);
void gw__prom_f(gw__prom *o, double v);
void gw__prom_ns(gw__prom *o, uint64_t ns);

// gw__prom_hist writes the samples of one histogram: cumulative buckets
// (bounds store_metrics_bound_le, then +Inf), sum and count, each with
// the label key="val" when key is not NULL.
void gw__prom_hist(gw__prom *o, const char *name, const char *key,
                   const char *val, const uint64_t *buckets, uint64_t count,
                   uint64_t sum_ns);

// gw__metrics_render_node writes the families of the node (metrics_node.c):
// build info, HTTP requests, peers' calls, the process.  Pure.
void gw__metrics_render_node(gw__prom *o, const gw__metrics_page *pg);

// gw__proc_read fills *ps from /proc/self (what it cannot read stays
// unset: ok and has_fds false).  gw__disk_read fills the disk fields of v
// with statvfs(dir).  Both blocking but quick; any thread.
void gw__proc_read(gw__proc_stats *ps);
void gw__disk_read(const char *dir, gw__ns_metrics *v);

#endif // GATEWAY_ADMIN_ADMIN_H
