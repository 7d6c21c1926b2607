/*
 * approvals: effective approvals with inheritance along the group tree,
 * computed in SQL with a recursive CTE over the group's chain of parents.
 */
#include "store/approvals.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* chain(gid, depth): ?1 and its ancestors. own: rows on the chain. eff:
 * the nearest row per update. chg: the newest change on the chain per
 * update (settings and removals). */
#define CHAIN_CTE                                                              \
	"WITH RECURSIVE chain(gid, depth) AS (SELECT ?1, 0 UNION ALL "         \
	"SELECT g.parent_id, c.depth + 1 FROM groups g JOIN chain c ON "       \
	"g.id = c.gid WHERE g.parent_id IS NOT NULL AND c.depth < 64), "       \
	"own AS (SELECT a.update_id, a.action, a.deadline, a.change_seq, "     \
	"c.depth FROM approvals a JOIN chain c ON c.gid = a.group_id), "       \
	"eff AS (SELECT o.update_id, o.action, o.deadline FROM own o WHERE "   \
	"o.depth = (SELECT min(o2.depth) FROM own o2 WHERE o2.update_id = "    \
	"o.update_id)), "                                                      \
	"chg AS (SELECT update_id, max(change_seq) AS seq FROM (SELECT "       \
	"update_id, change_seq FROM own UNION ALL SELECT r.update_id, "        \
	"r.change_seq FROM approval_removals r JOIN chain c ON c.gid = "       \
	"r.group_id) GROUP BY update_id) "

int
approvals_prepare_set(sqlite3_stmt **out, struct store *db, int64_t gid,
                      int64_t since, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(
	        db, &st,
	        CHAIN_CTE
	        "SELECT f.update_id, s.latest_revision, f.action, f.deadline, "
	        "u.document FROM eff f JOIN chg ON chg.update_id = f.update_id "
	        "JOIN update_status s ON s.id = f.update_id "
	        "JOIN updates u ON u.id = s.id AND u.revision = "
	        "s.latest_revision WHERE f.action IN ('install', 'uninstall') "
	        "AND s.expired = 0 AND s.declined = 0 "
	        "AND max(chg.seq, s.change_seq) > ?2 ORDER BY f.update_id",
	        e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, since);
	*out = st;
	return SL_OK;
}

int
approvals_prepare_removed(sqlite3_stmt **out, struct store *db, int64_t gid,
                          int64_t since, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                CHAIN_CTE
	                "SELECT chg.update_id FROM chg LEFT JOIN update_status "
	                "s ON s.id = chg.update_id LEFT JOIN eff f ON "
	                "f.update_id = chg.update_id WHERE max(chg.seq, "
	                "coalesce(s.change_seq, 0)) > ?2 AND (f.action IS "
	                "NULL OR f.action NOT IN ('install', 'uninstall') OR "
	                "s.expired != 0 OR s.declined != 0) ORDER BY 1",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, since);
	*out = st;
	return SL_OK;
}

int
approvals_effective(struct approval_eff *out, struct store *db,
                    const char *update_id, int64_t gid, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_prepare(db, &st,
	                "WITH RECURSIVE chain(gid, depth) AS (SELECT ?1, 0 "
	                "UNION ALL SELECT g.parent_id, c.depth + 1 FROM groups "
	                "g JOIN chain c ON g.id = c.gid WHERE g.parent_id IS "
	                "NOT NULL AND c.depth < 64) SELECT a.action, "
	                "a.deadline, a.group_id FROM approvals a JOIN chain c "
	                "ON c.gid = a.group_id WHERE a.update_id = ?2 ORDER BY "
	                "c.depth LIMIT 1",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_text(st, 2, update_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		snprintf(out->action, sizeof(out->action), "%s", a ? a : "");
		out->has_deadline = sqlite3_column_type(st, 1) != SQLITE_NULL;
		out->deadline = sqlite3_column_int64(st, 1);
		out->from_gid = sqlite3_column_int64(st, 2);
		rc = SL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SL_OK;
	} else {
		rc = db_error(db, e, "effective approval");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The group's own row: *found, action and deadline. */
static int
own_row(bool *found, char action[16], bool *has_dl, long long *dl,
        struct store *db, const char *id, int64_t gid, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*found = false;
	rc = db_prepare(db, &st,
	                "SELECT action, deadline FROM approvals WHERE "
	                "update_id = ? AND group_id = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, gid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		*found = true;
		snprintf(action, 16, "%s", a ? a : "");
		*has_dl = sqlite3_column_type(st, 1) != SQLITE_NULL;
		*dl = sqlite3_column_int64(st, 1);
		rc = SL_OK;
	} else {
		rc = rc == SQLITE_DONE ? SL_OK : db_error(db, e, "approval");
	}
	sqlite3_finalize(st);
	return rc;
}

int
approvals_set(struct store *db, const char *update_id, int64_t gid,
              const char *action, bool has_deadline, long long deadline,
              const char *actor, bool *changed, struct err *e)
{
	sqlite3_stmt *st = NULL;
	char cur[16] = "";
	bool found, cur_has_dl = false;
	long long cur_dl = 0;
	int64_t seq;
	int rc;

	if (changed)
		*changed = false;
	rc = own_row(&found, cur, &cur_has_dl, &cur_dl, db, update_id, gid, e);
	if (rc != SL_OK)
		return rc;
	if (action == NULL && !found)
		return SL_OK;
	if (action != NULL && found && strcmp(cur, action) == 0 &&
	    cur_has_dl == has_deadline && (!has_deadline || cur_dl == deadline))
		return SL_OK;
	rc = store_seq_next(db, &seq, e);
	if (rc != SL_OK)
		return rc;
	if (action == NULL) {
		rc = db_prepare(
		        db, &st,
		        "DELETE FROM approvals WHERE update_id = ?1 AND "
		        "group_id = ?2",
		        e);
		if (rc != SL_OK)
			return rc;
		sqlite3_bind_text(st, 1, update_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, gid);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_error(db, e, "remove approval");
			goto out;
		}
		sqlite3_finalize(st);
		rc = db_prepare(
		        db, &st,
		        "INSERT OR REPLACE INTO approval_removals("
		        "update_id, group_id, change_seq) VALUES(?1, ?2, "
		        "?3)",
		        e);
		if (rc != SL_OK)
			return rc;
		sqlite3_bind_text(st, 1, update_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, gid);
		sqlite3_bind_int64(st, 3, seq);
	} else {
		rc = db_prepare(
		        db, &st,
		        "INSERT INTO approvals(update_id, group_id, action, "
		        "deadline, approved_at, change_seq, approved_by) "
		        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		        "ON CONFLICT(update_id, group_id) DO UPDATE SET "
		        "action = excluded.action, deadline = "
		        "excluded.deadline, "
		        "approved_at = excluded.approved_at, change_seq = "
		        "excluded.change_seq, approved_by = "
		        "excluded.approved_by",
		        e);
		if (rc != SL_OK)
			return rc;
		sqlite3_bind_text(st, 1, update_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, gid);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		if (has_deadline)
			sqlite3_bind_int64(st, 4, deadline);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
		sqlite3_bind_int64(st, 6, seq);
		sqlite3_bind_text(st, 7, actor, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, e, "store approval");
		goto out;
	}
	if (changed)
		*changed = true;
	rc = SL_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int
approvals_load_update(struct update **out, bool *declined, bool *expired,
                      struct store *db, const char *id, struct err *e)
{
	sqlite3_stmt *st = NULL;
	json_error_t je;
	json_t *doc = NULL;
	const char *text;
	int rc;

	rc = db_prepare(db, &st,
	                "SELECT u.document, s.declined, s.expired FROM "
	                "update_status s JOIN updates u ON u.id = s.id AND "
	                "u.revision = s.latest_revision WHERE s.id = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE
		             ? err_set(e, SL_ENOTFOUND, "no update %s", id)
		             : db_error(db, e, "update lookup");
		goto out;
	}
	if (declined)
		*declined = sqlite3_column_int(st, 1) != 0;
	if (expired)
		*expired = sqlite3_column_int(st, 2) != 0;
	text = (const char *)sqlite3_column_text(st, 0);
	doc = json_loads(text ? text : "", 0, &je);
	if (doc == NULL || !json_is_object(json_object_get(doc, "signed"))) {
		rc = err_set(e, SL_EINTERNAL,
		             "stored document of %s does not parse", id);
		goto out;
	}
	rc = update_from_json(out, json_object_get(doc, "signed"), e);
	if (rc != SL_OK)
		err_prefix(e, "stored document of %s", id);
out:
	json_decref(doc);
	sqlite3_finalize(st);
	return rc;
}

int
approvals_is_descendant(int *out, struct store *db, int64_t gid, int64_t anc,
                        struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	rc = db_prepare(db, &st,
	                "WITH RECURSIVE chain(gid, depth) AS (SELECT ?1, 0 "
	                "UNION ALL SELECT g.parent_id, c.depth + 1 FROM groups "
	                "g JOIN chain c ON g.id = c.gid WHERE g.parent_id IS "
	                "NOT NULL AND c.depth < 64) SELECT 1 FROM chain WHERE "
	                "gid = ?2",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, anc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = 1;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE
	             ? SL_OK
	             : db_error(db, e, "group ancestry");
	sqlite3_finalize(st);
	return rc;
}

int
approvals_touch_subtree(struct store *db, int64_t gid, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t seq;
	int rc;

	rc = store_seq_next(db, &seq, e);
	if (rc == SL_OK)
		rc = db_prepare(
		        db, &st,
		        "WITH RECURSIVE sub(gid, depth) AS (SELECT ?1, 0 "
		        "UNION ALL SELECT g.id, s.depth + 1 FROM groups g "
		        "JOIN sub s ON g.parent_id = s.gid WHERE s.depth "
		        "< 64) UPDATE computers SET group_seq = ?2 WHERE "
		        "group_id IN (SELECT gid FROM sub)",
		        e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st) == SQLITE_DONE
	             ? SL_OK
	             : db_error(db, e, "mark computers for a full sync");
	sqlite3_finalize(st);
	return rc;
}
