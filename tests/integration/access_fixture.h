// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/access_fixture.h -- what the access and slow-client
// tests share: one blobbyd (node, base), requests with headers and
// credentials, inserts, reads, metrics, and the denial answers.  Define
// _XOPEN_SOURCE 700 first.
#ifndef TESTS_INTEGRATION_ACCESS_FIXTURE_H
#define TESTS_INTEGRATION_ACCESS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/integration/admin_http.h"
#include "tests/integration/harness.h"
#include "tests/clock.h"
#include "tests/gateway/acl/acl_fixture.h"

#define ID_MAX     64
#define BOUND_MS   10000 // the longest any wait for a close may take
#define RELOAD_MS  2000  // a SIGHUP reload must show within this
#define STATUS_PW  "test:test"
#define METRIC(ns) "blobby_primary_insert_total{bb_namespace=\"" ns "\"}"

// Every namespace: its own directory, no replicas, a local archive.
#define NS(name)                                             \
	"[namespace." name "]\ndirectory = @DIR@/" name "\n" \
	"replicas = 0\narchive = dir\n"                      \
	"archive_directory = @DIR@/archive\n"

static const char ip_denied[]   = "IP is not allowed to access this "
                                  "resource.\n";
static const char auth_denied[] = "Authentication is required.\n";

static bbt_node node;
static char     base[64];       // http://127.0.0.1:PORT
static char     reload_pw[160]; // the htpasswd file of [namespace.reload]

// subst writes tmpl to out (cap bytes) with every @PW@ and @RELOAD@
// replaced; @DIR@ is left for the harness.
static inline void
subst(const char *tmpl, char *out, size_t cap)
{
	static const struct {
		const char *token;
		const char *value;
	} t[]            = { { "@PW@", pw_path }, { "@RELOAD@", reload_pw } };
	size_t      used = 0;
	size_t      i, n;
	const char *p = tmpl;

	while (*p != '\0') {
		for (i = 0; i < 2; i++) {
			n = strlen(t[i].token);
			if (strncmp(p, t[i].token, n) == 0) {
				break;
			}
		}
		if (i < 2) {
			n = strlen(t[i].value);
			assert_true(used + n < cap);
			memcpy(out + used, t[i].value, n);
			used += n;
			p += strlen(t[i].token);
			continue;
		}
		assert_true(used + 1 < cap);
		out[used++] = *p++;
	}
	out[used] = '\0';
}

// auth_hdr returns "Authorization: Basic <user:pass>" in buf.
static inline const char *
auth_hdr(char *buf, size_t len, const char *cred)
{
	bbt_fmt(buf, len, "Authorization: %s", basic(cred));
	return buf;
}

// hreq makes one request to base + path on a fresh connection, with the
// header lines hdrs (NULL-terminated, may be NULL) and, for POST, body.
// Returns the status, or -1 on a transport error.
static inline long
hreq(const char *method, const char *path, const char *body,
     const char *const *hdrs, adm_resp *r)
{
	struct curl_slist *h = NULL;
	char               url[512];
	CURL              *c = curl_easy_init();
	size_t             i;

	assert_non_null(c);
	memset(r, 0, sizeof(*r));
	(void) snprintf(url, sizeof(url), "%s%s", base, path);
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	(void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, adm_body);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	(void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, adm_header);
	(void) curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	h = curl_slist_append(h, "Expect:");
	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
		h = curl_slist_append(h, hdrs[i]);
	}
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (strcmp(method, "POST") == 0) {
		(void) curl_easy_setopt(c, CURLOPT_POST, 1L);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                        (curl_off_t) strlen(body));
	}
	if (curl_easy_perform(c) != CURLE_OK) {
		r->status = -1;
	} else {
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
		                         &r->status);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r->status;
}

// insert posts data to ns, as cred ("user:password") when not NULL, and
// copies the id into id (ID_MAX bytes) when not NULL.  Returns the status.
static inline long
insert(const char *ns, const char *data, const char *cred, char *id)
{
	static adm_resp r;
	char            path[128];
	char            auth[512];
	const char     *hdrs[2] = { NULL, NULL };

	if (cred != NULL) {
		hdrs[0] = auth_hdr(auth, sizeof(auth), cred);
	}
	(void) snprintf(path, sizeof(path), "/%s", ns);
	if (hreq("POST", path, data, hdrs, &r) == 200 && id != NULL) {
		assert_true(r.len > 0 && r.len < ID_MAX);
		memcpy(id, r.body, r.len + 1);
	}
	return r.status;
}

// read_blob reads ns/id with the header lines hdrs into *r.
static inline long
read_blob(const char *ns, const char *id, const char *const *hdrs, adm_resp *r)
{
	char path[160];

	(void) snprintf(path, sizeof(path), "/%s/%s", ns, id);
	return hreq("GET", path, NULL, hdrs, r);
}

// expect_denied checks that r is a 401 with the body want, and with the
// WWW-Authenticate header realm (a full header line prefix) or none.
static inline void
expect_denied(const adm_resp *r, const char *want, const char *realm)
{
	assert_int_equal(r->status, 401);
	if (strcmp(r->body, want) != 0) {
		fail_msg("body \"%s\", want \"%s\"", r->body, want);
	}
	if (realm != NULL) {
		if (!adm_has_header(r, realm)) {
			fail_msg("no \"%s\" in:\n%s", realm, r->headers);
		}
	} else {
		assert_false(adm_has_header(r, "WWW-Authenticate:"));
	}
}

// metric reads a sample of /_metrics (which needs the status ACL's
// credentials on the ACL node; they do no harm on the other).
static inline double
metric(const char *key)
{
	static adm_resp r;
	char            auth[512];
	const char *hdrs[] = { auth_hdr(auth, sizeof(auth), STATUS_PW), NULL };

	assert_int_equal(hreq("GET", "/_metrics", NULL, hdrs, &r), 200);
	return adm_metric(r.body, key);
}

#endif // TESTS_INTEGRATION_ACCESS_FIXTURE_H
