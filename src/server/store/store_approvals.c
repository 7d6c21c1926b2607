/*
 * store_approvals: effective approvals with inheritance along the group
 * tree (store.h, "Approvals"), computed in SQL with a recursive CTE over
 * the group's chain of parents.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* mem: the computer's groups ($1, its first group, and the others of
 * computer_groups for computer $2; $2 NULL: group $1 alone). Each group's
 * effective approval per update, inheritance applied, is a row of
 * effective_approvals (store_effective.c); where a computer's groups
 * disagree, install wins over uninstall and either over not approved; of
 * several deadlines of the winning action the earliest wins (WIN, WIN_DL
 * over the rows e of one update). The newest change of the rows is the
 * update's change for the computer. */
#define MEM_CTE                                                                \
	"WITH mem(gid) AS (SELECT CAST($1 AS BIGINT) UNION SELECT group_id "   \
	"FROM computer_groups WHERE computer_id = CAST($2 AS TEXT)) "
#define HAS(act) "sum(CASE WHEN e.action = '" act "' THEN 1 ELSE 0 END) > 0"
#define WIN                                                                    \
	"CASE WHEN " HAS("install") " THEN 'install' WHEN " HAS(               \
	        "uninstall") " THEN 'uninstall' WHEN count(e.action) > 0 "     \
	                     "THEN "                                           \
	                     "'not-approved' END"
#define WIN_DL                                                                 \
	"CASE WHEN " HAS(                                                      \
	        "install") " THEN min(CASE WHEN e.action = "                   \
	                   "'install' THEN e.deadline END) WHEN " HAS(         \
	                           "uninstall") " THEN min(CASE WHEN "         \
	                                        "e.action = "                  \
	                                        "'uninstall' THEN "            \
	                                        "e.deadline END) END"
/* f(update_id, action, deadline, seq): the computer's row per update. */
#define F_CTE                                                                  \
	MEM_CTE ", f AS (SELECT e.update_id, " WIN " AS action, " WIN_DL       \
	        " AS deadline, max(e.change_seq) AS seq FROM "                 \
	        "effective_approvals e WHERE e.group_id IN (SELECT gid FROM "  \
	        "mem) GROUP BY e.update_id) "

static const char *const sql_approved =
        F_CTE "SELECT f.update_id, s.latest_revision, f.action, f.deadline, "
              "u.document FROM f JOIN update_status s ON s.id = f.update_id "
              "JOIN updates u ON u.id = s.id AND u.revision = "
              "s.latest_revision WHERE f.action IN ('install', 'uninstall') "
              "AND (s.expired = 0 OR f.action = 'uninstall') AND s.declined "
              "= 0 AND (f.action = 'uninstall' OR " STORE_LICENSE_OK(
                      "u") ") AND (f.seq > $3 OR s.change_seq > $3) ORDER "
                           "BY f.update_id";

static const char *const sql_removed =
        F_CTE "SELECT f.update_id FROM f LEFT JOIN update_status s ON s.id "
              "= f.update_id LEFT JOIN updates u ON u.id = s.id AND "
              "u.revision = s.latest_revision WHERE (f.seq > $3 OR "
              "coalesce(s.change_seq, 0) > $3) AND (f.action IS NULL OR "
              "f.action NOT IN ('install', 'uninstall') OR (s.expired != 0 "
              "AND f.action != 'uninstall') OR (f.action = 'install' AND "
              "NOT " STORE_LICENSE_OK("u") ") OR s.declined != 0) ORDER BY 1";

/* Every update an agent evaluates (protocol 2): each one not declined,
 * and an expired one only while it is approved for removal (WSUS allows
 * exactly one action on an expired update: uninstall), with the
 * computer's effective approval or none; changed after since, ids after
 * `after`, limit at most. A computer in one group ($1; since $2, after
 * $3, limit $4): a range scan of the updates by id, each with its
 * group's row by key, which stops at the limit. */
static const char *const sql_evaluate_one =
        "SELECT s.id, s.latest_revision, CASE WHEN f.action = 'install' AND "
        "NOT " STORE_LICENSE_OK(
                "u") " THEN NULL ELSE f.action END, f.deadline, u.document "
                     "FROM update_status s JOIN updates u ON u.id = s.id AND "
                     "u.revision = s.latest_revision LEFT JOIN "
                     "effective_approvals f ON f.group_id = $1 AND "
                     "f.update_id = s.id WHERE s.declined = 0 AND (s.expired "
                     "= 0 OR f.action = 'uninstall') AND "
                     "(coalesce(f.change_seq, 0) > $2 OR s.change_seq > $2) "
                     "AND s.id > CAST($3 AS TEXT) ORDER BY s.id LIMIT $4";

/* The same for a computer in several groups ($1, $2 as MEM_CTE; since $3,
 * after $4, limit $5): the few groups' rows of each update merged. */
static const char *const sql_evaluate_many = MEM_CTE
        ", p AS (SELECT s.id, s.latest_revision, " WIN " AS action, " WIN_DL
        " AS deadline FROM update_status s LEFT JOIN "
        "effective_approvals e ON e.update_id = s.id AND e.group_id "
        "IN (SELECT gid FROM mem) WHERE s.declined = 0 AND s.id > "
        "CAST($4 AS TEXT) GROUP BY s.id, s.latest_revision, "
        "s.expired, s.change_seq HAVING (s.expired = 0 OR " WIN
        " = 'uninstall') AND (coalesce(max(e.change_seq), 0) > $3 OR "
        "s.change_seq > $3) ORDER BY s.id LIMIT $5) SELECT p.id, "
        "p.latest_revision, CASE WHEN p.action = 'install' AND "
        "NOT " STORE_LICENSE_OK(
                "u") " THEN NULL ELSE p.action END, p.deadline, "
                     "u.document FROM p JOIN updates u ON u.id = "
                     "p.id AND u.revision = p.latest_revision ORDER "
                     "BY p.id";

/* The ids that left the evaluated set after $3: declined, or expired and
 * not (any longer) approved for removal. */
static const char *const sql_gone =
        F_CTE "SELECT s.id FROM update_status s LEFT JOIN f ON f.update_id "
              "= s.id WHERE (coalesce(f.seq, 0) > $3 OR s.change_seq > $3) "
              "AND (s.declined != 0 OR (s.expired != 0 AND "
              "coalesce(f.action, '') != 'uninstall')) ORDER BY s.id";

static const char *const sql_files =
        "SELECT sha256, size, upstream_url, name FROM update_files WHERE "
        "update_id = $1 AND revision = $2 ORDER BY name, sha256";

int
store_approved_each(struct store *s, int64_t gid, const char *computer,
                    int64_t since, store_approved_fn fn, void *arg,
                    struct err *e)
{
	struct store_approved a;
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e, sql_approved, "iti", gid, computer, since);
	if (rc != SL_OK)
		return err_prefix(e, "approved set");
	while ((rc = db_step(st, e)) == DB_ROW) {
		a.update_id = db_col_text(st, 0);
		a.revision = db_col_int(st, 1);
		a.action = db_col_text(st, 2);
		a.has_deadline = !db_col_null(st, 3);
		a.deadline = db_col_int(st, 3);
		a.document = db_col_text(st, 4);
		rc = fn(arg, &a, e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	if (rc < 0)
		return rc;
	return SL_OK;
}

int
store_evaluate_each(struct store *s, int64_t gid, const char *computer,
                    int64_t since, const char *after, int64_t limit,
                    store_approved_fn fn, void *arg, struct err *e)
{
	struct store_approved a;
	struct db_stmt *st;
	int64_t others = 0;
	int rc;

	/* The common case, a computer in one group, reads by key. */
	if (computer != NULL) {
		rc = store_q_int(s, &others, e,
		                 "SELECT count(*) FROM computer_groups WHERE "
		                 "computer_id = $1 AND group_id != $2",
		                 "ti", computer, gid);
		if (rc != DB_ROW)
			return err_prefix(e, "evaluated set");
	}
	if (others == 0)
		rc = store_q(s, &st, e, sql_evaluate_one, "iiti", gid, since,
		             after, limit);
	else
		rc = store_q(s, &st, e, sql_evaluate_many, "ititi", gid,
		             computer, since, after, limit);
	if (rc != SL_OK)
		return err_prefix(e, "evaluated set");
	while ((rc = db_step(st, e)) == DB_ROW) {
		a.update_id = db_col_text(st, 0);
		a.revision = db_col_int(st, 1);
		a.action = db_col_null(st, 2) ? "none" : db_col_text(st, 2);
		if (strcmp(a.action, "not-approved") == 0)
			a.action = "none";
		a.has_deadline =
		        strcmp(a.action, "none") != 0 && !db_col_null(st, 3);
		a.deadline = db_col_int(st, 3);
		a.document = db_col_text(st, 4);
		rc = fn(arg, &a, e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

/* The ids sql ($1 group, $2 computer, $3 anchor) returns, one by one. */
static int
ids_each(struct store *s, const char *sql, int64_t gid, const char *computer,
         int64_t since, store_id_fn fn, void *arg, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e, sql, "iti", gid, computer, since);
	if (rc != SL_OK)
		return err_prefix(e, "removed set");
	while ((rc = db_step(st, e)) == DB_ROW) {
		rc = fn(arg, db_col_text(st, 0), e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

int
store_gone_each(struct store *s, int64_t gid, const char *computer,
                int64_t since, store_id_fn fn, void *arg, struct err *e)
{
	return ids_each(s, sql_gone, gid, computer, since, fn, arg, e);
}

int
store_removed_each(struct store *s, int64_t gid, const char *computer,
                   int64_t since, store_id_fn fn, void *arg, struct err *e)
{
	return ids_each(s, sql_removed, gid, computer, since, fn, arg, e);
}

int
store_update_files_each(struct store *s, const char *update_id,
                        int64_t revision, store_file_fn fn, void *arg,
                        struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e, sql_files, "ti", update_id, revision);
	if (rc != SL_OK)
		return err_prefix(e, "update files");
	while ((rc = db_step(st, e)) == DB_ROW) {
		struct store_file f = {
		        .sha256 = db_col_text(st, 0),
		        .size = db_col_int(st, 1),
		        .upstream_url = db_col_text(st, 2),
		        .name = db_col_text(st, 3),
		};
		rc = fn(arg, &f, e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

int
store_page_files_each(struct store *s, const char *after, const char *last,
                      store_page_file_fn fn, void *arg, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT update_id, sha256, size, upstream_url, name, "
	             "revision FROM update_files WHERE update_id > CAST($1 AS "
	             "TEXT) AND update_id <= CAST($2 AS TEXT) ORDER BY "
	             "update_id, name, sha256",
	             "tt", after, last);
	if (rc != SL_OK)
		return err_prefix(e, "page files");
	while ((rc = db_step(st, e)) == DB_ROW) {
		struct store_file f = {
		        .sha256 = db_col_text(st, 1),
		        .size = db_col_int(st, 2),
		        .upstream_url = db_col_text(st, 3),
		        .name = db_col_text(st, 4),
		        .revision = db_col_int(st, 5),
		};
		rc = fn(arg, db_col_text(st, 0), &f, e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

int
store_approval_effective(struct store_approval_eff *out, struct store *s,
                         const char *update_id, int64_t gid, struct err *e)
{
	struct db_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_q(s, &st, e,
	             "WITH RECURSIVE chain(gid, depth) AS (SELECT CAST($1 AS "
	             "BIGINT), 0 UNION ALL SELECT g.parent_id, c.depth + 1 "
	             "FROM groups g JOIN chain c ON g.id = c.gid WHERE "
	             "g.parent_id IS NOT NULL AND c.depth < 64) SELECT "
	             "a.action, a.deadline, a.group_id FROM approvals a JOIN "
	             "chain c ON c.gid = a.group_id WHERE a.update_id = $2 "
	             "ORDER BY c.depth LIMIT 1",
	             "it", gid, update_id);
	if (rc != SL_OK)
		return err_prefix(e, "effective approval");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *a = db_col_text(st, 0);
		snprintf(out->action, sizeof(out->action), "%s", a ? a : "");
		out->has_deadline = !db_col_null(st, 1);
		out->deadline = db_col_int(st, 1);
		out->from_gid = db_col_int(st, 2);
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "effective approval") : SL_OK;
}

/* The group's own row: *found, action and deadline. */
static int
own_row(bool *found, char action[16], bool *has_dl, long long *dl,
        struct store *s, const char *id, int64_t gid, struct err *e)
{
	struct db_stmt *st;
	int rc;

	*found = false;
	rc = store_q(s, &st, e,
	             "SELECT action, deadline FROM approvals WHERE "
	             "update_id = $1 AND group_id = $2",
	             "ti", id, gid);
	if (rc != SL_OK)
		return err_prefix(e, "approval");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *a = db_col_text(st, 0);
		*found = true;
		snprintf(action, 16, "%s", a ? a : "");
		*has_dl = !db_col_null(st, 1);
		*dl = db_col_int(st, 1);
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "approval") : SL_OK;
}

int
store_approval_set(struct store *s, const char *update_id, int64_t gid,
                   const char *action, bool has_deadline, long long deadline,
                   const char *actor, bool *changed, struct err *e)
{
	char cur[16] = "";
	bool found, cur_has_dl = false;
	long long cur_dl = 0;
	int64_t seq, dl = deadline;
	int rc;

	if (changed)
		*changed = false;
	rc = own_row(&found, cur, &cur_has_dl, &cur_dl, s, update_id, gid, e);
	if (rc != SL_OK)
		return rc;
	if (action == NULL && !found)
		return SL_OK;
	if (action != NULL && found && strcmp(cur, action) == 0 &&
	    cur_has_dl == has_deadline && (!has_deadline || cur_dl == deadline))
		return SL_OK;
	rc = store_seq_next(s, &seq, e);
	if (rc != SL_OK)
		return rc;
	if (action == NULL) {
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM approvals WHERE update_id = $1 "
		                 "AND group_id = $2",
		                 "ti", update_id, gid);
		if (rc != SL_OK)
			return err_prefix(e, "remove approval");
		rc = store_q_run(s, NULL, e,
		                 "INSERT INTO approval_removals(update_id, "
		                 "group_id, change_seq) VALUES($1, $2, $3) ON "
		                 "CONFLICT(update_id, group_id) DO UPDATE SET "
		                 "change_seq = excluded.change_seq",
		                 "tii", update_id, gid, seq);
	} else {
		rc = store_q_run(
		        s, NULL, e,
		        "INSERT INTO approvals(update_id, group_id, action, "
		        "deadline, approved_at, change_seq, approved_by) "
		        "VALUES($1, $2, $3, $4, $5, $6, $7) "
		        "ON CONFLICT(update_id, group_id) DO UPDATE SET "
		        "action = excluded.action, deadline = "
		        "excluded.deadline, "
		        "approved_at = excluded.approved_at, change_seq = "
		        "excluded.change_seq, approved_by = "
		        "excluded.approved_by",
		        "titjiit", update_id, gid, action,
		        has_deadline ? &dl : NULL, (int64_t)time(NULL), seq,
		        actor);
	}
	if (rc != SL_OK)
		return err_prefix(e, "store approval");
	rc = store_effective_refresh(s, gid, update_id, e);
	if (rc != SL_OK)
		return err_prefix(e, "store approval");
	if (changed)
		*changed = true;
	return SL_OK;
}

int
store_update_load(struct update **out, bool *declined, bool *expired,
                  struct store *s, const char *id, struct err *e)
{
	struct db_stmt *st;
	json_error_t je;
	json_t *doc = NULL;
	const char *text;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT u.document, s.declined, s.expired FROM "
	             "update_status s JOIN updates u ON u.id = s.id AND "
	             "u.revision = s.latest_revision WHERE s.id = $1",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "update lookup");
	rc = db_step(st, e);
	if (rc != DB_ROW) {
		rc = rc == DB_DONE
		             ? err_set(e, SL_ENOTFOUND, "no update %s", id)
		             : err_prefix(e, "update lookup");
		goto out;
	}
	if (declined)
		*declined = db_col_int(st, 1) != 0;
	if (expired)
		*expired = db_col_int(st, 2) != 0;
	text = db_col_text(st, 0);
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
	db_done(st);
	return rc;
}

int
store_group_is_descendant(int *out, struct store *s, int64_t gid, int64_t anc,
                          struct err *e)
{
	int64_t one = 0;
	int rc;

	rc = store_q_int(s, &one, e,
	                 "WITH RECURSIVE chain(gid, depth) AS (SELECT CAST($1 "
	                 "AS BIGINT), 0 UNION ALL SELECT g.parent_id, c.depth "
	                 "+ 1 FROM groups g JOIN chain c ON g.id = c.gid WHERE "
	                 "g.parent_id IS NOT NULL AND c.depth < 64) SELECT 1 "
	                 "FROM chain WHERE gid = $2",
	                 "ii", gid, anc);
	if (rc < 0)
		return err_prefix(e, "group ancestry");
	*out = rc == DB_ROW;
	return SL_OK;
}

int
store_group_touch_subtree(struct store *s, int64_t gid, struct err *e)
{
	int64_t seq;
	int rc;

	rc = store_seq_next(s, &seq, e);
	if (rc != SL_OK)
		return rc;
	rc = store_q_run(s, NULL, e,
	                 "WITH RECURSIVE sub(gid, depth) AS (SELECT CAST($1 AS "
	                 "BIGINT), 0 UNION ALL SELECT g.id, s.depth + 1 FROM "
	                 "groups g JOIN sub s ON g.parent_id = s.gid WHERE "
	                 "s.depth < 64) UPDATE computers SET group_seq = $2 "
	                 "WHERE group_id IN (SELECT gid FROM sub) OR id IN "
	                 "(SELECT computer_id FROM computer_groups WHERE "
	                 "group_id IN (SELECT gid FROM sub))",
	                 "ii", gid, seq);
	return rc != SL_OK ? err_prefix(e, "mark computers for a full sync")
	                   : SL_OK;
}

int
store_approvals_withdraw_install(unsigned *n, struct store *s, const char *id,
                                 const char *actor, struct err *e)
{
	int64_t gids[256];
	struct db_stmt *st;
	size_t k = 0;
	int rc;

	*n = 0;
	rc = store_q(s, &st, e,
	             "SELECT group_id FROM approvals WHERE update_id = $1 AND "
	             "action = 'install' ORDER BY group_id",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "withdraw approvals");
	while ((rc = db_step(st, e)) == DB_ROW && k < 256)
		gids[k++] = db_col_int(st, 0);
	db_done(st);
	if (rc < 0)
		return err_prefix(e, "withdraw approvals");
	for (size_t i = 0; i < k; i++) {
		bool changed;

		rc = store_approval_set(s, id, gids[i], NULL, false, 0, actor,
		                        &changed, e);
		if (rc != SL_OK)
			return rc;
		*n += changed;
	}
	return SL_OK;
}
