// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/harness_files.c -- what the integration tests need
// besides processes and HTTP: bounded formatting, counting a namespace's
// data files, waiting for text in a file or a node's log, sleeping,
// seeded bytes, shell commands and the openssl certificates of the TLS
// tests.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "tests/clock.h"

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

int
bbt_sh_out(char *out, size_t cap, const char *fmt, ...)
{
	char    cmd[2048];
	va_list ap;
	FILE   *p;
	size_t  n;
	int     st;

	va_start(ap, fmt);
	n = (size_t) vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n >= sizeof(cmd)) {
		fail_msg("command too long: %s", fmt);
	}
	p = popen(cmd, "r");
	assert_non_null(p);
	n      = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	st     = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
