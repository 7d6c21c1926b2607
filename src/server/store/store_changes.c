/*
 * store_changes: whether an incremental agent sync has anything to read
 * (store.h, store_changed_since). The evaluated set and the removed ids
 * (store_approvals.c) hold only updates whose status row or whose
 * effective approval of one of the computer's groups changed after the
 * anchor; when no such row exists both are empty, which this finds
 * without joining the updates and their documents.
 */
#include "store_int.h"

#include <inttypes.h>

int
store_changed_since(bool *changed, struct store *s, int64_t gid,
                    const char *computer, int64_t since, struct err *e)
{
	int64_t one;
	int rc = store_q_int(
	        s, &one, e,
	        "SELECT 1 WHERE EXISTS (SELECT 1 FROM update_status WHERE "
	        "change_seq > $3) OR EXISTS (SELECT 1 FROM "
	        "effective_approvals WHERE change_seq > $3 AND group_id IN "
	        "(SELECT CAST($1 AS BIGINT) UNION SELECT group_id FROM "
	        "computer_groups WHERE computer_id = CAST($2 AS TEXT)))",
	        "iti", gid, computer, since);

	if (rc < 0)
		return err_prefix(e, "changes since %" PRId64, since);
	*changed = rc == DB_ROW;
	return SL_OK;
}
