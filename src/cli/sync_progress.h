/*
 * sync_progress: `sluice sync --wait`'s progress display (sync_progress.c)
 * over GET /v1/admin/sync/progress, and the files part of a history entry.
 */
#ifndef SLUICE_CLI_SYNC_PROGRESS_H
#define SLUICE_CLI_SYNC_PROGRESS_H

#include <jansson.h>

#include "cli.h"

/* Show the progress once (a bar on a terminal; nothing otherwise). */
void sync_show_progress(struct cli_ctx *ctx);
/* Show progress until no file is pending or downloading (at most
 * timeout_s seconds). 0, or 1 after printing why it stopped. */
int sync_wait_files(struct cli_ctx *ctx, long timeout_s);
/* Print the files lines of a history entry whose files_result is pending
 * or failed (the counts and the problems); nothing otherwise. */
void sync_print_files(json_t *h);

#endif
