/*
 * db_legacy: the SQLite calls of the code that has not moved behind
 * store/store.h yet, on a struct store (implemented in
 * store/db_legacy.c on the SQLite engine; refused on any other engine).
 * Goes away with its last user.
 */
#ifndef SLUICE_SERVER_DB_LEGACY_H
#define SLUICE_SERVER_DB_LEGACY_H

#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "store/store.h"

sqlite3 *db_handle(struct store *db);

/* Prepare sql (a constant); SL_EDB with SQLite's message. */
int db_prepare(struct store *db, sqlite3_stmt **out, const char *sql,
               struct err *e);
/* Set SL_EDB with the connection's last error, prefixed by what. */
int db_error(struct store *db, struct err *e, const char *what);
/* Run one constant statement without parameters or rows. */
int db_legacy_exec(struct store *db, const char *sql, struct err *e);

#endif
