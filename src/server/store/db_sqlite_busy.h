/*
 * db_sqlite_busy: how a connection waits for SQLite's write lock. SQLite's
 * own busy timeout sleeps 1, 2, 5, 10 ... up to 100 ms between attempts,
 * so when the worker threads' reports queue for the one writer, the lock
 * is free most of the time while they sleep. Here a waiter sleeps on a
 * condition the process signals after every commit and rollback (at most
 * 1 ms between attempts, for writers elsewhere), up to 5 s in all, then
 * gives up as before (SQLITE_BUSY: "database is locked").
 */
#ifndef SLUICE_SERVER_STORE_DB_SQLITE_BUSY_H
#define SLUICE_SERVER_STORE_DB_SQLITE_BUSY_H

#include <sqlite3.h>

/* Install the handler on h (instead of sqlite3_busy_timeout). */
void sqbusy_install(sqlite3 *h);
/* A transaction of this process ended: wake the waiters. */
void sqbusy_wake(void);

#endif
