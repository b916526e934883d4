// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby.c -- the command-line client: options, help texts and the
// dispatch to a command.  The commands are in blobby_cmd.c, HTTP and the
// progress bar in blobby_http.c.
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "storage/idsign.h"
#include "tools/blobby.h"

#define CLI_TIMEOUT_MAX_S 1.0e7 // about 115 days

enum {
	CLI_OPT_URL = 256,
	CLI_OPT_TIMEOUT,
	CLI_OPT_CACERT,
	CLI_OPT_INSECURE,
	CLI_OPT_JSON,
	CLI_OPT_USER,
};

static const struct option cli_longopts[] = {
	{ "url", required_argument, NULL, CLI_OPT_URL },
	{ "timeout", required_argument, NULL, CLI_OPT_TIMEOUT },
	{ "cacert", required_argument, NULL, CLI_OPT_CACERT },
	{ "insecure", no_argument, NULL, CLI_OPT_INSECURE },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "user", required_argument, NULL, CLI_OPT_USER },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

typedef struct cli_cmd {
	const char *name;
	int         min_args; // positional arguments
	int         max_args;
	bool        output_ok; // accepts -o FILE
	bool        json_ok;   // accepts --json
	bool        own_opts;  // parses the options after its name itself
	int (*run)(const cli_opts *o, int argc, char **argv);
	const char *synopsis; // what follows "blobby [OPTIONS] "
	const char *summary;  // one line for the list of commands
	const char *help;
} cli_cmd;

static const cli_cmd cli_cmds[] = {
	{ "put", 1, 2, false, false, false, cli__cmd_put, "put NS [FILE]",
	  "store FILE or standard input, print the ID",
	  "Store FILE (standard input if FILE is missing or \"-\")\n"
	  "as one blob in namespace NS and print its ID and a\n"
	  "newline.  A regular file is sent with a Content-Length,\n"
	  "anything else chunked; nothing is read whole into\n"
	  "memory.  The ID's length is checked against the bytes\n"
	  "sent.\n" },
	{ "get", 2, 2, true, false, false, cli__cmd_get, "get NS ID [-o FILE]",
	  "write a blob to standard output or FILE",
	  "Write the blob to standard output, or with -o FILE\n"
	  "(--output) to a temporary file beside FILE that is\n"
	  "renamed to FILE once every byte arrived: a failed get\n"
	  "never leaves a partial FILE.  The byte count is checked\n"
	  "against the ID's length and the Content-Length.  A blob\n"
	  "with a NUL byte is not written to a terminal unless\n"
	  "asked with -o -.\n" },
	{ "head", 2, 2, false, false, false, cli__cmd_head, "head NS ID",
	  "print a blob's length",
	  "Ask the node for the blob without its bytes; print\n"
	  "\"length: N\" and \"status: 200 OK\".\n" },
	{ "id", 1, 1, false, false, false, cli__cmd_id, "id ID",
	  "decode an ID (offline)",
	  "Decode ID without asking any node: its file id, the\n"
	  "file's creation time (UTC), counter and machine id, the\n"
	  "start offset and length, and the name of its data file.\n"
	  "An invalid ID exits with 65.\n" },
	{ "status", 0, 0, false, true, false, cli__cmd_status,
	  "status [--json]", "print the node's status",
	  "Print the node's status page (GET /_status, or\n"
	  "GET /_status?format=json with --json).\n" },
	{ "health", 0, 0, false, false, false, cli__cmd_health, "health",
	  "print the node's health; exit 0 if healthy",
	  "Print the node's health report (GET /_health); exit 0\n"
	  "if it answers 200, 1 otherwise (69 when unavailable).\n" },
	{ "shutdown", 0, 1, false, false, false, cli__cmd_shutdown,
	  "shutdown [start|stop|status]",
	  "enter, leave or query shutdown mode",
	  "start: the node enters shutdown mode (refuses inserts,\n"
	  "reports unhealthy); stop: it leaves it; status (the\n"
	  "default): ask.  Prints the node's answer\n"
	  "(GET /_shutdown/start, /stop or /status).\n" },
	{ "load", 0, 0, false, false, true, cli__cmd_load,
	  "load --ns NS [LOAD OPTIONS]",
	  "load nodes with inserts or reads, and verify",
	  "Keep --concurrency N requests in flight (libcurl multi,\n"
	  "one thread) against the nodes, then print ops/s, MB/s,\n"
	  "errors by status and latency percentiles.\n"
	  "  --url URL          a node; repeat for several (round robin)\n"
	  "  --ns NS            the namespace (required)\n"
	  "  --op OP            insert (default), read, or mix\n"
	  "  --read-ratio F     share of reads in mix (default 0.5)\n"
	  "  --concurrency N    requests in flight (default 8, max 1024)\n"
	  "  --size N|MIN-MAX   blob size (default 1kib; 1k is 1000)\n"
	  "  --duration D       stop starting requests after D (10s)\n"
	  "  --count N          or after N requests (the first wins)\n"
	  "  --warmup N         inserts before the load, for reads to\n"
	  "                     find (default 1000 for read, else 0)\n"
	  "  --verify           read back every acknowledged blob and\n"
	  "                     compare its XXH3-64 hash\n"
	  "  --verify-url URL   ... from this node (implies --verify)\n"
	  "  --ledger FILE      write \"ID LENGTH XXH3-HEX\" per ack\n"
	  "  --verify-ledger FILE  only read back FILE's blobs\n"
	  "  --json             one JSON object on standard output\n"
	  "  --seed N           of the blob contents and the choices\n"
	  "Reads in read and mix read blobs of the same run; every\n"
	  "read is compared.  Exit 0 when done, 65 if a blob read\n"
	  "back differs or is missing, 1 if every request failed or\n"
	  "a verification read failed, 69 if no node answered.\n" },
};

#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static const char cli_options_help[] =
    "Options (before or after the command; \"--\" ends them):\n"
    "  --url URL       the node (default: $BLOBBY_URL, else\n"
    "                  " BLOBBY_DEFAULT_URL "); http or https only\n"
    "  --timeout SECS  abort a transfer after SECS seconds (default:\n"
    "                  none; connecting gives up after 10 s, and a\n"
    "                  transfer with no progress for 60 s is aborted)\n"
    "  --cacert FILE   trust the CA certificates in FILE (PEM) for https\n"
    "  --insecure      do not verify the https certificate\n"
    "  --user NAME     HTTP Basic authentication as NAME (default:\n"
    "                  $BLOBBY_USER); the password comes from\n"
    "                  $BLOBBY_PASSWORD, else it is asked on the\n"
    "                  terminal.  NAME:PASSWORD works too, but shows\n"
    "                  the password to every local user.  Without a\n"
    "                  user, ~/.netrc is used when it has the host\n"
    "  -q, --quiet     no progress bar (one is drawn on standard error\n"
    "                  for transfers above 1 MB when it is a terminal)\n"
    "  -h, --help      print help and exit (\"blobby COMMAND --help\")\n"
    "  -V, --version   print the version and exit\n";

static const char cli_exit_help[] =
    "Exit codes:\n"
    "   0  success\n"
    "   1  the node answered an HTTP error (message and status on stderr)\n"
    "  64  usage error\n"
    "  65  invalid ID or namespace, or an input too big for one blob\n"
    "  66  input file (FILE, --cacert) missing or unreadable\n"
    "  69  node unavailable: cannot connect, or it answered 503\n"
    "  73  cannot create the output file\n"
    "  74  I/O error: reading input, writing output, transfer broken\n"
    "  75  timed out (--timeout, or no progress for 60 s)\n"
    "  76  protocol error: TLS failure, a malformed or wrong-sized answer\n";

void
cli__err(const char *fmt, ...)
{
	va_list ap;

	(void) fputs("blobby: ", stderr);
	va_start(ap, fmt);
	(void) vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void) fputc('\n', stderr);
}

static void
cli_help_global(FILE *out)
{
	size_t i;

	(void) fputs("usage: blobby [OPTIONS] COMMAND [ARGS]\n\n"
	             "A client for a blobby node.\n\nCommands:\n",
	             out);
	for (i = 0; i < CLI_NCMDS; i++) {
		(void) fprintf(out, "  %-29s %s\n", cli_cmds[i].synopsis,
		               cli_cmds[i].summary);
	}
	(void) fprintf(out, "  %-29s %s\n\n", "help [COMMAND]",
	               "print this help or a command's");
	(void) fputs(cli_options_help, out);
	(void) fputc('\n', out);
	(void) fputs(cli_exit_help, out);
}

static void
cli_help_cmd(const cli_cmd *cmd, FILE *out)
{
	(void) fprintf(out, "usage: blobby [OPTIONS] %s\n\n%s\n%s\n%s",
	               cmd->synopsis, cmd->help, cli_options_help,
	               cli_exit_help);
}

static void
cli_version(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	(void) printf("blobby %s (libcurl %s)\n", BLOBBY_VERSION, v->version);
}

static const cli_cmd *
cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < CLI_NCMDS; i++) {
		if (strcmp(cli_cmds[i].name, name) == 0) {
			return &cli_cmds[i];
		}
	}
	return NULL;
}

static bool
cli_parse_timeout(const char *s, long *ms)
{
	char  *end = NULL;
	double v;

	v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v > 0) || v > CLI_TIMEOUT_MAX_S) {
		return false;
	}
	*ms = (long) (v * 1000.0 + 0.5);
	if (*ms < 1) {
		*ms = 1;
	}
	return true;
}

// cli_parse reads options from argv[1..] into o: before the command
// (global: stops at the first operand) or after it (operands and
// options mixed).  Returns -1 to go on, else the exit code to return.
// *seen_output and *seen_json record -o and --json for the command check.
static int
cli_parse(cli_opts *o, int argc, char **argv, bool global, bool *seen_output,
          bool *seen_json)
{
	int c;

	optind = 0; // glibc: start over (the second pass)
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, global ? "+:o:qhV" : ":o:qhV",
		                cli_longopts, NULL);
		if (c == -1) {
			break;
		}
		switch (c) {
		case CLI_OPT_URL:
			o->url = optarg;
			break;
		case CLI_OPT_TIMEOUT:
			if (!cli_parse_timeout(optarg, &o->timeout_ms)) {
				cli__err("--timeout %s: expected seconds "
				         "above 0",
				         optarg);
				return EX_USAGE;
			}
			break;
		case CLI_OPT_CACERT:
			o->cacert = optarg;
			break;
		case CLI_OPT_INSECURE:
			o->insecure = true;
			break;
		case CLI_OPT_USER:
			o->user = optarg;
			break;
		case CLI_OPT_JSON:
			o->json    = true;
			*seen_json = true;
			break;
		case 'o':
			o->output    = optarg;
			*seen_output = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			if (global) {
				cli_help_global(stdout);
				return CLI_EXIT_OK;
			}
			o->help = true;
			break;
		case 'V':
			cli_version();
			return CLI_EXIT_OK;
		case ':':
			cli__err("option '%s' needs an argument",
			         argv[optind - 1]);
			return EX_USAGE;
		default:
			if (optopt != 0) {
				cli__err("unknown option '-%c'", optopt);
			} else {
				cli__err("unknown option '%s'",
				         argv[optind - 1]);
			}
			return EX_USAGE;
		}
	}
	return -1;
}

// An ID starts with '-' once in 64 (its first six bits are 62), and
// getopt would take it for options: cli_ids_hide puts an empty string of
// its own in the place of every argument that is an ID starting with '-',
// which getopt leaves alone as an operand, and cli_ids_restore puts the
// IDs back wherever getopt moved those strings.
#define CLI_HIDE_MAX 64

static char cli_id_marks[CLI_HIDE_MAX][1];

static void
cli_ids_hide(int argc, char **argv, char **hidden)
{
	uint8_t  tag[STORE_ID_TAG_LEN];
	store_id id;
	bool     is_signed;
	int      i;

	for (i = 0; i < argc && i < CLI_HIDE_MAX; i++) {
		hidden[i] = NULL;
		if (argv[i][0] == '-' &&
		    store_id_decode(argv[i], strlen(argv[i]), &id, &is_signed,
		                    tag) == BB_OK) {
			hidden[i] = argv[i];
			argv[i]   = cli_id_marks[i];
		}
	}
}

static void
cli_ids_restore(int argc, char **argv, char **hidden)
{
	int i, k;

	for (i = 0; i < argc; i++) {
		for (k = 0; k < argc && k < CLI_HIDE_MAX; k++) {
			if (argv[i] == cli_id_marks[k]) {
				argv[i] = hidden[k];
				break;
			}
		}
	}
}

static int
cli_usage_error(const char *what, const cli_cmd *cmd)
{
	cli__err("%s", what);
	if (cmd != NULL) {
		(void) fprintf(stderr, "usage: blobby [OPTIONS] %s\n",
		               cmd->synopsis);
	}
	(void) fputs("Try 'blobby --help'.\n", stderr);
	return EX_USAGE;
}

// cli_help_command serves "blobby help [COMMAND]".
static int
cli_help_command(int argc, char **argv)
{
	const cli_cmd *cmd;

	if (argc <= 1) {
		cli_help_global(stdout);
		return CLI_EXIT_OK;
	}
	cmd = cli_find(argv[1]);
	if (argc > 2 || cmd == NULL) {
		return cli_usage_error("help: expected one command name",
		                       NULL);
	}
	cli_help_cmd(cmd, stdout);
	return CLI_EXIT_OK;
}

static int
cli_run(const cli_cmd *cmd, cli_opts *o, int argc, char **argv)
{
	const char *env = getenv("BLOBBY_URL");
	int         rc;

	if (o->url == NULL) {
		o->url =
		    (env != NULL && env[0] != '\0') ? env : BLOBBY_DEFAULT_URL;
	}
	o->progress = !o->quiet && isatty(STDERR_FILENO) == 1;
	if (!cli__http_init()) {
		return EX_SOFTWARE;
	}
	// The id command never talks to a node, so a bad URL is no error.
	if (cmd->run != cli__cmd_id && !cli__url_check(o->url)) {
		rc = EX_USAGE;
	} else if (cmd->run != cli__cmd_id &&
	           (rc = cli__auth_resolve(o)) >= 0) {
		// rc says why
	} else if (o->cacert != NULL && access(o->cacert, R_OK) != 0) {
		// libcurl would ignore it for http, or fail as a TLS error.
		cli__err("--cacert %s: %s", o->cacert, strerror(errno));
		rc = EX_NOINPUT;
	} else {
		rc = cmd->run(o, argc, argv);
	}
	cli__http_fini();
	return rc;
}

// cli_own_opts runs a command that parses its own options (argv[0] is
// its name), after a look for --help among them.
static int
cli_own_opts(const cli_cmd *cmd, cli_opts *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_help_cmd(cmd, stdout);
			return CLI_EXIT_OK;
		}
	}
	return cli_run(cmd, o, argc, argv);
}

int
main(int argc, char **argv)
{
	cli_opts       o = { 0 };
	const cli_cmd *cmd;
	bool           seen_output = false;
	bool           seen_json   = false;
	char          *hidden[CLI_HIDE_MAX];
	char         **sub;
	int            nsub;
	int            npos;
	int            rc;

	// A closed standard output gives EPIPE (exit 74), not a signal.
	(void) signal(SIGPIPE, SIG_IGN);
	rc = cli_parse(&o, argc, argv, true, &seen_output, &seen_json);
	if (rc >= 0) {
		return rc;
	}
	if (optind >= argc) {
		return cli_usage_error("no command given", NULL);
	}
	sub  = argv + optind;
	nsub = argc - optind;
	if (strcmp(sub[0], "help") == 0) {
		return cli_help_command(nsub, sub);
	}
	cmd = cli_find(sub[0]);
	if (cmd == NULL) {
		cli__err("unknown command '%s'", sub[0]);
		(void) fputs("Try 'blobby --help'.\n", stderr);
		return EX_USAGE;
	}
	if (cmd->own_opts) {
		return cli_own_opts(cmd, &o, nsub, sub);
	}
	cli_ids_hide(nsub, sub, hidden);
	rc = cli_parse(&o, nsub, sub, false, &seen_output, &seen_json);
	cli_ids_restore(nsub, sub, hidden);
	if (rc >= 0) {
		return rc;
	}
	if (o.help) {
		cli_help_cmd(cmd, stdout);
		return CLI_EXIT_OK;
	}
	npos = nsub - optind;
	if (npos < cmd->min_args) {
		return cli_usage_error("missing arguments", cmd);
	}
	if (npos > cmd->max_args) {
		return cli_usage_error("too many arguments", cmd);
	}
	if (seen_output && !cmd->output_ok) {
		return cli_usage_error("-o is for get only", cmd);
	}
	if (seen_json && !cmd->json_ok) {
		return cli_usage_error("--json is for status only", cmd);
	}
	return cli_run(cmd, &o, npos, sub + optind);
}
