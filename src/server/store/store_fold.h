/*
 * store_fold: PostgreSQL's counter deltas folded into their base rows
 * (docs/store.md, "Counters"; jobs/fold.h runs it). Reports append the
 * moves of the per-update and per-group counters to state_count_deltas
 * and group_count_deltas, rows no two writers share; the readers read
 * state_totals and group_totals, base plus deltas. Folding moves the
 * deltas into the base rows, one statement a table: a reader's snapshot
 * sees them either all in the deltas or all in the base, so every read
 * is exact whenever the fold runs. SQLite keeps its base rows exact
 * itself (one writer): nothing to fold there.
 */
#ifndef SLUICE_SERVER_STORE_STORE_FOLD_H
#define SLUICE_SERVER_STORE_STORE_FOLD_H

#include <stdint.h>

#include "err.h"
#include "store.h"

/* Fold every delta row committed before the call: *moved is how many
 * delta rows went (0 on SQLite). Several folds at once stay exact (each
 * moves only the rows it deleted); the caller runs one at a time across
 * the cluster to spare the work. */
int store_counts_fold(int64_t *moved, struct store *s, struct err *e);

/* The delta rows waiting (0 on SQLite), for tests and logs. */
int store_counts_pending(int64_t *out, struct store *s, struct err *e);

#endif
