// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_load.h -- what the files of "blobby load" share (internal
// to them): the options of a run, the blobs it acknowledged, its figures
// (blobby_stats.c), and the request engine over libcurl multi
// (blobby_loadio.c).  Options, phases and the ledger file are in
// blobby_load.c.  Single-threaded like the rest of the client.
#ifndef TOOLS_BLOBBY_LOAD_H
#define TOOLS_BLOBBY_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/id.h"
#include "storage/idsign.h"
#include "tools/blobby.h"

#define LD_MAX_URLS     16
#define LD_URL_MAX      900 // characters of a node's URL
#define LD_CONC_MAX     1024
#define LD_TRACK_MAX    (UINT64_C(1) << 22) // blobs kept for reads/verify
#define LD_STATUS_MAX   600                 // HTTP statuses counted
#define LD_CURLE_MAX    128                 // transport errors counted
#define LD_HIST_SUB     16                  // buckets per power of two
#define LD_HIST_BUCKETS (LD_HIST_SUB * 40)  // up to 2^40 us

typedef enum { LD_OP_INSERT, LD_OP_READ, LD_OP_MIX } ld_op;

// One acknowledged blob: what to read back and what must come.
typedef struct ld_blob {
	char     id[STORE_ID_TEXT_MAX + 1]; // as answered: signed ids verbatim
	uint32_t length;
	uint64_t hash; // XXH3-64 of its bytes
	int      url;  // index of the node that acknowledged it
} ld_blob;

// A latency histogram in microseconds: exact below LD_HIST_SUB, then
// LD_HIST_SUB buckets per power of two (under 7% error); fixed size.
typedef struct ld_hist {
	uint64_t n;
	uint64_t max_us;
	uint64_t b[LD_HIST_BUCKETS];
} ld_hist;

// The figures of one phase (the load, or the verification).
typedef struct ld_stats {
	uint64_t requests;                // answered or failed
	uint64_t ok;                      // inserts acked, reads intact
	uint64_t ok_by_op[2];             // inserts, reads
	uint64_t bytes;                   // body bytes of ok requests
	uint64_t intact;                  // reads with the expected bytes
	uint64_t mismatched;              // 200 with other bytes
	uint64_t missing;                 // 404
	uint64_t failed;                  // any other failure
	uint64_t status[LD_STATUS_MAX];   // failed answers by status
	uint64_t transport[LD_CURLE_MAX]; // no answer, by CURLcode
	uint64_t bad_answer;              // 200 to an insert, not an ID
	ld_hist  lat[2];                  // inserts, reads
	int64_t  start_ns;
	int64_t  end_ns;
} ld_stats;

// One run of "blobby load": its options (strings borrowed from argv) and
// what it acknowledged.
typedef struct ld_run {
	const cli_opts *o;
	const char     *urls[LD_MAX_URLS];
	int             nurls;
	const char     *ns;
	ld_op           op;
	double          read_ratio;
	int             conc;
	uint64_t        size_min;
	uint64_t        size_max;
	int64_t         duration_ns; // 0: none
	uint64_t        count;       // 0: none
	uint64_t        warmup;
	bool            verify;
	const char     *verify_url;    // NULL: the node that acknowledged
	const char     *verify_ledger; // verify-only run from this file
	const char     *ledger_path;   // --ledger FILE, or NULL
	bool            json;
	uint64_t        seed;

	ld_blob *blobs; // owned; nblobs of cap
	uint64_t nblobs;
	uint64_t cap;
	uint64_t untracked;  // acked beyond LD_TRACK_MAX: not verified
	FILE    *ledger;     // owned, or NULL
	int      ledger_err; // errno of the first failed ledger write
	uint64_t rng;
	uint64_t seq; // inserts started, for their contents
} ld_run;

// The phases the engine runs.
typedef enum { LD_PH_WARMUP, LD_PH_LOAD, LD_PH_VERIFY } ld_phase;

// ld__engine_run runs one phase against r's nodes with r->conc requests
// in flight and adds what happened to *st: warm-up (n inserts), load
// (until r->count requests or r->duration_ns, or an interrupt) or
// verify (a read of every tracked blob).  Acknowledged inserts are
// appended to r->blobs and the ledger file.  Returns CLI_EXIT_OK, or an
// exit code after a message (out of memory, libcurl failing to start).
int ld__engine_run(ld_run *r, ld_phase ph, uint64_t n, ld_stats *st);

// ld__blob_add records an acknowledged blob in r (and its ledger file):
// the id text id[0..n) (at most STORE_ID_TEXT_MAX characters, checked by
// the caller) of length bytes.  Returns false only when out of memory.
bool ld__blob_add(ld_run *r, const char *id, size_t n, uint32_t length,
                  uint64_t hash, int url);

// ld__hist_add records one latency of us microseconds.
void ld__hist_add(ld_hist *h, uint64_t us);

// ld__hist_pct returns the latency at quantile q (0..1) in microseconds:
// the upper bound of its bucket, never above the maximum; 0 if empty.
uint64_t ld__hist_pct(const ld_hist *h, double q);

// ld__stats_text prints the figures of the load (load) and of the
// verification (ver, NULL if none) for a person on out.
void ld__stats_text(const ld_run *r, const ld_stats *load, const ld_stats *ver,
                    FILE *out);

// ld__stats_json prints them as one JSON object and a newline on out.
void ld__stats_json(const ld_run *r, const ld_stats *load, const ld_stats *ver,
                    FILE *out);

#endif // TOOLS_BLOBBY_LOAD_H
