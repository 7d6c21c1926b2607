/*
 * content_send (csend_): sluiced's own sender of update files on the plain
 * listener, beside libmicrohttpd. libmicrohttpd 0.9.75 sends at most
 * 128 KiB per sendfile() in its event-loop modes (783 calls and as many
 * trips through its loop per 100 MB answer, nginx 52); this sender sends
 * up to 2 MiB per call and answers only the requests it is sure of.
 *
 * It owns the plain listening socket: its threads accept, and look at each
 * connection's first bytes without taking them (MSG_PEEK). A complete
 * GET or HEAD /content/<sha256> head (content_head.h) whose file is in the
 * store is answered here (200, 206 or 304); the head is taken from the
 * socket only then. Every other connection is handed, untaken bytes and
 * all, to libmicrohttpd (MHD_add_connection()), which answers it and any
 * later request on it as before, with its connection limits, deadlines
 * and errors (a missing file's 404, an unsatisfiable range's 416, a bad
 * request's 400). A connection that sends nothing within CSEND_FIRST_MS of
 * being accepted, or nothing within CSEND_KEPT_MS of its last answer here,
 * is handed over the same way, so idle and slow connections are
 * libmicrohttpd's to limit and cut.
 *
 * At most max_conns connections are held here (a new one over that goes
 * to libmicrohttpd at once); one that makes no progress while being
 * answered for idle_timeout seconds is closed. Each answer gets its access
 * log line and its metrics, as libmicrohttpd's do.
 */
#ifndef SLUICE_SERVER_HTTP_CONTENT_SEND_H
#define SLUICE_SERVER_HTTP_CONTENT_SEND_H

#include <microhttpd.h>

#include "err.h"

#define CSEND_FIRST_MS 250        /* a new connection's head must arrive by */
#define CSEND_KEPT_MS  5000       /* the next head after an answer here */
#define CSEND_CHUNK    (2u << 20) /* bytes per sendfile() */

struct csend_config {
	const char *content_dir; /* DIR/<aa>/<sha256> */
	unsigned int threads;
	unsigned int max_conns;
	unsigned int idle_timeout; /* seconds */
	int route_get, route_head; /* in routes[], for the metrics */
};

struct csend;

/* Start cfg->threads threads accepting on listen_fd (taken over, also on
 * failure) and handing what is not theirs to d, a libmicrohttpd daemon
 * started with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC. cfg->content_dir
 * must outlive the sender. Stop with csend_stop() before d. */
int csend_start(struct csend **out, int listen_fd, struct MHD_Daemon *d,
                const struct csend_config *cfg, struct err *e);
/* Stop the threads, close the connections held and the listening socket;
 * NULL-safe. */
void csend_stop(struct csend *s);

#endif
