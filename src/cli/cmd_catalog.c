/*
 * cmd_catalog: `sluice catalog init|add|expire|sign|list|verify`.
 */
#include "cli.h"

static int
catalog_run(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (cli_wants_help(&cmd_catalog, argc, argv))
		return 0;
	return cli_usage_error(&cmd_catalog, "not yet");
}

const struct cli_cmd cmd_catalog = {
        .name = "catalog",
        .summary = "build, sign and verify a catalog origin",
        .usage = "usage: sluice catalog SUBCOMMAND ...\n",
        .run = catalog_run,
};
