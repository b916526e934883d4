// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/accesslog.c -- [server.access_log]: one line per request, with
// the time, the client, the method, the path, the status and how long it
// took, as plain text or JSON.  The file itself (one write(2) per line,
// reopened on SIGHUP after rotation) is common/file.c's bb_logfile.
#include <stdio.h>
#include <stdlib.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/file.h"
#include "gateway/gateway_impl.h"

struct gw__alog {
	bb_logfile file;
	bool       json;
};

bb_err
gw__alog_open(const bb_log_conf *c, gw__alog **ap)
{
	gw__alog *a;
	bb_err    rv;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return BB_ENOMEM;
	}
	a->json = c->format == BB_LOG_FORMAT_JSON;
	bb_logfile_init(&a->file);
	rv = bb_logfile_open(&a->file, c->file, NULL, 0);
	if (rv != BB_OK) {
		bb_logfile_fini(&a->file);
		free(a);
		return rv;
	}
	*ap = a;
	return BB_OK;
}

void
gw__alog_reopen(gw__alog *a)
{
	if (a == NULL) {
		return;
	}
	// On failure the old file stays in use.
	(void) bb_logfile_reopen(&a->file, NULL, 0);
}

void
gw__alog_close(gw__alog *a)
{
	if (a == NULL) {
		return;
	}
	bb_logfile_fini(&a->file);
	free(a);
}

void
gw__alog_write(gw__alog *a, const gw__request_info *ri)
{
	char   line[1400];
	char   path[1024];
	char   method[24];
	char   when[40];
	double ms = (double) (bb_clock_mono_ns() - ri->start_ns) / 1e6;
	int    n;

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
	bb_logfile_write(&a->file, line, (size_t) n);
}
