// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/allow.c -- who may call the RPC server.  Who may connect over
// plain TCP: the configured peers' addresses and this machine's own
// (127.0.0.1, ::1, for local tools).  The original served replication on
// its public HTTP port to anyone (its primary ACL was lost to a config
// typo); here a pipe from any other address is closed as soon as it
// connects, before it can send a request.  Who may act for a machine (the
// replica calls of its fids): only a connection from that machine's
// configured address.  Address matching (IPv4 as IPv4-mapped IPv6) is
// common/ipset's; this file only turns NNG addresses into its terms.
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rpc/rpc_impl.h"

// allow_cidr writes host as a one-address CIDR into cidr; false for what
// is not an IP literal (the configuration checked the peers' hosts
// already; a name is never an address a pipe comes from).
static bool
allow_cidr(const char *host, char *cidr, size_t len)
{
	bb_ip ip;
	int   n;

	if (!bb_ip_parse(host, &ip)) {
		return false;
	}
	n = snprintf(cidr, len, "%s/%d", host,
	             strchr(host, ':') != NULL ? 128 : 32);
	return n > 0 && (size_t) n < len;
}

// allow_mapped says whether ip is an IPv4 address (IPv4-mapped IPv6).
static bool
allow_mapped(const bb_ip *ip)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0,    0,
		                            0, 0, 0, 0, 0xff, 0xff };

	return memcmp(ip->a, prefix, sizeof(prefix)) == 0;
}

// allow_loopback says whether ip is 127.0.0.0/8 or ::1.
static bool
allow_loopback(const bb_ip *ip)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (allow_mapped(ip)) {
		return ip->a[12] == 127;
	}
	return memcmp(ip->a, one, sizeof(one)) == 0;
}

bb_err
rpc__allow_new(const bb_conf *conf, bb_ipset **setp)
{
	char **cidrs = NULL;
	size_t n     = 0;
	size_t i;
	bb_err rv = BB_ENOMEM;

	cidrs = calloc(conf->n_remotes + 2, sizeof(*cidrs));
	if (cidrs == NULL) {
		goto done;
	}
	for (i = 0; i < conf->n_remotes + 2; i++) {
		const char *host = i == 0 ? "127.0.0.1"
		    : i == 1              ? "::1"
		                          : conf->remotes[i - 2].host;
		char        cidr[BB_IP_TEXT + 8];

		if (!allow_cidr(host, cidr, sizeof(cidr))) {
			continue;
		}
		cidrs[n] = strdup(cidr);
		if (cidrs[n] == NULL) {
			goto done;
		}
		n++;
	}
	rv = bb_ipset_new(cidrs, n, setp, NULL, 0);

done:
	for (i = 0; cidrs != NULL && i < n; i++) {
		free(cidrs[i]);
	}
	free(cidrs);
	return rv;
}

// allow_ip turns an NNG address into a bb_ip; false for another family.
static bool
allow_ip(const nng_sockaddr *sa, bb_ip *ip)
{
	struct sockaddr_in  in;
	struct sockaddr_in6 in6;

	if (sa->s_family == NNG_AF_INET) {
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		// Both in network order.
		memcpy(&in.sin_addr, &sa->s_in.sa_addr, 4);
		return bb_ip_from_sockaddr((const struct sockaddr *) &in, ip);
	}
	if (sa->s_family == NNG_AF_INET6) {
		memset(&in6, 0, sizeof(in6));
		in6.sin6_family = AF_INET6;
		memcpy(&in6.sin6_addr, sa->s_in6.sa_addr, 16);
		return bb_ip_from_sockaddr((const struct sockaddr *) &in6, ip);
	}
	return false;
}

bool
rpc__allow_has(const bb_ipset *set, const nng_sockaddr *sa)
{
	bb_ip ip;

	return allow_ip(sa, &ip) && bb_ipset_contains(set, &ip);
}

void
rpc__allow_describe(const nng_sockaddr *sa, char *buf, size_t len)
{
	bb_ip ip;
	char  text[BB_IP_TEXT];

	if (allow_ip(sa, &ip)) {
		bb_ip_format(&ip, text);
		(void) snprintf(buf, len, "%s", text);
	} else {
		(void) snprintf(buf, len, "(address family %d)",
		                (int) sa->s_family);
	}
}

bb_err
rpc__allow_machine(const bb_conf *conf, const nng_sockaddr *caller,
                   uint32_t machine, char *why, size_t whylen)
{
	const bb_remote_conf *r = NULL;
	bb_ip                 ip;
	bb_ip                 want;
	char                  text[BB_IP_TEXT];
	size_t                i;

	for (i = 0; i < conf->n_remotes && r == NULL; i++) {
		if (conf->remotes[i].id == machine) {
			r = &conf->remotes[i];
		}
	}
	if (r == NULL) {
		return bb_why(BB_EACCES, why, whylen,
		              "machine %lu is not a configured peer (no "
		              "[remote.%lu]): its replica calls are refused",
		              (unsigned long) machine,
		              (unsigned long) machine);
	}
	if (caller == NULL || !allow_ip(caller, &ip)) {
		return bb_why(BB_EACCES, why, whylen,
		              "the caller's address is unknown: only machine "
		              "%lu, from %s, may call for its fids",
		              (unsigned long) machine, r->host);
	}
	if (bb_ip_parse(r->host, &want) &&
	    memcmp(&ip, &want, sizeof(ip)) == 0) {
		return BB_OK;
	}
	bb_ip_format(&ip, text);
	return bb_why(BB_EACCES, why, whylen,
	              "a call from %s for a fid of machine %lu, which is at "
	              "%s: only that machine may call for its fids",
	              text, (unsigned long) machine, r->host);
}

bool
rpc__allow_source(const bb_conf *conf, const char *peer_host, bb_ip *src)
{
	const char *addr = conf->server.rpc_addr;
	bb_ip       own;
	bb_ip       peer;
	bb_ip       any4;
	bb_ip       any6;

	if (addr == NULL || !bb_ip_parse(addr, &own) ||
	    !bb_ip_parse(peer_host, &peer)) {
		return false;
	}
	(void) bb_ip_parse("0.0.0.0", &any4);
	(void) bb_ip_parse("::", &any6);
	if (memcmp(&own, &any4, sizeof(own)) == 0 ||
	    memcmp(&own, &any6, sizeof(own)) == 0) {
		return false; // a wildcard: the kernel picks the source
	}
	// The same family, and a loopback source only towards a loopback
	// peer: a loopback address cannot reach another machine.
	if (allow_mapped(&own) != allow_mapped(&peer) ||
	    allow_loopback(&own) != allow_loopback(&peer)) {
		return false;
	}
	*src = own;
	return true;
}
