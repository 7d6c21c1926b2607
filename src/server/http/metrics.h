/*
 * metrics: sluiced's counters and their Prometheus text exposition
 * (GET /metrics, version 0.0.4 of the format).
 *
 * Counters that move on every request (requests by route and status, the
 * duration histogram, content bytes) are relaxed atomics in static arrays
 * indexed by the route's position in the route table: no lock, no
 * allocation, a few atomic adds per request. Everything else (events,
 * computers by last contact, syncs, downloads, database size) is read from
 * the store when /metrics is asked, so it costs nothing in between.
 */
#ifndef SLUICE_SERVER_HTTP_METRICS_H
#define SLUICE_SERVER_HTTP_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "store/store.h"

#define METRICS_ROUTES_MAX 96 /* routes in routes.c; one more = no route */
#define METRICS_BODY_MAX   (1u << 20)

/* One finished request: route is its index in routes[] or -1 (none
 * matched); bytes of the body sent; usec from the first byte read to the
 * last byte queued. */
void metrics_request(int route, int status, uint64_t bytes, uint64_t usec);

/* A download of the fetch thread starts (+1) or ends (-1). */
void metrics_download_running(int delta);
/* Bytes a download wrote (also of failed attempts). */
void metrics_download_bytes(uint64_t n);

/* Append the exposition of every metric to out (a buf with its cap);
 * db may be NULL (then only the request counters). */
int metrics_render(struct buf *out, struct store *db,
                   const struct server_config *cfg, struct err *e);

#endif
