/*
 * upstream_call: how a downstream sluiced calls its upstream sluiced
 * (sync_sluiced.c for the catalog, replica.c for groups, approvals and
 * the status roll-up).
 */
#ifndef SLUICE_SERVER_UPSTREAM_CALL_H
#define SLUICE_SERVER_UPSTREAM_CALL_H

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "err.h"

#define UPSTREAM_ANSWER_CAP (256u << 20) /* one answer (a page of changes) */

/* Append cfg's upstream URL without trailing '/' to b. */
int upstream_base_url(struct buf *b, const struct server_config *cfg,
                      struct err *e);

/* Call the upstream sluiced: METHOD <upstream_url><path> with the
 * downstream token and body (may be NULL; not consumed). A 2xx JSON object
 * answer goes to *out (json_decref()); any other answer is an error whose
 * message carries the upstream's own error text. */
int sluiced_call(json_t **out, const struct server_config *cfg,
                 const char *method, const char *path, const json_t *body,
                 struct err *e);

#endif
