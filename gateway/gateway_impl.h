// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// gateway/gateway_impl.h -- declarations shared by the gateway's files.
#ifndef GATEWAY_GATEWAY_IMPL_H
#define GATEWAY_GATEWAY_IMPL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "gateway/acl/acl.h"
#include "gateway/gateway.h"
#include "rpc/rpc.h"

struct gw_server {
	const bb_conf     *conf; // borrowed
	store             *st;   // borrowed
	rpc_pool          *pool; // borrowed, NULL without peers
	struct MHD_Daemon *mhd;  // owned
	uint16_t           port;
	atomic_uint        inflight; // inserts being stored now
	// Drain mode (/_shutdown, SIGTERM) and who else must know of it;
	// drain_mu orders the changes so the hook hears them in order.
	atomic_bool        draining;
	pthread_mutex_t    drain_mu;
	gw_drain_fn        drain_fn;  // may be NULL
	void              *drain_arg; // borrowed
	struct gw__access *access;    // owned: the ACLs
	struct gw__guard  *guard;     // owned: phase deadlines
	struct gw__tls    *tls;       // owned, NULL without HTTPS
	struct gw__alog   *alog;      // owned, NULL without an access log
};

// Per-request state of an insert, kept in MHD's con_cls.
typedef struct gw__req {
	store_ns    *ns;      // borrowed
	store_spool *spool;   // owned
	bool         replied; // a response is queued already
	bb_err       failed;  // the body was refused (e.g. too big)
	uint64_t     dropped; // bytes read and dropped since
} gw__req;

// gw__queue sets the Content-Type of resp (and, in drain mode, the
// Shutting-Down and Connection: close headers), queues it with status and
// releases it: it takes ownership of resp, which may be NULL (a failed
// create; the connection is then closed).  Every response goes through
// here.
enum MHD_Result gw__queue(struct MHD_Connection *conn, unsigned status,
                          struct MHD_Response *resp, const char *ctype);

// gw__reply queues a response with status and a one-line text body
// (a newline is appended).  msg is copied.
enum MHD_Result gw__reply(struct MHD_Connection *conn, unsigned status,
                          const char *msg);

// gw__reply_err queues the response for a storage error: 413, 503, 507 or
// 500, with a short line that names the error.
enum MHD_Result gw__reply_err(struct MHD_Connection *conn, bb_err err);

// gw__insert_begin handles the first call for POST /<ns>: routing, the
// size limit, the spool.  May queue an error response (req->replied).
enum MHD_Result gw__insert_begin(gw_server *g, struct MHD_Connection *conn,
                                 const char *url, gw__req *req);

// gw__insert_body handles the later calls of an insert: body chunks while
// *size > 0, then the insert itself.
enum MHD_Result gw__insert_body(gw_server *g, struct MHD_Connection *conn,
                                gw__req *req, const char *data, size_t *size);

// Where a read of an id is served from (gw__locate).
typedef enum {
	GW__FROM_LOCAL,   // a local file
	GW__FROM_OWNER,   // the peer whose machine id the id carries
	GW__FROM_ARCHIVE, // the archive of the namespace
} gw__from;

// A byte range streamed into a response (read.c).
typedef struct gw__source gw__source;

// The answer of gw__locate.
typedef struct gw__loc {
	gw__from        from;
	uint32_t        machine; // the machine id the id carries
	store_file_info info;    // GW__FROM_LOCAL when not opened
	// Opened: either fd >= 0 (the bytes are at off in a plain file:
	// serve it with sendfile) or src (a stream).  The caller owns both.
	int         fd;
	uint64_t    off;
	gw__source *src;
	// On failure: the status and static line to answer, or status 0
	// for gw__reply_err.
	unsigned    status;
	const char *msg;
} gw__loc;

// gw__locate is the read policy: a local file, else the owner of id (if
// it is a peer), else the archive, and which failure the client sees
// when all miss.  With open it reads: on BB_OK *loc holds the bytes (fd
// or src, owned by the caller); on error loc->status/msg say what to
// answer.  Without open (/_id) it only says where a read would start:
// loc->from (GW__FROM_OWNER: then the archive, if the owner fails) and,
// for a local file, loc->info; it always returns BB_OK then.
// Thread-safe.
bb_err gw__locate(gw_server *g, store_ns *ns, const store_id *id, bool open,
                  gw__loc *loc);

// gw__read answers GET or HEAD /<ns>/<id>.
enum MHD_Result gw__read(gw_server *g, struct MHD_Connection *conn,
                         const char *url);

// gw__current returns the server whose access handler runs on this
// thread, or NULL outside one.  Every response is queued from inside the
// handler, so gw__queue finds the drain state here.
gw_server *gw__current(void);

// --- Text bodies built in memory (buf.c). ---

// A growing text buffer with a cap: the admin pages are built in memory
// and must stay bounded whatever the number of files.  Once an append
// would pass max, or memory runs out, the buffer is marked failed and
// later appends do nothing.
typedef struct gw__buf {
	char  *p; // owned, NUL-terminated when not NULL
	size_t len;
	size_t cap;
	size_t max;
	bool   failed;
} gw__buf;

// gw__buf_init starts an empty buffer of at most max bytes.
void gw__buf_init(gw__buf *b, size_t max);

// gw__buf_fini frees what b owns.  A zeroed b is fine.
void gw__buf_fini(gw__buf *b);

// gw__buf_put appends s[0..n).
void gw__buf_put(gw__buf *b, const char *s, size_t n);

// gw__buf_printf appends formatted text.
__attribute__((format(printf, 2, 3))) void
gw__buf_printf(gw__buf *b, const char *fmt, ...);

// gw__buf_json_str appends s as a JSON string, quotes included: '"',
// '\\' and control characters escaped, other bytes as they are (the
// names it prints are ASCII; invalid UTF-8 is not repaired).
void gw__buf_json_str(gw__buf *b, const char *s);

// gw__reply_buf queues b's text with status and ctype, taking b's memory
// (b is empty afterwards).  A failed b answers 500.
enum MHD_Result gw__reply_buf(struct MHD_Connection *conn, unsigned status,
                              gw__buf *b, const char *ctype);

// --- Admin endpoints (admin.c, status.c, metrics.c). ---

// gw__admin answers GET or HEAD /_<anything> (the caller checked the
// method): each endpoint behind its ACL, 404 for unknown ones.
enum MHD_Result gw__admin(gw_server *g, struct MHD_Connection *conn,
                          const char *url, const char *method);

// gw__admin_guard decides whether the peer of conn may use an endpoint
// guarded by acl.  *allowed false means a refusal is queued (401) and the
// caller returns what this returned; true means go on (the return value
// is then MHD_YES).  For now only loopback peers (127.0.0.0/8, ::1,
// ::ffff:127.0.0.0/104) pass: the ACL module replaces this function.
enum MHD_Result gw__admin_guard(gw_server *g, struct MHD_Connection *conn,
                                const bb_acl_conf *acl, bool *allowed);

// gw__status answers /_status: text, or JSON with json set.
enum MHD_Result gw__status(gw_server *g, struct MHD_Connection *conn,
                           bool json);

// gw__metrics answers /_metrics in the Prometheus text format 0.0.4.
enum MHD_Result gw__metrics(gw_server *g, struct MHD_Connection *conn);

// What the metrics page shows of one namespace.
typedef struct gw__ns_metrics {
	const char        *name; // borrowed
	store_metrics_snap snap;
	bool               healthy;
	int64_t            queued_upload_ns; // oldest queued upload, 0: none
	int64_t            unuploaded_ns;    // oldest unarchived first insert
} gw__ns_metrics;

// gw__metrics_render writes the metrics page into b: the families of the
// original (label names prefixed by prefix) for the namespaces v[0..n),
// the latency histograms and, if lc is not NULL, the archive lifecycle's
// process-wide counters, lc_oldest_ns being the age of its oldest queued
// upload.  Pure: everything it shows is in its arguments.
void gw__metrics_render(gw__buf *b, const char *prefix, bool draining,
                        const gw__ns_metrics *v, size_t n,
                        const store_lifecycle_stats *lc, int64_t lc_oldest_ns);

// --- Access control (access.c over acl.c). ---

typedef struct gw__access gw__access;

typedef enum {
	GW__ACL_STATUS,   // /_status, /_metrics
	GW__ACL_HEALTH,   // /_health
	GW__ACL_SHUTDOWN, // /_shutdown...
	GW__ACL_DEBUG,    // /_id/...
} gw__admin_acl;

// gw__access_new builds every ACL of conf (borrowed for the call).  On
// BB_OK the caller owns *ap (gw__access_free).  On error *errmsg gets a
// static or thread-local description naming the section.
bb_err gw__access_new(const bb_conf *conf, gw__access **ap,
                      const char **errmsg);

// gw__access_free releases a.  NULL is a no-op.
void gw__access_free(gw__access *a);

// gw__access_refresh reloads the htpasswd files that changed (SIGHUP).
void gw__access_refresh(gw__access *a);

// The ACL of an admin endpoint, or of a namespace's reads or inserts.
// Borrowed from the server.
gw_acl *gw__access_admin(gw__access *a, gw__admin_acl which);
gw_acl *gw__access_read(gw_server *g, store_ns *ns);
gw_acl *gw__access_insert(gw_server *g, store_ns *ns);

// gw__access_check asks acl about the request on conn.  *allowed false
// means the refusal (401, WWW-Authenticate where it applies) is queued
// and the result is the caller's to return.
enum MHD_Result gw__access_check(gw_acl *acl, struct MHD_Connection *conn,
                                 bool *allowed);

// --- HTTPS (tls.c). ---

typedef struct gw__tls gw__tls;

// gw__tls_new loads [server] tls_certificate_file (a PEM chain) and
// tls_private_key_file and checks that they belong together.  On BB_OK
// the caller owns *tp (gw__tls_free); gw__tls_retrieve serves it.  On
// error why[0..len) gets a one-line reason.
bb_err gw__tls_new(const bb_server_conf *sc, gw__tls **tp, char *why,
                   size_t len);

// gw__tls_retrieve is the certificate callback to give libmicrohttpd
// (MHD_OPTION_HTTPS_CERT_CALLBACK): the pair loaded last.
gnutls_certificate_retrieve_function2 gw__tls_retrieve;

// gw__tls_reload loads the files again (SIGHUP); on failure the pair in
// use stays, and the reason is logged.
void gw__tls_reload(gw__tls *t);

// gw__tls_free releases t.  NULL is a no-op.
void gw__tls_free(gw__tls *t);

// --- The request in progress on a connection, and the access log. ---

typedef struct gw__request_info {
	int64_t  start_ns; // monotonic; 0: none
	char     method[16];
	char     path[1024];
	char     client[64]; // the peer address
	unsigned status;     // 0 if no response was queued
} gw__request_info;

typedef struct gw__alog gw__alog;

// gw__alog_open opens the access log of c.  Caller owns *ap.
bb_err gw__alog_open(const bb_log_conf *c, gw__alog **ap);

// gw__alog_reopen reopens the file (SIGHUP); on failure the old stays.
void gw__alog_reopen(gw__alog *a);

// gw__alog_close closes a.  NULL is a no-op.
void gw__alog_close(gw__alog *a);

// gw__alog_write logs one finished request.  NULL a is a no-op.
void gw__alog_write(gw__alog *a, const gw__request_info *ri);

// --- Phase deadlines of connections (guard.c). ---

typedef struct gw__guard gw__guard;

typedef enum {
	GW__PHASE_BODY, // the request body must be in within read_timeout
	GW__PHASE_BUSY, // handled and answered: inactivity timeout only
	GW__PHASE_IDLE, // kept alive: the next request within idle_timeout
} gw__phase;

// gw__guard_start starts the sweeper: a new connection has header_ns for
// its request head.  Caller owns *gp: gw__guard_stop (after the daemon).
bb_err gw__guard_start(int64_t header_ns, int64_t body_ns, int64_t idle_ns,
                       gw__guard **gp);

// gw__guard_stop stops the sweeper and frees g.  NULL is a no-op.
void gw__guard_stop(gw__guard *g);

// gw__guard_notify is the MHD_OPTION_NOTIFY_CONNECTION callback (cls is
// the guard): it tracks every connection from start to close.
void gw__guard_notify(void *cls, struct MHD_Connection *conn,
                      void                              **socket_ctx,
                      enum MHD_ConnectionNotificationCode code);

// gw__guard_phase sets the deadline of conn for the phase it enters.
void gw__guard_phase(gw__guard *g, struct MHD_Connection *conn,
                     gw__phase phase);

// gw__guard_request_start notes a new request of conn (for the access
// log); gw__guard_note_status its status; gw__guard_request_info hands
// it over once (false if there is none).  Connection thread only.
void gw__guard_request_start(struct MHD_Connection *conn, const char *method,
                             const char *url);
void gw__guard_note_status(struct MHD_Connection *conn, unsigned status);
bool gw__guard_request_info(struct MHD_Connection *conn, gw__request_info *ri);

// gw__guard_cut counts the connections cut off so far.
uint64_t gw__guard_cut(gw__guard *g);

#endif // GATEWAY_GATEWAY_IMPL_H
