// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/id.c -- encoding and decoding of file and object ids.
#include <stdatomic.h>
#include <string.h>

#include "common/b64.h"
#include "common/clock.h"
#include "storage/id.h"

_Static_assert(STORE_ID_SHORT_BYTES == STORE_FID_LEN + 4 + 4, "short id");
_Static_assert(STORE_ID_LONG_BYTES == STORE_FID_LEN + 8 + 4, "long id");

static atomic_uint id_counter;

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
	    ((uint32_t) p[2] << 8) | p[3];
}

void
store_fid_make(store_fid *fid, uint32_t seconds, uint16_t counter,
               uint32_t machine)
{
	put_be32(fid->b, seconds);
	fid->b[4] = (uint8_t) (counter >> 8);
	fid->b[5] = (uint8_t) counter;
	put_be32(fid->b + 6, machine);
}

void
store_fid_next(store_fid *fid, uint32_t machine)
{
	// The original's counter is a u32 truncated to u16, starting at 1.
	uint16_t counter = (uint16_t) (atomic_fetch_add(&id_counter, 1) + 1);
	uint32_t secs    = (uint32_t) (bb_clock_wall_ns() / BB_NS_PER_SEC);

	store_fid_make(fid, secs, counter, machine);
}

uint32_t
store_fid_seconds(const store_fid *fid)
{
	return get_be32(fid->b);
}

uint16_t
store_fid_counter(const store_fid *fid)
{
	return (uint16_t) ((fid->b[4] << 8) | fid->b[5]);
}

uint32_t
store_fid_machine(const store_fid *fid)
{
	return get_be32(fid->b + 6);
}

char *
store_fid_format(const store_fid *fid, char *buf)
{
	(void) bb_b64url_encode(fid->b, STORE_FID_LEN, buf);
	return buf;
}

bb_err
store_fid_parse(const char *s, size_t n, store_fid *fid)
{
	uint8_t raw[STORE_FID_LEN];
	size_t  got;

	if (n != STORE_FID_STRLEN) {
		return BB_EINVAL;
	}
	if (bb_b64url_decode(s, n, raw, sizeof(raw), &got) != BB_OK ||
	    got != STORE_FID_LEN) {
		return BB_EINVAL;
	}
	memcpy(fid->b, raw, STORE_FID_LEN);
	return BB_OK;
}

size_t
store_id_pack(const store_id *id, uint8_t *raw)
{
	memcpy(raw, id->fid.b, STORE_FID_LEN);
	if (id->start <= UINT32_MAX) {
		put_be32(raw + STORE_FID_LEN, (uint32_t) id->start);
		put_be32(raw + STORE_FID_LEN + 4, id->length);
		return STORE_ID_SHORT_BYTES;
	}
	put_be32(raw + STORE_FID_LEN, (uint32_t) (id->start >> 32));
	put_be32(raw + STORE_FID_LEN + 4, (uint32_t) id->start);
	put_be32(raw + STORE_FID_LEN + 8, id->length);
	return STORE_ID_LONG_BYTES;
}

bb_err
store_id_unpack(const uint8_t *raw, size_t n, store_id *id)
{
	store_id out;

	memset(&out, 0, sizeof(out));
	if (n == STORE_ID_SHORT_BYTES) {
		out.start  = get_be32(raw + STORE_FID_LEN);
		out.length = get_be32(raw + STORE_FID_LEN + 4);
	} else if (n == STORE_ID_LONG_BYTES) {
		out.start = ((uint64_t) get_be32(raw + STORE_FID_LEN) << 32) |
		    get_be32(raw + STORE_FID_LEN + 4);
		out.length = get_be32(raw + STORE_FID_LEN + 8);
	} else {
		return BB_EINVAL;
	}
	memcpy(out.fid.b, raw, STORE_FID_LEN);
	*id = out;
	return BB_OK;
}

size_t
store_id_format(const store_id *id, char *buf)
{
	uint8_t raw[STORE_ID_LONG_BYTES];

	return bb_b64url_encode(raw, store_id_pack(id, raw), buf);
}

bb_err
store_id_parse(const char *s, size_t n, store_id *id)
{
	uint8_t raw[STORE_ID_LONG_BYTES];
	size_t  got;

	// Checking the length first bounds the work on hostile input.
	if (n != STORE_ID_SHORT_LEN && n != STORE_ID_LONG_LEN) {
		return BB_EINVAL;
	}
	if (bb_b64url_decode(s, n, raw, sizeof(raw), &got) != BB_OK) {
		return BB_EINVAL;
	}
	return store_id_unpack(raw, got, id);
}

bool
store_fid_equal(const store_fid *a, const store_fid *b)
{
	return memcmp(a->b, b->b, STORE_FID_LEN) == 0;
}
