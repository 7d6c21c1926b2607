/*
 * store_maint: what the maintenance endpoints read of the content store's
 * state (store_maint.c): how many files are pending, failed or present,
 * and which ones failed and why.
 */
#ifndef SLUICE_SERVER_STORE_STORE_MAINT_H
#define SLUICE_SERVER_STORE_STORE_MAINT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

struct store_content_summary {
	int64_t wanted, failed, present;
	int64_t wanted_bytes, failed_bytes, present_bytes;
};
int store_maint_content_summary(struct store_content_summary *out,
                                struct store *s, struct err *e);
/* Append up to limit {sha256, name, size, state, attempts, error} of the
 * rows not yet present (failed first). */
int store_maint_content_problems(json_t *arr, struct store *s, size_t limit,
                                 struct err *e);

/* Updates whose latest revision came at or after since: *by_class
 * {classification: count} and up to limit {id, title, classification,
 * severity} in list, by classification then title. */
int store_maint_new_updates(json_t *by_class, json_t *list, struct store *s,
                            int64_t since, size_t limit, struct err *e);

/* The status report: {computers, computers_needing, failed_installs,
 * failures: [{hostname, update, title, detail}]}, from the counters:
 * computers_needing those with a needed, downloaded or failed state (as
 * the console's dashboard counts them: of any update), failed_installs the
 * failed states of updates not declined, failures those of the first
 * limit computers by hostname that have one (at most limit rows). *out is
 * a new reference. */
int store_maint_status(json_t **out, struct store *s, size_t limit,
                       struct err *e);

#endif
