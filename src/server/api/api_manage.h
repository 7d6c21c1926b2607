/*
 * api_manage: the administration handlers of issue 5 beyond the first
 * minimal set in api.h — groups, targeting settings, approvals with
 * inheritance, license terms and prerequisites, declines, supersedence,
 * auto-approval rules, admin tokens, the audit log and reports. Each
 * change is recorded in the audit log (audit.h) in its own transaction.
 */
#ifndef SLUICE_SERVER_API_MANAGE_H
#define SLUICE_SERVER_API_MANAGE_H

#include <stdbool.h>

#include "config.h"
#include "http.h"

/* api_groups.c */
int api_groups_update(struct req *r, struct reply *out, struct err *e);
int api_groups_delete(struct req *r, struct reply *out, struct err *e);
int api_settings_get(struct req *r, struct reply *out, struct err *e);
int api_settings_put(struct req *r, struct reply *out, struct err *e);

/* api_approvals.c */
int api_updates_show(struct req *r, struct reply *out, struct err *e);
int api_updates_decline(struct req *r, struct reply *out, struct err *e);
int api_updates_decline_superseded(struct req *r, struct reply *out,
                                   struct err *e);

/* api_rules.c */
int api_rules_list(struct req *r, struct reply *out, struct err *e);
int api_rules_create(struct req *r, struct reply *out, struct err *e);
int api_rules_delete(struct req *r, struct reply *out, struct err *e);
int api_rules_run(struct req *r, struct reply *out, struct err *e);

/* api_tokens.c */
int api_tokens_list(struct req *r, struct reply *out, struct err *e);
int api_tokens_create(struct req *r, struct reply *out, struct err *e);
int api_tokens_revoke(struct req *r, struct reply *out, struct err *e);
int api_audit_list(struct req *r, struct reply *out, struct err *e);

/* api_membership.c */
int api_admin_computer_group_add(struct req *r, struct reply *out,
                                 struct err *e);
int api_admin_computer_group_remove(struct req *r, struct reply *out,
                                    struct err *e);
int api_admin_computer_delete(struct req *r, struct reply *out, struct err *e);

/* api_lookup.c */
int api_lookup_updates(struct req *r, struct reply *out, struct err *e);

/* api_storage.c: the storage mode in effect, and a change of it inside
 * the caller's transaction (restored by the caller's rollback only for
 * the database: call on the last step before commit); after the commit,
 * api_storage_changed wakes the fetch thread. */
enum storage_mode api_storage_mode(const struct req *r);
int api_storage_set(bool *changed, struct req *r, const char *name,
                    const char *actor, struct err *e);
void api_storage_changed(struct req *r);

/* api_reports.c */
int api_update_filter_check(const struct req *r, struct err *e);
int api_report_updates(struct req *r, struct reply *out, struct err *e);
int api_report_update(struct req *r, struct reply *out, struct err *e);
int api_report_computers(struct req *r, struct reply *out, struct err *e);
/* 1 when update row u (with its counts) is filtered out by the request's
 * query (classification, product, search, needed, failed, declined). */
int api_update_filtered(const struct req *r, json_t *u, json_t *counts);

/* Shared by the handlers (api_groups.c). */
/* The request's actor name (admin token name) for audit and records. */
int api_actor(char *out, size_t n, const struct req *r, struct err *e);
/* A query-string argument or NULL. */
const char *api_query(const struct req *r, const char *key);
/* A valid group name: 1-128 bytes, no control characters, no '/'. */
int api_group_name_ok(const char *s, struct err *e);

#endif
