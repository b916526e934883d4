// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/ipset.c -- common/ipset.h and the white list of
// gateway/acl/acl.h: CIDR sets, addresses and X-Forwarded-For from any
// text, and the Authorization header of Basic auth.  The input is lines:
// CIDRs separated by spaces (the white list and the trusted proxies), the
// TCP peer, the X-Forwarded-For value, the Authorization value (checked
// against an htpasswd file of one {SHA} user, carol:carol-pw).  An
// address that parses prints as text that parses back to it; the
// client found behind the proxies agrees between common/ipset and the
// ACL; nothing crashes or leaks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/conf/conf.h"
#include "common/ipset.h"
#include "gateway/acl/acl.h"
#include "tests/fuzz/fuzz.h"

#define IPSET_MAX_CIDRS 16

// ipset_line cuts the next line off *pp (NUL-terminating it in place);
// "" once the text is used up.
static char *
ipset_line(char **pp)
{
	char *s = *pp;
	char *nl;

	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*pp = nl + 1;
	} else {
		*pp = s + strlen(s);
	}
	return s;
}

// ipset_basic_acl is a required Basic auth ACL, made once (its file is
// removed once loaded: a failed reload keeps the table).
static gw__acl *
ipset_basic_acl(void)
{
	static gw__acl *acl;
	const char     *dir = getenv("TMPDIR");
	bb_acl_conf     c   = { 0 };
	char            path[64];
	char            err[256];
	FILE           *f;
	int             fd;

	if (acl != NULL) {
		return acl;
	}
	(void) snprintf(path, sizeof(path), "%s/fuzz-acl-XXXXXX",
	                dir != NULL && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(path);
	FUZZ_CHECK(fd >= 0);
	f = fdopen(fd, "w");
	FUZZ_CHECK(f != NULL);
	(void) fputs("carol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw=\n", f);
	FUZZ_CHECK(fclose(f) == 0);
	c.present                  = true;
	c.basic_auth_htpasswd_file = path;
	c.basic_auth_realm         = "fuzz";
	c.basic_auth_required      = true;
	if (gw__acl_new(&c, false, &acl, err, sizeof(err)) != BB_OK) {
		(void) fprintf(stderr, "gw__acl_new: %s\n", err);
		abort();
	}
	(void) unlink(path);
	return acl;
}

static void
ipset_basic(const char *authorization)
{
	gw__acl_verdict    v;
	struct sockaddr_in in = { .sin_family = AF_INET };

	in.sin_addr.s_addr = htonl(0x7f000001u);
	gw__acl_check(ipset_basic_acl(), (struct sockaddr *) &in, NULL,
	              authorization, &v);
	if (v.allowed) {
		authorization += strspn(authorization, " \t");
		FUZZ_CHECK(strncasecmp(authorization, "basic", 5) == 0);
	} else {
		FUZZ_CHECK(v.status == 401 && v.message != NULL);
		FUZZ_CHECK(memchr(v.www_authenticate, '\0',
		                  sizeof(v.www_authenticate)) != NULL);
	}
}

static void
ipset_roundtrip(const bb_ip *ip)
{
	char  text[BB_IP_TEXT];
	bb_ip back;

	bb_ip_format(ip, text);
	FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL);
	FUZZ_CHECK(bb_ip_parse(text, &back));
	FUZZ_CHECK(memcmp(ip->a, back.a, sizeof(ip->a)) == 0);
}

// ipset_sockaddr makes the socket address of ip (IPv4 for a mapped one).
static socklen_t
ipset_sockaddr(const bb_ip *ip, struct sockaddr_storage *ss)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0,    0,
		                            0, 0, 0, 0, 0xff, 0xff };
	struct sockaddr_in  *in         = (struct sockaddr_in *) ss;
	struct sockaddr_in6 *in6        = (struct sockaddr_in6 *) ss;

	memset(ss, 0, sizeof(*ss));
	if (memcmp(ip->a, mapped, sizeof(mapped)) == 0) {
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, ip->a + 12, 4);
		return sizeof(*in);
	}
	in6->sin6_family = AF_INET6;
	memcpy(&in6->sin6_addr, ip->a, 16);
	return sizeof(*in6);
}

static void
ipset_acl(char **cidrs, size_t n, const bb_ip *peer, const char *xff,
          const bb_ipset *set)
{
	bb_acl_conf             c   = { 0 };
	gw__acl                *acl = NULL;
	gw__acl_verdict         v;
	struct sockaddr_storage ss;
	char                    err[256];
	char                    got[BB_IP_TEXT];
	char                    want[BB_IP_TEXT];
	bb_ip                   client;
	bool                    ok;

	c.present                        = true;
	c.white_list_cidrs.v             = cidrs;
	c.white_list_cidrs.n             = n;
	c.white_list_required            = true;
	c.allow_x_forwarded_from_cidrs.v = cidrs;
	c.allow_x_forwarded_from_cidrs.n = n;
	if (gw__acl_new(&c, false, &acl, err, sizeof(err)) != BB_OK) {
		return;
	}
	(void) ipset_sockaddr(peer, &ss);
	gw__acl_check(acl, (struct sockaddr *) &ss, xff, NULL, &v);
	ok = bb_ip_client(peer, xff, set, &client);
	if (gw__acl_client_ip(acl, (struct sockaddr *) &ss, xff, got,
	                      sizeof(got)) == BB_OK) {
		FUZZ_CHECK(ok);
		bb_ip_format(&client, want);
		FUZZ_CHECK(strcmp(got, want) == 0);
		// With no CIDR the ACL has no white list: it is open.
		FUZZ_CHECK(v.allowed ==
		           (n == 0 || bb_ipset_contains(set, &client)));
	} else {
		FUZZ_CHECK(!ok);
		FUZZ_CHECK(!v.allowed || n == 0);
	}
	gw__acl_free(acl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char     *text = fuzz_str(data, size);
	char     *p    = text;
	char     *cidrs[IPSET_MAX_CIDRS];
	size_t    n = 0;
	char     *line;
	char     *tok;
	char     *save = NULL;
	char      err[128];
	bb_ipset *set = NULL;
	bb_ip     peer;
	bb_ip     client;
	bool      have_peer;
	char     *xff;

	if (text == NULL) {
		return 0;
	}
	line = ipset_line(&p);
	for (tok = strtok_r(line, " ", &save);
	     tok != NULL && n < IPSET_MAX_CIDRS;
	     tok = strtok_r(NULL, " ", &save)) {
		cidrs[n++] = tok;
	}
	have_peer = bb_ip_parse(ipset_line(&p), &peer);
	xff       = ipset_line(&p);
	ipset_basic(ipset_line(&p));
	if (have_peer) {
		ipset_roundtrip(&peer);
	}
	if (bb_ipset_new(cidrs, n, &set, err, sizeof(err)) == BB_OK) {
		if (have_peer) {
			(void) bb_ipset_contains(set, &peer);
			if (bb_ip_client(&peer, *xff != '\0' ? xff : NULL, set,
			                 &client)) {
				ipset_roundtrip(&client);
			}
			ipset_acl(cidrs, n, &peer, *xff != '\0' ? xff : NULL,
			          set);
		}
		bb_ipset_free(set);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	}
	free(text);
	return 0;
}
