// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/check.c -- the gateway's files checked before anything starts:
// the htpasswd files of every ACL and the HTTPS certificate and key.
// Loading them is the check; the server loads them again when it starts.
#include "gateway/gateway_impl.h"

bb_err
gw_conf_check(const bb_conf *conf, char *why, size_t whylen)
{
	gw__access *access = NULL;
	gw__tls    *tls    = NULL;
	bb_err      rv;

	rv = gw__access_new(conf, &access, why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	gw__access_free(access);
	if (conf->server.tls) {
		rv = gw__tls_new(&conf->server, &tls, why, whylen);
		if (rv != BB_OK) {
			return rv;
		}
		gw__tls_free(tls);
	}
	return BB_OK;
}
