/*
 * sync_sluiced: one synchronisation of a downstream sluiced from its
 * upstream sluiced ([upstream] kind = sluiced), through the upstream's
 * server-to-server API (docs/protocol.md, "Server to server").
 *
 * sync_sluiced_run() asks GET <url>/v1/upstream/changes for everything
 * changed since meta 'upstream_anchor' (the upstream's change sequence;
 * 0 = everything), page by page. Every document is verified against the
 * ORIGIN's trusted keys (cfg->trusted_keys), never trusting the upstream
 * server: its signature must verify and its id and revision must be what
 * the upstream claims; a refused document fails the page, which imports
 * nothing and leaves the anchor where it was (the next sync asks again).
 * A verified page is imported in one transaction together with its new
 * anchor, so an interrupted sync resumes without missing or duplicating
 * anything. File sizes and hashes come from the verified document; only
 * the URL comes from the upstream (the upstream's content URL, which
 * agents of a downstream in storage mode none use directly).
 *
 * Then, in replica mode, groups and approvals are pulled (replica.h);
 * content rows are made for the storage mode (full: every file;
 * on-approval: files of approved updates; none: nothing); and the status
 * of this server's computers (its own and the ones rolled up to it) is
 * pushed to the upstream (replica_rollup, in both modes).
 *
 * Recorded in sync_history like a catalog sync (index_version = the
 * upstream anchor reached). Does not log and does not wake the fetch
 * thread (see sync.h).
 */
#ifndef SLUICE_SERVER_SYNC_SLUICED_H
#define SLUICE_SERVER_SYNC_SLUICED_H

#include <jansson.h>

#include "config.h"
#include "store/store.h"
#include "err.h"
#include "sync_result.h"

int sync_sluiced_run(struct store *db, const struct server_config *cfg,
                     struct sync_result *out, struct err *e);

#endif
