/*
 * fold: the cluster-wide "counters" job on PostgreSQL. A thread with its
 * own database connection that every FOLD_EVERY_S folds the counter
 * deltas the reports appended into their base rows (store/store_fold.h),
 * under the "counters" lease (lease.h): of several front-ends on one
 * database one folds, and another takes over within LEASE_TTL_S when it
 * dies. Readers add the deltas not folded yet, so how often it runs
 * bounds only how many delta rows a read adds up. Not started on SQLite,
 * whose counters need no folding.
 */
#ifndef SLUICE_SERVER_JOBS_FOLD_H
#define SLUICE_SERVER_JOBS_FOLD_H

#include "config.h"
#include "err.h"

#define FOLD_EVERY_S 2

struct fold_thread;

/* Start the job for cfg (which outlives it); *out stays NULL on SQLite.
 * Free with fold_stop(). */
int fold_start(struct fold_thread **out, const struct server_config *cfg,
               struct err *e);

/* Stop the thread (after the fold it is running), release the lease.
 * NULL-safe. */
void fold_stop(struct fold_thread *t);

#endif
