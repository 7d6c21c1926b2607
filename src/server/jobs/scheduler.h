/*
 * scheduler: the sync scheduler thread. It runs sync_run() syncs_per_day
 * times a day (evenly spaced; the first check SCHED_FIRST_DELAY_S after
 * start; none when syncs_per_day is 0) and whenever sched_trigger() asks,
 * never two at once. The due time and the "sync" lease (jobs/lease.h) live
 * in the database, so several front-ends on one database run each
 * scheduled sync once, and one takes over a sync whose front-end died.
 * After each sync it wakes the fetch thread. It has its own database
 * connection and logs one line per sync.
 */
#ifndef SLUICE_SERVER_SCHEDULER_H
#define SLUICE_SERVER_SCHEDULER_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

#define SCHED_FIRST_DELAY_S 5

struct sched;
struct fetch;

/* cfg and fetch (may be NULL) must outlive the scheduler. Free with
 * sched_stop(). */
int sched_start(struct sched **out, const struct server_config *cfg,
                struct fetch *fetch, struct err *e);

/* Ask for a sync now. *started is false when a sync is already running or
 * queued (that one will serve the request). */
void sched_trigger(struct sched *s, bool *started);

/* Stop the thread (waiting for a running sync to end) and free s.
 * NULL-safe. */
void sched_stop(struct sched *s);

#endif
