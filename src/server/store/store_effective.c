/*
 * store_effective: the table effective_approvals (store_int.h), each
 * group's effective approval per update with inheritance along its chain
 * of parents already applied, rewritten by the writers of approvals and
 * of the group tree in their own transaction, so that an agent's sync
 * reads a few indexed rows instead of walking the tree.
 *
 * A row (group_id, update_id) exists wherever the group's chain (itself
 * and its parents, at most 64 up) holds an approval or a removal mark of
 * the update. action, deadline: those of the nearest approval on the
 * chain (NULL: only removal marks); change_seq: the newest change_seq of
 * the chain's approvals and removal marks of the update.
 */
#include "store_int.h"

#include "db_effective.h"

/* sub(gid): group $1 and its descendants. */
#define SUB_CTE                                                                \
	"WITH RECURSIVE sub(gid, depth) AS (SELECT CAST($1 AS BIGINT), 0 "     \
	"UNION ALL SELECT g.id, s.depth + 1 FROM groups g JOIN sub s ON "      \
	"g.parent_id = s.gid WHERE s.depth < 64) "

#define ONE_A " AND a.update_id = CAST($2 AS TEXT)"
#define ONE_R " AND r.update_id = CAST($2 AS TEXT)"

/* One update: its row on $1 (an approval or a removal mark) stays, so
 * every group below keeps a row for it and an upsert is enough. */
static const char *const sql_ins_one =
        SUB_CTE ", " EFF_FROM("sub", ONE_A, ONE_R) EFF_INSERT
        " ON CONFLICT(group_id, update_id) DO UPDATE SET action = "
        "excluded.action, deadline = excluded.deadline, change_seq "
        "= excluded.change_seq";
static const char *const sql_del_all =
        SUB_CTE "DELETE FROM effective_approvals WHERE group_id IN (SELECT "
                "gid FROM sub)";
static const char *const sql_ins_all =
        SUB_CTE ", " EFF_FROM("sub", "", "") EFF_INSERT;

static const char *const sql_rebuild =
        "WITH RECURSIVE all_groups(gid) AS (SELECT id FROM groups), " EFF_FROM(
                "all_groups", "", "") EFF_INSERT;

/* The table's rows that a rebuild would not write, and the reverse. */
static const char *const sql_verify =
        "WITH RECURSIVE all_groups(gid) AS (SELECT id FROM groups), " EFF_FROM(
                "all_groups", "", "") ", "
                                      "want AS (SELECT root AS group_id, "
                                      "update_id, action, deadline, "
                                      "seq AS change_seq FROM y WHERE k = 1) "
                                      "SELECT count(*) FROM (SELECT * FROM "
                                      "want EXCEPT SELECT group_id, "
                                      "update_id, action, deadline, change_seq "
                                      "FROM effective_approvals "
                                      "UNION ALL SELECT * FROM (SELECT "
                                      "group_id, update_id, action, "
                                      "deadline, change_seq FROM "
                                      "effective_approvals EXCEPT SELECT * "
                                      "FROM want) AS extra) AS d";

int
store_effective_refresh(struct store *s, int64_t gid, const char *update_id,
                        struct err *e)
{
	int rc;

	if (update_id != NULL) {
		rc = store_q_run(s, NULL, e, sql_ins_one, "it", gid, update_id);
	} else {
		rc = store_q_run(s, NULL, e, sql_del_all, "i", gid);
		if (rc == SL_OK)
			rc = store_q_run(s, NULL, e, sql_ins_all, "i", gid);
	}
	return rc != SL_OK ? err_prefix(e, "effective approvals") : SL_OK;
}

int
store_effective_verify(int64_t *wrong, struct store *s, struct err *e)
{
	int64_t n = 0;
	int rc = store_q_int(s, &n, e, sql_verify, NULL);

	if (rc != DB_ROW)
		return err_prefix(e, "effective approvals check");
	*wrong = n;
	return SL_OK;
}

int
store_effective_rebuild(struct store *s, struct err *e)
{
	int rc = store_q_run(s, NULL, e, "DELETE FROM effective_approvals",
	                     NULL);

	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e, sql_rebuild, NULL);
	return rc != SL_OK ? err_prefix(e, "rebuild effective approvals")
	                   : SL_OK;
}
