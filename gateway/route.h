// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/route.h -- internal to gateway/: the dispatcher, the two
// libmicrohttpd callbacks that server.c registers.  The handlers it calls
// are in insert.c, read.c and admin/.
#ifndef GATEWAY_ROUTE_H
#define GATEWAY_ROUTE_H

#include <microhttpd.h>
#include <stddef.h>

// gw__route_access is the MHD_AccessHandlerCallback (cls is the
// gw_server): by method and path to an insert, a read or an admin
// endpoint, with the phase deadlines of the connection.  Worker threads.
enum MHD_Result gw__route_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *data,
                                 size_t *size, void **con_cls);

// gw__route_completed is the MHD_OPTION_NOTIFY_COMPLETED callback (cls
// is the gw_server): it writes the access log line and frees what the
// request left (the spool of an insert whose client went away).
void gw__route_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe);

#endif // GATEWAY_ROUTE_H
