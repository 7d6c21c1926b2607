/*
 * api_maint: maintenance endpoints (api_maint.c): export and import.
 */
#ifndef SLUICE_SERVER_API_MAINT_H
#define SLUICE_SERVER_API_MAINT_H

#include "http.h"

/* POST /v1/admin/export {path, files: all|approved|none, approvals} */
int api_maint_export(struct req *r, struct reply *out, struct err *e);
/* POST /v1/admin/import {path} */
int api_maint_import(struct req *r, struct reply *out, struct err *e);

/* POST /v1/admin/cleanup {dry_run, superseded_days, expired,
 * computer_days, files, compact, vacuum_full, batch}: the report of
 * jobs/cleanup.h (defaults from the [cleanup] settings). */
int api_maint_cleanup(struct req *r, struct reply *out, struct err *e);

/* GET /v1/admin/sync/progress: jobs/progress.h's snapshot with the
 * content store's pending and failed files, the round's totals and ETA. */
int api_maint_sync_progress(struct req *r, struct reply *out, struct err *e);
/* GET /v1/admin/sync/history: the history; the newest successful run
 * also has files_result (complete, pending or failed) and files (the
 * counts, and the pending and failed files with their errors). */
int api_maint_sync_history(struct req *r, struct reply *out, struct err *e);

/* POST /v1/admin/notify/test and /v1/admin/notify/report: send a test
 * message or the status report now, through every configured channel. */
int api_maint_notify(struct req *r, struct reply *out, struct err *e);

#endif
