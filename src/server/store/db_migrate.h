/*
 * db_migrate: copy an SQLite installation into a PostgreSQL database
 * (sluiced --migrate-to URL), so a site grows onto several front-ends
 * without starting over.
 *
 * The source is opened (and brought to this binary's schema version) and
 * read in one transaction, so a running sluiced may keep serving: the
 * copy is its state at one moment. The target gets the same schema
 * (db_open) and must hold no data yet (no computers, updates or sync
 * history: SL_ECONFLICT); every table of the schema is copied in one
 * PostgreSQL transaction, parents before children, each with COPY FROM
 * STDIN (db_pgcopy.h) while its keys, indexes and foreign keys are set
 * aside (built again over its rows before the next table), the identity
 * sequences moved past the copied ids, and the row count of every table
 * compared with the source before the commit (SL_EINTERNAL on a
 * difference, nothing committed). Any error rolls everything back; its
 * message starts with the table's name.
 */
#ifndef SLUICE_SERVER_STORE_DB_MIGRATE_H
#define SLUICE_SERVER_STORE_DB_MIGRATE_H

#include <stdint.h>

#include "err.h"

/* Called once per table after its rows are copied and counted. */
typedef void (*db_migrate_fn)(void *arg, const char *table, int64_t rows);

int db_migrate(const char *sqlite_path, const char *pg_url, db_migrate_fn each,
               void *arg, struct err *e);

#endif
