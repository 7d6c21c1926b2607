/*
 * store_fold: the counter deltas folded into their base rows
 * (store_fold.h). Each statement deletes the deltas it sees and adds
 * their sums to the base rows, in key order, in one transaction of its
 * own.
 */
#include "store_fold.h"

#include "store_int.h"

static const char fold_states[] =
        "WITH d AS (DELETE FROM state_count_deltas RETURNING ukey, rev, st, "
        "n), f AS (INSERT INTO state_counts AS b(ukey, rev, st, n) SELECT "
        "ukey, rev, st, sum(n) FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON "
        "CONFLICT(ukey, rev, st) DO UPDATE SET n = b.n + excluded.n) SELECT "
        "count(*) FROM d";
static const char fold_groups[] =
        "WITH d AS (DELETE FROM group_count_deltas RETURNING ukey, gid, st, "
        "n), f AS (INSERT INTO group_counts AS b(ukey, gid, st, n) SELECT "
        "ukey, gid, st, sum(n) FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON "
        "CONFLICT(ukey, gid, st) DO UPDATE SET n = b.n + excluded.n) SELECT "
        "count(*) FROM d";

int
store_counts_fold(int64_t *moved, struct store *s, struct err *e)
{
	int64_t a = 0, b = 0;
	int rc;

	*moved = 0;
	if (db_engine(s->db) != DB_POSTGRES)
		return SL_OK;
	rc = store_q_int(s, &a, e, fold_states, NULL);
	if (rc >= 0)
		rc = store_q_int(s, &b, e, fold_groups, NULL);
	if (rc < 0)
		return err_prefix(e, "fold counters");
	*moved = a + b;
	return SL_OK;
}

int
store_counts_pending(int64_t *out, struct store *s, struct err *e)
{
	int rc;

	*out = 0;
	if (db_engine(s->db) != DB_POSTGRES)
		return SL_OK;
	rc = store_q_int(s, out, e,
	                 "SELECT (SELECT count(*) FROM state_count_deltas) + "
	                 "(SELECT count(*) FROM group_count_deltas)",
	                 NULL);
	return rc < 0 ? err_prefix(e, "counter deltas") : SL_OK;
}
