/*
 * sluice cleanup: run the server cleanup (decline superseded and expired
 * updates, delete stale computers, unneeded files and old revisions,
 * compact the database) and print what each step did, or with --dry-run
 * what it would do. docs/maintenance.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define CLEANUP_USAGE                                                          \
	"usage: sluice cleanup [--dry-run] [--superseded-days N]\n"            \
	"                      [--computer-days N] [--no-superseded]\n"        \
	"                      [--no-expired] [--no-files] [--no-compact]\n"   \
	"                      [--vacuum-full] [--list] [--json]\n\n"          \
	"Clean the server up; each step reports what it did (or would do\n"    \
	"with --dry-run). Defaults come from the server's [cleanup] "          \
	"settings:\n"                                                          \
	"decline updates superseded for 30 days that no computer needs,\n"     \
	"decline expired updates, delete files and old revisions nothing\n"    \
	"needs, compact the database. --computer-days N also deletes\n"        \
	"computers not heard from in N days. --vacuum-full (SQLite) "          \
	"rebuilds\n"                                                           \
	"the database file, holding it for the whole run: use it in a quiet\n" \
	"hour. --list prints the first objects of each step.\n"

static int
num(const struct cli_cmd *cmd, const char *opt, const char *s, long lo, long hi,
    json_t *body, const char *key)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return cli_usage_error(cmd, "%s: '%s' is not %ld..%ld", opt, s,
		                       lo, hi);
	json_object_set_new(body, key, json_integer(v));
	return 0;
}

static void
print_step(json_t *s, bool dry, bool list)
{
	const char *name = admin_str(s, "step");
	long long n = json_integer_value(json_object_get(s, "count"));
	long long bytes = json_integer_value(json_object_get(s, "bytes"));
	json_t *it;
	size_t i;

	if (strcmp(name, "superseded") == 0)
		printf("superseded updates: %s %lld\n",
		       dry ? "would decline" : "declined", n);
	else if (strcmp(name, "expired") == 0)
		printf("expired updates: %s %lld\n",
		       dry ? "would decline" : "declined", n);
	else if (strcmp(name, "computers") == 0)
		printf("computers not heard from in %lld days: %s %lld\n",
		       (long long)json_integer_value(
		               json_object_get(s, "days")),
		       dry ? "would delete" : "deleted", n);
	else if (strcmp(name, "revisions") == 0)
		printf("old revisions: %s %lld\n",
		       dry ? "would delete" : "deleted", n);
	else if (strcmp(name, "files") == 0)
		printf("files nothing needs: %s %lld (%lld bytes)\n",
		       dry ? "would delete" : "deleted", n, bytes);
	else if (strcmp(name, "compact") == 0)
		printf("database: %lld bytes before, %lld after, %s %lld "
		       "bytes%s\n",
		       (long long)json_integer_value(
		               json_object_get(s, "size_before")),
		       (long long)json_integer_value(
		               json_object_get(s, "size_after")),
		       dry ? "could reclaim" : "reclaimed", bytes,
		       !dry && json_integer_value(
		                       json_object_get(s, "reclaimable")) > 0
		               ? " (more with --vacuum-full)"
		               : "");
	if (!list)
		return;
	json_array_foreach(json_object_get(s, "items"), i, it)
	{
		if (json_is_string(it))
			printf("  %s\n", json_string_value(it));
		else if (json_is_array(it))
			printf("  %s revision %lld\n",
			       json_string_value(json_array_get(it, 0)),
			       (long long)json_integer_value(
			               json_array_get(it, 1)));
		else if (json_object_get(it, "hostname") != NULL)
			printf("  %s %s last contact %s\n", admin_str(it, "id"),
			       admin_str(it, "hostname"),
			       admin_str(it, "last_contact"));
		else if (json_object_get(it, "sha256") != NULL)
			printf("  %s %s\n", admin_str(it, "sha256"),
			       admin_str(it, "state"));
		else
			printf("  %s (superseded by %s)\n", admin_str(it, "id"),
			       admin_str(it, "superseded_by"));
	}
}

static int
cleanup_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sup = NULL, *comp = NULL, *pos[1];
	bool dry = false, no_sup = false, no_exp = false, no_files = false,
	     no_compact = false, full = false, list = false;
	const struct admin_opt opts[] = {{"--dry-run", NULL, &dry},
	                                 {"--superseded-days", &sup, NULL},
	                                 {"--computer-days", &comp, NULL},
	                                 {"--no-superseded", NULL, &no_sup},
	                                 {"--no-expired", NULL, &no_exp},
	                                 {"--no-files", NULL, &no_files},
	                                 {"--no-compact", NULL, &no_compact},
	                                 {"--vacuum-full", NULL, &full},
	                                 {"--list", NULL, &list},
	                                 {NULL, NULL, NULL}};
	json_t *body, *v = NULL, *s;
	size_t i;
	int npos, rc;

	if (cli_wants_help(&cmd_cleanup, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (admin_parse(&cmd_cleanup, argc, argv, 1, opts, pos, 0, &npos))
		return 2;
	if ((body = json_object()) == NULL)
		return cli_fail("out of memory");
	json_object_set_new(body, "dry_run", json_boolean(dry));
	if (sup != NULL && (rc = num(&cmd_cleanup, "--superseded-days", sup, 0,
	                             36500, body, "superseded_days")) != 0)
		goto fail;
	if (no_sup)
		json_object_set_new(body, "superseded_days", json_integer(-1));
	if (comp != NULL && (rc = num(&cmd_cleanup, "--computer-days", comp, 1,
	                              36500, body, "computer_days")) != 0)
		goto fail;
	if (no_exp)
		json_object_set_new(body, "expired", json_false());
	if (no_files)
		json_object_set_new(body, "files", json_false());
	if (no_compact)
		json_object_set_new(body, "compact", json_false());
	if (full)
		json_object_set_new(body, "vacuum_full", json_true());
	ctx->timeout_s = 24 * 3600;
	rc = admin_call(&v, ctx, "POST", "/v1/admin/cleanup", body);
	json_decref(body);
	if (rc != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		if (dry)
			printf("dry run: nothing is changed\n");
		json_array_foreach(json_object_get(v, "steps"), i, s)
		        print_step(s, dry, list);
		printf("took %lld ms (longest batch %.1f ms)\n",
		       (long long)json_integer_value(
		               json_object_get(v, "duration_ms")),
		       json_real_value(json_object_get(v, "longest_batch_ms")));
	}
	json_decref(v);
	return 0;
fail:
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_cleanup = {
        .name = "cleanup",
        .summary = "decline superseded/expired updates, delete stale data",
        .usage = CLEANUP_USAGE,
        .run = cleanup_run,
};
