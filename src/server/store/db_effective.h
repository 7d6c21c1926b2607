/*
 * db_effective: the SQL that computes effective_approvals rows
 * (store_effective.c), shared with migration 8 of both engines
 * (db_sqlite.c, db_pg_schema.c), which fills the table for the
 * approvals a database already has.
 */
#ifndef SLUICE_SERVER_STORE_DB_EFFECTIVE_H
#define SLUICE_SERVER_STORE_DB_EFFECTIVE_H

/* The rows of the groups in roots(gid), for the approvals (a) and removal
 * marks (r) the filters fa, fr keep: chain(root, gid, depth) walks each
 * root's parents; x holds the chain's rows, removal marks ranked after
 * approvals; y keeps the nearest with the newest change_seq. */
#define EFF_FROM(roots, fa, fr)                                                \
	"chain(root, gid, depth) AS (SELECT gid, gid, 0 FROM " roots " UNION " \
	"ALL SELECT c.root, g.parent_id, c.depth + 1 FROM groups g JOIN "      \
	"chain c ON g.id = c.gid WHERE g.parent_id IS NOT NULL AND c.depth < " \
	"64), x AS (SELECT c.root, a.update_id, a.action, a.deadline, "        \
	"a.change_seq, c.depth, 0 AS rm FROM approvals a JOIN chain c ON "     \
	"c.gid = a.group_id" fa " UNION ALL SELECT c.root, r.update_id, "      \
	"NULL, NULL, r.change_seq, c.depth, 1 FROM approval_removals r JOIN "  \
	"chain c ON c.gid = r.group_id" fr "), y AS (SELECT root, update_id, " \
	"action, deadline, row_number() OVER (PARTITION BY root, update_id "   \
	"ORDER BY rm, depth) AS k, max(change_seq) OVER (PARTITION BY root, "  \
	"update_id) AS seq FROM x) "

#define EFF_INSERT                                                             \
	"INSERT INTO effective_approvals(group_id, update_id, action, "        \
	"deadline, change_seq) SELECT root, update_id, action, deadline, seq " \
	"FROM y WHERE k = 1"

/* Migration 8's fill: every group a root. */
#define DB_EFFECTIVE_FILL                                                      \
	"WITH RECURSIVE " EFF_FROM("(SELECT id AS gid FROM groups) AS r", "",  \
	                           "") EFF_INSERT ";"

#endif
