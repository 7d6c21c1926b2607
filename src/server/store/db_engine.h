/*
 * db_engine: the private contract between db.c (the dispatch of db.h) and
 * the SQL engines db_sqlite.c and db_pg.c. Only these files include it.
 *
 * An engine keeps its connection in its own struct whose FIRST member is a
 * `struct db` (and its statements in a struct whose first member is a
 * `struct db_stmt`), so db.c can call through `ops` and the engine can cast
 * back to its own type. The engine fills one static `struct db_engine_ops`
 * and sets base.ops (and each statement's base.ops/base.db) to it. Each
 * function of the table has the contract of the db.h function of the same
 * name (errors, ownership, NULL handling), except that db.c has already
 * checked db/st for NULL where db.h allows it (close). An engine's open
 * function creates the connection and brings the schema up to date with
 * its own migration list (same DB_SCHEMA_VERSION for every engine); its
 * statement cache is keyed by the SQL text pointer. db_pg_open() is the
 * PostgreSQL entry point (db_pg.c, libpq).
 */
#ifndef SLUICE_SERVER_STORE_DB_ENGINE_H
#define SLUICE_SERVER_STORE_DB_ENGINE_H

#include "db.h"

/* The schema version both engines' migration lists reach. */
#define DB_SCHEMA_VERSION 15

struct db_engine_ops {
	enum db_engine_kind kind;
	const char *name; /* "sqlite", "postgresql": for messages */

	void (*close)(struct db *db); /* db is never NULL */
	int (*stmt)(struct db *db, struct db_stmt **out, const char *sql,
	            struct err *e);
	int (*bind_int)(struct db_stmt *st, int idx, int64_t v, struct err *e);
	int (*bind_text)(struct db_stmt *st, int idx, const char *s,
	                 struct err *e);
	int (*bind_blob)(struct db_stmt *st, int idx, const void *p, size_t n,
	                 struct err *e);
	int (*bind_null)(struct db_stmt *st, int idx, struct err *e);
	/* optional (NULL: bind_text) */
	int (*bind_text_ref)(struct db_stmt *st, int idx, const char *s,
	                     struct err *e);
	int (*step)(struct db_stmt *st, struct err *e);
	bool (*col_null)(struct db_stmt *st, int col);
	int64_t (*col_int)(struct db_stmt *st, int col);
	const char *(*col_text)(struct db_stmt *st, int col);
	const void *(*col_blob)(struct db_stmt *st, int col, size_t *n);
	int64_t (*changes)(struct db_stmt *st);
	void (*done)(struct db_stmt *st);
	int (*exec)(struct db *db, const char *sql, struct err *e);
	int (*begin)(struct db *db, struct err *e);
	int (*commit)(struct db *db, struct err *e);
	void (*rollback)(struct db *db);
	int (*schema_version)(struct db *db, int *out, struct err *e);
};

/* The common head of every engine's connection. */
struct db {
	const struct db_engine_ops *ops;
};

/* The common head of every engine's prepared statement. */
struct db_stmt {
	const struct db_engine_ops *ops;
	struct db *db;
};

/* Engine entry points: open target (a file path / a PostgreSQL URL),
 * migrate, and hand over a connection freed with db_close(). */
int db_sqlite_open(struct db **out, const char *path, struct err *e);
int db_pg_open(struct db **out, const char *url, struct err *e);

/* An engine's migration runner: in one transaction (after lock_sql, when
 * not NULL, which serialises front-ends starting together), run list[v]
 * for every version v from the database's up to n, recording each in
 * meta 'schema_version'. A database newer than n is refused (SL_EDB). */
int db_migrate_run(struct db *db, const char *const *list, size_t n,
                   const char *lock_sql, struct err *e);

#endif
