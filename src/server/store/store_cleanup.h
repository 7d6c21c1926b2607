/*
 * store_cleanup: the queries of the server cleanup (jobs/cleanup.c). Each
 * listing function reads one bounded page; each change function changes
 * one object and is meant to run in the caller's short write transaction
 * (a batch), so agents syncing and reporting meanwhile wait at most for one
 * batch.
 */
#ifndef SLUICE_SERVER_STORE_STORE_CLEANUP_H
#define SLUICE_SERVER_STORE_STORE_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

/* One current update of a page (strings valid during the callback). */
struct store_cleanup_update {
	const char *id;
	bool declined, expired;
	int64_t imported_at;  /* when its latest revision came to this server */
	const char *document; /* the signed envelope */
};
typedef int (*store_cleanup_update_fn)(void *arg,
                                       const struct store_cleanup_update *u,
                                       struct err *e);
/* Call fn for up to limit current updates with ids after `after` ("" for
 * the first page), by id; *n receives how many, last (37 bytes) the last
 * id. */
int store_cleanup_updates_page(struct store *s, const char *after, size_t limit,
                               store_cleanup_update_fn fn, void *arg, size_t *n,
                               char last[37], struct err *e);

/* Append up to limit ids after `after` of expired, not declined updates. */
int store_cleanup_expired(json_t *ids, struct store *s, const char *after,
                          size_t limit, struct err *e);

/* Append up to limit computers of this server (not rolled up) whose last
 * contact (or registration, when none) is before `before`, after id
 * `after`, by id, as {id, hostname, last_contact}. */
int store_cleanup_stale_computers(json_t *arr, struct store *s, int64_t before,
                                  const char *after, size_t limit,
                                  struct err *e);
/* Delete computer id with its states and events when its last contact is
 * still before `before` (*deleted says whether it was). Inside a
 * transaction. */
int store_cleanup_computer_delete(bool *deleted, struct store *s,
                                  const char *id, int64_t before,
                                  struct err *e);

/* Append up to limit [id, revision] pairs, by id and revision from update
 * id `after` on ("" for all), of revisions older than their update's
 * latest that no computer state and no license acceptance names. */
int store_cleanup_old_revisions(json_t *arr, struct store *s, const char *after,
                                size_t limit, struct err *e);
/* Delete that revision and its file rows (only if still old and
 * unreferenced). Inside a transaction. */
int store_cleanup_revision_delete(bool *deleted, struct store *s,
                                  const char *id, int64_t revision,
                                  struct err *e);

/* Append up to limit content rows {sha256, size, state} after sha `after`
 * that no current revision of a non-declined update needs. */
int store_cleanup_unneeded_content(json_t *arr, struct store *s,
                                   const char *after, size_t limit,
                                   struct err *e);
/* Whether some current revision of a non-declined update has this file. */
int store_cleanup_sha_needed(bool *needed, struct store *s, const char *sha,
                             struct err *e);
/* Delete the content row of sha unless a non-declined update needs it
 * (*deleted: the row went or there was none and nothing needs it). */
int store_cleanup_content_delete(bool *deleted, struct store *s,
                                 const char *sha, struct err *e);

/* The database's size and the space it could give back (SQLite: pages x
 * page size and free pages; PostgreSQL: pg_database_size, free unknown:
 * 0). */
int store_cleanup_space(int64_t *size, int64_t *free_bytes, struct store *s,
                        struct err *e);
/* Compact the database without holding it for long: SQLite PRAGMA
 * optimize, then, when the file is in incremental auto-vacuum mode, free
 * pages given back `step` pages at a time (each its own statement);
 * PostgreSQL VACUUM ANALYZE (which never blocks readers or writers).
 * full (SQLite only): one VACUUM that also switches the file to
 * incremental auto-vacuum; it holds the database for its whole run. */
int store_cleanup_compact(struct store *s, bool full, int step, struct err *e);

#endif
