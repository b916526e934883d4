// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/common/conf_diff_test.c -- two configurations compared for a
// reload: keys that may not change while running are listed, the ones
// that may (ACLs, peers, [log], the HTTPS certificate files) are sorted
// into their sets, and the one line says what changed.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf/conf.h"
#include "common/conf/diff.h"

// The base every case edits: two namespaces, two peers, an ACL.
#define BASE_TOP                                                     \
	"machine_id = 1\n"                                           \
	"[log]\nfile = -\n"                                          \
	"[server]\naddr = 127.0.0.1\nport = 8080\nrpc_port = 8081\n" \
	"[server.status_acl]\nwhite_list_cidrs = 127.0.0.0/8\n"

#define BASE_REMOTES                     \
	"[remote.2]\nhost = 127.0.0.2\n" \
	"[remote.3]\nhost = 127.0.0.3\n"

#define BASE_NS                                                   \
	"[namespace.a]\ndirectory = /tmp/a\narchive = dir\n"      \
	"archive_directory = /tmp/arch\nreplicas = 1\n"           \
	"[namespace.a.read_acl]\nwhite_list_cidrs = 10.0.0.0/8\n" \
	"[namespace.b]\ndirectory = /tmp/b\narchive = dir\n"      \
	"archive_directory = /tmp/arch\nreplicas = 0\n"

#define RPC_TLS                               \
	"rpc_tls = true\n"                    \
	"rpc_tls_certificate_file = /c.pem\n" \
	"rpc_tls_private_key_file = /k.pem\n"

#define HTTPS(n)                              \
	"tls = true\n"                        \
	"tls_certificate_file = /" n ".pem\n" \
	"tls_private_key_file = /" n ".key\n"

static bb_conf *
load(const char *text)
{
	bb_conf *c    = NULL;
	char    *errs = NULL;

	if (bb_conf_load_string(text, "t.conf", &c, &errs) != BB_OK) {
		fail_msg("config: %s", errs != NULL ? errs : "?");
	}
	free(errs);
	return c;
}

// diff loads both texts and compares them; the caller frees the result.
static bb_conf_diff *
diff(const char *a, const char *b, char *line, size_t len)
{
	bb_conf      *x = load(a);
	bb_conf      *y = load(b);
	bb_conf_diff *d = NULL;

	assert_int_equal(bb_conf_diff_new(x, y, &d), BB_OK);
	bb_conf_diff_describe(d, y, line, len);
	bb_conf_free(x);
	bb_conf_free(y);
	return d;
}

static bool
has(const bb_strlist *l, const char *s)
{
	return bb_strlist_has(l->v, l->n, s);
}

static void
test_same(void **state)
{
	bb_conf_diff *d;
	char          line[512];

	(void) state;
	d = diff(BASE_TOP BASE_REMOTES BASE_NS, BASE_TOP BASE_REMOTES BASE_NS,
	         line, sizeof(line));
	assert_true(bb_conf_diff_empty(d));
	assert_string_equal(line, "nothing changed");
	bb_conf_diff_free(d);
	// The same values spelled otherwise (an alias, a default written
	// out, another order of sections) are no change either.
	d = diff(BASE_TOP BASE_REMOTES BASE_NS,
	         BASE_TOP BASE_NS BASE_REMOTES "[client]\ntimeout = 60s\n",
	         line, sizeof(line));
	assert_true(bb_conf_diff_empty(d));
	bb_conf_diff_free(d);
}

static void
test_immutable(void **state)
{
	bb_conf_diff *d;
	char          line[512];

	(void) state;
	d = diff(BASE_TOP BASE_REMOTES BASE_NS,
	         "machine_id = 7\n"
	         "[log]\nfile = -\n"
	         "[server]\naddr = 127.0.0.1\nport = 9090\nrpc_port = 8081\n"
	         "[server.status_acl]\nwhite_list_cidrs = 127.0.0.0/8\n"
	         "[client]\ntimeout = 5s\n" BASE_REMOTES
	         "[namespace.a]\ndirectory = /tmp/other\narchive = dir\n"
	         "archive_directory = /tmp/arch\nreplicas = 1\n"
	         "[namespace.a.read_acl]\nwhite_list_cidrs = 10.0.0.0/8\n"
	         "[namespace.c]\ndirectory = /tmp/c\narchive = dir\n"
	         "archive_directory = /tmp/arch\n",
	         line, sizeof(line));
	assert_false(bb_conf_diff_empty(d));
	assert_int_equal(d->immutable.n, 6);
	assert_true(has(&d->immutable, "machine_id"));
	assert_true(has(&d->immutable, "[server] port"));
	assert_true(has(&d->immutable, "[client] timeout"));
	assert_true(has(&d->immutable, "[namespace.a] directory"));
	assert_true(has(&d->immutable, "[namespace.b]")); // removed
	assert_true(has(&d->immutable, "[namespace.c]")); // added
	assert_int_equal(d->acls.n, 0);
	assert_int_equal(d->n_added + d->n_removed, 0);
	assert_non_null(strstr(line, "not reloadable: machine_id"));
	bb_conf_diff_free(d);

	// Where each was given, for the log lines.
	{
		bb_conf *c = load(BASE_TOP BASE_REMOTES BASE_NS);

		assert_int_equal(bb_conf_line(c, "machine_id"), 1);
		assert_int_equal(bb_conf_line(c, "[server] port"), 6);
		assert_int_equal(bb_conf_line(c, "[server]"), 4);
		assert_int_equal(bb_conf_line(c, "[namespace.b]"), 21);
		assert_int_equal(bb_conf_line(c, "[namespace.a] directory"),
		                 15);
		assert_int_equal(bb_conf_line(c, "[client] timeout"), 0);
		assert_int_equal(bb_conf_line(c, "[server] threads"), 0);
		bb_conf_free(c);
	}

	// The RPC certificate: NNG cannot change a running listener's.
	d = diff(BASE_TOP "[server]\n" RPC_TLS
	                  "rpc_tls_ca_file = /ca.pem\n" BASE_REMOTES BASE_NS,
	         BASE_TOP "[server]\n" RPC_TLS
	                  "rpc_tls_ca_file = /ca2.pem\n" BASE_REMOTES BASE_NS,
	         line, sizeof(line));
	assert_int_equal(d->immutable.n, 1);
	assert_string_equal(d->immutable.v[0], "[server] rpc_tls_ca_file");
	bb_conf_diff_free(d);
}

static void
test_reloadable(void **state)
{
	bb_conf_diff *d;
	char          line[512];

	(void) state;
	d = diff(BASE_TOP BASE_REMOTES BASE_NS,
	         "machine_id = 1\n"
	         "[log]\nfile = /tmp/x.log\ndebug = true\n"
	         "[server]\naddr = 127.0.0.1\nport = 8080\nrpc_port = 8081\n"
	         "[server.status_acl]\nwhite_list_cidrs = 0.0.0.0/0\n"
	         "[server.shut_down_acl]\n"
	         "[remote.3]\nhost = 127.0.0.3\n"
	         "[remote.4]\nhost = 127.0.0.4\n"
	         "[namespace.a]\ndirectory = /tmp/a\narchive = dir\n"
	         "archive_directory = /tmp/arch\nreplicas = 1\n"
	         "[namespace.a.read_acl]\nwhite_list_cidrs = 10.0.0.0/8\n"
	         "white_list_required = true\n"
	         "[namespace.b]\ndirectory = /tmp/b\narchive = dir\n"
	         "archive_directory = /tmp/arch\nreplicas = 0\n",
	         line, sizeof(line));
	assert_int_equal(d->immutable.n, 0);
	assert_int_equal(d->n_added, 1);
	assert_int_equal(d->added[0], 4);
	assert_int_equal(d->n_removed, 1);
	assert_int_equal(d->removed[0], 2);
	assert_int_equal(d->acls.n, 3);
	assert_true(has(&d->acls, "[server.status_acl]"));
	assert_true(has(&d->acls, "[server.shut_down_acl]")); // now present
	assert_true(has(&d->acls, "[namespace.a.read_acl]"));
	assert_true(d->log_file);
	assert_true(d->log_debug);
	assert_false(d->log_format);
	assert_false(d->https_cert);
	assert_string_equal(
	    line,
	    "peers -2 +4, acl [server.status_acl] "
	    "[server.shut_down_acl] [namespace.a.read_acl] changed, "
	    "log file /tmp/x.log, log debug on");
	bb_conf_diff_free(d);

	// The HTTPS certificate files may change, HTTPS itself not.
	d = diff(BASE_TOP "[server]\n" HTTPS("c") BASE_REMOTES BASE_NS,
	         BASE_TOP "[server]\n" HTTPS("d") BASE_REMOTES BASE_NS, line,
	         sizeof(line));
	assert_int_equal(d->immutable.n, 0);
	assert_true(d->https_cert);
	assert_string_equal(line, "https certificate files changed");
	bb_conf_diff_free(d);
}

static void
test_peer_changed(void **state)
{
	bb_conf_diff *d;
	char          line[512];

	(void) state;
	// A new address is the peer removed and added again.
	d = diff(BASE_TOP BASE_REMOTES BASE_NS,
	         BASE_TOP "[remote.2]\nhost = 127.0.0.9\n"
	                  "[remote.3]\nhost = 127.0.0.3\n" BASE_NS,
	         line, sizeof(line));
	assert_int_equal(d->immutable.n, 0);
	assert_int_equal(d->n_added, 1);
	assert_int_equal(d->added[0], 2);
	assert_int_equal(d->n_removed, 1);
	assert_int_equal(d->removed[0], 2);
	assert_string_equal(line, "peers -2 +2");
	bb_conf_diff_free(d);
	// The node's own id among the peers decides at start whether it is
	// its own replica: it may not come or go.
	d = diff(BASE_TOP BASE_REMOTES BASE_NS,
	         BASE_TOP              BASE_REMOTES
	         "[remote.1]\nhost = 127.0.0.1\n" BASE_NS,
	         line, sizeof(line));
	assert_int_equal(d->immutable.n, 1);
	assert_string_equal(d->immutable.v[0], "[remote.1]");
	assert_int_equal(d->n_added, 0);
	bb_conf_diff_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_immutable),
		cmocka_unit_test(test_reloadable),
		cmocka_unit_test(test_peer_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
