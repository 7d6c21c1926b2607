/*
 * db_pg_schema: the PostgreSQL schema of sluiced as versioned migrations,
 * the translation of the SQLite list (db_sqlite.c) at the same version
 * numbers. Private to db_pg.c.
 */
#ifndef SLUICE_SERVER_STORE_DB_PG_SCHEMA_H
#define SLUICE_SERVER_STORE_DB_PG_SCHEMA_H

#include <stddef.h>

/* pg_migrations[i] brings the schema from version i to i + 1; each is a
 * list of statements for one simple-query call, run inside the migration
 * transaction. */
extern const char *const pg_migrations[];
extern const size_t pg_migrations_n;

#endif
