// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/admin/metrics_legacy.c -- /_metrics/legacy: the page /_metrics
// served before it followed Prometheus' naming conventions, unchanged:
// the original's families with its names and namespace label (counters
// without _total, timing_data_nanoseconds), the latency histograms, the
// archive lifecycle's counters, the parked requests.  Kept for the
// dashboards of the original (docs/OPERATIONS.md maps every name to the
// new one).  Pure: everything it shows is in its argument.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_impl.h"

// The page being written and what every line needs.
typedef struct metrics_out {
	bb_buf               *b;
	const char           *prefix; // prepended to label names
	const gw__ns_metrics *v;
	size_t                n;
	bool                  first; // no family written yet
} metrics_out;

// metrics_family starts a family: a blank line after the previous one
// (none after the last, as the original), then TYPE and HELP.
static void
metrics_family(metrics_out *o, const char *name, const char *type,
               const char *help)
{
	if (!o->first) {
		bb_buf_put(o->b, "\n", 1);
	}
	o->first = false;
	bb_buf_printf(o->b, "# TYPE %s %s\n# HELP %s %s\n", name, type, name,
	              help);
}

// metrics_label writes <prefix>namespace="<ns>" with the value escaped
// as the format requires (namespace names need none today; a prefix or a
// later name rule must not be able to break the page).
static void
metrics_label(metrics_out *o, const char *ns)
{
	bb_buf_printf(o->b, "%snamespace=\"", o->prefix);
	gw__metrics_escape(o->b, ns);
	bb_buf_put(o->b, "\"", 1);
}

// SNAP_AT is the offset in a gw__ns_metrics of element i of the uint64_t
// array field of its snapshot.
#define SNAP_AT(field, i)                      \
	(offsetof(gw__ns_metrics, snap) +      \
	 offsetof(store_metrics_snap, field) + \
	 (size_t) (i) * sizeof(uint64_t))

// metrics_per_ns writes one integer line per namespace for a family: the
// uint64_t at byte offset off of each namespace's gw__ns_metrics.
static void
metrics_per_ns(metrics_out *o, const char *name, const char *type,
               const char *help, size_t off)
{
	uint64_t val;
	size_t   i;

	metrics_family(o, name, type, help);
	for (i = 0; i < o->n; i++) {
		memcpy(&val, (const char *) &o->v[i] + off, sizeof(val));
		bb_buf_printf(o->b, "%s{", name);
		metrics_label(o, o->v[i].name);
		bb_buf_printf(o->b, "} %llu\n", (unsigned long long) val);
	}
}

// metrics_ctr writes a counter of storage/metrics.h.
static void
metrics_ctr(metrics_out *o, store_ctr c, const char *help)
{
	metrics_per_ns(o, store_metrics_ctr_name(c), "counter", help,
	               SNAP_AT(counters, c));
}

// metrics_op writes the three families of an operation.
static void
metrics_op(metrics_out *o, store_op op)
{
	const char *base = store_metrics_op_name(op);
	const char *what = store_metrics_op_what(op);
	char        name[64];
	char        help[128];

	(void) snprintf(name, sizeof(name), "%s_failures", base);
	(void) snprintf(help, sizeof(help), "Number of failed %s", what);
	metrics_per_ns(o, name, "counter", help, SNAP_AT(failures, op));
	(void) snprintf(name, sizeof(name), "%s_successes", base);
	(void) snprintf(help, sizeof(help), "Number of successful %s", what);
	metrics_per_ns(o, name, "counter", help, SNAP_AT(successes, op));
	(void) snprintf(name, sizeof(name), "%s_total", base);
	(void) snprintf(help, sizeof(help), "Total number of %s", what);
	metrics_per_ns(o, name, "counter", help, SNAP_AT(total, op));
}

// metrics_seconds writes a gauge of seconds per namespace (%f, as the
// original): the oldest queued upload, or (queued false) the oldest
// unarchived first insert.
static void
metrics_seconds(metrics_out *o, const char *name, const char *help,
                bool queued)
{
	int64_t ns;
	size_t  i;

	metrics_family(o, name, "gauge", help);
	for (i = 0; i < o->n; i++) {
		ns = queued ? o->v[i].queued_upload_ns : o->v[i].unuploaded_ns;
		bb_buf_printf(o->b, "%s{", name);
		metrics_label(o, o->v[i].name);
		bb_buf_printf(o->b, "} %f\n", (double) ns / 1e9);
	}
}

// metrics_internal writes internal_errors{namespace,type="insert"}.
static void
metrics_internal(metrics_out *o)
{
	size_t i;

	metrics_family(o, "internal_errors", "counter",
	               "The number of internally generated errors "
	               "encountered.");
	for (i = 0; i < o->n; i++) {
		bb_buf_printf(o->b, "internal_errors{");
		metrics_label(o, o->v[i].name);
		bb_buf_printf(
		    o->b, ",%stype=\"insert\"} %llu\n", o->prefix,
		    (unsigned long long) o->v[i]
		        .snap.counters[STORE_CTR_INTERNAL_ERRORS_INSERT]);
	}
}

// metrics_timing writes timing_data_nanoseconds{namespace,type}.
static void
metrics_timing(metrics_out *o)
{
	static const store_ctr kinds[] = { STORE_CTR_TIME_QUEUE_NS,
		                           STORE_CTR_TIME_REPLICATE_NS,
		                           STORE_CTR_TIME_WRITE_NS };
	size_t                 i;
	size_t                 k;

	metrics_family(o, "timing_data_nanoseconds", "counter",
	               "The amount of time various operations have taken in "
	               "aggregate since server startup.");
	for (i = 0; i < o->n; i++) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			bb_buf_printf(o->b, "timing_data_nanoseconds{");
			metrics_label(o, o->v[i].name);
			bb_buf_printf(o->b, ",%stype=\"%s\"} %llu\n",
			              o->prefix,
			              store_metrics_ctr_name(kinds[k]),
			              (unsigned long long) o->v[i]
			                  .snap.counters[kinds[k]]);
		}
	}
}

// metrics_hist writes one histogram family: cumulative buckets, the sum
// in seconds (exact, from nanoseconds) and the count.
static void
metrics_hist(metrics_out *o, store_hist h, const char *help)
{
	const char            *name = store_metrics_hist_name(h);
	const store_hist_snap *hs;
	size_t                 i;
	int                    k;

	metrics_family(o, name, "histogram", help);
	for (i = 0; i < o->n; i++) {
		hs = &o->v[i].snap.hists[h];
		for (k = 0; k <= STORE_HIST_NBOUNDS; k++) {
			bb_buf_printf(o->b, "%s_bucket{", name);
			metrics_label(o, o->v[i].name);
			// le is Prometheus' own label: never prefixed.
			bb_buf_printf(o->b, ",le=\"%s\"} %llu\n",
			              store_metrics_bound_le(k),
			              (unsigned long long) hs->buckets[k]);
		}
		bb_buf_printf(o->b, "%s_sum{", name);
		metrics_label(o, o->v[i].name);
		bb_buf_printf(o->b, "} %llu.%09llu\n",
		              (unsigned long long) (hs->sum_ns / 1000000000u),
		              (unsigned long long) (hs->sum_ns % 1000000000u));
		bb_buf_printf(o->b, "%s_count{", name);
		metrics_label(o, o->v[i].name);
		bb_buf_printf(o->b, "} %llu\n",
		              (unsigned long long) hs->count);
	}
}

// metrics_global writes one process-wide value (no labels).
static void
metrics_global(metrics_out *o, const char *name, const char *type,
               const char *help, uint64_t v)
{
	metrics_family(o, name, type, help);
	bb_buf_printf(o->b, "%s %llu\n", name, (unsigned long long) v);
}

// metrics_lifecycle writes the archive lifecycle's counters.
static void
metrics_lifecycle(metrics_out *o, const store_lifecycle_stats *lc,
                  int64_t oldest_age_ns)
{
	metrics_global(o, "blobby_archive_uploads", "counter",
	               "Objects stored in the archive and verified.",
	               lc->uploads);
	metrics_global(o, "blobby_archive_uploads_existing", "counter",
	               "Files found in the archive with the same bytes "
	               "already, so not sent again.",
	               lc->uploads_existing);
	metrics_global(o, "blobby_archive_upload_failures", "counter",
	               "Upload attempts that failed (each is retried).",
	               lc->upload_failures);
	metrics_global(o, "blobby_archive_upload_conflicts", "counter",
	               "Of those, uploads refused because the archive holds "
	               "other bytes under the key (both copies kept).",
	               lc->upload_conflicts);
	metrics_global(o, "blobby_archive_uploaded_bytes", "counter",
	               "Bytes of the objects stored in the archive.",
	               lc->uploaded_bytes);
	metrics_global(o, "blobby_archive_compressions", "counter",
	               "Compressed copies made for the archive.",
	               lc->compressions);
	metrics_global(o, "blobby_archive_compression_failures", "counter",
	               "Compressions that failed (each is retried).",
	               lc->compression_failures);
	metrics_global(o, "blobby_archive_remote_deletes", "counter",
	               "Replicas removed on peers after an upload.",
	               lc->remote_deletes);
	metrics_global(o, "blobby_archive_remote_delete_failures", "counter",
	               "Replicas that peers did not remove when asked.",
	               lc->remote_delete_failures);
	metrics_global(o, "blobby_archive_local_deletes", "counter",
	               "Local files removed after their data was archived.",
	               lc->local_deletes);
	metrics_global(o, "blobby_archive_local_delete_failures", "counter",
	               "Local removals that failed (each is retried).",
	               lc->local_delete_failures);
	metrics_global(o, "blobby_archive_queued_files", "gauge",
	               "Files waiting in any step of the archive lifecycle.",
	               lc->queued);
	metrics_family(o, "blobby_archive_oldest_queued_upload_seconds",
	               "gauge",
	               "How long the oldest file waiting for its upload has "
	               "waited.");
	bb_buf_printf(o->b, "blobby_archive_oldest_queued_upload_seconds %f\n",
	              (double) oldest_age_ns / 1e9);
}

void
gw__metrics_render_legacy(bb_buf *b, const gw__metrics_page *pg)
{
	metrics_out o = { b, pg->prefix != NULL ? pg->prefix : "", pg->v,
		          pg->n, true };
	const gw__ns_metrics *v        = pg->v;
	size_t                n        = pg->n;
	bool                  draining = pg->draining;
	size_t                i;
	int                   op;

	metrics_family(&o, "shutting_down", "gauge",
	               "1 while the server is shutting down (drain mode).");
	bb_buf_printf(b, "shutting_down %d\n", draining ? 1 : 0);
	metrics_family(&o, "namespaces_healthy", "gauge",
	               "1 if the namespace can take inserts, else 0.");
	for (i = 0; i < n; i++) {
		bb_buf_printf(b, "namespaces_healthy{");
		metrics_label(&o, v[i].name);
		bb_buf_printf(b, "} %d\n", v[i].healthy ? 1 : 0);
	}
	// From here the original's families in its (alphabetical) order.
	metrics_ctr(&o, STORE_CTR_ARCHIVE_CONFLICTS,
	            "Uploads refused because the archive holds different "
	            "bytes under the key (neither copy a prefix of the "
	            "other): the object and the local file are both kept.");
	metrics_ctr(&o, STORE_CTR_BYTES_INSERTED,
	            "Bytes successfully inserted to this namespace.");
	metrics_op(&o, STORE_OP_FILE_DELETION);
	metrics_ctr(&o, STORE_CTR_INSERT_BATCHES,
	            "Batches of inserts committed together (one replication "
	            "round trip and, with fsync, one fdatasync each): "
	            "primary_insert_successes / insert_batches is the mean "
	            "batch.");
	metrics_internal(&o);
	metrics_seconds(&o, "oldest_queued_upload_seconds",
	                "The amount of time the oldest file has been queued "
	                "for upload.",
	                true);
	metrics_op(&o, STORE_OP_PRIMARY_DELETE);
	metrics_op(&o, STORE_OP_PRIMARY_INSERT);
	metrics_seconds(&o, "primary_oldest_unuploaded_file_age_seconds",
	                "Age (in seconds) of oldest file that has not been "
	                "uploaded to S3",
	                false);
	metrics_op(&o, STORE_OP_PRIMARY_OPEN);
	metrics_op(&o, STORE_OP_PRIMARY_UPLOAD);
	metrics_family(&o, "queued_inserts", "gauge",
	               "The number of inserts waiting in queue for a file to "
	               "write to (with group commit, for a committer).");
	for (i = 0; i < n; i++) {
		bb_buf_printf(b, "queued_inserts{");
		metrics_label(&o, v[i].name);
		bb_buf_printf(b, "} %lld\n",
		              (long long) v[i].snap.queued_inserts);
	}
	for (op = STORE_OP_REPLICA_DELETE; op < STORE_OP_N_; op++) {
		metrics_op(&o, (store_op) op);
	}
	metrics_ctr(&o, STORE_CTR_REPLICAS_ORPHANED,
	            "Count of the number of replicas that have been marked as "
	            "orphaned and have moved into an uploading state.");
	metrics_timing(&o);
	metrics_hist(&o, STORE_HIST_INSERT,
	             "Time of whole inserts (wait for a file, write, "
	             "replicate), failed ones included.");
	metrics_hist(&o, STORE_HIST_REPLICATE,
	             "Time of the replication part of inserts with replicas.");
	metrics_hist(&o, STORE_HIST_READ,
	             "Time to find the bytes of a read and start the response "
	             "(local, forwarded or archive).");
	if (pg->lc != NULL) {
		metrics_lifecycle(&o, pg->lc, pg->lc_oldest_ns);
	}
	// The requests whose connection is parked (no thread held) while
	// storage stores them or a peer answers.
	metrics_global(&o, "blobby_http_waiting_requests", "gauge",
	               "Requests parked while storage or a peer works for "
	               "them (inserts, forwarded reads); they hold no HTTP "
	               "thread.",
	               pg->waiting);
}
