/*
 * sluice approve: approve an update for a computer group (install or
 * uninstall, optional deadline), or withdraw the approval.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define APPROVE_USAGE                                                          \
	"usage: sluice approve UPDATE-ID GROUP [--action "                     \
	"install|uninstall|not-approved]\n"                                    \
	"                      [--deadline RFC3339] [--json]\n\n"              \
	"Approve the update for the computers of GROUP (default action:\n"     \
	"install). not-approved withdraws an approval. The deadline is a\n"    \
	"UTC time such as 2026-12-01T00:00:00Z.\n"

static int
approve_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2], *action = "install", *deadline = NULL;
	json_t *body, *v = NULL;
	int npos = 0;

	if (cli_wants_help(&cmd_approve, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--action") == 0 && i + 1 < argc)
			action = argv[++i];
		else if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc)
			deadline = argv[++i];
		else if (argv[i][0] == '-' || npos == 2)
			return cli_usage_error(&cmd_approve, "unexpected '%s'",
			                       argv[i]);
		else
			pos[npos++] = argv[i];
	}
	if (npos != 2)
		return cli_usage_error(&cmd_approve,
		                       "expected UPDATE-ID and GROUP");
	body = json_pack("{s:s,s:s,s:s,s:s?}", "update", pos[0], "group",
	                 pos[1], "action", action, "deadline", deadline);
	if (body == NULL)
		return cli_fail("out of memory");
	if (admin_call(&v, ctx, "POST", "/v1/admin/approvals", body) != 0) {
		json_decref(body);
		return 1;
	}
	json_decref(body);
	if (ctx->json)
		admin_print_json(v);
	else if (strcmp(action, "not-approved") == 0)
		printf("%s: no longer approved for %s\n", pos[0], pos[1]);
	else
		printf("%s: approved for %s (%s%s%s)\n", pos[0], pos[1], action,
		       deadline ? ", deadline " : "", deadline ? deadline : "");
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_approve = {
        .name = "approve",
        .summary = "approve an update for a computer group",
        .usage = APPROVE_USAGE,
        .run = approve_run,
};
