// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby.h -- what the files of the blobby client share: the
// options, the exit codes, one HTTP transfer (blobby_http.c) and the
// commands (blobby_cmd.c).  main() and the help texts are in blobby.c.
// The client is single-threaded; nothing here is thread-safe.
#ifndef TOOLS_BLOBBY_H
#define TOOLS_BLOBBY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>

#include <curl/curl.h>

#define BLOBBY_VERSION     BB_VERSION
#define BLOBBY_DEFAULT_URL "http://127.0.0.1:1091"

// Exit codes besides those of sysexits.h (EX_USAGE, EX_DATAERR,
// EX_NOINPUT, EX_UNAVAILABLE, EX_CANTCREAT, EX_IOERR, EX_TEMPFAIL,
// EX_PROTOCOL).
#define CLI_EXIT_OK   0
#define CLI_EXIT_HTTP 1 // the node answered an HTTP error

#define CLI_BODY_MAX 4096 // bytes of an answer kept in memory

// The options of one run: global ones and those of the command.  Every
// string is borrowed from argv or the environment.
typedef struct cli_opts {
	const char *url;        // base URL, without trailing '/'
	const char *cacert;     // --cacert FILE, or NULL
	const char *output;     // get -o FILE, or NULL
	const char *user;       // --user NAME[:PASSWORD], then the name only
	const char *password;   // with user: set by cli__auth_resolve
	long        timeout_ms; // --timeout; 0: none
	bool        insecure;   // --insecure
	bool        quiet;      // --quiet
	bool        json;       // status --json
	bool        help;       // --help after the command
	bool        progress;   // stderr is a terminal and not --quiet
} cli_opts;

// One HTTP request and what came back.  The caller fills the first
// block; cli__xfer_run fills the rest.
typedef struct cli_xfer {
	const char *method;     // "GET", "HEAD" or "POST"; borrowed
	const char *path;       // "/ns/id"; borrowed
	int         in_fd;      // POST body source, or -1; not closed here
	int64_t     in_size;    // bytes of in_fd, or -1 for chunked
	const char *in_name;    // in_fd's name for messages; borrowed
	int         out_fd;     // where a 200 body goes, or -1 to keep it
	const char *out_name;   // out_fd's name for messages; borrowed
	bool        out_always; // send the body to out_fd whatever the status
	int64_t     out_limit;  // most bytes accepted for out_fd; -1: any
	bool        out_text;   // out_fd is a terminal: refuse a NUL byte

	long     status;             // HTTP status, 0 before the answer
	char     reason[64];         // the status line's reason phrase
	int64_t  content_length;     // -1 if absent
	uint64_t sent;               // body bytes read from in_fd
	uint64_t received;           // body bytes written to out_fd
	char     body[CLI_BODY_MAX]; // the body not sent to out_fd, NUL-ended
	size_t   body_len;
	int      fail;          // exit code a callback asked for, or 0
	char     fail_msg[256]; // its message
} cli_xfer;

// The progress bar of one transfer (blobby_bar.c), on standard error.
typedef struct cli_bar {
	int     width;   // characters drawn last, 0: no bar on screen
	int64_t last_ns; // when it was drawn (monotonic)
	int64_t start_ns;
} cli_bar;

// cli__bar_start resets bar at the start of a transfer; nothing is drawn.
void cli__bar_start(cli_bar *bar);

// cli__bar_update redraws bar for done of total bytes (total 0: unknown)
// once the transfer passes 1 MB, at most ten times a second.
void cli__bar_update(cli_bar *bar, int64_t total, int64_t done);

// cli__bar_text shows text (one line, no newline) in place of the last
// line drawn, at most ten times a second; text longer than 150
// characters is not drawn.
void cli__bar_text(cli_bar *bar, const char *text);

// cli__bar_erase blanks the bar if one is on screen.
void cli__bar_erase(cli_bar *bar);

// cli__xfer_init prepares x for method and path with no body either way.
// x keeps the two pointers (borrowed: they must outlive x's use).
void cli__xfer_init(cli_xfer *x, const char *method, const char *path);

// cli__xfer_run performs x against o->url.  Returns 0 when the node
// answered (any status: see x->status), otherwise prints why on
// standard error and returns the exit code (EX_UNAVAILABLE, EX_TEMPFAIL,
// EX_IOERR, EX_PROTOCOL, or what a callback set in x->fail).  Borrows
// o, x's strings and descriptors (closes none); everything it allocates
// is freed before it returns.  Draws the bar when o->progress.
int cli__xfer_run(const cli_opts *o, cli_xfer *x);

// cli__xfer_report prints "blobby: GET /path: 404 <message>" for an
// answer that is not a success and returns its exit code: EX_UNAVAILABLE
// for 503, CLI_EXIT_HTTP otherwise.
int cli__xfer_report(const cli_xfer *x);

// cli__http_init and cli__http_fini bracket every use of libcurl.
// cli__http_init returns false (after a message) if libcurl cannot start.
bool cli__http_init(void);
void cli__http_fini(void);

// cli__url_check returns true if url is an http or https URL libcurl can
// parse, else prints why and returns false.
bool cli__url_check(const char *url);

// cli__ns_ok checks a namespace name as the node does: letters, digits,
// '_' and '-', not starting with '_' (anything else could change the
// request's path); prints why and returns false if it is not one.
bool cli__ns_ok(const char *ns);

// cli__auth_resolve settles the credentials of this run: --user NAME (or
// $BLOBBY_USER) with the password after a ':' in it, else from
// $BLOBBY_PASSWORD, else asked on the terminal.  Without a user, libcurl
// looks in ~/.netrc.  Returns -1 to go on, else the exit code (after a
// message).  o->user and o->password then point to storage of this file.
int cli__auth_resolve(cli_opts *o);

// cli__auth_setopt puts o's credentials (or the ~/.netrc lookup) on h.
CURLcode cli__auth_setopt(CURL *h, const cli_opts *o);

// cli__err prints "blobby: " and the formatted message on standard error.
void cli__err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// The commands.  argv holds the positional arguments only (argc of them,
// the command name excluded; borrowed); the counts were checked.  Each
// returns the exit code after printing any error on standard error.
int cli__cmd_put(const cli_opts *o, int argc, char **argv);
int cli__cmd_get(const cli_opts *o, int argc, char **argv);
int cli__cmd_head(const cli_opts *o, int argc, char **argv);
int cli__cmd_id(const cli_opts *o, int argc, char **argv);
int cli__cmd_status(const cli_opts *o, int argc, char **argv);
int cli__cmd_health(const cli_opts *o, int argc, char **argv);
int cli__cmd_shutdown(const cli_opts *o, int argc, char **argv);

// cli__cmd_load parses its own options: argv is the command name and
// everything after it (blobby_load.c).
int cli__cmd_load(const cli_opts *o, int argc, char **argv);

#endif // TOOLS_BLOBBY_H
