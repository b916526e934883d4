// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/ledger.h -- the fault tests' ledger: several threads
// insert into a cluster (libcurl, bounded in count and time) and record
// every acknowledged ID with the XXH3-64 hash and length of its bytes;
// afterwards every ID is read back from any node and counted: served
// intact, lost (404, or other bytes), 5xx, anything else.  The figures
// (acknowledged, lost, worst read answer, recovery) are printed with
// print_message for the test's log.
#ifndef TESTS_INTEGRATION_LEDGER_H
#define TESTS_INTEGRATION_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define BBT_LEDGER_MAX_URLS    8
#define BBT_LEDGER_MAX_THREADS 16

typedef struct bbt_ledger bbt_ledger;

// What to load: node base URLs ("http://127.0.0.1:PORT", copied) taken
// round robin, one namespace, threads inserters, at most max_acked
// acknowledged inserts (a few more may complete: each thread checks
// before it sends) and at most max_ms; bodies of min_len..max_len bytes (0
// allowed; max_len > 0); each thread pauses pause_ms after each insert, so
// that a load of a few hundred inserts spans a fault of seconds.
typedef struct bbt_ledger_load {
	const char *urls[BBT_LEDGER_MAX_URLS];
	int         nurls;
	const char *ns;
	int         threads;
	int         max_acked;
	int64_t     max_ms;
	size_t      min_len;
	size_t      max_len;
	int         pause_ms;
} bbt_ledger_load;

// What the inserters saw.
typedef struct bbt_ledger_stats {
	size_t acked;             // IDs acknowledged (200 and an ID)
	size_t refused;           // inserts answered otherwise, or not at all
	size_t refused_503;       // of those: answered 503
	size_t refused_507;       // answered 507 (disk full)
	long   refused_status;    // the last other status of a refused
	                          // insert (-1: no answer; 0: none)
	int64_t worst_insert_ms;  // the slowest acknowledged insert
	int64_t worst_refused_ms; // the slowest refused insert
	int64_t longest_gap_ms;   // the longest time without an
	                          // acknowledgement, while loading
	int64_t recovery_ms;      // from bbt_ledger_mark to the first
	                          // acknowledgement of an insert sent after
	                          // it; -1 without a mark or such an insert
	int64_t load_ms;          // how long the load ran
} bbt_ledger_stats;

// What reading every acknowledged ID back from one node found.
typedef struct bbt_ledger_check {
	size_t  checked;
	size_t  intact; // 200 and the same bytes
	size_t  lost;   // 404, or 200 with other bytes
	size_t  err5xx;
	size_t  other;         // any other answer, or none
	int64_t worst_read_ms; // the slowest answer
	long    worst_status;  // a status of a failed read (0: none)
} bbt_ledger_check;

// bbt_ledger_start starts the inserters at once; the caller owns the
// result: bbt_ledger_stop, then bbt_ledger_free.  Fails the test if the
// threads cannot start.
bbt_ledger *bbt_ledger_start(const bbt_ledger_load *load);

// bbt_ledger_set_url changes inserters' URL i (copied): a restarted node
// listens on another port.
void bbt_ledger_set_url(bbt_ledger *l, int i, const char *url);

// bbt_ledger_wait_acked waits until n IDs are acknowledged, at most ms;
// returns how many are.
size_t bbt_ledger_wait_acked(bbt_ledger *l, size_t n, int64_t ms);

// bbt_ledger_acked returns how many IDs are acknowledged so far: a rate
// over a window is the difference of two readings.
size_t bbt_ledger_acked(bbt_ledger *l);

// bbt_ledger_refused returns how many inserts were refused so far with
// status (503, 507; any other: all refused).
size_t bbt_ledger_refused(bbt_ledger *l, long status);

// bbt_ledger_mark notes the time of a fault (for recovery_ms).
void bbt_ledger_mark(bbt_ledger *l);

// bbt_ledger_stop stops the inserters, waits for them (each request has
// a 30 s timeout) and fills *st.  Idempotent.
void bbt_ledger_stop(bbt_ledger *l, bbt_ledger_stats *st);

// bbt_ledger_verify reads every acknowledged ID of a stopped ledger from
// url (a node's base URL), four reads at a time, and fills *c.
void bbt_ledger_verify(bbt_ledger *l, const char *url, bbt_ledger_check *c);

// bbt_ledger_report prints the figures of a test (what: its name) with
// print_message: the load's, and each node's check (names[i] for
// checks[i]).
void bbt_ledger_report(const char *what, const bbt_ledger_stats *st,
                       const bbt_ledger_check *checks,
                       const char *const *names, int n);

// bbt_ledger_free frees a stopped ledger.  NULL is a no-op.
void bbt_ledger_free(bbt_ledger *l);

#endif // TESTS_INTEGRATION_LEDGER_H
