/*
 * api: the request handlers the route table (routes.c) points to. Each
 * takes the request, fills the reply, and returns SL_OK or an error that
 * the HTTP layer turns into a JSON error body.
 */
#ifndef SLUICE_SERVER_API_H
#define SLUICE_SERVER_API_H

#include "http.h"

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

/* content.c */
int content_get(struct req *r, struct reply *out, struct err *e);

/* Shared JSON helpers (api_json.c). */
/* Optional string member: NULL when absent or null; SL_EINVAL when of
 * another type or longer than max bytes. */
int api_opt_str(const char **out, json_t *obj, const char *key, size_t max,
                struct err *e);
/* Required non-empty string member. */
int api_req_str(const char **out, json_t *obj, const char *key, size_t max,
                struct err *e);
/* RFC 3339 text of a unix time, or JSON null when t is SQL NULL. */
json_t *api_time_or_null(sqlite3_stmt *st, int col);
/* Text column as a JSON string, or null. */
json_t *api_text_or_null(sqlite3_stmt *st, int col);

#endif
