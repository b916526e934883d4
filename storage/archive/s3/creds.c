// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/s3/creds.c -- where a namespace's S3 archive gets its
// endpoint, region and credentials: the [aws.<name>] section it names,
// with the standard AWS_* environment variables for what the section
// leaves out.  It reads the configuration only; requests are elsewhere.
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/conf/conf.h"
#include "storage/archive/archive.h"

// A transfer that makes no progress for this long is abandoned.
#define S3_TIMEOUT_NS (60 * BB_NS_PER_SEC)

// s3_env_or returns value, else the environment variable name (NULL if
// unset or empty).  Borrowed from value or the environment.
static const char *
s3_env_or(const char *value, const char *name)
{
	const char *e;

	if (value != NULL && value[0] != '\0') {
		return value;
	}
	e = getenv(name);
	return e != NULL && e[0] != '\0' ? e : NULL;
}

bb_err
store_s3_conf_resolve(const bb_conf *conf, const bb_ns_conf *ns,
                      store_s3_conf *cp, char *why, size_t whylen)
{
	const bb_aws_conf *aws = NULL;
	store_s3_conf      c;
	size_t             i;

	for (i = 0; i < conf->n_aws; i++) {
		if (strcmp(conf->aws[i].name, ns->aws_profile) == 0) {
			aws = &conf->aws[i];
		}
	}
	if (aws == NULL) {
		// conf_check makes sure it exists.
		return bb_why(BB_ECONFIG, why, whylen,
		              "namespace %s: archive: %s", ns->name,
		              bb_strerror(BB_ECONFIG));
	}
	if (aws->profile != NULL || aws->from_ec2_role ||
	    aws->assume_role_arn != NULL) {
		return bb_why(
		    BB_ECONFIG, why, whylen,
		    "[aws.%s]: profile, from_ec2_role and "
		    "assume_role_arn are not supported yet; give "
		    "key_id and secret_key, or AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY",
		    aws->name);
	}
	memset(&c, 0, sizeof(c));
	c.endpoint   = s3_env_or(aws->endpoint, "AWS_ENDPOINT_URL_S3");
	c.endpoint   = s3_env_or(c.endpoint, "AWS_ENDPOINT_URL");
	c.region     = s3_env_or(aws->region, "AWS_REGION");
	c.region     = s3_env_or(c.region, "AWS_DEFAULT_REGION");
	c.region     = c.region != NULL ? c.region : "us-east-1";
	c.bucket     = ns->s3_bucket;
	c.key_id     = s3_env_or(aws->key_id, "AWS_ACCESS_KEY_ID");
	c.secret_key = s3_env_or(aws->secret_key, "AWS_SECRET_ACCESS_KEY");
	// A token belongs to the environment's keys, not to the section's.
	c.session_token =
	    aws->key_id == NULL ? s3_env_or(NULL, "AWS_SESSION_TOKEN") : NULL;
	c.multipart_threshold = ns->s3_multipart_threshold;
	c.part_size           = ns->s3_part_size;
	c.timeout_ns          = S3_TIMEOUT_NS;
	if (c.key_id == NULL || c.secret_key == NULL) {
		return bb_why(BB_ECONFIG, why, whylen,
		              "namespace %s: no S3 credentials: set key_id "
		              "and secret_key in [aws.%s], or "
		              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		              ns->name, aws->name);
	}
	*cp = c;
	return BB_OK;
}

bb_err
store_archive_s3_from_conf(const bb_conf *conf, const bb_ns_conf *ns,
                           store_archive **ap, char *why, size_t whylen)
{
	store_s3_conf c;
	char          bad[BB_WHY_LEN] = "";
	bb_err        rv;

	rv = store_s3_conf_resolve(conf, ns, &c, why, whylen);
	if (rv != BB_OK) {
		return rv;
	}
	rv = store_archive_s3_new(&c, ap, bad, sizeof(bad));
	if (rv != BB_OK) {
		return bb_why(rv, why, whylen, "namespace %s: S3 archive: %s",
		              ns->name,
		              bad[0] != '\0' ? bad : bb_strerror(rv));
	}
	return BB_OK;
}
