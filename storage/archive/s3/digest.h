// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/digest.h -- the MD5 and SHA-256 sums an S3 upload needs,
// through OpenSSL EVP: a one-pass "plan" of a file (its MD5, and either its
// SHA-256 or, for a multipart upload, each part's MD5 and SHA-256), the
// ETag S3 gives a multipart object, and hex and base64 spellings.  It
// knows nothing about HTTP.
// Internal to storage/archive/s3/.
#ifndef STORAGE_DIGEST_H
#define STORAGE_DIGEST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define STORE_MD5_LEN    16
#define STORE_SHA256_LEN 32
// Buffer sizes of the text forms, terminator included.
#define STORE_MD5_HEXLEN    (2 * STORE_MD5_LEN + 1)
#define STORE_SHA256_HEXLEN (2 * STORE_SHA256_LEN + 1)
#define STORE_MD5_B64LEN    25 // 4 * ceil(16 / 3) + 1
// "<32 hex>-<up to 10 digits>" and a terminator.
#define STORE_ETAG_LEN 48

// One part of a multipart upload: [off, off + len) of the file.
typedef struct store_digest_part {
	uint64_t off;
	uint64_t len;
	uint8_t  md5[STORE_MD5_LEN];
	uint8_t  sha256[STORE_SHA256_LEN];
} store_digest_part;

// What one read pass over a file learned.  part_size 0 means a single
// PUT: sha256 is the whole file's and there are no parts.  Otherwise
// parts[0..nparts) cover the file in order (the last may be shorter)
// and sha256 is unset.  md5 is always the whole file's.
typedef struct store_digest_plan {
	uint64_t           size;
	uint64_t           part_size;
	uint32_t           nparts;
	uint8_t            md5[STORE_MD5_LEN];
	uint8_t            sha256[STORE_SHA256_LEN];
	store_digest_part *parts; // owned; nparts entries, NULL if none
} store_digest_plan;

// store_digest_plan_init reads the size bytes of fd (pread from offset 0;
// fd is borrowed) once and fills *p for parts of part_size (0: a single
// PUT).  A non-empty file with part_size > 0 always has at least one part.
// cancel (may be NULL) is checked between reads: BB_ESHUTDOWN.  BB_ESHORT
// if the file is shorter than size, BB_ENOMEM, errno codes of pread,
// BB_EINVAL if OpenSSL refuses.  On BB_OK the caller owns p->parts
// (store_digest_plan_fini); on error *p holds nothing to free.
bb_err store_digest_plan_init(store_digest_plan *p, int fd, uint64_t size,
                              uint64_t part_size, const atomic_bool *cancel);

// store_digest_plan_fini frees what p holds.  A zeroed p is a no-op.
void store_digest_plan_fini(store_digest_plan *p);

// store_digest_multipart_etag writes the ETag AWS gives the object a
// multipart upload of p's parts makes, without quotes:
// hex(MD5(md5[1] || ... || md5[n])) "-" n, into buf (STORE_ETAG_LEN
// bytes).  An empty string if p has no parts or OpenSSL fails.
void store_digest_multipart_etag(const store_digest_plan *p, char *buf);

// store_digest_md5 and store_digest_sha256 sum n bytes of buf into out.
// BB_EINVAL if OpenSSL refuses (it does not, short of a broken install).
// store_digest_md5 is for tests (the product's MD5s come from
// store_digest_plan_init); store_digest_sha256 signs the body of a
// CompleteMultipartUpload.
bb_err store_digest_md5(const void *buf, size_t n, uint8_t out[STORE_MD5_LEN]);
bb_err store_digest_sha256(const void *buf, size_t n,
                           uint8_t out[STORE_SHA256_LEN]);

// store_digest_hex writes the n bytes of b as 2n lower-case hex digits and
// a NUL into out (2n + 1 bytes).
void store_digest_hex(const uint8_t *b, size_t n, char *out);

// store_digest_b64 writes the standard, padded base64 of the n bytes of b
// and a NUL into out (4 * ceil(n / 3) + 1 bytes).
void store_digest_b64(const uint8_t *b, size_t n, char *out);

#endif // STORAGE_DIGEST_H
