/*
 * db_states: the SQL both engines' migration 10 shares (db_sqlite.c,
 * db_pg_schema.c): the old update_states rows converted into the compact
 * state tables and their counters, and update_states made a view of them
 * (docs/store.md, "Update states"); and PostgreSQL's packed layout of
 * migration 13: its page size and the packing of rows into pages, which
 * db_migrate.c uses again for the states it copies from SQLite.
 */
#ifndef SLUICE_SERVER_STORE_DB_STATES_H
#define SLUICE_SERVER_STORE_DB_STATES_H

/* After the tables of migration 10 exist, before their triggers. */
#define DB_STATES_CONVERT                                                      \
	"INSERT INTO states(ckey, ukey, v, t) SELECT c.ckey, u.ukey, CASE "    \
	"x.state WHEN 'not-applicable' THEN 0 WHEN 'needed' THEN 1 WHEN "      \
	"'downloaded' THEN 2 WHEN 'installed' THEN 3 WHEN "                    \
	"'installed-pending-reboot' THEN 4 ELSE 5 END + CASE WHEN x.detail "   \
	"IS NULL THEN 0 ELSE 8 END + 16 * x.revision, CASE WHEN x.state = "    \
	"'not-applicable' THEN NULL ELSE x.reported_at END FROM "              \
	"update_states x JOIN computers c ON c.id = x.computer_id JOIN "       \
	"update_status u ON u.id = x.update_id ORDER BY 1, 2;"                 \
	"INSERT INTO state_details(ckey, ukey, detail) SELECT c.ckey, "        \
	"u.ukey, x.detail FROM update_states x JOIN computers c ON c.id = "    \
	"x.computer_id JOIN update_status u ON u.id = x.update_id WHERE "      \
	"x.detail IS NOT NULL;"                                                \
	"INSERT INTO state_counts(ukey, rev, st, n) SELECT ukey, v / 16, v % " \
	"8, count(*) FROM states GROUP BY 1, 2, 3;"                            \
	"INSERT INTO group_counts(ukey, gid, st, n) SELECT s.ukey, "           \
	"c.group_id, s.v % 8, count(*) FROM states s JOIN computers c ON "     \
	"c.ckey = s.ckey GROUP BY 1, 2, 3;"                                    \
	"INSERT INTO computer_counts(ckey, st, n) SELECT ckey, v % 8, "        \
	"count(*) FROM states GROUP BY 1, 2;"                                  \
	"DROP TABLE update_states;" DB_STATES_VIEW

/* Install outcomes (migration 14, both engines): a row when a computer's
 * state of an update turns installed (or pending a reboot) or failed, or
 * when a new revision reaches one of them; ok 1 installed, 0 failed, t the
 * report's time, rev the revision. A computer's first state of an update
 * is an outcome only when failed: installed there is what the agent found
 * installed, not an install it saw. The console's lists of the last day's
 * installs read these by (ok, t) instead of every state; rows older than
 * DB_OUTCOME_KEEP seconds are cut as new ones are written. The class of a
 * value V: 2 failed, 1 installed or pending a reboot, 0 anything else. */
#define DB_OUTCOME_KEEP "172800"
#define DB_OUTCOME_CLASS(V)                                                    \
	"(CASE " V " % 8 WHEN 5 THEN 2 WHEN 3 THEN 1 WHEN 4 THEN 1 ELSE 0 "    \
	"END)"
#define DB_OUTCOMES_TABLE                                                      \
	"CREATE TABLE state_outcomes(ok BIGINT NOT NULL, t BIGINT NOT NULL, "  \
	"ckey INTEGER NOT NULL, ukey INTEGER NOT NULL, rev BIGINT NOT NULL, "  \
	"PRIMARY KEY(ok, t, ckey, ukey));"                                     \
	"CREATE INDEX state_outcomes_ckey ON state_outcomes(ckey);"

/* Each computer's state mask (migration 15, both engines): bit 1 << s is
 * set while the computer has an update in state s (its computer_counts row
 * of s above 0). The counters' triggers set or clear a bit when a count
 * crosses zero, which is rare (a first report, the last needed update
 * installed), so a report writes no more rows than before in the common
 * case. The console counts and filters computers by status from it, a
 * column of the computer's own row, instead of probing the counters; the
 * dashboard counts them from the index computers_status alone, in its
 * order (computers by host name: computers_hostname). */
#define DB_STATE_MASK_FILL(INT)                                                \
	"ALTER TABLE computers ADD COLUMN state_mask " INT " NOT NULL "        \
	"DEFAULT 0;"                                                           \
	"UPDATE computers SET state_mask = (SELECT coalesce(sum(1 << k.st), "  \
	"0) FROM computer_counts k WHERE k.ckey = computers.ckey AND k.n > "   \
	"0);"                                                                  \
	"CREATE INDEX computers_hostname ON computers(hostname, id);"          \
	"CREATE INDEX computers_status ON computers(state_mask, (last_report " \
	"IS NULL), last_contact);"
/* The new mask of the computer of counter row R ("new"/"NEW"). */
#define DB_STATE_MASK_SET(R)                                                   \
	"UPDATE computers SET state_mask = CASE WHEN " R ".n > 0 THEN "        \
	"state_mask | (1 << " R ".st) ELSE state_mask & ~(1 << " R ".st) END " \
	"WHERE ckey = " R ".ckey;"

/* The state's name of value V (an SQL expression), as state_names in
 * store_states.c. */
#define DB_STATE_NAME(V)                                                       \
	"CASE " V " % 8 WHEN 0 THEN "                                          \
	"'not-applicable' WHEN 1 THEN 'needed' WHEN 2 THEN 'downloaded' "      \
	"WHEN 3 THEN 'installed' WHEN 4 THEN 'installed-pending-reboot' "      \
	"ELSE 'failed' END"

/* update_states, the old columns over `states` (a table in SQLite, a view
 * of state_pages in PostgreSQL from migration 13). */
#define DB_STATES_VIEW                                                         \
	"CREATE VIEW update_states AS SELECT c.id AS computer_id, u.id AS "    \
	"update_id, s.v / 16 AS revision, " DB_STATE_NAME(                     \
	        "s.v") " AS state, d.detail AS detail, coalesce(s.t, "         \
	               "c.last_report, c.registered_at) AS reported_at FROM "  \
	               "states s JOIN "                                        \
	               "computers c ON c.ckey = s.ckey JOIN update_status u "  \
	               "ON u.ukey = "                                          \
	               "s.ukey LEFT JOIN state_details d ON s.v % 16 >= 8 "    \
	               "AND d.ckey = "                                         \
	               "s.ckey AND d.ukey = s.ukey;"

/* PostgreSQL from migration 13: a computer's states packed a page of
 * DB_STATE_PAGE consecutive update keys to a row of state_pages(ckey, pg,
 * v, t): pg = ukey / 128, slot i = ukey % 128 + 1 of the arrays v
 * (INTEGER[128], NULL: no state) and t (BIGINT[128], NULL: no time). */
#define DB_STATE_PAGE "128"

/* The rows (ckey, ukey, v, t) of table SRC packed into state_pages. */
#define DB_STATES_PACK(SRC)                                                    \
	"INSERT INTO state_pages(ckey, pg, v, t) SELECT k.ckey, k.pg, "        \
	"array_agg(s.v ORDER BY i.i), array_agg(s.t ORDER BY i.i) FROM "       \
	"(SELECT DISTINCT ckey, ukey / 128 AS pg FROM " SRC ") k CROSS JOIN "  \
	"generate_series(0, 127) i(i) LEFT JOIN " SRC " s ON s.ckey = "        \
	"k.ckey AND s.ukey = k.pg * 128 + i.i GROUP BY k.ckey, k.pg ORDER BY " \
	"1, 2;"

#endif
