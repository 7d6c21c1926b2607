/*
 * sluice tokens: admin tokens — list, create (with a role), revoke.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define TOKENS_USAGE                                                           \
	"usage: sluice tokens [list] [--json | --csv]\n"                       \
	"       sluice tokens create NAME --role administrator|reporter "      \
	"[--json]\n"                                                           \
	"       sluice tokens revoke NAME [--json]\n\n"                        \
	"Admin tokens: an administrator may do everything; a reporter may\n"   \
	"only read (every change answers 403). create prints the new token\n"  \
	"once: store it, the server keeps only its hash. The last\n"           \
	"administrator token cannot be revoked. The token name is what the\n"  \
	"audit log (sluice audit) shows as who made a change.\n"

static int
tokens_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *head[] = {"ID", "NAME", "ROLE", "CREATED", "STATE", NULL};
	const char *pos[1], *role = NULL;
	const struct admin_opt opts[] = {{"--role", &role, NULL},
	                                 {NULL, NULL, NULL}};
	char path[512], esc[300];
	json_t *v = NULL, *tk, *body;
	struct table t;
	size_t i;
	int npos, rc;

	if (cli_wants_help(&cmd_tokens, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc < 2 || strcmp(argv[1], "list") == 0) {
		if (admin_call(&v, ctx, "GET", "/v1/admin/tokens", NULL) != 0)
			return 1;
		if (ctx->json) {
			admin_print_json(v);
			json_decref(v);
			return 0;
		}
		table_init(&t, head);
		json_array_foreach(json_object_get(v, "tokens"), i, tk)
		{
			char id[24];
			table_row(&t,
			          (const char *const[]){
			                  admin_int(id, sizeof(id), tk, "id"),
			                  admin_str(tk, "name"),
			                  admin_str(tk, "role"),
			                  admin_str(tk, "created"),
			                  json_is_true(json_object_get(
			                          tk, "revoked"))
			                          ? "revoked"
			                          : "active"});
		}
		table_print(&t, admin_csv(), NULL);
		json_decref(v);
		return 0;
	}
	if (admin_parse(&cmd_tokens, argc, argv, 2, opts, pos, 1, &npos))
		return 2;
	if (npos != 1)
		return cli_usage_error(&cmd_tokens, "expected NAME");
	if (strcmp(argv[1], "create") == 0) {
		if (role == NULL)
			return cli_usage_error(
			        &cmd_tokens, "--role administrator|reporter is "
			                     "required");
		body = json_pack("{s:s,s:s}", "name", pos[0], "role", role);
		rc = admin_call(&v, ctx, "POST", "/v1/admin/tokens", body);
		json_decref(body);
		if (rc != 0)
			return 1;
		if (ctx->json)
			admin_print_json(v);
		else
			printf("%s\n", admin_str(v, "token"));
		if (!ctx->json)
			fprintf(stderr,
			        "sluice: token '%s' (%s) created; this is the "
			        "only time it is shown\n",
			        pos[0], role);
		json_decref(v);
		return 0;
	}
	if (strcmp(argv[1], "revoke") == 0) {
		if (!admin_escape(esc, sizeof(esc), pos[0]))
			return cli_fail("token name too long");
		snprintf(path, sizeof(path), "/v1/admin/tokens/%s", esc);
		if (admin_call(&v, ctx, "DELETE", path, NULL) != 0)
			return 1;
		if (ctx->json)
			admin_print_json(v);
		else
			printf("token '%s' revoked\n", pos[0]);
		json_decref(v);
		return 0;
	}
	return cli_usage_error(&cmd_tokens, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_tokens = {
        .name = "tokens",
        .summary = "admin tokens: list, create (administrator or "
                   "reporter), revoke",
        .usage = TOKENS_USAGE,
        .run = tokens_run,
};
