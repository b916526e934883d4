// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/integration/harness.h -- start the real blobbyd ($BLOBBYD) as a
// child process in a temporary directory, read the port it bound back
// from its ready line, and talk to it with libcurl.  Implemented in
// harness.c (processes, clusters), harness_http.c (HTTP, sockets) and
// harness_files.c (files, logs, shell commands, certificates).
#ifndef TESTS_INTEGRATION_HARNESS_H
#define TESTS_INTEGRATION_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct bbt_node {
	pid_t pid;
	char  dir[256];  // the temporary directory, owned by the test
	char  conf[320]; // path of the configuration file
	char  url[128];  // "http://127.0.0.1:PORT"
	int   port;
	int   rpc_port;
} bbt_node;

typedef struct bbt_resp {
	long      status;
	char     *body; // owned, NUL-terminated
	size_t    len;
	size_t    cap; // allocated size of body
	char      ctype[128];
	long long content_length; // -1 if absent
	char      allow[64];
} bbt_resp;

// bbt_node_init makes the temporary directory of n.
void bbt_node_init(bbt_node *n);

// bbt_node_start writes conf_text (every "@DIR@" replaced by n->dir) to
// the configuration file and starts blobbyd with it; fails the test if
// it does not print its ready line within 20 s.
void bbt_node_start(bbt_node *n, const char *conf_text);

// bbt_node_write_conf writes conf_text to n's configuration file, every
// "@DIR@" replaced by n->dir (a reload test edits it so).
void bbt_node_write_conf(const bbt_node *n, const char *conf_text);

// bbt_node_try_start starts blobbyd like bbt_node_start but returns its
// exit status (or -1 when it became ready, which leaves it running), and
// its standard error in errbuf.
int bbt_node_try_start(bbt_node *n, const char *conf_text, char *errbuf,
                       size_t errlen);

// bbt_node_stop sends sig and waits up to 30 s (then SIGKILL); returns the
// exit status, or 128+signal if it died of a signal.
int bbt_node_stop(bbt_node *n, int sig);

// bbt_node_cleanup removes the temporary directory.
void bbt_node_cleanup(bbt_node *n);

// bbt_http makes one request (60 s timeout) and fills *r; body may be
// NULL.  Returns r->status, or -1 on a transport error.
long bbt_http(const char *method, const char *url, const void *body,
              size_t len, bbt_resp *r);

// bbt_http_chunked sends body with Transfer-Encoding: chunked.
long bbt_http_chunked(const char *url, const void *body, size_t len,
                      bbt_resp *r);

// bbt_resp_free frees what r owns.
void bbt_resp_free(bbt_resp *r);

// bbt_connect opens a TCP connection to 127.0.0.1:port (-1 on error).
int bbt_connect(int port);

// bbt_fmt is snprintf into buf[0..len) that fails the test when the text
// does not fit (a cut URL or path would test something else).
void bbt_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// bbt_free_port returns a TCP port of 127.0.0.1 that was free a moment
// ago (for configurations that must name a peer's port before it starts),
// below the kernel's ephemeral range, never the same one twice in a test.
int bbt_free_port(void);

// bbt_conf_peers appends to buf[off..cap) a [remote.<j+1>] section on
// 127.0.0.1 with RPC port rpc_ports[j] for every node j of n but self
// (machine ids are node index + 1), and returns the new offset: the peers
// of one node of a loopback cluster.
size_t bbt_conf_peers(char *buf, size_t cap, size_t off, int self, int n,
                      const int *rpc_ports);

// A loopback cluster: n nodes, machine ids 1..n, each the others' peer,
// on RPC ports fixed before any starts (every configuration names them).
#define BBT_CLUSTER_MAX 4

typedef struct bbt_cluster {
	int      n; // nodes made by bbt_cluster_init
	int      rpc_ports[BBT_CLUSTER_MAX];
	bbt_node nodes[BBT_CLUSTER_MAX];
	char     conf[BBT_CLUSTER_MAX][4096]; // each node's, kept for restarts
} bbt_cluster;

// bbt_cluster_init picks n free RPC ports and makes the nodes' temporary
// directories; nothing runs yet.
void bbt_cluster_init(bbt_cluster *c, int n);

// bbt_cluster_conf_head writes the start of node i's configuration into
// c->conf[i]: its machine id, quick archive retries (100 ms up to
// 500 ms), its log file, a [client] section with the keys of client
// (none when NULL), [server] on 127.0.0.1 with its RPC port, and every
// other node as a peer.  Returns the offset where the caller appends its
// namespaces.
size_t bbt_cluster_conf_head(bbt_cluster *c, int i, const char *client);

// bbt_cluster_start starts every node with its c->conf[i].
void bbt_cluster_start(bbt_cluster *c);

// bbt_cluster_stop continues a node a failed test left stopped (a
// stopped process would sit out SIGTERM's 30 s), stops every running
// node and removes the directories.  Safe after a partial start.
void bbt_cluster_stop(bbt_cluster *c);

// bbt_wait_writable waits until node n acknowledges an insert into
// namespace ns (a node takes inserts once its peers accept replicas);
// fails the test after ms milliseconds.
void bbt_wait_writable(const bbt_node *n, const char *ns, int ms);

// bbt_data_files counts the non-empty data files (<fid>, r-<fid>) in
// the namespace directory dir (0 if it cannot be read).
int bbt_data_files(const char *dir);

// bbt_file_has says whether the file at path contains text (its first
// 256 KiB), looking again every 50 ms for up to ms milliseconds.
bool bbt_file_has(const char *path, const char *text, int ms);

// bbt_log_has is bbt_file_has for the log of node n (<dir>/blobbyd.log).
bool bbt_log_has(const bbt_node *n, const char *text, int ms);

// bbt_sleep_ms sleeps for ms milliseconds.
void bbt_sleep_ms(int ms);

// bbt_sh runs the shell command fmt (printf-style) quietly; the test
// fails if it fails.
void bbt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// bbt_sh_out runs the shell command fmt (printf-style) and puts what it
// wrote on standard output in out (NUL-ended, at most cap - 1 bytes; add
// 2>&1 for standard error too).  Returns its exit status, or 128 + the
// signal that ended it.
int bbt_sh_out(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// bbt_pki_ca makes <dir>/<name>.crt and <name>.key, a self-signed EC CA
// (the openssl command); fails the test if it cannot.
void bbt_pki_ca(const char *dir, const char *name);

// bbt_pki_node makes <dir>/<name>.crt and <name>.key, signed by the CA
// <dir>/<ca>.crt and .key.
void bbt_pki_node(const char *dir, const char *name, const char *ca);

// bbt_fill fills buf with bytes from a seeded generator.
void bbt_fill(void *buf, size_t n, unsigned seed);

#endif // TESTS_INTEGRATION_HARNESS_H
