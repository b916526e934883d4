// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/guard.h -- internal to gateway/: requests refused for what they
// could make a server or a proxy in front of it do, whatever the ACLs
// say: ambiguous message framing (request smuggling) and state changes
// sent by a browser on behalf of another site.
#ifndef GATEWAY_GUARD_H
#define GATEWAY_GUARD_H

#include <stdbool.h>

#include <microhttpd.h>

// gw__guard_framing says whether the head of the request on conn frames
// its body one way only: at most one Content-Length, and no
// Content-Length beside a Transfer-Encoding, which must be exactly
// "chunked".  libmicrohttpd 0.9.75 takes the first of two Content-Length
// headers and lets chunked win over a Content-Length; a proxy that reads
// them the other way would see the rest of the body as another request.
// On false, *why is a static one-line reason.
bool gw__guard_framing(struct MHD_Connection *conn, const char **why);

// gw__guard_same_origin says whether a request that changes state may
// come from where a browser says it comes from: refused when
// Sec-Fetch-Site is there and is neither "same-origin" nor "none", or
// when Origin is there and does not name the Host the request was sent
// to.  Clients that are not browsers (curl, scripts) send neither and
// pass.  On false, *why is a static one-line reason.
bool gw__guard_same_origin(struct MHD_Connection *conn, const char **why);

#endif // GATEWAY_GUARD_H
