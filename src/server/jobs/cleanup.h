/*
 * cleanup: keeping a server healthy for years (WSUS's Server Cleanup
 * Wizard). One run does, in order, the steps its options ask for:
 *   superseded  decline updates superseded (by a live update) for at
 *               least superseded_days that no computer needs (needed,
 *               downloaded or failed) and hence none is approved for
 *   expired     decline expired updates
 *   computers   delete computers not heard from in computer_days (their
 *               states and events with them)
 *   revisions   delete old revisions that no state or license names
 *   files       delete content rows and stored files (and pending .part
 *               downloads) that no current, non-declined update needs
 *   compact     compact the database and report the space it gave back
 * Each step reports what it did, or with dry_run what it would do (and
 * then changes nothing). Work happens in short batches (one write
 * transaction of at most `batch` objects each) so agents syncing and
 * reporting meanwhile wait at most for one batch. Every change is audited
 * (per update and per computer, and a summary per step).
 *
 * cleanup_run() does not log; cleanup_start() runs it every
 * cfg->cleanup_hours on a thread of its own (cleanup_due() is the entry
 * point a scheduler calls; the lead may put it under a cluster lease).
 */
#ifndef SLUICE_SERVER_CLEANUP_H
#define SLUICE_SERVER_CLEANUP_H

#include <stdbool.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "store/store.h"

#define CLEANUP_BATCH_DEFAULT 100
#define CLEANUP_LIST_MAX      100 /* ids a step lists in its report */

struct cleanup_opts {
	bool dry_run;
	int superseded_days; /* < 0: skip the step */
	bool expired;
	int computer_days; /* 0: skip the step */
	bool files;        /* revisions and files */
	bool compact;
	bool vacuum_full;  /* SQLite: one blocking VACUUM (see store_cleanup.h)
	                    */
	const char *actor; /* for the audit log */
	int batch;         /* objects per transaction; 0 = default */
};

/* The options of the server's [cleanup] settings. */
void cleanup_opts_from_config(struct cleanup_opts *o,
                              const struct server_config *cfg);

/* Run the cleanup. *report (json_decref()) is
 *   {dry_run, steps: [{step, count, bytes?, items: [...]}...],
 *    duration_ms, longest_batch_ms}
 * where count is what was done (or would be). */
int cleanup_run(json_t **report, struct store *db,
                const struct server_config *cfg, const struct cleanup_opts *o,
                struct err *e);

/* The scheduled entry point: run with the configured options when
 * cfg->cleanup_hours have passed since the last run (meta
 * 'cleanup_last'); *ran says whether it did. */
int cleanup_due(bool *ran, json_t **report, struct store *db,
                const struct server_config *cfg, long long now, struct err *e);

struct cleanup_thread;
/* A thread that calls cleanup_due() (and notify_report_due(), notify.h)
 * every minute and logs each run; none (*out NULL) when neither
 * cfg->cleanup_hours nor cfg->notify_report_hours is set. Stop with
 * cleanup_stop(). */
int cleanup_start(struct cleanup_thread **out, const struct server_config *cfg,
                  struct err *e);
void cleanup_stop(struct cleanup_thread *t);

#endif
