/*
 * store_console: the few queries the web console needs beyond the other
 * areas: which updates some group approves (the approval filter of the
 * paged updates list) and the install outcomes (failed, installed) of a
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
store_console_outcomes(json_t *arr, struct store *s, bool failed, int64_t since,
                       int64_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc;

	/* The order is the key's, read backwards: the newest first without
	 * a sort, however many outcomes the window holds. */
	rc = store_q(s, &st, e,
	             "SELECT c.id, c.hostname, us.id, u.title, CASE WHEN o.ok "
	             "= 0 THEN d.detail END, o.t FROM state_outcomes o JOIN "
	             "computers c ON c.ckey = o.ckey JOIN update_status us ON "
	             "us.ukey = o.ukey LEFT JOIN updates u ON u.id = us.id AND "
	             "u.revision = o.rev LEFT JOIN state_details d ON d.ckey = "
	             "o.ckey AND d.ukey = o.ukey WHERE o.ok = $1 AND o.t >= $2 "
	             "ORDER BY o.t DESC, o.ckey DESC, o.ukey DESC LIMIT $3",
	             "iii", (int64_t)(failed ? 0 : 1), since, limit);
	if (rc != SL_OK)
		return err_prefix(e, "%s",
		                  failed ? "failed installs" : "installs");
	rc = store_q_collect(arr, st, failure_row, e);
	db_done(st);
	if (rc != SL_OK)
		return err_prefix(e, "%s",
		                  failed ? "failed installs" : "installs");
	return SL_OK;
}
