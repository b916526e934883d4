// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/admin/metrics.c -- /_metrics: the Prometheus text format 0.0.4
// by Prometheus' conventions (promtool check metrics is clean): every
// family blobby_-prefixed, in base units, counters ending in _total.
// Here the writer of samples, the namespaces' and the archive's families
// and the handler that gathers the values; the node's own families
// (process, peers, requests) are metrics_node.c's, the page of the
// original's names metrics_legacy.c's.  docs/OPERATIONS.md maps each old
// name to its new one.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "gateway/gateway_impl.h"

#define METRICS_PAGE_MAX (16 * 1024 * 1024)

void
gw__prom_family(gw__prom *o, const char *name, const char *type,
                const char *help)
{
	bb_buf_printf(o->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	              type);
}

void
gw__prom_name(gw__prom *o, const char *name, const char *suffix)
{
	bb_buf_printf(o->b, "%s%s", name, suffix);
	o->nl = 0;
}

// prom_label_raw adds a label whose name is written as is (le).
static void
prom_label_raw(gw__prom *o, const char *pfx, const char *key, const char *val)
{
	bb_buf_printf(o->b, "%c%s%s=\"", o->nl == 0 ? '{' : ',', pfx, key);
	o->nl++;
	gw__metrics_escape(o->b, val);
	bb_buf_put(o->b, "\"", 1);
}

void
gw__metrics_escape(bb_buf *b, const char *val)
{
	const char *p;

	// The format's escapes: namespace names need none today, but a
	// prefix or a later name rule must not be able to break the page.
	for (p = val; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"') {
			bb_buf_put(b, "\\", 1);
			bb_buf_put(b, p, 1);
		} else if (*p == '\n') {
			bb_buf_put(b, "\\n", 2);
		} else {
			bb_buf_put(b, p, 1);
		}
	}
}

void
gw__prom_label(gw__prom *o, const char *key, const char *val)
{
	prom_label_raw(o, o->prefix, key, val);
}

// prom_end closes the label set, if any.
static void
prom_end(gw__prom *o)
{
	if (o->nl > 0) {
		bb_buf_put(o->b, "}", 1);
	}
}

void
gw__prom_u64(gw__prom *o, uint64_t v)
{
	prom_end(o);
	bb_buf_printf(o->b, " %llu\n", (unsigned long long) v);
}

void
gw__prom_f(gw__prom *o, double v)
{
	prom_end(o);
	// Whole numbers (bytes, descriptors) in full, not as 1.23e+09; the
	// rest (CPU seconds, a start time) to the microsecond.
	if (v == (double) (long long) v && v > -9e15 && v < 9e15) {
		bb_buf_printf(o->b, " %lld\n", (long long) v);
	} else {
		bb_buf_printf(o->b, " %.6f\n", v);
	}
}

void
gw__prom_ns(gw__prom *o, uint64_t ns)
{
	prom_end(o);
	// Exact: no rounding through a double.
	bb_buf_printf(o->b, " %llu.%09llu\n",
	              (unsigned long long) (ns / 1000000000u),
	              (unsigned long long) (ns % 1000000000u));
}

void
gw__prom_hist(gw__prom *o, const char *name, const char *key, const char *val,
              const uint64_t *buckets, uint64_t count, uint64_t sum_ns)
{
	int k;

	for (k = 0; k <= STORE_HIST_NBOUNDS; k++) {
		gw__prom_name(o, name, "_bucket");
		if (key != NULL) {
			gw__prom_label(o, key, val);
		}
		// le is Prometheus' own label: never prefixed.
		prom_label_raw(o, "", "le", store_metrics_bound_le(k));
		gw__prom_u64(o, buckets[k]);
	}
	gw__prom_name(o, name, "_sum");
	if (key != NULL) {
		gw__prom_label(o, key, val);
	}
	gw__prom_ns(o, sum_ns);
	gw__prom_name(o, name, "_count");
	if (key != NULL) {
		gw__prom_label(o, key, val);
	}
	gw__prom_u64(o, count);
}

// The kinds of per-namespace values.
typedef enum {
	NS_COUNTER,  // snap.counters[idx]
	NS_SUCCESS,  // snap.successes[idx]
	NS_FAILURE,  // snap.failures[idx]
	NS_TOTAL,    // snap.total[idx]
	NS_HEALTHY,  // healthy
	NS_QUEUED,   // snap.queued_inserts
	NS_QUEUE_S,  // queued_upload_ns, as seconds
	NS_UNUPL_S,  // unuploaded_ns, as seconds
	NS_DISK_SZ,  // disk_size
	NS_DISK_FR,  // disk_free
	NS_DISK_AV,  // disk_avail
	NS_TIME_SUM, // snap.counters[idx], nanoseconds, as seconds
} ns_kind;

// ns_value writes the value of kind k (index idx) of namespace v.
static void
ns_value(gw__prom *o, const gw__ns_metrics *v, ns_kind k, int idx)
{
	switch (k) {
	case NS_COUNTER:
		gw__prom_u64(o, v->snap.counters[idx]);
		break;
	case NS_SUCCESS:
		gw__prom_u64(o, v->snap.successes[idx]);
		break;
	case NS_FAILURE:
		gw__prom_u64(o, v->snap.failures[idx]);
		break;
	case NS_TOTAL:
		gw__prom_u64(o, v->snap.total[idx]);
		break;
	case NS_HEALTHY:
		gw__prom_u64(o, v->healthy ? 1 : 0);
		break;
	case NS_QUEUED:
		gw__prom_u64(o,
		             v->snap.queued_inserts > 0
		                 ? (uint64_t) v->snap.queued_inserts
		                 : 0);
		break;
	case NS_QUEUE_S:
		gw__prom_ns(o,
		            v->queued_upload_ns > 0
		                ? (uint64_t) v->queued_upload_ns
		                : 0);
		break;
	case NS_UNUPL_S:
		gw__prom_ns(
		    o, v->unuploaded_ns > 0 ? (uint64_t) v->unuploaded_ns : 0);
		break;
	case NS_DISK_SZ:
		gw__prom_u64(o, v->disk_size);
		break;
	case NS_DISK_FR:
		gw__prom_u64(o, v->disk_free);
		break;
	case NS_DISK_AV:
		gw__prom_u64(o, v->disk_avail);
		break;
	case NS_TIME_SUM:
		gw__prom_ns(o, v->snap.counters[idx]);
		break;
	}
}

// ns_family writes one family with a sample per namespace.
static void
ns_family(gw__prom *o, const gw__metrics_page *pg, const char *name,
          const char *type, const char *help, ns_kind k, int idx)
{
	size_t i;
	bool   disk = k == NS_DISK_SZ || k == NS_DISK_FR || k == NS_DISK_AV;

	gw__prom_family(o, name, type, help);
	for (i = 0; i < pg->n; i++) {
		if (disk && !pg->v[i].has_disk) {
			continue;
		}
		gw__prom_name(o, name, "");
		gw__prom_label(o, "namespace", pg->v[i].name);
		ns_value(o, &pg->v[i], k, idx);
	}
}

// ns_ops writes the three counters of each operation of
// storage/metrics.h: blobby_<op>_total, _successes_total,
// _failures_total (the original's <op>_total, _successes, _failures).
static void
ns_ops(gw__prom *o, const gw__metrics_page *pg)
{
	const char *base;
	const char *what;
	char        name[96];
	char        help[128];
	int         op;

	for (op = 0; op < STORE_OP_N_; op++) {
		base = store_metrics_op_name((store_op) op);
		what = store_metrics_op_what((store_op) op);
		(void) snprintf(name, sizeof(name), "blobby_%s_total", base);
		(void) snprintf(help, sizeof(help), "All %s.", what);
		ns_family(o, pg, name, "counter", help, NS_TOTAL, op);
		(void) snprintf(name, sizeof(name),
		                "blobby_%s_successes_total", base);
		(void) snprintf(help, sizeof(help), "Successful %s.", what);
		ns_family(o, pg, name, "counter", help, NS_SUCCESS, op);
		(void) snprintf(name, sizeof(name), "blobby_%s_failures_total",
		                base);
		(void) snprintf(help, sizeof(help), "Failed %s.", what);
		ns_family(o, pg, name, "counter", help, NS_FAILURE, op);
	}
}

// ns_internal writes blobby_internal_errors_total{namespace,type}.
static void
ns_internal(gw__prom *o, const gw__metrics_page *pg)
{
	const char *name = "blobby_internal_errors_total";
	size_t      i;

	gw__prom_family(o, name, "counter",
	                "Inserts that failed through no fault of the client "
	                "(write errors, replications failed twice).");
	for (i = 0; i < pg->n; i++) {
		gw__prom_name(o, name, "");
		gw__prom_label(o, "namespace", pg->v[i].name);
		gw__prom_label(o, "type", "insert");
		gw__prom_u64(
		    o,
		    pg->v[i].snap.counters[STORE_CTR_INTERNAL_ERRORS_INSERT]);
	}
}

// ns_timing writes blobby_timing_data_seconds_total{namespace,type}: the
// original's timing_data_nanoseconds in seconds.
static void
ns_timing(gw__prom *o, const gw__metrics_page *pg)
{
	static const store_ctr kinds[] = { STORE_CTR_TIME_QUEUE_NS,
		                           STORE_CTR_TIME_REPLICATE_NS,
		                           STORE_CTR_TIME_WRITE_NS };
	const char            *name    = "blobby_timing_data_seconds_total";
	size_t                 i;
	size_t                 k;

	gw__prom_family(o, name, "counter",
	                "Time inserts spent waiting for a file "
	                "(primary_insert_queue), replicating "
	                "(primary_insert_replicate) and writing "
	                "(primary_insert_write).");
	for (i = 0; i < pg->n; i++) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			gw__prom_name(o, name, "");
			gw__prom_label(o, "namespace", pg->v[i].name);
			gw__prom_label(o, "type",
			               store_metrics_ctr_name(kinds[k]));
			gw__prom_ns(o, pg->v[i].snap.counters[kinds[k]]);
		}
	}
}

// ns_hist writes histogram h of every namespace.
static void
ns_hist(gw__prom *o, const gw__metrics_page *pg, store_hist h,
        const char *help)
{
	const char            *name = store_metrics_hist_name(h);
	const store_hist_snap *hs;
	size_t                 i;

	gw__prom_family(o, name, "histogram", help);
	for (i = 0; i < pg->n; i++) {
		hs = &pg->v[i].snap.hists[h];
		gw__prom_hist(o, name, "namespace", pg->v[i].name, hs->buckets,
		              hs->count, hs->sum_ns);
	}
}

// The archive lifecycle's process-wide values: name, type, help, and
// the offset of the uint64_t in store_lifecycle_stats.
static const struct {
	const char *name;
	const char *help;
	size_t      off;
	bool        gauge;
} lc_families[] = {
#define LC(n, h, f, g)                                      \
	{                                                   \
		n, h, offsetof(store_lifecycle_stats, f), g \
	}
	LC("blobby_archive_uploads_total",
	   "Objects stored in the archive and verified.", uploads, false),
	LC("blobby_archive_uploads_existing_total",
	   "Files found in the archive with the same bytes already, so not "
	   "sent again.",
	   uploads_existing, false),
	LC("blobby_archive_upload_failures_total",
	   "Upload attempts that failed (each is retried).", upload_failures,
	   false),
	LC("blobby_archive_upload_conflicts_total",
	   "Of those, uploads refused because the archive holds other bytes "
	   "under the key (both copies kept).",
	   upload_conflicts, false),
	LC("blobby_archive_uploaded_bytes_total",
	   "Bytes of the objects stored in the archive.", uploaded_bytes,
	   false),
	LC("blobby_archive_compressions_total",
	   "Compressed copies made for the archive.", compressions, false),
	LC("blobby_archive_compression_failures_total",
	   "Compressions that failed (each is retried).", compression_failures,
	   false),
	LC("blobby_archive_remote_deletes_total",
	   "Replicas removed on peers after an upload.", remote_deletes,
	   false),
	LC("blobby_archive_remote_delete_failures_total",
	   "Replicas that peers did not remove when asked.",
	   remote_delete_failures, false),
	LC("blobby_archive_local_deletes_total",
	   "Local files removed after their data was archived.", local_deletes,
	   false),
	LC("blobby_archive_local_delete_failures_total",
	   "Local removals that failed (each is retried).",
	   local_delete_failures, false),
	LC("blobby_archive_queued_files",
	   "Files waiting in any step of the archive lifecycle.", queued,
	   true),
#undef LC
};

// archive_families writes the archive lifecycle's families.
static void
archive_families(gw__prom *o, const gw__metrics_page *pg)
{
	const char *name = "blobby_archive_oldest_queued_upload_seconds";
	uint64_t    val;
	size_t      i;

	for (i = 0; i < sizeof(lc_families) / sizeof(lc_families[0]); i++) {
		memcpy(&val, (const char *) pg->lc + lc_families[i].off,
		       sizeof(val));
		gw__prom_family(o, lc_families[i].name,
		                lc_families[i].gauge ? "gauge" : "counter",
		                lc_families[i].help);
		gw__prom_name(o, lc_families[i].name, "");
		gw__prom_u64(o, val);
	}
	gw__prom_family(o, name, "gauge",
	                "How long the oldest file waiting for its upload has "
	                "waited.");
	gw__prom_name(o, name, "");
	gw__prom_ns(o, pg->lc_oldest_ns > 0 ? (uint64_t) pg->lc_oldest_ns : 0);
}

void
gw__metrics_render(bb_buf *b, const gw__metrics_page *pg)
{
	gw__prom o = { b, pg->prefix != NULL ? pg->prefix : "", 0 };

	gw__prom_family(&o, "blobby_shutting_down", "gauge",
	                "1 while the server is shutting down (drain mode).");
	gw__prom_name(&o, "blobby_shutting_down", "");
	gw__prom_u64(&o, pg->draining ? 1 : 0);
	ns_family(&o, pg, "blobby_namespace_healthy", "gauge",
	          "1 if the namespace can take inserts, else 0.", NS_HEALTHY,
	          0);
	ns_family(&o, pg, "blobby_archive_conflicts_total", "counter",
	          "Uploads refused because the archive holds different bytes "
	          "under the key: the object and the local file are both "
	          "kept.",
	          NS_COUNTER, STORE_CTR_ARCHIVE_CONFLICTS);
	ns_family(&o, pg, "blobby_inserted_bytes_total", "counter",
	          "Bytes of the inserts that succeeded.", NS_COUNTER,
	          STORE_CTR_BYTES_INSERTED);
	ns_family(&o, pg, "blobby_read_bytes_total", "counter",
	          "Bytes of the blobs answered to GET requests (local, "
	          "forwarded or from the archive).",
	          NS_COUNTER, STORE_CTR_BYTES_READ);
	ns_family(&o, pg, "blobby_insert_batches_total", "counter",
	          "Batches of inserts committed together (one replication "
	          "round trip and, with fsync, one fdatasync each).",
	          NS_COUNTER, STORE_CTR_INSERT_BATCHES);
	ns_internal(&o, pg);
	ns_ops(&o, pg);
	ns_family(&o, pg, "blobby_oldest_queued_upload_seconds", "gauge",
	          "How long the oldest file queued for upload has waited.",
	          NS_QUEUE_S, 0);
	ns_family(&o, pg, "blobby_primary_oldest_unuploaded_file_age_seconds",
	          "gauge",
	          "Age of the oldest first insert among the primaries not "
	          "archived yet.",
	          NS_UNUPL_S, 0);
	ns_family(&o, pg, "blobby_queued_inserts", "gauge",
	          "Inserts waiting for a file to write to (with group commit, "
	          "for a committer).",
	          NS_QUEUED, 0);
	ns_family(&o, pg, "blobby_replicas_orphaned_total", "counter",
	          "Replicas whose primary went silent for orphan_timeout.",
	          NS_COUNTER, STORE_CTR_REPLICAS_ORPHANED);
	ns_timing(&o, pg);
	ns_hist(&o, pg, STORE_HIST_INSERT,
	        "Time of whole inserts (wait for a file, write, replicate), "
	        "failed ones included.");
	ns_hist(&o, pg, STORE_HIST_REPLICATE,
	        "Time of the replication part of inserts with replicas.");
	ns_hist(&o, pg, STORE_HIST_READ,
	        "Time to find the bytes of a read and start the response "
	        "(local, forwarded or archive).");
	ns_family(&o, pg, "blobby_disk_size_bytes", "gauge",
	          "Size of the file system of the namespace's directory.",
	          NS_DISK_SZ, 0);
	ns_family(&o, pg, "blobby_disk_free_bytes", "gauge",
	          "Free bytes of that file system.", NS_DISK_FR, 0);
	ns_family(&o, pg, "blobby_disk_avail_bytes", "gauge",
	          "Free bytes of that file system that blobbyd may use "
	          "(without the root reserve).",
	          NS_DISK_AV, 0);
	if (pg->lc != NULL) {
		archive_families(&o, pg);
	}
	gw__prom_family(&o, "blobby_http_waiting_requests", "gauge",
	                "Requests parked while storage or a peer works for "
	                "them (inserts, forwarded reads); they hold no HTTP "
	                "thread.");
	gw__prom_name(&o, "blobby_http_waiting_requests", "");
	gw__prom_u64(&o, pg->waiting);
	gw__metrics_render_node(&o, pg);
}

// metrics_gather fills the namespaces' values of pg (v has room for
// every namespace of the configuration).
static void
metrics_gather(gw_server *g, gw__ns_metrics *v, size_t *np)
{
	const bb_conf *conf = g->conf;
	store_ns      *ns;
	size_t         n = 0;
	size_t         i;

	// The configuration keeps the namespaces sorted by name.
	for (i = 0; i < conf->n_namespaces; i++) {
		ns = store_find_ns(g->st, conf->namespaces[i].name,
		                   strlen(conf->namespaces[i].name));
		if (ns == NULL) {
			continue;
		}
		v[n].name = conf->namespaces[i].name;
		store_metrics_snapshot(store_ns_metrics(ns), &v[n].snap);
		v[n].healthy = store_ns_health(ns, NULL, 0);
		store_ns_ages(ns, &v[n].queued_upload_ns, &v[n].unuploaded_ns);
		gw__disk_read(conf->namespaces[i].directory, &v[n]);
		n++;
	}
	*np = n;
}

enum MHD_Result
gw__metrics(gw_server *g, struct MHD_Connection *conn, bool legacy)
{
	gw__metrics_page      pg;
	gw__proc_stats        proc;
	gw__ns_metrics       *v;
	rpc_peer_stats       *peers = NULL;
	store_lifecycle      *lc;
	store_lifecycle_stats st;
	bb_buf                b;
	size_t                npeers;

	memset(&pg, 0, sizeof(pg));
	v      = calloc(g->conf->n_namespaces + 1, sizeof(*v));
	npeers = rpc_pool_size(g->pool);
	if (!legacy && npeers > 0) {
		peers = calloc(npeers, sizeof(*peers));
	}
	if (v == NULL || (!legacy && npeers > 0 && peers == NULL)) {
		free(v);
		free(peers);
		return gw__reply_err(conn, BB_ENOMEM);
	}
	metrics_gather(g, v, &pg.n);
	pg.v        = v;
	pg.prefix   = g->conf->server.prometheus_tag_prefix;
	pg.draining = gw_server_draining(g);
	pg.waiting  = atomic_load(&g->parked);
	lc          = store_get_lifecycle(g->st);
	if (lc != NULL) {
		store_lifecycle_stats_get(lc, &st);
		if (st.oldest_upload_ns != 0) {
			pg.lc_oldest_ns =
			    bb_clock_mono_ns() - st.oldest_upload_ns;
		}
		pg.lc = &st;
	}
	bb_buf_init(&b, METRICS_PAGE_MAX);
	if (legacy) {
		gw__metrics_render_legacy(&b, &pg);
	} else {
		pg.http    = g->hstats;
		pg.peers   = peers;
		pg.npeers  = rpc_pool_stats(g->pool, peers, npeers);
		pg.version = BB_VERSION;
		gw__proc_read(&proc);
		pg.proc = &proc;
		gw__metrics_render(&b, &pg);
		gw__reload_metrics(g, &b);
	}
	free(v);
	free(peers);
	return gw__reply_buf(conn, MHD_HTTP_OK, &b,
	                     "text/plain; version=0.0.4");
}
