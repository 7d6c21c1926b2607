/*
 * sluice groups: computer groups — list (as a tree), create, rename, move
 * under another parent, delete; the server's targeting mode.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"
#include "targeting.h"

#define GROUPS_USAGE                                                           \
	"usage: sluice groups [list] [--json | --csv]\n"                       \
	"       sluice groups create NAME [--parent PARENT]\n"                 \
	"       sluice groups rename NAME NEW-NAME\n"                          \
	"       sluice groups move NAME NEW-PARENT\n"                          \
	"       sluice groups delete NAME [--force]\n"                         \
	"       sluice groups targeting [server|client] [--unknown "           \
	"ignore|create|reject]\n\n"                                            \
	"Groups nest under \"All Computers\"; new computers land in\n"         \
	"\"Unassigned Computers\". A group inherits the approvals of its\n"    \
	"parent unless it has its own setting.\n"                              \
	"create: default parent All Computers.\n"                              \
	"delete: a group holding computers or subgroups is refused; --force\n" \
	"  moves them to the group's parent first. Its own approvals go.\n"    \
	"targeting: show or set how computers get their group: server (an\n"   \
	"  administrator assigns them) or client (agents declare group "       \
	"names\n"                                                              \
	"  at registration); --unknown says what a declared name that does\n"  \
	"  not exist does: ignore (Unassigned Computers), create, reject.\n"   \
	"All subcommands take --json.\n"

static int
call_print(struct cli_ctx *ctx, const char *method, const char *path,
           json_t *body, const char *fmt, const char *a, const char *b)
{
	json_t *v = NULL;
	int rc = admin_call(&v, ctx, method, path, body);

	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf(fmt, a, b);
	json_decref(v);
	return 0;
}

static int
group_path(char *out, size_t n, const char *name)
{
	char esc[512];

	if (!admin_escape(esc, sizeof(esc), name))
		return cli_fail("group name too long");
	snprintf(out, n, "/v1/admin/groups/%s", esc);
	return 0;
}

/* Print groups below parent (depth-first), indented. */
static void
tree_rows(struct table *t, json_t *groups, const char *parent, int depth)
{
	json_t *g;
	size_t i;

	if (depth > 32)
		return;
	json_array_foreach(groups, i, g)
	{
		const char *p = admin_str(g, "parent");
		char name[600], n[24];
		if (parent == NULL ? strcmp(p, "-") != 0
		                   : strcmp(p, parent) != 0)
			continue;
		snprintf(name, sizeof(name), "%*s%s", depth * 2, "",
		         admin_str(g, "name"));
		table_row(t, (const char *const[]){
		                     name, p,
		                     admin_int(n, sizeof(n), g, "computers")});
		tree_rows(t, groups, admin_str(g, "name"), depth + 1);
	}
}

static int
list(struct cli_ctx *ctx)
{
	const char *head[] = {"GROUP", "PARENT", "COMPUTERS", NULL};
	json_t *v = NULL;
	struct table t;

	if (admin_call(&v, ctx, "GET", "/v1/admin/groups", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	tree_rows(&t, json_object_get(v, "groups"), NULL, 0);
	table_print(&t, admin_csv(), NULL);
	json_decref(v);
	return 0;
}

static int
targeting(struct cli_ctx *ctx, int npos, const char **pos, const char *unknown)
{
	json_t *v = NULL;
	int rc;

	struct err e;

	/* The vocabulary is shared with the server: refuse a bad word here
	 * with the server's own message. */
	if (targeting_check(npos ? pos[0] : NULL, unknown, &e) != SL_OK)
		return cli_usage_error(&cmd_groups, "%s", e.msg);
	if (npos == 0 && unknown == NULL)
		rc = admin_call(&v, ctx, "GET", "/v1/admin/settings", NULL);
	else {
		json_t *body = json_pack("{s:s?,s:s?}", "targeting",
		                         npos ? pos[0] : NULL, "unknown_groups",
		                         unknown);
		rc = admin_call(&v, ctx, "PUT", "/v1/admin/settings", body);
		json_decref(body);
	}
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("targeting: %s-side; unknown group names declared by "
		       "agents: %s\n",
		       admin_str(v, "targeting"),
		       admin_str(v, "unknown_groups"));
	json_decref(v);
	return 0;
}

static int
groups_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2], *parent = NULL, *unknown = NULL, *sub;
	bool force = false;
	const struct admin_opt opts[] = {
	        {"--parent", &parent, NULL},
	        {"--force", NULL, &force},
	        {"--unknown", &unknown, NULL},
	        {NULL, NULL, NULL},
	};
	char path[1024];
	int npos;

	if (cli_wants_help(&cmd_groups, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc < 2 || strcmp(argv[1], "list") == 0)
		return argc > 2 ? cli_usage_error(&cmd_groups,
		                                  "unexpected '%s'", argv[2])
		                : list(ctx);
	sub = argv[1];
	if (admin_parse(&cmd_groups, argc, argv, 2, opts, pos, 2, &npos))
		return 2;
	if (strcmp(sub, "create") == 0) {
		if (npos != 1)
			return cli_usage_error(&cmd_groups, "expected NAME");
		return call_print(ctx, "POST", "/v1/admin/groups",
		                  json_pack("{s:s,s:s?}", "name", pos[0],
		                            "parent", parent),
		                  "group '%s' created under '%s'\n", pos[0],
		                  parent ? parent : "All Computers");
	}
	if (strcmp(sub, "rename") == 0 || strcmp(sub, "move") == 0) {
		bool ren = sub[0] == 'r';
		if (npos != 2)
			return cli_usage_error(&cmd_groups,
			                       ren ? "expected NAME "
			                             "NEW-NAME"
			                           : "expected NAME "
			                             "NEW-PARENT");
		if (group_path(path, sizeof(path), pos[0]) != 0)
			return 1;
		return call_print(
		        ctx, "PUT", path,
		        json_pack("{s:s}", ren ? "name" : "parent", pos[1]),
		        ren ? "group '%s' renamed to '%s'\n"
		            : "group '%s' moved under '%s'\n",
		        pos[0], pos[1]);
	}
	if (strcmp(sub, "delete") == 0) {
		json_t *v = NULL;
		if (npos != 1)
			return cli_usage_error(&cmd_groups, "expected NAME");
		if (group_path(path, sizeof(path), pos[0]) != 0)
			return 1;
		if (force) {
			size_t l = strlen(path);
			snprintf(path + l, sizeof(path) - l, "?force=1");
		}
		if (admin_call(&v, ctx, "DELETE", path, NULL) != 0)
			return 1;
		if (ctx->json)
			admin_print_json(v);
		else
			printf("group '%s' deleted (%lld computer(s) and %lld "
			       "subgroup(s) moved to '%s')\n",
			       pos[0],
			       (long long)json_integer_value(
			               json_object_get(v, "computers_moved")),
			       (long long)json_integer_value(
			               json_object_get(v, "subgroups_moved")),
			       admin_str(v, "moved_to"));
		json_decref(v);
		return 0;
	}
	if (strcmp(sub, "targeting") == 0)
		return targeting(ctx, npos, pos, unknown);
	return cli_usage_error(&cmd_groups, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_groups = {
        .name = "groups",
        .summary = "computer groups: list, create, rename, move, delete; "
                   "targeting",
        .usage = GROUPS_USAGE,
        .run = groups_run,
};
