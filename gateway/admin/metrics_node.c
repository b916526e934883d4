// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/admin/metrics_node.c -- the families of /_metrics that are about
// the node rather than its namespaces: build info, HTTP requests by
// method and code, each peer's RPC calls, and the process (the names the
// Prometheus client libraries' process collector uses, read from
// /proc/self at scrape time), with the statvfs of namespace directories.
// The writer and the namespaces' families are metrics.c's.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "gateway/gateway_impl.h"

// node_http writes blobby_http_requests_total{method,code}: the pairs
// seen so far only (a series appears with its first request).
static void
node_http(gw__prom *o, const gw__hstats *h)
{
	const char *name = "blobby_http_requests_total";
	char        code[8];
	uint64_t    n;
	unsigned    c;
	int         m;

	gw__prom_family(o, name, "counter",
	                "HTTP requests answered, by method and status code.");
	for (m = 0; m < GW__M_COUNT_; m++) {
		for (c = GW__CODE_MIN; c <= GW__CODE_MAX; c++) {
			n = gw__hstats_get(h, (gw__method) m, c);
			if (n == 0) {
				continue;
			}
			(void) snprintf(code, sizeof(code), "%u", c);
			gw__prom_name(o, name, "");
			gw__prom_label(o, "method",
			               gw__method_name((gw__method) m));
			gw__prom_label(o, "code", code);
			gw__prom_u64(o, n);
		}
	}
}

// node_peer_calls writes one per-peer, per-method counter: errors or
// calls.
static void
node_peer_calls(gw__prom *o, const gw__metrics_page *pg, bool errors)
{
	const char *name =
	    errors ? "blobby_rpc_call_errors_total" : "blobby_rpc_calls_total";
	char   peer[16];
	size_t i;
	int    m;

	gw__prom_family(o, name, "counter",
	                errors ? "RPC calls to the peer that ended without "
	                         "an answer (no connection, timeout, closed, "
	                         "malformed reply), by method."
	                       : "RPC calls made to the peer, by method.");
	for (i = 0; i < pg->npeers; i++) {
		(void) snprintf(peer, sizeof(peer), "%u",
		                (unsigned) pg->peers[i].machine);
		for (m = 0; m < RPC_M_COUNT; m++) {
			gw__prom_name(o, name, "");
			gw__prom_label(o, "peer", peer);
			gw__prom_label(o, "method",
			               rpc_method_name((rpc_method) m));
			gw__prom_u64(o,
			             errors ? pg->peers[i].errors[m]
			                    : pg->peers[i].calls[m]);
		}
	}
}

// node_peers writes the peers' families.
static void
node_peers(gw__prom *o, const gw__metrics_page *pg)
{
	const char           *up   = "blobby_peer_up";
	const char           *hist = "blobby_rpc_call_duration_seconds";
	const rpc_peer_stats *p;
	char                  peer[16];
	size_t                i;

	gw__prom_family(o, up, "gauge",
	                "1 if the peer has a connection and answers its "
	                "health checks, else 0.");
	for (i = 0; i < pg->npeers; i++) {
		(void) snprintf(peer, sizeof(peer), "%u",
		                (unsigned) pg->peers[i].machine);
		gw__prom_name(o, up, "");
		gw__prom_label(o, "peer", peer);
		gw__prom_u64(o, pg->peers[i].responsive ? 1 : 0);
	}
	node_peer_calls(o, pg, false);
	node_peer_calls(o, pg, true);
	gw__prom_family(
	    o, hist, "histogram",
	    "Time of the RPC calls sent to the peer, from the call "
	    "to its answer or failure.");
	for (i = 0; i < pg->npeers; i++) {
		p = &pg->peers[i];
		(void) snprintf(peer, sizeof(peer), "%u",
		                (unsigned) p->machine);
		gw__prom_hist(o, hist, "peer", peer, p->buckets, p->count,
		              p->sum_ns);
	}
}

// node_gauge writes a family of one unlabelled sample.
static void
node_gauge(gw__prom *o, const char *name, const char *type, const char *help,
           double v)
{
	gw__prom_family(o, name, type, help);
	gw__prom_name(o, name, "");
	gw__prom_f(o, v);
}

// node_process writes the process collector's families.
static void
node_process(gw__prom *o, const gw__proc_stats *ps)
{
	if (ps->ok) {
		node_gauge(o, "process_cpu_seconds_total", "counter",
		           "Total user and system CPU time spent in seconds.",
		           ps->cpu_seconds);
		node_gauge(o, "process_resident_memory_bytes", "gauge",
		           "Resident memory size in bytes.",
		           (double) ps->rss_bytes);
		node_gauge(o, "process_virtual_memory_bytes", "gauge",
		           "Virtual memory size in bytes.",
		           (double) ps->vsize_bytes);
		node_gauge(o, "process_start_time_seconds", "gauge",
		           "Start time of the process since unix epoch in "
		           "seconds.",
		           ps->start_time_s);
	}
	node_gauge(o, "process_virtual_memory_max_bytes", "gauge",
	           "Maximum amount of virtual memory available in bytes.",
	           ps->vmax_bytes);
	if (ps->has_fds) {
		node_gauge(o, "process_open_fds", "gauge",
		           "Number of open file descriptors.",
		           (double) ps->open_fds);
	}
	node_gauge(o, "process_max_fds", "gauge",
	           "Maximum number of open file descriptors.",
	           (double) ps->max_fds);
}

void
gw__metrics_render_node(gw__prom *o, const gw__metrics_page *pg)
{
	const char *name = "blobby_build_info";

	gw__prom_family(o, name, "gauge",
	                "Always 1; the labels say which blobbyd this is.");
	gw__prom_name(o, name, "");
	gw__prom_label(o, "version",
	               pg->version != NULL ? pg->version : "unknown");
	gw__prom_u64(o, 1);
	if (pg->http != NULL) {
		node_http(o, pg->http);
	}
	if (pg->npeers > 0) {
		node_peers(o, pg);
	}
	if (pg->proc != NULL) {
		node_process(o, pg->proc);
	}
}

// proc_boot_time returns the boot time of the system (seconds since the
// epoch; btime of /proc/stat), or 0.
static double
proc_boot_time(void)
{
	char      line[256];
	FILE     *f;
	long long bt = 0;

	f = fopen("/proc/stat", "re");
	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "btime %lld", &bt) == 1) {
			break;
		}
	}
	(void) fclose(f);
	return (double) bt;
}

// proc_stat reads /proc/self/stat into ps: the fields after the command,
// whose name may hold spaces and parentheses, so parsing starts after
// its last ')'.
static void
proc_stat(gw__proc_stats *ps)
{
	char               buf[1024];
	unsigned long      utime;
	unsigned long      stime;
	unsigned long long start;
	unsigned long      vsize;
	long               rss;
	const char        *p;
	double             tck = (double) sysconf(_SC_CLK_TCK);
	FILE              *f;
	size_t             n;

	f = fopen("/proc/self/stat", "re");
	if (f == NULL) {
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void) fclose(f);
	buf[n] = '\0';
	p      = strrchr(buf, ')');
	if (p == NULL || tck <= 0) {
		return;
	}
	// Fields 3.. (state) after ") ": utime is 14, stime 15, starttime
	// 22, vsize 23, rss 24 (proc(5)).
	if (sscanf(p + 2,
	           "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
	           "%*d %*d %*d %*d %*d %*d %llu %lu %ld",
	           &utime, &stime, &start, &vsize, &rss) != 5) {
		return;
	}
	ps->cpu_seconds  = (double) (utime + stime) / tck;
	ps->start_time_s = proc_boot_time() + (double) start / tck;
	ps->vsize_bytes  = vsize;
	ps->rss_bytes =
	    rss > 0 ? (uint64_t) rss * (uint64_t) sysconf(_SC_PAGESIZE) : 0;
	ps->ok = true;
}

// proc_fds counts the entries of /proc/self/fd, its own descriptor
// excluded.
static void
proc_fds(gw__proc_stats *ps)
{
	struct dirent *e;
	DIR           *d;
	uint64_t       n = 0;

	d = opendir("/proc/self/fd");
	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			n++;
		}
	}
	(void) closedir(d);
	ps->open_fds = n > 0 ? n - 1 : 0; // the directory's own
	ps->has_fds  = true;
}

void
gw__proc_read(gw__proc_stats *ps)
{
	struct rlimit rl;

	memset(ps, 0, sizeof(*ps));
	proc_stat(ps);
	proc_fds(ps);
	ps->vmax_bytes = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		ps->max_fds = rl.rlim_cur;
	}
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		ps->vmax_bytes = (double) rl.rlim_cur;
	}
}

void
gw__disk_read(const char *dir, gw__ns_metrics *v)
{
	struct statvfs sv;

	if (dir == NULL || statvfs(dir, &sv) != 0) {
		return;
	}
	v->disk_size  = (uint64_t) sv.f_blocks * sv.f_frsize;
	v->disk_free  = (uint64_t) sv.f_bfree * sv.f_frsize;
	v->disk_avail = (uint64_t) sv.f_bavail * sv.f_frsize;
	v->has_disk   = true;
}
