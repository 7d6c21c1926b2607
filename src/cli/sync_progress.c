/*
 * sync_progress: the progress bar of `sluice sync --wait`. On a terminal
 * one line is redrawn in place: the sync's documents, then the files
 * (count and bytes of total, rate, ETA). Elsewhere nothing is drawn; the
 * final result is printed by the caller.
 */
#include "sync_progress.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin_call.h"

#define BAR 24

static void
human(char *out, size_t n, double b)
{
	const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(out, n, i == 0 ? "%.0f %s" : "%.1f %s", b, u[i]);
}

static void
bar(char *out, double frac)
{
	int full = (int)(frac * BAR + 0.5);

	if (full < 0)
		full = 0;
	if (full > BAR)
		full = BAR;
	for (int i = 0; i < BAR; i++)
		out[i] = i < full ? '#' : '.';
	out[BAR] = '\0';
}

/* Draw v; *busy says whether files are still due or downloading. */
static void
draw(json_t *v, bool tty, bool *busy)
{
	json_t *sy = json_object_get(v, "sync"),
	       *fe = json_object_get(v, "fetch");
	json_t *round = json_object_get(fe, "round"),
	       *files = json_object_get(v, "files");
	json_t *docs = json_object_get(sy, "documents");
	char b[BAR + 1], done[32], total[32], rate[32];
	long long pending =
	        json_integer_value(json_object_get(files, "pending"));

	*busy = pending > 0 || json_is_true(json_object_get(fe, "active"));
	if (!tty)
		return;
	if (json_is_true(json_object_get(sy, "running"))) {
		long long t =
		        json_integer_value(json_object_get(docs, "total"));
		long long ver =
		        json_integer_value(json_object_get(docs, "verified"));
		long long imp =
		        json_integer_value(json_object_get(docs, "imported"));

		bar(b, t > 0 ? (double)(ver + imp) / (double)(2 * t) : 0);
		fprintf(stderr,
		        "\r\033[Ksync [%s] %s: %lld/%lld verified, %lld "
		        "imported",
		        b, admin_str(sy, "phase"), ver, t, imp);
	} else {
		long long fd = json_integer_value(
		        json_object_get(round, "files_done"));
		long long ft = json_integer_value(
		        json_object_get(round, "files_total"));
		double bd = (double)json_integer_value(
		        json_object_get(round, "bytes_done"));
		double bt = (double)json_integer_value(
		        json_object_get(round, "bytes_total"));
		json_t *eta = json_object_get(round, "eta_s");

		human(done, sizeof(done), bd);
		human(total, sizeof(total), bt);
		human(rate, sizeof(rate),
		      (double)json_integer_value(
		              json_object_get(round, "rate_bps")));
		bar(b, bt > 0 ? bd / bt : 1);
		fprintf(stderr, "\r\033[Kfiles [%s] %lld/%lld, %s of %s, %s/s",
		        b, fd, ft, done, total, rate);
		if (json_is_integer(eta) && *busy)
			fprintf(stderr, ", ETA %llds",
			        (long long)json_integer_value(eta));
		if (json_integer_value(json_object_get(files, "failed")) > 0)
			fprintf(stderr, ", %lld failed",
			        (long long)json_integer_value(
			                json_object_get(files, "failed")));
	}
	fflush(stderr);
}

void
sync_show_progress(struct cli_ctx *ctx)
{
	json_t *v = NULL;
	bool busy;

	if (!isatty(STDERR_FILENO) || ctx->json)
		return;
	if (admin_call(&v, ctx, "GET", "/v1/admin/sync/progress", NULL) == 0)
		draw(v, true, &busy);
	json_decref(v);
}

int
sync_wait_files(struct cli_ctx *ctx, long timeout_s)
{
	bool tty = isatty(STDERR_FILENO) && !ctx->json, busy = true;
	time_t start = time(NULL);
	struct timespec ts = {0, 300 * 1000000L};

	while (busy) {
		json_t *v = NULL;

		if (admin_call(&v, ctx, "GET", "/v1/admin/sync/progress",
		               NULL) != 0)
			return 1;
		draw(v, tty, &busy);
		json_decref(v);
		if (!busy)
			break;
		if (time(NULL) - start > timeout_s) {
			if (tty)
				fputc('\n', stderr);
			return cli_fail(
			        "files still downloading after the timeout");
		}
		nanosleep(&ts, NULL);
	}
	if (tty)
		fputc('\n', stderr);
	return 0;
}

void
sync_print_files(json_t *h)
{
	json_t *files = json_object_get(h, "files"), *p;
	const char *fr = json_string_value(json_object_get(h, "files_result"));
	size_t i;

	/* Only when something is missing: a complete run is one line. */
	if (fr == NULL || strcmp(fr, "complete") == 0)
		return;
	printf("  files: %s (%lld present, %lld pending, %lld failed)\n", fr,
	       (long long)json_integer_value(json_object_get(files, "present")),
	       (long long)json_integer_value(json_object_get(files, "pending")),
	       (long long)json_integer_value(json_object_get(files, "failed")));
	json_array_foreach(json_object_get(files, "problems"), i, p) printf(
	        "  %s %s %s: %s\n", admin_str(p, "state"), admin_str(p, "name"),
	        admin_str(p, "sha256"), admin_str(p, "error"));
}
