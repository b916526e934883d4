// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/accesslog.c -- [server.access_log]: one line per request, with
// the time, the client, the method, the path, the status and how long it
// took, as plain text or JSON.  Each line is one write(2) to a file
// opened with O_APPEND, so lines from many threads never mix; SIGHUP
// reopens the file after rotation.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "gateway/gateway_impl.h"

struct gw__alog {
	char            *path; // owned; "-" is standard error
	bool             json;
	pthread_rwlock_t lock; // writers share it; a reopen takes it alone
	int              fd;
};

static bb_err
alog_open_fd(const char *path, int *fdp)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		*fdp = STDERR_FILENO;
		return BB_OK;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		return bb_err_from_errno(errno);
	}
	*fdp = fd;
	return BB_OK;
}

bb_err
gw__alog_open(const bb_log_conf *c, gw__alog **ap)
{
	gw__alog *a;
	bb_err    rv;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return BB_ENOMEM;
	}
	a->path = strdup(c->file != NULL ? c->file : "-");
	a->json = c->format == BB_LOG_FORMAT_JSON;
	a->fd   = -1;
	if (a->path == NULL) {
		free(a);
		return BB_ENOMEM;
	}
	rv = alog_open_fd(a->path, &a->fd);
	if (rv != BB_OK) {
		free(a->path);
		free(a);
		return rv;
	}
	(void) pthread_rwlock_init(&a->lock, NULL);
	*ap = a;
	return BB_OK;
}

void
gw__alog_reopen(gw__alog *a)
{
	int fd = -1;

	if (a == NULL || strcmp(a->path, "-") == 0 ||
	    alog_open_fd(a->path, &fd) != BB_OK) {
		return; // the old file stays in use
	}
	(void) pthread_rwlock_wrlock(&a->lock);
	(void) close(a->fd);
	a->fd = fd;
	(void) pthread_rwlock_unlock(&a->lock);
}

void
gw__alog_close(gw__alog *a)
{
	if (a == NULL) {
		return;
	}
	if (a->fd > STDERR_FILENO) {
		(void) close(a->fd);
	}
	(void) pthread_rwlock_destroy(&a->lock);
	free(a->path);
	free(a);
}

void
gw__alog_write(gw__alog *a, const gw__request_info *ri)
{
	char    line[1400];
	char    path[1024];
	char    method[24];
	char    when[40];
	double  ms = (double) (bb_clock_mono_ns() - ri->start_ns) / 1e6;
	int     n;
	ssize_t w;

	if (a == NULL) {
		return;
	}
	// JSON escaping serves the plain format too: no quote, backslash
	// or control byte can break the quoted request or the line.
	(void) bb_json_escape(path, sizeof(path), ri->path);
	(void) bb_json_escape(method, sizeof(method), ri->method);
	(void) bb_clock_rfc3339(bb_clock_wall_ns(), when, sizeof(when));
	if (a->json) {
		n = snprintf(line, sizeof(line),
		             "{\"time\":\"%s\",\"client\":\"%s\",\"method\":"
		             "\"%s\",\"path\":\"%s\",\"status\":%u,"
		             "\"duration_ms\":%.3f}\n",
		             when, ri->client, method, path, ri->status, ms);
	} else {
		n = snprintf(line, sizeof(line), "%s %s \"%s %s\" %u %.3fms\n",
		             when, ri->client, method, path, ri->status, ms);
	}
	if (n < 0) {
		return;
	}
	if ((size_t) n >= sizeof(line)) {
		n                      = (int) sizeof(line) - 1;
		line[sizeof(line) - 2] = '\n';
	}
	(void) pthread_rwlock_rdlock(&a->lock);
	w = write(a->fd, line, (size_t) n);
	(void) pthread_rwlock_unlock(&a->lock);
	(void) w; // a full disk must not fail the request
}
