// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/multipart.c -- a multipart upload of one file: create it,
// send each part (Content-MD5 and SHA-256 of the part, ETag checked),
// complete it (a 200 can still carry an <Error>), and abort it on any
// failure so no parts are left behind.  Parts go one after the other;
// the caller runs several uploads at once if it wants more throughput.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "storage/archive/s3/s3_impl.h"

// Upload ids are opaque; AWS's are about 100 characters.
#define MP_ID_MAX 1024

// mp_create starts the upload; *id gets its (decoded) upload id.
static bb_err
mp_create(store__s3 *s3, const char *key, const atomic_bool *cancel, char *id,
          char *why, size_t whylen)
{
	store__s3_req r = { .method = "POST", .key = key, .cancel = cancel };
	bb_err        rv;

	r.fd = -1;
	// "uploads=" rather than "uploads": libcurl 7.88 signs the query as
	// written, and SigV4's canonical form of an empty value has the '='.
	r.query        = "uploads=";
	r.content_type = "application/octet-stream"; // the object's type
	rv             = store__s3_req_run(s3, &r, why, whylen);
	if (rv == BB_OK && r.status != 200) {
		rv = store__s3_req_err(s3, &r, why, whylen);
	} else if (rv == BB_OK &&
	           !store__s3_xml_text(r.resp, "UploadId", id, MP_ID_MAX)) {
		(void) snprintf(why, whylen,
		                "POST %s?uploads: no UploadId in the "
		                "answer",
		                key);
		rv = BB_EPROTO;
	}
	store__s3_req_fini(s3, &r);
	return rv;
}

// mp_query writes "partNumber=<n>&uploadId=<id>" (n > 0) or
// "uploadId=<id>": parameters in SigV4's sorted order, values encoded.
static bool
mp_query(char *q, size_t cap, uint32_t n, const char *id)
{
	char   enc[3 * MP_ID_MAX + 1];
	size_t used = 0;

	if (!store__s3_pct(id, false, enc, sizeof(enc))) {
		return false;
	}
	if (n > 0) {
		used = (size_t) snprintf(q, cap, "partNumber=%" PRIu32 "&", n);
	}
	return used < cap &&
	    (size_t) snprintf(q + used, cap - used, "uploadId=%s", enc) <
	    cap - used;
}

// mp_part sends part n (from 1) of the upload id.
static bb_err
mp_part(store__s3 *s3, const char *key, int fd, const char *id, uint32_t n,
        const store_digest_part *part, const atomic_bool *cancel, char *why,
        size_t whylen)
{
	char q[3 * MP_ID_MAX + 64];

	if (!mp_query(q, sizeof(q), n, id)) {
		(void) snprintf(why, whylen, "PUT %s: upload id too long",
		                key);
		return BB_EPROTO;
	}
	return store__s3_put_range(s3, key, q, n, fd, part, NULL, cancel, why,
	                           whylen);
}

// mp_complete_xml builds the CompleteMultipartUpload document: each part
// with the ETag S3 gave it, which we checked is its MD5.  Caller frees.
static char *
mp_complete_xml(const store_digest_plan *p, size_t *len)
{
	static const char head[] = "<CompleteMultipartUpload>";
	static const char tail[] = "</CompleteMultipartUpload>";
	char              md5[STORE_MD5_HEXLEN];
	size_t            cap = sizeof(head) + sizeof(tail) + 96 * p->nparts;
	size_t            o;
	uint32_t          i;
	char             *x;

	x = malloc(cap);
	if (x == NULL) {
		return NULL;
	}
	o = (size_t) snprintf(x, cap, "%s", head);
	for (i = 0; i < p->nparts; i++) {
		store_digest_hex(p->parts[i].md5, sizeof(p->parts[i].md5),
		                 md5);
		o += (size_t) snprintf(
		    x + o, cap - o,
		    "<Part><PartNumber>%" PRIu32
		    "</PartNumber><ETag>\"%s\"</ETag></Part>",
		    i + 1, md5);
	}
	o += (size_t) snprintf(x + o, cap - o, "%s", tail);
	*len = o;
	return x;
}

// mp_complete asks S3 to assemble the parts.  The object's ETag must be
// AWS's multipart form for our parts, or (s3rver and some other servers)
// the MD5 of the whole object.
bb_err
store__s3_mp_check_etag(const char *resp, const char *key,
                        const store_digest_plan *p, char *why, size_t whylen)
{
	char  etag[128];
	char  want[STORE_ETAG_LEN];
	char  md5[STORE_MD5_HEXLEN];
	char *e;

	if (!store__s3_xml_text(resp, "ETag", etag, sizeof(etag))) {
		(void) snprintf(why, whylen,
		                "POST %s?uploadId: no ETag of at most %zu "
		                "bytes in the answer",
		                key, sizeof(etag) - 1);
		return BB_EPROTO;
	}
	store_digest_multipart_etag(p, want);
	store_digest_hex(p->md5, sizeof(p->md5), md5);
	e                   = etag[0] == '"' ? etag + 1 : etag;
	e[strcspn(e, "\"")] = '\0';
	if (strcasecmp(e, want) != 0 && strcasecmp(e, md5) != 0) {
		(void) snprintf(
		    why, whylen,
		    "POST %s?uploadId: ETag '%s' is neither %s nor "
		    "%s",
		    key, e, want, md5);
		return BB_ECORRUPT;
	}
	return BB_OK;
}

static bb_err
mp_complete(store__s3 *s3, const char *key, const char *id,
            const store_digest_plan *p, const char *cond,
            const atomic_bool *cancel, char *why, size_t whylen)
{
	store__s3_req r = { .method = "POST", .key = key, .cancel = cancel };
	uint8_t       sum[STORE_SHA256_LEN];
	char          sha[STORE_SHA256_HEXLEN];
	char          q[3 * MP_ID_MAX + 64];
	size_t        len = 0;
	char         *x;
	bb_err        rv;

	x = mp_complete_xml(p, &len);
	if (x == NULL || !mp_query(q, sizeof(q), 0, id) ||
	    store_digest_sha256(x, len, sum) != BB_OK) {
		free(x);
		(void) snprintf(why, whylen,
		                "POST %s?uploadId: cannot build the "
		                "request",
		                key);
		return BB_ENOMEM;
	}
	store_digest_hex(sum, sizeof(sum), sha);
	r.fd           = -1;
	r.query        = q;
	r.body         = x;
	r.body_len     = len;
	r.sha256_hex   = sha;
	r.content_type = "application/xml";
	r.cond         = cond;
	rv             = store__s3_req_run(s3, &r, why, whylen);
	if (rv == BB_OK && store__s3_cond_failed(&r, why, whylen)) {
		rv = BB_ESTATE;
	} else if (rv == BB_OK &&
	           (r.status != 200 || r.resp == NULL ||
	            strstr(r.resp, "<Error>"))) {
		rv = store__s3_req_err(s3, &r, why, whylen);
	} else if (rv == BB_OK) {
		rv = store__s3_mp_check_etag(r.resp, key, p, why, whylen);
	}
	store__s3_req_fini(s3, &r);
	free(x);
	return rv;
}

// mp_abort drops the upload and its parts, best effort: never cancelled
// (it runs because of a cancel, too), its failure only logged.
static void
mp_abort(store__s3 *s3, const char *key, const char *id)
{
	store__s3_req r = { .method = "DELETE", .key = key };
	char          q[3 * MP_ID_MAX + 64];
	char          why[512];
	bb_err        rv;

	r.fd = -1;
	if (!mp_query(q, sizeof(q), 0, id)) {
		return;
	}
	r.query = q;
	rv      = store__s3_req_run(s3, &r, why, sizeof(why));
	if (rv == BB_OK && r.status != 204 && r.status != 200) {
		rv = store__s3_req_err(s3, &r, why, sizeof(why));
	}
	if (rv != BB_OK) {
		bb_log_warn("s3: cannot abort the multipart upload of %s: %s",
		            key, why);
	}
	store__s3_req_fini(s3, &r);
}

bb_err
store__s3_multipart_put(store__s3 *s3, const char *key, int fd,
                        const store_digest_plan *p, const char *cond,
                        const atomic_bool *cancel, char *why, size_t whylen)
{
	char    *id = NULL;
	uint32_t i;
	bb_err   rv;

	id = malloc(MP_ID_MAX);
	if (id == NULL) {
		return BB_ENOMEM;
	}
	rv = mp_create(s3, key, cancel, id, why, whylen);
	if (rv != BB_OK) {
		free(id);
		return rv;
	}
	for (i = 0; i < p->nparts && rv == BB_OK; i++) {
		if (cancel != NULL && atomic_load(cancel)) {
			(void) snprintf(why, whylen,
			                "PUT %s: cancelled (shutting "
			                "down)",
			                key);
			rv = BB_ESHUTDOWN;
			break;
		}
		rv = mp_part(s3, key, fd, id, i + 1, &p->parts[i], cancel, why,
		             whylen);
	}
	if (rv == BB_OK) {
		rv = mp_complete(s3, key, id, p, cond, cancel, why, whylen);
	}
	if (rv != BB_OK) {
		mp_abort(s3, key, id);
	}
	free(id);
	return rv;
}
