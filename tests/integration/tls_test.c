// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/tls_test.c -- RPC over tls+tcp:// with mutual
// authentication between real blobbyd processes: certificates made here
// with the openssl command (a cluster CA and two nodes, plus a node of
// another CA); replication and forwarded reads work between the two, the
// stranger's calls are refused.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"
#include "tests/tmpdir.h"

static char pki[64]; // the certificates, shared by the nodes

// node_conf: machine id, own rpc port, the peer's id and port, the
// certificate name and the CA it trusts.
static void
node_conf(char *buf, size_t cap, int id, int port, int peer_id, int peer_port,
          const char *cert, const char *ca)
{
	(void) snprintf(
	    buf, cap,
	    "machine_id = %d\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[client]\ntimeout = 5s\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = %d\n"
	    "rpc_tls = true\nrpc_tls_certificate_file = %s/%s.crt\n"
	    "rpc_tls_private_key_file = %s/%s.key\nrpc_tls_ca_file = "
	    "%s/%s.crt\n"
	    "[remote.%d]\nhost = 127.0.0.1\nrpc_port = %d\n"
	    "[namespace.rep]\ndirectory = @DIR@/rep\nreplicas = 1\n"
	    "archive = dir\narchive_directory = @DIR@/archive\n"
	    "[namespace.fwd]\ndirectory = @DIR@/fwd\nreplicas = 0\n"
	    "archive = dir\narchive_directory = @DIR@/archive-fwd\n",
	    id, port, pki, cert, pki, cert, pki, ca, peer_id, peer_port);
}

static long
post(const bbt_node *n, const char *ns, const char *body, char *id)
{
	char     url[256];
	bbt_resp r;
	long     st;

	(void) snprintf(url, sizeof(url), "%s/%s", n->url, ns);
	st = bbt_http("POST", url, body, strlen(body), &r);
	if (st == 200 && id != NULL) {
		(void) snprintf(id, 64, "%s", r.body);
	}
	bbt_resp_free(&r);
	return st;
}

static void
test_mutual_tls(void **state)
{
	bbt_node a;
	bbt_node b;
	bbt_node c;
	char     conf[4096];
	char     id[64];
	char     url[256];
	bbt_resp r;
	int      pa = bbt_free_port();
	int      pb = bbt_free_port();
	int      pc = bbt_free_port();
	int64_t  end;
	int      i;

	(void) state;
	bbt_pki_ca(pki, "ca");
	bbt_pki_node(pki, "n1", "ca");
	bbt_pki_node(pki, "n2", "ca");
	bbt_pki_ca(pki, "other");
	bbt_pki_node(pki, "n3", "other");

	bbt_node_init(&a);
	bbt_node_init(&b);
	node_conf(conf, sizeof(conf), 1, pa, 2, pb, "n1", "ca");
	bbt_node_start(&a, conf);
	node_conf(conf, sizeof(conf), 2, pb, 1, pa, "n2", "ca");
	bbt_node_start(&b, conf);

	// Replication over TLS: node 1's inserts need node 2.
	end = bbt_now_ms() + 30000;
	while (post(&a, "rep", "ready", NULL) != 200) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	for (i = 0; i < 5; i++) {
		assert_int_equal(post(&a, "rep", "replicated", NULL), 200);
	}
	// A forwarded read over TLS: node 2 asks node 1.
	assert_int_equal(post(&a, "fwd", "forwarded", id), 200);
	(void) snprintf(url, sizeof(url), "%s/fwd/%s", b.url, id);
	assert_int_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	assert_int_equal(r.len, 9);
	assert_memory_equal(r.body, "forwarded", 9);
	bbt_resp_free(&r);

	// A node whose certificate another CA signed gets no connection:
	// its inserts, which need node 1 as replica, are refused, within
	// the time a good pair needed to connect.
	bbt_node_init(&c);
	node_conf(conf, sizeof(conf), 3, pc, 1, pa, "n3", "other");
	bbt_node_start(&c, conf);
	end = bbt_now_ms() + 5000;
	while (bbt_now_ms() < end) {
		assert_int_equal(post(&c, "rep", "stranger", NULL), 503);
		bbt_sleep_ms(250);
	}
	// And the cluster goes on.
	assert_int_equal(post(&a, "rep", "still fine", NULL), 200);

	assert_int_equal(bbt_node_stop(&c, SIGTERM), 0);
	assert_int_equal(bbt_node_stop(&a, SIGTERM), 0);
	assert_int_equal(bbt_node_stop(&b, SIGTERM), 0);
	bbt_node_cleanup(&a);
	bbt_node_cleanup(&b);
	bbt_node_cleanup(&c);
}

static void
test_bad_certificate_stops_start(void **state)
{
	bbt_node n;
	char     conf[4096];
	char     err[4096];

	(void) state;
	bbt_node_init(&n);
	// The key of another node: not this certificate's.
	(void) snprintf(
	    conf, sizeof(conf),
	    "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
	    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
	    "rpc_tls = true\nrpc_tls_certificate_file = %s/n1.crt\n"
	    "rpc_tls_private_key_file = %s/nosuch.key\n"
	    "rpc_tls_ca_file = %s/ca.crt\n"
	    "[namespace.fwd]\ndirectory = @DIR@/fwd\nreplicas = 0\n"
	    "archive = dir\narchive_directory = @DIR@/archive\n",
	    pki, pki, pki);
	assert_int_not_equal(bbt_node_try_start(&n, conf, err, sizeof(err)),
	                     -1);
	assert_non_null(strstr(err, "nosuch.key"));
	bbt_node_cleanup(&n);
}

// make_web makes a self-signed certificate for 127.0.0.1 named cn.
static void
make_web(const char *cn)
{
	bbt_sh(
	    "cd %s && openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.crt -days "
	    "2 "
	    "-subj /CN=%s -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
	    pki, cn, cn, cn);
}

// https_get fetches url trusting the certificate in file ca; returns the
// status (-1 on a transport or TLS error) and the served certificate's
// subject in subject.
static long
https_get(const char *url, const char *ca, char *subject, size_t len)
{
	CURL                 *c  = curl_easy_init();
	struct curl_certinfo *ci = NULL;
	struct curl_slist    *sl;
	long                  status = -1;
	FILE                 *null   = fopen("/dev/null", "w");

	assert_non_null(c);
	assert_non_null(null);
	subject[0] = '\0';
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	(void) curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
	if (curl_easy_perform(c) == CURLE_OK) {
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		(void) curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci);
		for (sl = ci != NULL && ci->num_of_certs > 0 ? ci->certinfo[0]
		                                             : NULL;
		     sl != NULL; sl = sl->next) {
			if (strncmp(sl->data, "Subject:", 8) == 0) {
				(void) snprintf(subject, len, "%s", sl->data);
			}
		}
	}
	curl_easy_cleanup(c);
	(void) fclose(null);
	return status;
}

static void
test_https_and_reload(void **state)
{
	bbt_node n;
	char     conf[4096];
	char     url[256];
	char     ca[256];
	char     subject[256];
	bbt_resp r;
	int64_t  end;

	(void) state;
	make_web("web1");
	make_web("web2");
	bbt_sh("cd %s && cp web1.crt web.crt && cp web1.key web.key", pki);
	bbt_node_init(&n);
	(void) snprintf(conf, sizeof(conf),
	                "machine_id = 1\n[log]\nfile = @DIR@/blobbyd.log\n"
	                "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
	                "tls = true\ntls_certificate_file = %s/web.crt\n"
	                "tls_private_key_file = %s/web.key\n"
	                "[namespace.t]\ndirectory = @DIR@/t\nreplicas = 0\n"
	                "archive = dir\narchive_directory = @DIR@/archive\n",
	                pki, pki);
	bbt_node_start(&n, conf);
	assert_int_equal(strncmp(n.url, "https://", 8), 0);
	(void) snprintf(url, sizeof(url), "%s/_health", n.url);
	(void) snprintf(ca, sizeof(ca), "%s/web1.crt", pki);
	assert_int_equal(https_get(url, ca, subject, sizeof(subject)), 200);
	assert_non_null(strstr(subject, "web1"));
	// Plain HTTP on the HTTPS port gets no answer.
	(void) snprintf(url, sizeof(url), "http://127.0.0.1:%d/_health",
	                n.port);
	assert_int_not_equal(bbt_http("GET", url, NULL, 0, &r), 200);
	bbt_resp_free(&r);

	// A key that is not the certificate's: the reload keeps web1.
	bbt_sh("cd %s && cp web2.crt web.crt", pki);
	assert_int_equal(kill(n.pid, SIGHUP), 0);
	bbt_sleep_ms(500);
	(void) snprintf(url, sizeof(url), "%s/_health", n.url);
	assert_int_equal(https_get(url, ca, subject, sizeof(subject)), 200);
	assert_non_null(strstr(subject, "web1"));
	// The whole new pair: served after SIGHUP, without a restart.
	bbt_sh("cd %s && cp web2.key web.key.tmp && mv web.key.tmp web.key",
	       pki);
	assert_int_equal(kill(n.pid, SIGHUP), 0);
	(void) snprintf(ca, sizeof(ca), "%s/web2.crt", pki);
	end = bbt_now_ms() + 10000;
	while (https_get(url, ca, subject, sizeof(subject)) != 200 ||
	       strstr(subject, "web2") == NULL) {
		assert_true(bbt_now_ms() < end);
		bbt_sleep_ms(100);
	}
	assert_int_equal(bbt_node_stop(&n, SIGTERM), 0);
	bbt_node_cleanup(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_tls),
		cmocka_unit_test(test_bad_certificate_stops_start),
		cmocka_unit_test(test_https_and_reload),
	};
	int rc;

	(void) snprintf(pki, sizeof(pki), "/tmp/bb_tls_test.XXXXXX");
	if (mkdtemp(pki) == NULL) {
		return 1;
	}
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	bbt_rmtree(pki);
	return rc;
}
