// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/archive/archive.h -- where sealed files live for good: an object
// store reached through one interface with two back ends, S3 (libcurl, SigV4)
// and a local directory.  An archive stores whole files as objects under
// a key and serves byte ranges of them back.  It knows nothing of files,
// states or ids (of a namespace it reads only the configuration, for S3
// credentials): the lifecycle (storage/lifecycle/lifecycle.c) decides what
// to put, the namespace computes keys (storage/keyfmt.h).
#ifndef STORAGE_ARCHIVE_H
#define STORAGE_ARCHIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct bb_conf          bb_conf;    // common/conf/conf.h
typedef struct bb_ns_conf       bb_ns_conf; // common/conf/conf.h
typedef struct store_archive    store_archive;
typedef struct store_archive_rd store_archive_rd;

// A reader of one byte range of an object.  Back ends fill it in; users
// go through store_archive_rd_*().  Either fd >= 0 (the range is at off
// in that plain file, which the reader owns: serve it with sendfile) or
// read is set (the bytes come from a transfer).
struct store_archive_rd {
	int      fd;
	uint64_t off;
	uint64_t left; // fd readers: bytes store_archive_rd_read has to go
	// read copies up to max bytes of the range into buf; *n is 0 only
	// after the whole range was delivered.  A transfer that ends before
	// that is BB_ESHORT, never a quiet end.
	bb_err (*read)(store_archive_rd *rd, void *buf, size_t max, size_t *n);
	// close frees rd and what it holds (fd included).
	void (*close)(store_archive_rd *rd);
};

// The operations of a back end; the S3 and directory back ends have one
// each and unit tests make fakes.  All must be thread-safe.
typedef struct store_archive_ops {
	// put archives the size bytes of fd (read with pread from offset
	// 0; fd is borrowed and not modified) as object key, never
	// replacing an object by different bytes.  Every acknowledged byte
	// is on every copy of a file, so of two copies the longer one whose
	// prefix the other is holds them all:
	// - no object: it is stored (BB_OK);
	// - the object holds the same bytes, or is longer and our bytes are
	//   its first bytes: nothing is sent, *existed is set (BB_OK; the
	//   caller's bytes are all archived);
	// - the object is shorter and is a prefix of ours: it is replaced
	//   (BB_OK);
	// - anything else is a conflict: the object is kept and put returns
	//   BB_EEXIST, why naming the key and both sizes.
	// BB_OK only once the stored object is verified.  cancel (may be
	// NULL) becoming true abandons a transfer in progress
	// (BB_ESHUTDOWN).  On failure why[0..whylen) gets a one-line reason.
	bb_err (*put)(void *ctx, const char *key, int fd, uint64_t size,
	              const atomic_bool *cancel, bool *existed, char *why,
	              size_t whylen);
	// open starts reading [off, off + len) of object key.  BB_ENOENT if
	// there is no such object or it is shorter than off + len; other
	// errors when the archive cannot be asked.  On BB_OK the caller owns
	// *rdp (store_archive_rd_close).
	bb_err (*open)(void *ctx, const char *key, uint64_t off, uint64_t len,
	               store_archive_rd **rdp);
	// free releases ctx.
	void (*free)(void *ctx);
} store_archive_ops;

// What the S3 back end needs.  Strings are copied by store_archive_s3_new.
typedef struct store_s3_conf {
	// "http://127.0.0.1:4569": an S3-compatible server, path-style URLs
	// (<endpoint>/<bucket>/<key>).  NULL: real AWS, virtual-hosted URLs
	// (https://<bucket>.s3.<region>.amazonaws.com/<key>).
	const char *endpoint;
	const char *region; // required, e.g. "us-east-1"
	const char *bucket; // required
	const char *key_id; // required
	const char *secret_key;
	const char *session_token; // NULL if none (x-amz-security-token)
	// Objects strictly larger than multipart_threshold go as a multipart
	// upload in parts of part_size (grown if more than 10000 parts would
	// be needed; at least 5 MiB, the S3 minimum).
	uint64_t multipart_threshold;
	uint64_t part_size;
	// Connection timeout, and how long a transfer may make no progress
	// before it is abandoned.  A whole transfer has no time limit: a
	// large file on a slow link is slow, not broken.
	int64_t timeout_ns;
} store_s3_conf;

// store_archive_s3_new makes an S3 archive of one bucket.  On BB_OK the
// caller owns *ap (store_archive_free).  BB_EINVAL for a conf missing a
// required field or out of range, why[0..whylen) (may be NULL) then
// saying which; BB_ENOMEM.
bb_err store_archive_s3_new(const store_s3_conf *conf, store_archive **ap,
                            char *why, size_t whylen);

// store_s3_conf_resolve fills *cp for the S3 archive of namespace ns of
// conf (storage/archive/s3/creds.c): the [aws.<name>] section ns names,
// with the standard AWS_* environment variables (AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for what the section leaves
// out.  The strings in *cp are borrowed from conf, ns and the environment.
// BB_ECONFIG, with why[0..whylen) set, for an unsupported credential method
// or no credentials at all.  Reads the environment: not thread-safe
// against setenv.
bb_err store_s3_conf_resolve(const bb_conf *conf, const bb_ns_conf *ns,
                             store_s3_conf *cp, char *why, size_t whylen);

// store_archive_s3_from_conf makes the S3 archive of namespace ns of conf:
// store_s3_conf_resolve, then store_archive_s3_new.  On BB_OK the caller
// owns *ap (store_archive_free); on failure why[0..whylen) says why,
// naming the namespace.
bb_err store_archive_s3_from_conf(const bb_conf *conf, const bb_ns_conf *ns,
                                  store_archive **ap, char *why,
                                  size_t whylen);

// store_archive_dir_new makes an archive in the local directory dir
// (created if missing; it may be shared by several processes): object
// key is the file <dir>/<key>, written through a temporary name,
// fsync'ed and linked or renamed into place under an flock of
// <dir>/.blobby-archive.lock.  Temporary files of interrupted copies
// (<key>.tmpXXXXXX that no live writer holds) are removed here.  On
// BB_OK the caller owns *ap.
bb_err store_archive_dir_new(const char *dir, store_archive **ap);

// store_archive_custom makes an archive of ops and ctx (unit tests'
// fakes).  ops is borrowed and must outlive the archive; ctx is released
// with ops->free (if set) by store_archive_free.  desc names it in logs
// (copied).
bb_err store_archive_custom(const store_archive_ops *ops, void *ctx,
                            const char *desc, store_archive **ap);

// store_archive_free releases a.  NULL is a no-op.
void store_archive_free(store_archive *a);

// store_archive_desc names a for logs ("s3://bucket at http://...",
// "dir ./blobby-data/archive").  Borrowed.
const char *store_archive_desc(const store_archive *a);

// store_archive_put, store_archive_open: ops->put and ops->open of a.
bb_err store_archive_put(store_archive *a, const char *key, int fd,
                         uint64_t size, const atomic_bool *cancel,
                         bool *existed, char *why, size_t whylen);
bb_err store_archive_open(store_archive *a, const char *key, uint64_t off,
                          uint64_t len, store_archive_rd **rdp);

// store_archive_rd_read reads from rd (see store_archive_rd.read); for a
// file-backed reader it preads the range.
bb_err store_archive_rd_read(store_archive_rd *rd, void *buf, size_t max,
                             size_t *n);

// store_archive_rd_take_fd hands over the plain file of a file-backed
// reader, for sendfile: on BB_OK the caller owns *fdp, the range starts
// at *offp, and rd no longer holds the descriptor (close rd as usual).
// BB_ENOTSUP if rd is a transfer (read it with store_archive_rd_read).
bb_err store_archive_rd_take_fd(store_archive_rd *rd, int *fdp,
                                uint64_t *offp);

// store_archive_rd_close frees rd.  NULL is a no-op.
void store_archive_rd_close(store_archive_rd *rd);

#endif // STORAGE_ARCHIVE_H
