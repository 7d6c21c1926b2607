/*
 * sluice updates: the updates the server synced — list (with filters),
 * show one (metadata, supersedence, prerequisites, license terms,
 * approvals per group), approve, decline, decline superseded updates.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define UPDATES_USAGE                                                          \
	"usage: sluice updates [list] [--classification C] [--product P]\n"    \
	"                      [--search TEXT] [--needed] [--failed]\n"        \
	"                      [--declined | --all] [--json | --csv]\n"        \
	"       sluice updates show UPDATE-ID [--json]\n"                      \
	"       sluice updates approve UPDATE-ID GROUP [--action ACTION]\n"    \
	"                      [--deadline RFC3339] [--accept-license]\n"      \
	"                      [--with-prerequisites] [--json]\n"              \
	"       sluice updates decline UPDATE-ID [--undo] [--json]\n"          \
	"       sluice updates decline-superseded [--dry-run] [--json]\n\n"    \
	"UPDATE-ID: an id, an unambiguous id prefix, a KB article\n"           \
	"  (KB5034441) or an advisory id (DSA-5111-1).\n"                      \
	"list: the updates (declined ones only with --declined or --all):\n"   \
	"  id, revision, classification, product, files in the content\n"      \
	"  store, computers needing it / failed, title, approvals.\n"          \
	"  --needed / --failed: only updates some computer needs / failed.\n"  \
	"  --search matches the title, KB article or id.\n"                    \
	"show: everything about one update, including which updates it\n"      \
	"  supersedes and is superseded by, its prerequisites and bundled\n"   \
	"  updates, its license terms and the effective approval per group.\n" \
	"approve: ACTION is install (default), uninstall, not-approved (an\n"  \
	"  explicit setting that overrides the parent group) or inherit\n"     \
	"  (remove the group's own setting). Updates with license terms "      \
	"need\n"                                                               \
	"  --accept-license; prerequisites and bundled updates not yet\n"      \
	"  approved for the group need --with-prerequisites (or approve "      \
	"them\n"                                                               \
	"  first). Deadline: a UTC time such as 2026-12-01T00:00:00Z.\n"       \
	"  Every computer evaluates every update that is not declined and\n"   \
	"  reports whether it needs it; only approved ones are installed.\n"   \
	"  A new revision whose license terms differ from the accepted\n"      \
	"  ones is held back (\"awaiting license acceptance\") until they\n"   \
	"  are accepted. An expired update takes one action: uninstall.\n"     \
	"decline: hide the update from the default views and withdraw it\n"    \
	"  from every computer (--undo: undecline).\n"                         \
	"decline-superseded: decline every update superseded by a live\n"      \
	"  update that no computer needs (--dry-run: only list them).\n"

static const char *
counts_text(char *buf, size_t n, json_t *u, const char *a, const char *b)
{
	json_t *c = json_object_get(u, "counts");
	long long v = json_integer_value(json_object_get(c, a));

	if (b != NULL)
		v += json_integer_value(json_object_get(c, b));
	snprintf(buf, n, "%lld", v);
	return buf;
}

static int
list(struct cli_ctx *ctx, int argc, char **argv, int start)
{
	const char *cl = NULL, *pr = NULL, *se = NULL, *pos[1];
	bool needed = false, failed = false, declined = false, all = false;
	const struct admin_opt opts[] = {
	        {"--classification", &cl, NULL},
	        {"--product", &pr, NULL},
	        {"--search", &se, NULL},
	        {"--needed", NULL, &needed},
	        {"--failed", NULL, &failed},
	        {"--declined", NULL, &declined},
	        {"--all", NULL, &all},
	        {NULL, NULL, NULL},
	};
	const char *head[] = {
	        "ID",     "REV",    "CLASSIFICATION", "PRODUCT",   "FILES",
	        "NEEDED", "FAILED", "TITLE",          "APPROVALS", NULL};
	char path[2048];
	json_t *v = NULL, *u, *a;
	struct table t;
	size_t i, k;
	int npos;

	if (admin_parse(&cmd_updates, argc, argv, start, opts, pos, 0, &npos))
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
		                    all ? "1" : (declined ? "only" : NULL),
		                    NULL};
		if (!admin_query(path, sizeof(path), "/v1/admin/updates", kv))
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
		json_t *files = json_object_get(u, "files"), *f;
		char fl[32], rev[24], nd[24], fa[24], title[600], apps[2048];
		size_t present = 0, used = 0;

		json_array_foreach(files, k, f) present +=
		        json_is_true(json_object_get(f, "present"));
		snprintf(fl, sizeof(fl), "%zu/%zu", present,
		         json_array_size(files));
		snprintf(title, sizeof(title), "%s%s%s%s",
		         admin_str(u, "title"),
		         json_is_true(json_object_get(u, "awaiting_license"))
		                 ? " (awaiting license acceptance)"
		                 : "",
		         json_is_true(json_object_get(u, "expired"))
		                 ? " (expired)"
		                 : "",
		         json_is_true(json_object_get(u, "declined"))
		                 ? " (declined)"
		                 : "");
		apps[0] = '\0';
		json_array_foreach(json_object_get(u, "approvals"), k, a)
		{
			const char *dl = admin_str(a, "deadline");
			int w = snprintf(apps + used, sizeof(apps) - used,
			                 "%s%s: %s%s%s", used ? "; " : "",
			                 admin_str(a, "group"),
			                 admin_str(a, "action"),
			                 strcmp(dl, "-") ? ", deadline " : "",
			                 strcmp(dl, "-") ? dl : "");
			if (w < 0 || (size_t)w >= sizeof(apps) - used)
				break;
			used += (size_t)w;
		}
		table_row(
		        &t,
		        (const char *const[]){
		                admin_str(u, "id"),
		                admin_int(rev, sizeof(rev), u, "revision"),
		                admin_str(u, "classification"),
		                admin_str(u, "product"), fl,
		                counts_text(nd, sizeof(nd), u, "needed",
		                            "downloaded"),
		                counts_text(fa, sizeof(fa), u, "failed", NULL),
		                title, used ? apps : "-"});
	}
	table_print(&t, admin_csv(), "no updates (sync first: sluice sync)");
	json_decref(v);
	return 0;
}

static void
print_relation(const char *label, json_t *arr)
{
	json_t *x;
	size_t i;

	if (json_array_size(arr) == 0)
		return;
	printf("%s:\n", label);
	json_array_foreach(arr, i, x)
	        printf("  %s  %s\n", admin_str(x, "id"),
	               json_is_true(json_object_get(x, "known"))
	                       ? admin_str(x, "title")
	                       : "(not on this server)");
}

static int
show(struct cli_ctx *ctx, const char *id)
{
	char path[256], esc[128], uid[64];
	json_t *v = NULL, *u, *x, *lic, *eula;
	const char *head[] = {"GROUP", "EFFECTIVE", "DEADLINE", "SET ON", NULL};
	struct table t;
	size_t i;

	if (admin_update_id(uid, ctx, id) != 0)
		return 1;
	if (!admin_escape(esc, sizeof(esc), uid))
		return cli_fail("update id too long");
	snprintf(path, sizeof(path), "/v1/admin/updates/%s", esc);
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	u = json_object_get(v, "update");
	printf("%s  %s\n", admin_str(u, "id"), admin_str(u, "title"));
	printf("revision %lld, %s, product %s, released %s",
	       (long long)json_integer_value(json_object_get(u, "revision")),
	       admin_str(u, "classification"), admin_str(u, "product"),
	       admin_str(u, "release_date"));
	if (json_is_string(json_object_get(u, "severity")))
		printf(", severity %s", admin_str(u, "severity"));
	if (json_is_string(json_object_get(u, "kb_article")))
		printf(", %s", admin_str(u, "kb_article"));
	printf("%s%s\n",
	       json_is_true(json_object_get(v, "declined")) ? ", DECLINED" : "",
	       json_is_true(json_object_get(v, "expired")) ? ", EXPIRED" : "");
	if (json_is_string(json_object_get(u, "security_bulletin")))
		printf("advisory %s\n", admin_str(u, "security_bulletin"));
	if (json_array_size(json_object_get(u, "cve_ids")) > 0) {
		fputs("CVEs:", stdout);
		json_array_foreach(json_object_get(u, "cve_ids"), i, x)
		        printf(" %s", json_string_value(x));
		putchar('\n');
	}
	if (json_is_string(json_object_get(u, "support_url")))
		printf("more: %s\n", admin_str(u, "support_url"));
	if (json_is_string(json_object_get(u, "description")))
		printf("\n%s\n", admin_str(u, "description"));
	eula = json_object_get(u, "eula");
	lic = json_object_get(v, "license");
	if (json_is_object(eula)) {
		printf("\nlicense terms: %s (sha256 %s, %s)\n",
		       admin_str(eula, "name"), admin_str(eula, "sha256"),
		       admin_str(eula, "url"));
		if (json_is_object(lic))
			printf("  accepted by %s on %s\n",
			       admin_str(lic, "accepted_by"),
			       admin_str(lic, "accepted_at"));
		else
			printf("  not accepted yet: approve with "
			       "--accept-license\n");
	}
	putchar('\n');
	print_relation("supersedes", json_object_get(v, "supersedes"));
	print_relation("superseded by", json_object_get(v, "superseded_by"));
	print_relation("prerequisites", json_object_get(v, "prerequisites"));
	print_relation("bundles", json_object_get(v, "bundles"));
	printf("\napprovals (own settings and what each group inherits):\n");
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "effective"), i, x)
	{
		char from[300];
		const char *f = admin_str(x, "from");
		if (strcmp(f, "-") == 0)
			snprintf(from, sizeof(from), "-");
		else if (strcmp(f, admin_str(x, "group")) == 0)
			snprintf(from, sizeof(from), "this group");
		else
			snprintf(from, sizeof(from), "inherited from %s", f);
		table_row(&t, (const char *const[]){admin_str(x, "group"),
		                                    admin_str(x, "action"),
		                                    admin_str(x, "deadline"),
		                                    from});
	}
	table_print(&t, false, NULL);
	json_decref(v);
	return 0;
}

int
updates_approve(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc,
                char **argv, int start)
{
	const char *pos[2], *action = "install", *deadline = NULL;
	bool accept = false, deps = false;
	const struct admin_opt opts[] = {
	        {"--action", &action, NULL},
	        {"--deadline", &deadline, NULL},
	        {"--accept-license", NULL, &accept},
	        {"--with-prerequisites", NULL, &deps},
	        {NULL, NULL, NULL},
	};
	json_t *body, *v = NULL, *x;
	char uid[64];
	size_t i;
	int npos, rc;

	if (admin_parse(cmd, argc, argv, start, opts, pos, 2, &npos))
		return 2;
	if (npos != 2)
		return cli_usage_error(cmd, "expected UPDATE-ID GROUP");
	if (admin_update_id(uid, ctx, pos[0]) != 0)
		return 1;
	body = json_pack("{s:s,s:s,s:s,s:s?,s:b,s:b}", "update", uid, "group",
	                 pos[1], "action", action, "deadline", deadline,
	                 "accept_license", accept, "with_prerequisites", deps);
	if (body == NULL)
		return cli_fail("out of memory");
	rc = admin_call(&v, ctx, "POST", "/v1/admin/approvals", body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	if (strcmp(action, "inherit") == 0)
		printf("update %s: group '%s' now inherits its parent's "
		       "setting\n",
		       uid, pos[1]);
	else
		printf("update %s: %s for '%s'%s%s\n", uid, action, pos[1],
		       deadline ? ", deadline " : "", deadline ? deadline : "");
	json_array_foreach(json_object_get(v, "also_approved"), i, x)
	        printf("  also approved (prerequisite or bundled): %s\n",
	               json_string_value(x));
	json_array_foreach(json_object_get(v, "missing_prerequisites"), i, x)
	        printf("  warning: prerequisite %s is not on this server\n",
	               json_string_value(x));
	if (json_is_true(json_object_get(v, "license_accepted")))
		printf("  license terms accepted\n");
	json_decref(v);
	return 0;
}

static int
decline(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	bool undo = false;
	const struct admin_opt opts[] = {{"--undo", NULL, &undo},
	                                 {NULL, NULL, NULL}};
	char path[256], esc[128], uid[64];
	json_t *body, *v = NULL;
	int npos, rc;

	if (admin_parse(&cmd_updates, argc, argv, 2, opts, pos, 1, &npos))
		return 2;
	if (npos != 1)
		return cli_usage_error(&cmd_updates, "expected UPDATE-ID");
	if (admin_update_id(uid, ctx, pos[0]) != 0)
		return 1;
	if (!admin_escape(esc, sizeof(esc), uid))
		return cli_fail("update id too long");
	snprintf(path, sizeof(path), "/v1/admin/updates/%s/decline", esc);
	body = json_pack("{s:b}", "declined", !undo);
	rc = admin_call(&v, ctx, "POST", path, body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("update %s %s%s\n", uid,
		       undo ? "undeclined" : "declined",
		       json_is_true(json_object_get(v, "changed"))
		               ? ""
		               : " (it already was)");
	json_decref(v);
	return 0;
}

static int
decline_superseded(struct cli_ctx *ctx, int argc, char **argv)
{
	bool dry = false;
	const struct admin_opt opts[] = {{"--dry-run", NULL, &dry},
	                                 {NULL, NULL, NULL}};
	const char *pos[1];
	json_t *body, *v = NULL, *x;
	size_t i;
	int npos, rc;

	if (admin_parse(&cmd_updates, argc, argv, 2, opts, pos, 0, &npos))
		return 2;
	body = json_pack("{s:b}", "dry_run", dry);
	rc = admin_call(&v, ctx, "POST", "/v1/admin/updates/decline-superseded",
	                body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		json_array_foreach(json_object_get(v, "declined"), i, x) printf(
		        "%s %s  %s (superseded by %s)\n",
		        dry ? "would decline" : "declined", admin_str(x, "id"),
		        admin_str(x, "title"), admin_str(x, "superseded_by"));
		if (json_array_size(json_object_get(v, "declined")) == 0)
			printf("no superseded update to decline\n");
	}
	json_decref(v);
	return 0;
}

static int
updates_run(struct cli_ctx *ctx, int argc, char **argv)
{
	if (cli_wants_help(&cmd_updates, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc < 2 || argv[1][0] == '-')
		return list(ctx, argc, argv, 1);
	if (strcmp(argv[1], "list") == 0)
		return list(ctx, argc, argv, 2);
	if (strcmp(argv[1], "show") == 0) {
		if (argc != 3)
			return cli_usage_error(&cmd_updates,
			                       "expected UPDATE-ID");
		return show(ctx, argv[2]);
	}
	if (strcmp(argv[1], "approve") == 0)
		return updates_approve(ctx, &cmd_updates, argc, argv, 2);
	if (strcmp(argv[1], "decline") == 0)
		return decline(ctx, argc, argv);
	if (strcmp(argv[1], "decline-superseded") == 0)
		return decline_superseded(ctx, argc, argv);
	return cli_usage_error(&cmd_updates, "unknown subcommand '%s'",
	                       argv[1]);
}

const struct cli_cmd cmd_updates = {
        .name = "updates",
        .summary = "list, show, approve and decline updates",
        .usage = UPDATES_USAGE,
        .run = updates_run,
};
