// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/park_test.c -- suspend and resume (gateway/park.c) in a
// real libmicrohttpd daemon with one worker thread: an operation that
// ends inside its start, on another thread at once (racing the
// suspend), or later; every request answered exactly once, many parked
// at once on the one thread, none left counted, and the daemon stops
// cleanly.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "gateway/gateway_impl.h"

#define NCLIENTS 20
#define WAIT_MS  10000 // the bound of every wait

typedef enum {
	OP_INLINE, // ends inside its start
	OP_RACE,   // ends on another thread at once
	OP_SLOW,   // ends on another thread once all are in flight
} op_mode;

// One request's operation.
typedef struct op {
	gw__park park;
	op_mode  mode;
	bool     started;
	int      result; // written before gw__park_done
} op;

static gw_server   g; // only its parked counter is used
static atomic_uint max_parked;
static atomic_uint answered;
static atomic_uint slow_started; // slow operations started so far

static void
op_end(op *o)
{
	unsigned n = atomic_load(&g.parked);

	if (n > atomic_load(&max_parked)) {
		atomic_store(&max_parked, n); // one writer at a time is enough
	}
	o->result = 42;
	gw__park_done(&o->park);
}

static void *
op_thread(void *arg)
{
	op *o = arg;

	int64_t end = bb_clock_mono_ns() + WAIT_MS * BB_NS_PER_MS;

	// A slow operation ends once all of them have started (or after
	// WAIT_MS): with the one worker thread held by any of them, the
	// others could not even start.
	while (o->mode == OP_SLOW && atomic_load(&slow_started) < NCLIENTS &&
	       bb_clock_mono_ns() < end) {
		bb_clock_sleep_ns(BB_NS_PER_MS);
	}
	op_end(o);
	return NULL;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
        const char *method, const char *version, const char *data,
        size_t *size, void **con_cls)
{
	struct MHD_Response *resp;
	pthread_t            th;
	op                  *o = *con_cls;
	char                 text[32];
	enum MHD_Result      ret;

	(void) cls;
	(void) method;
	(void) version;
	(void) data;
	if (o == NULL) {
		o = calloc(1, sizeof(*o));
		assert_non_null(o);
		o->mode  = url[1] == 'i' ? OP_INLINE
		     : url[1] == 'r'     ? OP_RACE
		                         : OP_SLOW;
		*con_cls = o;
		return MHD_YES;
	}
	*size = 0;
	if (!o->started) {
		o->started = true;
		gw__park_arm(&o->park, &g, conn);
		if (o->mode == OP_SLOW) {
			atomic_fetch_add(&slow_started, 1);
		}
		if (o->mode == OP_INLINE) {
			op_end(o);
		} else {
			assert_int_equal(
			    pthread_create(&th, NULL, op_thread, o), 0);
			assert_int_equal(pthread_detach(th), 0);
		}
		if (!gw__park_wait(&o->park)) {
			return MHD_YES;
		}
	}
	assert_int_equal(o->result, 42);
	(void) snprintf(text, sizeof(text), "done %d", o->result);
	resp = MHD_create_response_from_buffer(strlen(text), text,
	                                       MHD_RESPMEM_MUST_COPY);
	ret  = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	atomic_fetch_add(&answered, 1);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
	op *o = *con_cls;

	(void) cls;
	(void) conn;
	(void) toe;
	if (o != NULL) {
		gw__park_gone(&o->park);
		free(o);
		*con_cls = NULL;
	}
}

static struct MHD_Daemon *
daemon_start(uint16_t *port)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon          *d;

	d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	        MHD_ALLOW_SUSPEND_RESUME,
	    0, NULL, NULL, handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, 1u,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	assert_non_null(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	*port = info->port;
	return d;
}

typedef struct {
	uint16_t port;
	char     path[16];
	char     got[512];
} client;

// client_main makes one HTTP/1.0 GET and keeps the answer (the server
// closes the connection after it).  Receives time out after 10 s.
static void *
client_main(void *arg)
{
	client            *c = arg;
	struct sockaddr_in sa;
	struct timeval     tv = { 10, 0 };
	char               req[64];
	size_t             have = 0;
	ssize_t            n;
	int                fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		return NULL;
	}
	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_port        = htons(c->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n",
		             c->path);
		if (write(fd, req, (size_t) n) == n) {
			while (have + 1 < sizeof(c->got)) {
				n = read(fd, c->got + have,
				         sizeof(c->got) - 1 - have);
				if (n <= 0) {
					break;
				}
				have += (size_t) n;
			}
		}
	}
	c->got[have] = '\0';
	(void) close(fd);
	return NULL;
}

// run makes n requests of path at once and checks every answer.
static void
run(uint16_t port, const char *path, int n)
{
	static client cl[NCLIENTS];
	pthread_t     th[NCLIENTS];
	int           i;

	assert_true(n <= NCLIENTS);
	for (i = 0; i < n; i++) {
		cl[i].port = port;
		(void) snprintf(cl[i].path, sizeof(cl[i].path), "%s", path);
		assert_int_equal(
		    pthread_create(&th[i], NULL, client_main, &cl[i]), 0);
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_non_null(strstr(cl[i].got, " 200 "));
		assert_non_null(strstr(cl[i].got, "\r\n\r\ndone 42"));
	}
}

static void
test_park(void **state)
{
	struct MHD_Daemon *d;
	uint16_t           port;
	int64_t            t0, ms;
	int                k;

	(void) state;
	memset(&g, 0, sizeof(g));
	atomic_init(&g.parked, 0);
	atomic_init(&max_parked, 0);
	atomic_init(&answered, 0);
	atomic_init(&slow_started, 0);
	d = daemon_start(&port);

	// Ends inside its start: no suspend at all.  Ends at once on
	// another thread: before or after the suspend, resumed once.
	for (k = 0; k < 10; k++) {
		run(port, "/inline", NCLIENTS);
		run(port, "/race", NCLIENTS);
	}
	// Slow: all parked at once on the one worker thread.
	t0 = bb_clock_mono_ns();
	run(port, "/slow", NCLIENTS);
	ms = (bb_clock_mono_ns() - t0) / BB_NS_PER_MS;
	print_message("%d slow operations on one thread: %lld ms, up to %u "
	              "parked at once\n",
	              NCLIENTS, (long long) ms, atomic_load(&max_parked));
	assert_int_equal(atomic_load(&max_parked), NCLIENTS);
	assert_int_equal(atomic_load(&answered), 21 * NCLIENTS);
	// Nothing counted any more: the daemon may stop.
	assert_true(gw__park_drain(&g, 5 * BB_NS_PER_SEC));
	MHD_stop_daemon(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_park),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
