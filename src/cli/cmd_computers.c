/*
 * sluice computers: list computers (optionally one group's), show one
 * computer's per-update states and recent events, move one to a group.
 * A computer is named by its id or by its host name (when unique).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define COMPUTERS_USAGE                                                        \
	"usage: sluice computers [list] [--group GROUP] [--stale DAYS]\n"      \
	"                        [--json | --csv]\n"                           \
	"       sluice computers show COMPUTER [--json | --csv]\n"             \
	"       sluice computers move COMPUTER GROUP [--json]\n"               \
	"       sluice computers add COMPUTER GROUP [--json]\n"                \
	"       sluice computers remove COMPUTER GROUP [--json]\n"             \
	"       sluice computers delete COMPUTER [--json]\n\n"                 \
	"COMPUTER is a computer id or a host name. list: id, host name, OS,\n" \
	"groups, the server it reports to (\"-\" = this one), last contact.\n" \
	"--group: the computers in GROUP (among their groups); --stale:\n"     \
	"those that have not reported for DAYS days (or never).\n"             \
	"show (also `status`): the computer's state for each update with\n"    \
	"its detail (why it failed, what it waits for), its last contact\n"    \
	"and last report, and its recent install events.\n"                    \
	"move: put the computer in GROUP alone (it gets that group's\n"        \
	"approvals at its next sync). add / remove: put it in GROUP besides\n" \
	"its other groups, or take it out of one (not its only group).\n"      \
	"Where the approvals of a computer's groups disagree, install wins\n"  \
	"over uninstall, either wins over not approved, and of several\n"      \
	"deadlines the earliest wins; each group still inherits from its\n"    \
	"parents. delete: forget the computer (its token stops working;\n"     \
	"its states and events go); an agent that registers again with the\n"  \
	"same machine identity replaces its old record.\n"

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

/* add, remove or delete: POST .../groups, DELETE .../groups/GROUP,
 * DELETE /v1/admin/computers/ID. */
static int
membership(struct cli_ctx *ctx, const char *verb, const char *name,
           const char *group)
{
	char path[768], esc[256], gesc[384], id[64];
	json_t *body = NULL, *v = NULL;
	int rc;

	if (resolve(id, ctx, name) != 0)
		return 1;
	if (!admin_escape(esc, sizeof(esc), id) ||
	    (group && !admin_escape(gesc, sizeof(gesc), group)))
		return cli_fail("computer id or group name too long");
	if (strcmp(verb, "add") == 0) {
		snprintf(path, sizeof(path), "/v1/admin/computers/%s/groups",
		         esc);
		if ((body = json_pack("{s:s}", "group", group)) == NULL)
			return cli_fail("out of memory");
	} else if (strcmp(verb, "remove") == 0) {
		snprintf(path, sizeof(path), "/v1/admin/computers/%s/groups/%s",
		         esc, gesc);
	} else {
		snprintf(path, sizeof(path), "/v1/admin/computers/%s", esc);
	}
	rc = admin_call(&v, ctx, body ? "POST" : "DELETE", path, body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else if (strcmp(verb, "delete") == 0)
		printf("computer %s deleted (its token no longer works)\n", id);
	else
		printf("computer %s %s '%s'\n", id,
		       strcmp(verb, "add") == 0 ? "is now also in"
		                                : "is no longer in",
		       group);
	json_decref(v);
	return 0;
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
	printf("last contact %s, last report %s\n",
	       admin_str(c, "last_contact"), admin_str(c, "last_report"));
	if (json_is_string(json_object_get(c, "catalog")))
		printf("catalog %s%s%s\n", admin_str(c, "catalog"),
		       json_is_string(json_object_get(c, "catalog_detail"))
		               ? ": "
		               : "",
		       json_is_string(json_object_get(c, "catalog_detail"))
		               ? admin_str(c, "catalog_detail")
		               : "");
	putchar('\n');
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

static bool
in_group(json_t *c, const char *group)
{
	json_t *g;
	size_t i;

	json_array_foreach(json_object_get(c, "groups"), i,
	                   g) if (strcmp(json_string_value(g), group) ==
	                          0) return true;
	return strcmp(admin_str(c, "group"), group) == 0;
}

/* No report (or none at all) for days days; times are RFC 3339 UTC. */
static bool
is_stale(json_t *c, long days)
{
	const char *t = json_string_value(json_object_get(c, "last_report"));
	char cut[32];
	time_t lim = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	if (t == NULL)
		return true;
	gmtime_r(&lim, &tm);
	strftime(cut, sizeof(cut), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strcmp(t, cut) < 0;
}

/* The groups of a computer, comma-separated. */
static const char *
groups_text(char *out, size_t n, json_t *c)
{
	size_t i, used = 0;
	json_t *g;

	out[0] = '\0';
	json_array_foreach(json_object_get(c, "groups"), i, g)
	{
		int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "",
		                 json_string_value(g));
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	return used ? out : admin_str(c, "group");
}

static int
list(struct cli_ctx *ctx, const char *group, long stale)
{
	char gbuf[1024];
	const char *head[] = {"ID",           "HOSTNAME", "OS",
	                      "ARCH",         "GROUP",    "SERVER",
	                      "LAST CONTACT", "CATALOG",  NULL};
	json_t *v = NULL, *c;
	struct table t;
	size_t i;

	if (group != NULL && group_check(ctx, group) != 0)
		return 1;
	if (admin_call(&v, ctx, "GET", "/v1/admin/computers", NULL) != 0)
		return 1;
	{
		json_t *arr = json_object_get(v, "computers");
		for (i = json_array_size(arr); i-- > 0;) {
			json_t *x = json_array_get(arr, i);
			if ((group != NULL && !in_group(x, group)) ||
			    (stale >= 0 && !is_stale(x, stale)))
				json_array_remove(arr, i);
		}
	}
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "computers"), i, c) table_row(
	        &t,
	        (const char *const[]){
	                admin_str(c, "id"), admin_str(c, "hostname"),
	                admin_str(c, "os"), admin_str(c, "arch"),
	                groups_text(gbuf, sizeof(gbuf), c),
	                admin_str(c, "server"), admin_str(c, "last_contact"),
	                admin_str(c, "catalog")});
	table_print(&t, admin_csv(), "no computers registered yet");
	json_decref(v);
	return 0;
}

static int
computers_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2], *group = NULL, *stale = NULL;
	const struct admin_opt opts[] = {{"--group", &group, NULL},
	                                 {"--stale", &stale, NULL},
	                                 {NULL, NULL, NULL}};
	long days = -1;
	char *end;
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
	    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "remove") == 0)) {
		if (argc != 4)
			return cli_usage_error(&cmd_computers,
			                       "expected COMPUTER GROUP");
		return membership(ctx, argv[1], argv[2], argv[3]);
	}
	if (argc >= 2 && strcmp(argv[1], "delete") == 0) {
		if (argc != 3)
			return cli_usage_error(&cmd_computers,
			                       "expected COMPUTER");
		return membership(ctx, argv[1], argv[2], NULL);
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
	if (stale != NULL) {
		days = strtol(stale, &end, 10);
		if (*stale == '\0' || *end != '\0' || days < 0 || days > 36500)
			return cli_usage_error(&cmd_computers,
			                       "--stale: expected a number of "
			                       "days");
	}
	return list(ctx, group, days);
}

const struct cli_cmd cmd_computers = {
        .name = "computers",
        .summary = "list computers, show one's status, manage its groups, "
                   "delete one",
        .usage = COMPUTERS_USAGE,
        .run = computers_run,
};
