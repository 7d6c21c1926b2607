/*
 * import: the database side of a sync, shared by both upstream kinds
 * (sync.c: a catalog origin; sync_sluiced.c: an upstream sluiced).
 *
 * Writes verified update documents into updates / update_files /
 * update_status (each change with a fresh change_seq), marks updates
 * expired, makes the content rows the storage mode wants, and records
 * every run in sync_history. Nothing here verifies, fetches or opens a
 * transaction: the callers verify every document first and decide the
 * transaction (sync.c: one for the whole sync; sync_sluiced.c: one per
 * page together with its anchor). How a file's absolute URL is made also
 * stays with the caller (import_url_fn).
 */
#ifndef SLUICE_SERVER_IMPORT_H
#define SLUICE_SERVER_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db_legacy.h"
#include "err.h"
#include "sync.h"
#include "update.h"

/* The statements of an import; prepared once, used for many updates. */
struct import_stmts {
	sqlite3_stmt *get;    /* local status of an update */
	sqlite3_stmt *upd;    /* INSERT OR IGNORE INTO updates */
	sqlite3_stmt *file;   /* INSERT OR IGNORE INTO update_files */
	sqlite3_stmt *status; /* update_status: latest revision, change_seq */
	sqlite3_stmt *expire; /* update_status: expired = 1, change_seq */
};

/* Prepare every statement of *s (zeroed by the caller). On failure the
 * ones prepared so far stay in *s: call import_stmts_free() anyway. */
int import_stmts_prepare(struct import_stmts *s, struct store *db,
                         struct err *e);

/* Finalize the statements and zero *s (NULL members are fine). */
void import_stmts_free(struct import_stmts *s);

/* Local status of an update (all false / 0 when it is not known). */
struct import_status {
	bool known;
	int64_t revision; /* latest_revision */
	bool expired;
	bool declined;
};

int import_status_get(struct import_status *out, struct store *db,
                      struct import_stmts *s, const char *id, struct err *e);

/* The absolute URL of file f of update u, for update_files.upstream_url:
 * *out is the caller's to free(); on failure set e. */
typedef int (*import_url_fn)(char **out, const struct update *u,
                             const struct update_file *f, void *arg,
                             struct err *e);

/* Insert the verified update u as its latest revision: updates (text/len
 * = the envelope bytes verbatim, sha256 = their hex SHA-256, imported_at
 * = now), one update_files row per file (URL from url(arg)), and
 * update_status with a fresh change_seq. Borrows everything. */
int import_update(struct store *db, struct import_stmts *s,
                  const struct update *u, const char *text, size_t len,
                  const char *sha256, long long now, import_url_fn url,
                  void *arg, struct err *e);

/* Mark update id expired with a fresh change_seq; *changed says whether
 * the row changed (it was known and not yet expired). */
int import_expire(struct store *db, struct import_stmts *s, const char *id,
                  bool *changed, struct err *e);

/* Add the content rows (state 'wanted', updated_at = now) the storage mode
 * wants: full -> every file of every current, not declined revision;
 * on-approval -> those of updates approved (install or uninstall) for
 * some group (a "not-approved" row wants nothing); none ->
 * nothing. *n receives how many rows were added. */
int import_want_content(struct store *db, enum storage_mode mode, long long now,
                        unsigned *n, struct err *e);

/* True when list is NULL (no filter) or holds s. */
bool import_in_list(char *const *list, const char *s);

/* A non-negative integer kept in meta (0 when the key is absent). */
int import_meta_int(struct store *db, const char *key, int64_t *out,
                    struct err *e);

/* Step a statement that returns no row, then reset it and clear its
 * bindings; a failure is a SL_EDB error about what. */
int import_step_done(struct store *db, sqlite3_stmt *st, const char *what,
                     struct err *e);

/* A 'running' sync_history row started at now; *id receives its id. */
int import_history_start(struct store *db, long long now, int64_t *id,
                         struct err *e);

/* Finish history row r->history_id: success with r's counts when err_msg
 * is NULL, else failure with err_msg. index_version is recorded as
 * *version, or NULL when version is NULL. finished_at is the time now. */
int import_history_finish(struct store *db, const struct sync_result *r,
                          const int64_t *version, const char *err_msg,
                          struct err *e);

#endif
