/*
 * db_wlock: one writer lock per SQLite database file in this process.
 *
 * SQLite lets one writer at a time into a database; the others wait in its
 * busy handler, which polls with sleeps of up to 100 ms and lets whoever
 * asks at the right moment in first. Under load a writer can lose that
 * race for seconds and give up ("database is locked") while others get in
 * again and again. The server's connections to one file take this lock
 * before BEGIN IMMEDIATE and give it back at COMMIT or ROLLBACK, so its own
 * writers queue on a mutex (woken when it is released) and SQLite's busy
 * handler only arbitrates with other processes.
 *
 * Thread-safe. A lock is shared by every connection opened on the same
 * file (by its real path) and freed with the last.
 */
#ifndef SLUICE_SERVER_STORE_DB_WLOCK_H
#define SLUICE_SERVER_STORE_DB_WLOCK_H

#include "err.h"

struct db_wlock;

/* The lock of the database file at path; NULL when there is none to have
 * (no such file, as for an in-memory database, too many files open in the
 * process, out of memory): its writers then wait in SQLite's busy handler
 * alone. Give it back with db_wlock_put(). */
void db_wlock_get(struct db_wlock **out, const char *path);

/* Drop one reference; the last frees the lock. NULL-safe. */
void db_wlock_put(struct db_wlock *l);

/* Wait at most timeout_ms for the lock: SL_EUNAVAILABLE ("database busy:
 * ...") when it stays taken. NULL l: SL_OK at once. */
int db_wlock_acquire(struct db_wlock *l, int timeout_ms, struct err *e);

/* Release a lock this thread acquired. NULL-safe. */
void db_wlock_release(struct db_wlock *l);

#endif
