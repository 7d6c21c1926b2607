/*
 * sluice rules: auto-approval rules — list, add, delete, run now over the
 * existing updates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define RULES_USAGE                                                            \
	"usage: sluice rules [list] [--json | --csv]\n"                        \
	"       sluice rules add NAME --group GROUP [--group GROUP ...]\n"     \
	"                    [--classification C] [--product P]\n"             \
	"                    [--action install|uninstall] [--deadline-days "   \
	"N]\n"                                                                 \
	"                    [--accept-license] [--disabled] [--json]\n"       \
	"       sluice rules delete NAME [--json]\n"                           \
	"       sluice rules run [NAME] [--json]\n\n"                          \
	"An auto-approval rule approves the updates of a classification\n"     \
	"(security, critical, ...) and product (default: any) for its\n"       \
	"groups, with an optional deadline N days after the approval. Rules\n" \
	"run after every sync on the updates that sync brought in; `run`\n"    \
	"applies them now to every existing update (a group's own setting "    \
	"is\n"                                                                 \
	"never overwritten). Updates with license terms are approved only "    \
	"by\n"                                                                 \
	"rules added with --accept-license.\n"

static int
list(struct cli_ctx *ctx)
{
	const char *head[] = {"NAME",    "CLASSIFICATION", "PRODUCT",
	                      "ACTION",  "DEADLINE",       "GROUPS",
	                      "LICENSE", "ENABLED",        NULL};
	json_t *v = NULL, *ru, *g;
	struct table t;
	size_t i, k;

	if (admin_call(&v, ctx, "GET", "/v1/admin/rules", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "rules"), i, ru)
	{
		char groups[1024] = "", dl[32] = "-";
		size_t used = 0;
		json_t *d = json_object_get(ru, "deadline_days");
		json_array_foreach(json_object_get(ru, "groups"), k, g)
		{
			int w = snprintf(groups + used, sizeof(groups) - used,
			                 "%s%s", used ? ", " : "",
			                 json_string_value(g));
			if (w < 0 || (size_t)w >= sizeof(groups) - used)
				break;
			used += (size_t)w;
		}
		if (json_is_integer(d))
			snprintf(dl, sizeof(dl), "+%lld days",
			         (long long)json_integer_value(d));
		table_row(&t,
		          (const char *const[]){
		                  admin_str(ru, "name"),
		                  json_is_string(
		                          json_object_get(ru, "classification"))
		                          ? admin_str(ru, "classification")
		                          : "any",
		                  json_is_string(json_object_get(ru, "product"))
		                          ? admin_str(ru, "product")
		                          : "any",
		                  admin_str(ru, "action"), dl, groups,
		                  json_is_true(
		                          json_object_get(ru, "accept_license"))
		                          ? "accepted"
		                          : "-",
		                  json_is_true(json_object_get(ru, "enabled"))
		                          ? "yes"
		                          : "no"});
	}
	table_print(&t, admin_csv(), "no auto-approval rules");
	json_decref(v);
	return 0;
}

static int
add(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *cl = NULL, *pr = NULL, *action = "install",
	           *dd = NULL;
	bool accept = false, disabled = false;
	json_t *groups = json_array(), *body, *v = NULL;
	long days = -1;
	int rc;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], **dst = NULL;
		if (strcmp(a, "--accept-license") == 0) {
			accept = true;
			continue;
		}
		if (strcmp(a, "--disabled") == 0) {
			disabled = true;
			continue;
		}
		if (a[0] != '-' && name == NULL) {
			name = a;
			continue;
		}
		if (strcmp(a, "--classification") == 0)
			dst = &cl;
		else if (strcmp(a, "--product") == 0)
			dst = &pr;
		else if (strcmp(a, "--action") == 0)
			dst = &action;
		else if (strcmp(a, "--deadline-days") == 0)
			dst = &dd;
		else if (strcmp(a, "--group") != 0) {
			json_decref(groups);
			return cli_usage_error(&cmd_rules, "unexpected '%s'",
			                       a);
		}
		if (i + 1 >= argc) {
			json_decref(groups);
			return cli_usage_error(&cmd_rules, "%s needs a value",
			                       a);
		}
		if (dst != NULL)
			*dst = argv[++i];
		else
			json_array_append_new(groups, json_string(argv[++i]));
	}
	if (name == NULL || json_array_size(groups) == 0) {
		json_decref(groups);
		return cli_usage_error(
		        &cmd_rules, "expected NAME and at least one --group");
	}
	if (dd != NULL) {
		char *end;
		days = strtol(dd, &end, 10);
		if (*end != '\0' || days < 0) {
			json_decref(groups);
			return cli_usage_error(&cmd_rules,
			                       "--deadline-days: expected a "
			                       "number of days");
		}
	}
	body = json_pack("{s:s,s:s?,s:s?,s:s,s:o,s:o,s:b,s:b}", "name", name,
	                 "classification", cl, "product", pr, "action", action,
	                 "groups", groups, "deadline_days",
	                 days >= 0 ? json_integer(days) : json_null(),
	                 "accept_license", accept, "enabled", !disabled);
	if (body == NULL)
		return cli_fail("out of memory");
	rc = admin_call(&v, ctx, "POST", "/v1/admin/rules", body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("rule '%s' added (it runs after every sync; `sluice "
		       "rules run %s` applies it to existing updates now)\n",
		       name, name);
	json_decref(v);
	return 0;
}

static int
rules_run(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *body;
	char path[512], esc[300];
	int rc;

	if (cli_wants_help(&cmd_rules, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc < 2 || strcmp(argv[1], "list") == 0)
		return list(ctx);
	if (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "create") == 0)
		return add(ctx, argc, argv);
	if (strcmp(argv[1], "delete") == 0) {
		if (argc != 3)
			return cli_usage_error(&cmd_rules, "expected NAME");
		if (!admin_escape(esc, sizeof(esc), argv[2]))
			return cli_fail("rule name too long");
		snprintf(path, sizeof(path), "/v1/admin/rules/%s", esc);
		if (admin_call(&v, ctx, "DELETE", path, NULL) != 0)
			return 1;
		if (ctx->json)
			admin_print_json(v);
		else
			printf("rule '%s' deleted\n", argv[2]);
		json_decref(v);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0) {
		if (argc > 3)
			return cli_usage_error(&cmd_rules, "expected [NAME]");
		body = json_pack("{s:s?}", "rule", argc == 3 ? argv[2] : NULL);
		rc = admin_call(&v, ctx, "POST", "/v1/admin/rules/run", body);
		json_decref(body);
		if (rc != 0)
			return 1;
		if (ctx->json)
			admin_print_json(v);
		else
			printf("%lld approval(s) made, %lld update(s) skipped "
			       "(license terms not accepted by the rule)\n",
			       (long long)json_integer_value(
			               json_object_get(v, "approved")),
			       (long long)json_integer_value(
			               json_object_get(v, "skipped_license")));
		json_decref(v);
		return 0;
	}
	return cli_usage_error(&cmd_rules, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_rules = {
        .name = "rules",
        .summary = "auto-approval rules: list, add, delete, run",
        .usage = RULES_USAGE,
        .run = rules_run,
};
