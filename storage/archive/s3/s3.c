// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/s3.c -- the S3 archive: its configuration, and one PUT
// with Content-MD5 (a whole object or a part).  What a put stores (or
// refuses) is decided in put.c; requests are built in request.c, multipart
// uploads run in multipart.c, reads in read.c, credentials come from
// creds.c.
//
// libcurl is initialised once per process (curl_global_init through
// pthread_once, on the first store_archive_s3_new) and never cleaned up:
// other threads may still use it at exit.
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "storage/archive/s3/s3_impl.h"

static pthread_once_t s3_once = PTHREAD_ONCE_INIT;
static CURLcode       s3_init_rc;

static void
s3_global_init(void)
{
	s3_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

// The share's lock callbacks: one mutex per kind of data.
static void
s3_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
	store__s3 *s3 = arg;

	(void) h;
	(void) access;
	(void) pthread_mutex_lock(&s3->share_mu[data]);
}

static void
s3_unlock(CURL *h, curl_lock_data data, void *arg)
{
	store__s3 *s3 = arg;

	(void) h;
	(void) pthread_mutex_unlock(&s3->share_mu[data]);
}

uint64_t
store__s3_part_size(const store__s3 *s3, uint64_t size)
{
	uint64_t ps  = s3->part_size;
	uint64_t min = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;

	if (min > ps) {
		ps = (min + (UINT64_C(1) << 20) - 1) &
		    ~((UINT64_C(1) << 20) - 1);
	}
	return ps;
}

bool
store__s3_cond_failed(const store__s3_req *r, char *why, size_t whylen)
{
	if (r->cond == NULL || (r->status != 412 && r->status != 409)) {
		return false;
	}
	(void) snprintf(why, whylen,
	                "%s %s: %ld: the object changed (another writer)",
	                r->method, r->key, r->status);
	return true;
}

bb_err
store__s3_put_range(store__s3 *s3, const char *key, const char *query,
                    uint32_t n, int fd, const store_digest_part *part,
                    const char *cond, const atomic_bool *cancel, char *why,
                    size_t whylen)
{
	store__s3_req r = { .method = "PUT", .key = key, .cancel = cancel };
	char          md5[STORE_MD5_HEXLEN];
	char          b64[STORE_MD5_B64LEN];
	char          sha[STORE_SHA256_HEXLEN];
	bb_err        rv;

	store_digest_hex(part->md5, sizeof(part->md5), md5);
	store_digest_b64(part->md5, sizeof(part->md5), b64);
	store_digest_hex(part->sha256, sizeof(part->sha256), sha);
	r.query      = query;
	r.sha256_hex = sha;
	r.md5_b64    = b64;
	// A part takes the type the upload was created with.
	r.content_type = query == NULL ? "application/octet-stream" : NULL;
	r.fd           = fd;
	r.fd_off       = part->off;
	r.fd_len       = part->len;
	r.cond         = cond;
	rv             = store__s3_req_run(s3, &r, why, whylen);
	if (rv == BB_OK && store__s3_cond_failed(&r, why, whylen)) {
		rv = BB_ESTATE;
	} else if (rv == BB_OK && r.status != 200) {
		rv = store__s3_req_err(s3, &r, why, whylen);
	} else if (rv == BB_OK && strcasecmp(r.etag, md5) != 0 && n == 0) {
		rv = bb_why(BB_ECORRUPT, why, whylen,
		            "PUT %s: ETag '%s' is not the MD5 %s", key, r.etag,
		            md5);
	} else if (rv == BB_OK && strcasecmp(r.etag, md5) != 0) {
		rv = bb_why(BB_ECORRUPT, why, whylen,
		            "PUT %s part %" PRIu32
		            ": ETag '%s' is not the MD5 %s",
		            key, n, r.etag, md5);
	}
	store__s3_req_fini(s3, &r);
	return rv;
}

static void
s3_free(void *ctx)
{
	store__s3 *s3 = ctx;
	int        i;

	if (s3 == NULL) {
		return;
	}
	store__s3_pool_fini(s3); // every easy handle, before the share
	if (s3->share != NULL) {
		(void) curl_share_cleanup(s3->share);
	}
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
		(void) pthread_mutex_destroy(&s3->share_mu[i]);
	}
	(void) pthread_mutex_destroy(&s3->pool_mu);
	free(s3->endpoint);
	free(s3->region);
	free(s3->bucket);
	free(s3->key_id);
	free(s3->secret_key);
	free(s3->token_hdr);
	free(s3->sigv4);
	free(s3);
}

static const store_archive_ops s3_ops = {
	.put  = store__s3_put,
	.open = store__s3_open,
	.free = s3_free,
};

// s3_check_conf returns a static reason conf is unusable, or NULL.
static const char *
s3_check_conf(const store_s3_conf *c)
{
	if (c->region == NULL || c->region[0] == '\0') {
		return "s3: region is required";
	}
	if (c->bucket == NULL || c->bucket[0] == '\0') {
		return "s3: bucket is required";
	}
	if (strchr(c->bucket, '/') != NULL) {
		return "s3: a bucket name cannot hold '/'";
	}
	if (c->key_id == NULL || c->key_id[0] == '\0') {
		return "s3: key_id is required";
	}
	if (c->secret_key == NULL || c->secret_key[0] == '\0') {
		return "s3: secret_key is required";
	}
	if (c->endpoint != NULL && strncmp(c->endpoint, "http://", 7) != 0 &&
	    strncmp(c->endpoint, "https://", 8) != 0) {
		return "s3: endpoint must start with http:// or https://";
	}
	if (c->part_size < S3_MIN_PART || c->part_size > S3_MAX_PART) {
		return "s3: part size must be between 5 MiB and 5 GiB";
	}
	if (c->multipart_threshold > S3_MAX_SINGLE) {
		return "s3: multipart threshold above 5 GiB, the largest PUT";
	}
	if (c->timeout_ns <= 0) {
		return "s3: timeout must be positive";
	}
	return NULL;
}

// s3_strdup copies s (NULL stays NULL); false only if out of memory.
static bool
s3_strdup(char **dst, const char *s)
{
	*dst = s != NULL ? strdup(s) : NULL;
	return s == NULL || *dst != NULL;
}

static bb_err
s3_share_init(store__s3 *s3)
{
	int bad = 0;

	s3->share = curl_share_init();
	if (s3->share == NULL) {
		return BB_ENOMEM;
	}
	bad |= curl_share_setopt(s3->share, CURLSHOPT_LOCKFUNC, s3_lock);
	bad |= curl_share_setopt(s3->share, CURLSHOPT_UNLOCKFUNC, s3_unlock);
	bad |= curl_share_setopt(s3->share, CURLSHOPT_USERDATA, s3);
	bad |=
	    curl_share_setopt(s3->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	bad |= curl_share_setopt(s3->share, CURLSHOPT_SHARE,
	                         CURL_LOCK_DATA_SSL_SESSION);
	return bad != 0 ? BB_EINVAL : BB_OK;
}

bb_err
store_archive_s3_new(const store_s3_conf *conf, store_archive **ap, char *why,
                     size_t whylen)
{
	store__s3  *s3;
	const char *bad;
	char        desc[512];
	size_t      n;
	int64_t     ms;
	int         i;
	bb_err      rv;

	bad = conf != NULL ? s3_check_conf(conf) : "s3: no configuration";
	if (bad != NULL) {
		return bb_why(BB_EINVAL, why, whylen, "%s", bad);
	}
	(void) pthread_once(&s3_once, s3_global_init);
	if (s3_init_rc != CURLE_OK) {
		return bb_why(BB_ENOMEM, why, whylen,
		              "s3: curl_global_init failed");
	}
	s3 = calloc(1, sizeof(*s3));
	if (s3 == NULL) {
		return BB_ENOMEM;
	}
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
		(void) pthread_mutex_init(&s3->share_mu[i], NULL);
	}
	(void) pthread_mutex_init(&s3->pool_mu, NULL);
	s3->threshold   = conf->multipart_threshold;
	s3->part_size   = conf->part_size;
	ms              = conf->timeout_ns / 1000000;
	s3->connect_ms  = ms < 1 ? 1 : (ms > LONG_MAX ? LONG_MAX : (long) ms);
	s3->low_speed_s = ms / 1000 < 1 ? 1 : (long) (ms / 1000);
	if (!s3_strdup(&s3->endpoint, conf->endpoint) ||
	    !s3_strdup(&s3->region, conf->region) ||
	    !s3_strdup(&s3->bucket, conf->bucket) ||
	    !s3_strdup(&s3->key_id, conf->key_id) ||
	    !s3_strdup(&s3->secret_key, conf->secret_key)) {
		rv = BB_ENOMEM;
		goto fail;
	}
	if (s3->endpoint != NULL) {
		n = strlen(s3->endpoint);
		while (n > 0 && s3->endpoint[n - 1] == '/') {
			s3->endpoint[--n] = '\0';
		}
	}
	n         = strlen(conf->region) + 16;
	s3->sigv4 = malloc(n);
	if (s3->sigv4 == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	(void) snprintf(s3->sigv4, n, "aws:amz:%s:s3", conf->region);
	if (conf->session_token != NULL && conf->session_token[0] != '\0') {
		n             = strlen(conf->session_token) + 32;
		s3->token_hdr = malloc(n);
		if (s3->token_hdr == NULL) {
			rv = BB_ENOMEM;
			goto fail;
		}
		(void) snprintf(s3->token_hdr, n, "x-amz-security-token: %s",
		                conf->session_token);
	}
	rv = s3_share_init(s3);
	if (rv != BB_OK) {
		goto fail;
	}
	if (s3->endpoint != NULL) {
		(void) snprintf(desc, sizeof(desc), "s3://%s at %s",
		                s3->bucket, s3->endpoint);
	} else {
		(void) snprintf(desc, sizeof(desc), "s3://%s (%s)", s3->bucket,
		                s3->region);
	}
	rv = store_archive_custom(&s3_ops, s3, desc, ap);
	if (rv != BB_OK) {
		goto fail;
	}
	return BB_OK;

fail:
	s3_free(s3);
	return rv;
}
