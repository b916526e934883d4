// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/codes.c -- the edges between error worlds: bb_err to and from the
// gRPC-numbered Code of the .proto, NNG errors to bb_err, and the Status
// that field 1 of every response carries.  No I/O here.
#include <nng/nng.h>
#include <string.h>

#include "rpc/rpc_impl.h"

int
rpc_code_from_err(bb_err err)
{
	switch (err) {
	case BB_OK:
		return BLOBBY__RPC__V1__CODE__OK;
	case BB_EINVAL:
		return BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT;
	case BB_ENOENT:
		return BLOBBY__RPC__V1__CODE__NOT_FOUND;
	case BB_EEXIST:
		return BLOBBY__RPC__V1__CODE__ALREADY_EXISTS;
	case BB_EACCES:
		return BLOBBY__RPC__V1__CODE__PERMISSION_DENIED;
	case BB_ETOOBIG:
	case BB_ENOSPC:
		return BLOBBY__RPC__V1__CODE__RESOURCE_EXHAUSTED;
	case BB_ESTATE:
		return BLOBBY__RPC__V1__CODE__FAILED_PRECONDITION;
	case BB_ERANGE:
		return BLOBBY__RPC__V1__CODE__OUT_OF_RANGE;
	case BB_ECORRUPT:
		return BLOBBY__RPC__V1__CODE__DATA_LOSS;
	case BB_EUNAVAIL:
	case BB_ESHUTDOWN:
	case BB_EBUSY:
		return BLOBBY__RPC__V1__CODE__UNAVAILABLE;
	case BB_ETIMEDOUT:
		return BLOBBY__RPC__V1__CODE__DEADLINE_EXCEEDED;
	default:
		return BLOBBY__RPC__V1__CODE__INTERNAL;
	}
}

bb_err
rpc_err_from_code(int code)
{
	switch (code) {
	case BLOBBY__RPC__V1__CODE__OK:
		return BB_OK;
	case BLOBBY__RPC__V1__CODE__INVALID_ARGUMENT:
		return BB_EINVAL;
	case BLOBBY__RPC__V1__CODE__NOT_FOUND:
		return BB_ENOENT;
	case BLOBBY__RPC__V1__CODE__ALREADY_EXISTS:
		return BB_EEXIST;
	case BLOBBY__RPC__V1__CODE__PERMISSION_DENIED:
		return BB_EACCES;
	case BLOBBY__RPC__V1__CODE__RESOURCE_EXHAUSTED:
		return BB_ENOSPC;
	case BLOBBY__RPC__V1__CODE__FAILED_PRECONDITION:
		return BB_ESTATE;
	case BLOBBY__RPC__V1__CODE__OUT_OF_RANGE:
		return BB_ERANGE;
	case BLOBBY__RPC__V1__CODE__DATA_LOSS:
		return BB_ECORRUPT;
	case BLOBBY__RPC__V1__CODE__UNAVAILABLE:
		return BB_EUNAVAIL;
	case BLOBBY__RPC__V1__CODE__DEADLINE_EXCEEDED:
		return BB_ETIMEDOUT;
	case BLOBBY__RPC__V1__CODE__UNIMPLEMENTED:
		// The peer does not know the method: the two sides speak
		// different versions of the protocol.
		return BB_EPROTO;
	default:
		// INTERNAL, UNKNOWN, CANCELLED, ABORTED and codes from a
		// newer peer: the remote side failed, for its own reasons.
		return BB_EREMOTE;
	}
}

void
rpc__status_set(Blobby__Rpc__V1__Status *status, const atomic_bool *drain,
                bb_err err, const char *msg)
{
	status->code = (Blobby__Rpc__V1__Code) rpc_code_from_err(err);
	if (err == BB_OK) {
		msg = "";
	} else if (msg == NULL) {
		msg = bb_strerror(err);
	}
	// protobuf-c wants a mutable pointer but only reads it when packing.
	status->message       = (char *) msg;
	status->shutting_down = drain != NULL && atomic_load(drain);
}

const ProtobufCFieldDescriptor *
rpc__status_field(const ProtobufCMessageDescriptor *desc)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(desc, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    f->label == PROTOBUF_C_LABEL_REPEATED ||
	    f->descriptor != &blobby__rpc__v1__status__descriptor ||
	    strcmp(f->name, "status") != 0) {
		return NULL;
	}
	return f;
}

const Blobby__Rpc__V1__Status *
rpc__resp_status(const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f;
	const char                     *base = (const char *) m;
	const Blobby__Rpc__V1__Status  *st;

	f = rpc__status_field(m->descriptor);
	if (f == NULL) {
		return NULL;
	}
	memcpy(&st, base + f->offset, sizeof(st));
	return st;
}

bb_err
rpc__err_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return BB_OK;
	case NNG_ENOMEM:
		return BB_ENOMEM;
	case NNG_ETIMEDOUT:
		return BB_ETIMEDOUT;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return BB_ECLOSED;
	case NNG_ECONNREFUSED:
	case NNG_ECONNRESET:
	case NNG_ECONNABORTED:
	case NNG_ECONNSHUT:
	case NNG_EUNREACHABLE:
		return BB_EUNAVAIL;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
	case NNG_EBADTYPE:
		return BB_EINVAL;
	case NNG_EADDRINUSE:
	case NNG_EBUSY:
		return BB_EBUSY;
	case NNG_EMSGSIZE:
		return BB_ETOOBIG;
	case NNG_EPROTO:
		return BB_EPROTO;
	case NNG_ESTATE:
		return BB_ESTATE;
	case NNG_EPERM:
	case NNG_EPEERAUTH:
		return BB_EACCES;
	case NNG_ENOENT:
		return BB_ENOENT;
	case NNG_ENOFILES:
	case NNG_ENOSPC:
		return BB_ENOSPC;
	default:
		return BB_EIO;
	}
}

void
rpc_fini(void)
{
	nng_fini();
}
