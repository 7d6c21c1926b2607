/*
 * sluice audit: the server's audit log — every administrative change,
 * who made it (token name or rule), what, on what, when; newest first.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define AUDIT_USAGE                                                            \
	"usage: sluice audit [--limit N] [--actor NAME] [--action PREFIX]\n"   \
	"                    [--json | --csv]\n\n"                             \
	"The audit log, newest first (default the last 200 entries): time,\n"  \
	"who (admin token name, \"auto-approval rule NAME\", \"agent\n"        \
	"registration\"), action (approval.set, update.decline, "              \
	"group.create,\n"                                                      \
	"token.create, ...; --action approval matches every approval.*),\n"    \
	"target and detail.\n"

static int
audit_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *limit = NULL, *actor = NULL, *action = NULL, *pos[1];
	const struct admin_opt opts[] = {{"--limit", &limit, NULL},
	                                 {"--actor", &actor, NULL},
	                                 {"--action", &action, NULL},
	                                 {NULL, NULL, NULL}};
	const char *head[] = {"TIME",   "WHO",    "ACTION",
	                      "TARGET", "DETAIL", NULL};
	char path[1024];
	json_t *v = NULL, *a;
	struct table t;
	size_t i;
	int npos;

	if (cli_wants_help(&cmd_audit, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (admin_parse(&cmd_audit, argc, argv, 1, opts, pos, 0, &npos))
		return 2;
	{
		const char *kv[] = {"limit",  limit,  "actor", actor,
		                    "action", action, NULL};
		if (!admin_query(path, sizeof(path), "/v1/admin/audit", kv))
			return cli_fail("filter text too long");
	}
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "audit"), i, a)
	        table_row(&t, (const char *const[]){admin_str(a, "time"),
	                                            admin_str(a, "actor"),
	                                            admin_str(a, "action"),
	                                            admin_str(a, "target"),
	                                            admin_str(a, "detail")});
	table_print(&t, admin_csv(), "the audit log is empty");
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_audit = {
        .name = "audit",
        .summary = "the audit log of administrative changes",
        .usage = AUDIT_USAGE,
        .run = audit_run,
};
