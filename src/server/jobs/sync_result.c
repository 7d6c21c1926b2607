/*
 * sync_result: the pieces both kinds of sync share (sync_result.h).
 */
#include "sync_result.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "update.h"

bool
sync_in_list(char *const *list, const char *s)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

int
sync_want_content(struct store *db, enum storage_mode mode, long long now,
                  unsigned *n, struct err *e)
{
	*n = 0;
	if (mode == STORAGE_NONE)
		return SL_OK;
	return store_content_want_current(n, db, mode != STORAGE_FULL,
	                                  (int64_t)now, e);
}

int
sync_history_finish(struct store *db, const struct sync_result *r,
                    const int64_t *version, const char *err_msg, struct err *e)
{
	struct store_sync_end end = {
	        .id = r->history_id,
	        .now = (int64_t)time(NULL),
	        .new_count = r->new_count,
	        .revised_count = r->revised_count,
	        .expired_count = r->expired_count,
	        .index_version = version,
	        .error = err_msg,
	};

	return store_sync_finish(db, &end, e);
}

int
sync_new_revision_approvals(struct store *db, const struct update *u,
                            struct err *e)
{
	char *v = NULL;
	unsigned n = 0;
	int rc = store_meta_get(db, "approve_new_revisions", &v, e);

	if (rc == SL_ENOTFOUND)
		return SL_OK;
	if (rc == SL_OK && strcmp(v, "0") == 0)
		rc = store_approvals_withdraw_install(
		        &n, db, u->id, "sync (approve_new_revisions off)", e);
	if (rc == SL_OK && n > 0)
		rc = store_audit_add(db, e, "sync", "approval.withdraw", u->id,
		                     "revision %lld: %u install approval(s) "
		                     "withdrawn (approve_new_revisions is off)",
		                     (long long)u->revision, n);
	free(v);
	return rc;
}
