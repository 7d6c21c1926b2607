/*
 * replica: what a downstream sluiced takes from and gives to its upstream
 * sluiced besides the catalog.
 *
 * replica_pull() (replica mode): GET <upstream>/v1/upstream/replica and
 * make the local groups and approvals equal to the upstream's, in one
 * transaction. Groups are matched by name: missing ones are created and
 * every group's parent is set as upstream (local-only groups are kept, so
 * computers in them stay put). Approvals become exactly the upstream's
 * (by update id and group name): each change bumps the change sequence
 * and removed approvals leave approval_removals rows, so agents see them
 * through their usual incremental sync. *changed (may be NULL) receives
 * the number of approvals set or removed. (Content wanted for the storage
 * mode is the caller's business: sync_sluiced runs it afterwards.)
 *
 * replica_rollup(): POST the status of every computer this server knows
 * (its own, and those rolled up to it from its downstreams, with their
 * server path) to <upstream>/v1/upstream/rollup, in pages under the
 * upstream's request size cap. *pushed receives the number of computers
 * sent.
 */
#ifndef SLUICE_SERVER_REPLICA_H
#define SLUICE_SERVER_REPLICA_H

#include "config.h"
#include "store/store.h"
#include "err.h"

int replica_pull(struct store *db, const struct server_config *cfg,
                 unsigned *changed, struct err *e);

int replica_rollup(struct store *db, const struct server_config *cfg,
                   unsigned *pushed, struct err *e);

#endif
