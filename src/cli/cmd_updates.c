/*
 * sluice updates: the updates the server knows, with their approvals and
 * whether their files are in the server's content store.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define UPDATES_USAGE                                                          \
	"usage: sluice updates [--json]\n\n"                                   \
	"List the updates the server synced: id, revision, classification,\n"  \
	"title, files present in the content store, approvals (group:action)"  \
	".\n"

static int
updates_run(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *u, *a;
	size_t i, k;

	if (cli_wants_help(&cmd_updates, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc != 1)
		return cli_usage_error(&cmd_updates, "unexpected '%s'",
		                       argv[1]);
	if (admin_call(&v, ctx, "GET", "/v1/admin/updates", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	printf("%-36s %4s %-14s %-7s %-s\n", "ID", "REV", "CLASSIFICATION",
	       "FILES", "TITLE / APPROVALS");
	json_array_foreach(json_object_get(v, "updates"), i, u)
	{
		json_t *files = json_object_get(u, "files"), *f;
		size_t present = 0;
		char fl[32];

		json_array_foreach(files, k, f) present +=
		        json_is_true(json_object_get(f, "present"));
		snprintf(fl, sizeof(fl), "%zu/%zu", present,
		         json_array_size(files));
		printf("%-36s %4lld %-14s %-7s %s%s\n", admin_str(u, "id"),
		       (long long)json_integer_value(
		               json_object_get(u, "revision")),
		       admin_str(u, "classification"), fl,
		       admin_str(u, "title"),
		       json_is_true(json_object_get(u, "expired"))
		               ? " (expired)"
		               : "");
		json_array_foreach(json_object_get(u, "approvals"), k, a)
		{
			const char *dl = admin_str(a, "deadline");
			printf("%-36s %4s %-14s %-7s   %s: %s%s%s\n", "", "",
			       "", "", admin_str(a, "group"),
			       admin_str(a, "action"),
			       strcmp(dl, "-") ? ", deadline " : "",
			       strcmp(dl, "-") ? dl : "");
		}
	}
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_updates = {
        .name = "updates",
        .summary = "list the server's updates and their approvals",
        .usage = UPDATES_USAGE,
        .run = updates_run,
};
