/*
 * store_catalog: what the administration shows and changes of one update
 * (store.h, "Catalog"): its title and document, its groups' approvals and
 * the effective setting of every group, its license acceptance, declines,
 * and a walk over every current update for relations computed in C
 * (supersedes, prerequisites, bundles are lists inside the documents).
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#define LATEST                                                                 \
	"update_status s JOIN updates u ON u.id = s.id AND u.revision = "      \
	"s.latest_revision "

int
store_update_title(char *out, size_t n, bool *known, struct store *s,
                   const char *id, struct err *e)
{
	struct db_stmt *st;
	int rc;

	snprintf(out, n, "?");
	*known = false;
	rc = store_q(s, &st, e, "SELECT u.title FROM " LATEST "WHERE s.id = $1",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "update title");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *t = db_col_text(st, 0);
		snprintf(out, n, "%s", t ? t : "");
		*known = true;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "update title") : SL_OK;
}

int
store_update_document(json_t **doc, bool *declined, bool *expired,
                      struct store *s, const char *id, struct err *e)
{
	struct db_stmt *st;
	json_error_t je;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT u.document, s.declined, s.expired FROM " LATEST
	             "WHERE s.id = $1",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "update");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *t = db_col_text(st, 0);
		*declined = db_col_int(st, 1) != 0;
		*expired = db_col_int(st, 2) != 0;
		*doc = json_loads(t ? t : "", 0, &je);
		rc = *doc != NULL ? SL_OK
		                  : err_set(e, SL_EINTERNAL,
		                            "stored document does not parse");
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no update %s", id);
	}
	db_done(st);
	return rc;
}

int
store_updates_each(struct store *s, store_update_fn fn, void *arg,
                   struct err *e)
{
	struct store_update_row row;
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT s.id, u.title, s.declined, s.expired, u.document "
	             "FROM " LATEST "ORDER BY s.id",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "updates");
	while ((rc = db_step(st, e)) == DB_ROW) {
		row.id = db_col_text(st, 0);
		row.title = db_col_text(st, 1);
		row.declined = db_col_int(st, 2) != 0;
		row.expired = db_col_int(st, 3) != 0;
		row.document = db_col_text(st, 4);
		if ((rc = fn(arg, &row, e)) != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

static json_t *
approval_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:o}", "group", db_col_text(st, 0),
	                 "action", db_col_text(st, 1), "deadline",
	                 store_col_time(st, 2), "approved_at",
	                 store_col_time(st, 3), "approved_by",
	                 store_col_text(st, 4));
}

static json_t *
effective_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o}", "group", db_col_text(st, 0),
	                 "action", db_col_text(st, 1), "deadline",
	                 store_col_time(st, 2), "from", store_col_text(st, 3));
}

int
store_update_approvals(json_t *own, json_t *effective, struct store *s,
                       const char *id, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT g.name, a.action, a.deadline, a.approved_at, "
	             "a.approved_by FROM approvals a JOIN groups g ON g.id = "
	             "a.group_id WHERE a.update_id = $1 ORDER BY g.name",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "approvals");
	rc = store_q_collect(own, st, approval_row, e);
	db_done(st);
	if (rc != SL_OK)
		return err_prefix(e, "approvals");
	/* Effective setting of every group (nearest own row up the tree). */
	rc = store_q(
	        s, &st, e,
	        "WITH RECURSIVE anc(gid, aid, depth) AS (SELECT id, id, 0 FROM "
	        "groups UNION ALL SELECT a.gid, g.parent_id, a.depth + 1 FROM "
	        "anc a JOIN groups g ON g.id = a.aid WHERE g.parent_id IS NOT "
	        "NULL AND a.depth < 64), hit AS (SELECT anc.gid, anc.depth, "
	        "ap.action, ap.deadline, ap.group_id FROM anc JOIN approvals "
	        "ap "
	        "ON ap.group_id = anc.aid AND ap.update_id = $1) SELECT "
	        "g.name, coalesce(h.action, 'not-approved'), h.deadline, "
	        "(SELECT name FROM groups WHERE id = h.group_id) FROM groups g "
	        "LEFT JOIN hit h ON h.gid = g.id AND h.depth = (SELECT "
	        "min(depth) FROM hit h2 WHERE h2.gid = g.id) ORDER BY g.id",
	        "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "effective");
	rc = store_q_collect(effective, st, effective_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "effective") : SL_OK;
}

int
store_update_license(json_t **out, struct store *s, const char *id,
                     struct err *e)
{
	struct db_stmt *st;
	int rc;

	*out = json_null();
	rc = store_q(s, &st, e,
	             "SELECT l.accepted_by, l.accepted_at FROM "
	             "license_acceptances l JOIN update_status s ON s.id = "
	             "l.update_id AND s.latest_revision = l.revision WHERE "
	             "l.update_id = $1",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "license");
	rc = db_step(st, e);
	if (rc == DB_ROW)
		*out = json_pack("{s:o,s:o}", "accepted_by",
		                 store_col_text(st, 0), "accepted_at",
		                 store_col_time(st, 1));
	db_done(st);
	return rc < 0 ? err_prefix(e, "license") : SL_OK;
}

int
store_update_set_declined(bool *changed, struct store *s, const char *id,
                          bool declined, int64_t now, struct err *e)
{
	int64_t seq, n = 0;
	int rc;

	*changed = false;
	rc = store_seq_next(s, &seq, e);
	if (rc != SL_OK)
		return rc;
	rc = store_q_run(s, &n, e,
	                 "UPDATE update_status SET declined = $2, declined_at "
	                 "= CASE WHEN $2 = 1 THEN CAST($3 AS BIGINT) END, "
	                 "change_seq = $4 WHERE id = $1 AND declined != $2",
	                 "tdii", id, declined ? 1 : 0, now, seq);
	if (rc != SL_OK)
		return err_prefix(e, "decline");
	*changed = n > 0;
	return SL_OK;
}

int
store_update_needed(bool *needed, struct store *s, const char *id,
                    struct err *e)
{
	int64_t one;
	int rc = store_q_int(s, &one, e,
	                     "SELECT 1 FROM state_counts x JOIN update_status "
	                     "u ON u.ukey = x.ukey WHERE u.id = $1 AND x.st "
	                     "IN (1, 2, 5) AND x.n > 0 LIMIT 1",
	                     "t", id);

	if (rc < 0)
		return err_prefix(e, "update states");
	*needed = rc == DB_ROW;
	return SL_OK;
}
