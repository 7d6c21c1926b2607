/*
 * sluice notify: send a test message, or the status report now, through
 * the server's configured notification channels (e-mail, webhook).
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define NOTIFY_USAGE                                                           \
	"usage: sluice notify test|report [--json]\n\n"                        \
	"test    send a test message through every channel the server's\n"     \
	"        [notify] settings configure (e-mail, webhook)\n"              \
	"report  send the status report now (computers needing updates,\n"     \
	"        failed installations)\n"

static int
notify_run(struct cli_ctx *ctx, int argc, char **argv)
{
	char path[64];
	json_t *v = NULL;

	if (cli_wants_help(&cmd_notify, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc != 2 ||
	    (strcmp(argv[1], "test") != 0 && strcmp(argv[1], "report") != 0))
		return cli_usage_error(&cmd_notify, "expected test or report");
	snprintf(path, sizeof(path), "/v1/admin/notify/%s", argv[1]);
	if (admin_call(&v, ctx, "POST", path, NULL) != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("%s sent through %lld channel(s)\n", argv[1],
		       (long long)json_integer_value(
		               json_object_get(v, "channels")));
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_notify = {
        .name = "notify",
        .summary = "send a test notification or the status report now",
        .usage = NOTIFY_USAGE,
        .run = notify_run,
};
