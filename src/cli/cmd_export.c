/*
 * sluice export / sluice import: move updates to a server with no upstream
 * (docs/maintenance.md). FILE is a path on the server's machine: sluiced
 * writes and reads the archive itself; a relative FILE is made absolute
 * against this command's working directory (the usual case: the CLI runs
 * on the server).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_call.h"
#include "cli.h"

#define EXPORT_USAGE                                                           \
	"usage: sluice export [--files all|approved|none] [--approvals]\n"     \
	"                     [--timeout SECONDS] [--json] FILE\n\n"           \
	"Write an archive of the server's updates for a server with no\n"      \
	"upstream: the origin's signed index and documents byte for byte,\n"   \
	"the files of all updates (default), of approved ones, or none, and\n" \
	"with --approvals the groups and approvals. FILE is a path on the\n"   \
	"server's machine. Default timeout 3600 s.\n"

#define IMPORT_USAGE                                                           \
	"usage: sluice import [--timeout SECONDS] [--json] FILE\n\n"           \
	"Load an archive written by `sluice export` (on a server with no\n"    \
	"upstream). Every signature and file is verified as in a sync; a\n"    \
	"tampered archive imports nothing; importing again changes nothing.\n" \
	"FILE is a path on the server's machine. Default timeout 3600 s.\n"

static int
set_timeout(struct cli_ctx *ctx, const struct cli_cmd *cmd, const char *t)
{
	char *end;
	long v;

	ctx->timeout_s = 3600;
	if (t == NULL)
		return 0;
	v = strtol(t, &end, 10);
	if (*t == '\0' || *end != '\0' || v < 1 || v > 7 * 86400)
		return cli_usage_error(cmd, "--timeout: '%s' is not 1..604800",
		                       t);
	ctx->timeout_s = v;
	return 0;
}

static int
absolute(char *out, size_t n, const char *file)
{
	char cwd[PATH_MAX];

	if (file[0] == '/')
		return snprintf(out, n, "%s", file) < (int)n ? 0 : -1;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	return snprintf(out, n, "%s/%s", cwd, file) < (int)n ? 0 : -1;
}

static int
export_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *files = NULL, *timeout = NULL, *pos[1];
	bool approvals = false;
	const struct admin_opt opts[] = {{"--files", &files, NULL},
	                                 {"--approvals", NULL, &approvals},
	                                 {"--timeout", &timeout, NULL},
	                                 {NULL, NULL, NULL}};
	char path[PATH_MAX + 256], num[32];
	json_t *body, *v = NULL;
	int npos, rc;

	if (cli_wants_help(&cmd_export, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (admin_parse(&cmd_export, argc, argv, 1, opts, pos, 1, &npos))
		return 2;
	if (npos != 1)
		return cli_usage_error(&cmd_export, "FILE is required");
	if ((rc = set_timeout(ctx, &cmd_export, timeout)) != 0)
		return rc;
	if (absolute(path, sizeof(path), pos[0]) != 0)
		return cli_fail("%s: path too long", pos[0]);
	body = json_pack("{s:s,s:s,s:b}", "path", path, "files",
	                 files != NULL ? files : "all", "approvals", approvals);
	if (body == NULL)
		return cli_fail("out of memory");
	rc = admin_call(&v, ctx, "POST", "/v1/admin/export", body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		printf("exported to %s: index version %s, ",
		       admin_str(v, "path"),
		       admin_int(num, sizeof(num), v, "index_version"));
		printf("%s updates, ",
		       admin_int(num, sizeof(num), v, "updates"));
		printf("%s files, ", admin_int(num, sizeof(num), v, "files"));
		printf("%s approvals, ",
		       admin_int(num, sizeof(num), v, "approvals"));
		printf("%s bytes\n", admin_int(num, sizeof(num), v, "bytes"));
		if (json_integer_value(json_object_get(v, "missing_files")) > 0)
			printf("%s chosen files are not on this server yet "
			       "(not downloaded): not in the archive\n",
			       admin_int(num, sizeof(num), v, "missing_files"));
		if (json_integer_value(json_object_get(v, "skipped")) > 0)
			printf("%s updates are not described by the last "
			       "synced index: not in the archive\n",
			       admin_int(num, sizeof(num), v, "skipped"));
	}
	json_decref(v);
	return 0;
}

static int
import_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *timeout = NULL, *pos[1];
	const struct admin_opt opts[] = {{"--timeout", &timeout, NULL},
	                                 {NULL, NULL, NULL}};
	char path[PATH_MAX + 256], num[32];
	json_t *body, *v = NULL;
	int npos, rc;

	if (cli_wants_help(&cmd_import, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (admin_parse(&cmd_import, argc, argv, 1, opts, pos, 1, &npos))
		return 2;
	if (npos != 1)
		return cli_usage_error(&cmd_import, "FILE is required");
	if ((rc = set_timeout(ctx, &cmd_import, timeout)) != 0)
		return rc;
	if (absolute(path, sizeof(path), pos[0]) != 0)
		return cli_fail("%s: path too long", pos[0]);
	if ((body = json_pack("{s:s}", "path", path)) == NULL)
		return cli_fail("out of memory");
	rc = admin_call(&v, ctx, "POST", "/v1/admin/import", body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		printf("imported %s: index version %s, ", admin_str(v, "path"),
		       admin_int(num, sizeof(num), v, "index_version"));
		printf("%s new, ", admin_int(num, sizeof(num), v, "new"));
		printf("%s revised, ",
		       admin_int(num, sizeof(num), v, "revised"));
		printf("%s expired, ",
		       admin_int(num, sizeof(num), v, "expired"));
		printf("%s files, ", admin_int(num, sizeof(num), v, "files"));
		printf("%s approvals\n",
		       admin_int(num, sizeof(num), v, "approvals"));
	}
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_export = {
        .name = "export",
        .summary = "write an archive of updates for a disconnected server",
        .usage = EXPORT_USAGE,
        .run = export_run,
};

const struct cli_cmd cmd_import = {
        .name = "import",
        .summary = "load an archive from `sluice export` (no upstream)",
        .usage = IMPORT_USAGE,
        .run = import_run,
};
