// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/id.h -- file ids and object ids, byte-compatible with the
// original.  A file id is 10 bytes: creation time (u32 s),
// a per-process counter (u16) and the machine id (u32), big endian.  An
// object id adds the start offset and length; both print as base64url
// without padding.  Values only: nothing here touches a file.
#ifndef STORAGE_ID_H
#define STORAGE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define STORE_FID_LEN      10 // bytes
#define STORE_FID_STRLEN   14 // characters
#define STORE_ID_STRMAX    30 // characters of a long id
#define STORE_ID_SHORT_LEN 24
#define STORE_ID_LONG_LEN  30
// An object id as bytes: the fid, the start (u32, or u64 past 4 GiB) and
// the length (u32), big endian.
#define STORE_ID_SHORT_BYTES 18
#define STORE_ID_LONG_BYTES  22

// A file id.  Public so it can be embedded and compared by value.
typedef struct store_fid {
	uint8_t b[STORE_FID_LEN];
} store_fid;

// What an object id names: length bytes at start in file fid.
typedef struct store_id {
	store_fid fid;
	uint64_t  start;
	uint32_t  length;
} store_id;

// store_fid_make builds the fid for (seconds, counter, machine).
void store_fid_make(store_fid *fid, uint32_t seconds, uint16_t counter,
                    uint32_t machine);

// store_fid_next builds a fid for machine at the current time with the
// next value of the process-wide counter (starting at 1, wrapping at
// 65536, as the original).  Thread-safe.
void store_fid_next(store_fid *fid, uint32_t machine);

uint32_t store_fid_seconds(const store_fid *fid);
uint16_t store_fid_counter(const store_fid *fid);
uint32_t store_fid_machine(const store_fid *fid);

// store_fid_format writes the 14-character form and a NUL into buf, which
// must hold STORE_FID_STRLEN + 1 bytes.  Returns buf.
char *store_fid_format(const store_fid *fid, char *buf);

// store_fid_parse parses exactly STORE_FID_STRLEN characters of s[0..n).
// BB_EINVAL for any other length or an invalid encoding.  On BB_OK *fid is
// set.
bb_err store_fid_parse(const char *s, size_t n, store_fid *fid);

// store_id_format writes the id (24 characters when start < 2^32, else 30)
// and a NUL into buf, which must hold STORE_ID_STRMAX + 1 bytes.  Returns
// the number of characters.
size_t store_id_format(const store_id *id, char *buf);

// store_id_parse parses an object id from s[0..n): any input that is not
// a valid 24- or 30-character id gives BB_EINVAL, never a crash.  On
// BB_OK *id is set.
bb_err store_id_parse(const char *s, size_t n, store_id *id);

// store_id_pack writes the bytes of id (the short form when start <
// 2^32) into raw, which must hold STORE_ID_LONG_BYTES.  Returns their
// number.
size_t store_id_pack(const store_id *id, uint8_t *raw);

// store_id_unpack reads an id from raw[0..n): BB_EINVAL unless n is
// STORE_ID_SHORT_BYTES or STORE_ID_LONG_BYTES.  On BB_OK *id is set.
bb_err store_id_unpack(const uint8_t *raw, size_t n, store_id *id);

// store_fid_equal compares two fids.
bool store_fid_equal(const store_fid *a, const store_fid *b);

#endif // STORAGE_ID_H
