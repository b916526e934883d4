// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/s3rver.h -- a real S3 protocol server for tests: s3rver (npm) run
// as a child process on 127.0.0.1, on a port the kernel picks, with its
// data in a directory of the test's.  It accepts the access key "S3RVER"
// (secret "S3RVER"), does not verify SigV4 signatures, and gives a
// multipart object the MD5 of its bytes as ETag (AWS gives md5-of-md5s-N).
// Not thread-safe: one test thread drives a server.
#ifndef TESTS_S3RVER_H
#define TESTS_S3RVER_H

#include <stddef.h>
#include <stdint.h>

#define BBT_S3_KEY_ID "S3RVER"
#define BBT_S3_SECRET "S3RVER"

typedef struct bbt_s3 bbt_s3;

// bbt_s3_start runs s3rver (the program named by the environment
// variable BB_S3RVER) on 127.0.0.1 port 0, with its data under dir
// (created if missing; borrowed) and each bucket of the NULL-terminated
// list buckets (may be NULL) created at start.  It returns once the
// server answers, waiting at most 20 s.  NULL on failure, with a message
// on stderr.  The caller owns the result; release with bbt_s3_stop().
// A server still running at exit is killed (atexit), and one whose test
// process dies is killed by the kernel (PR_SET_PDEATHSIG: start it from
// the thread that lives as long as the test, normally the main one).
bbt_s3 *bbt_s3_start(const char *dir, const char *const *buckets);

// bbt_s3_endpoint is "http://127.0.0.1:<port>".  Borrowed from s.
const char *bbt_s3_endpoint(const bbt_s3 *s);

// bbt_s3_port is the port s listens on (kept across pause and resume).
uint16_t bbt_s3_port(const bbt_s3 *s);

// bbt_s3_pause stops the server (SIGTERM, then SIGKILL after 10 s) and
// waits for it; its data and port are kept for bbt_s3_resume.
void bbt_s3_pause(bbt_s3 *s);

// bbt_s3_resume starts the paused server again on the same port and
// data.  0 once it answers, -1 (message on stderr) otherwise.
int bbt_s3_resume(bbt_s3 *s);

// bbt_s3_stop stops the server and frees s; the data directory is left
// for the caller to remove.  NULL is a no-op.
void bbt_s3_stop(bbt_s3 *s);

// bbt_s3_object_path writes where s3rver keeps the bytes of object key of
// bucket into buf (len bytes): <dir>/<bucket>/<key>._S3rver_object, the
// layout of s3rver's lib/stores/filesystem.js on Unix (which also
// normalises "." and ".." elements of the key as path.join does; this
// does not).  0 on success, -1 if it does not fit.
int bbt_s3_object_path(const bbt_s3 *s, const char *bucket, const char *key,
                       char *buf, size_t len);

#endif // TESTS_S3RVER_H
