// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/wire.c -- the one check protobuf-c cannot make: it unpacks a
// string field into a NUL-terminated copy, so a NUL byte inside one
// silently cuts it ("test\0x" becomes the namespace "test").  This walks
// the packed message (already unpacked once, so well formed) and looks
// inside every string field, nested messages included.
#include <string.h>

#include "rpc/rpc_impl.h"

// Deeper than any message of rpc.proto; a bound on what a caller can
// make the walk recurse.
#define WIRE_MAX_DEPTH 8

static bool
wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x     = 0;
	unsigned shift = 0;
	uint8_t  b;

	while (*p < end && shift < 64) {
		b = *(*p)++;
		x |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return true;
		}
		shift += 7;
	}
	return false;
}

static bool
wire_clean(const ProtobufCMessageDescriptor *d, const uint8_t *p,
           const uint8_t *end, unsigned depth)
{
	const ProtobufCFieldDescriptor *f;
	uint64_t                        key;
	uint64_t                        n;

	if (depth > WIRE_MAX_DEPTH) {
		return false;
	}
	while (p < end) {
		if (!wire_varint(&p, end, &key) || (key >> 3) > UINT32_MAX) {
			return false;
		}
		switch (key & 7) {
		case 0: // varint
			if (!wire_varint(&p, end, &n)) {
				return false;
			}
			break;
		case 1: // 64-bit
			if (end - p < 8) {
				return false;
			}
			p += 8;
			break;
		case 5: // 32-bit
			if (end - p < 4) {
				return false;
			}
			p += 4;
			break;
		case 2: // length-delimited: strings, bytes, messages, packed
			if (!wire_varint(&p, end, &n) ||
			    n > (uint64_t) (end - p)) {
				return false;
			}
			f = protobuf_c_message_descriptor_get_field(
			    d, (unsigned) (key >> 3));
			if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
			    memchr(p, '\0', (size_t) n) != NULL) {
				return false;
			}
			if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    !wire_clean(f->descriptor, p, p + n, depth + 1)) {
				return false;
			}
			p += n;
			break;
		default: // groups: not in proto3
			return false;
		}
	}
	return true;
}

bool
rpc__wire_strings_clean(const ProtobufCMessageDescriptor *d,
                        const uint8_t *data, size_t len)
{
	return wire_clean(d, data, data + len, 0);
}
