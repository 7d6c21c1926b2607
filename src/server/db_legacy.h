/*
 * db (legacy): the SQLite calls of the code that has not moved behind
 * store/store.h yet. Implemented on the SQLite engine of store/db.h
 * (store/db_legacy.c); refused on any other engine.
 */
#ifndef SLUICE_SERVER_DB_LEGACY_H
#define SLUICE_SERVER_DB_LEGACY_H

#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "store/db.h"

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

/* Prepare sql (a constant); SL_EDB with SQLite's message. */
int db_prepare(struct db *db, sqlite3_stmt **out, const char *sql,
               struct err *e);
/* Set SL_EDB with the connection's last error, prefixed by what. */
int db_error(struct db *db, struct err *e, const char *what);

/* Group helpers shared by handlers: id of a group by name (SL_ENOTFOUND). */
int db_group_id(struct db *db, const char *name, int64_t *out, struct err *e);

#define DB_GROUP_ALL        "All Computers"
#define DB_GROUP_UNASSIGNED "Unassigned Computers"

#endif
