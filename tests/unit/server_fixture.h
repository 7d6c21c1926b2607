/*
 * server_fixture: helpers shared by the unit tests of server modules
 * (linked into every test of server_unit_tests). They reach the store's
 * connection (db.h) to set up and inspect rows directly, and fail the
 * running cmocka test on any database error.
 */
#ifndef SLUICE_TESTS_SERVER_FIXTURE_H
#define SLUICE_TESTS_SERVER_FIXTURE_H

#include "store/db.h"
#include "store/store.h"

/* The connection under a store. */
struct db *fixture_db(struct store *s);

/* The single integer of a query (its first column of its first row). */
long long fixture_int(struct store *s, const char *sql);

/* The text of a query's first column of its first row, "(null)" for NULL;
 * a static buffer, overwritten by the next call. */
const char *fixture_text(struct store *s, const char *sql);

#endif
