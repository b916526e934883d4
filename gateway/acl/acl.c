// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/acl.c -- ACLs: building them from a config section, the white
// list, the Basic Authorization header, and the Required/Any decision.
// Addresses and CIDRs are common/ipset.c, the htpasswd table
// gateway/acl/htpasswd.c.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_base64.h>

#include "gateway/acl/acl.h"
#include "gateway/acl/htpasswd.h"
#include "common/ipset.h"

#define ACL_MAX_B64 1024 // base64 characters of the Basic credentials

typedef enum {
	ACL_WHITE_LIST,
	ACL_BASIC_AUTH,
} acl_method;

struct gw__acl {
	bb_ipset     *allow;   // owned; the white list, NULL without
	bb_ipset     *proxies; // owned; trusted for X-Forwarded-For
	gw__htpasswd *ht;      // owned, NULL without basic auth
	char        **tags;    // owned, each owned
	size_t        ntags;
	char          realm_hdr[GW__ACL_WWW_AUTH_LEN]; // "Basic realm=..."
	acl_method    required[2];
	size_t        n_required;
	acl_method    any[2];
	size_t        n_any;
};

static const char acl_b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "abcdefghijklmnopqrstuvwxyz"
                                       "0123456789+/";

// acl_client finds the client address (see acl.h): false when the peer
// is no IP address or a trusted proxy sent a malformed header.
static bool
acl_client(const gw__acl *acl, const struct sockaddr *peer, const char *xff,
           bb_ip *client)
{
	bb_ip ip;

	return bb_ip_from_sockaddr(peer, &ip) &&
	    bb_ip_client(&ip, xff, acl != NULL ? acl->proxies : NULL, client);
}

static void
acl_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0) {
		*v++ = 0;
	}
}

// acl_b64_ok says whether s[0..n) is standard base64 with padding.
// apr_base64_decode stops quietly at the first bad character, so the
// shape is checked here.
static bool
acl_b64_ok(const char *s, size_t n)
{
	size_t i, pad = 0;

	if (n == 0 || n % 4 != 0 || n > ACL_MAX_B64) {
		return false;
	}
	if (s[n - 1] == '=') {
		pad = s[n - 2] == '=' ? 2 : 1;
	}
	for (i = 0; i < n - pad; i++) {
		if (s[i] == '\0' || strchr(acl_b64_alphabet, s[i]) == NULL) {
			return false;
		}
	}
	return true;
}

// acl_basic checks an Authorization header "Basic <base64(user:pass)>".
static bool
acl_basic(gw__acl *acl, const char *h)
{
	char        plain[ACL_MAX_B64 / 4 * 3 + 1];
	const char *tok;
	char       *colon;
	size_t      n;
	int         len;
	bool        ok;

	if (h == NULL) {
		return false;
	}
	h += strspn(h, " \t");
	if (strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' && h[5] != '\t')) {
		return false;
	}
	tok = h + 5 + strspn(h + 5, " \t");
	n   = strcspn(tok, " \t");
	if (tok[n + strspn(tok + n, " \t")] != '\0' || !acl_b64_ok(tok, n)) {
		return false;
	}
	len = apr_base64_decode(plain, tok);
	if (len <= 0 || (size_t) len >= sizeof(plain)) {
		return false;
	}
	colon = memchr(plain, ':', (size_t) len);
	ok    = colon != NULL && colon != plain &&
	    memchr(plain, '\0', (size_t) len) == NULL;
	if (ok) {
		*colon = '\0';
		ok = gw__htpasswd_check(acl->ht, plain, colon + 1, acl->tags,
		                        acl->ntags);
	}
	acl_wipe(plain, sizeof(plain));
	return ok;
}

static bool
acl_pass(gw__acl *acl, acl_method m, const struct sockaddr *peer,
         const char *xff, const char *authorization)
{
	bb_ip ip;

	if (m == ACL_WHITE_LIST) {
		return acl_client(acl, peer, xff, &ip) &&
		    bb_ipset_contains(acl->allow, &ip);
	}
	return acl_basic(acl, authorization);
}

static void
acl_deny(const gw__acl *acl, acl_method m, gw__acl_verdict *v)
{
	v->allowed = false;
	v->status  = 401;
	if (m == ACL_WHITE_LIST) {
		v->message = "IP is not allowed to access this resource.";
		return;
	}
	v->message = "Authentication is required.";
	memcpy(v->www_authenticate, acl->realm_hdr, sizeof(acl->realm_hdr));
}

void
gw__acl_check(gw__acl *acl, const struct sockaddr *peer, const char *xff,
              const char *authorization, gw__acl_verdict *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	v->allowed = true;
	if (acl == NULL) {
		return;
	}
	for (i = 0; i < acl->n_required; i++) {
		if (!acl_pass(acl, acl->required[i], peer, xff,
		              authorization)) {
			acl_deny(acl, acl->required[i], v);
			return;
		}
	}
	for (i = 0; i < acl->n_any; i++) {
		if (acl_pass(acl, acl->any[i], peer, xff, authorization)) {
			return;
		}
	}
	if (acl->n_any > 0) {
		acl_deny(acl, acl->any[0], v);
	}
}

bb_err
gw__acl_client_ip(const gw__acl *acl, const struct sockaddr *peer,
                  const char *xff, char *buf, size_t len)
{
	bb_ip ip;
	char  text[BB_IP_TEXT];

	if (!acl_client(acl, peer, xff, &ip)) {
		return BB_EINVAL;
	}
	bb_ip_format(&ip, text);
	if (strlen(text) >= len) {
		return BB_ETOOBIG;
	}
	memcpy(buf, text, strlen(text) + 1);
	return BB_OK;
}

bool
gw__acl_is_open(const gw__acl *acl)
{
	return acl == NULL || acl->n_required + acl->n_any == 0;
}

bb_err
gw__acl_refresh(gw__acl *acl)
{
	if (acl == NULL || acl->ht == NULL) {
		return BB_OK;
	}
	return gw__htpasswd_refresh(acl->ht);
}

void
gw__acl_free(gw__acl *acl)
{
	size_t i;

	if (acl == NULL) {
		return;
	}
	gw__htpasswd_free(acl->ht);
	for (i = 0; i < acl->ntags; i++) {
		free(acl->tags[i]);
	}
	free(acl->tags);
	bb_ipset_free(acl->allow);
	bb_ipset_free(acl->proxies);
	free(acl);
}

static void
acl_add(gw__acl *acl, acl_method m, bool required)
{
	if (required) {
		acl->required[acl->n_required++] = m;
	} else {
		acl->any[acl->n_any++] = m;
	}
}

// acl_cidrs parses list[0..n) into *setp (owned by the caller).
static bb_err
acl_cidrs(char *const *list, size_t n, const char *key, bb_ipset **setp,
          char *err, size_t errlen)
{
	char   msg[256];
	bb_err rv;

	rv = bb_ipset_new(list, n, setp, msg, sizeof(msg));
	if (rv != BB_OK) {
		(void) snprintf(err, errlen, "%s: %s", key, msg);
	}
	return rv == BB_EINVAL ? BB_ECONFIG : rv;
}

// acl_basic_new sets up basic auth from conf: realm, tags, the file.
static bb_err
acl_basic_new(gw__acl *acl, const bb_acl_conf *conf, char *err, size_t errlen)
{
	const char *realm = conf->basic_auth_realm;
	char        msg[512];
	size_t      i;
	int         n;
	bb_err      rv;

	realm = realm != NULL ? realm : "Blobby";
	n     = snprintf(acl->realm_hdr, sizeof(acl->realm_hdr),
	                 "Basic realm=\"%s\"", realm);
	for (i = 0; realm[i] != '\0'; i++) {
		if (strchr("\"\\", realm[i]) != NULL ||
		    iscntrl((unsigned char) realm[i])) {
			n = -1;
		}
	}
	if (n < 0 || (size_t) n >= sizeof(acl->realm_hdr)) {
		(void) snprintf(err, errlen,
		                "basic_auth_realm: must be at most %zu "
		                "characters without '\"', '\\' or controls",
		                sizeof(acl->realm_hdr) - 15);
		return BB_ECONFIG;
	}
	acl->tags = calloc(conf->basic_auth_user_tags.n + 1, sizeof(char *));
	for (; acl->tags != NULL && acl->ntags < conf->basic_auth_user_tags.n;
	     acl->ntags++) {
		acl->tags[acl->ntags] =
		    strdup(conf->basic_auth_user_tags.v[acl->ntags]);
		if (acl->tags[acl->ntags] == NULL) {
			break;
		}
	}
	if (acl->tags == NULL || acl->ntags < conf->basic_auth_user_tags.n) {
		(void) snprintf(err, errlen, "basic_auth_user_tags: %s",
		                bb_strerror(BB_ENOMEM));
		return BB_ENOMEM;
	}
	rv = gw__htpasswd_new(conf->basic_auth_htpasswd_file, &acl->ht, msg,
	                      sizeof(msg));
	if (rv != BB_OK) {
		(void) snprintf(err, errlen, "basic_auth_htpasswd_file: %s",
		                msg);
		return rv == BB_ENOMEM ? rv : BB_ECONFIG;
	}
	return BB_OK;
}

// acl_keys_ok rejects flags that name a method that is not configured
// (the config checks this too; an ACL must never open by accident).
static bool
acl_keys_ok(const bb_acl_conf *c, char *err, size_t errlen)
{
	const char *why = NULL;

	if (c->white_list_cidrs.n == 0 &&
	    (c->white_list_required || c->allow_x_forwarded_from_cidrs.n)) {
		why = c->white_list_required
		    ? "white_list_required needs white_list_cidrs"
		    : "allow_x_forwarded_from_cidrs needs white_list_cidrs";
	} else if (c->basic_auth_htpasswd_file == NULL &&
	           (c->basic_auth_required || c->basic_auth_user_tags.n)) {
		why = c->basic_auth_required
		    ? "basic_auth_required needs basic_auth_htpasswd_file"
		    : "basic_auth_user_tags needs basic_auth_htpasswd_file";
	}
	if (why != NULL) {
		(void) snprintf(err, errlen, "%s", why);
	}
	return why == NULL;
}

bb_err
gw__acl_new(const bb_acl_conf *conf, bool loopback_default, gw__acl **aclp,
            char *err, size_t errlen)
{
	static char *const loopback[] = { "127.0.0.0/8", "::1/128" };
	gw__acl           *acl        = NULL;
	bool               wl, ba;
	bb_err             rv;

	wl  = conf != NULL && conf->white_list_cidrs.n > 0;
	ba  = conf != NULL && conf->basic_auth_htpasswd_file != NULL;
	acl = calloc(1, sizeof(*acl));
	if (acl == NULL) {
		(void) snprintf(err, errlen, "%s", bb_strerror(BB_ENOMEM));
		return BB_ENOMEM;
	}
	if (conf != NULL && !acl_keys_ok(conf, err, errlen)) {
		rv = BB_ECONFIG;
		goto fail;
	}
	if (!wl && !ba && loopback_default &&
	    (conf == NULL || !conf->present)) {
		rv = acl_cidrs(loopback, 2, "white_list_cidrs", &acl->allow,
		               err, errlen);
		if (rv != BB_OK) {
			goto fail;
		}
		acl_add(acl, ACL_WHITE_LIST, true);
	}
	if (wl) {
		rv = acl_cidrs(conf->white_list_cidrs.v,
		               conf->white_list_cidrs.n, "white_list_cidrs",
		               &acl->allow, err, errlen);
		if (rv != BB_OK) {
			goto fail;
		}
		rv = acl_cidrs(conf->allow_x_forwarded_from_cidrs.v,
		               conf->allow_x_forwarded_from_cidrs.n,
		               "allow_x_forwarded_from_cidrs", &acl->proxies,
		               err, errlen);
		if (rv != BB_OK) {
			goto fail;
		}
		acl_add(acl, ACL_WHITE_LIST, conf->white_list_required);
	}
	if (ba) {
		rv = acl_basic_new(acl, conf, err, errlen);
		if (rv != BB_OK) {
			goto fail;
		}
		acl_add(acl, ACL_BASIC_AUTH, conf->basic_auth_required);
	}
	*aclp = acl;
	return BB_OK;

fail:
	gw__acl_free(acl);
	return rv;
}
