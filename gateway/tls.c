// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/tls.c -- HTTPS: the certificate chain and key of [server]
// tls_certificate_file / tls_private_key_file, handed to libmicrohttpd
// (GnuTLS) through its certificate callback, so that SIGHUP can load new
// files without a restart.  A reload that fails (unreadable files, a key
// that does not match) keeps the certificate in use.  Replaced pairs are
// kept until the server stops: a handshake in progress may still use
// them, and there is one per reload.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "common/log.h"
#include "gateway/tls.h"

#define TLS_MAX_CHAIN 16

typedef struct tls_pair tls_pair;

struct tls_pair {
	gnutls_pcert_st  pcerts[TLS_MAX_CHAIN];
	unsigned         npcerts;
	gnutls_privkey_t key;
	tls_pair        *older; // the pair this one replaced
};

struct gw__tls {
	char           *cert_file; // owned
	char           *key_file;  // owned
	pthread_mutex_t mu;
	tls_pair       *cur; // owned, with the chain of older pairs
};

// The server's TLS state for the callback, which gets no argument of
// ours: one HTTPS server per process.
static gw__tls *tls_current;

static void
tls_pair_free(tls_pair *p)
{
	unsigned i;

	for (i = 0; i < p->npcerts; i++) {
		gnutls_pcert_deinit(&p->pcerts[i]);
	}
	if (p->key != NULL) {
		gnutls_privkey_deinit(p->key);
	}
	free(p);
}

// tls_load reads the PEM chain and key and checks that they belong
// together.  On error why gets a one-line reason.
static bb_err
tls_load(const char *cert_file, const char *key_file, tls_pair **pp, char *why,
         size_t len)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t                   cert = { NULL, 0 };
	gnutls_datum_t                   key  = { NULL, 0 };
	tls_pair                        *p;
	unsigned                         n = TLS_MAX_CHAIN;
	int                              rv;
	bb_err                           err = BB_ECONFIG;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return bb_why(BB_ENOMEM, why, len, "out of memory");
	}
	rv = gnutls_load_file(cert_file, &cert);
	if (rv < 0) {
		(void) snprintf(why, len, "cannot read %s: %s", cert_file,
		                gnutls_strerror(rv));
		goto out;
	}
	rv = gnutls_load_file(key_file, &key);
	if (rv < 0) {
		(void) snprintf(why, len, "cannot read %s: %s", key_file,
		                gnutls_strerror(rv));
		goto out;
	}
	// GnuTLS checks that the key is the certificate's.
	rv = gnutls_certificate_allocate_credentials(&cred);
	if (rv >= 0) {
		rv = gnutls_certificate_set_x509_key_mem(cred, &cert, &key,
		                                         GNUTLS_X509_FMT_PEM);
	}
	if (rv < 0) {
		(void) snprintf(why, len, "%s and %s: %s", cert_file, key_file,
		                gnutls_strerror(rv));
		goto out;
	}
	rv = gnutls_pcert_list_import_x509_raw(p->pcerts, &n, &cert,
	                                       GNUTLS_X509_FMT_PEM, 0);
	if (rv >= 0) {
		p->npcerts = n;
		rv         = gnutls_privkey_init(&p->key);
	}
	if (rv >= 0) {
		rv = gnutls_privkey_import_x509_raw(
		    p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	}
	if (rv < 0) {
		(void) snprintf(why, len, "%s: %s", cert_file,
		                gnutls_strerror(rv));
		goto out;
	}
	*pp = p;
	p   = NULL;
	err = BB_OK;
out:
	if (cred != NULL) {
		gnutls_certificate_free_credentials(cred);
	}
	gnutls_free(cert.data);
	if (key.data != NULL) {
		// The key file's bytes do not linger in freed memory.
		memset(key.data, 0, key.size);
	}
	gnutls_free(key.data);
	if (p != NULL) {
		tls_pair_free(p);
	}
	return err;
}

// tls_retrieve hands GnuTLS the pair loaded last.
static int
tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
             int nreqs, const gnutls_pk_algorithm_t *pk_algos,
             int pk_algos_length, gnutls_pcert_st **pcert,
             unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	gw__tls *t = tls_current;

	(void) session;
	(void) req_ca_dn;
	(void) nreqs;
	(void) pk_algos;
	(void) pk_algos_length;
	if (t == NULL) {
		return -1;
	}
	(void) pthread_mutex_lock(&t->mu);
	*pcert        = t->cur->pcerts;
	*pcert_length = t->cur->npcerts;
	*pkey         = t->cur->key;
	(void) pthread_mutex_unlock(&t->mu);
	return 0;
}

gw__tls_fn
gw__tls_callback(void)
{
	// Checked against GnuTLS's type here, where it is known; converted
	// back by libmicrohttpd (C11 6.3.2.3p8).
	gnutls_certificate_retrieve_function2 *fn = tls_retrieve;

	return (gw__tls_fn) fn;
}

bb_err
gw__tls_new(const bb_server_conf *sc, gw__tls **tp, char *why, size_t len)
{
	gw__tls *t;
	bb_err   rv;

	if (!MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK)) {
		(void) snprintf(why, len,
		                "this libmicrohttpd has no HTTPS "
		                "certificate callback");
		return BB_ENOTSUP;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return bb_why(BB_ENOMEM, why, len, "out of memory");
	}
	(void) pthread_mutex_init(&t->mu, NULL);
	t->cert_file = strdup(sc->tls_certificate_file);
	t->key_file  = strdup(sc->tls_private_key_file);
	if (t->cert_file == NULL || t->key_file == NULL) {
		rv = BB_ENOMEM;
		goto fail;
	}
	rv = tls_load(t->cert_file, t->key_file, &t->cur, why, len);
	if (rv != BB_OK) {
		goto fail;
	}
	tls_current = t;
	*tp         = t;
	return BB_OK;

fail:
	gw__tls_free(t);
	return rv;
}

void
gw__tls_reload(gw__tls *t)
{
	tls_pair *p = NULL;
	char      why[512];

	if (t == NULL) {
		return;
	}
	if (tls_load(t->cert_file, t->key_file, &p, why, sizeof(why)) !=
	    BB_OK) {
		bb_log_error("https: keeping the certificate in use: %s", why);
		return;
	}
	(void) pthread_mutex_lock(&t->mu);
	p->older = t->cur;
	t->cur   = p;
	(void) pthread_mutex_unlock(&t->mu);
	bb_log_info("https: loaded %s", t->cert_file);
}

// What gw__tls_prepare loaded: the pair and the files it came from.
struct gw__tls_next {
	char     *cert_file; // owned
	char     *key_file;  // owned
	tls_pair *pair;      // owned
};

bb_err
gw__tls_prepare(const bb_server_conf *sc, gw__tls_next **np, char *why,
                size_t len)
{
	gw__tls_next *n;
	bb_err        rv;

	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		return bb_why(BB_ENOMEM, why, len, "out of memory");
	}
	n->cert_file = strdup(sc->tls_certificate_file);
	n->key_file  = strdup(sc->tls_private_key_file);
	if (n->cert_file == NULL || n->key_file == NULL) {
		rv = bb_why(BB_ENOMEM, why, len, "out of memory");
		goto fail;
	}
	rv = tls_load(n->cert_file, n->key_file, &n->pair, why, len);
	if (rv != BB_OK) {
		goto fail;
	}
	*np = n;
	return BB_OK;

fail:
	gw__tls_next_free(n);
	return rv;
}

void
gw__tls_commit(gw__tls *t, gw__tls_next *n)
{
	char *cert;
	char *key;

	// Only the reloading thread reads the file names: no lock for them.
	cert         = t->cert_file;
	key          = t->key_file;
	t->cert_file = n->cert_file;
	t->key_file  = n->key_file;
	n->cert_file = cert;
	n->key_file  = key;
	(void) pthread_mutex_lock(&t->mu);
	n->pair->older = t->cur;
	t->cur         = n->pair;
	(void) pthread_mutex_unlock(&t->mu);
	n->pair = NULL;
	gw__tls_next_free(n);
}

void
gw__tls_next_free(gw__tls_next *n)
{
	if (n == NULL) {
		return;
	}
	if (n->pair != NULL) {
		tls_pair_free(n->pair);
	}
	free(n->cert_file);
	free(n->key_file);
	free(n);
}

void
gw__tls_free(gw__tls *t)
{
	tls_pair *p;

	if (t == NULL) {
		return;
	}
	if (tls_current == t) {
		tls_current = NULL;
	}
	while ((p = t->cur) != NULL) {
		t->cur = p->older;
		tls_pair_free(p);
	}
	(void) pthread_mutex_destroy(&t->mu);
	free(t->cert_file);
	free(t->key_file);
	free(t);
}
