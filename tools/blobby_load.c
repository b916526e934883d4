// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_load.c -- "blobby load": its options, the phases of a run
// (warm-up inserts for reads, the load, the verification of every
// acknowledged blob), the ledger file (written, or read back for a
// verify-only run) and the exit code.  The requests are made in
// blobby_loadio.c, the figures printed by blobby_stats.c.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/units.h"
#include "tools/blobby_load.h"

#define LD_DEFAULT_CONC     8
#define LD_DEFAULT_DURATION (10 * BB_NS_PER_SEC)
#define LD_DEFAULT_WARMUP   1000
#define LD_SIZE_MAX         UINT64_C(0xffffffff) // one blob at most
#define LD_LINE_MAX         256

enum {
	LD_OPT_URL = 256,
	LD_OPT_NS,
	LD_OPT_OP,
	LD_OPT_RATIO,
	LD_OPT_CONC,
	LD_OPT_SIZE,
	LD_OPT_DURATION,
	LD_OPT_COUNT,
	LD_OPT_WARMUP,
	LD_OPT_VERIFY,
	LD_OPT_VERIFY_URL,
	LD_OPT_VERIFY_LEDGER,
	LD_OPT_LEDGER,
	LD_OPT_JSON,
	LD_OPT_SEED,
	LD_OPT_TIMEOUT,
	LD_OPT_CACERT,
	LD_OPT_INSECURE,
};

static const struct option ld_longopts[] = {
	{ "url", required_argument, NULL, LD_OPT_URL },
	{ "ns", required_argument, NULL, LD_OPT_NS },
	{ "op", required_argument, NULL, LD_OPT_OP },
	{ "read-ratio", required_argument, NULL, LD_OPT_RATIO },
	{ "concurrency", required_argument, NULL, LD_OPT_CONC },
	{ "size", required_argument, NULL, LD_OPT_SIZE },
	{ "duration", required_argument, NULL, LD_OPT_DURATION },
	{ "count", required_argument, NULL, LD_OPT_COUNT },
	{ "warmup", required_argument, NULL, LD_OPT_WARMUP },
	{ "verify", no_argument, NULL, LD_OPT_VERIFY },
	{ "verify-url", required_argument, NULL, LD_OPT_VERIFY_URL },
	{ "verify-ledger", required_argument, NULL, LD_OPT_VERIFY_LEDGER },
	{ "ledger", required_argument, NULL, LD_OPT_LEDGER },
	{ "json", no_argument, NULL, LD_OPT_JSON },
	{ "seed", required_argument, NULL, LD_OPT_SEED },
	{ "timeout", required_argument, NULL, LD_OPT_TIMEOUT },
	{ "cacert", required_argument, NULL, LD_OPT_CACERT },
	{ "insecure", no_argument, NULL, LD_OPT_INSECURE },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

bool
ld__blob_add(ld_run *r, const char *id, size_t n, uint32_t length,
             uint64_t hash, int url)
{
	ld_blob *b;
	uint64_t cap;

	if (r->ledger != NULL) {
		if (fprintf(r->ledger, "%.*s %" PRIu32 " %016" PRIx64 "\n",
		            (int) n, id, length, hash) < 0 &&
		    r->ledger_err == 0) {
			r->ledger_err = errno != 0 ? errno : EIO;
		}
	}
	if (r->nblobs >= LD_TRACK_MAX) {
		r->untracked++; // bounded memory: still in the ledger file
		return true;
	}
	if (r->nblobs == r->cap) {
		cap = r->cap > 0 ? r->cap * 2 : 1024;
		b   = realloc(r->blobs, (size_t) cap * sizeof(*b));
		if (b == NULL) {
			return false;
		}
		r->blobs = b;
		r->cap   = cap;
	}
	b = &r->blobs[r->nblobs++];
	memcpy(b->id, id, n);
	b->id[n]  = '\0';
	b->length = length;
	b->hash   = hash;
	b->url    = url;
	return true;
}

static bool
ld_uint(const char *s, uint64_t max, uint64_t *v)
{
	char              *end = NULL;
	unsigned long long x;

	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	errno = 0;
	x     = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max) {
		return false;
	}
	*v = x;
	return true;
}

// ld_size parses --size: N or MIN-MAX, each a size of common/units.c
// ("1k" is 1000 bytes, "1kib" 1024).
static bool
ld_size(ld_run *r, const char *s)
{
	char        buf[64];
	const char *dash = strchr(s, '-');
	size_t      n    = dash != NULL ? (size_t) (dash - s) : strlen(s);

	if (n == 0 || n >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (bb_parse_size(buf, &r->size_min) != BB_OK) {
		return false;
	}
	r->size_max = r->size_min;
	if (dash != NULL && bb_parse_size(dash + 1, &r->size_max) != BB_OK) {
		return false;
	}
	return r->size_min <= r->size_max && r->size_max <= LD_SIZE_MAX;
}

static bool
ld_ratio(const char *s, double *v)
{
	char *end = NULL;

	*v = strtod(s, &end);
	return end != s && *end == '\0' && *v >= 0 && *v <= 1;
}

static int
ld_bad(const char *opt, const char *arg, const char *want)
{
	cli__err("%s %s: expected %s", opt, arg, want);
	return EX_USAGE;
}

// ld_opt applies one option c with argument a to r and *o.
static int
ld_opt(ld_run *r, cli_opts *o, int c, const char *a)
{
	uint64_t v = 0;
	int64_t  d = 0;
	double   t;
	char    *end = NULL;

	switch (c) {
	case LD_OPT_URL:
		if (r->nurls == LD_MAX_URLS) {
			return ld_bad("--url", a, "at most 16 of them");
		}
		r->urls[r->nurls++] = a;
		return -1;
	case LD_OPT_NS:
		r->ns = a;
		return -1;
	case LD_OPT_OP:
		if (strcmp(a, "insert") == 0) {
			r->op = LD_OP_INSERT;
		} else if (strcmp(a, "read") == 0) {
			r->op = LD_OP_READ;
		} else if (strcmp(a, "mix") == 0) {
			r->op = LD_OP_MIX;
		} else {
			return ld_bad("--op", a, "insert, read or mix");
		}
		return -1;
	case LD_OPT_RATIO:
		return ld_ratio(a, &r->read_ratio)
		    ? -1
		    : ld_bad("--read-ratio", a, "a number from 0 to 1");
	case LD_OPT_CONC:
	case 'c':
		if (!ld_uint(a, LD_CONC_MAX, &v) || v == 0) {
			return ld_bad("--concurrency", a, "1 to 1024");
		}
		r->conc = (int) v;
		return -1;
	case LD_OPT_SIZE:
		return ld_size(r, a)
		    ? -1
		    : ld_bad("--size", a,
		             "SIZE or MIN-MAX (like 1k, "
		             "64KiB, 0-1m), at most 4294967295 bytes");
	case LD_OPT_DURATION:
		if (bb_parse_duration(a, &d) != BB_OK || d <= 0) {
			return ld_bad("--duration", a, "a duration like 10s");
		}
		r->duration_ns = d;
		return -1;
	case LD_OPT_COUNT:
		return ld_uint(a, UINT64_MAX, &r->count) && r->count > 0
		    ? -1
		    : ld_bad("--count", a, "a count above 0");
	case LD_OPT_WARMUP:
		return ld_uint(a, LD_TRACK_MAX, &r->warmup)
		    ? -1
		    : ld_bad("--warmup", a, "0 to 4194304");
	case LD_OPT_SEED:
		return ld_uint(a, UINT64_MAX, &r->seed)
		    ? -1
		    : ld_bad("--seed", a, "a number");
	case LD_OPT_VERIFY:
		r->verify = true;
		return -1;
	case LD_OPT_VERIFY_URL:
		r->verify_url = a;
		r->verify     = true;
		return -1;
	case LD_OPT_VERIFY_LEDGER:
		r->verify_ledger = a;
		return -1;
	case LD_OPT_LEDGER:
		r->ledger_path = a;
		return -1;
	case LD_OPT_JSON:
		r->json = true;
		return -1;
	case LD_OPT_TIMEOUT:
		t = strtod(a, &end);
		if (end == a || *end != '\0' || !(t > 0) || t > 1e7) {
			return ld_bad("--timeout", a, "seconds above 0");
		}
		o->timeout_ms = (long) (t * 1000.0 + 0.5);
		return -1;
	case LD_OPT_CACERT:
		o->cacert = a;
		return -1;
	case LD_OPT_INSECURE:
		o->insecure = true;
		return -1;
	case 'q':
		o->quiet = true;
		return -1;
	default:
		return EX_USAGE;
	}
}

// ld_parse reads the options of argv (argv[0] is "load").
static int
ld_parse(ld_run *r, cli_opts *o, int argc, char **argv)
{
	int c;
	int rc;

	optind = 0;
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, ":qc:", ld_longopts, NULL);
		if (c == -1) {
			break;
		}
		if (c == ':') {
			cli__err("option '%s' needs an argument",
			         argv[optind - 1]);
			return EX_USAGE;
		}
		if (c == '?') {
			cli__err("load: unknown option '%s'",
			         argv[optind - 1]);
			return EX_USAGE;
		}
		rc = ld_opt(r, o, c, optarg);
		if (rc >= 0) {
			return rc;
		}
	}
	if (optind < argc) {
		cli__err("load: unexpected argument '%s'", argv[optind]);
		return EX_USAGE;
	}
	return -1;
}

// ld_check completes r after parsing: defaults, and what must go
// together.
static int
ld_check(ld_run *r, const cli_opts *o)
{
	int i;

	if (r->nurls == 0) {
		r->urls[r->nurls++] = o->url;
	}
	for (i = 0; i < r->nurls; i++) {
		if (strlen(r->urls[i]) > LD_URL_MAX) {
			cli__err("--url %.40s...: longer than %d characters",
			         r->urls[i], LD_URL_MAX);
			return EX_USAGE;
		}
		if (!cli__url_check(r->urls[i])) {
			return EX_USAGE;
		}
	}
	if (r->verify_url != NULL &&
	    (strlen(r->verify_url) > LD_URL_MAX ||
	     !cli__url_check(r->verify_url))) {
		return EX_USAGE;
	}
	if (r->ns == NULL) {
		cli__err("load: --ns NS is required");
		return EX_USAGE;
	}
	if (!cli__ns_ok(r->ns)) {
		return EX_DATAERR;
	}
	if (r->verify_ledger != NULL && r->ledger_path != NULL) {
		cli__err(
		    "load: --ledger and --verify-ledger exclude each other");
		return EX_USAGE;
	}
	if (r->count == 0 && r->duration_ns == 0) {
		r->duration_ns = LD_DEFAULT_DURATION;
	}
	if (r->warmup == UINT64_MAX) {
		r->warmup = r->op == LD_OP_READ ? LD_DEFAULT_WARMUP : 0;
	}
	if (r->warmup == 0 && r->op == LD_OP_READ &&
	    r->verify_ledger == NULL) {
		cli__err("load: --op read reads blobs of the warm-up: "
		         "--warmup must be above 0");
		return EX_USAGE;
	}
	if (r->seed == 0) {
		r->seed = (uint64_t) bb_clock_wall_ns();
	}
	r->rng = r->seed;
	return -1;
}

// ld_read_ledger loads the blobs of a ledger file ("ID LENGTH HASH" per
// line) into r, all to be read from the first node.
static int
ld_read_ledger(ld_run *r)
{
	FILE    *f = fopen(r->verify_ledger, "r");
	char     line[LD_LINE_MAX];
	char     id[64];
	unsigned len;
	uint64_t hash;
	uint64_t lineno = 0;
	store_id sid;
	uint8_t  tag[STORE_ID_TAG_LEN];
	bool     is_signed = false;
	int      rc        = -1;

	if (f == NULL) {
		cli__err("%s: %s", r->verify_ledger, strerror(errno));
		return EX_NOINPUT;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (sscanf(line, "%63s %u %" SCNx64, id, &len, &hash) != 3 ||
		    store_id_decode(id, strlen(id), &sid, &is_signed, tag) !=
		        BB_OK ||
		    sid.length != len) {
			cli__err("%s:%llu: expected 'ID LENGTH XXH3-HEX'",
			         r->verify_ledger,
			         (unsigned long long) lineno);
			rc = EX_DATAERR;
			break;
		}
		if (r->nblobs == LD_TRACK_MAX) {
			cli__err("%s: more than %llu blobs", r->verify_ledger,
			         (unsigned long long) LD_TRACK_MAX);
			rc = EX_DATAERR;
			break;
		}
		if (!ld__blob_add(r, id, strlen(id), sid.length, hash, 0)) {
			cli__err("out of memory");
			rc = EX_OSERR;
			break;
		}
	}
	if (rc < 0 && ferror(f)) {
		cli__err("%s: %s", r->verify_ledger, strerror(errno));
		rc = EX_IOERR;
	}
	(void) fclose(f);
	return rc;
}

// ld_phases runs what r asks for, the figures into load and ver.
static int
ld_phases(ld_run *r, ld_stats *load, ld_stats *ver, bool *verified)
{
	ld_stats warm;
	int      rc;

	if (r->verify_ledger != NULL) {
		rc = ld_read_ledger(r);
		if (rc >= 0) {
			return rc;
		}
		*verified = true;
		return ld__engine_run(r, LD_PH_VERIFY, 0, ver);
	}
	if (r->warmup > 0) {
		memset(&warm, 0, sizeof(warm));
		rc = ld__engine_run(r, LD_PH_WARMUP, r->warmup, &warm);
		if (rc != CLI_EXIT_OK) {
			return rc;
		}
		if (r->nblobs == 0 && r->op == LD_OP_READ) {
			cli__err("load: no warm-up insert succeeded: "
			         "nothing to read");
			ld__stats_text(r, &warm, NULL, stderr);
			return CLI_EXIT_HTTP;
		}
	}
	rc = ld__engine_run(r, LD_PH_LOAD, 0, load);
	if (rc != CLI_EXIT_OK || !r->verify) {
		return rc;
	}
	*verified = true;
	return ld__engine_run(r, LD_PH_VERIFY, 0, ver);
}

// ld_exit is the exit code of a finished run.
static int
ld_exit(const ld_run *r, const ld_stats *load, const ld_stats *ver,
        bool verified)
{
	uint64_t transport = 0;
	int      i;

	if (load->mismatched > 0 ||
	    (verified && ver->mismatched + ver->missing > 0)) {
		return EX_DATAERR;
	}
	if (verified && ver->failed > 0) {
		return CLI_EXIT_HTTP;
	}
	if (r->verify_ledger == NULL && load->ok == 0) {
		for (i = 0; i < LD_CURLE_MAX; i++) {
			transport += load->transport[i];
		}
		return load->requests > 0 && transport == load->requests
		    ? EX_UNAVAILABLE
		    : CLI_EXIT_HTTP;
	}
	return CLI_EXIT_OK;
}

int
cli__cmd_load(const cli_opts *go, int argc, char **argv)
{
	cli_opts  o = *go;
	ld_run    r;
	ld_stats *load     = NULL;
	ld_stats *ver      = NULL;
	bool      verified = false;
	int       rc;

	memset(&r, 0, sizeof(r));
	r.o          = &o;
	r.conc       = LD_DEFAULT_CONC;
	r.size_min   = 1024;
	r.size_max   = 1024;
	r.read_ratio = 0.5;
	r.warmup     = UINT64_MAX; // not given
	rc           = ld_parse(&r, &o, argc, argv);
	if (rc < 0) {
		rc = ld_check(&r, &o);
	}
	if (rc >= 0) {
		return rc;
	}
	o.progress = o.progress && !o.quiet;
	load       = calloc(1, sizeof(*load));
	ver        = calloc(1, sizeof(*ver));
	if (load == NULL || ver == NULL) {
		cli__err("out of memory");
		rc = EX_OSERR;
		goto done;
	}
	if (r.ledger_path != NULL) {
		r.ledger = fopen(r.ledger_path, "w");
		if (r.ledger == NULL) {
			cli__err("%s: %s", r.ledger_path, strerror(errno));
			rc = EX_CANTCREAT;
			goto done;
		}
	}
	rc = ld_phases(&r, load, ver, &verified);
	if (rc != CLI_EXIT_OK && rc != 130) {
		goto done;
	}
	if (r.json) {
		ld__stats_json(&r, load, verified ? ver : NULL, stdout);
	} else {
		ld__stats_text(&r, load, verified ? ver : NULL, stdout);
	}
	if (fflush(stdout) != 0) {
		cli__err("write standard output: %s", strerror(errno));
		rc = EX_IOERR;
		goto done;
	}
	rc = rc == 130 ? rc : ld_exit(&r, load, ver, verified);

done:
	if (r.ledger != NULL && (fclose(r.ledger) != 0 || r.ledger_err != 0) &&
	    rc != EX_OSERR) {
		cli__err("%s: %s", r.ledger_path,
		         strerror(r.ledger_err != 0 ? r.ledger_err : errno));
		rc = rc == CLI_EXIT_OK ? EX_IOERR : rc;
	}
	free(r.blobs);
	free(load);
	free(ver);
	return rc;
}
