/*
 * server_fixture: helpers shared by the unit tests of server modules
 * (linked into every test of server_unit_tests). They fail the running
 * cmocka test on any SQLite error.
 */
#ifndef SLUICE_TESTS_SERVER_FIXTURE_H
#define SLUICE_TESTS_SERVER_FIXTURE_H

#include "db_legacy.h"

/* The single integer of a query (its first column of its first row). */
long long fixture_int(struct store *db, const char *sql);

/* The text of a query's first column of its first row, "(null)" for NULL;
 * a static buffer, overwritten by the next call. */
const char *fixture_text(struct store *db, const char *sql);

#endif
