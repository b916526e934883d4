// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobbyd.c -- the node: reads the configuration, opens storage,
// starts the HTTP gateway and waits for signals.  Wiring only.
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/conf/conf.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "gateway/gateway.h"
#include "rpc/rpc.h"
#include "storage/storage.h"
#include "tools/blobbyd.h"
#include "tools/blobbyd_reload.h"

#define BLOBBYD_VERSION BB_VERSION
#define DRAIN_WAIT_NS   (INT64_C(30) * BB_NS_PER_SEC)
#define STOP_WAIT_S     30 // after the drain: for closing everything

static void
usage(FILE *out)
{
	(void) fprintf(
	    out,
	    "usage: blobbyd [-c FILE] [-t] [-V] [-h]\n"
	    "  -c, --config FILE  configuration file (INI); without it the\n"
	    "                     embedded single-node default is used\n"
	    "                     (./blobby-data)\n"
	    "  -t, --test         check the configuration and exit (0 if\n"
	    "                     valid, 78 if not)\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n");
}

// check_supported refuses what the configuration allows but this build
// cannot do, rather than run with less safety than the user asked.
static int
check_supported(const bb_conf *conf)
{
	size_t i;
	int    bad = 0;

	for (i = 0; i < conf->n_namespaces; i++) {
		if (conf->namespaces[i].replicas > STORE_MAX_REPLICAS) {
			(void) fprintf(stderr,
			               "blobbyd: %s: [namespace.%s] replicas "
			               "= %u: at most "
			               "%d are supported\n",
			               conf->path, conf->namespaces[i].name,
			               (unsigned) conf->namespaces[i].replicas,
			               STORE_MAX_REPLICAS);
			bad = 1;
		}
	}
	return bad;
}

// print_ready tells on standard output where the node listens, with a
// curl example; tests and scripts read the port from the first line.
static void
print_ready(const bb_conf *conf, uint16_t port, uint16_t rpc_port)
{
	char        url[128];
	bool        v6  = strchr(conf->server.addr, ':') != NULL;
	bool        rv6 = strchr(conf->server.rpc_addr, ':') != NULL;
	const char *ns  = conf->namespaces[0].name;

	// The rpc line comes first: whoever waits for the "listening" line
	// then has both.
	(void) printf("blobbyd %s: machine %u, rpc on %s://%s%s%s:%u\n",
	              BLOBBYD_VERSION, (unsigned) conf->machine_id,
	              conf->server.rpc_tls ? "tls+tcp" : "tcp", rv6 ? "[" : "",
	              conf->server.rpc_addr, rv6 ? "]" : "",
	              (unsigned) rpc_port);
	(void) snprintf(url, sizeof(url), "%s://%s%s%s:%u",
	                conf->server.tls ? "https" : "http", v6 ? "[" : "",
	                conf->server.addr, v6 ? "]" : "", (unsigned) port);
	(void) printf("blobbyd %s: machine %u, listening on %s\n"
	              "  insert: id=$(curl -s --data-binary @FILE %s/%s)\n"
	              "  read:   curl -s %s/%s/$id\n",
	              BLOBBYD_VERSION, (unsigned) conf->machine_id, url, url,
	              ns, url, ns);
	(void) fflush(stdout);
}

// on_drain carries drain mode (/_shutdown, or the SIGTERM path through
// gw_server_set_draining) to the RPC server, whose answers tell peers
// that this node is shutting down: one state for both.
static void
on_drain(void *arg, bool on)
{
	rpc_server_set_draining(arg, on);
}

// wait_for_stop blocks until SIGINT or SIGTERM; SIGHUP reopens the log
// (after a rotation) and reloads the configuration (blobbyd_reload.c).
// Every second it lets the log write the counts of folded repeated
// lines whose window passed.
static void
wait_for_stop(const sigset_t *set, bbd_reloader *rl)
{
	const struct timespec tick = { 1, 0 };
	int                   sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig < 0) {
			bb_log_tick();
			continue;
		}
		if (sig == SIGHUP) {
			blobbyd_notify_reloading();
			if (bb_log_reopen() != BB_OK) {
				bb_log_error("cannot reopen the log file");
			}
			bbd_reload(rl);
			blobbyd_notify_ready(NULL);
			continue;
		}
		bb_log_info("signal %d: stopping", sig);
		return;
	}
}

int
main(int argc, char **argv)
{
	const char   *path    = NULL;
	char         *errors  = NULL;
	bb_conf      *conf    = NULL;
	store        *st      = NULL;
	gw_server    *gw      = NULL;
	rpc_pool     *pool    = NULL;
	rpc_server   *rpc     = NULL;
	const char   *pidfile = NULL; // written by us: removed at exit
	char          why[4200];
	long          other = 0;
	store_remotes remotes;
	bbd_reloader  rl;
	sigset_t      set;
	int64_t       deadline;
	bool          check_only = false;
	int           opt;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int    code = EX_OK;
	bb_err rv;

	memset(&rl, 0, sizeof(rl));
	while ((opt = getopt_long(argc, argv, "c:tVh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'V':
			(void) printf("blobbyd %s\n", BLOBBYD_VERSION);
			return EX_OK;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}

	rv = path != NULL
	    ? bb_conf_load(path, &conf, &errors)
	    : bb_conf_load_string(bb_conf_default_text, "(embedded default)",
	                          &conf, &errors);
	if (rv != BB_OK) {
		(void) fprintf(stderr, "blobbyd: configuration errors:\n%s\n",
		               errors != NULL ? errors : bb_strerror(rv));
		free(errors);
		return EX_CONFIG;
	}
	if (check_supported(conf) != 0) {
		code = EX_CONFIG;
		goto done;
	}
	// The log first, so that what stops the start reaches it too; then
	// every file the configuration names, before anything is created,
	// recovered or listened on.
	if (!check_only) {
		code = blobbyd_log_open(conf);
		if (code != EX_OK) {
			goto done;
		}
	}
	code = blobbyd_creds_load(conf);
	if (code == EX_OK) {
		code = blobbyd_check(conf);
	}
	if (code != EX_OK || check_only) {
		if (code == EX_OK) {
			(void) printf("blobbyd: configuration %s is valid\n",
			              conf->path);
		}
		goto done;
	}

	// The pid file first: a second blobbyd on the same configuration
	// must stop before it touches the data directories.
	if (conf->pidfile != NULL) {
		rv = bb_pidfile_write(conf->pidfile, &other, why, sizeof(why));
		if (rv != BB_OK) {
			blobbyd_fatal("pid file %s", why);
			code = rv == BB_EEXIST ? EX_TEMPFAIL : EX_CANTCREAT;
			goto done;
		}
		pidfile = conf->pidfile;
	}
	// Every thread started from here on inherits this mask, so the
	// signals reach only sigwait below.
	(void) sigemptyset(&set);
	(void) sigaddset(&set, SIGINT);
	(void) sigaddset(&set, SIGTERM);
	(void) sigaddset(&set, SIGHUP);
	(void) pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void) signal(SIGPIPE, SIG_IGN);

	// Peers first: storage initializes replicas through them.  Peers that
	// are down are no error; NNG keeps dialing.
	rv = rpc_pool_open(conf, &pool, why, sizeof(why));
	if (rv != BB_OK) {
		blobbyd_fatal("peers: %s", why);
		code = rv == BB_ECONFIG ? EX_CONFIG : EX_UNAVAILABLE;
		goto done;
	}
	rpc_pool_remotes(pool, &remotes);
	why[0] = '\0';
	rv     = store_open(conf, &remotes, &st, why, sizeof(why));
	if (rv != BB_OK) {
		blobbyd_fatal("storage: %s", why[0] ? why : bb_strerror(rv));
		code = rv == BB_ECONFIG ? EX_CONFIG : EX_CANTCREAT;
		goto done;
	}
	rv = rpc_server_start(conf, st, &rpc, why, sizeof(why));
	if (rv != BB_OK) {
		blobbyd_fatal("rpc: %s", why);
		code = rv == BB_ECONFIG ? EX_CONFIG : EX_UNAVAILABLE;
		goto done;
	}
	rv = gw_server_start(conf, st, pool, on_drain, rpc, &gw, why,
	                     sizeof(why));
	if (rv != BB_OK) {
		blobbyd_fatal("http: %s", why);
		// A bad ACL or certificate is the configuration's fault.
		code = rv == BB_ECONFIG ? EX_CONFIG : EX_UNAVAILABLE;
		goto done;
	}
	bb_log_info("blobbyd %s: machine %u, http on %s:%u, rpc on %s:%u, "
	            "config %s",
	            BLOBBYD_VERSION, (unsigned) conf->machine_id,
	            conf->server.addr, (unsigned) gw_server_port(gw),
	            conf->server.rpc_addr, (unsigned) rpc_server_port(rpc),
	            conf->path);
	print_ready(conf, gw_server_port(gw), rpc_server_port(rpc));
	(void) snprintf(why, sizeof(why), "serving: http port %u, rpc port %u",
	                (unsigned) gw_server_port(gw),
	                (unsigned) rpc_server_port(rpc));
	blobbyd_notify_ready(why);

	rl.path = path;
	rl.conf = conf;
	rl.gw   = gw;
	rl.pool = pool;
	rl.rpc  = rpc;
	wait_for_stop(&set, &rl);
	blobbyd_notify_stopping();

	// Tell peers we are draining, stop taking connections, let inserts in
	// flight finish, then close: an insert that was acknowledged is in
	// the file before we exit.
	(void) gw_server_set_draining(gw, true);
	// A last resort: if closing hangs anyway (NNG socket closes give up
	// after a bound, rpc/close.c), SIGALRM ends the process.  Every
	// acknowledged insert is in its file by then; only the exit status is
	// lost.
	(void) alarm((unsigned) (DRAIN_WAIT_NS / BB_NS_PER_SEC) + STOP_WAIT_S);
	gw_server_quiesce(gw);
	deadline = bb_clock_mono_ns() + DRAIN_WAIT_NS;
	while (gw_server_inflight(gw) > 0 && bb_clock_mono_ns() < deadline) {
		bb_clock_sleep_ns(10 * BB_NS_PER_MS);
	}

done:
	// Reverse order of start: nothing is closed while another part may
	// still call into it.
	gw_server_stop(gw);
	// No call to peers may be in flight while sockets close.
	store_quiesce(st);
	rpc_server_stop(rpc);
	store_close(st);
	rpc_pool_close(pool);
	rpc_fini();
	bb_pidfile_remove(pidfile);
	bbd_reloader_fini(&rl); // nothing borrows from them now
	bb_conf_free(conf);
	bb_log_close();
	return code;
}
