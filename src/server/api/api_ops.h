/*
 * api_ops: the operator endpoints. GET /healthz (liveness: the process
 * answers; never touches the database), GET /readyz (the database answers
 * at the schema this binary wants; the age of the last successful upstream
 * sync is reported), GET /metrics (metrics.h). On the main listener
 * /healthz and /readyz need no token and /metrics needs [metrics] token
 * (or, when that is empty, an administrator or reporter token); the
 * optional separate listener ([metrics] listen) answers the three without
 * authentication and nothing else.
 */
#ifndef SLUICE_SERVER_API_OPS_H
#define SLUICE_SERVER_API_OPS_H

#include "http.h"

int api_healthz(struct req *r, struct reply *out, struct err *e);
int api_readyz(struct req *r, struct reply *out, struct err *e);
int api_metrics(struct req *r, struct reply *out, struct err *e);

struct ops_listener;

/* Listen on cfg->metrics_addr:metrics_port (one thread, its own database
 * connection). *out = NULL and SL_OK when [metrics] listen is empty. Free
 * with ops_listener_stop(). */
int ops_listener_start(struct ops_listener **out, const struct http_env *env,
                       struct err *e);
/* NULL-safe. */
void ops_listener_stop(struct ops_listener *l);

#endif
