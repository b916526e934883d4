// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_bar.c -- the progress bar of the blobby client: one line
// on standard error, drawn for transfers above 1 MB at most ten times a
// second, and blanked at the end; or a line of text (blobby load's
// progress).  Whether to draw at all (a terminal,
// no --quiet) is decided by the caller.
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/units.h"
#include "tools/blobby.h"

#define CLI_BAR_MIN_BYTES   INT64_C(1000000)     // no bar up to 1 MB
#define CLI_BAR_INTERVAL_NS (100 * BB_NS_PER_MS) // at most 10 redraws/s
#define CLI_BAR_CELLS       24
#define CLI_BAR_LINE        160 // bytes of a line drawn

void
cli__bar_start(cli_bar *c)
{
	memset(c, 0, sizeof(*c));
	c->start_ns = bb_clock_mono_ns();
}

// cli_size prints v as /_status prints sizes (SI units: kB, MB, GB), so
// that one amount reads the same everywhere.
static void
cli_size(char *buf, size_t len, int64_t v)
{
	(void) bb_format_bytes(v > 0 ? (uint64_t) v : 0, buf, len);
}

// cli_bar_put shows line (w characters, starting with '\r') in place of
// the last one, blanking what a longer last one left.
static void
cli_bar_put(cli_bar *c, char *line, int w, int64_t now)
{
	if (w < 0 || (size_t) w >= CLI_BAR_LINE) {
		return;
	}
	while (w - 1 < c->width && (size_t) w < CLI_BAR_LINE - 1) {
		line[w++] = ' ';
	}
	line[w] = '\0';
	(void) fputs(line, stderr);
	c->width   = w - 1;
	c->last_ns = now;
}

static void
cli_bar_draw(cli_bar *c, int64_t total, int64_t done, int64_t now)
{
	char    line[CLI_BAR_LINE];
	char    cells[CLI_BAR_CELLS + 1];
	char    sdone[32];
	char    stotal[32];
	char    srate[32];
	double  secs = (double) (now - c->start_ns) / (double) BB_NS_PER_SEC;
	int64_t rate = secs > 0.001 ? (int64_t) ((double) done / secs) : 0;
	int     filled;
	int     w;

	cli_size(sdone, sizeof(sdone), done);
	cli_size(srate, sizeof(srate), rate);
	if (total > 0) {
		if (done > total) {
			done = total;
		}
		filled = (int) (done * CLI_BAR_CELLS / total);
		memset(cells, '#', (size_t) filled);
		memset(cells + filled, '.', (size_t) (CLI_BAR_CELLS - filled));
		cells[CLI_BAR_CELLS] = '\0';
		cli_size(stotal, sizeof(stotal), total);
		w = snprintf(line, sizeof(line), "\r[%s] %3d%%  %s / %s  %s/s",
		             cells, (int) (done * 100 / total), sdone, stotal,
		             srate);
	} else {
		w = snprintf(line, sizeof(line), "\r%s  %s/s", sdone, srate);
	}
	cli_bar_put(c, line, w, now);
}

void
cli__bar_erase(cli_bar *c)
{
	if (c->width > 0) {
		(void) fprintf(stderr, "\r%*s\r", c->width, "");
		c->width = 0;
	}
}

void
cli__bar_update(cli_bar *c, int64_t total, int64_t done)
{
	int64_t now = bb_clock_mono_ns();

	if (c->width == 0 && total <= CLI_BAR_MIN_BYTES &&
	    done <= CLI_BAR_MIN_BYTES) {
		return;
	}
	if (c->width > 0 && now - c->last_ns < CLI_BAR_INTERVAL_NS) {
		return;
	}
	cli_bar_draw(c, total, done, now);
}

void
cli__bar_text(cli_bar *c, const char *text)
{
	char    line[CLI_BAR_LINE];
	int64_t now = bb_clock_mono_ns();

	if (c->width > 0 && now - c->last_ns < CLI_BAR_INTERVAL_NS) {
		return;
	}
	cli_bar_put(c, line, snprintf(line, sizeof(line), "\r%s", text), now);
}
