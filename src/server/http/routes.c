/*
 * routes: the one table of sluiced's HTTP endpoints (method, path pattern,
 * handler, required role). docs/protocol.md documents each of them.
 */
#include <string.h>

#include "api.h"
#include "api_console.h"
#include "api_enroll.h"
#include "api_maint.h"
#include "api_manage.h"
#include "api_ops.h"

const struct route routes[] = {
        /* agents */
        {"POST", "/v1/agent/register", api_agent_register, AUTH_NONE, 0},
        {"POST", "/v1/agent/sync", api_agent_sync, AUTH_COMPUTER, 0},
        {"POST", "/v1/agent/report", api_agent_report, AUTH_COMPUTER, 0},
        /* content store (no database on this path) */
        {"GET", "/content/*", content_get, AUTH_NONE, 1},
        {"HEAD", "/content/*", content_get, AUTH_NONE, 1},
        /* operators (api_ops.h): liveness, readiness, metrics */
        {"GET", "/healthz", api_healthz, AUTH_NONE, 1},
        {"GET", "/readyz", api_readyz, AUTH_NONE, 0},
        {"GET", "/metrics", api_metrics, AUTH_NONE, 0},
        /* administration */
        {"POST", "/v1/admin/sync", api_admin_sync, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/sync/history", api_maint_sync_history, AUTH_ADMIN,
         0},
        {"GET", "/v1/admin/sync/progress", api_maint_sync_progress, AUTH_ADMIN,
         0},
        {"GET", "/v1/admin/updates", api_admin_updates, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/groups", api_admin_groups, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/groups", api_admin_group_create, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/computers", api_admin_computers, AUTH_ADMIN, 0},
        {"PUT", "/v1/admin/computers/*/group", api_admin_computer_move,
         AUTH_ADMIN, 0},
        {"POST", "/v1/admin/computers/*/groups", api_admin_computer_group_add,
         AUTH_ADMIN, 0},
        {"DELETE", "/v1/admin/computers/*/groups/*",
         api_admin_computer_group_remove, AUTH_ADMIN, 0},
        {"DELETE", "/v1/admin/computers/*", api_admin_computer_delete,
         AUTH_ADMIN, 0},
        {"GET", "/v1/admin/lookup/updates", api_lookup_updates, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/computers/*/status", api_admin_computer_status,
         AUTH_ADMIN, 0},
        {"POST", "/v1/admin/approvals", api_admin_approve, AUTH_ADMIN, 0},
        /* administration: groups, settings, updates, rules, tokens,
         * audit, reports (api_manage.h); a reporter token may only GET */
        {"PUT", "/v1/admin/groups/*", api_groups_update, AUTH_ADMIN, 0},
        {"DELETE", "/v1/admin/groups/*", api_groups_delete, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/settings", api_settings_get, AUTH_ADMIN, 0},
        {"PUT", "/v1/admin/settings", api_settings_put, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/updates/decline-superseded",
         api_updates_decline_superseded, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/updates/*", api_updates_show, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/updates/*/decline", api_updates_decline, AUTH_ADMIN,
         0},
        {"GET", "/v1/admin/rules", api_rules_list, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/rules", api_rules_create, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/rules/run", api_rules_run, AUTH_ADMIN, 0},
        {"DELETE", "/v1/admin/rules/*", api_rules_delete, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/tokens", api_tokens_list, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/tokens", api_tokens_create, AUTH_ADMIN, 0},
        {"DELETE", "/v1/admin/tokens/*", api_tokens_revoke, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/audit", api_audit_list, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/enrollment-keys", api_enroll_list, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/enrollment-keys", api_enroll_create, AUTH_ADMIN, 0},
        {"DELETE", "/v1/admin/enrollment-keys/*", api_enroll_revoke, AUTH_ADMIN,
         0},
        {"GET", "/v1/admin/reports/updates", api_report_updates, AUTH_ADMIN, 0},
        {"GET", "/v1/admin/reports/updates/*", api_report_update, AUTH_ADMIN,
         0},
        {"GET", "/v1/admin/reports/computers", api_report_computers, AUTH_ADMIN,
         0},
        /* server hierarchy: downstream servers (api_upstream.c) */
        {"GET", "/v1/upstream/changes", api_upstream_changes, AUTH_DOWNSTREAM,
         0},
        {"GET", "/v1/upstream/replica", api_upstream_replica, AUTH_DOWNSTREAM,
         0},
        {"POST", "/v1/upstream/rollup", api_upstream_rollup, AUTH_DOWNSTREAM,
         0},
        {"GET", "/v1/admin/downstreams", api_admin_downstream_list, AUTH_ADMIN,
         0},
        {"POST", "/v1/admin/downstreams", api_admin_downstream_add, AUTH_ADMIN,
         0},
        {"DELETE", "/v1/admin/downstreams/*", api_admin_downstream_remove,
         AUTH_ADMIN, 0},
        /* web console (api_console.c, api_console_data.c) */
        {"POST", "/console/api/login", api_console_login, AUTH_NONE, 0},
        {"GET", "/console/api/session", api_console_session, AUTH_NONE, 0},
        {"POST", "/console/api/logout", api_console_logout, AUTH_NONE, 0},
        {"GET", "/console", api_console_redirect, AUTH_NONE, 1},
        {"GET", "/console/", api_console_index, AUTH_NONE, 1},
        {"GET", "/console/*", api_console_asset, AUTH_NONE, 1},
        {"GET", "/console/*/*", api_console_asset, AUTH_NONE, 1},
        {"GET", "/v1/admin/console/dashboard", api_console_dashboard,
         AUTH_ADMIN, 0},
        {"GET", "/v1/admin/console/updates", api_console_updates_page,
         AUTH_ADMIN, 0},
        {"GET", "/v1/admin/console/computers", api_console_computers_page,
         AUTH_ADMIN, 0},
        {"GET", "/v1/admin/console/license/*", api_console_license, AUTH_ADMIN,
         0},
        {"GET", "/v1/admin/console/updates/*/computers",
         api_console_update_computers, AUTH_ADMIN, 0},
        /* maintenance (api_maint.h) */
        {"POST", "/v1/admin/export", api_maint_export, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/import", api_maint_import, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/cleanup", api_maint_cleanup, AUTH_ADMIN, 0},
        {"POST", "/v1/admin/notify/*", api_maint_notify, AUTH_ADMIN, 0},
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);

/* Administration routes that change what a replica takes from its
 * upstream: groups, approvals, declines and automatic approval rules. Any
 * modifying method on a path starting with one of these is refused. */
static const char *const replica_ro_prefixes[] = {
        "/v1/admin/groups",      "/v1/admin/approvals", "/v1/admin/rules",
        "/v1/admin/autoapprove", "/v1/admin/declines",  NULL,
};

static int
replica_ro(const struct route *rt)
{
	size_t n;

	if (strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "HEAD") == 0)
		return 0;
	for (size_t i = 0; replica_ro_prefixes[i] != NULL; i++) {
		n = strlen(replica_ro_prefixes[i]);
		if (strncmp(rt->pattern, replica_ro_prefixes[i], n) == 0 &&
		    (rt->pattern[n] == '\0' || rt->pattern[n] == '/'))
			return 1;
	}
	/* Declines: /v1/admin/updates/<id>/decline and
	 * /v1/admin/updates/decline-superseded. */
	n = strlen(rt->pattern);
	return strncmp(rt->pattern, "/v1/admin/updates/", 18) == 0 &&
	       (strstr(rt->pattern + 18, "decline") != NULL);
}

int
routes_replica_refuse(const struct req *r, const struct route *rt,
                      struct err *e)
{
	const struct server_config *cfg = r->env->cfg;

	if (cfg->upstream_kind == UPSTREAM_SLUICED &&
	    cfg->upstream_mode == UPSTREAM_REPLICA && replica_ro(rt))
		return err_set(e, SL_ECONFLICT,
		               "this server is a replica of %s: change groups "
		               "and approvals there",
		               cfg->upstream_url);
	return SL_OK;
}
