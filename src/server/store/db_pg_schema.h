/*
 * db_pg_schema: the PostgreSQL schema of sluiced as versioned migrations,
 * the translation of the SQLite list (db_sqlite.c) at the same version
 * numbers, each applied inside one transaction under an advisory lock.
 * Private to db_pg.c.
 */
#ifndef SLUICE_SERVER_STORE_DB_PG_SCHEMA_H
#define SLUICE_SERVER_STORE_DB_PG_SCHEMA_H

#include "db.h"

/* Bring the schema of the open connection db up to date (several
 * front-ends may call it at once: one migrates, the others wait and find
 * nothing to do). A schema newer than this binary is SL_EDB. */
int db_pg_migrate(struct db *db, struct err *e);

#endif
