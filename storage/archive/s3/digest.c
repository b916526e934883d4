// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/digest.c -- MD5 and SHA-256 of files and buffers through
// OpenSSL EVP, and their text forms.  The file is read once, in bounded
// slices, whatever its size.
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "storage/archive/s3/digest.h"
#include "storage/fileio.h"

// Read slice: large enough that the syscalls do not matter, small enough
// that a cancel is noticed quickly.
#define DG_SLICE (1u << 20)

// The three running sums of a plan.  part covers the current part (or,
// for a single PUT, nothing: sha then sums the whole file).
typedef struct dg_ctx {
	EVP_MD_CTX *whole_md5;
	EVP_MD_CTX *part_md5;
	EVP_MD_CTX *sha;
} dg_ctx;

static void
dg_ctx_fini(dg_ctx *c)
{
	EVP_MD_CTX_free(c->whole_md5);
	EVP_MD_CTX_free(c->part_md5);
	EVP_MD_CTX_free(c->sha);
}

static bb_err
dg_ctx_init(dg_ctx *c)
{
	c->whole_md5 = EVP_MD_CTX_new();
	c->part_md5  = EVP_MD_CTX_new();
	c->sha       = EVP_MD_CTX_new();
	if (c->whole_md5 == NULL || c->part_md5 == NULL || c->sha == NULL) {
		return BB_ENOMEM;
	}
	if (EVP_DigestInit_ex(c->whole_md5, EVP_md5(), NULL) != 1) {
		return BB_EINVAL;
	}
	return BB_OK;
}

// dg_part_begin starts the sums of one part (or of the whole file's
// SHA-256 for a single PUT, where part_md5 goes unused).
static bb_err
dg_part_begin(dg_ctx *c)
{
	if (EVP_DigestInit_ex(c->part_md5, EVP_md5(), NULL) != 1 ||
	    EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL) != 1) {
		return BB_EINVAL;
	}
	return BB_OK;
}

static bb_err
dg_part_end(dg_ctx *c, store_digest_part *part)
{
	if (EVP_DigestFinal_ex(c->part_md5, part->md5, NULL) != 1 ||
	    EVP_DigestFinal_ex(c->sha, part->sha256, NULL) != 1) {
		return BB_EINVAL;
	}
	return BB_OK;
}

static bb_err
dg_update(dg_ctx *c, const void *buf, size_t n, bool parts)
{
	if (EVP_DigestUpdate(c->whole_md5, buf, n) != 1 ||
	    EVP_DigestUpdate(c->sha, buf, n) != 1 ||
	    (parts && EVP_DigestUpdate(c->part_md5, buf, n) != 1)) {
		return BB_EINVAL;
	}
	return BB_OK;
}

// dg_layout sets the offsets and lengths of p's parts.
static bb_err
dg_layout(store_digest_plan *p)
{
	uint64_t n;
	uint32_t i;

	n = p->size == 0 ? 1 : (p->size + p->part_size - 1) / p->part_size;
	if (n > UINT32_MAX) {
		return BB_ETOOBIG;
	}
	p->parts = calloc((size_t) n, sizeof(*p->parts));
	if (p->parts == NULL) {
		return BB_ENOMEM;
	}
	p->nparts = (uint32_t) n;
	for (i = 0; i < p->nparts; i++) {
		p->parts[i].off = (uint64_t) i * p->part_size;
		p->parts[i].len = p->size - p->parts[i].off < p->part_size
		    ? p->size - p->parts[i].off
		    : p->part_size;
	}
	return BB_OK;
}

bb_err
store_digest_plan_init(store_digest_plan *p, int fd, uint64_t size,
                       uint64_t part_size, const atomic_bool *cancel)
{
	store_digest_plan plan = { .size = size, .part_size = part_size };
	dg_ctx            c    = { NULL, NULL, NULL };
	unsigned char    *buf  = NULL;
	uint64_t          off  = 0;
	uint64_t          end;
	uint32_t          part = 0;
	size_t            n;
	bb_err            rv;

	rv = dg_ctx_init(&c);
	if (rv == BB_OK && part_size > 0) {
		rv = dg_layout(&plan);
	}
	if (rv == BB_OK) {
		buf = malloc(DG_SLICE);
		rv  = buf == NULL ? BB_ENOMEM : dg_part_begin(&c);
	}
	while (rv == BB_OK && off < size) {
		if (cancel != NULL && atomic_load(cancel)) {
			rv = BB_ESHUTDOWN;
			break;
		}
		// A slice never crosses a part boundary.
		end = part_size > 0
		    ? plan.parts[part].off + plan.parts[part].len
		    : size;
		n   = end - off < DG_SLICE ? (size_t) (end - off) : DG_SLICE;
		rv  = store_io_read(fd, buf, n, off);
		if (rv == BB_OK) {
			rv = dg_update(&c, buf, n, part_size > 0);
		}
		off += n;
		if (rv == BB_OK && part_size > 0 && off == end) {
			rv = dg_part_end(&c, &plan.parts[part]);
			if (rv == BB_OK && ++part < plan.nparts) {
				rv = dg_part_begin(&c);
			}
		}
	}
	// An empty file as one part: the sums of nothing.
	if (rv == BB_OK && part_size > 0 && part < plan.nparts) {
		rv = dg_part_end(&c, &plan.parts[part]);
	}
	if (rv == BB_OK && part_size == 0 &&
	    EVP_DigestFinal_ex(c.sha, plan.sha256, NULL) != 1) {
		rv = BB_EINVAL;
	}
	if (rv == BB_OK &&
	    EVP_DigestFinal_ex(c.whole_md5, plan.md5, NULL) != 1) {
		rv = BB_EINVAL;
	}
	free(buf);
	dg_ctx_fini(&c);
	if (rv != BB_OK) {
		store_digest_plan_fini(&plan);
		return rv;
	}
	*p = plan;
	return BB_OK;
}

void
store_digest_plan_fini(store_digest_plan *p)
{
	free(p->parts);
	p->parts  = NULL;
	p->nparts = 0;
}

void
store_digest_multipart_etag(const store_digest_plan *p, char *buf)
{
	EVP_MD_CTX *c = NULL;
	uint8_t     sum[STORE_MD5_LEN];
	char        hex[STORE_MD5_HEXLEN];
	uint32_t    i;
	int         ok;

	buf[0] = '\0';
	if (p->nparts == 0) {
		return;
	}
	c  = EVP_MD_CTX_new();
	ok = c != NULL && EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1;
	for (i = 0; ok && i < p->nparts; i++) {
		ok = EVP_DigestUpdate(c, p->parts[i].md5, STORE_MD5_LEN) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(c, sum, NULL) == 1;
	EVP_MD_CTX_free(c);
	if (ok) {
		store_digest_hex(sum, sizeof(sum), hex);
		(void) snprintf(buf, STORE_ETAG_LEN, "%s-%" PRIu32, hex,
		                p->nparts);
	}
}

bb_err
store_digest_md5(const void *buf, size_t n, uint8_t out[STORE_MD5_LEN])
{
	return EVP_Digest(buf, n, out, NULL, EVP_md5(), NULL) == 1 ? BB_OK
	                                                           : BB_EINVAL;
}

bb_err
store_digest_sha256(const void *buf, size_t n, uint8_t out[STORE_SHA256_LEN])
{
	return EVP_Digest(buf, n, out, NULL, EVP_sha256(), NULL) == 1
	    ? BB_OK
	    : BB_EINVAL;
}

void
store_digest_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t            i;

	for (i = 0; i < n; i++) {
		out[2 * i]     = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void
store_digest_b64(const uint8_t *b, size_t n, char *out)
{
	// EVP_EncodeBlock writes the NUL itself.
	(void) EVP_EncodeBlock((unsigned char *) out, b, (int) n);
}
