/*
 * sluice settings: the server's settings that change while it runs — the
 * storage mode (none, full, on-approval; switching queues the files the
 * new mode wants at once and hands agents the new URLs at their next
 * sync), the targeting mode and what unknown group names do. Every
 * change is audited.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define SETTINGS_USAGE                                                         \
	"usage: sluice settings [--json]\n"                                    \
	"       sluice settings set storage_mode none|full|on-approval "       \
	"[--json]\n"                                                           \
	"       sluice settings set approve_new_revisions on|off [--json]\n\n" \
	"Without arguments: the server's settings. set storage_mode: how\n"    \
	"the server keeps update files (none: agents fetch them from the\n"    \
	"upstream; full: every file is downloaded; on-approval: the files\n"   \
	"of approved updates). A switch takes effect at once: the files the\n" \
	"new mode wants are queued without waiting for the next sync, and\n"   \
	"agents get the new file URLs at their next incremental sync. The\n"   \
	"mode set here wins over [storage] mode in sluiced.conf.\n"            \
	"set approve_new_revisions: on (the default), a new revision of an\n"  \
	"approved update is approved as the update was; off, its install\n"    \
	"approvals are withdrawn (audited) until an administrator approves\n"  \
	"it again. Either way a revision with new license terms waits for\n"   \
	"their acceptance.\n"                                                  \
	"Targeting: see sluice groups targeting.\n"

static int
settings_run(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *body = NULL;
	int rc;

	if (cli_wants_help(&cmd_settings, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc == 1)
		rc = admin_call(&v, ctx, "GET", "/v1/admin/settings", NULL);
	else if (argc == 4 && strcmp(argv[1], "set") == 0 &&
	         strcmp(argv[2], "approve_new_revisions") == 0) {
		if (strcmp(argv[3], "on") != 0 && strcmp(argv[3], "off") != 0)
			return cli_usage_error(
			        &cmd_settings,
			        "approve_new_revisions: expected "
			        "on or off");
		body = json_pack("{s:b}", "approve_new_revisions",
		                 strcmp(argv[3], "on") == 0);
		if (body == NULL)
			return cli_fail("out of memory");
		rc = admin_call(&v, ctx, "PUT", "/v1/admin/settings", body);
		json_decref(body);
	} else if (argc == 4 && strcmp(argv[1], "set") == 0 &&
	           strcmp(argv[2], "storage_mode") == 0) {
		body = json_pack("{s:s}", "storage_mode", argv[3]);
		if (body == NULL)
			return cli_fail("out of memory");
		rc = admin_call(&v, ctx, "PUT", "/v1/admin/settings", body);
		json_decref(body);
	} else
		return cli_usage_error(&cmd_settings,
		                       "expected nothing, set storage_mode "
		                       "MODE or set approve_new_revisions "
		                       "on|off");
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("storage_mode: %s\napprove_new_revisions: %s\n"
		       "targeting: %s\nunknown_groups: %s\n",
		       admin_str(v, "storage_mode"),
		       json_is_false(
		               json_object_get(v, "approve_new_revisions"))
		               ? "off"
		               : "on",
		       admin_str(v, "targeting"),
		       admin_str(v, "unknown_groups"));
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_settings = {
        .name = "settings",
        .summary = "show the server's settings; change the storage mode",
        .usage = SETTINGS_USAGE,
        .run = settings_run,
};
