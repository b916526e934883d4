// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/ipset.h -- IP addresses, sets of CIDRs, and the client
// address behind trusted proxies (X-Forwarded-For).  Used by the ACLs
// (gateway/acl/acl.c); knows nothing of HTTP or of the configuration.
//
// Every address is held as 16 bytes: IPv4 as IPv4-mapped IPv6
// (::ffff:a.b.c.d) and an IPv4 CIDR as the mapped CIDR (prefix + 96).
// So a mapped IPv6 peer matches IPv4 CIDRs, ::ffff:0:0/96 matches every
// IPv4 address and ::/0 matches every address.
#ifndef COMMON_IPSET_H
#define COMMON_IPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

#define BB_IP_TEXT 46 // INET6_ADDRSTRLEN: bb_ip_format's buffer

// An address; a plain value.
typedef struct bb_ip {
	uint8_t a[16];
} bb_ip;

typedef struct bb_ipset bb_ipset;

// bb_ip_parse reads an IPv4 or IPv6 literal (no brackets, port or
// zone).  Returns false if s is none.
bool bb_ip_parse(const char *s, bb_ip *ip);

// bb_ip_from_sockaddr takes the address of sa (AF_INET or AF_INET6).
// Returns false for NULL or another family.
bool bb_ip_from_sockaddr(const struct sockaddr *sa, bb_ip *ip);

// bb_ip_format writes ip as text into buf (BB_IP_TEXT bytes): dotted
// IPv4 for mapped addresses, else IPv6.
void bb_ip_format(const bb_ip *ip, char buf[BB_IP_TEXT]);

// bb_ipset_new parses cidrs[0..n) ("10.0.0.0/8", "::1/128"; host bits
// are ignored).  On BB_OK *setp is set; the caller owns it and frees it
// with bb_ipset_free().  cidrs is only read during the call.  Errors:
// BB_ENOMEM; BB_EINVAL for a string that is no CIDR, named in err as
// "'<cidr>' is not a CIDR" (errlen bytes, may be 0).
bb_err bb_ipset_new(char *const *cidrs, size_t n, bb_ipset **setp, char *err,
                    size_t errlen);

// bb_ipset_free releases set.  NULL is a no-op.
void bb_ipset_free(bb_ipset *set);

// bb_ipset_contains says whether ip is in one of the CIDRs of set (a
// NULL set is empty).  Thread-safe (read only).
bool bb_ipset_contains(const bb_ipset *set, const bb_ip *ip);

// bb_ip_client finds the client behind proxies.  Without xff, or when
// peer is not in proxies, it is peer.  Otherwise xff (the joined
// X-Forwarded-For values) is read from the right, each hop having
// appended the address it saw: the first address that is not in proxies
// is the client; if all are, the left-most.  Entries left of the client
// are never read (they are whatever the client sent).  Returns false
// when an entry read is empty or no IP literal.
bool bb_ip_client(const bb_ip *peer, const char *xff, const bb_ipset *proxies,
                  bb_ip *client);

#endif // COMMON_IPSET_H
