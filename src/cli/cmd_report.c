/*
 * sluice report: status reports — per update (counts of computers in each
 * state, by group, and a page of its computers' states), summary of all
 * updates,
 * per computer, and the sync history; as tables, --json or --csv.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define REPORT_USAGE                                                           \
	"usage: sluice report updates [--classification C] [--product P]\n"    \
	"                     [--search TEXT] [--needed] [--failed] [--all]\n" \
	"       sluice report update UPDATE-ID [--state S] [--limit N]\n"      \
	"                     [--after COMPUTER-ID]\n"                         \
	"       sluice report computers [--group GROUP]\n"                     \
	"       sluice report computer COMPUTER\n"                             \
	"       sluice report sync\n"                                          \
	"Every report takes --json or --csv.\n\n"                              \
	"updates: per update, how many computers reported it installed,\n"     \
	"  needed (incl. downloaded), failed, not applicable, or nothing.\n"   \
	"update: the same for one update, in total and per group, then its\n"  \
	"  computers by id with their state and the server they report to:\n"  \
	"  --limit of them (default 1000, at most 10000) after --after, in\n"  \
	"  state --state (installed, needed, ..., no-status); the next\n"      \
	"  page's --after is printed below the table.\n"                       \
	"computers: per computer, its counts of updates in each state, last\n" \
	"  contact and last report. computer: one computer's updates.\n"       \
	"sync: the synchronisation history.\n"

static const char *
cnt(char *b, size_t n, json_t *c, const char *k1, const char *k2)
{
	long long v = json_integer_value(json_object_get(c, k1));

	if (k2 != NULL)
		v += json_integer_value(json_object_get(c, k2));
	snprintf(b, n, "%lld", v);
	return b;
}

/* The 5 count columns of a counts object. */
#define COUNT_HEAD                                                             \
	"INSTALLED", "NEEDED", "FAILED", "NOT APPLICABLE", "NO STATUS"

static int
report_updates(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *cl = NULL, *pr = NULL, *se = NULL, *pos[1];
	bool needed = false, failed = false, all = false;
	const struct admin_opt opts[] = {
	        {"--classification", &cl, NULL},
	        {"--product", &pr, NULL},
	        {"--search", &se, NULL},
	        {"--needed", NULL, &needed},
	        {"--failed", NULL, &failed},
	        {"--all", NULL, &all},
	        {NULL, NULL, NULL},
	};
	const char *head[] = {"ID", "TITLE", COUNT_HEAD, NULL};
	char path[2048];
	json_t *v = NULL, *u;
	struct table t;
	size_t i;
	int npos;

	if (admin_parse(&cmd_report, argc, argv, 2, opts, pos, 0, &npos))
		return 2;
	{
		const char *kv[] = {"classification",
		                    cl,
		                    "product",
		                    pr,
		                    "search",
		                    se,
		                    "needed",
		                    needed ? "1" : NULL,
		                    "failed",
		                    failed ? "1" : NULL,
		                    "declined",
		                    all ? "1" : NULL,
		                    NULL};
		if (!admin_query(path, sizeof(path),
		                 "/v1/admin/reports/updates", kv))
			return cli_fail("filter text too long");
	}
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "updates"), i, u)
	{
		json_t *c = json_object_get(u, "counts");
		char a[24], b[24], d[24], f[24], g[24];
		table_row(&t, (const char *const[]){
		                      admin_str(u, "id"), admin_str(u, "title"),
		                      cnt(a, 24, c, "installed",
		                          "installed_pending_reboot"),
		                      cnt(b, 24, c, "needed", "downloaded"),
		                      cnt(d, 24, c, "failed", NULL),
		                      cnt(f, 24, c, "not_applicable", NULL),
		                      cnt(g, 24, c, "no_status", NULL)});
	}
	table_print(&t, admin_csv(), "no updates match");
	json_decref(v);
	return 0;
}

static void
count_row(struct table *t, const char *label, json_t *c)
{
	char a[24], b[24], d[24], f[24], g[24];

	table_row(t,
	          (const char *const[]){label,
	                                cnt(a, 24, c, "installed",
	                                    "installed_pending_reboot"),
	                                cnt(b, 24, c, "needed", "downloaded"),
	                                cnt(d, 24, c, "failed", NULL),
	                                cnt(f, 24, c, "not_applicable", NULL),
	                                cnt(g, 24, c, "no_status", NULL)});
}

static int
report_update(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *state = NULL, *limit = NULL, *after = NULL, *pos[1];
	const struct admin_opt opts[] = {{"--state", &state, NULL},
	                                 {"--limit", &limit, NULL},
	                                 {"--after", &after, NULL},
	                                 {NULL, NULL, NULL}};
	const char *id, *next;
	const char *gh[] = {"GROUP", COUNT_HEAD, NULL};
	const char *ch[] = {"COMPUTER", "HOSTNAME", "GROUP",  "SERVER",
	                    "STATE",    "REPORTED", "DETAIL", NULL};
	char path[1024], base[256], esc[128], uid[64];
	json_t *v = NULL, *u, *g, *c;
	struct table t;
	size_t i;
	int npos;

	if (admin_parse(&cmd_report, argc, argv, 2, opts, pos, 1, &npos))
		return 2;
	if (npos != 1)
		return cli_usage_error(&cmd_report, "expected UPDATE-ID");
	id = pos[0];
	if (admin_update_id(uid, ctx, id) != 0)
		return 1;
	if (!admin_escape(esc, sizeof(esc), uid))
		return cli_fail("update id too long");
	snprintf(base, sizeof(base), "/v1/admin/reports/updates/%s", esc);
	{
		const char *kv[] = {"state", state, "limit", limit,
		                    "after", after, NULL};
		if (!admin_query(path, sizeof(path), base, kv))
			return cli_fail("option text too long");
	}
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	if (!admin_csv()) {
		u = json_object_get(v, "update");
		printf("%s  %s (revision %lld, %s)\n\n", admin_str(u, "id"),
		       admin_str(u, "title"),
		       (long long)json_integer_value(
		               json_object_get(u, "revision")),
		       admin_str(u, "classification"));
		table_init(&t, gh);
		json_array_foreach(json_object_get(v, "groups"), i, g)
		        count_row(&t, admin_str(g, "group"),
		                  json_object_get(g, "counts"));
		count_row(&t, "(all computers)", json_object_get(v, "totals"));
		table_print(&t, false, NULL);
		putchar('\n');
	}
	table_init(&t, ch);
	json_array_foreach(json_object_get(v, "computers"), i, c) table_row(
	        &t, (const char *const[]){
	                    admin_str(c, "id"), admin_str(c, "hostname"),
	                    admin_str(c, "group"), admin_str(c, "server"),
	                    admin_str(c, "state"), admin_str(c, "reported"),
	                    admin_str(c, "detail")});
	table_print(&t, admin_csv(), "no computers");
	next = json_string_value(json_object_get(v, "next"));
	if (next != NULL && !admin_csv())
		printf("\nmore: --after %s\n", next);
	json_decref(v);
	return 0;
}

static int
report_computers(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *group = NULL, *pos[1];
	const struct admin_opt opts[] = {{"--group", &group, NULL},
	                                 {NULL, NULL, NULL}};
	const char *head[] = {
	        "ID",          "HOSTNAME", "GROUP",  "SERVER",
	        "INSTALLED",   "NEEDED",   "FAILED", "LAST CONTACT",
	        "LAST REPORT", "CATALOG",  NULL};
	char path[1024];
	json_t *v = NULL, *c;
	struct table t;
	size_t i;
	int npos;

	if (admin_parse(&cmd_report, argc, argv, 2, opts, pos, 0, &npos))
		return 2;
	{
		const char *kv[] = {"group", group, NULL};
		if (!admin_query(path, sizeof(path),
		                 "/v1/admin/reports/computers", kv))
			return cli_fail("group name too long");
	}
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "computers"), i, c)
	{
		json_t *k = json_object_get(c, "counts");
		char a[24], b[24], d[24];
		table_row(&t,
		          (const char *const[]){
		                  admin_str(c, "id"), admin_str(c, "hostname"),
		                  admin_str(c, "group"), admin_str(c, "server"),
		                  cnt(a, 24, k, "installed",
		                      "installed_pending_reboot"),
		                  cnt(b, 24, k, "needed", "downloaded"),
		                  cnt(d, 24, k, "failed", NULL),
		                  admin_str(c, "last_contact"),
		                  admin_str(c, "last_report"),
		                  admin_str(c, "catalog")});
	}
	table_print(&t, admin_csv(), "no computers");
	json_decref(v);
	return 0;
}

static int
report_sync(struct cli_ctx *ctx)
{
	const char *head[] = {"ID",      "STARTED", "FINISHED", "RESULT", "NEW",
	                      "REVISED", "EXPIRED", "INDEX",    "ERROR",  NULL};
	json_t *v = NULL, *h;
	struct table t;
	size_t i;

	if (admin_call(&v, ctx, "GET", "/v1/admin/sync/history", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "history"), i, h)
	{
		char id[24], n[24], r[24], x[24], iv[24];
		table_row(&t, (const char *const[]){
		                      admin_int(id, 24, h, "id"),
		                      admin_str(h, "started"),
		                      admin_str(h, "finished"),
		                      admin_str(h, "result"),
		                      admin_int(n, 24, h, "new"),
		                      admin_int(r, 24, h, "revised"),
		                      admin_int(x, 24, h, "expired"),
		                      admin_int(iv, 24, h, "index_version"),
		                      admin_str(h, "error")});
	}
	table_print(&t, admin_csv(), "no syncs yet");
	json_decref(v);
	return 0;
}

static int
report_run(struct cli_ctx *ctx, int argc, char **argv)
{
	if (cli_wants_help(&cmd_report, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc < 2)
		return cli_usage_error(&cmd_report, "which report?");
	if (strcmp(argv[1], "updates") == 0)
		return report_updates(ctx, argc, argv);
	if (strcmp(argv[1], "update") == 0)
		return report_update(ctx, argc, argv);
	if (strcmp(argv[1], "computers") == 0)
		return report_computers(ctx, argc, argv);
	if (strcmp(argv[1], "computer") == 0) {
		if (argc != 3)
			return cli_usage_error(&cmd_report,
			                       "expected COMPUTER");
		return computers_show(ctx, argv[2]);
	}
	if (strcmp(argv[1], "sync") == 0) {
		if (argc != 2)
			return cli_usage_error(&cmd_report, "unexpected '%s'",
			                       argv[2]);
		return report_sync(ctx);
	}
	return cli_usage_error(&cmd_report, "unknown report '%s'", argv[1]);
}

const struct cli_cmd cmd_report = {
        .name = "report",
        .summary = "reports: per update, per computer, sync history",
        .usage = REPORT_USAGE,
        .run = report_run,
};
