// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/put.c -- ops.put of the S3 archive: never replace an
// object by different bytes (see archive.h).  A HEAD gives the object's size
// and ETag; the ETag (the MD5 of a single PUT, or the multipart form with
// our part size) settles most cases, and a ranged GET compared byte by byte
// settles the rest.  The write is conditional: If-None-Match: * for a new
// key, If-Match: <ETag> over a shorter prefix copy; a refusal (412, 409)
// means another writer was faster, and the decision is made again.  After
// a write, a HEAD checks what the key now holds: a server that ignores the
// conditions (s3rver) may have let a concurrent writer replace it, and a
// put reports success only if the object then holds our bytes (or a longer
// copy of which they are a prefix).
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "storage/archive/s3/s3_impl.h"
#include "storage/fileio.h"

// Decisions made again after a refused or unconfirmed write, before the
// put gives up (BB_EBUSY: the key keeps changing under us).
#define PUT_ROUNDS 5
#define PUT_CMPBUF (64u << 10)

// How the object relates to the bytes to archive.
typedef enum {
	S3_NONE,    // no object
	S3_SAME,    // the same bytes
	S3_LONGER,  // longer, and ours are its first bytes
	S3_SHORTER, // shorter, and its bytes are our first bytes
	S3_DIFF,    // neither is a prefix of the other: a conflict
} s3_rel;

// What a HEAD found.
typedef struct s3_obj {
	bool     found;
	uint64_t size;
	char     etag[64];
} s3_obj;

static bb_err
s3_head(store__s3 *s3, const char *key, const atomic_bool *cancel, s3_obj *o,
        char *why, size_t whylen)
{
	store__s3_req r = { .method = "HEAD", .key = key, .cancel = cancel };
	bb_err        rv;

	memset(o, 0, sizeof(*o));
	r.fd = -1;
	rv   = store__s3_req_run(s3, &r, why, whylen);
	if (rv == BB_OK && r.status == 404) {
		o->found = false;
	} else if (rv == BB_OK && r.status == 200 && r.has_length) {
		o->found = true;
		o->size  = r.length;
		(void) snprintf(o->etag, sizeof(o->etag), "%s", r.etag);
	} else if (rv == BB_OK && r.status == 200) {
		rv = bb_why(BB_EPROTO, why, whylen,
		            "HEAD %s: no Content-Length", key);
	} else if (rv == BB_OK) {
		rv = store__s3_req_err(s3, &r, why, whylen);
	}
	store__s3_req_fini(s3, &r);
	return rv;
}

// s3_etag_of says whether etag is the ETag S3 gives the first n bytes of
// fd as we would upload them (one PUT, or parts of our part size), or,
// for the servers that give a multipart object the whole MD5, that MD5.
// p, if not NULL, is the plan of those n bytes already made.
static bb_err
s3_etag_of(store__s3 *s3, int fd, uint64_t n, const store_digest_plan *p,
           const char *etag, const atomic_bool *cancel, bool *match)
{
	store_digest_plan own = { 0 };
	char              md5[STORE_MD5_HEXLEN];
	char              mp[STORE_ETAG_LEN];
	bb_err            rv;

	if (p == NULL) {
		rv = store_digest_plan_init(
		    &own, fd, n,
		    n > s3->threshold ? store__s3_part_size(s3, n) : 0,
		    cancel);
		if (rv != BB_OK) {
			return rv;
		}
		p = &own;
	}
	store_digest_hex(p->md5, sizeof(p->md5), md5);
	store_digest_multipart_etag(p, mp);
	*match = strcasecmp(etag, md5) == 0 ||
	    (mp[0] != '\0' && strcasecmp(etag, mp) == 0);
	store_digest_plan_fini(&own);
	return BB_OK;
}

// s3_cmp_bytes reads the first n bytes of object key back and compares
// them with those of fd: the answer when the ETag cannot give it (another
// part size, a server's own ETag form, or a longer object).  BB_ENOENT if
// the object is gone or shorter than n now.
static bb_err
s3_cmp_bytes(store__s3 *s3, const char *key, int fd, uint64_t n, bool *same)
{
	static _Thread_local unsigned char a[PUT_CMPBUF];
	static _Thread_local unsigned char b[PUT_CMPBUF];
	store_archive_rd                  *rd = NULL;
	uint64_t                           off;
	size_t                             got;
	bb_err                             rv;

	*same = true;
	if (n == 0) {
		return BB_OK;
	}
	rv = store__s3_open(s3, key, 0, n, &rd);
	for (off = 0; rv == BB_OK && off < n && *same; off += got) {
		rv = store_archive_rd_read(rd, b, PUT_CMPBUF, &got);
		if (rv == BB_OK && got == 0) {
			rv = BB_ESHORT;
		}
		if (rv == BB_OK) {
			rv = store_io_read(fd, a, got, off);
		}
		if (rv == BB_OK && memcmp(a, b, got) != 0) {
			*same = false;
		}
	}
	store_archive_rd_close(rd);
	return rv;
}

// s3_relate finds how object key relates to the size bytes of fd (plan
// p): a HEAD, then the ETag or a comparison of the bytes they share.
static bb_err
s3_relate(store__s3 *s3, const char *key, int fd, const store_digest_plan *p,
          const atomic_bool *cancel, s3_rel *rel, s3_obj *o, char *why,
          size_t whylen)
{
	uint64_t size  = p->size;
	bool     match = false;
	bool     same  = false;
	bb_err   rv;

	rv = s3_head(s3, key, cancel, o, why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	if (!o->found) {
		*rel = S3_NONE;
		return BB_OK;
	}
	if (o->size <= size) {
		rv = s3_etag_of(s3, fd, o->size, o->size == size ? p : NULL,
		                o->etag, cancel, &match);
	}
	if (rv == BB_OK && !match) {
		rv = s3_cmp_bytes(s3, key, fd, o->size < size ? o->size : size,
		                  &same);
	}
	if (rv != BB_OK) {
		return bb_why(
		    rv, why, whylen,
		    "%s: cannot compare the object with the file: %s", key,
		    bb_strerror(rv));
	}
	if (!match && !same) {
		*rel = S3_DIFF;
	} else if (o->size == size) {
		*rel = S3_SAME;
	} else {
		*rel = o->size > size ? S3_LONGER : S3_SHORTER;
	}
	return BB_OK;
}

// s3_write uploads p's bytes of fd as key, if cond holds.
static bb_err
s3_write(store__s3 *s3, const char *key, int fd, const store_digest_plan *p,
         const char *cond, const atomic_bool *cancel, char *why, size_t whylen)
{
	store_digest_part whole = { .off = 0, .len = p->size };

	if (p->part_size > 0) {
		bb_log_info("s3: multipart upload of %s: %u parts of %llu "
		            "bytes",
		            key, p->nparts, (unsigned long long) p->part_size);
		return store__s3_multipart_put(s3, key, fd, p, cond, cancel,
		                               why, whylen);
	}
	memcpy(whole.md5, p->md5, sizeof(whole.md5));
	memcpy(whole.sha256, p->sha256, sizeof(whole.sha256));
	return store__s3_put_range(s3, key, NULL, 0, fd, &whole, cond, cancel,
	                           why, whylen);
}

bb_err
store__s3_put(void *ctx, const char *key, int fd, uint64_t size,
              const atomic_bool *cancel, bool *existed, char *why,
              size_t whylen)
{
	store__s3        *s3   = ctx;
	store_digest_plan plan = { 0 };
	s3_obj            o;
	s3_rel            rel  = S3_NONE;
	bool              sent = false;
	int               round;
	bb_err            rv;

	if (key[0] == '\0') {
		(void) snprintf(why, whylen, "empty object key");
		return BB_EINVAL;
	}
	rv = store_digest_plan_init(
	    &plan, fd, size,
	    size > s3->threshold ? store__s3_part_size(s3, size) : 0, cancel);
	if (rv != BB_OK) {
		(void) snprintf(why, whylen, "%s: cannot read the file: %s",
		                key, bb_strerror(rv));
		return rv;
	}
	for (round = 0; round < PUT_ROUNDS; round++) {
		rv = s3_relate(s3, key, fd, &plan, cancel, &rel, &o, why,
		               whylen);
		if (rv != BB_OK || rel == S3_SAME || rel == S3_LONGER ||
		    rel == S3_DIFF) {
			break;
		}
		// No object, or a shorter prefix copy: write ours, only if
		// the key still holds what we saw, then look again.
		rv = s3_write(s3, key, fd, &plan,
		              rel == S3_NONE          ? "*"
		                  : o.etag[0] != '\0' ? o.etag
		                                      : NULL,
		              cancel, why, whylen);
		if (rv == BB_ESTATE ||
		    (rv == BB_ENOENT && rel == S3_SHORTER)) {
			continue; // another writer came first
		}
		if (rv != BB_OK) {
			break;
		}
		if (rel == S3_SHORTER) {
			bb_log_info(
			    "s3: %s: replaced the copy of %llu bytes by "
			    "the %llu bytes it is a prefix of",
			    key, (unsigned long long) o.size,
			    (unsigned long long) size);
		}
		sent = true;
	}
	store_digest_plan_fini(&plan);
	if (rv != BB_OK) {
		return rv;
	}
	if (rel == S3_DIFF) {
		return bb_why(BB_EEXIST, why, whylen,
		              "archive conflict: object %s holds %llu bytes, "
		              "the file has %llu, and neither is a prefix of "
		              "the other; the object is kept%s",
		              key, (unsigned long long) o.size,
		              (unsigned long long) size,
		              sent ? " (it replaced ours after our upload)"
		                   : "");
	}
	if (rel != S3_SAME && rel != S3_LONGER) {
		return bb_why(BB_EBUSY, why, whylen,
		              "%s: the object kept changing under %d tries",
		              key, PUT_ROUNDS);
	}
	*existed = !sent;
	return BB_OK;
}
