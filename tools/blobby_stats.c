// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_stats.c -- the figures of "blobby load": latency
// histograms of bounded size, and the report (text for a person, or one
// JSON object) of the load and of its verification.  Counting happens
// in blobby_loadio.c.
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "tools/blobby_load.h"

static int
ld_hist_index(uint64_t us)
{
	int e = 63 - __builtin_clzll(us | 1); // floor(log2(us))
	int i;

	if (us < LD_HIST_SUB) {
		return (int) us;
	}
	// e >= 4: LD_HIST_SUB buckets between 2^e and 2^(e+1).
	i = (e - 3) * LD_HIST_SUB +
	    (int) ((us >> (e - 4)) & (LD_HIST_SUB - 1));
	return i < LD_HIST_BUCKETS ? i : LD_HIST_BUCKETS - 1;
}

// ld_hist_upper is the largest value of bucket i.
static uint64_t
ld_hist_upper(int i)
{
	int e;

	if (i < LD_HIST_SUB) {
		return (uint64_t) i;
	}
	e = i / LD_HIST_SUB + 3;
	return ((uint64_t) (LD_HIST_SUB + i % LD_HIST_SUB + 1) << (e - 4)) - 1;
}

void
ld__hist_add(ld_hist *h, uint64_t us)
{
	h->b[ld_hist_index(us)]++;
	h->n++;
	if (us > h->max_us) {
		h->max_us = us;
	}
}

uint64_t
ld__hist_pct(const ld_hist *h, double q)
{
	uint64_t want;
	uint64_t seen = 0;
	uint64_t v;
	int      i;

	if (h->n == 0) {
		return 0;
	}
	want = (uint64_t) (q * (double) h->n + 0.999999);
	if (want < 1) {
		want = 1;
	}
	for (i = 0; i < LD_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			v = ld_hist_upper(i);
			return v < h->max_us ? v : h->max_us;
		}
	}
	return h->max_us;
}

static const char *const ld_op_names[]  = { "insert", "read", "mix" };
static const char *const ld_lat_names[] = { "insert", "read" };

static double
ld_secs(const ld_stats *st)
{
	double s =
	    (double) (st->end_ns - st->start_ns) / (double) BB_NS_PER_SEC;

	return s > 0 ? s : 0;
}

static double
ld_rate(double v, double secs)
{
	return secs > 0 ? v / secs : 0;
}

static void
ld_ms(char *buf, size_t len, uint64_t us)
{
	(void) snprintf(buf, len, "%.2f ms", (double) us / 1000.0);
}

static void
ld_text_errors(const ld_stats *st, FILE *out)
{
	bool any = false;
	int  i;

	(void) fputs("errors:     ", out);
	for (i = 0; i < LD_STATUS_MAX; i++) {
		if (st->status[i] > 0) {
			(void) fprintf(out, "%s%d x%llu", any ? ", " : "", i,
			               (unsigned long long) st->status[i]);
			any = true;
		}
	}
	for (i = 0; i < LD_CURLE_MAX; i++) {
		if (st->transport[i] > 0) {
			(void) fprintf(out, "%s'%s' x%llu", any ? ", " : "",
			               curl_easy_strerror((CURLcode) i),
			               (unsigned long long) st->transport[i]);
			any = true;
		}
	}
	if (st->bad_answer > 0) {
		(void) fprintf(out, "%s200 without a right ID x%llu",
		               any ? ", " : "",
		               (unsigned long long) st->bad_answer);
		any = true;
	}
	if (st->mismatched > 0) {
		(void) fprintf(out, "%sread other bytes x%llu",
		               any ? ", " : "",
		               (unsigned long long) st->mismatched);
		any = true;
	}
	(void) fputs(any ? "\n" : "none\n", out);
}

void
ld__stats_text(const ld_run *r, const ld_stats *load, const ld_stats *ver,
               FILE *out)
{
	double secs = ld_secs(load);
	char   p[5][32];
	int    k;

	if (r->verify_ledger == NULL) {
		(void) fprintf(out,
		               "load:       %s, namespace %s, %d in flight, "
		               "%d node(s), %.2f s\n",
		               ld_op_names[r->op], r->ns, r->conc, r->nurls,
		               secs);
		(void) fprintf(
		    out,
		    "requests:   %llu (%llu ok, %llu failed)\n"
		    "throughput: %.1f ops/s, %.2f MB/s\n",
		    (unsigned long long) load->requests,
		    (unsigned long long) load->ok,
		    (unsigned long long) (load->requests - load->ok),
		    ld_rate((double) load->ok, secs),
		    ld_rate((double) load->bytes / 1e6, secs));
		ld_text_errors(load, out);
		for (k = 0; k < 2; k++) {
			if (load->lat[k].n == 0) {
				continue;
			}
			ld_ms(p[0], 32, ld__hist_pct(&load->lat[k], 0.50));
			ld_ms(p[1], 32, ld__hist_pct(&load->lat[k], 0.90));
			ld_ms(p[2], 32, ld__hist_pct(&load->lat[k], 0.99));
			ld_ms(p[3], 32, ld__hist_pct(&load->lat[k], 0.999));
			ld_ms(p[4], 32, load->lat[k].max_us);
			(void) fprintf(
			    out,
			    "latency:    %s (%llu): p50 %s, p90 %s, "
			    "p99 %s, p99.9 %s, max %s\n",
			    ld_lat_names[k],
			    (unsigned long long) load->lat[k].n, p[0], p[1],
			    p[2], p[3], p[4]);
		}
	}
	if (ver == NULL) {
		return;
	}
	(void) fprintf(out,
	               "verify:     %llu checked, %llu intact, %llu "
	               "mismatched, %llu missing, %llu failed (%llu not "
	               "tracked), %.2f s\n",
	               (unsigned long long) ver->requests,
	               (unsigned long long) ver->intact,
	               (unsigned long long) ver->mismatched,
	               (unsigned long long) ver->missing,
	               (unsigned long long) ver->failed,
	               (unsigned long long) r->untracked, ld_secs(ver));
	if (ver->failed > 0) {
		ld_text_errors(ver, out);
	}
}

static void
ld_json_counts(const ld_stats *st, FILE *out)
{
	const char *sep = "";
	int         i;

	(void) fputs("\"status\":{", out);
	for (i = 0; i < LD_STATUS_MAX; i++) {
		if (st->status[i] > 0) {
			(void) fprintf(out, "%s\"%d\":%llu", sep, i,
			               (unsigned long long) st->status[i]);
			sep = ",";
		}
	}
	// CURLcode numbers: stable in libcurl's ABI, and escaping-free.
	(void) fputs("},\"transport\":{", out);
	sep = "";
	for (i = 0; i < LD_CURLE_MAX; i++) {
		if (st->transport[i] > 0) {
			(void) fprintf(out, "%s\"%d\":%llu", sep, i,
			               (unsigned long long) st->transport[i]);
			sep = ",";
		}
	}
	(void) fprintf(out, "},\"bad_answer\":%llu",
	               (unsigned long long) st->bad_answer);
}

static void
ld_json_lat(const ld_hist *h, FILE *out)
{
	(void) fprintf(out,
	               "{\"count\":%llu,\"p50\":%llu,\"p90\":%llu,"
	               "\"p99\":%llu,\"p999\":%llu,\"max\":%llu}",
	               (unsigned long long) h->n,
	               (unsigned long long) ld__hist_pct(h, 0.50),
	               (unsigned long long) ld__hist_pct(h, 0.90),
	               (unsigned long long) ld__hist_pct(h, 0.99),
	               (unsigned long long) ld__hist_pct(h, 0.999),
	               (unsigned long long) h->max_us);
}

void
ld__stats_json(const ld_run *r, const ld_stats *load, const ld_stats *ver,
               FILE *out)
{
	double secs = ld_secs(load);

	// The namespace passed the client's name check: no escaping.
	(void) fprintf(
	    out,
	    "{\"op\":\"%s\",\"ns\":\"%s\",\"concurrency\":%d,"
	    "\"nodes\":%d,\"size_min\":%llu,\"size_max\":%llu,"
	    "\"seconds\":%.3f,\"requests\":%llu,\"ok\":%llu,"
	    "\"inserts\":%llu,\"reads\":%llu,\"failed\":%llu,"
	    "\"bytes\":%llu,\"ops_per_s\":%.1f,\"mb_per_s\":%.3f,"
	    "\"read_mismatched\":%llu,",
	    r->verify_ledger != NULL ? "verify" : ld_op_names[r->op], r->ns,
	    r->conc, r->nurls, (unsigned long long) r->size_min,
	    (unsigned long long) r->size_max, secs,
	    (unsigned long long) load->requests, (unsigned long long) load->ok,
	    (unsigned long long) load->ok_by_op[0],
	    (unsigned long long) load->ok_by_op[1],
	    (unsigned long long) (load->requests - load->ok),
	    (unsigned long long) load->bytes, ld_rate((double) load->ok, secs),
	    ld_rate((double) load->bytes / 1e6, secs),
	    (unsigned long long) load->mismatched);
	ld_json_counts(load, out);
	(void) fputs(",\"latency_us\":{\"insert\":", out);
	ld_json_lat(&load->lat[0], out);
	(void) fputs(",\"read\":", out);
	ld_json_lat(&load->lat[1], out);
	(void) fputs("}", out);
	if (ver != NULL) {
		(void) fprintf(out,
		               ",\"verify\":{\"checked\":%llu,\"intact\":%llu,"
		               "\"mismatched\":%llu,\"missing\":%llu,"
		               "\"failed\":%llu,\"untracked\":%llu,"
		               "\"seconds\":%.3f,",
		               (unsigned long long) ver->requests,
		               (unsigned long long) ver->intact,
		               (unsigned long long) ver->mismatched,
		               (unsigned long long) ver->missing,
		               (unsigned long long) ver->failed,
		               (unsigned long long) r->untracked,
		               ld_secs(ver));
		ld_json_counts(ver, out);
		(void) fputs("}", out);
	}
	(void) fputs("}\n", out);
}
