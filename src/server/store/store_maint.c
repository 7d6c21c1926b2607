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

static json_t *
new_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "id", db_col_text(st, 0), "title",
	                 db_col_text(st, 1), "classification",
	                 db_col_text(st, 2), "severity", store_col_text(st, 3));
}

int
store_maint_new_updates(json_t *by_class, json_t *list, struct store *s,
                        int64_t since, size_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT u.classification, count(*) FROM update_status s "
	             "JOIN updates u ON u.id = s.id AND u.revision = "
	             "s.latest_revision WHERE u.imported_at >= $1 GROUP BY "
	             "u.classification ORDER BY u.classification",
	             "i", since);
	if (rc != SL_OK)
		return err_prefix(e, "new updates");
	while ((rc = db_step(st, e)) == DB_ROW)
		if (json_object_set_new(by_class, db_col_text(st, 0),
		                        json_integer(db_col_int(st, 1))) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	db_done(st);
	if (rc < 0)
		return err_prefix(e, "new updates");
	rc = store_q(s, &st, e,
	             "SELECT u.id, u.title, u.classification, u.severity FROM "
	             "update_status s JOIN updates u ON u.id = s.id AND "
	             "u.revision = s.latest_revision WHERE u.imported_at >= $1 "
	             "ORDER BY u.classification, u.title LIMIT $2",
	             "ii", since, (int64_t)limit);
	if (rc != SL_OK)
		return err_prefix(e, "new updates");
	rc = store_q_collect(list, st, new_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "new updates") : SL_OK;
}

static json_t *
failure_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o}", "hostname", db_col_text(st, 0),
	                 "update", db_col_text(st, 1), "title",
	                 store_col_text(st, 2), "detail",
	                 store_col_text(st, 3));
}

int
store_maint_status(json_t **out, struct store *s, size_t limit, struct err *e)
{
	int64_t computers = 0, needing = 0, failed = 0;
	json_t *list = json_array();
	struct db_stmt *st;
	int rc;

	if (list == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	/* From the state masks, as the console's dashboard counts: no state is
	 * read for the figures (minutes at 100,000 x 20,000). */
	if ((rc = store_q_int(s, &computers, e,
	                      "SELECT count(*) FROM computers", NULL)) < 0 ||
	    (rc = store_q_int(s, &needing, e,
	                      "SELECT count(*) FROM computers WHERE "
	                      "(state_mask & 38) <> 0",
	                      NULL)) < 0 ||
	    (rc = store_q_int(
	             s, &failed, e,
	             "SELECT coalesce(sum(x.n), 0) FROM state_counts x "
	             "JOIN update_status s ON s.ukey = x.ukey AND "
	             "s.declined = 0 WHERE x.st = 5",
	             NULL)) < 0) {
		json_decref(list);
		return err_prefix(e, "status");
	}
	/* The list reads the states of the first `limit` computers by
	 * hostname that have a failure, not every state. */
	rc = store_q(
	        s, &st, e,
	        "WITH f AS (SELECT c.ckey, c.id, c.hostname FROM computers c "
	        "WHERE (c.state_mask & 32) <> 0 ORDER BY c.hostname, c.id "
	        "LIMIT $1) SELECT "
	        "f.hostname, us.id, (SELECT u.title FROM updates u WHERE u.id "
	        "= us.id AND u.revision = us.latest_revision), d.detail FROM f "
	        "JOIN states x ON x.ckey = f.ckey AND x.v % 8 = 5 JOIN "
	        "update_status us ON us.ukey = x.ukey AND us.declined = 0 "
	        "LEFT JOIN state_details d ON x.v % 16 >= 8 AND d.ckey = "
	        "x.ckey AND d.ukey = x.ukey ORDER BY f.hostname, f.id, us.id "
	        "LIMIT $1",
	        "i", (int64_t)limit);
	if (rc == SL_OK) {
		rc = store_q_collect(list, st, failure_row, e);
		db_done(st);
	}
	if (rc != SL_OK) {
		json_decref(list);
		return err_prefix(e, "status");
	}
	*out = json_pack("{s:I,s:I,s:I,s:o}", "computers",
	                 (json_int_t)computers, "computers_needing",
	                 (json_int_t)needing, "failed_installs",
	                 (json_int_t)failed, "failures", list);
	return *out != NULL ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}
