/*
 * store_console: the few queries the web console needs beyond the other
 * areas: which updates some group approves (the approval filter of the
 * paged updates list) and the states (failed, installed) reported in a
 * recent window (the dashboard). Plain SQL both engines run.
 */
#include "store_int.h"

int
store_console_approved(json_t **out, struct store *s, struct err *e)
{
	struct db_stmt *st;
	json_t *map = json_object();
	int rc;

	if (map == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_q(s, &st, e,
	             "SELECT update_id, action FROM approvals WHERE action "
	             "<> 'not-approved'",
	             NULL);
	if (rc != SL_OK) {
		json_decref(map);
		return err_prefix(e, "approved updates");
	}
	while ((rc = db_step(st, e)) == DB_ROW)
		if (json_object_set_new(map, db_col_text(st, 0),
		                        json_string(db_col_text(st, 1))) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	db_done(st);
	if (rc < 0) {
		json_decref(map);
		return err_prefix(e, "approved updates");
	}
	*out = map;
	return SL_OK;
}

static json_t *
failure_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "computer",
	                 db_col_text(st, 0), "hostname", db_col_text(st, 1),
	                 "update", db_col_text(st, 2), "title",
	                 store_col_text(st, 3), "detail", store_col_text(st, 4),
	                 "reported", store_col_time(st, 5));
}

int
store_console_states(json_t *arr, struct store *s, const char *state,
                     int64_t since, int64_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT f.computer_id, c.hostname, f.update_id, u.title, "
	             "f.detail, f.reported_at FROM update_states f JOIN "
	             "computers c ON c.id = f.computer_id LEFT JOIN updates u "
	             "ON u.id = f.update_id AND u.revision = f.revision WHERE "
	             "f.state = $1 AND f.reported_at >= $2 ORDER BY "
	             "f.reported_at DESC, c.hostname LIMIT $3",
	             "tii", state, since, limit);
	if (rc != SL_OK)
		return err_prefix(e, "%s states", state);
	rc = store_q_collect(arr, st, failure_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "%s states", state) : SL_OK;
}
