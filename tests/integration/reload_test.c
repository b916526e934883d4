// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/reload_test.c -- SIGHUP rereads the configuration of
// a real blobbyd: ACLs change both ways, a peer added is used for
// forwarded reads and replicas and a peer removed no more (no
// acknowledged blob lost), a key that cannot change and a broken file
// are refused with the node serving on, and [log] file and debug change.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests/clock.h"

#define WAIT_MS 20000 // a reload, a connection to a new peer

#define NS(name)                                             \
	"[namespace." name "]\ndirectory = @DIR@/" name "\n" \
	"replicas = 0\narchive = dir\n"                      \
	"archive_directory = @DIR@/archive\n"

// One node alone: the ACL, immutable, broken and log cases.
#define SOLO_HEAD                           \
	"machine_id = 7\n"                  \
	"[log]\nfile = @DIR@/blobbyd.log\n" \
	"[server]\nport = 0\nrpc_port = 0\n" NS("test")

#define READ_ACL_CLOSED                   \
	"[namespace.test.read_acl]\n"     \
	"white_list_cidrs = 10.0.0.0/8\n" \
	"white_list_required = true\n"

static char log_text[256 * 1024];

// read_log reads the file name in n's directory into log_text.
static void
read_log(const bbt_node *n, const char *name)
{
	char   path[400];
	FILE  *f;
	size_t len = 0;

	bbt_fmt(path, sizeof(path), "%s/%s", n->dir, name);
	f = fopen(path, "r");
	if (f != NULL) {
		len = fread(log_text, 1, sizeof(log_text) - 1, f);
		(void) fclose(f);
	}
	log_text[len] = '\0';
}

// outcome finds the k-th (from 1) line that ends a reload in log_text
// (the one line of a reload put in force or refused; not the lines that
// name each refused key) and copies it into line.
static bool
outcome(int k, char *line, size_t len)
{
	const char *p = log_text;
	const char *at;
	const char *end;
	int         seen = 0;

	while ((at = strstr(p, "reload #")) != NULL) {
		end = strchr(at, '\n');
		if (end == NULL) {
			return false;
		}
		p = end + 1;
		(void) snprintf(line, len, "%.*s", (int) (end - at), at);
		if (strstr(line, "cannot change while") != NULL &&
		    strstr(line, "refused") == NULL) {
			continue;
		}
		if (++seen == k) {
			return true;
		}
	}
	return false;
}

// reload sends SIGHUP to n and waits for the k-th reload outcome in the
// log file name; returns the line (static).
static const char *
reload_in(const bbt_node *n, const char *name, int k)
{
	static char line[4096];
	int64_t     end = bbt_now_ms() + WAIT_MS;

	assert_int_equal(kill(n->pid, SIGHUP), 0);
	for (;;) {
		read_log(n, name);
		if (outcome(k, line, sizeof(line))) {
			return line;
		}
		if (bbt_now_ms() >= end) {
			fail_msg("no reload outcome %d in %s/%s", k, n->dir,
			         name);
		}
		bbt_sleep_ms(50);
	}
}

static const char *
reload(const bbt_node *n, int k)
{
	return reload_in(n, "blobbyd.log", k);
}

// insert posts body to ns on n and returns the id (static), failing the
// test on anything but 200.
static const char *
insert(const bbt_node *n, const char *ns, const char *body)
{
	static char id[128];
	char        url[256];
	bbt_resp    r;

	bbt_fmt(url, sizeof(url), "%s/%s", n->url, ns);
	assert_int_equal(bbt_http("POST", url, body, strlen(body), &r), 200);
	bbt_fmt(id, sizeof(id), "%.*s", (int) r.len, r.body);
	bbt_resp_free(&r);
	return id;
}

// get reads ns/id from n and returns the status; a 200 must carry want.
static long
get(const bbt_node *n, const char *ns, const char *id, const char *want)
{
	char     url[256];
	bbt_resp r;
	long     st;

	bbt_fmt(url, sizeof(url), "%s/%s/%s", n->url, ns, id);
	st = bbt_http("GET", url, NULL, 0, &r);
	if (st == 200 && want != NULL) {
		assert_int_equal(r.len, strlen(want));
		assert_memory_equal(r.body, want, r.len);
	}
	bbt_resp_free(&r);
	return st;
}

// has_metric says whether n's /_metrics has the line want.
static bool
has_metric(const bbt_node *n, const char *want)
{
	char     url[256];
	bbt_resp r;
	bool     ok;

	bbt_fmt(url, sizeof(url), "%s/_metrics", n->url);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	ok = r.body != NULL && strstr(r.body, want) != NULL;
	bbt_resp_free(&r);
	return ok;
}

// (1) A read refused by [namespace.test.read_acl] is allowed once the
// section is gone and SIGHUP came, and refused again after it returns.
static void
test_acl(void **state)
{
	bbt_node    n;
	char        id[128];
	const char *line;

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n, SOLO_HEAD READ_ACL_CLOSED);
	bbt_fmt(id, sizeof(id), "%s", insert(&n, "test", "acl blob"));
	assert_int_equal(get(&n, "test", id, NULL), 401);

	bbt_node_write_conf(&n, SOLO_HEAD);
	line = reload(&n, 1);
	assert_non_null(strstr(line, "acl [namespace.test.read_acl] changed"));
	assert_int_equal(get(&n, "test", id, "acl blob"), 200);

	bbt_node_write_conf(&n, SOLO_HEAD READ_ACL_CLOSED);
	line = reload(&n, 2);
	assert_non_null(strstr(line, "acl [namespace.test.read_acl] changed"));
	assert_int_equal(get(&n, "test", id, NULL), 401);

	// Unchanged: said so, and the ACL stays.
	line = reload(&n, 3);
	assert_non_null(strstr(line, ": nothing changed"));
	assert_int_equal(get(&n, "test", id, NULL), 401);
	assert_true(has_metric(&n, "\nblobby_config_reloads_total 3\n"));
	assert_true(has_metric(&n,
	                       "\nblobby_config_last_reload_successful "
	                       "1\n"));
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

// (3) Keys that cannot change refuse the whole reload, one line each,
// and the ACL changed beside them is not put in force either.
static void
test_immutable(void **state)
{
	bbt_node    n;
	char        id[128];
	const char *line;

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n, SOLO_HEAD READ_ACL_CLOSED);
	bbt_fmt(id, sizeof(id), "%s", insert(&n, "test", "kept"));
	bbt_node_write_conf(&n,
	                    "machine_id = 8\n"
	                    "[log]\nfile = @DIR@/blobbyd.log\n"
	                    "[server]\nport = 1\nrpc_port = 0\n" NS("test"));
	line = reload(&n, 1);
	assert_non_null(strstr(line, "refused"));
	assert_non_null(strstr(line, "2 key(s) cannot change while running"));
	// One line per key, with its line in the file.
	assert_true(bbt_log_has(&n,
	                        "blobbyd.conf:1: machine_id cannot change "
	                        "while running",
	                        0));
	assert_true(bbt_log_has(&n,
	                        "blobbyd.conf:5: [server] port cannot change "
	                        "while running",
	                        0));
	// Nothing of it is in force: the ACL still refuses, inserts go on.
	assert_int_equal(get(&n, "test", id, NULL), 401);
	(void) insert(&n, "test", "still serving");
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

// (4) A file that does not parse is refused; the node serves on.
static void
test_broken(void **state)
{
	bbt_node    n;
	const char *line;

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n, SOLO_HEAD);
	bbt_node_write_conf(&n, SOLO_HEAD "[namespace.test\nnot a line\n");
	line = reload(&n, 1);
	assert_non_null(strstr(line,
	                       "refused, the configuration in force "
	                       "stays"));
	assert_non_null(strstr(line, "blobbyd.conf:"));
	(void) insert(&n, "test", "after a broken file");
	// A bad htpasswd file refuses it too: checked before anything.
	bbt_node_write_conf(&n,
	                    SOLO_HEAD
	                    "[namespace.test.read_acl]\n"
	                    "basic_auth_htpasswd_file = @DIR@/none\n");
	line = reload(&n, 2);
	assert_non_null(strstr(line, "refused"));
	(void) insert(&n, "test", "after a missing htpasswd file");
	assert_true(has_metric(&n,
	                       "\nblobby_config_reload_failures_total "
	                       "2\n"));
	assert_true(has_metric(&n, "\nblobby_config_reloads_total 0\n"));
	assert_true(has_metric(&n,
	                       "\nblobby_config_last_reload_successful "
	                       "0\n"));
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

// (5) [log]: a new file, and debug lines from then on.
static void
test_log(void **state)
{
	bbt_node    n;
	const char *line;
	char        path[400];

	(void) state;
	bbt_node_init(&n);
	bbt_node_start(&n, SOLO_HEAD "upload_file_size = 1\n");
	bbt_node_write_conf(&n,
	                    "machine_id = 7\n"
	                    "[log]\nfile = @DIR@/other.log\ndebug = true\n"
	                    "[server]\nport = 0\nrpc_port = 0\n" NS(
	                        "test") "upload_file_size = 1\n");
	line = reload_in(&n, "other.log", 1);
	assert_non_null(strstr(line, "log file "));
	assert_non_null(strstr(line, "other.log, log debug on"));
	// Each insert seals its file; the next opens one: a debug line.
	(void) insert(&n, "test", "one");
	(void) insert(&n, "test", "two");
	bbt_fmt(path, sizeof(path), "%s/other.log", n.dir);
	assert_true(
	    bbt_file_has(path, "debug namespace test: opened", WAIT_MS));
	assert_false(bbt_log_has(&n, "debug ", 0));
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

// The configuration of node A (machine 1) of the peer test: one peer,
// machine peer_id on rpc port peer_port.
static void
conf_a(char *buf, size_t len, int rpc_port, unsigned peer_id, int peer_port)
{
	bbt_fmt(
	    buf, len,
	    "machine_id = 1\n"
	    "[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\nprobe_interval = 200ms\nprobe_timeout = 2s\n"
	    "[server]\nport = 0\nrpc_port = %d\n"
	    "[remote.%u]\nhost = 127.0.0.1\nrpc_port = %d\n" NS(
	        "plain") "[namespace.r]\ndirectory = @DIR@/r\nreplicas = 1\n"
	                 "archive = dir\narchive_directory = @DIR@/archive\n",
	    rpc_port, peer_id, peer_port);
}

#define NBLOBS 8

// (2) Node A starts with one peer that does not exist: its namespace
// with a replica cannot take inserts, and B's ids are unknown to it.
// B added: A forwards reads of B's ids and puts replicas on B.  B
// removed again: A neither forwards nor replicates to it, and every
// blob it acknowledged is still read back.
static void
test_peers(void **state)
{
	bbt_node    a, b;
	char        conf[2048];
	char        url[256];
	char        ids[NBLOBS][128];
	char        body[NBLOBS][64];
	char        id_b[128];
	char        rdir[400];
	const char *line;
	bbt_resp    r;
	int         pa   = bbt_free_port();
	int         pb   = bbt_free_port();
	int         dead = bbt_free_port();
	int64_t     end;
	int         i;

	(void) state;
	bbt_node_init(&a);
	bbt_node_init(&b);
	bbt_fmt(
	    conf, sizeof(conf),
	    "machine_id = 2\n"
	    "[log]\nfile = @DIR@/blobbyd.log\n"
	    "[server]\nport = 0\nrpc_port = %d\n"
	    "[remote.1]\nhost = 127.0.0.1\nrpc_port = %d\n" NS(
	        "plain") "[namespace.r]\ndirectory = @DIR@/r\nreplicas = 0\n"
	                 "archive = dir\narchive_directory = @DIR@/archive\n",
	    pb, pa);
	bbt_node_start(&b, conf);
	conf_a(conf, sizeof(conf), pa, 3, dead);
	bbt_node_start(&a, conf);

	bbt_fmt(id_b, sizeof(id_b), "%s", insert(&b, "plain", "on b"));
	assert_int_equal(get(&a, "plain", id_b, NULL), 404);
	bbt_fmt(url, sizeof(url), "%s/r", a.url);
	assert_true(bbt_http("POST", url, "x", 1, &r) >= 500);
	bbt_resp_free(&r);

	conf_a(conf, sizeof(conf), pa, 2, pb);
	bbt_node_write_conf(&a, conf);
	line = reload(&a, 1);
	assert_non_null(strstr(line, ": peers -3 +2"));
	// The connection to B comes up in the background: until then a
	// forwarded read fails at once.
	end = bbt_now_ms() + WAIT_MS;
	while (get(&a, "plain", id_b, "on b") != 200) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	bbt_wait_writable(&a, "r", WAIT_MS);
	for (i = 0; i < NBLOBS; i++) {
		bbt_fmt(body[i], sizeof(body[i]), "replicated blob %d", i);
		bbt_fmt(ids[i], sizeof(ids[i]), "%s",
		        insert(&a, "r", body[i]));
	}
	bbt_fmt(rdir, sizeof(rdir), "%s/r", b.dir);
	assert_true(bbt_data_files(rdir) > 0);
	bbt_fmt(rdir, sizeof(rdir), "%s/r", b.dir);
	{
		char cmd[600];

		// The bytes of the last blob are in a replica file on B.
		bbt_fmt(cmd, sizeof(cmd),
		        "grep -q 'replicated blob %d' %s/r-*", NBLOBS - 1,
		        rdir);
		bbt_sh("%s", cmd);
	}

	conf_a(conf, sizeof(conf), pa, 3, dead);
	bbt_node_write_conf(&a, conf);
	line = reload(&a, 2);
	assert_non_null(strstr(line, ": peers -2 +3"));
	// No replica can be made: inserts fail, none is acknowledged.
	assert_true(bbt_http("POST", url, "y", 1, &r) >= 500);
	bbt_resp_free(&r);
	// B's ids are unknown again; every acknowledged blob is read back.
	assert_int_equal(get(&a, "plain", id_b, NULL), 404);
	for (i = 0; i < NBLOBS; i++) {
		assert_int_equal(get(&a, "r", ids[i], body[i]), 200);
	}
	assert_int_equal(bbt_node_stop(&a, SIGTERM), 0);
	assert_int_equal(bbt_node_stop(&b, SIGTERM), 0);
	bbt_node_cleanup(&a);
	bbt_node_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_immutable),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
