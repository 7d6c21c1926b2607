/*
 * sluice computers: list computers, move one to a group, show one
 * computer's per-update states and recent events.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define COMPUTERS_USAGE                                                        \
	"usage: sluice computers [--json]\n"                                   \
	"       sluice computers move COMPUTER-ID GROUP [--json]\n"            \
	"       sluice computers status COMPUTER-ID [--json]\n\n"              \
	"List the registered computers, assign one to a computer group, or\n"  \
	"show what a computer reported: its state for each update and its\n"   \
	"recent install events.\n"

static int
path_for(char *out, size_t n, const char *id, const char *what)
{
	char esc[256];

	if (!admin_escape(esc, sizeof(esc), id))
		return cli_fail("computer id too long");
	snprintf(out, n, "/v1/admin/computers/%s/%s", esc, what);
	return 0;
}

static int
move(struct cli_ctx *ctx, const char *id, const char *group)
{
	char path[512];
	json_t *body, *v = NULL;
	int rc;

	if (path_for(path, sizeof(path), id, "group") != 0)
		return 1;
	body = json_pack("{s:s}", "group", group);
	if (body == NULL)
		return cli_fail("out of memory");
	rc = admin_call(&v, ctx, "PUT", path, body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("computer %s is now in '%s'\n", id, group);
	json_decref(v);
	return 0;
}

static int
status(struct cli_ctx *ctx, const char *id)
{
	json_t *v = NULL, *c, *u, *ev;
	char path[512];
	size_t i;

	if (path_for(path, sizeof(path), id, "status") != 0)
		return 1;
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	c = json_object_get(v, "computer");
	printf("computer %s (%s), %s %s, group '%s'\n", admin_str(c, "id"),
	       admin_str(c, "hostname"), admin_str(c, "os"),
	       admin_str(c, "arch"), admin_str(c, "group"));
	printf("last contact %s, last report %s\n\n",
	       admin_str(c, "last_contact"), admin_str(c, "last_report"));
	printf("%-36s %4s %-25s %s\n", "UPDATE", "REV", "STATE", "TITLE");
	json_array_foreach(json_object_get(v, "updates"), i, u)
	{
		const char *detail = admin_str(u, "detail");
		printf("%-36s %4lld %-25s %s%s%s%s\n", admin_str(u, "id"),
		       (long long)json_integer_value(
		               json_object_get(u, "revision")),
		       admin_str(u, "state"), admin_str(u, "title"),
		       strcmp(detail, "-") ? " (" : "",
		       strcmp(detail, "-") ? detail : "",
		       strcmp(detail, "-") ? ")" : "");
	}
	printf("\n%-20s %-36s %-9s %-15s %s\n", "TIME", "UPDATE", "KIND",
	       "RESULT", "EXIT");
	json_array_foreach(json_object_get(v, "events"), i, ev)
	{
		json_t *code = json_object_get(ev, "exit_code");
		printf("%-20s %-36s %-9s %-15s ", admin_str(ev, "time"),
		       admin_str(ev, "id"), admin_str(ev, "kind"),
		       admin_str(ev, "result"));
		if (json_is_integer(code))
			printf("%lld\n", (long long)json_integer_value(code));
		else
			printf("-\n");
	}
	json_decref(v);
	return 0;
}

static int
computers_run(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *c;
	size_t i;

	if (cli_wants_help(&cmd_computers, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "move") == 0) {
		if (argc != 4)
			return cli_usage_error(&cmd_computers,
			                       "expected COMPUTER-ID GROUP");
		return move(ctx, argv[2], argv[3]);
	}
	if (argc >= 2 && strcmp(argv[1], "status") == 0) {
		if (argc != 3)
			return cli_usage_error(&cmd_computers,
			                       "expected COMPUTER-ID");
		return status(ctx, argv[2]);
	}
	if (argc != 1)
		return cli_usage_error(&cmd_computers, "unexpected '%s'",
		                       argv[1]);
	if (admin_call(&v, ctx, "GET", "/v1/admin/computers", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		printf("%-36s %-20s %-14s %-7s %-22s %s\n", "ID", "HOSTNAME",
		       "OS", "ARCH", "GROUP", "LAST CONTACT");
		json_array_foreach(json_object_get(v, "computers"), i, c)
		        printf("%-36s %-20s %-14s %-7s %-22s %s\n",
		               admin_str(c, "id"), admin_str(c, "hostname"),
		               admin_str(c, "os"), admin_str(c, "arch"),
		               admin_str(c, "group"),
		               admin_str(c, "last_contact"));
	}
	json_decref(v);
	return 0;
}

const struct cli_cmd cmd_computers = {
        .name = "computers",
        .summary = "list computers, move one to a group, show its status",
        .usage = COMPUTERS_USAGE,
        .run = computers_run,
};
