// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/ipset.c -- addresses as 16 bytes, CIDR sets as a list (ACLs
// hold a handful of CIDRs: a scan beats any index), X-Forwarded-For.
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipset.h"

// One CIDR; an IPv4 one is mapped, bits + 96.
typedef struct ip_cidr {
	bb_ip    net; // host bits cleared
	unsigned bits;
} ip_cidr;

struct bb_ipset {
	ip_cidr *v; // owned
	size_t   n;
};

static const uint8_t ip_v4_prefix[12] = { 0, 0, 0, 0, 0,    0,
	                                  0, 0, 0, 0, 0xff, 0xff };

// ip_parse is bb_ip_parse that also tells the literal's own width.
static bool
ip_parse(const char *s, bb_ip *ip, unsigned *bits)
{
	struct in_addr  a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(ip->a, ip_v4_prefix, 12);
		memcpy(ip->a + 12, &a4, 4);
		*bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(ip->a, &a6, 16);
		*bits = 128;
		return true;
	}
	return false;
}

bool
bb_ip_parse(const char *s, bb_ip *ip)
{
	unsigned bits;

	return ip_parse(s, ip, &bits);
}

bool
bb_ip_from_sockaddr(const struct sockaddr *sa, bb_ip *ip)
{
	const struct sockaddr_in  *in4;
	const struct sockaddr_in6 *in6;

	if (sa != NULL && sa->sa_family == AF_INET) {
		in4 = (const struct sockaddr_in *) (const void *) sa;
		memcpy(ip->a, ip_v4_prefix, 12);
		memcpy(ip->a + 12, &in4->sin_addr, 4);
		return true;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *) (const void *) sa;
		memcpy(ip->a, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

void
bb_ip_format(const bb_ip *ip, char buf[BB_IP_TEXT])
{
	if (memcmp(ip->a, ip_v4_prefix, 12) == 0) {
		(void) inet_ntop(AF_INET, ip->a + 12, buf, BB_IP_TEXT);
	} else {
		(void) inet_ntop(AF_INET6, ip->a, buf, BB_IP_TEXT);
	}
}

static bool
ip_parse_cidr(const char *s, ip_cidr *c)
{
	char          addr[64];
	const char   *slash = strchr(s, '/');
	char         *end;
	unsigned long pfx;
	unsigned      bits, i;

	if (slash == NULL || (size_t) (slash - s) >= sizeof(addr) ||
	    !isdigit((unsigned char) slash[1])) {
		return false;
	}
	memcpy(addr, s, (size_t) (slash - s));
	addr[slash - s] = '\0';
	if (!ip_parse(addr, &c->net, &bits)) {
		return false;
	}
	errno = 0;
	pfx   = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || pfx > bits) {
		return false;
	}
	c->bits = (unsigned) pfx + (128 - bits);
	for (i = 0; i < 16; i++) { // host bits do not take part
		if (c->bits <= 8 * i) {
			c->net.a[i] = 0;
		} else if (c->bits < 8 * (i + 1)) {
			c->net.a[i] &=
			    (uint8_t) (0xff << (8 * (i + 1) - c->bits));
		}
	}
	return true;
}

static bool
ip_cidr_match(const ip_cidr *c, const bb_ip *ip)
{
	unsigned full = c->bits / 8;
	unsigned rest = c->bits % 8;

	if (memcmp(c->net.a, ip->a, full) != 0) {
		return false;
	}
	return rest == 0 ||
	    ((ip->a[full] ^ c->net.a[full]) &
	     (uint8_t) (0xff << (8 - rest))) == 0;
}

bb_err
bb_ipset_new(char *const *cidrs, size_t n, bb_ipset **setp, char *err,
             size_t errlen)
{
	bb_ipset *set;

	set = calloc(1, sizeof(*set));
	if (set == NULL) {
		(void) snprintf(err, errlen, "%s", bb_strerror(BB_ENOMEM));
		return BB_ENOMEM;
	}
	set->v = calloc(n > 0 ? n : 1, sizeof(*set->v));
	if (set->v == NULL) {
		(void) snprintf(err, errlen, "%s", bb_strerror(BB_ENOMEM));
		free(set);
		return BB_ENOMEM;
	}
	for (set->n = 0; set->n < n; set->n++) {
		if (!ip_parse_cidr(cidrs[set->n], &set->v[set->n])) {
			(void) snprintf(err, errlen, "'%s' is not a CIDR",
			                cidrs[set->n]);
			bb_ipset_free(set);
			return BB_EINVAL;
		}
	}
	*setp = set;
	return BB_OK;
}

void
bb_ipset_free(bb_ipset *set)
{
	if (set == NULL) {
		return;
	}
	free(set->v);
	free(set);
}

bool
bb_ipset_contains(const bb_ipset *set, const bb_ip *ip)
{
	size_t i;

	for (i = 0; set != NULL && i < set->n; i++) {
		if (ip_cidr_match(&set->v[i], ip)) {
			return true;
		}
	}
	return false;
}

bool
bb_ip_client(const bb_ip *peer, const char *xff, const bb_ipset *proxies,
             bb_ip *client)
{
	const char *end, *start, *s, *e;
	char        tok[64];

	*client = *peer;
	if (xff == NULL || !bb_ipset_contains(proxies, peer)) {
		return true;
	}
	end = xff + strlen(xff);
	for (;;) {
		start = end;
		while (start > xff && start[-1] != ',') {
			start--;
		}
		s = start + strspn(start, " \t");
		e = end;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
			e--;
		}
		if (e <= s || (size_t) (e - s) >= sizeof(tok)) {
			return false;
		}
		memcpy(tok, s, (size_t) (e - s));
		tok[e - s] = '\0';
		if (!bb_ip_parse(tok, client)) {
			return false;
		}
		if (start == xff || !bb_ipset_contains(proxies, client)) {
			return true;
		}
		end = start - 1; // the comma
	}
}
