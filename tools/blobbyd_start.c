// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobbyd_start.c -- blobbyd's start-up before it touches its data:
// the log, fatal messages that reach the log as well as standard error,
// S3 keys from systemd credentials, and the check of every file the
// configuration names.  The modules do the loading; this file only
// orders it and turns failures into exit codes.
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/file.h"
#include "common/log.h"
#include "gateway/gateway.h"
#include "rpc/rpc.h"
#include "storage/storage.h"
#include "tools/blobbyd.h"

#define CRED_MAX 4096 // bytes of one credential file

// Set by blobbyd_log_open when the log is a file rather than standard
// error, where blobbyd_fatal already writes.  Main thread only.
static bool log_is_file;

int
blobbyd_log_open(const bb_conf *conf)
{
	const char *file = conf->log.file;
	bb_err      rv;

	rv = bb_log_open(file, conf->log.format, conf->log.debug);
	if (rv != BB_OK) {
		(void) fprintf(stderr, "blobbyd: log file %s: %s\n", file,
		               bb_strerror(rv));
		return EX_CANTCREAT;
	}
	log_is_file = file != NULL && strcmp(file, "-") != 0;
	return EX_OK;
}

void
blobbyd_fatal(const char *fmt, ...)
{
	char    msg[4200];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void) fprintf(stderr, "blobbyd: %s\n", msg);
	if (log_is_file) {
		bb_log_error("%s", msg);
	}
}

// cred_read reads the credential name of dir into *valp (owned by the
// caller, trailing white space cut).  BB_ENOENT when the file does not
// exist; other errors are said by blobbyd_fatal.
static bb_err
cred_read(const char *dir, const char *name, char **valp)
{
	char   path[4096];
	char   why[BB_WHY_LEN];
	char  *buf = NULL;
	size_t len = 0;
	bb_err rv;

	(void) snprintf(path, sizeof(path), "%s/%s", dir, name);
	rv = bb_file_read(path, CRED_MAX, BB_FILE_REGULAR, &buf, &len, NULL,
	                  why, sizeof(why));
	if (rv == BB_ENOENT) {
		return rv;
	}
	if (rv != BB_OK) {
		blobbyd_fatal("credential %s", why);
		return rv;
	}
	while (len > 0 && strchr(" \t\r\n", buf[len - 1]) != NULL) {
		buf[--len] = '\0';
	}
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		free(buf);
		blobbyd_fatal("credential %s: empty, or not one line of text",
		              path);
		return BB_ECONFIG;
	}
	*valp = buf;
	return BB_OK;
}

int
blobbyd_creds_load(bb_conf *conf)
{
	const char  *dir = getenv("CREDENTIALS_DIRECTORY");
	const char  *env = getenv("AWS_ACCESS_KEY_ID");
	char        *id  = NULL;
	char        *key = NULL;
	bb_aws_conf *a;
	size_t       i;
	bb_err       rid;
	bb_err       rkey;
	int          code = EX_OK;

	if (dir == NULL || dir[0] == '\0' || (env != NULL && env[0] != '\0')) {
		return EX_OK;
	}
	rid  = cred_read(dir, "s3_access_key_id", &id);
	rkey = cred_read(dir, "s3_secret_access_key", &key);
	if (rid == BB_ENOENT && rkey == BB_ENOENT) {
		return EX_OK; // credentials for something else
	}
	if (rid != BB_OK || rkey != BB_OK) {
		if (rid == BB_ENOENT || rkey == BB_ENOENT) {
			blobbyd_fatal("credentials %s: s3_access_key_id and "
			              "s3_secret_access_key go together",
			              dir);
		}
		code = EX_CONFIG;
		goto done;
	}
	for (i = 0; i < conf->n_aws; i++) {
		a = &conf->aws[i];
		if (a->key_id != NULL || a->secret_key != NULL ||
		    a->profile != NULL || a->from_ec2_role ||
		    a->assume_role_arn != NULL) {
			continue;
		}
		a->key_id     = strdup(id);
		a->secret_key = strdup(key);
		if (a->key_id == NULL || a->secret_key == NULL) {
			blobbyd_fatal("credentials: %s",
			              bb_strerror(BB_ENOMEM));
			code = EX_OSERR;
			goto done;
		}
	}
done:
	if (key != NULL) {
		// The secret should not linger in freed memory.
		memset(key, 0, strlen(key));
	}
	free(id);
	free(key);
	return code;
}

int
blobbyd_check(const bb_conf *conf)
{
	char   why[4200];
	bb_err rv;

	why[0] = '\0';
	rv     = gw_conf_check(conf, why, sizeof(why));
	if (rv == BB_OK) {
		rv = rpc_conf_check(conf, why, sizeof(why));
	}
	if (rv == BB_OK) {
		rv = store_conf_check(conf, why, sizeof(why));
	}
	if (rv == BB_OK) {
		return EX_OK;
	}
	blobbyd_fatal("%s: %s", conf->path, why[0] ? why : bb_strerror(rv));
	return rv == BB_ENOMEM ? EX_OSERR : EX_CONFIG;
}
