/*
 * db_sqlite: what the SQLite engine offers beyond db.h, for the code that
 * has not moved behind store.h yet (db_legacy.c) and for tests.
 */
#ifndef SLUICE_SERVER_STORE_DB_SQLITE_H
#define SLUICE_SERVER_STORE_DB_SQLITE_H

#include <sqlite3.h>

struct db;

/* The SQLite handle of db; NULL when db is another engine's. */
sqlite3 *db_sqlite_handle(struct db *db);

#endif
