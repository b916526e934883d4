// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/gateway_impl.h -- declarations shared by the gateway's files, as
// an umbrella of one internal header per file (nng's nng_impl.h).  Only
// gateway/ and its tests include these; tls.h is GnuTLS-free, so no file
// but tls.c compiles against GnuTLS.
#ifndef GATEWAY_GATEWAY_IMPL_H
#define GATEWAY_GATEWAY_IMPL_H

#include "gateway/accesslog.h"
#include "gateway/acl/access.h"
#include "gateway/admin/admin.h"
#include "gateway/conn.h"
#include "gateway/drain.h"
#include "gateway/gateway.h"
#include "gateway/guard.h"
#include "gateway/hstats.h"
#include "gateway/insert.h"
#include "gateway/park.h"
#include "gateway/range.h"
#include "gateway/read.h"
#include "gateway/reload.h"
#include "gateway/reply.h"
#include "gateway/route.h"
#include "gateway/server.h"
#include "gateway/source.h"
#include "gateway/tls.h"

#endif // GATEWAY_GATEWAY_IMPL_H
