/*
 * store_batch: group commit of small write transactions (agents' status
 * reports). On SQLite one writer at a time holds the database's write
 * lock; when every worker thread takes it for its own report, each commit
 * hands the lock over through the scheduler and, on a busy machine, the
 * thread holding it is descheduled while the others queue behind it.
 * Here a thread hands its work (a function that writes inside a
 * transaction) to a queue; the first thread that finds no writer at work
 * becomes the writer: it takes every piece queued, runs each under its
 * own SAVEPOINT in one transaction on its own connection, commits once
 * and wakes the others. store_batch_run() returns only after the commit
 * that stored its work (or with the error that kept it out), so a caller
 * that answers after it never acknowledges work a crash could lose.
 *
 * A piece that fails is rolled back to its savepoint and fails alone,
 * with its own status and message; the others are committed. Should the
 * batch's transaction itself fail (its COMMIT, or an error that ends the
 * whole transaction), each piece not already failed is run again alone,
 * in a transaction of its own.
 *
 * On PostgreSQL several front-ends and connections write at once, so
 * there each call runs its work in its own transaction on the caller's
 * connection, as before.
 */
#ifndef SLUICE_SERVER_STORE_STORE_BATCH_H
#define SLUICE_SERVER_STORE_STORE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

/* The work: write through s (which may be another thread's connection)
 * inside the transaction store_batch_run() opened; never begin, commit or
 * roll back. Return SL_OK or a status with e set. It may run on another
 * thread while the caller waits, and more than once (a retry alone). */
typedef int (*store_batch_fn)(void *arg, struct store *s, struct err *e);

/* Run fn(arg, ...) in a committed write transaction, possibly together
 * with other threads' work: SL_OK once committed, else fn's status (or
 * the transaction's) with e set and nothing of fn's writes kept. s is the
 * caller's connection, not in a transaction. */
int store_batch_run(struct store *s, store_batch_fn fn, void *arg,
                    struct err *e);

/* Counters since the start of the process (tests, metrics): the batches
 * committed and the pieces they held. */
void store_batch_stats(uint64_t *batches, uint64_t *pieces);
/* Pieces queued now, not yet taken by a writer. */
size_t store_batch_queued(void);

#endif
