/*
 * db_migrate: SQLite -> PostgreSQL copy (db_migrate.h). The tables
 * and columns come from the target's catalog (the PostgreSQL schema of
 * this binary), so a new migration needs no change here. Each table's
 * rows stream with COPY FROM STDIN (db_pgcopy.c): values travel in COPY's
 * text format and PostgreSQL converts them to the column's type. One
 * exception: the states, packed into pages in PostgreSQL (copy_states).
 */
#include "db_migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_pgcopy.h"
#include "db_states.h"

#define MIGRATE_MAX_TABLES  64
#define MIGRATE_MAX_COLUMNS 64
#define MIGRATE_SQL_MAX     8192

struct table {
	char name[64];
	char cols[MIGRATE_MAX_COLUMNS][64];
	bool bytea[MIGRATE_MAX_COLUMNS];
	int ncols;
	bool done;
};

/* SL_EDB with the server's message on one line. */
static int
pg_fail(struct err *e, PGconn *c, const char *what)
{
	return pgcopy_error(e, SL_EDB, what, PQerrorMessage(c));
}

/* Run sql without parameters; SL_EDB with the server's message. */
static int
pg_cmd(PGconn *c, const char *sql, struct err *e)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	         PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok ? SL_OK : pg_fail(e, c, sql);
}

/* The schema's tables (the search path's first schema) and columns. */
static int
load_tables(struct table *t, int *n, PGconn *c, struct err *e)
{
	PGresult *r;
	int i, rc = SL_OK;

	/* Tables only: a view (update_states) is read from its tables. */
	r = PQexec(c, "SELECT c.table_name, c.column_name, c.data_type FROM "
	              "information_schema.columns c JOIN "
	              "information_schema.tables t ON t.table_schema = "
	              "c.table_schema AND t.table_name = c.table_name WHERE "
	              "c.table_schema = current_schema() AND t.table_type = "
	              "'BASE TABLE' ORDER BY c.table_name, "
	              "c.ordinal_position");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return pg_fail(e, c, "list tables");
	}
	*n = 0;
	for (i = 0; i < PQntuples(r) && rc == SL_OK; i++) {
		const char *tn = PQgetvalue(r, i, 0), *cn = PQgetvalue(r, i, 1);
		struct table *cur = *n > 0 ? &t[*n - 1] : NULL;

		if (cur == NULL || strcmp(cur->name, tn) != 0) {
			if (*n == MIGRATE_MAX_TABLES) {
				rc = err_set(e, SL_ETOOBIG, "over %d tables",
				             MIGRATE_MAX_TABLES);
				break;
			}
			cur = &t[(*n)++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", tn);
		}
		if (cur->ncols == MIGRATE_MAX_COLUMNS)
			rc = err_set(e, SL_ETOOBIG, "%s: over %d columns", tn,
			             MIGRATE_MAX_COLUMNS);
		else {
			cur->bytea[cur->ncols] =
			        strcmp(PQgetvalue(r, i, 2), "bytea") == 0;
			snprintf(cur->cols[cur->ncols++], 64, "%s", cn);
		}
	}
	PQclear(r);
	return rc;
}

/* Index of the next table whose referenced tables are all copied. */
static int
next_table(struct table *t, int n, PGconn *c, struct err *e)
{
	const char *sql =
	        "SELECT DISTINCT p.relname FROM pg_constraint k JOIN pg_class "
	        "ch ON ch.oid = k.conrelid JOIN pg_class p ON p.oid = "
	        "k.confrelid WHERE k.contype = 'f' AND ch.relname = $1 AND "
	        "p.relname <> $1 AND ch.relnamespace = (SELECT oid FROM "
	        "pg_namespace WHERE nspname = current_schema())";
	int i, j, k;

	for (i = 0; i < n; i++) {
		const char *p[1] = {t[i].name};
		PGresult *r;
		bool ready = true;

		if (t[i].done)
			continue;
		r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			PQclear(r);
			return pg_fail(e, c, "foreign keys");
		}
		for (j = 0; j < PQntuples(r) && ready; j++)
			for (k = 0; k < n; k++)
				if (strcmp(t[k].name, PQgetvalue(r, j, 0)) ==
				            0 &&
				    !t[k].done)
					ready = false;
		PQclear(r);
		if (ready)
			return i;
	}
	return err_set(e, SL_EINTERNAL, "foreign keys form a cycle");
}

static int
sql_cols(struct buf *b, const struct table *t, struct err *e)
{
	int i, rc = SL_OK;

	for (i = 0; i < t->ncols && rc == SL_OK; i++)
		rc = buf_printf(b, e, "%s%s", i ? ", " : "", t->cols[i]);
	return rc;
}

/* Whether SQLite table name has a rowid (not WITHOUT ROWID). */
static bool
has_rowid(sqlite3 *src, const char *name)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	bool ok;

	snprintf(sql, sizeof(sql), "SELECT rowid FROM %s LIMIT 0", name);
	ok = sqlite3_prepare_v2(src, sql, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return ok;
}

/* Copy one table's rows with COPY into table to (its name when NULL);
 * *rows receives how many. */
static int
copy_table(int64_t *rows, const struct table *t, const char *to, sqlite3 *src,
           PGconn *dst, struct err *e)
{
	struct buf sel = {0}, cp = {0};
	sqlite3_stmt *st = NULL;
	int rc;

	*rows = 0;
	buf_init(&sel, MIGRATE_SQL_MAX);
	buf_init(&cp, MIGRATE_SQL_MAX);
	rc = buf_printf(&sel, e, "SELECT ");
	if (rc == SL_OK)
		rc = sql_cols(&sel, t, e);
	/* rowid order: parents before their children in self-referencing
	 * tables (groups), as they were created; a WITHOUT ROWID table in
	 * its key's order. */
	if (rc == SL_OK)
		rc = buf_printf(&sel, e, " FROM %s%s", t->name,
		                has_rowid(src, t->name) ? " ORDER BY rowid"
		                                        : "");
	if (rc == SL_OK)
		rc = buf_printf(&cp, e, "COPY %s(", to ? to : t->name);
	if (rc == SL_OK)
		rc = sql_cols(&cp, t, e);
	if (rc == SL_OK)
		rc = buf_printf(&cp, e, ") FROM STDIN");
	if (rc != SL_OK)
		goto out;
	if (sqlite3_prepare_v2(src, sel.data, -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(e, SL_EDB, "%s", sqlite3_errmsg(src));
		goto out;
	}
	rc = pgcopy_table(rows, dst, cp.data, st, t->bytea, t->ncols, e);
out:
	sqlite3_finalize(st);
	buf_free(&sel);
	buf_free(&cp);
	return rc;
}

/* The indexes and constraints of a table that are cheaper built once
 * after its rows than kept up row by row: its primary key and unique
 * constraints (unless a foreign key leans on them), its other indexes,
 * and its own foreign keys (checked once, in one query, when put back).
 * Column 0 drops one, column 1 puts it back; in the order to put back. */
static PGresult *
set_aside_list(PGconn *c, const char *table)
{
	const char *sql =
	        "SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', $1::text, "
	        "k.conname), format('ALTER TABLE %I ADD CONSTRAINT %I %s', "
	        "$1::text, k.conname, pg_get_constraintdef(k.oid)), 1 AS o "
	        "FROM pg_constraint k WHERE k.conrelid = $1::text::regclass "
	        "AND k.contype IN ('p', 'u') AND NOT EXISTS (SELECT 1 FROM "
	        "pg_constraint f WHERE f.contype = 'f' AND f.conindid = "
	        "k.conindid) "
	        "UNION ALL SELECT format('DROP INDEX %s', "
	        "i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 2 "
	        "FROM pg_index i WHERE i.indrelid = $1::text::regclass AND "
	        "NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = "
	        "i.indexrelid) "
	        "UNION ALL SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', "
	        "$1::text, k.conname), format('ALTER TABLE %I ADD CONSTRAINT "
	        "%I %s', $1::text, k.conname, pg_get_constraintdef(k.oid)), 3 "
	        "FROM pg_constraint k WHERE k.conrelid = $1::text::regclass "
	        "AND "
	        "k.contype = 'f' ORDER BY 3, 1";
	const char *p[1] = {table};

	return PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
}

/* Run column col of every row of list (first to last, or last to first
 * when back). */
static int
run_list(PGconn *c, PGresult *list, int col, bool back, struct err *e)
{
	int i, n = PQntuples(list), rc = SL_OK;

	for (i = 0; i < n && rc == SL_OK; i++)
		rc = pg_cmd(c, PQgetvalue(list, back ? n - 1 - i : i, col), e);
	return rc;
}

/* Copy one table with its indexes and constraints set aside, then built
 * once over the copied rows (a duplicate key or a dangling reference in
 * the source fails here, naming the constraint). */
static int
copy_bulk(int64_t *rows, const struct table *t, sqlite3 *src, PGconn *dst,
          struct err *e)
{
	PGresult *later = set_aside_list(dst, t->name);
	int rc;

	if (PQresultStatus(later) != PGRES_TUPLES_OK) {
		rc = pg_fail(e, dst, "indexes");
		goto out;
	}
	rc = run_list(dst, later, 0, true, e);
	if (rc == SL_OK)
		rc = copy_table(rows, t, NULL, src, dst, e);
	if (rc == SL_OK)
		rc = run_list(dst, later, 1, false, e);
out:
	PQclear(later);
	return rc;
}

/* PostgreSQL keeps the states packed (db_states.h): SQLite's rows go to
 * a temporary table, then into state_pages as migration 13 packs them. */
static int
copy_states(int64_t *rows, sqlite3 *src, PGconn *dst, struct err *e)
{
	static const struct table states = {
	        .name = "states",
	        .cols = {"ckey", "ukey", "v", "t"},
	        .ncols = 4,
	};
	int rc = pg_cmd(dst,
	                "CREATE TEMP TABLE states_copy(ckey INTEGER, ukey "
	                "INTEGER, v BIGINT, t BIGINT) ON COMMIT DROP",
	                e);

	if (rc == SL_OK)
		rc = copy_table(rows, &states, "states_copy", src, dst, e);
	if (rc == SL_OK)
		rc = pg_cmd(dst, DB_STATES_PACK("states_copy"), e);
	return rc;
}

static int
count_pg(int64_t *out, PGconn *c, const char *table, struct err *e)
{
	char sql[128];
	PGresult *r;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return pg_fail(e, c, sql);
	}
	*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return SL_OK;
}

static int
count_sqlite(int64_t *out, sqlite3 *db, const char *table, struct err *e)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	int rc = SL_OK;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = err_set(e, SL_EDB, "%s: %s", sql, sqlite3_errmsg(db));
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Identity columns (ids, the integer keys) continue after the copied
 * values. */
static int
move_sequences(PGconn *c, struct err *e)
{
	char sql[512];
	PGresult *r;
	int i, rc = SL_OK;

	r = PQexec(c, "SELECT table_name, column_name FROM "
	              "information_schema.columns WHERE table_schema = "
	              "current_schema() AND is_identity = 'YES'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return pg_fail(e, c, "identity columns");
	}
	for (i = 0; i < PQntuples(r) && rc == SL_OK; i++) {
		const char *t = PQgetvalue(r, i, 0), *col = PQgetvalue(r, i, 1);
		snprintf(
		        sql, sizeof(sql),
		        "SELECT setval(pg_get_serial_sequence('%.63s', "
		        "'%.63s'), coalesce((SELECT max(%.63s) FROM %.63s), 0) "
		        "+ 1, false)",
		        t, col, col, t);
		rc = pg_cmd(c, sql, e);
	}
	PQclear(r);
	return rc;
}

/* ALTER TABLE ... DISABLE/ENABLE TRIGGER USER on every table: the copy
 * brings the counters the triggers keep as they are. */
static int
set_triggers(PGconn *c, const struct table *t, int n, bool on, struct err *e)
{
	char sql[160];
	int i, rc = SL_OK;

	for (i = 0; i < n && rc == SL_OK; i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE %.63s %s TRIGGER USER",
		         t[i].name, on ? "ENABLE" : "DISABLE");
		rc = pg_cmd(c, sql, e);
	}
	return rc;
}

int
db_migrate(const char *sqlite_path, const char *pg_url, db_migrate_fn each,
           void *arg, struct err *e)
{
	static struct table tables[MIGRATE_MAX_TABLES];
	struct db *check = NULL;
	sqlite3 *src = NULL;
	PGconn *dst = NULL;
	int64_t got = 0, want = 0, busy = 0;
	int rc, n = 0, i, k;
	bool packed;
	const char *const nonempty[] = {"computers", "updates", "sync_history"};

	if (!db_target_is_postgres(pg_url))
		return err_set(
		        e, SL_EINVAL,
		        "migrate: the target must be a postgresql:// URL");
	/* Both schemas at this binary's version. */
	if ((rc = db_open(&check, sqlite_path, e)) != SL_OK)
		return err_prefix(e, "migrate: source");
	db_close(check);
	if ((rc = db_open(&check, pg_url, e)) != SL_OK)
		return err_prefix(e, "migrate: target");
	db_close(check);
	if (sqlite3_open_v2(sqlite_path, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		rc = err_set(e, SL_EDB, "%s: %s", sqlite_path,
		             sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_busy_timeout(src, 10000);
	dst = PQconnectdb(pg_url);
	if (PQstatus(dst) != CONNECTION_OK) {
		rc = err_set(e, SL_EUNAVAILABLE, "target unavailable");
		goto out;
	}
	/* SQLite's text is UTF-8, whatever the client's locale. */
	if (PQsetClientEncoding(dst, "UTF8") != 0) {
		rc = pg_fail(e, dst, "client encoding");
		goto out;
	}
	if ((rc = load_tables(tables, &n, dst, e)) != SL_OK)
		goto out;
	for (i = 0; i < 3; i++) {
		if ((rc = count_pg(&busy, dst, nonempty[i], e)) != SL_OK)
			goto out;
		if (busy > 0) {
			rc = err_set(e, SL_ECONFLICT,
			             "target already holds data (%lld rows in "
			             "%s): migrate into an empty database",
			             (long long)busy, nonempty[i]);
			goto out;
		}
	}
	/* One snapshot of the source; one transaction on the target. */
	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (rc = pg_cmd(dst, "BEGIN", e)) != SL_OK) {
		if (rc == SL_OK)
			rc = err_set(e, SL_EDB, "%s", sqlite3_errmsg(src));
		goto out;
	}
	/* The fresh schema's own rows (default groups, meta) give way to the
	 * source's: children first. */
	for (i = 0; i < n; i++)
		tables[i].done = false;
	for (k = 0; k < n; k++) {
		if ((i = next_table(tables, n, dst, e)) < 0) {
			rc = i;
			goto out;
		}
		tables[i].done = true;
	}
	if ((rc = pg_cmd(dst, "SET CONSTRAINTS ALL DEFERRED", e)) != SL_OK ||
	    (rc = set_triggers(dst, tables, n, false, e)) != SL_OK)
		goto out;
	for (i = n - 1; i >= 0; i--) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[i].name);
		if ((rc = pg_cmd(dst, sql, e)) != SL_OK)
			goto out;
	}
	for (i = 0; i < n; i++)
		tables[i].done = false;
	for (k = 0; k < n; k++) {
		if ((i = next_table(tables, n, dst, e)) < 0) {
			rc = i;
			goto out;
		}
		packed = strcmp(tables[i].name, "state_pages") == 0;
		rc = packed ? copy_states(&got, src, dst, e)
		            : copy_bulk(&got, &tables[i], src, dst, e);
		if (rc != SL_OK) {
			err_prefix(e, "%s", packed ? "states" : tables[i].name);
			goto out;
		}
		if (rc == SL_OK)
			rc = count_sqlite(&want, src,
			                  packed ? "states" : tables[i].name,
			                  e);
		if (rc == SL_OK)
			rc = count_pg(&got, dst,
			              packed ? "states" : tables[i].name, e);
		if (rc == SL_OK && got != want)
			rc = err_set(e, SL_EINTERNAL,
			             "%s: %lld rows in the source, %lld copied",
			             tables[i].name, (long long)want,
			             (long long)got);
		if (rc != SL_OK)
			goto out;
		tables[i].done = true;
		if (each != NULL)
			each(arg, packed ? "states" : tables[i].name, got);
	}
	if ((rc = move_sequences(dst, e)) != SL_OK ||
	    (rc = set_triggers(dst, tables, n, true, e)) != SL_OK)
		goto out;
	rc = pg_cmd(dst, "COMMIT", e);
out:
	if (rc != SL_OK && dst != NULL && PQstatus(dst) == CONNECTION_OK)
		PQclear(PQexec(dst, "ROLLBACK"));
	if (src != NULL) {
		sqlite3_exec(src, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(src);
	}
	PQfinish(dst);
	return rc != SL_OK ? err_prefix(e, "migrate") : SL_OK;
}
