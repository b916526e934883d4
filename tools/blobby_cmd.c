// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_cmd.c -- the commands of the blobby client: put, get,
// head, id (offline), status, health and shutdown.  Each checks its
// arguments, runs one transfer (blobby_http.c) and prints the result.
// Option parsing and help are in blobby.c.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/id.h"
#include "storage/idsign.h"
#include "tools/blobby.h"

#define CLI_NS_MAX   128  // characters of a namespace name
#define CLI_PATH_MAX 4096 // of a temporary output file's name
#define CLI_TMP_TAIL ".blobby-XXXXXX"

bool
cli__ns_ok(const char *ns)
{
	size_t i;
	size_t n = strlen(ns);

	for (i = 0; i < n; i++) {
		char ch = ns[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
			break;
		}
	}
	if (n == 0 || n > CLI_NS_MAX || i < n || ns[0] == '_') {
		cli__err("namespace '%s': expected up to %d letters, digits, "
		         "'_' or '-', not starting with '_'",
		         ns, CLI_NS_MAX);
		return false;
	}
	return true;
}

// cli_id_ok parses the id s, signed or not (a tag is checked by the node
// of its namespace, which has the key); *signed_ may be NULL.
static bool
cli_id_ok(const char *s, store_id *id, bool *signed_)
{
	uint8_t tag[STORE_ID_TAG_LEN];
	bool    is_signed = false;

	if (signed_ == NULL) {
		signed_ = &is_signed;
	}
	if (store_id_decode(s, strlen(s), id, signed_, tag) != BB_OK) {
		cli__err("ID '%s': not a valid blob ID", s);
		return false;
	}
	return true;
}

// cli_flush ends what went to standard output through stdio.
static int
cli_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli__err("write standard output: %s", strerror(errno));
		return EX_IOERR;
	}
	return CLI_EXIT_OK;
}

// cli_open_input opens FILE ("-": standard input) for put and learns how
// much of it is left if that is known.  On CLI_EXIT_OK *fdp is set (the
// caller closes it unless it is STDIN_FILENO) and *sizep is the byte
// count, or -1 when it must be sent chunked.
static int
cli_open_input(const char *file, int *fdp, int64_t *sizep)
{
	struct stat st;
	off_t       pos;
	int         fd = STDIN_FILENO;

	if (strcmp(file, "-") != 0) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli__err("%s: %s", file, strerror(errno));
			return EX_NOINPUT;
		}
	}
	if (fstat(fd, &st) != 0) {
		cli__err("%s: %s", file, strerror(errno));
		st.st_mode = S_IFDIR; // refused below
	} else if (S_ISDIR(st.st_mode)) {
		cli__err("%s: is a directory", file);
	}
	if (S_ISDIR(st.st_mode)) {
		if (fd != STDIN_FILENO) {
			(void) close(fd);
		}
		return EX_NOINPUT;
	}
	*sizep = -1;
	if (S_ISREG(st.st_mode)) {
		// Standard input may be a file a shell already read from.
		pos    = lseek(fd, 0, SEEK_CUR);
		*sizep = (int64_t) st.st_size - (pos > 0 ? (int64_t) pos : 0);
	}
	*fdp = fd;
	return CLI_EXIT_OK;
}

int
cli__cmd_put(const cli_opts *o, int argc, char **argv)
{
	const char *ns   = argv[0];
	const char *file = argc > 1 ? argv[1] : "-";
	char        path[CLI_NS_MAX + 2];
	store_id    id;
	uint8_t     tag[STORE_ID_TAG_LEN];
	bool        is_signed = false;
	cli_xfer    x;
	int64_t     size = -1;
	int         fd   = -1;
	int         rc;

	if (!cli__ns_ok(ns)) {
		return EX_DATAERR;
	}
	rc = cli_open_input(file, &fd, &size);
	if (rc != CLI_EXIT_OK) {
		return rc;
	}
	if (size > (int64_t) UINT32_MAX) {
		cli__err("%s: %lld bytes: a blob holds at most %u", file,
		         (long long) size, (unsigned) UINT32_MAX);
		rc = EX_DATAERR;
		goto done;
	}
	(void) snprintf(path, sizeof(path), "/%s", ns);
	cli__xfer_init(&x, "POST", path);
	x.in_fd   = fd;
	x.in_size = size;
	x.in_name = fd == STDIN_FILENO ? "standard input" : file;
	rc        = cli__xfer_run(o, &x);
	if (rc != CLI_EXIT_OK) {
		goto done;
	}
	if (x.status != 200) {
		rc = cli__xfer_report(&x);
		goto done;
	}
	while (x.body_len > 0 &&
	       (x.body[x.body_len - 1] == '\n' ||
	        x.body[x.body_len - 1] == '\r')) {
		x.body[--x.body_len] = '\0';
	}
	if (store_id_decode(x.body, x.body_len, &id, &is_signed, tag) !=
	        BB_OK ||
	    id.length != x.sent) {
		cli__err(
		    "POST %s: the answer '%.64s' is not an ID of the %llu "
		    "bytes sent",
		    path, x.body, (unsigned long long) x.sent);
		rc = EX_PROTOCOL;
		goto done;
	}
	(void) printf("%s\n", x.body);
	rc = cli_flush();

done:
	if (fd > STDIN_FILENO) {
		(void) close(fd);
	}
	return rc;
}

// cli_tmp_open creates the temporary file beside out ("dir/.name.blobby-
// XXXXXX", with the permissions a new file would get) and writes its name
// into tmp.  Returns CLI_EXIT_OK with *fdp set, or EX_CANTCREAT.
static int
cli_tmp_open(const char *out, char *tmp, size_t len, int *fdp)
{
	const char *slash = strrchr(out, '/');
	const char *base  = slash != NULL ? slash + 1 : out;
	struct stat st;
	mode_t      mask;
	int         n;
	int         fd;

	if (base[0] == '\0' || (stat(out, &st) == 0 && S_ISDIR(st.st_mode))) {
		cli__err("%s: is a directory", out);
		return EX_CANTCREAT;
	}
	n = snprintf(tmp, len, "%.*s.%s" CLI_TMP_TAIL, (int) (base - out), out,
	             base);
	if (n < 0 || (size_t) n >= len) {
		cli__err("%s: name too long", out);
		return EX_CANTCREAT;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		// FILE as the user gave it: the temporary name means nothing
		// to them.
		cli__err("%s: %s", out, strerror(errno));
		tmp[0] = '\0';
		return EX_CANTCREAT;
	}
	// mkstemp makes 0600; FILE should look as if opened with 0666.
	mask = umask(0);
	(void) umask(mask);
	(void) fchmod(fd, 0666 & ~mask);
	*fdp = fd;
	return CLI_EXIT_OK;
}

int
cli__cmd_get(const cli_opts *o, int argc, char **argv)
{
	const char *ns  = argv[0];
	const char *out = o->output;
	char        path[CLI_NS_MAX + STORE_ID_TEXT_MAX + 3];
	char        tmp[CLI_PATH_MAX] = "";
	store_id    id;
	cli_xfer    x;
	int         fd = STDOUT_FILENO;
	int         rc;

	(void) argc;
	if (!cli__ns_ok(ns) || !cli_id_ok(argv[1], &id, NULL)) {
		return EX_DATAERR;
	}
	if (out != NULL && strcmp(out, "-") == 0) {
		out = NULL;
	}
	if (out != NULL) {
		rc = cli_tmp_open(out, tmp, sizeof(tmp), &fd);
		if (rc != CLI_EXIT_OK) {
			return rc;
		}
	}
	(void) snprintf(path, sizeof(path), "/%s/%s", ns, argv[1]);
	cli__xfer_init(&x, "GET", path);
	x.out_fd = fd;
	// Messages name FILE as the user gave it, not the temporary name.
	x.out_name  = out != NULL ? out : "standard output";
	x.out_limit = id.length;
	x.out_text  = o->output == NULL && isatty(STDOUT_FILENO) == 1;
	rc          = cli__xfer_run(o, &x);
	if (rc != CLI_EXIT_OK) {
		goto done;
	}
	if (x.status != 200) {
		rc = cli__xfer_report(&x);
		goto done;
	}
	if (x.received != id.length ||
	    (x.content_length >= 0 &&
	     (uint64_t) x.content_length != x.received)) {
		cli__err("GET %s: %llu bytes arrived, the ID says %u", path,
		         (unsigned long long) x.received,
		         (unsigned) id.length);
		rc = EX_PROTOCOL;
		goto done;
	}
	if (out == NULL) {
		goto done;
	}
	// Durable before it gets its name: FILE is whole or absent.
	rc = fsync(fd) != 0 ? errno : 0;
	if (close(fd) != 0 && rc == 0) {
		rc = errno;
	}
	fd = -1;
	if (rc != 0) {
		cli__err("%s: %s", out, strerror(rc));
		rc = EX_IOERR;
		goto done;
	}
	if (rename(tmp, out) != 0) {
		cli__err("%s: %s", out, strerror(errno));
		rc = EX_CANTCREAT;
		goto done;
	}
	tmp[0] = '\0';

done:
	if (fd > STDOUT_FILENO) {
		(void) close(fd);
	}
	if (tmp[0] != '\0') {
		(void) unlink(tmp);
	}
	return rc;
}

int
cli__cmd_head(const cli_opts *o, int argc, char **argv)
{
	const char *ns = argv[0];
	char        path[CLI_NS_MAX + STORE_ID_TEXT_MAX + 3];
	store_id    id;
	cli_xfer    x;
	int         rc;

	(void) argc;
	if (!cli__ns_ok(ns) || !cli_id_ok(argv[1], &id, NULL)) {
		return EX_DATAERR;
	}
	(void) snprintf(path, sizeof(path), "/%s/%s", ns, argv[1]);
	cli__xfer_init(&x, "HEAD", path);
	rc = cli__xfer_run(o, &x);
	if (rc != CLI_EXIT_OK) {
		return rc;
	}
	if (x.status != 200) {
		return cli__xfer_report(&x);
	}
	if (x.content_length != (int64_t) id.length) {
		cli__err("HEAD %s: Content-Length %lld, the ID says %u", path,
		         (long long) x.content_length, (unsigned) id.length);
		return EX_PROTOCOL;
	}
	(void) printf("length: %lld\nstatus: %ld%s%s\n",
	              (long long) x.content_length, x.status,
	              x.reason[0] != '\0' ? " " : "", x.reason);
	return cli_flush();
}

int
cli__cmd_id(const cli_opts *o, int argc, char **argv)
{
	char      fid[STORE_FID_STRLEN + 1];
	char      when[32];
	store_id  id;
	struct tm tm;
	time_t    secs;
	uint32_t  m;
	bool      is_signed = false;

	(void) o;
	(void) argc;
	if (!cli_id_ok(argv[0], &id, &is_signed)) {
		return EX_DATAERR;
	}
	(void) store_fid_format(&id.fid, fid);
	secs = (time_t) store_fid_seconds(&id.fid);
	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		(void) snprintf(when, sizeof(when), "?");
	}
	m = store_fid_machine(&id.fid);
	(void) printf(
	    "id:       %s\n"
	    "file id:  %s\n"
	    "created:  %s\n"
	    "counter:  %u\n"
	    "machine:  %u (%u.%u.%u.%u)\n"
	    "start:    %llu\n"
	    "length:   %u\n"
	    "file:     %s (a replica's: r-%s)\n"
	    "signed:   %s\n",
	    argv[0], fid, when, (unsigned) store_fid_counter(&id.fid),
	    (unsigned) m, (unsigned) (m >> 24), (unsigned) ((m >> 16) & 0xff),
	    (unsigned) ((m >> 8) & 0xff), (unsigned) (m & 0xff),
	    (unsigned long long) id.start, (unsigned) id.length, fid, fid,
	    is_signed ? "yes (its namespace's node checks the tag)" : "no");
	return cli_flush();
}

// cli_admin runs GET path and sends the body to standard output: only a
// 200 one, or any with always (the health report explains a 500).
static int
cli_admin(const cli_opts *o, const char *path, bool always)
{
	cli_xfer x;
	int      rc;

	cli__xfer_init(&x, "GET", path);
	x.out_fd     = STDOUT_FILENO;
	x.out_name   = "standard output";
	x.out_always = always;
	rc           = cli__xfer_run(o, &x);
	if (rc != CLI_EXIT_OK) {
		return rc;
	}
	if (x.status != 200) {
		return cli__xfer_report(&x);
	}
	return CLI_EXIT_OK;
}

int
cli__cmd_status(const cli_opts *o, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	return cli_admin(o, o->json ? "/_status?format=json" : "/_status",
	                 false);
}

int
cli__cmd_health(const cli_opts *o, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	return cli_admin(o, "/_health", true);
}

int
cli__cmd_shutdown(const cli_opts *o, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "status";
	char        path[32];

	if (strcmp(sub, "start") != 0 && strcmp(sub, "stop") != 0 &&
	    strcmp(sub, "status") != 0) {
		cli__err("shutdown %s: expected start, stop or status", sub);
		(void) fputs("usage: blobby [OPTIONS] shutdown "
		             "[start|stop|status]\n",
		             stderr);
		return EX_USAGE;
	}
	(void) snprintf(path, sizeof(path), "/_shutdown/%s", sub);
	return cli_admin(o, path, false);
}
