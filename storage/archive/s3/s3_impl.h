// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/s3_impl.h -- what the files of the S3 archive share: the
// archive context, one request and its response, the connection pool.  Private
// to the files of storage/archive/s3/; no other file includes it.
#ifndef STORAGE_S3_IMPL_H
#define STORAGE_S3_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/err.h"
#include "storage/archive/archive.h"
#include "storage/archive/s3/digest.h"

// S3's limits on a multipart upload.
#define S3_MIN_PART   (UINT64_C(5) << 20)
#define S3_MAX_PART   (UINT64_C(5) << 30)
#define S3_MAX_PARTS  10000u
#define S3_MAX_SINGLE (UINT64_C(5) << 30)

// The SHA-256 of an empty body, for requests without one.
#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// A connection: an easy handle and the multi handle that drives it.  The
// multi handle's connection cache is what keeps the TCP (and TLS)
// connection open between requests, so the pair is pooled as a unit.
// libcurl does not support sharing a connection cache (CURLSH with
// CURL_LOCK_DATA_CONNECT) between concurrent threads; a pool does that
// safely.  DNS and TLS sessions are shared through the CURLSH.
typedef struct store__s3_conn {
	CURL                  *easy;  // owned
	CURLM                 *multi; // owned
	struct store__s3_conn *next;  // in the idle list
} store__s3_conn;

// The archive: one bucket.  Immutable after store_archive_s3_new except
// for the pool (pool_mu) and the share (its own locks); used by any
// number of threads at once.
typedef struct store__s3 {
	char    *endpoint;   // owned; NULL: AWS
	char    *region;     // owned
	char    *bucket;     // owned
	char    *key_id;     // owned
	char    *secret_key; // owned
	char    *token_hdr;  // owned; "x-amz-security-token: ..." or NULL
	char    *sigv4;      // owned; "aws:amz:<region>:s3"
	uint64_t threshold;
	uint64_t part_size;
	long     connect_ms;
	long     low_speed_s;
	CURLSH  *share; // owned
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_mu;
	store__s3_conn *idle; // owned; the idle connections
	unsigned        nidle;
} store__s3;

typedef struct store__s3_req store__s3_req;

// A sink takes the body of a 2xx response (readers); it returns n, 0 to
// fail the transfer, or CURL_WRITEFUNC_PAUSE.
typedef size_t (*store__s3_sink)(store__s3_req *r, const char *p, size_t n);

// One request and what came back.  The caller zeroes it, sets the inputs,
// and releases it with store__s3_req_fini.
struct store__s3_req {
	// Inputs; all borrowed and valid until the request ends.
	const char *method; // "GET", "HEAD", "PUT", "POST", "DELETE"
	const char *key;
	const char *query;        // encoded, e.g. "uploads="; or NULL
	const char *sha256_hex;   // of the body; NULL: empty body
	const char *md5_b64;      // Content-MD5 or NULL
	const char *content_type; // or NULL
	const char *range;        // "bytes=a-b" or NULL
	// A conditional write: "*" sends If-None-Match: * (only if there
	// is no object), an ETag sends If-Match: "<etag>" (only if the
	// object is that one); NULL: none.
	const char        *cond;
	const char        *body; // POST body (body_len bytes)
	size_t             body_len;
	int                fd; // PUT body: fd_len bytes of fd at fd_off
	uint64_t           fd_off;
	uint64_t           fd_len;
	const atomic_bool *cancel; // may be NULL
	store__s3_sink     sink;   // NULL: a 2xx body is kept in resp
	void              *sink_arg;
	// Called once the final response headers are in, before any of
	// the body reaches the sink; may be NULL.
	void (*on_headers)(store__s3_req *r);

	// The response, filled in as it arrives.
	long     status;       // 0 until a status line arrived
	bool     headers_done; // the final header block is complete
	bool     done;         // the transfer ended (result says how)
	CURLcode result;
	bb_err   io_err;     // why a callback failed the transfer, if it did
	bool     has_length; // Content-Length seen
	uint64_t length;     // its value
	char     etag[64];   // unquoted, lower case; "" if none
	char     crange[96]; // Content-Range value; "" if none
	char    *resp;       // owned; body kept (capped), NUL-terminated
	size_t   resp_len;
	char     errbuf[CURL_ERROR_SIZE];

	// Private to request.c.
	store__s3_conn    *conn;
	struct curl_slist *hdrs;
	char              *url;
	uint64_t           sent;
	bool               moved; // a callback saw response bytes this pump
};

// store__s3_req_start takes a connection from s3's pool, sets r up on it
// and starts it (nothing is sent until store__s3_req_pump).  BB_ENOMEM,
// BB_EINVAL (libcurl refused an option).  On BB_OK release with
// store__s3_req_end; on error r holds nothing.
bb_err store__s3_req_start(store__s3 *s3, store__s3_req *r);

// store__s3_req_pump moves r's transfer along, then, if it has not
// ended and no response bytes came, waits up to wait_ms for the network.  Sets
// r->done and r->result when it ends.  BB_EIO if the multi handle fails.
bb_err store__s3_req_pump(store__s3_req *r, int wait_ms);

// store__s3_req_end detaches r from its connection and returns that to
// s3's pool (an unfinished transfer's connection is closed, not reused).
// r's response fields stay.  Safe to call twice.
void store__s3_req_end(store__s3 *s3, store__s3_req *r);

// store__s3_req_fini frees what r owns (ending it first if needed).
void store__s3_req_fini(store__s3 *s3, store__s3_req *r);

// store__s3_req_run performs r to its end: start, pump (checking
// r->cancel every 100 ms), end.  BB_OK if a response came back whatever
// its status (look at r->status); otherwise the transport failure mapped
// as store__s3_req_err does, with why set.
bb_err store__s3_req_run(store__s3 *s3, store__s3_req *r, char *why,
                         size_t whylen);

// store__s3_req_err says why r failed: the transport error (timeout:
// BB_ETIMEDOUT, refused: BB_EUNAVAIL, cancel: BB_ESHUTDOWN, others
// BB_EREMOTE) or the HTTP status (404: BB_ENOENT, but a missing bucket is
// BB_EIO; 416: BB_ENOENT; 401/403: BB_EACCES; 408: BB_ETIMEDOUT; 429 and
// 5xx: BB_EUNAVAIL; others BB_EIO), and writes one line into why:
// method, key, status, S3 error code and message, or the curl error.
bb_err store__s3_req_err(const store__s3 *s3, const store__s3_req *r,
                         char *why, size_t whylen);

// store__s3_xml_text finds the first <name>...</name> in the NUL-
// terminated doc and writes its text, with the XML entities decoded and
// surrounding white space trimmed, into out (cap bytes).  false if there
// is no such element, it does not fit, or it holds markup; out is then
// the empty string (if cap > 0).
bool store__s3_xml_text(const char *doc, const char *name, char *out,
                        size_t cap);

// store__s3_on_header is libcurl's header callback of every request (arg
// is the store__s3_req): it takes one header line p[0..size * nitems),
// not NUL-terminated, and records the status, ETag, Content-Length and
// Content-Range of the final header block.  Returns size * nitems.
// Reachable here so tests/fuzz/s3.c can feed it any line.
size_t store__s3_on_header(char *p, size_t size, size_t nitems, void *arg);

// store__s3_crange parses the Content-Range value s (NUL-terminated)
// "bytes a-b/total" into its parts; *total is UINT64_MAX when unknown
// ("*").  false if s is not of that form.
bool store__s3_crange(const char *s, uint64_t *a, uint64_t *b,
                      uint64_t *total);

// store__s3_range_check decides from r's response headers (status,
// Content-Range, Content-Length) whether the answer to a GET of len
// bytes at off (len > 0) is that range: BB_OK, BB_ENOENT (the object is
// shorter) or BB_EPROTO.  On BB_OK *cut says the answer runs past the
// range (its rest must be dropped).
bb_err store__s3_range_check(const store__s3_req *r, uint64_t off,
                             uint64_t len, bool *cut);

// store__s3_mp_check_etag checks the ETag in resp (NUL-terminated), the
// answer to a multipart completion of key: the multipart ETag of plan p,
// or its whole MD5 (some servers).  BB_OK, BB_EPROTO (none, or too long)
// or BB_ECORRUPT, with one line in why.  All borrowed.
bb_err store__s3_mp_check_etag(const char *resp, const char *key,
                               const store_digest_plan *p, char *why,
                               size_t whylen);

// store__s3_pct percent-encodes s into out (cap bytes): every byte but
// the unreserved A-Z a-z 0-9 - _ . ~ (and '/' if keep_slash) becomes %XX.
// false if it does not fit.
bool store__s3_pct(const char *s, bool keep_slash, char *out, size_t cap);

// store__s3_conn_get takes an idle connection of s3, or makes one.  NULL
// if out of memory.  Give it back with store__s3_conn_put.
store__s3_conn *store__s3_conn_get(store__s3 *s3);

// store__s3_conn_put returns c, attached to no transfer, to s3's pool
// (or frees it if the pool is full).  Its options are reset; the
// connections it caches stay open.
void store__s3_conn_put(store__s3 *s3, store__s3_conn *c);

// store__s3_pool_fini frees s3's idle connections.
void store__s3_pool_fini(store__s3 *s3);

// store__s3_put_range sends [part->off, part->off + part->len) of fd
// (borrowed) in one PUT of key, with part's MD5 as Content-MD5 and its SHA-256
// as the signed payload hash, and checks that the ETag S3 answers is that MD5
// (BB_ECORRUPT if not).  query NULL and n 0: a whole object (typed
// application/octet-stream), written only if cond (see store__s3_req;
// may be NULL) holds: BB_ESTATE if the server says it does not (412, or
// 409 for a concurrent conditional write); else query names part n of a
// multipart upload (cond must be NULL).  Other errors as
// store__s3_req_err; why is set on failure.
bb_err store__s3_put_range(store__s3 *s3, const char *key, const char *query,
                           uint32_t n, int fd, const store_digest_part *part,
                           const char *cond, const atomic_bool *cancel,
                           char *why, size_t whylen);

// store__s3_cond_failed says whether r, a conditional write, was refused
// because its condition does not hold (412, or 409 for a concurrent
// conditional write), and if so sets why.
bool store__s3_cond_failed(const store__s3_req *r, char *why, size_t whylen);

// store__s3_multipart_put uploads p's parts of fd as object key (see
// ops.put): create, one PUT per part, complete (conditional on cond, as
// store__s3_put_range: BB_ESTATE if it does not hold); aborts the upload
// on any failure after creating it.  BB_OK once the final ETag matches p.
bb_err store__s3_multipart_put(store__s3 *s3, const char *key, int fd,
                               const store_digest_plan *p, const char *cond,
                               const atomic_bool *cancel, char *why,
                               size_t whylen);

// store__s3_part_size is the part size of a multipart upload of size
// bytes: the configured one, grown (in whole MiB) until 10000 parts are
// enough.
uint64_t store__s3_part_size(const store__s3 *s3, uint64_t size);

// store__s3_put is ops.put of the S3 archive (storage/archive/s3/put.c).
bb_err store__s3_put(void *ctx, const char *key, int fd, uint64_t size,
                     const atomic_bool *cancel, bool *existed, char *why,
                     size_t whylen);

// store__s3_open is ops.open of the S3 archive: a ranged GET, returned
// once its response headers are in and checked.  On BB_OK the caller
// owns *rdp (store_archive_rd_close), which must be closed before s3 is
// freed.
bb_err store__s3_open(void *ctx, const char *key, uint64_t off, uint64_t len,
                      store_archive_rd **rdp);

#endif // STORAGE_S3_IMPL_H
