/*
 * db: the SQL connection interface that the store is written against, with
 * two engines behind it: SQLite (db_sqlite.c, embedded, the default) and
 * PostgreSQL (db_pg.c, libpq, for several front-ends on one database).
 *
 * Only src/server/store/ includes this header: the rest of the server calls
 * store_* functions named for what they do and never sees SQL.
 *
 * One SQL dialect for both engines, so every store query is written once:
 *   - placeholders are $1, $2, ... (SQLite reads them as named parameters;
 *     the SQLite engine binds by name, so their order in the text is free);
 *   - where a parameter's type cannot be inferred by PostgreSQL (`$1 IS
 *     NULL`, a bare select list item, both sides of a comparison being
 *     parameters) write CAST($1 AS BIGINT) / CAST($1 AS TEXT);
 *   - INSERT ... ON CONFLICT (cols) DO NOTHING / DO UPDATE SET col =
 *     excluded.col instead of INSERT OR IGNORE / OR REPLACE;
 *   - new row ids with RETURNING id (both engines), never last_insert_rowid;
 *   - booleans are INTEGER 0/1 columns; times are INTEGER Unix seconds
 *     computed in C, never the engines' date functions;
 *   - no GROUP_CONCAT / string_agg, no engine-specific functions; case-
 *     insensitive matching as lower(col) = lower($1).
 * Schemas (and so migrations) are per engine: db_sqlite.c and db_pg.c each
 * hold their own list, at the same schema version.
 *
 * A struct db is one connection, used by one thread at a time (each worker
 * thread opens its own). Statements are prepared once per connection and
 * cached by their SQL text pointer (always a string constant).
 */
#ifndef SLUICE_SERVER_STORE_DB_H
#define SLUICE_SERVER_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum db_engine_kind {
	DB_SQLITE,
	DB_POSTGRES,
};

struct db;
struct db_stmt;

/* Open a connection and bring the schema up to date. target is either a
 * PostgreSQL URL ("postgresql://..." or "postgres://...") or the path of an
 * SQLite database file (created if missing). A schema newer than this
 * binary is refused (SL_EDB). Free with db_close(). */
int db_open(struct db **out, const char *target, struct err *e);

/* NULL-safe; finalizes the cached statements. */
void db_close(struct db *db);

enum db_engine_kind db_engine(const struct db *db);

/* True when target names a PostgreSQL database. */
bool db_target_is_postgres(const char *target);

/* The cached prepared statement for sql (a string constant), reset and
 * with its bindings cleared. The connection keeps ownership: call
 * db_done() when finished with it, never free it. SL_EDB with the engine's
 * message when sql does not prepare. */
int db_stmt(struct db *db, struct db_stmt **out, const char *sql,
            struct err *e);

/* Bind parameter $idx (1-based). Text and blobs are copied. A NULL string
 * binds SQL NULL. */
int db_bind_int(struct db_stmt *st, int idx, int64_t v, struct err *e);
int db_bind_text(struct db_stmt *st, int idx, const char *s, struct err *e);
int db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n,
                 struct err *e);
int db_bind_null(struct db_stmt *st, int idx, struct err *e);
/* Like db_bind_text, without the copy where the engine can: s must stay
 * unchanged until db_done(st) (bulk inserts of a request's strings). */
int db_bind_text_ref(struct db_stmt *st, int idx, const char *s, struct err *e);

#define DB_ROW  1
#define DB_DONE 0

/* Run the statement (on the first call) and move to the next row: DB_ROW
 * when a row is available, DB_DONE at the end, or a negative status:
 * SL_EEXISTS for a unique-constraint violation, SL_ECONFLICT for another
 * constraint (foreign key, check), SL_EUNAVAILABLE when the database is
 * busy past the timeout or the connection was lost (the next db_stmt()
 * reconnects), SL_EDB otherwise, with the engine's message. */
int db_step(struct db_stmt *st, struct err *e);

/* Columns of the current row, 0-based. Text and blobs stay valid until the
 * next db_step() or db_done(). A NULL column reads as 0 / NULL. */
bool db_col_null(struct db_stmt *st, int col);
int64_t db_col_int(struct db_stmt *st, int col);
const char *db_col_text(struct db_stmt *st, int col);
const void *db_col_blob(struct db_stmt *st, int col, size_t *n);

/* Rows changed by the last completed INSERT/UPDATE/DELETE of st. */
int64_t db_changes(struct db_stmt *st);

/* Reset st so it holds no read snapshot or result; the cache keeps it. */
void db_done(struct db_stmt *st);

/* Run one constant statement without parameters or result rows. */
int db_exec(struct db *db, const char *sql, struct err *e);

/* Transactions: db_begin starts a write transaction (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: BEGIN), db_commit ends it; db_rollback ignores
 * errors and is a no-op outside a transaction. */
int db_begin(struct db *db, struct err *e);
int db_commit(struct db *db, struct err *e);
void db_rollback(struct db *db);

/* The schema version of an open database. */
int db_schema_version(struct db *db, int *out, struct err *e);

#endif
