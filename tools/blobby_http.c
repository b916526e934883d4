// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_http.c -- one HTTP transfer of the blobby client with
// libcurl: the body streamed from and to file descriptors, the timeouts,
// TLS options, and the mapping of failures to exit codes.  What a command
// does with the answer is in blobby_cmd.c, the progress bar in
// blobby_bar.c.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tools/blobby.h"

#define CLI_CONNECT_TIMEOUT_S 10
#define CLI_LOW_SPEED_TIME_S  60  // abort after this long below 1 B/s
#define CLI_MSG_MAX           200 // characters of a node's message shown

// What the callbacks of one transfer share.
typedef struct cli_ctx {
	cli_xfer *x;
	CURL     *h;
	bool      upload; // the bar follows the request body
	cli_bar   bar;
} cli_ctx;

bool
cli__http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli__err("libcurl failed to start");
		return false;
	}
	return true;
}

void
cli__http_fini(void)
{
	curl_global_cleanup();
}

bool
cli__url_check(const char *url)
{
	CURLU      *u      = NULL;
	char       *scheme = NULL;
	char       *host   = NULL;
	char       *query  = NULL;
	const char *why    = NULL;

	u = curl_url();
	if (u == NULL) {
		cli__err("out of memory");
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0') {
		why = "not a URL like http://HOST:PORT";
	} else if (strcasecmp(scheme, "http") != 0 &&
	           strcasecmp(scheme, "https") != 0) {
		why = "only http and https are supported";
	} else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) !=
	               CURLUE_NO_QUERY ||
	           strchr(url, '#') != NULL) {
		why = "a node URL has no query or fragment";
	}
	if (why != NULL) {
		cli__err("URL '%s': %s", url, why);
	}
	curl_free(query);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return why == NULL;
}

void
cli__xfer_init(cli_xfer *x, const char *method, const char *path)
{
	memset(x, 0, sizeof(*x));
	x->method         = method;
	x->path           = path;
	x->in_fd          = -1;
	x->in_size        = -1;
	x->out_fd         = -1;
	x->out_limit      = -1;
	x->content_length = -1;
}

static void
cli_fail(cli_xfer *x, int code, const char *what, const char *name, int err)
{
	if (x->fail != 0) {
		return; // the first cause is the one to report
	}
	x->fail = code;
	(void) snprintf(x->fail_msg, sizeof(x->fail_msg), "%s %s: %s", what,
	                name, err != 0 ? strerror(err) : "failed");
}

static size_t
cli_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	cli_ctx      *c    = arg;
	cli_xfer     *x    = c->x;
	size_t        want = size * n;
	ssize_t       got;
	struct pollfd pfd;

	if (x->in_size >= 0 && want > (uint64_t) x->in_size - x->sent) {
		want = (size_t) ((uint64_t) x->in_size - x->sent);
	}
	if (want == 0) {
		return 0;
	}
	for (;;) {
		got = read(x->in_fd, buf, want);
		if (got >= 0 || errno == EINTR) {
			if (got >= 0) {
				break;
			}
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			cli_fail(x, EX_IOERR, "read", x->in_name, errno);
			return CURL_READFUNC_ABORT;
		}
		// A non-blocking standard input: wait for it.
		pfd.fd     = x->in_fd;
		pfd.events = POLLIN;
		(void) poll(&pfd, 1, 1000);
	}
	if (got == 0 && x->in_size >= 0 && x->fail == 0) {
		// The Content-Length is sent already: the node would wait.
		x->fail = EX_IOERR;
		(void) snprintf(x->fail_msg, sizeof(x->fail_msg),
		                "%s: shrank while being sent", x->in_name);
		return CURL_READFUNC_ABORT;
	}
	x->sent += (uint64_t) got;
	return (size_t) got;
}

static void
cli_keep(cli_xfer *x, const char *data, size_t len)
{
	size_t room = sizeof(x->body) - 1 - x->body_len;

	if (len > room) {
		len = room; // only the start matters: the message line
	}
	memcpy(x->body + x->body_len, data, len);
	x->body_len += len;
	x->body[x->body_len] = '\0';
}

static bool
cli_write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return false;
		}
		data += n;
		len -= (size_t) n;
	}
	return true;
}

static size_t
cli_write_cb(char *data, size_t size, size_t n, void *arg)
{
	cli_ctx  *c   = arg;
	cli_xfer *x   = c->x;
	size_t    len = size * n;
	long      status;

	if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status) ==
	    CURLE_OK) {
		x->status = status;
	}
	if (x->out_fd < 0 || (x->status != 200 && !x->out_always)) {
		cli_keep(x, data, len);
		return len;
	}
	if (x->out_limit >= 0 && x->received + len > (uint64_t) x->out_limit) {
		x->fail = EX_PROTOCOL;
		(void) snprintf(x->fail_msg, sizeof(x->fail_msg),
		                "%s %s: more than the %lld bytes expected",
		                x->method, x->path, (long long) x->out_limit);
		return 0;
	}
	if (x->out_text && memchr(data, '\0', len) != NULL) {
		// As curl does: binary bytes would garble the terminal.
		x->fail = EX_USAGE;
		(void) snprintf(x->fail_msg, sizeof(x->fail_msg),
		                "%s %s: binary output to a terminal: use -o "
		                "FILE, or -o - to write it anyway",
		                x->method, x->path);
		return 0;
	}
	if (!cli_write_all(x->out_fd, data, len)) {
		cli_fail(x, EX_IOERR, "write", x->out_name, errno);
		return 0;
	}
	if (x->status != 200) {
		cli_keep(x, data, len); // out_always: for the message too
	}
	x->received += len;
	return len;
}

// cli_header_cb keeps the reason phrase of the last status line (after a
// "100 Continue", the final one).
static size_t
cli_header_cb(char *data, size_t size, size_t n, void *arg)
{
	cli_ctx  *c   = arg;
	cli_xfer *x   = c->x;
	size_t    len = size * n;
	size_t    i;
	size_t    k      = 0;
	int       spaces = 0;

	if (len < 5 || memcmp(data, "HTTP/", 5) != 0) {
		return len;
	}
	for (i = 0; i < len && spaces < 2; i++) {
		if (data[i] == ' ') {
			spaces++;
		}
	}
	while (i < len && data[i] != '\r' && data[i] != '\n' &&
	       k < sizeof(x->reason) - 1) {
		x->reason[k++] = data[i++];
	}
	x->reason[k] = '\0';
	return len;
}

static int
cli_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                curl_off_t ultotal, curl_off_t ulnow)
{
	cli_ctx *c = arg;

	if (c->upload) {
		cli__bar_update(&c->bar, ultotal, ulnow);
	} else {
		cli__bar_update(&c->bar, dltotal, dlnow);
	}
	return 0;
}

static int
cli_curl_exit(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return EX_UNAVAILABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return EX_TEMPFAIL;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return EX_PROTOCOL;
	case CURLE_OUT_OF_MEMORY:
		return EX_OSERR;
	default:
		return EX_IOERR;
	}
}

// cli_setup sets every option of the transfer on c->h.
static CURLcode
cli_setup(const cli_opts *o, cli_ctx *c, const char *url, char *errbuf,
          struct curl_slist *hdrs)
{
	CURL    *h  = c->h;
	CURLcode rc = CURLE_OK;

#define CLI_SET(opt, val)                                   \
	do {                                                \
		if (rc == CURLE_OK) {                       \
			rc = curl_easy_setopt(h, opt, val); \
		}                                           \
	} while (0)
	CLI_SET(CURLOPT_URL, url);
	CLI_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	CLI_SET(CURLOPT_USERAGENT, "blobby/" BLOBBY_VERSION);
	CLI_SET(CURLOPT_ERRORBUFFER, errbuf);
	CLI_SET(CURLOPT_NOSIGNAL, 1L);
	CLI_SET(CURLOPT_CONNECTTIMEOUT, (long) CLI_CONNECT_TIMEOUT_S);
	CLI_SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	CLI_SET(CURLOPT_LOW_SPEED_TIME, (long) CLI_LOW_SPEED_TIME_S);
	CLI_SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (rc == CURLE_OK) {
		rc = cli__auth_setopt(h, o);
	}
	if (o->insecure) {
		CLI_SET(CURLOPT_SSL_VERIFYPEER, 0L);
		CLI_SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cacert != NULL) {
		CLI_SET(CURLOPT_CAINFO, o->cacert);
	}
	CLI_SET(CURLOPT_HEADERFUNCTION, cli_header_cb);
	CLI_SET(CURLOPT_HEADERDATA, c);
	CLI_SET(CURLOPT_WRITEFUNCTION, cli_write_cb);
	CLI_SET(CURLOPT_WRITEDATA, c);
	if (strcmp(c->x->method, "HEAD") == 0) {
		CLI_SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(c->x->method, "POST") == 0) {
		CLI_SET(CURLOPT_POST, 1L);
		CLI_SET(CURLOPT_READFUNCTION, cli_read_cb);
		CLI_SET(CURLOPT_READDATA, c);
		CLI_SET(CURLOPT_HTTPHEADER, hdrs);
		if (c->x->in_size >= 0) {
			CLI_SET(CURLOPT_POSTFIELDSIZE_LARGE,
			        (curl_off_t) c->x->in_size);
		}
	}
	if (o->progress) {
		CLI_SET(CURLOPT_XFERINFOFUNCTION, cli_progress_cb);
		CLI_SET(CURLOPT_XFERINFODATA, c);
		CLI_SET(CURLOPT_NOPROGRESS, 0L);
	}
#undef CLI_SET
	return rc;
}

int
cli__xfer_run(const cli_opts *o, cli_xfer *x)
{
	struct curl_slist *hdrs = NULL;
	struct curl_slist *next;
	char               errbuf[CURL_ERROR_SIZE];
	char              *url = NULL;
	size_t             base;
	size_t             len;
	curl_off_t         clen = -1;
	cli_ctx            c;
	CURLcode           rc;
	int                ret = CLI_EXIT_OK;

	memset(&c, 0, sizeof(c));
	c.x       = x;
	c.upload  = x->in_fd >= 0;
	errbuf[0] = '\0';
	base      = strlen(o->url);
	while (base > 0 && o->url[base - 1] == '/') {
		base--;
	}
	len = base + strlen(x->path) + 1;
	url = malloc(len);
	c.h = curl_easy_init();
	if (url == NULL || c.h == NULL) {
		cli__err("out of memory");
		ret = EX_OSERR;
		goto done;
	}
	(void) snprintf(url, len, "%.*s%s", (int) base, o->url, x->path);
	// The body is the blob: neither a form nor a name=value list.
	next =
	    curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	if (next != NULL) {
		hdrs = next;
		next = x->in_fd >= 0 && x->in_size < 0
		    ? curl_slist_append(hdrs, "Transfer-Encoding: chunked")
		    : hdrs;
	}
	if (next == NULL) {
		cli__err("out of memory");
		ret = EX_OSERR;
		goto done;
	}
	rc = cli_setup(o, &c, url, errbuf, hdrs);
	if (rc != CURLE_OK) {
		cli__err("libcurl: %s", curl_easy_strerror(rc));
		ret = EX_SOFTWARE;
		goto done;
	}
	cli__bar_start(&c.bar);
	rc = curl_easy_perform(c.h);
	cli__bar_erase(&c.bar);
	(void) curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &x->status);
	(void) curl_easy_getinfo(c.h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
	                         &clen);
	x->content_length = clen;
	if (x->fail != 0) {
		cli__err("%s", x->fail_msg);
		ret = x->fail;
	} else if (rc != CURLE_OK) {
		cli__err("%s %s: %s", x->method, x->path,
		         errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		ret = cli_curl_exit(rc);
	}

done:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c.h);
	free(url);
	return ret;
}

int
cli__xfer_report(const cli_xfer *x)
{
	char        msg[CLI_MSG_MAX + 1];
	const char *src = x->body;
	size_t      k   = 0;

	while (*src == ' ' || *src == '\t' || *src == '\r' || *src == '\n') {
		src++;
	}
	if (*src == '\0') {
		src = x->reason; // HEAD, or an empty body
	}
	// One line, and nothing a terminal would act on.
	while (src[k] != '\0' && src[k] != '\n' && src[k] != '\r' &&
	       k < CLI_MSG_MAX) {
		msg[k] = (src[k] >= 0x20 && src[k] < 0x7f) ? src[k] : '?';
		k++;
	}
	msg[k] = '\0';
	cli__err("%s %s: %ld%s%s", x->method, x->path, x->status,
	         k > 0 ? " " : "", msg);
	return x->status == 503 ? EX_UNAVAILABLE : CLI_EXIT_HTTP;
}
