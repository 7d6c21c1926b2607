/*
 * sluice computers: list computers (optionally one group's), show one
 * computer's per-update states and recent events, move one to a group.
 * A computer is named by its id or by its host name (when unique).
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define COMPUTERS_USAGE                                                        \
	"usage: sluice computers [list] [--group GROUP] [--json | --csv]\n"    \
	"       sluice computers show COMPUTER [--json | --csv]\n"             \
	"       sluice computers move COMPUTER GROUP [--json]\n\n"             \
	"COMPUTER is a computer id or a host name. list: id, host name, OS,\n" \
	"group, the server it reports to (\"-\" = this one), last contact.\n"  \
	"show (also `status`): the computer's state for each update with\n"    \
	"its detail (why it failed, what it waits for), its last contact\n"    \
	"and last report, and its recent install events.\n"                    \
	"move: assign the computer to GROUP (it gets that group's approvals\n" \
	"at its next sync).\n"

/* Resolve a host name to an id (ids pass through). */
static int
resolve(char out[64], struct cli_ctx *ctx, const char *name)
{
	json_t *v = NULL, *c;
	size_t i, hits = 0;

	if (strlen(name) == 36 && name[8] == '-') {
		snprintf(out, 64, "%s", name);
		return 0;
	}
	if (admin_call(&v, ctx, "GET", "/v1/admin/computers", NULL) != 0)
		return 1;
	json_array_foreach(json_object_get(v, "computers"), i, c)
	{
		if (strcmp(admin_str(c, "hostname"), name) == 0) {
			snprintf(out, 64, "%s", admin_str(c, "id"));
			hits++;
		}
	}
	json_decref(v);
	if (hits == 1)
		return 0;
	if (hits == 0)
		return cli_fail("no computer with id or host name '%s' (see "
		                "sluice computers list)",
		                name);
	return cli_fail("%zu computers are named '%s': use the computer id "
	                "(sluice computers list)",
	                hits, name);
}

static int
move(struct cli_ctx *ctx, const char *name, const char *group)
{
	char path[512], esc[256], id[64];
	json_t *body, *v = NULL;
	int rc;

	if (resolve(id, ctx, name) != 0)
		return 1;
	if (!admin_escape(esc, sizeof(esc), id))
		return cli_fail("computer id too long");
	snprintf(path, sizeof(path), "/v1/admin/computers/%s/group", esc);
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

int
computers_show(struct cli_ctx *ctx, const char *name)
{
	const char *uh[] = {"UPDATE", "REV",    "STATE", "REPORTED",
	                    "TITLE",  "DETAIL", NULL};
	const char *eh[] = {"TIME", "UPDATE", "KIND", "RESULT", "EXIT", NULL};
	json_t *v = NULL, *c, *u, *ev;
	char path[512], esc[256], id[64];
	struct table t;
	size_t i;

	if (resolve(id, ctx, name) != 0)
		return 1;
	if (!admin_escape(esc, sizeof(esc), id))
		return cli_fail("computer id too long");
	snprintf(path, sizeof(path), "/v1/admin/computers/%s/status", esc);
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	c = json_object_get(v, "computer");
	table_init(&t, uh);
	json_array_foreach(json_object_get(v, "updates"), i, u)
	{
		char rev[24];
		table_row(&t, (const char *const[]){admin_str(u, "id"),
		                                    admin_int(rev, sizeof(rev),
		                                              u, "revision"),
		                                    admin_str(u, "state"),
		                                    admin_str(u, "reported"),
		                                    admin_str(u, "title"),
		                                    admin_str(u, "detail")});
	}
	if (admin_csv()) {
		table_print(&t, true, NULL);
		json_decref(v);
		return 0;
	}
	printf("computer %s (%s), %s %s, group '%s'%s%s\n", admin_str(c, "id"),
	       admin_str(c, "hostname"), admin_str(c, "os"),
	       admin_str(c, "arch"), admin_str(c, "group"),
	       json_is_string(json_object_get(c, "server"))
	               ? ", reports to server "
	               : "",
	       json_is_string(json_object_get(c, "server"))
	               ? admin_str(c, "server")
	               : "");
	printf("last contact %s, last report %s\n\n",
	       admin_str(c, "last_contact"), admin_str(c, "last_report"));
	table_print(&t, false, "no update states reported yet");
	putchar('\n');
	table_init(&t, eh);
	json_array_foreach(json_object_get(v, "events"), i, ev)
	{
		char code[24];
		table_row(&t,
		          (const char *const[]){admin_str(ev, "time"),
		                                admin_str(ev, "id"),
		                                admin_str(ev, "kind"),
		                                admin_str(ev, "result"),
		                                admin_int(code, sizeof(code),
		                                          ev, "exit_code")});
	}
	table_print(&t, false, "no install events");
	json_decref(v);
	return 0;
}

/* A --group that names no group is an error, not "no computers". */
static int
group_check(struct cli_ctx *ctx, const char *group)
{
	char known[1024] = "";
	size_t i, used = 0;
	json_t *v = NULL, *g;
	int found = 0;

	if (admin_call(&v, ctx, "GET", "/v1/admin/groups", NULL) != 0)
		return 1;
	json_array_foreach(json_object_get(v, "groups"), i, g)
	{
		const char *n = admin_str(g, "name");
		int w = snprintf(known + used, sizeof(known) - used, "%s%s",
		                 used ? ", " : "", n);

		found |= strcmp(n, group) == 0;
		if (w > 0 && (size_t)w < sizeof(known) - used)
			used += (size_t)w;
	}
	json_decref(v);
	if (!found)
		return cli_fail("no group '%s' (known: %s)", group, known);
	return 0;
}

static int
list(struct cli_ctx *ctx, const char *group)
{
	const char *head[] = {"ID",    "HOSTNAME", "OS",           "ARCH",
	                      "GROUP", "SERVER",   "LAST CONTACT", NULL};
	json_t *v = NULL, *c;
	struct table t;
	size_t i;

	if (group != NULL && group_check(ctx, group) != 0)
		return 1;
	if (admin_call(&v, ctx, "GET", "/v1/admin/computers", NULL) != 0)
		return 1;
	if (group != NULL) {
		json_t *arr = json_object_get(v, "computers");
		for (i = json_array_size(arr); i-- > 0;)
			if (strcmp(admin_str(json_array_get(arr, i), "group"),
			           group) != 0)
				json_array_remove(arr, i);
	}
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "computers"), i, c) table_row(
	        &t, (const char *const[]){
	                    admin_str(c, "id"), admin_str(c, "hostname"),
	                    admin_str(c, "os"), admin_str(c, "arch"),
	                    admin_str(c, "group"), admin_str(c, "server"),
	                    admin_str(c, "last_contact")});
	table_print(&t, admin_csv(), "no computers registered yet");
	json_decref(v);
	return 0;
}

static int
computers_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2], *group = NULL;
	const struct admin_opt opts[] = {{"--group", &group, NULL},
	                                 {NULL, NULL, NULL}};
	int npos;

	if (cli_wants_help(&cmd_computers, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "move") == 0) {
		if (argc != 4)
			return cli_usage_error(&cmd_computers,
			                       "expected COMPUTER GROUP");
		return move(ctx, argv[2], argv[3]);
	}
	if (argc >= 2 &&
	    (strcmp(argv[1], "status") == 0 || strcmp(argv[1], "show") == 0)) {
		if (argc != 3)
			return cli_usage_error(&cmd_computers,
			                       "expected COMPUTER");
		return computers_show(ctx, argv[2]);
	}
	if (admin_parse(&cmd_computers, argc, argv,
	                argc >= 2 && strcmp(argv[1], "list") == 0 ? 2 : 1, opts,
	                pos, 0, &npos))
		return 2;
	return list(ctx, group);
}

const struct cli_cmd cmd_computers = {
        .name = "computers",
        .summary = "list computers, show one's status, move one to a group",
        .usage = COMPUTERS_USAGE,
        .run = computers_run,
};
