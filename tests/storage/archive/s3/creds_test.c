// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/storage/archive/s3/creds_test.c -- storage/archive/s3/creds.c: which
// of the [aws.<name>] section and the AWS_* environment variables a
// namespace's S3 configuration takes, and the refusals.  No network.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/conf/conf.h"
#include "storage/archive/archive.h"

static const char *const env_names[] = {
	"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL",  "AWS_REGION",
	"AWS_DEFAULT_REGION",  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
};
#define NENV (sizeof(env_names) / sizeof(env_names[0]))

// One case: the section's fields, the environment (NULL: unset), and
// what the resolved configuration must hold (NULL: NULL).
typedef struct creds_case {
	const char *name;
	const char *region, *endpoint, *key_id, *secret_key;
	const char *env[NENV];
	bb_err      rv;
	const char *want_endpoint, *want_region, *want_key_id, *want_secret,
	    *want_token;
	const char *why; // a substring of the reason on failure
} creds_case;

static const creds_case cases[] = {
	{ .name       = "section only",
	  .region     = "eu-west-1",
	  .endpoint   = "http://127.0.0.1:1",
	  .key_id     = "K",
	  .secret_key = "S",
	  .env = { "http://env", NULL, "us-west-2", NULL, "EK", "ES", "T" },
	  .rv  = BB_OK,
	  .want_endpoint = "http://127.0.0.1:1",
	  .want_region   = "eu-west-1",
	  .want_key_id   = "K",
	  .want_secret   = "S",
	  .want_token    = NULL },
	{ .name = "environment fills in, token with its keys",
	  .env  = { NULL, "http://e2", NULL, "ap-south-1", "EK", "ES", "T" },
	  .rv   = BB_OK,
	  .want_endpoint = "http://e2",
	  .want_region   = "ap-south-1",
	  .want_key_id   = "EK",
	  .want_secret   = "ES",
	  .want_token    = "T" },
	{ .name = "S3 endpoint before the generic one",
	  .env  = { "http://s3", "http://gen", "r1", "r2", "EK", "ES", "" },
	  .rv   = BB_OK,
	  .want_endpoint = "http://s3",
	  .want_region   = "r1",
	  .want_key_id   = "EK",
	  .want_secret   = "ES",
	  .want_token    = NULL },
	{ .name        = "default region, real AWS",
	  .key_id      = "K",
	  .env         = { "", NULL, "", NULL, NULL, "ES", NULL },
	  .rv          = BB_OK,
	  .want_region = "us-east-1",
	  .want_key_id = "K",
	  .want_secret = "ES" },
	{ .name   = "no credentials",
	  .key_id = "K",
	  .rv     = BB_ECONFIG,
	  .why    = "namespace ns: no S3 credentials: set key_id and "
	            "secret_key in [aws.p], or AWS_ACCESS_KEY_ID and "
	            "AWS_SECRET_ACCESS_KEY" },
};

static void
set_env(const char *const env[NENV])
{
	size_t i;

	for (i = 0; i < NENV; i++) {
		if (env[i] != NULL) {
			assert_int_equal(setenv(env_names[i], env[i], 1), 0);
		} else {
			assert_int_equal(unsetenv(env_names[i]), 0);
		}
	}
}

static void
expect_str(const char *got, const char *want, const char *what)
{
	if (want == NULL) {
		if (got != NULL) {
			fail_msg("%s: got '%s', want NULL", what, got);
		}
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void
test_resolve(void **state)
{
	bb_aws_conf   aws;
	bb_ns_conf    ns;
	bb_conf       conf;
	store_s3_conf c;
	char          why[BB_WHY_LEN];
	size_t        i;
	bb_err        rv;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const creds_case *t = &cases[i];

		memset(&aws, 0, sizeof(aws));
		memset(&ns, 0, sizeof(ns));
		memset(&conf, 0, sizeof(conf));
		aws.name                  = "p";
		aws.region                = (char *) t->region;
		aws.endpoint              = (char *) t->endpoint;
		aws.key_id                = (char *) t->key_id;
		aws.secret_key            = (char *) t->secret_key;
		ns.name                   = "ns";
		ns.aws_profile            = "p";
		ns.s3_bucket              = "bkt";
		ns.s3_multipart_threshold = 100;
		ns.s3_part_size           = 200;
		conf.aws                  = &aws;
		conf.n_aws                = 1;
		set_env(t->env);
		memset(&c, 0xa5, sizeof(c));
		why[0] = '\0';
		rv = store_s3_conf_resolve(&conf, &ns, &c, why, sizeof(why));
		print_message("case %s: %s %s\n", t->name, bb_err_name(rv),
		              why);
		assert_int_equal(rv, t->rv);
		if (rv != BB_OK) {
			assert_non_null(strstr(why, t->why));
			continue;
		}
		assert_string_equal(why, "");
		expect_str(c.endpoint, t->want_endpoint, "endpoint");
		expect_str(c.region, t->want_region, "region");
		expect_str(c.key_id, t->want_key_id, "key_id");
		expect_str(c.secret_key, t->want_secret, "secret_key");
		expect_str(c.session_token, t->want_token, "session_token");
		assert_string_equal(c.bucket, "bkt");
		assert_int_equal(c.multipart_threshold, 100);
		assert_int_equal(c.part_size, 200);
		assert_true(c.timeout_ns > 0);
	}
}

// Unsupported methods and a missing section are refused with the
// messages blobbyd prints.
static void
test_refused(void **state)
{
	static const char *const none[NENV] = { NULL };
	bb_aws_conf              aws;
	bb_ns_conf               ns;
	bb_conf                  conf;
	store_s3_conf            c;
	store_archive           *a = NULL;
	char                     why[BB_WHY_LEN];

	(void) state;
	set_env(none);
	memset(&aws, 0, sizeof(aws));
	memset(&ns, 0, sizeof(ns));
	memset(&conf, 0, sizeof(conf));
	aws.name       = "p";
	aws.key_id     = "K";
	aws.secret_key = "S";
	aws.profile    = "default";
	ns.name        = "ns";
	ns.aws_profile = "p";
	ns.s3_bucket   = "bkt";
	conf.aws       = &aws;
	conf.n_aws     = 1;
	assert_int_equal(
	    store_s3_conf_resolve(&conf, &ns, &c, why, sizeof(why)),
	    BB_ECONFIG);
	assert_string_equal(why,
	                    "[aws.p]: profile, from_ec2_role and "
	                    "assume_role_arn are not supported yet; give "
	                    "key_id and secret_key, or AWS_ACCESS_KEY_ID and "
	                    "AWS_SECRET_ACCESS_KEY");
	aws.profile       = NULL;
	aws.from_ec2_role = true;
	assert_int_equal(
	    store_s3_conf_resolve(&conf, &ns, &c, why, sizeof(why)),
	    BB_ECONFIG);
	aws.from_ec2_role = false;
	ns.aws_profile    = "other";
	assert_int_equal(
	    store_s3_conf_resolve(&conf, &ns, &c, why, sizeof(why)),
	    BB_ECONFIG);
	assert_string_equal(why,
	                    "namespace ns: archive: invalid configuration");
	// A bad part size passes resolution; the back end refuses it.
	ns.aws_profile = "p";
	assert_int_equal(
	    store_archive_s3_from_conf(&conf, &ns, &a, why, sizeof(why)),
	    BB_EINVAL);
	assert_null(a);
	assert_string_equal(
	    why,
	    "namespace ns: S3 archive: s3: part size must be between 5 "
	    "MiB and 5 GiB");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
