/*
 * db_fixture: the database a unit test opens. By default an SQLite file;
 * when SLUICE_TEST_DATABASE names a PostgreSQL database (set by
 * tests/pg/with_cluster.sh) a fresh schema of it, so every test starts
 * from an empty database and migrates it. Needs libpq only.
 */
#ifndef SLUICE_TESTS_DB_FIXTURE_H
#define SLUICE_TESTS_DB_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

/* True when SLUICE_TEST_DATABASE is set (the PostgreSQL cases run). */
bool fixture_pg_enabled(void);

/* Write into out the target of a fresh PostgreSQL database: the test
 * cluster's URL with the search path set to a new, empty schema (named
 * into schema, at least 32 bytes). Fails the running test on error. */
void fixture_pg_target(char *out, size_t n, char *schema, size_t sn);

/* Drop a schema made by fixture_pg_target() (its tables with it). */
void fixture_pg_drop(const char *schema);

/* The database for a test: sqlite_path itself, or with
 * SLUICE_TEST_DATABASE the URL of a PostgreSQL schema of its own, one per
 * path and process (created empty on first use, so opening the same path
 * again finds its data). A static buffer, overwritten by the next call. */
const char *fixture_db_target(const char *sqlite_path);

#endif
