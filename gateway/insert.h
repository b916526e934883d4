// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/insert.h -- internal to gateway/: POST /<ns>, called by the
// dispatcher with its per-request state.
#ifndef GATEWAY_INSERT_H
#define GATEWAY_INSERT_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "gateway/park.h"

// gw__insert_begin handles the first call for POST /<ns>: routing, the
// size limit, the spool.  May queue an error response (req->replied).
enum MHD_Result gw__insert_begin(gw_server *g, struct MHD_Connection *conn,
                                 const char *url, gw__req *req);

// gw__insert_body handles the later calls of an insert: body chunks while
// *size > 0, then the insert itself, which parks the connection while it
// is stored (and replicated), then the answer.
enum MHD_Result gw__insert_body(gw_server *g, struct MHD_Connection *conn,
                                gw__req *req, const char *data, size_t *size);

#endif // GATEWAY_INSERT_H
