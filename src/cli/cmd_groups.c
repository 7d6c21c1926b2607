/*
 * sluice groups: list computer groups, create one.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define GROUPS_USAGE                                                           \
	"usage: sluice groups [--json]\n"                                      \
	"       sluice groups create NAME [--parent PARENT] [--json]\n\n"      \
	"List the computer groups (name, parent, number of computers), or\n"   \
	"create a group (default parent: All Computers).\n"

static int
create(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *parent = NULL;
	json_t *body, *v = NULL;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--parent") == 0 && i + 1 < argc)
			parent = argv[++i];
		else if (argv[i][0] == '-' || name != NULL)
			return cli_usage_error(&cmd_groups, "unexpected '%s'",
			                       argv[i]);
		else
			name = argv[i];
	}
	if (name == NULL)
		return cli_usage_error(&cmd_groups, "expected NAME");
	body = json_pack("{s:s,s:s?}", "name", name, "parent", parent);
	if (body == NULL)
		return cli_fail("out of memory");
	if (admin_call(&v, ctx, "POST", "/v1/admin/groups", body) != 0) {
		json_decref(body);
		return 1;
	}
	json_decref(body);
	if (ctx->json)
		admin_print_json(v);
	else
		printf("group '%s' created under '%s'\n", admin_str(v, "name"),
		       admin_str(v, "parent"));
	json_decref(v);
	return 0;
}

static int
groups_run(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *g;
	size_t i;

	if (cli_wants_help(&cmd_groups, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return create(ctx, argc, argv);
	if (argc != 1)
		return cli_usage_error(&cmd_groups, "unexpected '%s'", argv[1]);
	if (admin_call(&v, ctx, "GET", "/v1/admin/groups", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		printf("%-28s %-28s %s\n", "GROUP", "PARENT", "COMPUTERS");
		json_array_foreach(json_object_get(v, "groups"), i, g)
		        printf("%-28s %-28s %lld\n", admin_str(g, "name"),
		               admin_str(g, "parent"),
		               (long long)json_integer_value(
		                       json_object_get(g, "computers")));
	}
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_groups = {
        .name = "groups",
        .summary = "list or create computer groups",
        .usage = GROUPS_USAGE,
        .run = groups_run,
};
