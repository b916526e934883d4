// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/idsign.c -- the key file, and signing and verifying ids with
// OpenSSL's HMAC (EVP_MAC).  Each key's context is initialised once and
// copied for every tag, so a tag costs the HMAC of some 40 bytes.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/b64.h"
#include "common/file.h"
#include "storage/idsign.h"

#define IDKEY_MIN      16   // bytes: 128 bits
#define IDKEY_MAX      64   // bytes: a SHA-256 block
#define IDKEY_FILE_MAX 8192 // bytes of a key file
#define IDSIGN_NS_MAX  256  // bytes of a namespace name in the message
#define IDSIGN_DOMAIN  "blobby-id-v1"
#define IDSIGN_MSG_MAX \
	(sizeof(IDSIGN_DOMAIN) + IDSIGN_NS_MAX + 1 + STORE_ID_LONG_BYTES)
#define IDSIGN_RAW_MAX (STORE_ID_LONG_BYTES + STORE_ID_TAG_LEN)

struct store_idkeys {
	size_t       n;
	EVP_MAC_CTX *ctx[STORE_IDKEYS_MAX]; // owned, keyed, never finalised
};

static int
idkey_nibble(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

// idkey_hex decodes the n hexadecimal digits of s into key; false if they
// are not 2 * (IDKEY_MIN..IDKEY_MAX) digits.
static bool
idkey_hex(const char *s, size_t n, uint8_t *key, size_t *len)
{
	size_t i;
	int    hi, lo;

	if (n % 2 != 0 || n < 2 * IDKEY_MIN || n > 2 * IDKEY_MAX) {
		return false;
	}
	for (i = 0; i < n; i += 2) {
		hi = idkey_nibble(s[i]);
		lo = idkey_nibble(s[i + 1]);
		if (hi < 0 || lo < 0) {
			return false;
		}
		key[i / 2] = (uint8_t) (hi << 4 | lo);
	}
	*len = n / 2;
	return true;
}

// idkey_ctx makes the HMAC-SHA256 context of key.
static EVP_MAC_CTX *
idkey_ctx(const uint8_t *key, size_t len)
{
	EVP_MAC     *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM   params[2];

	if (mac == NULL) {
		return NULL;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx       = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); // the context holds its own reference
	if (ctx != NULL && EVP_MAC_init(ctx, key, len, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

// idkeys_parse adds the keys of the text buf (NUL-terminated) to k.
static bb_err
idkeys_parse(const char *path, char *buf, store_idkeys *k, char *why,
             size_t whylen)
{
	uint8_t key[IDKEY_MAX];
	size_t  lineno = 0, len = 0, n;
	char   *line, *next, *end;

	for (line = buf; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL) {
			*next++ = '\0';
		}
		line += strspn(line, " \t");
		end = line + strlen(line);
		while (end > line && strchr(" \t\r", end[-1]) != NULL) {
			*--end = '\0';
		}
		if (*line == '\0' || *line == '#') {
			continue;
		}
		n = (size_t) (end - line);
		if (!idkey_hex(line, n, key, &len)) {
			return bb_why(
			    BB_ECONFIG, why, whylen,
			    "%s:%zu: a key is 32 to 128 hexadecimal "
			    "digits (16 to 64 bytes), an even number",
			    path, lineno);
		}
		if (k->n == STORE_IDKEYS_MAX) {
			OPENSSL_cleanse(key, sizeof(key));
			return bb_why(BB_ECONFIG, why, whylen,
			              "%s:%zu: more than %d keys", path,
			              lineno, STORE_IDKEYS_MAX);
		}
		k->ctx[k->n] = idkey_ctx(key, len);
		OPENSSL_cleanse(key, sizeof(key));
		if (k->ctx[k->n] == NULL) {
			return bb_why(BB_ENOMEM, why, whylen,
			              "%s:%zu: OpenSSL cannot make an HMAC "
			              "context",
			              path, lineno);
		}
		k->n++;
	}
	if (k->n == 0) {
		return bb_why(BB_ECONFIG, why, whylen, "%s: no key", path);
	}
	return BB_OK;
}

bb_err
store_idkeys_load(const char *path, store_idkeys **kp, char *why,
                  size_t whylen)
{
	store_idkeys *k;
	struct stat   st;
	char         *buf = NULL;
	size_t        len = 0;
	bb_err        rv;

	rv = bb_file_read(path, IDKEY_FILE_MAX, BB_FILE_REGULAR, &buf, &len,
	                  &st, why, whylen);
	if (rv == BB_ETOOBIG) {
		return bb_why(BB_ECONFIG, why, whylen,
		              "%s: larger than %d bytes", path,
		              IDKEY_FILE_MAX);
	}
	if (rv != BB_OK) {
		return rv;
	}
	if ((st.st_mode & (S_IRWXO)) != 0) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return bb_why(BB_ECONFIG, why, whylen,
		              "%s: readable by others (mode %04o): its keys "
		              "forge ids; chmod o-rwx it",
		              path, (unsigned) (st.st_mode & 07777));
	}
	if (memchr(buf, '\0', len) != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return bb_why(BB_ECONFIG, why, whylen, "%s: holds a NUL byte",
		              path);
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return bb_why(BB_ENOMEM, why, whylen, "%s: out of memory",
		              path);
	}
	rv = idkeys_parse(path, buf, k, why, whylen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (rv != BB_OK) {
		store_idkeys_free(k);
		return rv;
	}
	*kp = k;
	return BB_OK;
}

void
store_idkeys_free(store_idkeys *k)
{
	size_t i;

	if (k == NULL) {
		return;
	}
	for (i = 0; i < k->n; i++) {
		EVP_MAC_CTX_free(k->ctx[i]);
	}
	free(k);
}

size_t
store_idkeys_count(const store_idkeys *k)
{
	return k->n;
}

// idsign_tag computes the tag of raw[0..n) (an id's bytes) in namespace
// ns under the key of ctx into tag; false if OpenSSL failed.
static bool
idsign_tag(EVP_MAC_CTX *ctx, const char *ns, const uint8_t *raw, size_t n,
           uint8_t *tag)
{
	uint8_t      msg[IDSIGN_MSG_MAX];
	uint8_t      mac[EVP_MAX_MD_SIZE];
	size_t       nslen = strnlen(ns, IDSIGN_NS_MAX);
	size_t       len = 0, maclen = 0;
	EVP_MAC_CTX *c;
	bool         ok;

	// domain NUL name NUL bytes: no two (name, id) pairs share a message.
	memcpy(msg, IDSIGN_DOMAIN, sizeof(IDSIGN_DOMAIN));
	len += sizeof(IDSIGN_DOMAIN);
	memcpy(msg + len, ns, nslen);
	len += nslen;
	msg[len++] = '\0';
	memcpy(msg + len, raw, n);
	len += n;
	c  = EVP_MAC_CTX_dup(ctx);
	ok = c != NULL && EVP_MAC_update(c, msg, len) == 1 &&
	    EVP_MAC_final(c, mac, &maclen, sizeof(mac)) == 1 &&
	    maclen >= STORE_ID_TAG_LEN;
	EVP_MAC_CTX_free(c);
	if (ok) {
		memcpy(tag, mac, STORE_ID_TAG_LEN);
	}
	return ok;
}

size_t
store_id_sign(const store_idkeys *k, const char *ns, const store_id *id,
              char *buf)
{
	uint8_t raw[IDSIGN_RAW_MAX];
	size_t  n = store_id_pack(id, raw);

	if (!idsign_tag(k->ctx[0], ns, raw, n, raw + n)) {
		buf[0] = '\0';
		return 0;
	}
	return bb_b64url_encode(raw, n + STORE_ID_TAG_LEN, buf);
}

bb_err
store_id_decode(const char *s, size_t n, store_id *id, bool *signed_,
                uint8_t *tag)
{
	uint8_t raw[IDSIGN_RAW_MAX];
	size_t  got;
	bb_err  rv;

	if (n != STORE_ID_SIGNED_SHORT_LEN && n != STORE_ID_SIGNED_LONG_LEN) {
		rv = store_id_parse(s, n, id);
		if (rv == BB_OK) {
			*signed_ = false;
		}
		return rv;
	}
	if (bb_b64url_decode(s, n, raw, sizeof(raw), &got) != BB_OK ||
	    got < STORE_ID_TAG_LEN ||
	    store_id_unpack(raw, got - STORE_ID_TAG_LEN, id) != BB_OK) {
		return BB_EINVAL;
	}
	memcpy(tag, raw + got - STORE_ID_TAG_LEN, STORE_ID_TAG_LEN);
	*signed_ = true;
	return BB_OK;
}

bb_err
store_id_verify(const store_idkeys *k, const char *ns, const char *s, size_t n,
                store_id *id)
{
	uint8_t  raw[IDSIGN_RAW_MAX];
	uint8_t  tag[STORE_ID_TAG_LEN];
	uint8_t  want[STORE_ID_TAG_LEN];
	store_id out;
	bool     is_signed = false;
	size_t   len, i;

	if (store_id_decode(s, n, &out, &is_signed, tag) != BB_OK) {
		return BB_EINVAL;
	}
	if (!is_signed) {
		return BB_ENOENT; // an unsigned id names nothing here
	}
	len = store_id_pack(&out, raw);
	// One signed spelling per id: signing packs the short form when the
	// start allows it, so a long form of such an id was never given out
	// (the tag of the short form would verify on it: an edited id).
	if (n !=
	    (len == STORE_ID_SHORT_BYTES ? STORE_ID_SIGNED_SHORT_LEN
	                                 : STORE_ID_SIGNED_LONG_LEN)) {
		return BB_ENOENT;
	}
	for (i = 0; i < k->n; i++) {
		if (idsign_tag(k->ctx[i], ns, raw, len, want) &&
		    CRYPTO_memcmp(want, tag, sizeof(tag)) == 0) {
			*id = out;
			return BB_OK;
		}
	}
	return BB_ENOENT;
}
