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

#endif
