// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/acl/acl.h -- access control lists: a white list of
// CIDRs and HTTP Basic authentication against an htpasswd file, combined
// as the original's Required/Any lists.  Independent of libmicrohttpd:
// the caller hands in the TCP peer and the two headers and turns the
// verdict into a response.  Routing (which ACL guards what) is not here.
//
// Decision: every Required method must pass (the first failing one gives
// the answer); then, if Any is non-empty, one of it must pass, else the
// answer is Any[0]'s.  Methods are built in the order white list, basic
// auth; each is Required when its *_required flag is set, else Any.
//
// Client address: the TCP peer, unless an X-Forwarded-For header is
// present and the peer is in allow_x_forwarded_from_cidrs.  Then the
// header is read from the right: the right-most address that is not
// itself a trusted proxy is the client (if all are proxies, the
// left-most).  Entries left of the client are never read (they are
// whatever the client sent).  An empty or malformed entry on the way is
// a denial.  The original parsed the whole header as one IP, which
// failed for any proxy chain.  IPv4 peers and CIDRs are held as IPv4-
// mapped IPv6 addresses (::ffff:a.b.c.d), so a mapped peer matches
// IPv4 CIDRs and ::/0 matches every address.
// Internal to gateway/.
#ifndef GATEWAY_ACL_H
#define GATEWAY_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/conf/conf.h"
#include "common/err.h"

typedef struct gw__acl gw__acl;

// GW__ACL_WWW_AUTH_LEN bounds the WWW-Authenticate value, so realms are
// at most GW__ACL_WWW_AUTH_LEN - 15 characters (gw__acl_new checks).
#define GW__ACL_WWW_AUTH_LEN 160

// The answer of gw__acl_check.  When allowed, status is 0, message NULL
// and www_authenticate empty.  Otherwise status is the HTTP status (401),
// message the static body line (no newline) and www_authenticate, when
// not empty, the value of a WWW-Authenticate header to send.
typedef struct gw__acl_verdict {
	bool        allowed;
	unsigned    status;
	const char *message; // static
	char        www_authenticate[GW__ACL_WWW_AUTH_LEN];
} gw__acl_verdict;

// gw__acl_new builds the ACL of one section.  conf may be NULL (no
// section).  With no method configured the ACL is open (allows all),
// except that when the section is absent (conf NULL or !conf->present)
// and loopback_default is set (the admin ACLs), it is a required white
// list of 127.0.0.0/8 and ::1/128.  The htpasswd file is loaded now.
// On BB_OK *aclp is set; the caller owns it and frees it with
// gw__acl_free().  conf is only read during the call.  Errors: BB_ENOMEM;
// BB_ECONFIG for a bad CIDR, realm or combination of keys, and for an
// htpasswd file that cannot be loaded (whatever the cause).  On error a
// one-line message naming the key or "<file>:<line>" is written to err
// (errlen bytes, may be 0).
bb_err gw__acl_new(const bb_acl_conf *conf, bool loopback_default,
                   gw__acl **aclp, char *err, size_t errlen);

// gw__acl_free releases acl.  NULL is a no-op.
void gw__acl_free(gw__acl *acl);

// gw__acl_is_open says whether acl allows everything without looking at
// the request (no method; a NULL acl is open too).
bool gw__acl_is_open(const gw__acl *acl);

// gw__acl_check decides whether the request may proceed and writes the
// answer to *v.  peer is the TCP peer (AF_INET or AF_INET6; anything
// else, or NULL, fails the white list).  xff is the X-Forwarded-For
// value (every such header joined with ", " in order), authorization the
// Authorization value; NULL when absent.  All are borrowed for the call.
// A NULL acl allows.  Thread-safe; it may reload the htpasswd file (at
// most once a second) and run a bcrypt check, so it can take a few
// milliseconds.
void gw__acl_check(gw__acl *acl, const struct sockaddr *peer, const char *xff,
                   const char *authorization, gw__acl_verdict *v);

// gw__acl_client_ip writes the client address as the white list sees it
// (see above; acl NULL: the peer) as text, NUL-terminated, into buf
// (len bytes; 46 always suffice).  For tests: nothing else calls it
// yet (meant for access logs and forwarded reads).  Errors: BB_EINVAL
// when the peer is no IP address or a trusted proxy sent a malformed
// header; BB_ETOOBIG when buf is too small.  Thread-safe.
bb_err gw__acl_client_ip(const gw__acl *acl, const struct sockaddr *peer,
                         const char *xff, char *buf, size_t len);

// gw__acl_refresh looks at the htpasswd file now and reloads it if it
// changed (gw__acl_check does this by itself at most once a second; call
// this on SIGHUP).  BB_OK without a file or when the file is unchanged
// or reloaded; on a failed reload the previous entries stay in force,
// the error is logged and returned.  Thread-safe.
bb_err gw__acl_refresh(gw__acl *acl);

#endif // GATEWAY_ACL_H
