/*
 * store_maint: the content store's state for the maintenance endpoints
 * (store_maint.h).
 */
#include "store_maint.h"

#include <string.h>

#include "store_int.h"

int
store_maint_content_summary(struct store_content_summary *out, struct store *s,
                            struct err *e)
{
	struct db_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_q(s, &st, e,
	             "SELECT state, count(*), coalesce(sum(size), 0) FROM "
	             "content GROUP BY state",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "content");
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *state = db_col_text(st, 0);
		int64_t n = db_col_int(st, 1), b = db_col_int(st, 2);

		if (strcmp(state, "wanted") == 0) {
			out->wanted = n;
			out->wanted_bytes = b;
		} else if (strcmp(state, "failed") == 0) {
			out->failed = n;
			out->failed_bytes = b;
		} else if (strcmp(state, "present") == 0) {
			out->present = n;
			out->present_bytes = b;
		}
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "content") : SL_OK;
}

static json_t *
problem_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:o,s:I,s:s,s:I,s:o}", "sha256",
	                 db_col_text(st, 0), "name", store_col_text(st, 5),
	                 "size", (json_int_t)db_col_int(st, 1), "state",
	                 db_col_text(st, 2), "attempts",
	                 (json_int_t)db_col_int(st, 3), "error",
	                 store_col_text(st, 4));
}

int
store_maint_content_problems(json_t *arr, struct store *s, size_t limit,
                             struct err *e)
{
	struct db_stmt *st;
	int rc = store_q(s, &st, e,
	                 "SELECT c.sha256, c.size, c.state, c.attempts, "
	                 "c.error, (SELECT min(f.name) FROM update_files f "
	                 "WHERE f.sha256 = c.sha256) FROM content c WHERE "
	                 "c.state IN ('wanted', 'failed') ORDER BY c.state = "
	                 "'wanted', c.sha256 LIMIT $1",
	                 "i", (int64_t)limit);

	if (rc != SL_OK)
		return err_prefix(e, "content");
	rc = store_q_collect(arr, st, problem_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "content") : SL_OK;
}
