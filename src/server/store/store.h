/*
 * store: everything sluiced keeps in its database, behind functions named
 * for what they do. The only code that knows SQL is under src/server/store/
 * (the queries in store_*.c, written once in the common dialect of db.h,
 * and the engines behind db.h); handlers, jobs and the HTTP layer call
 * store_* functions and never see a statement.
 *
 * A struct store is one connection (SQLite file or PostgreSQL URL), used by
 * one thread at a time: each worker thread and each job opens its own.
 * Transactions are explicit: store_begin() (write) or store_begin_read()
 * (one consistent snapshot for several reads), then store_commit() or
 * store_rollback(). A function documented "inside a transaction" relies on
 * the caller's; the others run as one statement each.
 *
 * The functions are declared below by area; store_<area>.c holds the
 * queries of each. Listing functions append to a caller's JSON array the
 * objects the admin API shows (jansson is the model both sides share).
 * "Not found" is SL_ENOTFOUND with a message naming what was looked up.
 */
#ifndef SLUICE_SERVER_STORE_STORE_H
#define SLUICE_SERVER_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "update.h"

struct store;

/* Open the database named by target (an SQLite file path, created if
 * missing, or a postgresql:// URL) and bring its schema up to date. Free
 * with store_close(). */
int store_open(struct store **out, const char *target, struct err *e);
/* NULL-safe. */
void store_close(struct store *s);

/* A write transaction. SL_EUNAVAILABLE when the database stays busy. */
int store_begin(struct store *s, struct err *e);
/* A read transaction: the reads until store_commit()/store_rollback() see
 * one snapshot. */
int store_begin_read(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
/* Ignores errors; a no-op outside a transaction. NULL-safe. */
void store_rollback(struct store *s);

/* The schema version of the open database. */
int store_schema_version(struct store *s, int *out, struct err *e);

/* Change sequence (meta 'change_seq'): every change an agent or a
 * downstream server must see takes the next number, inside the same
 * transaction as the change it numbers. */
int store_seq_next(struct store *s, int64_t *out, struct err *e);
/* n (>= 1) numbers at once, *first to *first + n - 1, in one statement
 * (for a batch that numbers n changes). */
int store_seq_reserve(struct store *s, int64_t n, int64_t *first,
                      struct err *e);
int store_seq_current(struct store *s, int64_t *out, struct err *e);
/* How many commits of this process took a change sequence number (a
 * process-wide counter, moved after the commit): caches of what depends
 * on the sequence (store_tokcache.h) drop themselves when it moves. */
uint64_t store_changes_count(void);

/* Server settings kept in the meta table. store_meta_get: *out (free())
 * or SL_ENOTFOUND. */
int store_meta_get(struct store *s, const char *key, char **out, struct err *e);
int store_meta_set(struct store *s, const char *key, const char *value,
                   struct err *e);

/* --- Computers (store_computers.c) --------------------------------------*/

struct store_computer_new {
	const char *id; /* a UUID */
	const char *token_hash;
	const char *hostname;
	const char *os_id, *os_version, *arch, *kernel, *agent_version; /* NULL
	                                                                   ok */
	int64_t group_id;
	int64_t now;            /* registration and first contact */
	const char *machine_id; /* NULL ok */
};

/* A newly registered computer. When a computer with the same machine_id
 * exists (a reinstalled machine), that record is replaced instead (new
 * token, host details and group, a full sync; its other groups go) and
 * its id is copied to replaced (else replaced is ""). Inside a
 * transaction. */
int store_computer_register(char replaced[40], struct store *s,
                            const struct store_computer_new *c, struct err *e);
/* Delete computer id: its row (and so its token), groups, states and
 * events; takes a change sequence number (its token's cached answers go,
 * store_tokcache.h). SL_ENOTFOUND ("no computer ..."). Inside a
 * transaction. */
int store_computer_delete(struct store *s, const char *id, struct err *e);

/* What an agent sync needs of its computer row. */
struct store_computer_sync {
	int64_t group_id;
	int64_t group_seq; /* change sequence of its last group change */
	bool has_contact;
	int64_t last_contact;
};
/* SL_ENOTFOUND ("unknown computer") when there is no such computer. */
int store_computer_sync_state(struct store_computer_sync *out, struct store *s,
                              const char *id, struct err *e);
/* An agent's request in one statement: the computer whose token hash this
 * is (id_out, SL_ENOTFOUND if none), its sync state and the current change
 * sequence (*seq), all from one snapshot. */
int store_computer_by_token_sync(char id_out[64],
                                 struct store_computer_sync *sync, int64_t *seq,
                                 struct store *s, const char *token_hash,
                                 struct err *e);
/* Record contact at now (and a report when report is true).
 * SL_ENOTFOUND ("unknown computer") when there is no such computer (it
 * was deleted since its token was checked). */
int store_computer_touch(struct store *s, const char *id, int64_t now,
                         bool report, struct err *e);

/* One reported state (revision NULL when absent). */
struct store_state {
	const char *update_id;
	const int64_t *revision;
	const char *state;
	const char *detail;
};
/* Insert or replace the computer's state of an update. */
int store_state_upsert(struct store *s, const char *computer_id,
                       const struct store_state *st, int64_t now,
                       struct err *e);
/* A report's states at once (store_states_report.c): sts[0..n) in update
 * id order (strcmp), each id once, else SL_EINVAL ("store states:
 * states[i]: 'b' is not after 'a' ..."). Stores what store_state_upsert
 * on each would (same rows, same counters; unknown updates and an
 * unknown computer are skipped), writing only rows that differ. Inside a
 * transaction. */
int store_states_report(struct store *s, const char *computer_id,
                        const struct store_state *sts, size_t n, int64_t now,
                        struct err *e);

/* One reported event; NULL members are stored as NULL. */
struct store_event {
	const char *event_id, *update_id, *time, *kind, *result, *output;
	const int64_t *revision, *exit_code;
};
/* Store an event once: *inserted is false when computer_id already
 * stored event_id (a retried report). */
int store_event_insert(bool *inserted, struct store *s, const char *computer_id,
                       const struct store_event *ev, int64_t now,
                       struct err *e);
/* Store evs[0..n) of computer_id in a few multi-row statements
 * (store_events.c): *inserted is how many were new (an event_id the
 * computer already stored, or repeated in evs, is skipped). Call it inside a
 * transaction: on an error some rows may have been written before it. */
int store_events_insert(int64_t *inserted, struct store *s,
                        const char *computer_id, const struct store_event *evs,
                        size_t n, int64_t now, struct err *e);

/* --- Groups (store_groups.c): the computer group tree; group 1 is "All
 * Computers", group 2 "Unassigned Computers" (both built in). ------------*/

#define STORE_GROUP_ALL        "All Computers"
#define STORE_GROUP_UNASSIGNED "Unassigned Computers"

/* The id of the group named name (SL_ENOTFOUND "no group named '...'"). */
int store_group_id(int64_t *out, struct store *s, const char *name,
                   struct err *e);
/* A new group under parent_id; SL_EEXISTS when the name is taken. */
int store_group_create(int64_t *out, struct store *s, const char *name,
                       int64_t parent_id, struct err *e);

struct store_group_info {
	char name[160];
	int64_t parent_id; /* 0 for the root */
	char parent_name[160];
	int64_t n_computers; /* directly in the group */
	int64_t n_subgroups; /* direct children */
};
int store_group_info(struct store_group_info *out, struct store *s, int64_t gid,
                     struct err *e);
int store_group_rename(struct store *s, int64_t gid, const char *name,
                       struct err *e);
int store_group_reparent(struct store *s, int64_t gid, int64_t parent_id,
                         struct err *e);
/* Delete group gid: its computers and subgroups move to heir; its own
 * approvals, removal marks and rule targets go. Inside a transaction. */
int store_group_delete(struct store *s, int64_t gid, int64_t heir,
                       struct err *e);
/* Every group as {name, parent, computers}, by id. */
int store_groups_list(json_t *arr, struct store *s, struct err *e);

/* Every computer as {id, hostname, os, arch, kernel, group, groups (its
 * first group, then the others by name),
 * agent_version, last_contact, last_report, server}, by hostname. */
int store_computers_list(json_t *arr, struct store *s, struct err *e);
/* The catalog freshness computer id reported: "ok" or "stale" with its
 * reason (detail may be NULL). */
int store_computer_catalog_set(struct store *s, const char *id,
                               const char *state, const char *detail,
                               struct err *e);
/* Move computer id to group gid (a fresh group_seq: full sync next time);
 * *moved false when it was there already. SL_ENOTFOUND ("no computer
 * ..."). Inside a transaction. */
int store_computer_move(bool *moved, struct store *s, const char *id,
                        int64_t gid, struct err *e);
/* Add computer id to group gid besides its others (*changed false when it
 * is in it already), or remove it from gid (its first group passes to
 * another; SL_ECONFLICT when gid is its only group, SL_ENOTFOUND when it
 * is not in gid). Either gives the computer a full sync. Inside a
 * transaction. */
int store_computer_group_add(bool *changed, struct store *s, const char *id,
                             int64_t gid, struct err *e);
int store_computer_group_remove(struct store *s, const char *id, int64_t gid,
                                struct err *e);
/* One computer's row (*computer, a new reference) and its newest 200
 * events (its states: store_computer_states). SL_ENOTFOUND ("no computer
 * ..."). */
int store_computer_status(json_t **computer, json_t *events, struct store *s,
                          const char *id, struct err *e);

/* --- Approvals (store_approvals.c): what each computer group is approved
 * for. A group has, per update, its own setting (a row in approvals:
 * install, uninstall or not-approved) or none; without one it inherits its
 * parent's effective setting, up to "All Computers". An explicit
 * not-approved therefore overrides an ancestor's approval. Removing a
 * group's own setting (back to "inherit") leaves an approval_removals row
 * so that agents of the group and of its descendants notice the change
 * incrementally. Every change takes a fresh change sequence in the
 * caller's transaction. ---------------------------------------------------*/

#define STORE_GROUP_MAX_DEPTH 32 /* nesting limit of computer groups */

/* The effective setting of an update for a group. */
struct store_approval_eff {
	char action[16]; /* install|uninstall|not-approved ("" = none) */
	bool has_deadline;
	long long deadline;
	int64_t from_gid; /* the group whose own row decided (0 = none) */
};

int store_approval_effective(struct store_approval_eff *out, struct store *s,
                             const char *update_id, int64_t gid, struct err *e);

/* Set the group's own setting: action install|uninstall|not-approved, or
 * NULL to remove it (inherit again). deadline is used when has_deadline.
 * *changed (may be NULL) tells whether anything changed. Inside a
 * transaction. */
int store_approval_set(struct store *s, const char *update_id, int64_t gid,
                       const char *action, bool has_deadline,
                       long long deadline, const char *actor, bool *changed,
                       struct err *e);

/* One update of a group's approved set; the strings stay valid during the
 * callback only. */
struct store_approved {
	const char *update_id;
	int64_t revision; /* the latest stored revision */
	const char *action;
	bool has_deadline;
	int64_t deadline;
	const char *document; /* the stored signed envelope (JSON text) */
};
typedef int (*store_approved_fn)(void *arg, const struct store_approved *a,
                                 struct err *e);
typedef int (*store_id_fn)(void *arg, const char *id, struct err *e);
struct store_file {
	const char *sha256, *name, *upstream_url;
	int64_t size;
	int64_t revision; /* store_page_files_each only */
};
typedef int (*store_file_fn)(void *arg, const struct store_file *f,
                             struct err *e);

/* The sets below are those of group gid and, when computer is not NULL,
 * of the other groups computer is in (computer_groups); where the groups
 * disagree, install wins over uninstall, either over not approved, and the
 * earliest deadline of the winning action wins.
 * Call fn for each update of the approved set of group gid whose approval
 * or revision changed after `since` (all when since < 0), by id. A status
 * other than SL_OK from fn stops the walk and is returned. */
int store_approved_each(struct store *s, int64_t gid, const char *computer,
                        int64_t since, store_approved_fn fn, void *arg,
                        struct err *e);
/* Call fn for each update id not in the approved set of gid whose setting
 * on gid's chain, or whose status (declined, expired), changed after
 * since. */
int store_removed_each(struct store *s, int64_t gid, const char *computer,
                       int64_t since, store_id_fn fn, void *arg, struct err *e);
/* Protocol 2: call fn for each update the computers of gid evaluate (not
 * declined; expired only while approved for removal) changed after since
 * (all when since < 0), with id greater than after (""), limit at most, by
 * id. a->action is "install", "uninstall" or "none" (not approved). */
int store_evaluate_each(struct store *s, int64_t gid, const char *computer,
                        int64_t since, const char *after, int64_t limit,
                        store_approved_fn fn, void *arg, struct err *e);
/* Protocol 2: the ids that left that set after since (declined; expired
 * and not approved for removal). */
int store_gone_each(struct store *s, int64_t gid, const char *computer,
                    int64_t since, store_id_fn fn, void *arg, struct err *e);
/* Whether anything the two above read changed after since for a computer
 * of group gid (and its other groups; computer NULL: gid alone): false
 * means both are empty (store_changes.c). */
int store_changed_since(bool *changed, struct store *s, int64_t gid,
                        const char *computer, int64_t since, struct err *e);
/* Call fn(arg, update_id, f) for each file of the updates with id greater
 * than after and at most last, by id, then as store_update_files_each
 * (one query for a page of protocol 2); f->revision is the file's: the
 * caller keeps those of the revision it sends. */
typedef int (*store_page_file_fn)(void *arg, const char *update_id,
                                  const struct store_file *f, struct err *e);
int store_page_files_each(struct store *s, const char *after, const char *last,
                          store_page_file_fn fn, void *arg, struct err *e);
/* Call fn for each file of an update revision, by name. */
int store_update_files_each(struct store *s, const char *update_id,
                            int64_t revision, store_file_fn fn, void *arg,
                            struct err *e);

/* The newest stored revision of update id, parsed from its envelope. Free
 * with update_free(). SL_ENOTFOUND when unknown. *declined (may be NULL)
 * receives the decline flag, *expired likewise. */
int store_update_load(struct update **out, bool *declined, bool *expired,
                      struct store *s, const char *id, struct err *e);

/* True (1) when gid is anc or one of its descendants; 0 otherwise. */
int store_group_is_descendant(int *out, struct store *s, int64_t gid,
                              int64_t anc, struct err *e);

/* The rows of effective_approvals that differ from a rebuild from
 * approvals, removal marks and the group tree (0 when consistent): a
 * check for tests. */
int store_effective_verify(int64_t *wrong, struct store *s, struct err *e);
/* Rewrite effective_approvals from scratch (after changes made outside
 * the store, e.g. by hand in SQL). Inside a transaction. */
int store_effective_rebuild(struct store *s, struct err *e);

/* Bump computers.group_seq for every computer of gid's subtree (their
 * effective approvals changed wholesale: full sync next time). */
int store_group_touch_subtree(struct store *s, int64_t gid, struct err *e);

/* --- Updates (store_updates.c): the catalog side of a sync. Writes
 * verified update documents into updates / update_files / update_status
 * (each change with a fresh change sequence) and records every run in
 * sync_history. Nothing here verifies or opens a transaction: the callers
 * verify every document first and decide the transaction. --------------*/

/* Local status of an update (all false / 0 when it is not known). */
struct store_update_status {
	bool known;
	int64_t revision; /* latest_revision */
	bool expired;
	bool declined;
};
int store_update_status(struct store_update_status *out, struct store *s,
                        const char *id, struct err *e);
/* Every update's status in one query: fn(arg, id, st) per update in no
 * particular order (id and st borrowed for the call); a status other than
 * SL_OK from fn stops the walk and is returned. */
typedef int (*store_status_fn)(void *arg, const char *id,
                               const struct store_update_status *st,
                               struct err *e);
int store_update_status_each(struct store *s, store_status_fn fn, void *arg,
                             struct err *e);

/* The absolute URL of file f of update u, for update_files.upstream_url:
 * *out is the caller's to free(); on failure set e. */
typedef int (*store_url_fn)(char **out, const struct update *u,
                            const struct update_file *f, void *arg,
                            struct err *e);

/* Insert the verified update u as its latest revision: updates (text/len
 * = the envelope bytes verbatim, sha256 = their hex SHA-256, imported_at
 * = now), one update_files row per file (URL from url(arg)), and
 * update_status with a fresh change sequence. Borrows everything. */
int store_update_import(struct store *s, const struct update *u,
                        const char *text, size_t len, const char *sha256,
                        int64_t now, store_url_fn url, void *arg,
                        struct err *e);
/* store_update_import() with the change sequence seq given (taken with
 * store_seq_reserve() for a whole batch). */
int store_update_import_seq(struct store *s, const struct update *u,
                            const char *text, size_t len, const char *sha256,
                            int64_t now, int64_t seq, store_url_fn url,
                            void *arg, struct err *e);
/* Mark update id expired with a fresh change sequence; *changed says
 * whether the row changed (it was known and not yet expired). */
int store_update_expire(struct store *s, const char *id, bool *changed,
                        struct err *e);
/* A replica mirrors its upstream's decline flag of update id. */
int store_update_mirror_decline(struct store *s, const char *id, bool declined,
                                struct err *e);

/* Add the content rows (state 'wanted', updated_at = now) of every
 * current, not declined revision, or with approved_only of those approved
 * (install or uninstall) for some group. *n: rows added. */
int store_content_want_current(unsigned *n, struct store *s, bool approved_only,
                               int64_t now, struct err *e);

/* A non-negative integer kept in meta (0 when the key is absent). */
int store_meta_int(int64_t *out, struct store *s, const char *key,
                   struct err *e);

/* A 'running' sync_history row started at now; *id receives its id. */
int store_sync_start(int64_t *id, struct store *s, int64_t now, struct err *e);
/* How a run ended: success with its counts when error is NULL, else
 * failure with error. index_version may be NULL (recorded as NULL). */
struct store_sync_end {
	int64_t id;
	int64_t now;
	unsigned new_count, revised_count, expired_count;
	const int64_t *index_version;
	const char *error;
};
int store_sync_finish(struct store *s, const struct store_sync_end *end,
                      struct err *e);
/* Mark the rows left 'running' by a process that stopped mid-sync as
 * failed ("interrupted"); *n (may be NULL) receives how many. */
int store_sync_interrupted(int *n, struct store *s, int64_t now, struct err *e);

/* The newest 100 sync runs as {id, started, finished, result, new,
 * revised, expired, index_version, error}. */
int store_sync_history(json_t *arr, struct store *s, struct err *e);

/* --- Catalog (store_catalog.c): one update as the administration sees
 * it. ---------------------------------------------------------------------*/

/* The title of the latest revision of id ("?" and *known false when
 * unknown). */
int store_update_title(char *out, size_t n, bool *known, struct store *s,
                       const char *id, struct err *e);
/* The stored envelope of id's latest revision, parsed (*doc, a new
 * reference), and its flags. SL_ENOTFOUND ("no update ..."). */
int store_update_document(json_t **doc, bool *declined, bool *expired,
                          struct store *s, const char *id, struct err *e);

/* One current update; strings valid during the callback only. */
struct store_update_row {
	const char *id, *title, *document;
	bool declined, expired;
};
typedef int (*store_update_fn)(void *arg, const struct store_update_row *u,
                               struct err *e);
/* Call fn for the latest revision of every update, by id. */
int store_updates_each(struct store *s, store_update_fn fn, void *arg,
                       struct err *e);

/* Append the groups' own settings of update id {group, action, deadline,
 * approved_at, approved_by} to own, and every group's effective setting
 * {group, action, deadline, from} to effective. */
int store_update_approvals(json_t *own, json_t *effective, struct store *s,
                           const char *id, struct err *e);
/* {accepted_by, accepted_at} of the latest revision's license terms, or
 * JSON null (*out is a new reference). */
int store_update_license(json_t **out, struct store *s, const char *id,
                         struct err *e);
/* Set the decline flag (with a fresh change sequence); *changed when it
 * changed. Inside a transaction. */
int store_update_set_declined(bool *changed, struct store *s, const char *id,
                              bool declined, int64_t now, struct err *e);
/* Whether some computer still needs id (needed, downloaded or failed). */
int store_update_needed(bool *needed, struct store *s, const char *id,
                        struct err *e);

/* --- Content (store_content.c): the files this server keeps, by SHA-256:
 * wanted, present, or failed with a next attempt time. --------------------*/

int store_content_present(struct store *s, const char *sha256, int64_t now,
                          struct err *e);
int store_content_failed(struct store *s, const char *sha256, int attempts,
                         int64_t next_attempt, const char *error, int64_t now,
                         struct err *e);

struct store_content_due {
	char sha256[65];
	int64_t size;
	char *url; /* the upstream URL */
	int attempts;
};
/* Up to max rows due for download at now (wanted first, then failed rows
 * whose next attempt has come). Free with store_content_due_free(). */
int store_content_next_due(struct store_content_due **out, size_t *n_out,
                           struct store *s, int64_t now, size_t max,
                           struct err *e);
void store_content_due_free(struct store_content_due *rows, size_t n);
/* The earliest next attempt of a failed row (*any false when none). */
int store_content_next_retry(int64_t *at, bool *any, struct store *s,
                             struct err *e);
/* Want every file of update_id's latest revision (failed ones are
 * retried at once). SL_ENOTFOUND for an unknown update. */
int store_content_want_update(struct store *s, const char *update_id,
                              int64_t now, struct err *e);

/* --- Reports (store_reports.c): counts of the states computers report.
 * Counts objects hold one member per agent state with '-' turned into '_'
 * plus no_status (computers that sent nothing about the update). Run them
 * in a read transaction for one consistent snapshot. ---------------------*/

/* *out: {update id: counts} for every update (a new reference). */
int store_report_counts(json_t **out, struct store *s, struct err *e);
/* Whether the updates list leaves u (with its counts c) out. */
typedef int (*store_filter_fn)(void *arg, json_t *u, json_t *c);
/* Append {id, revision, title, classification, product, kb_article,
 * declined, expired, counts} of each current update (newest release
 * first) that skip() keeps; counts from store_report_counts(). */
int store_report_updates(json_t *arr, struct store *s, json_t *counts,
                         store_filter_fn skip, void *arg, struct err *e);
/* Withdraw every install approval of update id (each group's own row goes:
 * the groups inherit again), recorded as by actor; *n gets how many. For
 * a new revision when approve_new_revisions is off. Inside a transaction. */
int store_approvals_withdraw_install(unsigned *n, struct store *s,
                                     const char *id, const char *actor,
                                     struct err *e);
/* Give every update a new change sequence: agents fetch them all again at
 * their next incremental sync (their file URLs changed). */
int store_updates_touch_all(struct store *s, struct err *e);
/* The updates (at most 21, by id) a name may mean: an id prefix, a KB
 * article ("KB5034441" or "5034441"), an advisory id ("DSA-5111-1"); as
 * {id, title, kb_article, security_bulletin}. */
int store_update_lookup(json_t *arr, struct store *s, const char *name,
                        struct err *e);
/* The distinct classifications (product: the products) of the updates
 * held, sorted, into the array of strings arr. */
int store_update_names(json_t *arr, struct store *s, bool product,
                       struct err *e);
/* Like store_report_updates, for the updates list: each update also with
 * severity, release_date, its files {name, sha256, size, present} and
 * its groups' own approvals {group, action, deadline, approved_by}. */
int store_updates_list(json_t *arr, struct store *s, json_t *counts,
                       store_filter_fn skip, void *arg, struct err *e);
/* The counts of one update's report, from the counters the state writes
 * keep (no scan of the states): {update, totals, groups: [{group,
 * counts}]} (groups by name: their direct computers, each computer in its
 * first group only); SL_ENOTFOUND for an unknown update. */
int store_report_update(json_t **out, struct store *s, const char *id,
                        struct err *e);
/* A page of a report's computers: those with an id after `after` (NULL:
 * from the first), in that state ("no-status" for none; NULL: any),
 * skipping offset of them, at most limit. */
struct store_page {
	const char *after, *state;
	int64_t offset, limit;
};
/* Append {id, hostname, group, server, state ("no-status" when none),
 * detail, reported, revision} of the computers of pg in update id's
 * report, by computer id; SL_EINVAL for an unknown state, SL_ENOTFOUND
 * for an unknown update. */
int store_report_update_computers(json_t *arr, struct store *s, const char *id,
                                  const struct store_page *pg, struct err *e);
/* *out: the counts of computer id's states (no no_status; a new
 * reference), from the counters. */
int store_computer_counts(json_t **out, struct store *s, const char *id,
                          struct err *e);
/* One state of a computer (store_computer_states); the strings are valid
 * for the call only. */
struct store_computer_state {
	const char *update_id;
	const char *title;  /* NULL: the revision is not stored */
	const char *state;  /* "needed", ... */
	const char *detail; /* NULL: none */
	int64_t revision;
	int64_t reported; /* Unix time: the state's, else the last report's */
};
typedef int (*store_computer_state_fn)(void *arg,
                                       const struct store_computer_state *st,
                                       struct err *e);
/* Call fn for each of computer id's states by title: those in state
 * pg->state (NULL: any; SL_EINVAL for an unknown one), skipping
 * pg->offset, at most pg->limit (pg->after unused); stops at the first
 * status fn returns other than SL_OK and returns it. A row at a time, so
 * that a computer's 20,000 states are never a tree in memory. */
int store_computer_states(struct store *s, const char *id,
                          const struct store_page *pg,
                          store_computer_state_fn fn, void *arg, struct err *e);
/* Append each computer (of group, or all when NULL) with the counts of
 * its states, by hostname. */
int store_report_computers(json_t *arr, struct store *s, const char *group,
                           struct err *e);

/* --- Rules (store_rules.c): auto-approval rules and license
 * acceptances. -------------------------------------------------------------*/

/* Every rule as {id, name, classification, product, action, deadline_days,
 * accept_license, enabled, created_by, created_at, groups: [names]}. */
int store_rules_list(json_t *arr, struct store *s, struct err *e);

struct store_rule_new {
	const char *name, *classification, *product, *action; /* NULL: any */
	const int64_t *deadline_days;                         /* NULL: none */
	bool accept_license, enabled;
	const char *created_by;
	int64_t now;
};
/* SL_EEXISTS ("a rule named ... exists") for a taken name. */
int store_rule_create(int64_t *id, struct store *s,
                      const struct store_rule_new *r, struct err *e);
int store_rule_add_group(struct store *s, int64_t rule_id, int64_t gid,
                         struct err *e);
/* SL_ENOTFOUND ("no rule named ...") */
int store_rule_id(int64_t *out, struct store *s, const char *name,
                  struct err *e);
int store_rule_delete(struct store *s, int64_t rule_id, struct err *e);

struct store_rule {
	int64_t id;
	char name[160];
	char action[16];
	int64_t deadline_days; /* < 0: none */
	bool accept_license;
};
/* Rule rule_id, or every enabled rule when rule_id is 0 (at most max, by
 * id). */
int store_rules_to_run(struct store_rule *out, size_t max, size_t *n,
                       struct store *s, int64_t rule_id, struct err *e);

struct store_rule_match {
	char update_id[64];
	int64_t group_id;
	char group_name[160];
};
/* The (update, group) pairs rule_id covers among the current, neither
 * declined nor expired updates first imported at or after since, where
 * the group has no setting of its own yet. Free *out with free(). */
int store_rule_matches(struct store_rule_match **out, size_t *n_out,
                       struct store *s, int64_t rule_id, int64_t since,
                       struct err *e);

int store_license_accepted(bool *out, struct store *s, const char *update_id,
                           int64_t revision, struct err *e);
int store_license_accept(struct store *s, const char *update_id,
                         int64_t revision, const char *actor, int64_t now,
                         struct err *e);

/* --- Downstream (store_downstream.c, store_replica.c): the downstream
 * servers of this sluiced and what they are sent and send back. ----------*/

/* A new downstream server (or a revoked one again, with a new token);
 * SL_EEXISTS when an active one has that name. */
int store_downstream_add(struct store *s, const char *name,
                         const char *token_hash, int64_t now, struct err *e);
/* Every downstream server as {name, mode, last_sync, last_rollup,
 * created, revoked, computers: {total, direct, needing, failed,
 * pending_reboot}}, by name. */
int store_downstreams_list(json_t *arr, struct store *s, struct err *e);
/* SL_ENOTFOUND ("no downstream server named ..."). */
int store_downstream_revoke(struct store *s, const char *name, struct err *e);

/* One catalog change for a downstream; strings valid during the callback
 * only (document: the envelope exactly as the origin signed it). */
struct store_change {
	const char *id, *document, *product, *classification;
	int64_t revision, change_seq;
	bool expired, declined;
};
typedef int (*store_change_fn)(void *arg, const struct store_change *c,
                               struct err *e);
/* Call fn for the first `limit` updates whose change sequence is after
 * since, in change order. */
int store_changes_each(struct store *s, int64_t since, int64_t limit,
                       store_change_fn fn, void *arg, struct err *e);
/* Record a downstream's sync (anchor it asked from, mode when not NULL)
 * and roll-up. */
int store_downstream_note_sync(struct store *s, int64_t id, int64_t now,
                               int64_t anchor, const char *mode, struct err *e);
int store_downstream_note_rollup(struct store *s, int64_t id, int64_t now,
                                 struct err *e);
/* What a replica copies: groups {name, parent} by id and approvals
 * {update, group, action, deadline}. */
int store_replica_state(json_t *groups, json_t *approvals, struct store *s,
                        struct err *e);

/* A replica's copy of its upstream's groups: the group exists, and its
 * parent is parent (NULL: none). */
int store_replica_group(struct store *s, const char *name, struct err *e);
int store_replica_group_parent(struct store *s, const char *name,
                               const char *parent, struct err *e);

#define STORE_APPROVALS_MAX 10000000 /* approval rows read at once */

/* Every group's own approval row. */
struct store_approval_row {
	char *update_id;
	int64_t group_id;
	char *group_name;
	char action[16];
	bool has_deadline;
	int64_t deadline;
};
int store_approval_rows(struct store_approval_row **out, size_t *n_out,
                        struct store *s, struct err *e);
void store_approval_rows_free(struct store_approval_row *rows, size_t n);
/* Set (action not NULL, deadline NULL for none) or remove one approval as
 * the upstream has it, with a fresh change sequence. */
int store_replica_approval(struct store *s, const char *update_id, int64_t gid,
                           const char *action, const int64_t *deadline,
                           int64_t now, struct err *e);

/* Called with each computer this server knows as the roll-up sends it
 * ({id, hostname, os_id, ..., group, registered, last_contact,
 * last_report, server, updates: [{id, revision, state, detail,
 * reported}]}); fn takes the reference. */
typedef int (*store_json_fn)(void *arg, json_t *o, struct err *e);
int store_rollup_each(struct store *s, store_json_fn fn, void *arg,
                      struct err *e);

/* A computer rolled up by downstream server `downstream`. */
struct store_rollup_computer {
	const char *id, *token_hash, *hostname;
	const char *os_id, *os_version, *arch, *kernel, *agent_version;
	int64_t group_id;
	const int64_t *registered, *last_contact, *last_report; /* NULL ok */
	const char *server;     /* "name" or "name/sub" */
	const char *downstream; /* the downstream's name */
	int64_t now;
};
/* Insert or update the computer and clear its states (*stored true), or
 * leave a computer of this server or of another downstream with the same
 * id alone (*stored false). Inside a transaction. */
int store_rollup_computer(bool *stored, struct store *s,
                          const struct store_rollup_computer *c, struct err *e);
/* One state of a rolled-up computer (reported_at = *reported, or now). */
int store_rollup_state(struct store *s, const char *computer_id,
                       const struct store_state *st, const int64_t *reported,
                       int64_t now, struct err *e);

/* --- Tokens (store_tokens.c): lookups by the SHA-256 hex of a token, and
 * the admin tokens. --------------------------------------------------------*/

struct store_admin_token {
	int64_t id;
	char name[128];
	char role[32];
};

/* The computer whose token has this hash: its id (SL_ENOTFOUND). */
int store_computer_by_token(char id_out[64], struct store *s,
                            const char *token_hash, struct err *e);
/* The active admin token with this hash (SL_ENOTFOUND). */
int store_admin_token_by_hash(struct store_admin_token *out, struct store *s,
                              const char *token_hash, struct err *e);
/* The oldest active admin token named name_or_id, or whose id is that
 * number, with the number of active administrator tokens (SL_ENOTFOUND). */
int store_admin_token_active(struct store_admin_token *out, int64_t *admins,
                             struct store *s, const char *name_or_id,
                             struct err *e);
/* Whether an active admin token is named name. */
int store_admin_token_name_taken(bool *out, struct store *s, const char *name,
                                 struct err *e);
/* Admin tokens ever created (revoked ones too). */
int store_admin_token_count(int64_t *out, struct store *s, struct err *e);
/* A new admin token row; *id_out its id. */
int store_admin_token_insert(int64_t *id_out, struct store *s, const char *name,
                             const char *role, const char *token_hash,
                             int64_t now, struct err *e);
int store_admin_token_revoke(struct store *s, int64_t id, struct err *e);
/* Every admin token as {id, name, role, created, revoked}, by id. */
int store_admin_tokens_list(json_t *arr, struct store *s, struct err *e);
/* The active downstream server with this token hash (SL_ENOTFOUND). */
int store_downstream_by_token(int64_t *id_out, char name_out[128],
                              struct store *s, const char *token_hash,
                              struct err *e);

/* --- Audit (store_audit.c): every administrative change, written in the
 * same transaction as the change it records. ---------------------------*/

#define STORE_ACTOR_MAX 160

/* Append one entry; detail is printf-formatted (fmt may be NULL). The
 * error object comes second because of the variable arguments. */
int store_audit_add(struct store *s, struct err *e, const char *actor,
                    const char *action, const char *target, const char *fmt,
                    ...) __attribute__((format(printf, 6, 7)));
/* The name of admin token admin_id ("token #N" when it has none). */
int store_audit_actor(char out[STORE_ACTOR_MAX], struct store *s,
                      int64_t admin_id, struct err *e);
/* The newest `limit` entries, newest first, optionally only those of actor
 * and those whose action starts with action_prefix (NULL: any). */
int store_audit_list(json_t *arr, struct store *s, const char *actor,
                     const char *action_prefix, int64_t limit, struct err *e);

/* --- Console (store_console.c): what the web console's views need. -----*/

/* *out: {update id: action} for every update some group has its own
 * install or uninstall setting for (a new reference). */
int store_console_approved(json_t **out, struct store *s, struct err *e);
/* *out (a new reference): the dashboard's update figures, {total, needed,
 * with_failures, approved, needed_by_classification: {name: n},
 * needed_by_severity: {name: n}}, of the updates neither declined nor
 * expired, from the counters (no state is read): needed means some
 * computer's state is needed, downloaded or failed; approved, that some
 * group has its own install or uninstall setting. */
int store_console_update_figures(json_t **out, struct store *s, struct err *e);
/* *out (a new reference): {total, up_to_date, needed, failed, no_status,
 * stale} of the computers, each counted by its status (failed: some state
 * failed; needed: some needed or downloaded; no_status: never reported)
 * and, apart, as stale when its last contact is before stale_before (Unix
 * time) or never; from each computer's row (its state mask), in one
 * pass over the computers. */
int store_console_computer_figures(json_t **out, struct store *s,
                                   int64_t stale_before, struct err *e);
/* The console's computers list: a filter of each kind given (NULL or
 * empty: none) keeps a computer when it matches. */
struct store_computer_query {
	const char *group;  /* its group's name */
	const char *os;     /* in "os_id os_version", any case */
	const char *search; /* in its host name, any case */
	/* failed, needed, no_status, up_to_date (the dashboard's statuses)
	 * or stale (last contact before stale_before, or never) */
	const char *status;
	int64_t stale_before; /* Unix time */
	int64_t offset, limit;
};
/* Append to arr the page of q's computers by host name, each {id,
 * hostname, group, server, last_contact, last_report, counts: {state: n},
 * catalog, catalog_detail, status, stale, os, arch, agent_version}, and
 * set *total to the count of q's computers. Status and counts come from
 * each computer's row and counters, so the cost is the page's and one
 * count over the computers' rows, not a read of every computer's
 * counters. SL_EINVAL ("os: over 1024 bytes", "search: ...") for a longer
 * OS or host name text. */
int store_console_computers(json_t *arr, int64_t *total, struct store *s,
                            const struct store_computer_query *q,
                            struct err *e);
/* Append {computer, hostname, update, title, detail, reported} for each
 * install outcome at or after since (Unix time), newest first, at most
 * limit: a state that turned failed (failed true; detail the state's
 * detail, if one is kept) or installed or pending a reboot (failed false;
 * detail null), read from the outcomes the state triggers keep for two
 * days (db_states.h), not from every state. */
int store_console_outcomes(json_t *arr, struct store *s, bool failed,
                           int64_t since, int64_t limit, struct err *e);

/* --- Operations (store_ops.c) -------------------------------------------*/

#define STORE_CONTACT_AGES 3
enum { STORE_CONTENT_WANTED, STORE_CONTENT_FAILED, STORE_CONTENT_PRESENT };

/* The figures /metrics shows (one read each; not one snapshot). */
struct store_stats {
	int64_t events;    /* install events stored */
	int64_t computers; /* computers reporting to this server */
	/* computers whose last contact is within contact_age_s[i] */
	int64_t contact_within[STORE_CONTACT_AGES];
	int64_t contact_age_s[STORE_CONTACT_AGES];
	int64_t syncs_ok, syncs_failed;
	int64_t last_sync_success;                  /* Unix time; 0 = never */
	int64_t content_files[3], content_bytes[3]; /* by STORE_CONTENT_* */
	int64_t db_bytes; /* PostgreSQL's size of the database; -1 SQLite */
};

int store_stats(struct store *s, struct store_stats *out, int64_t now,
                struct err *e);

/* The schema version this binary migrates to (/readyz compares it with
 * store_schema_version()). */
int store_schema_wanted(void);

/* Unix time of the last successful sync; 0 when none. */
int store_last_sync_success(struct store *s, int64_t *out, struct err *e);

/* A consistent copy of the SQLite database target written to dest (via
 * dest.tmp, renamed when whole and checked) with SQLite's online backup
 * API, while other connections keep reading and writing.
 * SL_EUNSUPPORTED for a PostgreSQL target (pg_dump is the tool). */
int store_backup(const char *target, const char *dest, struct err *e);

/* --- Enrollment keys (store_enroll.c): what a computer must present to
 * register (docs/security.md). Only the key's SHA-256 is stored. -------*/

#define STORE_REGISTRATION_KEY  "key"  /* meta 'registration': keys needed */
#define STORE_REGISTRATION_OPEN "open" /* anyone may register (labs) */

struct store_enroll_new {
	const char *key_hash;
	const char *name;   /* may be NULL */
	const char *groups; /* JSON array text of pinned group names, or NULL */
	int64_t expires_at; /* Unix time; 0 = never */
	int64_t max_uses;   /* 0 = unlimited */
	const char *created_by;
	int64_t now;
};

/* A key as registration sees it. groups: JSON array text or NULL; free
 * with store_enroll_key_clear(). */
struct store_enroll_key {
	int64_t id;
	char *name;
	char *groups;
};

int store_enroll_create(int64_t *id, struct store *s,
                        const struct store_enroll_new *k, struct err *e);
/* Append {id, name, groups, expires, max_uses, used, created_by, created,
 * revoked} for every key, oldest first. */
int store_enroll_list(json_t *arr, struct store *s, struct err *e);
/* Revoke key id: SL_ENOTFOUND when there is none (or it is revoked). */
int store_enroll_revoke(struct store *s, int64_t id, struct err *e);
/* Check the key with this hash at time now and count one use (inside the
 * registration's transaction). SL_EAUTH naming why it is refused: not
 * known, revoked, expired or used up. */
int store_enroll_use(struct store_enroll_key *out, struct store *s,
                     const char *key_hash, int64_t now, struct err *e);
void store_enroll_key_clear(struct store_enroll_key *k);
/* Record the key a computer registered with. */
int store_enroll_mark_computer(struct store *s, const char *computer_id,
                               int64_t key_id, struct err *e);
/* meta 'registration' (STORE_REGISTRATION_*; "key" when unset). */
int store_registration_mode(char out[16], struct store *s, struct err *e);

#endif
