// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/harness_http.c -- the integration tests' side of the
// wire: one HTTP request with libcurl (plain or chunked upload, the
// response's body and headers kept), TCP connections and free ports on
// 127.0.0.1, and waiting until a node takes inserts.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	bbt_resp *r = arg;
	size_t    n = size * nmemb;
	size_t    cap;
	char     *b;

	// Doubling: a realloc per chunk copies 100 MiB thousands of times
	// under AddressSanitizer, whose realloc always copies.
	if (r->len + n + 1 > r->cap) {
		cap = r->cap > 0 ? r->cap : 4096;
		while (cap < r->len + n + 1) {
			cap *= 2;
		}
		b = realloc(r->body, cap);
		if (b == NULL) {
			return 0;
		}
		r->body = b;
		r->cap  = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	bbt_resp *r = arg;
	size_t    n = size * nmemb;

	if (n > 14 && strncasecmp(p, "Content-Type: ", 14) == 0) {
		(void) snprintf(r->ctype, sizeof(r->ctype), "%.*s",
		                (int) strcspn(p + 14, "\r\n"), p + 14);
	} else if (n > 16 && strncasecmp(p, "Content-Length: ", 16) == 0) {
		r->content_length = strtoll(p + 16, NULL, 10);
	} else if (n > 7 && strncasecmp(p, "Allow: ", 7) == 0) {
		(void) snprintf(r->allow, sizeof(r->allow), "%.*s",
		                (int) strcspn(p + 7, "\r\n"), p + 7);
	}
	return n;
}

typedef struct {
	const char *p;
	size_t      left;
} upload_src;

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	upload_src *s = arg;
	size_t      n = size * nmemb;

	if (n > s->left) {
		n = s->left;
	}
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return n;
}

static long
http_do(const char *method, const char *url, const void *body, size_t len,
        bool chunked, bbt_resp *r)
{
	CURL              *c   = curl_easy_init();
	struct curl_slist *h   = NULL;
	upload_src         src = { body, len };
	CURLcode           rc;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	assert_non_null(c);
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	(void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	(void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	(void) curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	// No "Expect: 100-continue" round trip: it only slows tests down.
	h = curl_slist_append(h, "Expect:");
	if (chunked) {
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		(void) curl_easy_setopt(c, CURLOPT_POST, 1L);
		(void) curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		(void) curl_easy_setopt(c, CURLOPT_READDATA, &src);
	} else if (strcmp(method, "POST") == 0) {
		(void) curl_easy_setopt(c, CURLOPT_POST, 1L);
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		                        body != NULL ? body : "");
		(void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                        (curl_off_t) len);
	} else if (strcmp(method, "HEAD") == 0) {
		(void) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		(void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	(void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
		                         &r->status);
	} else {
		r->status = -1;
		print_message("curl %s %s: %s\n", method, url,
		              curl_easy_strerror(rc));
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r->body == NULL) {
		r->body = calloc(1, 1);
	}
	return r->status;
}

long
bbt_http(const char *method, const char *url, const void *body, size_t len,
         bbt_resp *r)
{
	return http_do(method, url, body, len, false, r);
}

long
bbt_http_chunked(const char *url, const void *body, size_t len, bbt_resp *r)
{
	return http_do("POST", url, body, len, true, r);
}

void
bbt_resp_free(bbt_resp *r)
{
	free(r->body);
	r->body = NULL;
}

int
bbt_connect(int port)
{
	struct sockaddr_in sa;
	int                fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_port        = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		(void) close(fd);
		return -1;
	}
	return fd;
}

// Ports handed out below the kernel's ephemeral range (32768 and up by
// default): a port taken there by bind(0) is also where the kernel picks
// the source ports of every outgoing connection, so a client of another
// test could take it before the node that was meant to listen on it.
#define FREE_PORT_BASE  20000
#define FREE_PORT_SPAN  12000
#define FREE_PORT_TRIES 200

// free_port_try returns whether port of 127.0.0.1 can be bound now.
static bool
free_port_try(int port)
{
	struct sockaddr_in sa;
	int                fd;
	bool               ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_port        = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	(void) close(fd);
	return ok;
}

int
bbt_free_port(void)
{
	static unsigned next; // 0: not started
	unsigned        seed;
	int             i;
	int             port;

	if (next == 0) {
		// Tests running at once start from different places; one
		// test walks on from there, so it never gets a port twice.
		seed = (unsigned) getpid() ^ (unsigned) bbt_now_ms();
		next = 1 + (unsigned) rand_r(&seed) % FREE_PORT_SPAN;
	}
	for (i = 0; i < FREE_PORT_TRIES; i++) {
		port = FREE_PORT_BASE + (int) (next++ % FREE_PORT_SPAN);
		if (free_port_try(port)) {
			return port;
		}
	}
	fail_msg("no free port in %d tries", FREE_PORT_TRIES);
	return -1;
}

void
bbt_wait_writable(const bbt_node *n, const char *ns, int ms)
{
	int64_t  end = bbt_now_ms() + ms;
	char     url[256];
	bbt_resp r;

	(void) snprintf(url, sizeof(url), "%s/%s", n->url, ns);
	while (bbt_http("POST", url, "ready", 5, &r) != 200) {
		bbt_resp_free(&r);
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	bbt_resp_free(&r);
}
