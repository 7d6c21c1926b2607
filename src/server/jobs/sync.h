/*
 * sync: one synchronisation of sluiced from its upstream catalog origin.
 *
 * sync_run() fetches "<upstream_url>/index.json", checks it against the
 * trusted keys (signature, expiry, and rollback: its version may not be
 * below meta 'upstream_index_version'), then fetches the document of every
 * update whose newest revision in the index is newer than what the database
 * holds (filtered by the configured products and classifications), and
 * checks each one (hash from the index, signature, model) before it is
 * written. The documents go in batch by batch (at most 500 documents or
 * 8 MB of them): every document of a batch verifies, then the batch is
 * written in ONE transaction:
 *   - updates: the document's envelope bytes verbatim (agents re-verify them)
 *   - update_files: absolute upstream URLs (resolved against the index URL)
 *   - update_status: latest_revision and a fresh change_seq per change
 * and when every batch is in, one last transaction writes
 *   - update_status.expired = 1 for updates the index marks expired
 *     (counted once)
 *   - content rows in state 'wanted' for the fetch thread, by storage mode:
 *     full -> every file of every current revision; on-approval -> only the
 *     files of updates that have an approval; none -> no content rows
 *   - the auto-approvals of the updates this sync brought
 *   - meta 'upstream_index_version' = the index version
 * A refusal of the index (bad signature, expired, rollback) imports
 * nothing. A refused document (tampered, bad signature, malformed) or a
 * network error stops the sync: nothing of that document's batch is
 * written, the batches committed before it stay (each of their documents
 * verified against the signed index) and the next sync goes on from there,
 * since it fetches only what the database does not hold yet; the index
 * version is recorded only by a complete sync. Every run is recorded in
 * sync_history (a 'running' row first, then success or failure with counts
 * or the error text). A second sync with no upstream change imports
 * nothing (counts 0). Memory: the parsed index plus one batch.
 *
 * Only the latest revision of each update is imported: older revisions in
 * the index are superseded by it and agents are only ever handed the latest.
 *
 * Upstream servers of type sluiced (downstream servers syncing from another
 * sluiced by anchor) are a later issue; upstream_url is a catalog origin.
 *
 * sync_run() does not log and does not wake the fetch thread: the caller
 * logs the result and calls fetch_wake() when out->files_wanted > 0.
 * Concurrent runs on the same database are safe (the transaction re-checks
 * what it imports) but pointless: callers run one sync at a time.
 */
#ifndef SLUICE_SERVER_SYNC_H
#define SLUICE_SERVER_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store/store.h"
#include "sync_result.h"
#include "err.h"

/* Run one complete sync (see above). *out is filled on success; on failure
 * out->history_id still names the recorded row (when one could be made).
 * Errors: SL_EVERIFY (index or document signature/hash), SL_EEXPIRED,
 * SL_EROLLBACK, SL_ENET/SL_ENOTFOUND (upstream unreachable), SL_EINVAL/
 * SL_EPARSE (malformed upstream data), SL_EDB. */
int sync_run(struct store *db, const struct server_config *cfg,
             struct sync_result *out, struct err *e);

/* Whether the sync imports update id (besides the configured filters). */
typedef bool (*sync_keep_fn)(void *arg, const char *id);
/* sync_run() importing only the updates keep() accepts (keep NULL: all).
 * With verify_first every document is verified once before the first
 * batch is written (and again as it is written), so a refused document
 * imports nothing at all: `sluice import` runs it so over an unpacked
 * archive. */
int sync_run_filtered(struct store *db, const struct server_config *cfg,
                      sync_keep_fn keep, void *keep_arg, bool verify_first,
                      struct sync_result *out, struct err *e);

/* Mark sync_history rows left 'running' by a previous process (killed
 * mid-sync) as failed ("interrupted"). Call once at server start, before
 * any sync runs. *n (may be NULL) receives the number of rows changed. */
int sync_mark_interrupted(struct store *db, int *n, struct err *e);

#endif
