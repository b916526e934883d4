// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/tls.h -- internal to gateway/: HTTPS certificates (tls.c).
// Free of GnuTLS types, so that only tls.c compiles against GnuTLS.
#ifndef GATEWAY_TLS_H
#define GATEWAY_TLS_H

#include <stddef.h>

#include "common/conf/conf.h"
#include "common/err.h"

typedef struct gw__tls gw__tls;

// gw__tls_new loads [server] tls_certificate_file (a PEM chain) and
// tls_private_key_file and checks that they belong together.  On BB_OK
// the caller owns *tp (gw__tls_free); gw__tls_callback serves it.  On
// error why[0..len) gets a one-line reason.
bb_err gw__tls_new(const bb_server_conf *sc, gw__tls **tp, char *why,
                   size_t len);

// A function pointer of no particular type: GnuTLS's callback type stays
// in tls.c.
typedef void (*gw__tls_fn)(void);

// gw__tls_callback returns the certificate callback to give
// libmicrohttpd (MHD_OPTION_HTTPS_CERT_CALLBACK, which reads it back as
// a gnutls_certificate_retrieve_function2 *): it serves the pair loaded
// last.
gw__tls_fn gw__tls_callback(void);

// gw__tls_reload loads the files again (SIGHUP); on failure the pair in
// use stays, and the reason is logged.
void gw__tls_reload(gw__tls *t);

// A certificate and key loaded for a reload, not yet in use.
typedef struct gw__tls_next gw__tls_next;

// gw__tls_prepare loads sc's certificate and key files as gw__tls_new
// does, for gw__tls_commit: a reload checks them before it changes
// anything.  On BB_OK the caller owns *np (gw__tls_commit or
// gw__tls_next_free); on error why[0..len) gets a one-line reason.
bb_err gw__tls_prepare(const bb_server_conf *sc, gw__tls_next **np, char *why,
                       size_t len);

// gw__tls_commit serves n's pair to the handshakes from now on (the
// pairs before it stay allocated: GnuTLS may still hold them) and takes
// ownership of n.  One reloading thread at a time.
void gw__tls_commit(gw__tls *t, gw__tls_next *n);

// gw__tls_next_free releases n.  NULL is a no-op.
void gw__tls_next_free(gw__tls_next *n);

// gw__tls_free releases t.  NULL is a no-op.
void gw__tls_free(gw__tls *t);

#endif // GATEWAY_TLS_H
