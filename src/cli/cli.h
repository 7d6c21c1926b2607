/*
 * cli: the `sluice` command table. Each top-level command lives in its own
 * cmd_<name>.c and is registered in main.c's table, from which --help is
 * generated. Commands print their results to stdout and their errors, one
 * line each, to stderr; they return a process exit code.
 */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Options every command shares (parsed before the command name or after). */
struct cli_ctx {
	const char *server; /* --server or SLUICE_SERVER */
	const char *token;  /* --token or SLUICE_TOKEN */
	bool json;          /* --json: machine-readable output */
	long timeout_s;     /* admin calls' timeout; 0 = 60 s */
};

struct cli_cmd {
	const char *name;
	const char *summary; /* one line for `sluice --help` */
	const char *usage;   /* full text for `sluice NAME --help` */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

/* True when argv holds -h or --help; prints usage to stdout then. */
bool cli_wants_help(const struct cli_cmd *cmd, int argc, char **argv);

/* Print "sluice: MSG" to stderr; returns 1 (the exit code for failures). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a usage error and the command's usage; returns 2. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

extern const struct cli_cmd cmd_catalog;
/* `sluice catalog import-apt ...` (cmd_import_apt.c); argv[0] is
 * "import-apt". */
int catalog_import_apt(struct cli_ctx *ctx, int argc, char **argv);
extern const struct cli_cmd cmd_sync;
extern const struct cli_cmd cmd_updates;
extern const struct cli_cmd cmd_approve;
extern const struct cli_cmd cmd_groups;
extern const struct cli_cmd cmd_computers;
extern const struct cli_cmd cmd_rules;
extern const struct cli_cmd cmd_tokens;
extern const struct cli_cmd cmd_settings;
extern const struct cli_cmd cmd_report;
extern const struct cli_cmd cmd_audit;
extern const struct cli_cmd cmd_downstream;
extern const struct cli_cmd cmd_enrollment;
extern const struct cli_cmd cmd_export;
extern const struct cli_cmd cmd_cleanup;
extern const struct cli_cmd cmd_notify;
extern const struct cli_cmd cmd_import;

#endif
