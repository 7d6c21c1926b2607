/*
 * sluice approve: short for `sluice updates approve`.
 */
#include "admin_call.h"
#include "cli.h"

#define APPROVE_USAGE                                                          \
	"usage: sluice approve UPDATE-ID GROUP [--action ACTION]\n"            \
	"                      [--deadline RFC3339] [--accept-license]\n"      \
	"                      [--with-prerequisites] [--json]\n\n"            \
	"The same as `sluice updates approve` (see `sluice updates "           \
	"--help`):\n"                                                          \
	"ACTION is install (default), uninstall, not-approved (overrides "     \
	"the\n"                                                                \
	"parent group) or inherit (removes the group's own setting).\n"

static int
approve_run(struct cli_ctx *ctx, int argc, char **argv)
{
	if (cli_wants_help(&cmd_approve, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	return updates_approve(ctx, &cmd_approve, argc, argv, 1);
}

const struct cli_cmd cmd_approve = {
        .name = "approve",
        .summary = "approve an update for a group (= updates approve)",
        .usage = APPROVE_USAGE,
        .run = approve_run,
};
