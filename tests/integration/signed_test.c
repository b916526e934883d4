// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/signed_test.c -- signed ids end to end on two real
// blobbyd nodes sharing one key file: inserts answer signed ids, which
// read back locally, forwarded from the other node and from the archive;
// an edited id, its unsigned form and the id of another namespace answer
// 404 like an unknown one; /_id and `blobby id` say what they are, and
// `blobby get` reads one.
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tests/clock.h"
#include "tests/tmpdir.h"
#include "storage/idsign.h"

#define KEY     "7f3c0a55e1d24b8f9a6c1e0d2b4f6a8c"
#define WAIT_MS 30000

static bbt_cluster cluster;
static char        keydir[64];
static char        keyfile[128];

static int
setup(void **state)
{
	FILE  *f;
	size_t off;
	int    i;

	(void) state;
	(void) snprintf(keydir, sizeof(keydir), "/tmp/bb_signed.XXXXXX");
	assert_non_null(mkdtemp(keydir));
	(void) snprintf(keyfile, sizeof(keyfile), "%s/id.keys", keydir);
	f = fopen(keyfile, "w");
	assert_non_null(f);
	assert_true(fputs("# test key\n" KEY "\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(keyfile, 0600), 0);
	bbt_cluster_init(&cluster, 2);
	for (i = 0; i < 2; i++) {
		off = bbt_cluster_conf_head(&cluster, i, NULL);
		bbt_fmt(cluster.conf[i] + off, sizeof(cluster.conf[i]) - off,
		        "[namespace.sig]\ndirectory = @DIR@/sig\n"
		        "replicas = 0\narchive = dir\n"
		        "archive_directory = @DIR@/archive\n"
		        "id_key_file = %s\n"
		        "[namespace.arc]\ndirectory = @DIR@/arc\n"
		        "replicas = 0\narchive = dir\n"
		        "archive_directory = @DIR@/archive\n"
		        "upload_file_size = 1\nid_key_file = %s\n"
		        "[namespace.plain]\ndirectory = @DIR@/plain\n"
		        "replicas = 0\narchive = dir\n"
		        "archive_directory = @DIR@/archive\n",
		        keyfile, keyfile);
	}
	bbt_cluster_start(&cluster);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	bbt_cluster_stop(&cluster);
	bbt_rmtree(keydir);
	return 0;
}

// insert puts text into ns on node i and copies the id it answers.
static void
insert(int i, const char *ns, const char *text, char *id, size_t cap)
{
	char     url[256];
	bbt_resp r;

	bbt_fmt(url, sizeof(url), "%s/%s", cluster.nodes[i].url, ns);
	assert_int_equal(bbt_http("POST", url, text, strlen(text), &r), 200);
	(void) snprintf(id, cap, "%s", r.body);
	bbt_resp_free(&r);
}

// get reads /ns/id from node i: the status, and the body into body.
static long
get(int i, const char *ns, const char *id, char *body, size_t cap)
{
	char     url[256];
	bbt_resp r;
	long     st;

	bbt_fmt(url, sizeof(url), "%s/%s/%s", cluster.nodes[i].url, ns, id);
	st = bbt_http("GET", url, NULL, 0, &r);
	(void) snprintf(body, cap, "%s", r.body != NULL ? r.body : "");
	bbt_resp_free(&r);
	return st;
}

static void
expect_body(int i, const char *ns, const char *id, long want, const char *body)
{
	char got[512];
	long st = get(i, ns, id, got, sizeof(got));

	if (st != want || strcmp(got, body) != 0) {
		fail_msg("GET /%s/%s on node %d: %ld '%s', want %ld '%s'", ns,
		         id, i, st, got, want, body);
	}
}

static const char not_found[] = "The requested ID was not found.\n";

static void
test_local_and_forwarded(void **state)
{
	static const char text[] = "signed and sealed";
	char              id[128], edited[128], plain[STORE_ID_STRMAX + 1];
	char              page[1024];
	uint8_t           tag[STORE_ID_TAG_LEN];
	store_id          sid;
	bool              is_signed = false;

	(void) state;
	insert(0, "sig", text, id, sizeof(id));
	assert_int_equal(strlen(id), STORE_ID_SIGNED_SHORT_LEN);
	expect_body(0, "sig", id, 200, text); // local
	expect_body(1, "sig", id, 200, text); // forwarded to machine 1
	// The tag is over the locator: an edited offset, length or tag is
	// an id that names nothing, on every node.
	(void) snprintf(edited, sizeof(edited), "%s", id);
	edited[20] = edited[20] == 'A' ? 'B' : 'A';
	expect_body(0, "sig", edited, 404, not_found);
	expect_body(1, "sig", edited, 404, not_found);
	(void) snprintf(edited, sizeof(edited), "%s", id);
	edited[35] = edited[35] == 'A' ? 'B' : 'A';
	expect_body(0, "sig", edited, 404, not_found);
	// Its unsigned form, and the id in another signing namespace.
	assert_int_equal(
	    store_id_decode(id, strlen(id), &sid, &is_signed, tag), BB_OK);
	assert_true(is_signed);
	(void) store_id_format(&sid, plain);
	expect_body(0, "sig", plain, 404, not_found);
	expect_body(0, "arc", id, 404, not_found);
	// A namespace without keys takes no signed id.
	expect_body(0, "plain", id, 400, "The given ID is not valid.\n");
	insert(0, "plain", text, plain, sizeof(plain));
	assert_int_equal(strlen(plain), STORE_ID_SHORT_LEN);
	expect_body(1, "plain", plain, 200, text);
	// /_id says what the tag means.
	assert_int_equal(get(0, "_id/sig", id, page, sizeof(page)), 200);
	assert_non_null(strstr(page, "Signed: yes, the tag verifies"));
	(void) snprintf(edited, sizeof(edited), "%s", id);
	edited[35] = edited[35] == 'A' ? 'B' : 'A';
	assert_int_equal(get(0, "_id/sig", edited, page, sizeof(page)), 200);
	assert_non_null(strstr(page, "the tag does not verify"));
}

static void
test_archive(void **state)
{
	static const char text[] = "signed, sealed, archived";
	char              id[128];
	char              page[1024];
	int64_t           end = bbt_now_ms() + WAIT_MS;

	(void) state;
	insert(0, "arc", text, id, sizeof(id));
	// upload_file_size = 1: the file is sealed and archived at once.
	for (;;) {
		assert_int_equal(get(0, "_id/arc", id, page, sizeof(page)),
		                 200);
		if (strstr(page, "a read is served from the archive.") !=
		    NULL) {
			break;
		}
		if (bbt_now_ms() > end) {
			fail_msg("never archived: %s", page);
		}
		bbt_sleep_ms(100);
	}
	expect_body(0, "arc", id, 200, text);
	expect_body(1, "arc", id, 200, text);
}

// cli runs $BLOBBY with args (ids are base64url: no quoting needed) and
// returns its standard output in out.
static int
cli(const char *args, char *out, size_t cap)
{
	const char *bin = getenv("BLOBBY");

	assert_non_null(bin);
	return bbt_sh_out(out, cap, "%s %s", bin, args);
}

static void
test_cli(void **state)
{
	static const char text[] = "read by the client";
	char              id[128];
	char              args[512];
	char              out[1024];

	(void) state;
	insert(0, "sig", text, id, sizeof(id));
	(void) snprintf(args, sizeof(args), "id %s", id);
	assert_int_equal(cli(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "signed:   yes"));
	assert_non_null(strstr(out, "length:   18\n"));
	(void) snprintf(args, sizeof(args), "--url %s get sig %s",
	                cluster.nodes[1].url, id);
	assert_int_equal(cli(args, out, sizeof(out)), 0);
	assert_string_equal(out, text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_and_forwarded),
		cmocka_unit_test(test_archive),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
