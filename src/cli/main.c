/*
 * sluice: the administrative console (CLI). Dispatches to the command
 * table; `sluice --help` lists it, `sluice CMD --help` shows one command.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"
#include "httpc.h"
#include "version.h"

static const struct cli_cmd *commands[] = {
        &cmd_catalog,    &cmd_sync,      &cmd_updates, &cmd_approve,
        &cmd_groups,     &cmd_computers, &cmd_rules,   &cmd_tokens,
        &cmd_settings,   &cmd_report,    &cmd_audit,   &cmd_downstream,
        &cmd_enrollment, &cmd_export,    &cmd_import,  &cmd_cleanup,
        &cmd_notify,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

bool
cli_wants_help(const struct cli_cmd *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(cmd->usage, stderr);
	return 2;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sluice [--server URL] [--token TOKEN] [--ca-file "
	           "PEM] [--json] COMMAND [ARGS]\n\n"
	           "The Sluice administrative console.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i]->name,
		        commands[i]->summary);
	fprintf(f,
	        "\nglobal options:\n"
	        "  --server URL   the sluiced to talk to (or SLUICE_SERVER)\n"
	        "  --token TOKEN  an admin token (or SLUICE_TOKEN)\n"
	        "  --ca-file PEM  CA certificates to trust for an https:// "
	        "server\n"
	        "                 (or SLUICE_CA_FILE; default: the system's)\n"
	        "  --json         machine-readable output\n"
	        "  --help         this text; `sluice COMMAND --help` for one "
	        "command\n"
	        "  --version      print the version\n");
}

int
main(int argc, char **argv)
{
	struct cli_ctx ctx = {
	        .server = getenv("SLUICE_SERVER"),
	        .token = getenv("SLUICE_TOKEN"),
	};
	const char *ca_file = getenv("SLUICE_CA_FILE");
	int i;

	if (hash_global_init(NULL) != 0)
		return cli_fail("cannot initialise libsodium");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("sluice %s\n", SLUICE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			ctx.json = true;
		} else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
			ctx.server = argv[++i];
		} else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) {
			ctx.token = argv[++i];
		} else if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc) {
			ca_file = argv[++i];
		} else {
			fprintf(stderr, "sluice: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	httpc_set_ca_file(ca_file != NULL && *ca_file ? ca_file : NULL);
	for (size_t c = 0; c < N_COMMANDS; c++)
		if (strcmp(commands[c]->name, argv[i]) == 0)
			return commands[c]->run(&ctx, argc - i, argv + i);
	fprintf(stderr, "sluice: unknown command '%s' (see sluice --help)\n",
	        argv[i]);
	return 2;
}
