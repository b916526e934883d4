// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/tls.c -- RPC over tls+tcp:// (NNG's TLS transport, mbedTLS) with
// mutual authentication: every node holds a certificate signed by the
// cluster's CA, presents it as server and as client, and accepts only
// peers whose certificate that CA signed.
#include <stdlib.h>

#include <nng/nng.h>
// After nng.h, which it needs.
#include <nng/supplemental/tls/tls.h>

#include "common/file.h"
#include "rpc/rpc_impl.h"

#define TLS_MAX_PEM (1024 * 1024) // bytes of one PEM file

bb_err
rpc__tls_config(const bb_conf *conf, bool server, nng_tls_config **cfgp,
                char *why, size_t whylen)
{
	const bb_server_conf *sc   = &conf->server;
	nng_tls_config       *cfg  = NULL;
	char                 *cert = NULL;
	char                 *key  = NULL;
	const char           *what = NULL;
	size_t                len;
	char                  fwhy[BB_WHY_LEN];
	int                   rv;

	rv = nng_tls_config_alloc(
	    &cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT);
	if (rv != 0) {
		what = "cannot make a TLS configuration";
		goto fail;
	}
	if (bb_file_read(sc->rpc_tls_certificate_file, TLS_MAX_PEM, 0, &cert,
	                 &len, NULL, fwhy, sizeof(fwhy)) != BB_OK ||
	    bb_file_read(sc->rpc_tls_private_key_file, TLS_MAX_PEM, 0, &key,
	                 &len, NULL, fwhy, sizeof(fwhy)) != BB_OK) {
		(void) bb_why(BB_ECONFIG, why, whylen, "rpc: cannot read %s",
		              fwhy);
		goto fail;
	}
	rv = nng_tls_config_own_cert(cfg, cert, key, NULL);
	if (rv != 0) {
		what = "rpc_tls_certificate_file and rpc_tls_private_key_file "
		       "are not a PEM certificate and its key";
		goto fail;
	}
	rv = nng_tls_config_ca_file(cfg, sc->rpc_tls_ca_file);
	if (rv != 0) {
		what = "rpc_tls_ca_file is not a PEM CA certificate";
		goto fail;
	}
	// Both sides insist: a peer without a certificate of the cluster's
	// CA gets no connection.
	rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	if (rv != 0) {
		what = "cannot require peer certificates";
		goto fail;
	}
	free(cert);
	free(key);
	*cfgp = cfg;
	return BB_OK;

fail:
	if (what != NULL) { // else the file read wrote why
		(void) bb_why(BB_ECONFIG, why, whylen, "rpc: %s: %s", what,
		              nng_strerror(rv));
	}
	free(cert);
	free(key);
	if (cfg != NULL) {
		nng_tls_config_free(cfg);
	}
	return BB_ECONFIG;
}

bb_err
rpc_conf_check(const bb_conf *conf, char *why, size_t whylen)
{
	nng_tls_config *cfg = NULL;
	bb_err          rv;

	if (!conf->server.rpc_tls) {
		return BB_OK;
	}
	rv = rpc__tls_config(conf, true, &cfg, why, whylen);
	if (rv == BB_OK) {
		nng_tls_config_free(cfg);
	}
	return rv;
}
