// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tools/blobby_auth.c -- the client's credentials for HTTP Basic
// authentication: --user NAME (or $BLOBBY_USER) with the password from
// $BLOBBY_PASSWORD or a prompt on the terminal, else ~/.netrc through
// libcurl.  A password never has to be on the command line, where every
// local user could read it in /proc.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tools/blobby.h"

#define CLI_CRED_MAX 256 // bytes of a user name or password, NUL included

// The credentials of this run: the client is single-threaded and makes
// them once (cli__auth_resolve) before any transfer.
static char cli_user[CLI_CRED_MAX];
static char cli_password[CLI_CRED_MAX];

// cli_prompt asks for the password on the controlling terminal, without
// echo.  Returns false (after a message) if there is no terminal or
// nothing was typed.
static bool
cli_prompt(const char *user)
{
	struct termios old;
	struct termios quiet;
	char           prompt[CLI_CRED_MAX + 32];
	size_t         len = 0;
	ssize_t        n;
	bool           restore;
	int            fd;
	char           ch;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli__err("--user %s: no password: set BLOBBY_PASSWORD, use "
		         "~/.netrc, or run blobby on a terminal",
		         user);
		return false;
	}
	// Echo off before the prompt: whatever answers it is not shown.
	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t) ECHO;
		// TCSANOW: what was typed ahead is kept.
		(void) tcsetattr(fd, TCSANOW, &quiet);
	}
	(void) snprintf(prompt, sizeof(prompt), "Password for '%s': ", user);
	(void) write(fd, prompt, strlen(prompt));
	for (;;) {
		n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0 || ch == '\n' || ch == '\r') {
			break;
		}
		if (len < sizeof(cli_password) - 1) {
			cli_password[len++] = ch;
		}
	}
	cli_password[len] = '\0';
	if (restore) {
		(void) tcsetattr(fd, TCSANOW, &old);
	}
	(void) write(fd, "\n", 1);
	(void) close(fd);
	if (n < 0) {
		cli__err("--user %s: reading the password: %s", user,
		         strerror(errno));
		return false;
	}
	return true;
}

int
cli__auth_resolve(cli_opts *o)
{
	const char *name = o->user;
	const char *env  = getenv("BLOBBY_USER");
	const char *colon;
	size_t      len;

	if (name == NULL && env != NULL && env[0] != '\0') {
		name = env;
	}
	if (name == NULL) {
		return -1; // ~/.netrc, if it has the host
	}
	// NAME:PASSWORD as curl takes it; the help says why not to.
	colon = strchr(name, ':');
	len   = colon != NULL ? (size_t) (colon - name) : strlen(name);
	if (len == 0 || len >= sizeof(cli_user) ||
	    (colon != NULL && strlen(colon + 1) >= sizeof(cli_password))) {
		cli__err("--user: expected a name of 1 to %zu bytes",
		         sizeof(cli_user) - 1);
		return EX_USAGE;
	}
	memcpy(cli_user, name, len);
	cli_user[len] = '\0';
	o->user       = cli_user;
	if (colon != NULL) {
		(void) snprintf(cli_password, sizeof(cli_password), "%s",
		                colon + 1);
	} else if ((env = getenv("BLOBBY_PASSWORD")) != NULL) {
		if (strlen(env) >= sizeof(cli_password)) {
			cli__err("BLOBBY_PASSWORD: longer than %zu bytes",
			         sizeof(cli_password) - 1);
			return EX_USAGE;
		}
		(void) snprintf(cli_password, sizeof(cli_password), "%s", env);
	} else if (!cli_prompt(cli_user)) {
		return EX_USAGE;
	}
	o->password = cli_password;
	return -1;
}

CURLcode
cli__auth_setopt(CURL *h, const cli_opts *o)
{
	CURLcode rc;

	if (o->user == NULL) {
		// Credentials in the URL win over the file, as with curl -n.
		return curl_easy_setopt(h, CURLOPT_NETRC,
		                        (long) CURL_NETRC_OPTIONAL);
	}
	rc = curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
	if (rc == CURLE_OK) {
		rc = curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
	}
	if (rc == CURLE_OK) {
		rc = curl_easy_setopt(h, CURLOPT_PASSWORD, o->password);
	}
	return rc;
}
