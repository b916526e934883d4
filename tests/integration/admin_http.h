// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/admin_http.h -- what the tests of the operator
// endpoints need beyond harness.h: requests that keep every header and
// can reuse a connection, sample values of a metrics page, inserts that
// return the id.  Header-only (like tests/clock.h) so each test includes
// it without a library of its own.
#ifndef TESTS_INTEGRATION_ADMIN_HTTP_H
#define TESTS_INTEGRATION_ADMIN_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "storage/id.h"

// What one request saw: status, body, every header, and whether a new
// connection was opened for it.  Large: keep it static.
typedef struct {
	long   status;
	char   body[65536];
	size_t len;
	char   headers[4096];
	size_t hlen;
	long   connects;
} adm_resp;

// adm_keep appends n bytes of p to buf (holding *used of cap bytes),
// dropping what does not fit.
static inline void
adm_keep(char *buf, size_t cap, size_t *used, const char *p, size_t n)
{
	size_t k = n < cap - 1 - *used ? n : cap - 1 - *used;

	memcpy(buf + *used, p, k);
	*used += k;
	buf[*used] = '\0';
}

static inline size_t
adm_body(char *p, size_t size, size_t nmemb, void *arg)
{
	adm_resp *r = arg;

	adm_keep(r->body, sizeof(r->body), &r->len, p, size * nmemb);
	return size * nmemb;
}

static inline size_t
adm_header(char *p, size_t size, size_t nmemb, void *arg)
{
	adm_resp *r = arg;

	adm_keep(r->headers, sizeof(r->headers), &r->hlen, p, size * nmemb);
	return size * nmemb;
}

// adm_do makes one request without a body on c (a handle kept by the
// caller reuses its connection when the server allows it).  Returns the
// status, or -1 on a transport error.
static inline long
adm_do(CURL *c, const char *method, const char *url, adm_resp *r)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	memset(r, 0, sizeof(*r));
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	(void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, adm_body);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	(void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, adm_header);
	(void) curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	// HTTPGET first: it resets NOBODY.
	(void) curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	(void) curl_easy_setopt(c, CURLOPT_NOBODY,
	                        strcmp(method, "HEAD") == 0 ? 1L : 0L);
	(void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, get ? NULL : method);
	if (curl_easy_perform(c) != CURLE_OK) {
		r->status = -1;
		return -1;
	}
	(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	(void) curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
	return r->status;
}

// adm_req makes one request to base + path on a fresh connection.
static inline long
adm_req(const char *base, const char *method, const char *path, adm_resp *r)
{
	char  url[512];
	CURL *c = curl_easy_init();
	long  st;

	if (c == NULL) {
		return -1;
	}
	(void) snprintf(url, sizeof(url), "%s%s", base, path);
	st = adm_do(c, method, url, r);
	curl_easy_cleanup(c);
	return st;
}

// adm_has_header says whether the response carried a header line
// starting with line (case-insensitive).
static inline bool
adm_has_header(const adm_resp *r, const char *line)
{
	const char *p = r->headers;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, line, strlen(line)) == 0) {
			return true;
		}
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return false;
}

// adm_metric returns the value of the sample "key" (name and labels) in
// the metrics page text, or -1 when there is no such sample.
static inline double
adm_metric(const char *text, const char *key)
{
	size_t      n = strlen(key);
	const char *p = strstr(text, key);

	while (p != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ') {
			return strtod(p + n + 1, NULL);
		}
		p = strstr(p + n, key);
	}
	return -1;
}

// adm_insert posts data to base/ns and copies the id into id (if not
// NULL).  Returns the status.
static inline long
adm_insert(const char *base, const char *ns, const char *data, char *id)
{
	char     url[256];
	bbt_resp r;
	long     st;

	(void) snprintf(url, sizeof(url), "%s/%s", base, ns);
	st = bbt_http("POST", url, data, strlen(data), &r);
	if (st == 200 && id != NULL) {
		(void) snprintf(id, STORE_ID_STRMAX + 1, "%s", r.body);
	}
	bbt_resp_free(&r);
	return st;
}

// adm_fid_of writes the file id part of an id into fid
// (STORE_FID_STRLEN + 1 bytes); false if id does not parse.
static inline bool
adm_fid_of(const char *id, char *fid)
{
	store_id sid;

	if (store_id_parse(id, strlen(id), &sid) != BB_OK) {
		return false;
	}
	(void) store_fid_format(&sid.fid, fid);
	return true;
}

#endif // TESTS_INTEGRATION_ADMIN_HTTP_H
