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

#endif
