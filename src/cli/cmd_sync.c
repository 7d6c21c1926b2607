/*
 * sluice sync: start a sync of the server from its upstream and wait for
 * its result (polling the sync history); `sluice sync history` lists past
 * syncs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_call.h"
#include "cli.h"
#include "sync_progress.h"

#define SYNC_USAGE                                                             \
	"usage: sluice sync [--wait] [--timeout SECONDS] [--json]\n"           \
	"       sluice sync history [--json]\n\n"                              \
	"Start a sync of the server from its upstream and wait until it is\n"  \
	"finished (default at most 600 s); print its result. Exit status 1\n"  \
	"when the sync failed. --wait also waits for the files to download,\n" \
	"with a progress bar on a terminal (documents verified and "           \
	"imported,\n"                                                          \
	"files and bytes of total, rate, ETA); exit status 1 when files\n"     \
	"failed. `history` lists the last syncs.\n"

static int64_t
newest_id(json_t *hist, const char **result)
{
	json_t *h0 = json_array_get(json_object_get(hist, "history"), 0);

	*result = admin_str(h0, "result");
	return h0 ? json_integer_value(json_object_get(h0, "id")) : 0;
}

static void
print_entry(json_t *h)
{
	json_t *err = json_object_get(h, "error");
	json_t *iv = json_object_get(h, "index_version");

	printf("sync #%lld %s: %s, %lld new, %lld revised, %lld expired",
	       (long long)json_integer_value(json_object_get(h, "id")),
	       admin_str(h, "started"), admin_str(h, "result"),
	       (long long)json_integer_value(json_object_get(h, "new")),
	       (long long)json_integer_value(json_object_get(h, "revised")),
	       (long long)json_integer_value(json_object_get(h, "expired")));
	if (json_is_integer(iv))
		printf(", index version %lld",
		       (long long)json_integer_value(iv));
	if (json_is_string(err))
		printf(": %s", json_string_value(err));
	putchar('\n');
	sync_print_files(h);
}

static int
history(struct cli_ctx *ctx)
{
	json_t *v = NULL, *h;
	size_t i;

	if (admin_call(&v, ctx, "GET", "/v1/admin/sync/history", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		json_array_foreach(json_object_get(v, "history"), i, h)
		        print_entry(h);
		if (json_array_size(json_object_get(v, "history")) == 0)
			printf("no syncs yet\n");
	}
	json_decref(v);
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
sync_run(struct cli_ctx *ctx, int argc, char **argv)
{
	bool wait_files = false, ok;
	json_t *v = NULL, *h0;
	const char *result;
	long timeout = 600;
	int64_t before, id;
	int rc = 1;
	bool running;
	time_t start;

	if (cli_wants_help(&cmd_sync, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "history") == 0) {
		if (argc != 2)
			return cli_usage_error(&cmd_sync, "too many arguments");
		return history(ctx);
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--wait") == 0) {
			wait_files = true;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout = strtol(argv[++i], &end, 10);
			if (*end != '\0' || timeout <= 0)
				return cli_usage_error(&cmd_sync,
				                       "bad --timeout");
		} else {
			return cli_usage_error(&cmd_sync, "unexpected '%s'",
			                       argv[i]);
		}
	}
	if (admin_call(&v, ctx, "GET", "/v1/admin/sync/history", NULL) != 0)
		return 1;
	before = newest_id(v, &result);
	running = strcmp(result, "running") == 0;
	json_decref(v);
	v = NULL;
	if (admin_call(&v, ctx, "POST", "/v1/admin/sync", NULL) != 0)
		return 1;
	/* Not started because one is running: wait for that one. */
	if (json_is_false(json_object_get(v, "started")) && running)
		before--;
	json_decref(v);
	v = NULL;
	/* Wait for a run newer than `before` (or the one already running
	 * when ours was merged into it) to finish. */
	start = time(NULL);
	for (;;) {
		if (admin_call(&v, ctx, "GET", "/v1/admin/sync/history",
		               NULL) != 0)
			return 1;
		id = newest_id(v, &result);
		if (strcmp(result, "running") != 0 && id > before)
			break;
		if (wait_files)
			sync_show_progress(ctx);
		if (time(NULL) - start > timeout) {
			json_decref(v);
			return cli_fail("sync still running after %ld s",
			                timeout);
		}
		json_decref(v);
		v = NULL;
		sleep_ms(200);
	}
	ok = strcmp(result, "success") == 0;
	if (wait_files && ok) {
		json_decref(v);
		v = NULL;
		if (sync_wait_files(
		            ctx, timeout - (long)(time(NULL) - start)) != 0 ||
		    admin_call(&v, ctx, "GET", "/v1/admin/sync/history",
		               NULL) != 0)
			return 1;
	}
	h0 = json_array_get(json_object_get(v, "history"), 0);
	if (ctx->json)
		admin_print_json(h0);
	else
		print_entry(h0);
	rc = ok ? 0 : 1;
	if (wait_files && json_is_string(json_object_get(h0, "files_result")) &&
	    strcmp(admin_str(h0, "files_result"), "failed") == 0)
		rc = 1;
	json_decref(v);
	return rc;
}

const struct cli_cmd cmd_sync = {
        .name = "sync",
        .summary = "sync the server from its upstream (and wait), or "
                   "show sync history",
        .usage = SYNC_USAGE,
        .run = sync_run,
};
