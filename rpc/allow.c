// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/allow.c -- who may call the RPC server over plain TCP: the
// configured peers' addresses and this machine's own (127.0.0.1, ::1, for
// local tools).  The original served replication on its public HTTP port
// to anyone (its primary ACL was lost to a config typo); here a pipe from
// any other address is closed as soon as it connects, before it can send
// a request.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "rpc/rpc_impl.h"

// rpc_allow_add adds the address text to al (ignoring what is not an IP
// literal: the configuration checked the peers' hosts already).
static void
rpc_allow_add(rpc__allow *al, const char *text)
{
	uint8_t *a = al->addrs[al->n];

	if (al->n >= RPC__ALLOW_MAX) {
		return;
	}
	memset(a, 0, 16);
	if (inet_pton(AF_INET6, text, a) == 1) {
		al->n++;
		return;
	}
	// IPv4 as IPv4-mapped IPv6, the form rpc__allow_has compares.
	if (inet_pton(AF_INET, text, a + 12) == 1) {
		a[10] = 0xff;
		a[11] = 0xff;
		al->n++;
	}
}

void
rpc__allow_init(rpc__allow *al, const bb_conf *conf)
{
	size_t i;

	memset(al, 0, sizeof(*al));
	rpc_allow_add(al, "127.0.0.1");
	rpc_allow_add(al, "::1");
	for (i = 0; i < conf->n_remotes; i++) {
		rpc_allow_add(al, conf->remotes[i].host);
	}
}

bool
rpc__allow_has(const rpc__allow *al, const nng_sockaddr *sa)
{
	uint8_t a[16];
	size_t  i;

	memset(a, 0, sizeof(a));
	if (sa->s_family == NNG_AF_INET) {
		a[10] = 0xff;
		a[11] = 0xff;
		memcpy(a + 12, &sa->s_in.sa_addr, 4); // network order
	} else if (sa->s_family == NNG_AF_INET6) {
		memcpy(a, sa->s_in6.sa_addr, 16);
	} else {
		return false;
	}
	for (i = 0; i < al->n; i++) {
		if (memcmp(al->addrs[i], a, 16) == 0) {
			return true;
		}
	}
	return false;
}

void
rpc__allow_describe(const nng_sockaddr *sa, char *buf, size_t len)
{
	if (sa->s_family == NNG_AF_INET) {
		(void) inet_ntop(AF_INET, &sa->s_in.sa_addr, buf,
		                 (socklen_t) len);
	} else if (sa->s_family == NNG_AF_INET6) {
		(void) inet_ntop(AF_INET6, sa->s_in6.sa_addr, buf,
		                 (socklen_t) len);
	} else {
		(void) snprintf(buf, len, "(address family %d)",
		                (int) sa->s_family);
	}
}
