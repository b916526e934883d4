// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// rpc/guard.c -- the handshake deadline of RPC connections, which
// libnng 1.5.2 does not keep for tls+tcp: its listener gives each new
// connection 10 s to negotiate, but the timeout is delivered to the send
// side of the TLS stream while the handshake waits for the ClientHello on
// the receive side, so it is lost and a connection that never sends a
// byte is held forever (1,100 of them exhausted a node's descriptors).
// NNG shows a connection to us only once it is a pipe (after the
// handshake and the SP header), so the guard looks at the process's
// sockets instead: every 500 ms it lists the connections accepted on the
// RPC port (/proc/self/fd) that are not admitted pipes, and shuts down
// those older than rpc_handshake_timeout and the oldest beyond
// rpc_max_handshakes (rpc_max_handshakes_per_address from one address).
// NNG then sees the connection fail and closes it as it would any broken
// one, as gateway/conn.c does for libmicrohttpd.  Linux only (/proc).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/rpc_impl.h"

#define GUARD_SWEEP_NS (500 * BB_NS_PER_MS)

// A peer endpoint: what identifies a connection of the RPC port.
typedef struct guard_peer {
	uint8_t  addr[16]; // IPv4 in the first 4 bytes
	uint16_t port;     // network order
	uint8_t  v6;
} guard_peer;

// An admitted pipe.
typedef struct guard_pipe {
	uint32_t   id;
	guard_peer peer;
} guard_pipe;

// A connection not admitted yet, as one sweep saw it.
typedef struct guard_conn {
	ino_t      ino; // the socket's identity
	int        fd;  // NNG's descriptor when seen
	int64_t    first_ns;
	guard_peer peer;
	bool       cut;
} guard_conn;

struct rpc__guard {
	int64_t         timeout_ns;
	uint32_t        max_total;
	uint32_t        max_per_addr;
	uint16_t        port;     // host order; 0 until started
	guard_peer      local;    // the listen address (port unused)
	bool            wildcard; // listening on every address
	pthread_mutex_t mu;       // guards pipes, npipes, stopping
	pthread_cond_t  cv;
	guard_pipe     *pipes; // owned
	size_t          npipes;
	size_t          cap;
	guard_conn     *seen; // owned: the last sweep's, sorted by ino
	size_t          nseen;
	atomic_uint     cut; // connections shut down so far
	// Kept open from the start, so that the guard works when a flood
	// has used every other descriptor of the process: the listing, and
	// a slot to look at one socket through (spare, which points at
	// devnull between uses).
	DIR      *dir;     // owned: /proc/self/fd
	int       devnull; // owned
	int       spare;   // owned
	pthread_t thread;
	bool      running;
	bool      stopping;
};

bb_err
rpc__guard_new(const bb_server_conf *sc, rpc__guard **gp)
{
	rpc__guard *g;

	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return BB_ENOMEM;
	}
	g->dir     = opendir("/proc/self/fd");
	g->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g->spare =
	    g->devnull >= 0 ? fcntl(g->devnull, F_DUPFD_CLOEXEC, 0) : -1;
	if (g->dir == NULL || g->spare < 0) {
		if (g->dir != NULL) {
			(void) closedir(g->dir);
		}
		if (g->devnull >= 0) {
			(void) close(g->devnull);
		}
		free(g);
		return BB_ESYS;
	}
	g->timeout_ns   = sc->rpc_handshake_timeout_ns;
	g->max_total    = sc->rpc_max_handshakes;
	g->max_per_addr = sc->rpc_max_handshakes_per_address;
	atomic_init(&g->cut, 0);
	(void) pthread_mutex_init(&g->mu, NULL);
	(void) bb_clock_cond_init(&g->cv);
	*gp = g;
	return BB_OK;
}

// guard_from_nng fills *p from an NNG address; false if not IP.
static bool
guard_from_nng(const nng_sockaddr *sa, guard_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (sa->s_family == NNG_AF_INET) {
		memcpy(p->addr, &sa->s_in.sa_addr, 4);
		p->port = sa->s_in.sa_port;
		return true;
	}
	if (sa->s_family == NNG_AF_INET6) {
		memcpy(p->addr, sa->s_in6.sa_addr, 16);
		p->port = sa->s_in6.sa_port;
		p->v6   = 1;
		return true;
	}
	return false;
}

// guard_from_sock fills *p from a socket address; false if not IP.
static bool
guard_from_sock(const struct sockaddr_storage *ss, guard_peer *p)
{
	const struct sockaddr_in  *in4 = (const struct sockaddr_in *) ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) ss;

	memset(p, 0, sizeof(*p));
	if (ss->ss_family == AF_INET) {
		memcpy(p->addr, &in4->sin_addr, 4);
		p->port = in4->sin_port;
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(p->addr, &in6->sin6_addr, 16);
		p->port = in6->sin6_port;
		p->v6   = 1;
		return true;
	}
	return false;
}

void
rpc__guard_admitted(rpc__guard *g, nng_pipe p)
{
	nng_sockaddr sa;
	guard_peer   peer;
	guard_pipe  *np;
	size_t       cap;

	memset(&sa, 0, sizeof(sa));
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0 ||
	    !guard_from_nng(&sa, &peer)) {
		return;
	}
	(void) pthread_mutex_lock(&g->mu);
	if (g->npipes == g->cap) {
		cap = g->cap == 0 ? 16 : g->cap * 2;
		np  = realloc(g->pipes, cap * sizeof(*np));
		if (np == NULL) {
			// Unknown to the guard, the pipe would be cut as a
			// stalled handshake: better to drop it now.
			(void) pthread_mutex_unlock(&g->mu);
			(void) nng_pipe_close(p);
			return;
		}
		g->pipes = np;
		g->cap   = cap;
	}
	g->pipes[g->npipes].id   = nng_pipe_id(p);
	g->pipes[g->npipes].peer = peer;
	g->npipes++;
	(void) pthread_mutex_unlock(&g->mu);
}

void
rpc__guard_removed(rpc__guard *g, nng_pipe p)
{
	uint32_t id = (uint32_t) nng_pipe_id(p);
	size_t   i;

	(void) pthread_mutex_lock(&g->mu);
	for (i = 0; i < g->npipes; i++) {
		if (g->pipes[i].id == id) {
			g->pipes[i] = g->pipes[--g->npipes];
			break;
		}
	}
	(void) pthread_mutex_unlock(&g->mu);
}

// guard_admitted_locked says whether peer is an admitted pipe; g->mu held.
static bool
guard_admitted_locked(const rpc__guard *g, const guard_peer *peer)
{
	size_t i;

	for (i = 0; i < g->npipes; i++) {
		if (memcmp(&g->pipes[i].peer, peer, sizeof(*peer)) == 0) {
			return true;
		}
	}
	return false;
}

static int
guard_by_ino(const void *a, const void *b)
{
	const guard_conn *x = a;
	const guard_conn *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

// Oldest first within each address: the guard cuts the oldest beyond a
// limit, which are the likeliest to be stalled (a real handshake takes
// milliseconds).
static int
guard_by_addr_age(const void *a, const void *b)
{
	const guard_conn *x = a;
	const guard_conn *y = b;
	int               c;

	c = memcmp(x->peer.addr, y->peer.addr, sizeof(x->peer.addr));
	if (c == 0) {
		c = (int) x->peer.v6 - (int) y->peer.v6;
	}
	if (c != 0) {
		return c;
	}
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

static int
guard_by_age(const void *a, const void *b)
{
	const guard_conn *x = a;
	const guard_conn *y = b;

	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

// guard_release points g->spare back at /dev/null, which lets go of the
// socket guard_dup put there.
static void
guard_release(rpc__guard *g)
{
	(void) dup2(g->devnull, g->spare);
	(void) fcntl(g->spare, F_SETFD, FD_CLOEXEC);
}

// guard_dup puts a duplicate of fd in g->spare and returns it, if fd is
// still the socket ino (a descriptor NNG closed may be reused by then);
// -1 if not.  The duplicate keeps the socket alive while the guard looks
// at it, and takes no new descriptor; guard_release after use.
static int
guard_dup(rpc__guard *g, int fd, ino_t ino)
{
	struct stat st;

	// dup2 closes what spare held, /dev/null, and takes its slot.
	if (dup2(fd, g->spare) < 0) {
		return -1;
	}
	(void) fcntl(g->spare, F_SETFD, FD_CLOEXEC);
	if (fstat(g->spare, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_ino != ino) {
		guard_release(g);
		return -1;
	}
	return g->spare;
}

// guard_inspect fills *c when fd is a connection accepted on the RPC
// port that is not an admitted pipe.
static bool
guard_inspect(rpc__guard *g, int fd, ino_t ino, guard_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	guard_peer              local;
	bool                    ok = false;
	int                     d;

	d = guard_dup(g, fd, ino);
	if (d < 0) {
		return false;
	}
	len = sizeof(ss);
	// The HTTP port may have the same number on another address.
	if (getsockname(d, (struct sockaddr *) &ss, &len) != 0 ||
	    !guard_from_sock(&ss, &local) || ntohs(local.port) != g->port ||
	    (!g->wildcard &&
	     (local.v6 != g->local.v6 ||
	      memcmp(local.addr, g->local.addr, sizeof(local.addr)) != 0))) {
		goto done;
	}
	len = sizeof(ss);
	// The listening socket has no peer.
	if (getpeername(d, (struct sockaddr *) &ss, &len) != 0 ||
	    !guard_from_sock(&ss, &c->peer)) {
		goto done;
	}
	(void) pthread_mutex_lock(&g->mu);
	ok = !guard_admitted_locked(g, &c->peer);
	(void) pthread_mutex_unlock(&g->mu);
	c->fd  = fd;
	c->ino = ino;
done:
	guard_release(g);
	return ok;
}

// guard_cut shuts down c's socket unless it became a pipe meanwhile.
static void
guard_cut(rpc__guard *g, guard_conn *c)
{
	bool admitted;
	int  d;

	if (c->cut) {
		return;
	}
	c->cut = true;
	(void) pthread_mutex_lock(&g->mu);
	admitted = guard_admitted_locked(g, &c->peer);
	(void) pthread_mutex_unlock(&g->mu);
	d = admitted ? -1 : guard_dup(g, c->fd, c->ino);
	if (d < 0) {
		return;
	}
	(void) shutdown(d, SHUT_RDWR);
	guard_release(g);
	atomic_fetch_add(&g->cut, 1);
}

// guard_scan lists the connections not admitted yet into a new array
// (*np entries; caller frees), each with the time it was first seen.
static guard_conn *
guard_scan(rpc__guard *g, int64_t now_ns, size_t *np)
{
	guard_conn    *v = NULL, *nv, key, *old;
	size_t         n = 0, cap = 0;
	struct dirent *de;
	struct stat    st;
	int            fd;

	rewinddir(g->dir); // lists the descriptors open now
	while ((de = readdir(g->dir)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9') {
			continue;
		}
		// One fstat a descriptor (not a readlink of the /proc
		// entry): a node may hold thousands of data files.
		fd = atoi(de->d_name);
		if (fd == dirfd(g->dir) || fd == g->spare ||
		    fd == g->devnull || fstat(fd, &st) != 0 ||
		    !S_ISSOCK(st.st_mode)) {
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			nv  = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				break; // the next sweep tries again
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		if (!guard_inspect(g, fd, st.st_ino, &v[n])) {
			continue;
		}
		key.ino       = v[n].ino;
		old           = g->nseen > 0 ? bsearch(&key, g->seen, g->nseen,
		                                       sizeof(*g->seen), guard_by_ino)
		                             : NULL;
		v[n].first_ns = old != NULL ? old->first_ns : now_ns;
		n++;
	}
	*np = n;
	return v;
}

unsigned
rpc__guard_sweep(rpc__guard *g, int64_t now_ns)
{
	guard_conn *v;
	size_t      n, i, j, k, left;
	unsigned    before = atomic_load(&g->cut);

	v = guard_scan(g, now_ns, &n);
	if (n == 0) { // nothing to sort (qsort wants a real pointer)
		free(v);
		free(g->seen);
		g->seen  = NULL;
		g->nseen = 0;
		return 0;
	}
	// The deadline.
	for (i = 0; i < n; i++) {
		if (now_ns - v[i].first_ns >= g->timeout_ns) {
			guard_cut(g, &v[i]);
		}
	}
	// Per address: the oldest beyond the limit.
	qsort(v, n, sizeof(*v), guard_by_addr_age);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].peer.v6 == v[i].peer.v6 &&
		     memcmp(v[j].peer.addr, v[i].peer.addr,
		            sizeof(v[i].peer.addr)) == 0;
		     j++) {
		}
		left = 0;
		for (k = j; k > i; k--) { // newest first: keep those
			if (!v[k - 1].cut && ++left > g->max_per_addr) {
				guard_cut(g, &v[k - 1]);
			}
		}
	}
	// In all: the oldest beyond the limit.
	qsort(v, n, sizeof(*v), guard_by_age);
	left = 0;
	for (k = n; k > 0; k--) {
		if (!v[k - 1].cut && ++left > g->max_total) {
			guard_cut(g, &v[k - 1]);
		}
	}
	qsort(v, n, sizeof(*v), guard_by_ino);
	free(g->seen);
	g->seen  = v;
	g->nseen = n;
	return atomic_load(&g->cut) - before;
}

static void *
guard_main(void *arg)
{
	rpc__guard     *g = arg;
	struct timespec ts;
	int64_t         now, last_log = 0;
	unsigned        pending = 0; // cut and not logged yet

	(void) pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		(void) pthread_mutex_unlock(&g->mu);
		now = bb_clock_mono_ns();
		pending += rpc__guard_sweep(g, now);
		// A flood is logged once a second, not once a connection.
		if (pending > 0 && now - last_log >= BB_NS_PER_SEC) {
			bb_log_warn(
			    "rpc: closed %u connections that did not "
			    "complete their handshake in time, or were "
			    "too many at once (rpc_handshake_timeout, "
			    "rpc_max_handshakes, "
			    "rpc_max_handshakes_per_address)",
			    pending);
			pending  = 0;
			last_log = now;
		}
		(void) pthread_mutex_lock(&g->mu);
		ts = bb_clock_ts(now + GUARD_SWEEP_NS);
		(void) pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	(void) pthread_mutex_unlock(&g->mu);
	return NULL;
}

bb_err
rpc__guard_start(rpc__guard *g, const char *addr, uint16_t port)
{
	struct in6_addr a6;
	struct in_addr  a4;

	g->port     = port;
	g->wildcard = true;
	memset(&g->local, 0, sizeof(g->local));
	if (addr != NULL && inet_pton(AF_INET, addr, &a4) == 1) {
		memcpy(g->local.addr, &a4, 4);
		g->wildcard = a4.s_addr == htonl(INADDR_ANY);
	} else if (addr != NULL && inet_pton(AF_INET6, addr, &a6) == 1) {
		memcpy(g->local.addr, &a6, 16);
		g->local.v6 = 1;
		g->wildcard = IN6_IS_ADDR_UNSPECIFIED(&a6);
	}
	if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
		return BB_ESYS;
	}
	g->running = true;
	return BB_OK;
}

unsigned
rpc__guard_cut_count(rpc__guard *g)
{
	return atomic_load(&g->cut);
}

void
rpc__guard_free(rpc__guard *g)
{
	if (g == NULL) {
		return;
	}
	if (g->running) {
		(void) pthread_mutex_lock(&g->mu);
		g->stopping = true;
		(void) pthread_cond_signal(&g->cv);
		(void) pthread_mutex_unlock(&g->mu);
		(void) pthread_join(g->thread, NULL);
	}
	(void) pthread_cond_destroy(&g->cv);
	(void) pthread_mutex_destroy(&g->mu);
	(void) closedir(g->dir);
	(void) close(g->devnull);
	(void) close(g->spare);
	free(g->pipes);
	free(g->seen);
	free(g);
}
