/*
 * connlimit: what keeps sluiced answering under a flood of connections
 * (docs/security.md, "Connection limits"): a global connection limit sized
 * from the file-descriptor limit, a per-address limit, a deadline for
 * receiving a request's headers and body (slowloris), an idle timeout and
 * a bounded listen backlog, all from [limits] in the configuration.
 *
 * libmicrohttpd enforces the counts, the idle timeout and the backlog;
 * its timeout restarts with every byte, so the deadline is kept here:
 * every connection is tracked from accept (MHD_OPTION_NOTIFY_CONNECTION)
 * and a reaper thread shuts down the socket of any connection whose
 * request has not fully arrived by its deadline, which libmicrohttpd then
 * closes as a client hang-up. A request being answered has no deadline
 * (a long download is not cut); the next request on a kept-alive
 * connection gets a new one.
 *
 * On the plain listener the content sender (content_send.h) accepts and
 * hands libmicrohttpd every connection it does not answer itself, at
 * most 0.25 s after the accept (5 s after an answer of its own): these
 * limits and the deadline count from the hand-over.
 */
#ifndef SLUICE_SERVER_HTTP_CONNLIMIT_H
#define SLUICE_SERVER_HTTP_CONNLIMIT_H

#include <microhttpd.h>

#include "config.h"
#include "err.h"

/* Options connlimit_options() appends at most. */
#define CONNLIMIT_N_OPTIONS 6

struct connlimit;

/* Raise the soft RLIMIT_NOFILE to the hard one, size the connection limit
 * and start the reaper thread. Free with connlimit_free(). */
int connlimit_new(struct connlimit **out, const struct server_config *cfg,
                  struct err *e);
/* Stop the reaper (after the listeners are stopped). NULL-safe. */
void connlimit_free(struct connlimit *l);

/* One listener's part of the global limit, when share listeners divide
 * it (at least 1). */
unsigned int connlimit_share(const struct connlimit *l, unsigned int share);

/* Append the MHD options for one listener of at most max connections to
 * opts (room for CONNLIMIT_N_OPTIONS); returns how many were appended. */
size_t connlimit_options(struct connlimit *l, struct MHD_OptionItem *opts,
                         unsigned int max);

/* The global connection limit in effect (all listeners). */
unsigned int connlimit_max_connections(const struct connlimit *l);

/* A request has fully arrived: no deadline while it is answered. */
void connlimit_request_received(struct MHD_Connection *c);
/* A request is over: the connection's next request has a new deadline. */
void connlimit_request_done(struct connlimit *l, struct MHD_Connection *c);

#endif
