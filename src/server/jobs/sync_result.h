/*
 * sync_result: what both kinds of sync (sync.c from a catalog origin,
 * sync_sluiced.c from an upstream sluiced) report and share: the result
 * of a run, its sync_history row, the product/classification filter and
 * the content rows a storage mode wants.
 */
#ifndef SLUICE_SERVER_SYNC_RESULT_H
#define SLUICE_SERVER_SYNC_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "store/store.h"

struct update;

struct sync_result {
	int64_t history_id;     /* the sync_history row of this run */
	int64_t index_version;  /* version of the accepted index (0 on failure)
	                         */
	unsigned new_count;     /* updates seen for the first time */
	unsigned revised_count; /* known updates with a newer revision */
	unsigned expired_count; /* updates newly marked expired */
	unsigned files_wanted;  /* content rows newly set to 'wanted' */
};

/* True when list is NULL (no filter) or holds s. */
bool sync_in_list(char *const *list, const char *s);
/* Add the content rows the storage mode wants (see
 * store_content_want_current); none -> nothing. */
int sync_want_content(struct store *db, enum storage_mode mode, long long now,
                      unsigned *n, struct err *e);
/* Finish history row r->history_id: success with r's counts when err_msg
 * is NULL, else failure with err_msg; index_version *version or NULL. */
int sync_history_finish(struct store *db, const struct sync_result *r,
                        const int64_t *version, const char *err_msg,
                        struct err *e);
/* WSUS's "automatically approve new revisions of updates that are
 * already approved": on unless the setting approve_new_revisions is "0".
 * Off, a new revision u of an approved update is not approved: its install
 * approvals are withdrawn (audited) until an administrator approves it.
 * Either way a revision whose license terms are new waits for their
 * acceptance (store.h, STORE_LICENSE_OK). Call after importing a new
 * revision of a known update, in the import's transaction. */
int sync_new_revision_approvals(struct store *db, const struct update *u,
                                struct err *e);

#endif
