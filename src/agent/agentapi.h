/*
 * agentapi: the agent side of the sluiced agent protocol (/v1/agent/...):
 * register, sync and report, as JSON over httpc. An HTTP 401 is SL_EAUTH
 * (the server does not know this computer's token), another 4xx except
 * 408/429 SL_EINVAL (the request is refused as such: sending it again
 * will not help), anything else SL_ENET; the message carries the server's
 * error text.
 */
#ifndef SLUICE_AGENTAPI_H
#define SLUICE_AGENTAPI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "agentstate.h"
#include "err.h"

#define AGENTAPI_SYNC_MAX (256u << 20) /* largest sync answer accepted */

struct agentapi_host {
	const char *hostname, *os_id, *os_version, *arch, *kernel;
	char *const *groups;        /* NULL-terminated; may be NULL */
	const char *enrollment_key; /* may be NULL (open registration) */
	const char *machine_id;     /* may be NULL */
};

/* What registration answered besides the identity: the groups joined and
 * the requested ones that do not exist, comma-separated (free with
 * free(); "" when none). */
struct agentapi_joined {
	char *groups, *unknown;
};

struct agentapi_sync {
	bool full;
	char *anchor;
	struct as_entry *entries; /* free with agentapi_sync_clear() */
	size_t n;
	char **removed;
	size_t n_removed;
	char *next; /* the next page's cursor; NULL on the last page */
	/* First page: the origin's key list and timestamp as the server
	 * passes them on (compact JSON text), NULL when absent. */
	char *origin_keys;
	char *origin_timestamp;
};

/* The proxy every request to the server goes through (NULL or "":
 * none); set once after the configuration is read. */
void agentapi_set_proxy(const char *url);
/* The proxy set above, for other transfers (downloads); NULL if none. */
const char *agentapi_proxy(void);

/* The request bodies of register and sync, exactly as the agent sends
 * them (JSON_COMPACT); bench/fleet_client sends the same. New references
 * (json_decref()); NULL when out of memory. */
json_t *agentapi_register_body(const struct agentapi_host *h);
json_t *agentapi_sync_body(const char *anchor, const char *cursor);

/* POST /v1/agent/register. *id and *token are freed with free(). */
int agentapi_register(char **id, char **token, struct agentapi_joined *j,
                      const char *server, const struct agentapi_host *h,
                      struct err *e);

/* POST /v1/agent/sync (protocol 2: every update not declined, with its
 * approval or "none") with anchor (NULL for a full sync); cursor is NULL
 * for the first page, then the previous page's next. */
int agentapi_sync(struct agentapi_sync *out, const char *server,
                  const char *token, const char *anchor, const char *cursor,
                  struct err *e);
void agentapi_sync_clear(struct agentapi_sync *s);

/* POST /v1/agent/report; *events_new (may be NULL) gets how many events
 * the server stored as new. */
int agentapi_report(const char *server, const char *token, const json_t *body,
                    long long *events_new, struct err *e);

#endif
