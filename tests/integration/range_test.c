// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/range_test.c -- the HTTP conventions of blob reads
// with real blobbyd processes, for each kind of read: a local file, a
// forward to the owner (another node), the owner's directory archive
// (read there, and forwarded), and an S3 archive (s3rver).  One range
// answers 206 with Content-Range and exactly those bytes (across RPC
// chunks too); past the end 416; several ranges or a bad header the
// whole blob; ETag (the id) with If-None-Match 304 and If-Range;
// Cache-Control and Accept-Ranges on successful reads only; HEAD; an
// empty blob; an id that names nothing stays 404 whatever is asked.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "storage/id.h"
#include "tests/clock.h"
#include "tests/s3rver.h"
#include "tests/tmpdir.h"

#define WAIT_MS 30000
#define CACHE   "public, max-age=31536000, immutable"

// A blob above RPC_MAX_CHUNK (512 KiB): a forwarded range streams
// several chunks.
#define BIG (1200 * 1024)

// The answer to one request: status, body, the headers checked.
typedef struct {
	long      status;
	char     *body; // owned
	size_t    len;
	size_t    cap;
	char      etag[80];
	char      cache[80];
	char      accept[32];
	char      crange[80];
	long long clen; // -1 if absent
} rresp;

static void
rresp_free(rresp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	rresp *r = arg;
	size_t k = size * n;
	char  *b;

	if (r->len + k + 1 > r->cap) {
		r->cap = (r->len + k + 1) * 2;
		b      = realloc(r->body, r->cap);
		if (b == NULL) {
			return 0;
		}
		r->body = b;
	}
	memcpy(r->body + r->len, p, k);
	r->len += k;
	r->body[r->len] = '\0';
	return k;
}

// keep copies the value of header name from line p (k bytes) into out.
static void
keep(const char *p, size_t k, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	size_t v;

	if (k <= n + 1 || strncasecmp(p, name, n) != 0 || p[n] != ':') {
		return;
	}
	p += n + 1;
	k -= n + 1;
	while (k > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		k--;
	}
	v = k;
	while (v > 0 && (p[v - 1] == '\r' || p[v - 1] == '\n')) {
		v--;
	}
	if (v >= cap) {
		v = cap - 1;
	}
	memcpy(out, p, v);
	out[v] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	rresp *r      = arg;
	size_t k      = size * n;
	char   cl[32] = "";

	keep(p, k, "ETag", r->etag, sizeof(r->etag));
	keep(p, k, "Cache-Control", r->cache, sizeof(r->cache));
	keep(p, k, "Accept-Ranges", r->accept, sizeof(r->accept));
	keep(p, k, "Content-Range", r->crange, sizeof(r->crange));
	keep(p, k, "Content-Length", cl, sizeof(cl));
	if (cl[0] != '\0') {
		r->clen = strtoll(cl, NULL, 10);
	}
	return k;
}

// rq makes one request with the extra header lines hdrs (NULL-ended,
// may be NULL) and fills *r; returns r->status, -1 on a transport error.
static long
rq(const char *method, const char *url, const char *const *hdrs, rresp *r)
{
	struct curl_slist *sl = NULL;
	CURL              *c  = curl_easy_init();
	size_t             i;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->clen   = -1;
	assert_non_null(c);
	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
		sl = curl_slist_append(sl, hdrs[i]);
	}
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	(void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	(void) curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (strcmp(method, "HEAD") == 0) {
		(void) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	}
	if (curl_easy_perform(c) == CURLE_OK) {
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
		                         &r->status);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(sl);
	return r->status;
}

// A blob and where to read it.
typedef struct {
	const char *what; // for messages: "local", "forwarded", ...
	const char *base; // the node's URL
	const char *ns;
	const char *id;
	const char *data;
	size_t      len;
} target;

// expect_range asks t for header range (and the header line extra, if
// not NULL) and checks a 206 of [a, b].
static void
expect_range(const target *t, const char *method, const char *range,
             const char *extra, size_t a, size_t b)
{
	char        url[256];
	char        hdr[128];
	char        want[96];
	const char *h[] = { hdr, extra, NULL };
	rresp       r;
	bool        head = strcmp(method, "HEAD") == 0;

	bbt_fmt(url, sizeof(url), "%s/%s/%s", t->base, t->ns, t->id);
	bbt_fmt(hdr, sizeof(hdr), "Range: %s", range);
	bbt_fmt(want, sizeof(want), "bytes %zu-%zu/%zu", a, b, t->len);
	if (rq(method, url, h, &r) != 206 || strcmp(r.crange, want) != 0 ||
	    r.clen != (long long) (b - a + 1) ||
	    r.len != (head ? 0 : b - a + 1) ||
	    (!head && memcmp(r.body, t->data + a, b - a + 1) != 0)) {
		fail_msg("%s %s %s (%s): %ld, Content-Range '%s' (want '%s'), "
		         "Content-Length %lld, %zu bytes%s",
		         t->what, method, range, t->id, r.status, r.crange,
		         want, r.clen, r.len,
		         r.len == b - a + 1 && !head ? " (other bytes)" : "");
	}
	assert_true(r.etag[0] == '"' &&
	            strncmp(r.etag + 1, t->id, strlen(t->id)) == 0);
	assert_string_equal(r.cache, CACHE);
	assert_string_equal(r.accept, "bytes");
	rresp_free(&r);
}

// expect_whole asks t with the header lines h and checks a 200 of the
// whole blob with its caching headers.
static void
expect_whole(const target *t, const char *method, const char *const *h)
{
	char  url[256];
	char  etag[80];
	rresp r;
	bool  head = strcmp(method, "HEAD") == 0;

	bbt_fmt(url, sizeof(url), "%s/%s/%s", t->base, t->ns, t->id);
	bbt_fmt(etag, sizeof(etag), "\"%s\"", t->id);
	if (rq(method, url, h, &r) != 200 || r.len != (head ? 0 : t->len) ||
	    r.clen != (long long) t->len ||
	    (!head && t->len > 0 && memcmp(r.body, t->data, t->len) != 0)) {
		fail_msg("%s %s (%s) with '%s': %ld, %zu bytes, "
		         "Content-Length %lld",
		         t->what, method, t->id,
		         h != NULL && h[0] != NULL ? h[0] : "", r.status,
		         r.len, r.clen);
	}
	assert_string_equal(r.etag, etag);
	assert_string_equal(r.cache, CACHE);
	assert_string_equal(r.accept, "bytes");
	assert_string_equal(r.crange, "");
	rresp_free(&r);
}

// expect_status asks t with h and checks the status, the Content-Range
// (crange; "" for none), and whether the ETag is there.
static void
expect_status(const target *t, const char *method, const char *const *h,
              long status, const char *crange, bool etag)
{
	char  url[256];
	rresp r;

	bbt_fmt(url, sizeof(url), "%s/%s/%s", t->base, t->ns, t->id);
	if (rq(method, url, h, &r) != status ||
	    strcmp(r.crange, crange) != 0 || (r.etag[0] != '\0') != etag ||
	    (r.cache[0] != '\0') != etag) {
		fail_msg("%s %s (%s) with '%s': %ld (want %ld), Content-Range "
		         "'%s' (want '%s'), ETag '%s', Cache-Control '%s'",
		         t->what, method, t->id,
		         h != NULL && h[0] != NULL ? h[0] : "", r.status,
		         status, r.crange, crange, r.etag, r.cache);
	}
	if (status == 304) {
		assert_int_equal(r.len, 0);
	}
	rresp_free(&r);
}

// check_blob runs every case on t.
static void
check_blob(const target *t)
{
	char        inm[128], ifr[128], unsat[64], crange[64];
	const char *h_inm[]  = { inm, NULL };
	const char *h_weak[] = { "If-None-Match: \"x\", W/\"y\"", NULL };
	const char *h_star[] = { "If-None-Match: *", NULL };
	const char *h_two[]  = { "Range: bytes=0-1,5-6", NULL };
	const char *h_bad[]  = { "Range: bytes=9-2", NULL };
	const char *h_unit[] = { "Range: items=0-1", NULL };
	const char *h_ifrx[] = { "Range: bytes=1-2", "If-Range: \"x\"", NULL };
	const char *h_unsat[] = { unsat, NULL };
	size_t      n         = t->len;

	bbt_fmt(inm, sizeof(inm), "If-None-Match: \"%s\"", t->id);
	bbt_fmt(ifr, sizeof(ifr), "If-Range: \"%s\"", t->id);
	bbt_fmt(unsat, sizeof(unsat), "Range: bytes=%zu-", n);
	bbt_fmt(crange, sizeof(crange), "bytes */%zu", n);

	expect_whole(t, "GET", NULL);
	expect_whole(t, "HEAD", NULL);
	expect_range(t, "GET", "bytes=0-0", NULL, 0, 0);
	expect_range(t, "GET", "bytes=1-9", NULL, 1, 9);
	expect_range(t, "GET", "bytes=3-", NULL, 3, n - 1);
	expect_range(t, "GET", "bytes=-5", NULL, n - 5, n - 1);
	expect_range(t, "GET", "bytes=2-999999999", NULL, 2, n - 1);
	expect_range(t, "HEAD", "bytes=2-7", NULL, 2, 7);
	if (n > BIG / 2) {
		// Across RPC chunks, starting and ending inside them.
		expect_range(t, "GET", "bytes=100001-1100000", NULL, 100001,
		             1100000);
		expect_range(t, "GET", "bytes=-700000", NULL, n - 700000,
		             n - 1);
	}
	// Ignored: the whole blob.
	expect_whole(t, "GET", h_two);
	expect_whole(t, "GET", h_bad);
	expect_whole(t, "GET", h_unit);
	expect_whole(t, "GET", h_ifrx);
	expect_whole(t, "GET", h_weak);
	// If-Range with the ETag: the range.
	expect_range(t, "GET", "bytes=1-2", ifr, 1, 2);
	// 416 and 304.
	expect_status(t, "GET", h_unsat, 416, crange, false);
	expect_status(t, "HEAD", h_unsat, 416, crange, false);
	expect_status(t, "GET", h_inm, 304, "", true);
	expect_status(t, "HEAD", h_inm, 304, "", true);
	expect_status(t, "GET", h_star, 304, "", true);
}

// check_absent: an id of t's that names nothing is 404 whatever is
// asked, without the caching headers.
static void
check_absent(const target *t)
{
	char        inm[128];
	const char *h_inm[]   = { inm, NULL };
	const char *h_range[] = { "Range: bytes=0-1", NULL };
	const char *h_unsat[] = { "Range: bytes=999999999-", NULL };

	bbt_fmt(inm, sizeof(inm), "If-None-Match: \"%s\"", t->id);
	expect_status(t, "GET", NULL, 404, "", false);
	expect_status(t, "GET", h_inm, 404, "", false);
	expect_status(t, "GET", h_range, 404, "", false);
	expect_status(t, "GET", h_unsat, 404, "", false);
}

// insert posts len bytes to ns at base and keeps the id.
static void
insert(const char *base, const char *ns, const void *data, size_t len,
       char *id)
{
	char     url[256];
	bbt_resp r;

	bbt_fmt(url, sizeof(url), "%s/%s", base, ns);
	assert_int_equal(bbt_http("POST", url, data, len, &r), 200);
	bbt_fmt(id, STORE_ID_STRMAX + 1, "%s", r.body);
	bbt_resp_free(&r);
}

// wait_archived waits until node base reads id of ns from the archive.
static void
wait_archived(const char *base, const char *ns, const char *id)
{
	char     url[256];
	bbt_resp r;
	int64_t  end = bbt_now_ms() + WAIT_MS;
	bool     ok;

	bbt_fmt(url, sizeof(url), "%s/_id/%s/%s", base, ns, id);
	for (;;) {
		ok = bbt_http("GET", url, NULL, 0, &r) == 200 &&
		    strstr(r.body, "a read is served from the archive.") !=
		        NULL;
		bbt_resp_free(&r);
		if (ok) {
			return;
		}
		if (bbt_now_ms() > end) {
			fail_msg("%s of %s never archived", id, ns);
		}
		bbt_sleep_ms(100);
	}
}

// absent_id: id with a start past any file: a blob that does not exist.
static void
absent_id(const char *id, char *out)
{
	store_id sid;

	assert_int_equal(store_id_parse(id, strlen(id), &sid), BB_OK);
	sid.start = UINT64_C(1) << 40;
	(void) store_id_format(&sid, out);
}

// Two nodes: a blob read from its own node (local file), from the other
// (forwarded to the owner), archived to the owner's directory (read
// there from the archive, and forwarded: the owner reads its archive).
static void
test_local_forward_dir(void **state)
{
	static char big[BIG];
	static char small[] = "0123456789 the quick brown fox jumps";
	bbt_cluster c;
	char        idbig[STORE_ID_STRMAX + 1];
	char        idarc[STORE_ID_STRMAX + 1];
	char        idnil[STORE_ID_STRMAX + 1];
	char        none[STORE_ID_STRMAX + 1];
	const char *h_health[] = { "Range: bytes=0-1", NULL };
	char        url[256];
	rresp       r;
	size_t      off;
	int         i;
	target      t;

	(void) state;
	bbt_cluster_init(&c, 2);
	for (i = 0; i < 2; i++) {
		off = bbt_cluster_conf_head(&c, i, "timeout = 5s");
		(void) snprintf(c.conf[i] + off, sizeof(c.conf[i]) - off,
		                "[namespace.loc]\ndirectory = @DIR@/loc\n"
		                "replicas = 0\narchive = dir\n"
		                "archive_directory = @DIR@/archive\n"
		                "[namespace.arc]\ndirectory = @DIR@/arc\n"
		                "replicas = 0\narchive = dir\n"
		                "archive_directory = @DIR@/archive\n"
		                "upload_file_size = 1\n");
	}
	bbt_cluster_start(&c);
	bbt_fill(big, sizeof(big), 42);
	insert(c.nodes[0].url, "loc", big, sizeof(big), idbig);
	insert(c.nodes[0].url, "loc", "", 0, idnil);
	insert(c.nodes[0].url, "arc", small, strlen(small), idarc);
	wait_archived(c.nodes[0].url, "arc", idarc);

	t = (target) {
		"local", c.nodes[0].url, "loc", idbig, big, sizeof(big)
	};
	check_blob(&t);
	t.what = "forwarded";
	t.base = c.nodes[1].url;
	check_blob(&t);
	t = (target) {
		"directory archive", c.nodes[0].url, "arc", idarc, small,
		strlen(small)
	};
	check_blob(&t);
	t.what = "forwarded directory archive";
	t.base = c.nodes[1].url;
	check_blob(&t);

	// An empty blob: 200 with the headers, any range 416, 304.
	t = (target) { "empty", c.nodes[1].url, "loc", idnil, "", 0 };
	expect_whole(&t, "GET", NULL);
	{
		const char *h_r[] = { "Range: bytes=0-", NULL };
		const char *h_s[] = { "Range: bytes=-1", NULL };
		char        inm[128];
		const char *h_i[] = { inm, NULL };

		bbt_fmt(inm, sizeof(inm), "If-None-Match: \"%s\"", idnil);
		expect_status(&t, "GET", h_r, 416, "bytes */0", false);
		expect_status(&t, "GET", h_s, 416, "bytes */0", false);
		expect_status(&t, "GET", h_i, 304, "", true);
	}

	// Names nothing: 404 on both nodes, whatever is asked.
	absent_id(idbig, none);
	t = (target) { "absent", c.nodes[0].url, "loc", none, big, 100 };
	check_absent(&t);
	t.base = c.nodes[1].url;
	check_absent(&t);
	absent_id(idarc, none);
	t = (target) {
		"absent archived", c.nodes[1].url, "arc", none, small, 10
	};
	check_absent(&t);

	// Not on the admin endpoints.
	bbt_fmt(url, sizeof(url), "%s/_health", c.nodes[0].url);
	assert_int_equal(rq("GET", url, h_health, &r), 200);
	assert_string_equal(r.etag, "");
	assert_string_equal(r.cache, "");
	assert_string_equal(r.crange, "");
	rresp_free(&r);
	bbt_cluster_stop(&c);
}

// An S3 archive (s3rver): a range is one ranged GET of that range.
static void
test_s3(void **state)
{
	static char big[BIG];
	char        tmp[]     = "/tmp/bb-range-XXXXXX";
	const char *buckets[] = { "blobby", NULL };
	bbt_s3     *s3;
	bbt_node    n;
	char        conf[2048];
	char        id[STORE_ID_STRMAX + 1];
	char        none[STORE_ID_STRMAX + 1];
	target      t;

	(void) state;
	assert_non_null(mkdtemp(tmp));
	s3 = bbt_s3_start(tmp, buckets);
	assert_non_null(s3);
	bbt_fmt(conf, sizeof(conf),
	        "machine_id = 1\narchive_retry_initial = 100ms\n"
	        "[log]\nfile = @DIR@/blobbyd.log\n"
	        "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
	        "[aws.local]\nregion = us-east-1\nendpoint = %s\n"
	        "key_id = S3RVER\nsecret_key = S3RVER\n"
	        "[namespace.s3]\ndirectory = @DIR@/s3\n"
	        "replicas = 0\narchive = s3\naws_profile = local\n"
	        "s3_bucket = blobby\nupload_file_size = 1\n",
	        bbt_s3_endpoint(s3));
	bbt_node_init(&n);
	bbt_node_start(&n, conf);
	bbt_fill(big, sizeof(big), 7);
	insert(n.url, "s3", big, sizeof(big), id);
	wait_archived(n.url, "s3", id);

	t = (target) { "s3 archive", n.url, "s3", id, big, sizeof(big) };
	check_blob(&t);
	absent_id(id, none);
	t.id = none;
	check_absent(&t);

	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
	bbt_s3_stop(s3);
	bbt_rmtree(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_forward_dir),
		cmocka_unit_test(test_s3),
	};

	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
