/*
 * lease: this front-end's hold on cluster-wide jobs (upstream sync, file
 * fetching, scheduled maintenance), so several sluiced processes on one
 * database run each job once. A job is held through a lease row
 * (store/store_lease.h) that a keeper thread renews every LEASE_RENEW_S while
 * held; when the front-end dies (kill -9, crash, lost host) the lease lapses
 * after LEASE_TTL_S and the next front-end that asks takes the job over. On
 * SQLite (one front-end) the same code runs and always wins.
 */
#ifndef SLUICE_SERVER_JOBS_LEASE_H
#define SLUICE_SERVER_JOBS_LEASE_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

struct store;

#define LEASE_TTL_S   15
#define LEASE_RENEW_S 4
/* How often a front-end waiting for a job held elsewhere asks again. */
#define LEASE_RETRY_S 2
#define LEASE_MAX     4

struct lease;

/* A keeper with its own connection to cfg->db_path (cfg outlives it) and
 * a holder name unique to this process (host:pid:random). Free with
 * lease_stop(). */
int lease_start(struct lease **out, const struct server_config *cfg,
                struct err *e);

/* Stop the keeper, releasing what it holds. NULL-safe. */
void lease_stop(struct lease *l);

/* Take job name through db (the caller's connection): true when this
 * front-end holds it now (renewed in the background until lease_drop()),
 * false when another front-end does or the database is away. */
bool lease_take(struct lease *l, struct store *db, const char *name);

/* Release job name (its next holder may take it at once). */
void lease_drop(struct lease *l, struct store *db, const char *name);

/* This front-end's holder name. */
const char *lease_holder(const struct lease *l);

#endif
