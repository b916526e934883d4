// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/harness.c -- child process management and HTTP
// helpers for the integration tests.
#define _XOPEN_SOURCE 700 // nftw
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tests/tmpdir.h"
#include "tests/clock.h"

#define READY_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS  30000

// Every node started and not yet stopped, so that a test that fails
// half-way (cmocka jumps out of it) leaves no blobbyd running.
#define MAX_LIVE 32
static pid_t live[MAX_LIVE];

static void
kill_live(void)
{
	int i;

	for (i = 0; i < MAX_LIVE; i++) {
		if (live[i] > 0) {
			(void) kill(live[i], SIGKILL);
			(void) waitpid(live[i], NULL, 0);
			live[i] = 0;
		}
	}
}

static void
live_set(pid_t old, pid_t pid)
{
	static bool registered;
	int         i;

	if (!registered) {
		(void) atexit(kill_live);
		registered = true;
	}
	for (i = 0; i < MAX_LIVE; i++) {
		if (live[i] == old) {
			live[i] = pid;
			return;
		}
	}
}

void
bbt_node_init(bbt_node *n)
{
	const char *tmp = getenv("TMPDIR");

	memset(n, 0, sizeof(*n));
	n->pid = -1;
	(void) snprintf(n->dir, sizeof(n->dir), "%s/blobbyt-XXXXXX",
	                tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(n->dir));
	(void) snprintf(n->conf, sizeof(n->conf), "%s/blobbyd.conf", n->dir);
}

static void
write_conf(bbt_node *n, const char *text)
{
	FILE       *f = fopen(n->conf, "w");
	const char *p = text;
	const char *at;

	assert_non_null(f);
	while ((at = strstr(p, "@DIR@")) != NULL) {
		(void) fwrite(p, 1, (size_t) (at - p), f);
		(void) fputs(n->dir, f);
		p = at + 5;
	}
	(void) fputs(p, f);
	assert_int_equal(fclose(f), 0);
}

// line_port finds "<key>HOST:PORT" in buf and returns PORT (or -1),
// copying "HOST:PORT" prefixed by scheme into url when url is not NULL.
static int
line_port(const char *buf, const char *key, const char *scheme, char *url,
          size_t urllen)
{
	const char *at = strstr(buf, key);
	const char *colon;
	size_t      n;
	int         port;

	if (at == NULL || strchr(at, '\n') == NULL) {
		return -1;
	}
	at += strlen(key);
	n     = strcspn(at, "\n");
	colon = at + n;
	while (colon > at && *colon != ':') {
		colon--;
	}
	if (*colon != ':' || sscanf(colon + 1, "%d", &port) != 1) {
		return -1;
	}
	if (url != NULL) {
		(void) snprintf(url, urllen, "%s%.*s", scheme, (int) n, at);
	}
	return port;
}

// read_ready reads the child's standard output until the ready line, end
// of file or the timeout.  Returns the HTTP port or -1.
static int
read_ready(int fd, bbt_node *n)
{
	char          buf[2048];
	size_t        used = 0;
	int64_t       end  = bbt_now_ms() + READY_TIMEOUT_MS;
	struct pollfd p    = { .fd = fd, .events = POLLIN };
	ssize_t       r;
	int           port;

	while (bbt_now_ms() < end && used < sizeof(buf) - 1) {
		if (poll(&p, 1, (int) (end - bbt_now_ms())) <= 0) {
			continue;
		}
		r = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (r <= 0) {
			return -1;
		}
		used += (size_t) r;
		buf[used] = '\0';
		port      = line_port(buf, "listening on http://", "http://",
		                      n->url, sizeof(n->url));
		if (port <= 0) {
			port = line_port(buf, "listening on https://",
			                 "https://", n->url, sizeof(n->url));
		}
		if (port > 0) {
			n->rpc_port =
			    line_port(buf, "rpc on tcp://", "", NULL, 0);
			if (n->rpc_port <= 0) {
				n->rpc_port = line_port(
				    buf, "rpc on tls+tcp://", "", NULL, 0);
			}
			return port;
		}
	}
	return -1;
}

int
bbt_node_try_start(bbt_node *n, const char *conf_text, char *errbuf,
                   size_t errlen)
{
	const char *bin = getenv("BLOBBYD");
	int         out[2];
	int         err[2];
	pid_t       pid;
	int         status;
	ssize_t     r;
	size_t      used = 0;

	assert_non_null(bin);
	write_conf(n, conf_text);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void) dup2(out[1], 1);
		if (errbuf != NULL) {
			(void) dup2(err[1], 2);
		}
		(void) close(out[0]);
		(void) close(err[0]);
		(void) execl(bin, bin, "-c", n->conf, (char *) NULL);
		_exit(127);
	}
	(void) close(out[1]);
	(void) close(err[1]);
	n->pid = pid;
	live_set(0, pid);
	n->port = read_ready(out[0], n);
	(void) close(out[0]);
	if (n->port > 0) {
		(void) close(err[0]);
		return -1;
	}
	// Not ready: it must have exited; collect what it said.
	if (errbuf != NULL) {
		while (used + 1 < errlen) {
			r = read(err[0], errbuf + used, errlen - 1 - used);
			if (r <= 0) {
				break;
			}
			used += (size_t) r;
		}
		errbuf[used] = '\0';
	}
	(void) close(err[0]);
	status = bbt_node_stop(n, SIGKILL);
	return status;
}

void
bbt_node_start(bbt_node *n, const char *conf_text)
{
	int st = bbt_node_try_start(n, conf_text, NULL, 0);

	if (st != -1) {
		fail_msg("blobbyd did not start (exit status %d)", st);
	}
}

int
bbt_node_stop(bbt_node *n, int sig)
{
	int64_t end = bbt_now_ms() + STOP_TIMEOUT_MS;
	int     status;
	pid_t   r;

	if (n->pid <= 0) {
		return -1;
	}
	(void) kill(n->pid, sig);
	for (;;) {
		r = waitpid(n->pid, &status, WNOHANG);
		if (r == n->pid) {
			break;
		}
		if (bbt_now_ms() > end) {
			(void) kill(n->pid, SIGKILL);
			(void) waitpid(n->pid, &status, 0);
			live_set(n->pid, 0);
			n->pid = -1;
			fail_msg("blobbyd did not stop within %d ms",
			         STOP_TIMEOUT_MS);
		}
		bbt_sleep_ms(10);
	}
	live_set(n->pid, 0);
	n->pid = -1;
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

void
bbt_node_cleanup(bbt_node *n)
{
	if (n->pid > 0) {
		(void) bbt_node_stop(n, SIGKILL);
	}
	if (n->dir[0] != '\0') {
		bbt_rmtree(n->dir);
	}
}

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

void
bbt_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= len) {
		fail_msg("bbt_fmt: %d bytes do not fit in %zu", n, len);
	}
}

int
bbt_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t          len = sizeof(sa);
	int                fd;
	int                port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *) &sa, &len) == 0) {
		port = ntohs(sa.sin_port);
	}
	(void) close(fd);
	assert_true(port > 0);
	return port;
}

size_t
bbt_conf_peers(char *buf, size_t cap, size_t off, int self, int n,
               const int *rpc_ports)
{
	int j;

	for (j = 0; j < n; j++) {
		if (j == self || off >= cap) {
			continue;
		}
		off += (size_t) snprintf(
		    buf + off, cap - off,
		    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n", j + 1,
		    rpc_ports[j]);
	}
	assert_true(off < cap);
	return off;
}

void
bbt_cluster_init(bbt_cluster *c, int n)
{
	int i;

	assert_true(n > 0 && n <= BBT_CLUSTER_MAX);
	memset(c, 0, sizeof(*c));
	c->n = n;
	for (i = 0; i < n; i++) {
		c->rpc_ports[i] = bbt_free_port();
		bbt_node_init(&c->nodes[i]);
	}
}

size_t
bbt_cluster_conf_head(bbt_cluster *c, int i, const char *client)
{
	char  *buf = c->conf[i];
	size_t cap = sizeof(c->conf[i]);
	size_t off;

	off = (size_t) snprintf(buf, cap,
	                        "machine_id = %d\narchive_retry_initial = "
	                        "100ms\narchive_retry_max = 500ms\n"
	                        "[log]\nfile = @DIR@/blobbyd.log\n",
	                        i + 1);
	if (client != NULL) {
		off += (size_t) snprintf(buf + off, cap - off,
		                         "[client]\n%s\n", client);
	}
	off += (size_t) snprintf(buf + off, cap - off,
	                         "[server]\naddr = 127.0.0.1\nport = 0\n"
	                         "rpc_port = %d\n",
	                         c->rpc_ports[i]);
	return bbt_conf_peers(buf, cap, off, i, c->n, c->rpc_ports);
}

void
bbt_cluster_start(bbt_cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		bbt_node_start(&c->nodes[i], c->conf[i]);
	}
}

void
bbt_cluster_stop(bbt_cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->nodes[i].pid > 0) {
			(void) kill(c->nodes[i].pid, SIGCONT);
			(void) bbt_node_stop(&c->nodes[i], SIGTERM);
		}
		bbt_node_cleanup(&c->nodes[i]);
	}
	c->n = 0;
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

int
bbt_data_files(const char *dir)
{
	DIR           *d = opendir(dir);
	struct dirent *de;
	struct stat    st;
	char           path[512];
	const char    *base;
	int            count = 0;

	if (d == NULL) {
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		base = strncmp(de->d_name, "r-", 2) == 0 ? de->d_name + 2
		                                         : de->d_name;
		if (strlen(base) != 14 || strchr(base, '.') != NULL) {
			continue;
		}
		(void) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && st.st_size > 0) {
			count++;
		}
	}
	(void) closedir(d);
	return count;
}

void
bbt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

void
bbt_fill(void *buf, size_t n, unsigned seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t   i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t) x;
	}
}

bool
bbt_file_has(const char *path, const char *text, int ms)
{
	static char buf[256 * 1024];
	int64_t     end = bbt_now_ms() + ms;
	FILE       *f;
	size_t      n;

	for (;;) {
		f = fopen(path, "r");
		if (f != NULL) {
			n      = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = '\0';
			(void) fclose(f);
			if (strstr(buf, text) != NULL) {
				return true;
			}
		}
		if (bbt_now_ms() >= end) {
			return false;
		}
		bbt_sleep_ms(50);
	}
}

bool
bbt_log_has(const bbt_node *n, const char *text, int ms)
{
	char path[400];

	(void) snprintf(path, sizeof(path), "%s/blobbyd.log", n->dir);
	return bbt_file_has(path, text, ms);
}

void
bbt_sh(const char *fmt, ...)
{
	char    cmd[2048];
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(cmd)) {
		fail_msg("command too long: %s", fmt);
	}
	if (system(cmd) != 0) {
		fail_msg("command failed: %s", cmd);
	}
}

void
bbt_pki_ca(const char *dir, const char *name)
{
	bbt_sh("cd %s && openssl req -x509 -newkey ec -pkeyopt "
	       "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.crt "
	       "-days 2 -subj /CN=%s >/dev/null 2>&1",
	       dir, name, name, name);
}

void
bbt_pki_node(const char *dir, const char *name, const char *ca)
{
	bbt_sh("cd %s && openssl req -newkey ec -pkeyopt "
	       "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.csr "
	       "-subj /CN=%s >/dev/null 2>&1 && openssl x509 -req -in %s.csr "
	       "-CA %s.crt -CAkey %s.key -CAcreateserial -out %s.crt -days 2 "
	       ">/dev/null 2>&1",
	       dir, name, name, name, name, ca, ca, name);
}
