/*
 * db: sluiced's SQLite store. db_open() opens one connection (WAL,
 * busy_timeout 5000 ms, foreign keys on) and brings the schema up to date
 * with versioned migrations (meta 'schema_version'). SQLite runs in
 * multi-thread mode: each thread opens its own connection; a struct db is
 * never shared between threads without a lock.
 *
 * The schema is the one of the shared contract (docs/protocol.md). SQL is
 * always prepared with bound parameters, never built from user strings.
 */
#ifndef SLUICE_SERVER_DB_H
#define SLUICE_SERVER_DB_H

#include <stdint.h>

#include <sqlite3.h>

#include "err.h"

#define DB_SCHEMA_VERSION 3

struct db;

/* Open (creating if needed) and migrate. Free with db_close(). */
int db_open(struct db **out, const char *path, struct err *e);
void db_close(struct db *db); /* NULL-safe */

sqlite3 *db_handle(struct db *db);

/* Bump and return the change sequence (meta 'change_seq'). Run it inside
 * the same transaction as the change it numbers. */
int db_next_seq(struct db *db, int64_t *out, struct err *e);
/* The current change sequence without bumping it. */
int db_current_seq(struct db *db, int64_t *out, struct err *e);

/* meta table. db_meta_get: *out (free()) or SL_ENOTFOUND. */
int db_meta_get(struct db *db, const char *key, char **out, struct err *e);
int db_meta_set(struct db *db, const char *key, const char *value,
                struct err *e);

/* The schema version of an open database. */
int db_schema_version(struct db *db, int *out, struct err *e);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. db_rollback ignores errors. */
int db_begin(struct db *db, struct err *e);
int db_commit(struct db *db, struct err *e);
void db_rollback(struct db *db);

/* Prepare sql (a constant); SL_EDB with SQLite's message. */
int db_prepare(struct db *db, sqlite3_stmt **out, const char *sql,
               struct err *e);
/* Set SL_EDB with the connection's last error, prefixed by what. */
int db_error(struct db *db, struct err *e, const char *what);

/* Run one constant statement with no parameters and no result rows. */
int db_exec(struct db *db, const char *sql, struct err *e);

/* Group helpers shared by handlers: id of a group by name (SL_ENOTFOUND). */
int db_group_id(struct db *db, const char *name, int64_t *out, struct err *e);

#define DB_GROUP_ALL        "All Computers"
#define DB_GROUP_UNASSIGNED "Unassigned Computers"

#endif
