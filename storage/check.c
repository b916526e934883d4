// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/check.c -- what store_open would refuse in the configuration,
// checked for every namespace before any of them is opened: S3
// credentials, s3_key_format, id_key_file.  It reads files but creates,
// recovers and archives nothing.
#include <stdbool.h>

#include "storage/archive/archive.h"
#include "storage/keyfmt.h"
#include "storage/storage.h"

// check_ns checks one namespace; why names it.
static bb_err
check_ns(const bb_conf *conf, const bb_ns_conf *ns, char *why, size_t whylen)
{
	store_s3_conf s3;
	store_keyfmt *kf = NULL;
	store_idkeys *ik = NULL;
	char          kerr[BB_WHY_LEN];
	bb_err        rv;

	if (ns->archive == BB_ARCHIVE_S3) {
		rv = store_s3_conf_resolve(conf, ns, &s3, why, whylen);
		if (rv != BB_OK) {
			return rv;
		}
	}
	rv = store_keyfmt_new(ns->s3_key_format, &kf, kerr, sizeof(kerr));
	if (rv == BB_OK) {
		rv = store_keyfmt_check_unique(kf, kerr, sizeof(kerr));
	}
	store_keyfmt_free(kf);
	if (rv != BB_OK) {
		return bb_why(rv == BB_EINVAL ? BB_ECONFIG : rv, why, whylen,
		              "namespace %s: s3_key_format: %s", ns->name,
		              kerr);
	}
	if (ns->id_key_file != NULL) {
		rv = store_idkeys_load(ns->id_key_file, &ik, kerr,
		                       sizeof(kerr));
		if (rv != BB_OK) {
			return bb_why(rv, why, whylen,
			              "namespace %s: id_key_file: %s",
			              ns->name, kerr);
		}
		store_idkeys_free(ik);
	}
	return BB_OK;
}

bb_err
store_conf_check(const bb_conf *conf, char *why, size_t whylen)
{
	size_t i;
	bb_err rv;

	for (i = 0; i < conf->n_namespaces; i++) {
		rv = check_ns(conf, &conf->namespaces[i], why, whylen);
		if (rv != BB_OK) {
			return rv;
		}
	}
	return BB_OK;
}
