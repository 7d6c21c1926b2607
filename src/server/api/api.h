/*
 * api: the request handlers the route table (routes.c) points to. Each
 * takes the request, fills the reply, and returns SL_OK or an error that
 * the HTTP layer turns into a JSON error body.
 */
#ifndef SLUICE_SERVER_API_H
#define SLUICE_SERVER_API_H

#include "http.h"
#include "jsonx.h"

/* api_agent.c */
int api_agent_register(struct req *r, struct reply *out, struct err *e);
int api_agent_sync(struct req *r, struct reply *out, struct err *e);
int api_agent_report(struct req *r, struct reply *out, struct err *e);

/* api_admin.c */
int api_admin_sync(struct req *r, struct reply *out, struct err *e);
int api_admin_sync_history(struct req *r, struct reply *out, struct err *e);
int api_admin_updates(struct req *r, struct reply *out, struct err *e);
int api_admin_groups(struct req *r, struct reply *out, struct err *e);
int api_admin_group_create(struct req *r, struct reply *out, struct err *e);
int api_admin_computers(struct req *r, struct reply *out, struct err *e);
int api_admin_computer_move(struct req *r, struct reply *out, struct err *e);
int api_admin_computer_status(struct req *r, struct reply *out, struct err *e);
int api_admin_approve(struct req *r, struct reply *out, struct err *e);

/* api_upstream.c: the server-to-server API (downstream token) and the
 * administration of downstream servers. */
int api_upstream_changes(struct req *r, struct reply *out, struct err *e);
int api_upstream_replica(struct req *r, struct reply *out, struct err *e);
int api_upstream_rollup(struct req *r, struct reply *out, struct err *e);
int api_admin_downstream_add(struct req *r, struct reply *out, struct err *e);
int api_admin_downstream_list(struct req *r, struct reply *out, struct err *e);
int api_admin_downstream_remove(struct req *r, struct reply *out,
                                struct err *e);
/* content.c */
int content_get(struct req *r, struct reply *out, struct err *e);

/* Shared JSON helpers (api_json.c). */
/* Reply {key: [what fn appends]} (a store listing function). */
typedef int (*api_list_fn)(json_t *arr, struct store *s, struct err *e);
int api_list_reply(struct reply *out, struct store *s, const char *key,
                   api_list_fn fn, struct err *e);
/* RFC 3339 text of a unix time (JSON null if it cannot be written). */
json_t *api_time(int64_t t);
/* The URL this server hands out for a file (to its agents and to its
 * downstream servers): its own <base>/content/<sha256>, or in storage
 * mode none the upstream's URL. */
void api_content_url(char *out, size_t n, const struct req *r, const char *base,
                     const char *sha256, const char *upstream_url);

#endif
