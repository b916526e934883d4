// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/reload.h -- internal to gateway/: what reload.c shows on the
// metrics page.
#ifndef GATEWAY_RELOAD_H
#define GATEWAY_RELOAD_H

#include "common/buf.h"
#include "gateway/gateway.h"

// gw__reload_metrics appends the reload counters of g (see
// gw_server_count_reload) to the metrics page b.  Thread-safe.
void gw__reload_metrics(gw_server *g, bb_buf *b);

#endif // GATEWAY_RELOAD_H
