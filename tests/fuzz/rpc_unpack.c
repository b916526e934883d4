// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/rpc_unpack.c -- every RPC message (proto/blobby/rpc/v1) from
// any bytes, as the server unpacks requests and clients unpack answers:
// protobuf-c's unpacker with the generated descriptors, the check for
// NUL bytes in string fields (rpc/wire.c) and the Status of a response.
// A message that unpacks packs again, and that packing is stable (it
// unpacks and packs to the same bytes) when it has no unknown fields, at
// any depth: protobuf-c keeps those as they came and accepts a tag of
// field 0 in a non-minimal varint (80 00) that it then packs as 00 and
// refuses.  The product never packs a message it unpacked, so that is not
// followed.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc_impl.h"
#include "tests/fuzz/fuzz.h"

static const ProtobufCMessageDescriptor *const rpc_types[] = {
	&blobby__rpc__v1__status__descriptor,
	&blobby__rpc__v1__initialize_request__descriptor,
	&blobby__rpc__v1__initialize_response__descriptor,
	&blobby__rpc__v1__replicate_request__descriptor,
	&blobby__rpc__v1__replicate_response__descriptor,
	&blobby__rpc__v1__heart_beat_request__descriptor,
	&blobby__rpc__v1__heart_beat_response__descriptor,
	&blobby__rpc__v1__delete_request__descriptor,
	&blobby__rpc__v1__delete_response__descriptor,
	&blobby__rpc__v1__read_request__descriptor,
	&blobby__rpc__v1__read_response__descriptor,
	&blobby__rpc__v1__node_status_request__descriptor,
	&blobby__rpc__v1__node_status_response__descriptor,
};

// rpc_pack packs m into a new block of its exact size (*lenp bytes).
// NULL when out of memory; the caller frees it.
static uint8_t *
rpc_pack(const ProtobufCMessage *m, size_t *lenp)
{
	size_t   len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len > 0 ? len : 1);

	if (buf != NULL) {
		FUZZ_CHECK(protobuf_c_message_pack(m, buf) == len);
		*lenp = len;
	}
	return buf;
}

// rpc_has_unknown says whether m or a message inside it (Status, the
// repeated ReadRequest.more and ReadResponse.more) kept unknown fields.
static bool
rpc_has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor   *f;
	const char                       *base = (const char *) m;
	ProtobufCMessage *const          *v;
	const ProtobufCMessage           *sub;
	size_t                            i, j, n;

	if (m->n_unknown_fields > 0) {
		return true;
	}
	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&v, base + f->offset, sizeof(v));
			for (j = 0; j < n; j++) {
				if (rpc_has_unknown(v[j])) {
					return true;
				}
			}
		} else {
			memcpy(&sub, base + f->offset, sizeof(sub));
			if (sub != NULL && rpc_has_unknown(sub)) {
				return true;
			}
		}
	}
	return false;
}

static void
rpc_one(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
	ProtobufCMessage *m;
	ProtobufCMessage *again;
	uint8_t          *p1;
	uint8_t          *p2;
	size_t            n1 = 0;
	size_t            n2 = 0;

	(void) rpc__wire_strings_clean(d, data, size);
	m = protobuf_c_message_unpack(d, NULL, size, data);
	if (m == NULL) {
		return;
	}
	FUZZ_CHECK(protobuf_c_message_check(m));
	if (rpc__status_field(d) != NULL) {
		(void) rpc__resp_status(m);
	}
	p1 = !rpc_has_unknown(m) ? rpc_pack(m, &n1) : NULL;
	protobuf_c_message_free_unpacked(m, NULL);
	if (p1 == NULL) {
		return;
	}
	again = protobuf_c_message_unpack(d, NULL, n1, p1);
	FUZZ_CHECK(again != NULL);
	p2 = rpc_pack(again, &n2);
	protobuf_c_message_free_unpacked(again, NULL);
	if (p2 != NULL) {
		FUZZ_CHECK(n1 == n2 && memcmp(p1, p2, n1) == 0);
	}
	free(p1);
	free(p2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(rpc_types) / sizeof(rpc_types[0]); i++) {
		rpc_one(rpc_types[i], data, size);
	}
	return 0;
}
