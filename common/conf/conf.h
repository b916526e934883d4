// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/conf/conf.h -- the configuration: INI read through libinih,
// validated, and turned into plain values.  It knows every key of the
// original's sections; what a key *does*
// belongs to the module that uses it.  Errors name the file and line.
//
// bb_conf is a plain value type (no invariants beyond "validated"), so its
// body is public; treat it as read-only after bb_conf_load().
#ifndef COMMON_CONF_H
#define COMMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/strlist.h"

typedef enum {
	BB_LOG_FORMAT_PLAIN = 0,
	BB_LOG_FORMAT_JSON,
} bb_log_format;

typedef enum {
	BB_ARCHIVE_S3 = 0,
	BB_ARCHIVE_DIR,
} bb_archive_kind;

// One access-control section ([server.status_acl],
// [namespace.<ns>.read_acl], ...).  An ACL with no method configured is
// "open" unless the owner supplies a default (the admin ACLs default to
// loopback only).
typedef struct bb_acl_conf {
	bool       present; // the section appeared in the file
	bb_strlist white_list_cidrs;
	bb_strlist allow_x_forwarded_from_cidrs; // key spelled as original
	bool       white_list_required;
	char      *basic_auth_htpasswd_file; // owned, NULL if unset
	char      *basic_auth_realm;         // owned, default "Blobby"
	bb_strlist basic_auth_user_tags;
	bool       basic_auth_required;
} bb_acl_conf;

typedef struct bb_log_conf {
	char         *file; // owned; "-" is standard error
	bb_log_format format;
	bool          debug;
} bb_log_conf;

typedef struct bb_server_conf {
	char    *addr;                 // owned; HTTP listen address
	uint16_t port;                 // 0 picks a free port
	char    *rpc_addr;             // owned
	uint16_t rpc_port;             // 0 picks a free port
	char    *host_name;            // owned, may be NULL
	bool     tls;                  // not in effect yet
	char    *tls_certificate_file; // owned, may be NULL
	char    *tls_private_key_file; // owned, may be NULL
	// RPC over tls+tcp:// with mutual authentication: this node's
	// certificate and key (as server and as client), and the CA that
	// signs every node's certificate.
	bool        rpc_tls;
	char       *rpc_tls_certificate_file; // owned, may be NULL
	char       *rpc_tls_private_key_file; // owned, may be NULL
	char       *rpc_tls_ca_file;          // owned, may be NULL
	int64_t     read_timeout_ns;
	int64_t     read_header_timeout_ns;
	int64_t     write_timeout_ns;
	int64_t     idle_timeout_ns;
	uint64_t    max_header_bytes;
	uint32_t    max_connections;
	uint32_t    threads;               // 0: chosen from the CPU count
	char       *prometheus_tag_prefix; // owned, "" by default
	bool        enable_tracing;
	bool        debug_paths_enable;
	bool        has_access_log;
	bb_log_conf access_log;
	bb_acl_conf status_acl;
	bb_acl_conf health_check_acl;
	bb_acl_conf shut_down_acl;
	bb_acl_conf debug_paths_acl;
	// Of max_connections: at most this many from one address (0: no
	// limit), and the last loopback_reserved_connections kept for
	// loopback clients (a local /_health probe under a flood).
	uint32_t max_connections_per_address;
	uint32_t loopback_reserved_connections;
	// RPC connections not yet admitted (TLS handshake, SP header): each
	// is cut after rpc_handshake_timeout_ns, and at most
	// rpc_max_handshakes of them (rpc_max_handshakes_per_address from
	// one address) are kept; rpc/guard.c.
	int64_t  rpc_handshake_timeout_ns;
	uint32_t rpc_max_handshakes;
	uint32_t rpc_max_handshakes_per_address;
} bb_server_conf;

// [remote.<id>]: one peer node.
typedef struct bb_remote_conf {
	uint32_t id;       // from the section name
	char    *host;     // owned, an IP literal
	uint16_t port;     // HTTP port of the peer, default 1091
	uint16_t rpc_port; // RPC port of the peer, default 1092
	char    *name;     // owned, default "host:rpc_port"
	bool     tls;
	bool     tls_insecure_skip_verify;
	char    *verify_host; // owned, may be NULL
	uint32_t max_idle_conns;
} bb_remote_conf;

// [aws.<name>]: credentials and endpoint for the S3 archive.
typedef struct bb_aws_conf {
	char *name;       // owned
	char *region;     // owned, may be NULL
	char *endpoint;   // owned, may be NULL (real AWS)
	char *key_id;     // owned, may be NULL
	char *secret_key; // owned, may be NULL
	char *profile;    // owned, may be NULL
	bool  from_environment;
	bool  from_ec2_role;
	char *assume_role_arn; // owned, may be NULL
} bb_aws_conf;

// [namespace.<name>]
typedef struct bb_ns_conf {
	char           *name;      // owned
	char           *directory; // owned, required
	bb_archive_kind archive;
	char           *archive_directory;      // owned, required with dir
	char           *aws_profile;            // owned, required with s3
	char           *s3_bucket;              // owned, required with s3
	char           *s3_base_path;           // owned, "" by default
	char           *s3_key_format;          // owned, NULL: the FID
	uint64_t        s3_multipart_threshold; // larger objects: multipart
	uint64_t        s3_part_size;
	bool            compress;
	bool            fsync; // data on stable storage before an insert's id
	char           *id_key_file;    // owned, NULL: ids are not signed
	int             compress_level; // -1..9, 0 = default
	int64_t         delay_delete_ns;
	uint32_t        min_open_files;
	uint32_t        max_open_files;
	uint32_t        replicas;
	uint64_t        upload_file_size;
	int64_t         upload_older_ns;
	uint64_t        max_blob_size;
	int64_t         heart_beat_interval_ns;
	int64_t         orphan_timeout_ns;
	bb_acl_conf     read_acl;
	bb_acl_conf     insert_acl;
	bb_acl_conf     primary_acl;
	bb_acl_conf     blast_path_acl;
} bb_ns_conf;

typedef struct bb_conf {
	char           *path; // owned; "(embedded default)" for the default
	uint32_t        machine_id;
	uint32_t        maximum_parallel_compressions;
	uint32_t        maximum_parallel_deletes;
	uint32_t        maximum_parallel_remote_deletes;
	uint32_t        maximum_parallel_uploads;
	char           *pidfile;           // owned, may be NULL
	int64_t         client_timeout_ns; // [client] timeout: RPC deadline
	int64_t         client_probe_interval_ns; // [client] probe_interval
	int64_t         client_probe_timeout_ns;  // [client] probe_timeout
	int64_t         archive_retry_initial_ns; // first retry delay
	int64_t         archive_retry_max_ns;     // longest retry delay
	bb_log_conf     log;
	bb_server_conf  server;
	bb_remote_conf *remotes; // owned array, sorted by id
	size_t          n_remotes;
	bb_aws_conf    *aws; // owned array
	size_t          n_aws;
	bb_ns_conf     *namespaces; // owned array, sorted by name
	size_t          n_namespaces;
	// Where each section and key was given, for messages (diff.h,
	// bb_conf_line).
	struct bb_conf_lines *lines; // owned
} bb_conf;

// BB_CONF_DEFAULT_TEXT is the embedded single-node default, in the same
// INI syntax as a file: what `blobbyd` runs with when -c is absent.
extern const char bb_conf_default_text[];

// bb_conf_load reads and validates the INI file at path.  On BB_OK *confp
// is set; the caller owns it and frees it with bb_conf_free().  On
// BB_ECONFIG *errorsp receives every problem found, one per line as
// "<file>:<line>: <message>" (line omitted where none applies); the
// caller frees it with free().  Other errors (BB_ENOENT, BB_EACCES,
// BB_ENOMEM) also set *errorsp to a one-line message.
bb_err bb_conf_load(const char *path, bb_conf **confp, char **errorsp);

// bb_conf_load_string is bb_conf_load for INI text held in memory; name
// is used in messages in place of a file name.  Same ownership rules.
bb_err bb_conf_load_string(const char *text, const char *name, bb_conf **confp,
                           char **errorsp);

// bb_conf_free releases conf and everything it owns.  NULL is a no-op.
void bb_conf_free(bb_conf *conf);

// bb_conf_find_ns returns the namespace called name, or NULL.  Borrowed;
// valid until bb_conf_free(conf).  For tests: the product finds
// namespaces through storage (store_find_ns).
const bb_ns_conf *bb_conf_find_ns(const bb_conf *conf, const char *name);

#endif // COMMON_CONF_H
