/*
 * agentstate: the agent's local state in SQLite (STATE_DIR/agent.db).
 *
 * What must survive a restart lives here: the identity the server gave this
 * computer, the sync anchor, the view of approved updates (envelopes kept
 * verbatim, verified again at every use), the state computed for each
 * update, which updates are known installed, the outcome of the last
 * install attempt, the install journal (a row exists exactly while an
 * installer runs) and the report queue. Queue rows are deleted only after
 * the server acknowledged them; every event carries a random event_id so
 * the server can store a retried batch exactly once.
 */
#ifndef SLUICE_AGENTSTATE_H
#define SLUICE_AGENTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define AS_ID_MAX 37 /* a UUID and its NUL */

struct agentstate;

struct as_file {
	char sha256[65];
	uint64_t size;
	char *url;
};

/* One update of the approved view. */
struct as_entry {
	char id[AS_ID_MAX];
	int64_t revision;
	char action[16];    /* "install" | "uninstall" */
	long long deadline; /* unix time; 0 = none */
	char *document;     /* the signed envelope as JSON text */
	struct as_file *files;
	size_t n_files;
};

/* The state of one update on this computer. */
struct as_state {
	char id[AS_ID_MAX];
	int64_t revision;
	char state[32]; /* needed, installed, ... (the protocol's names) */
	char *detail;   /* may be NULL */
	char *title;    /* may be NULL */
};

/* One install/uninstall/download/verify event. */
struct as_event {
	char event_id[AS_ID_MAX]; /* made by agentstate_queue_event if "" */
	char id[AS_ID_MAX];
	int64_t revision;
	char time[21];   /* RFC 3339; filled with now if "" */
	char kind[16];   /* install|uninstall|download|verify */
	char result[24]; /* success|failure|reboot-required */
	int exit_code;
	const char *output; /* borrowed; may be NULL */
};

/* The last install or uninstall attempt of an update. */
struct as_outcome {
	char id[AS_ID_MAX];
	int64_t revision;
	char action[16];
	char result[24];
	char boot_id[40]; /* boot the attempt ran in (for reboot-required) */
	char *detail;     /* free with free() */
};

/* Rows taken into one report batch, to acknowledge afterwards. */
struct as_batch {
	int64_t *state_seqs, *event_seqs;
	size_t n_states, n_events;
	size_t cap_states, cap_events;
};

/* Open (creating and migrating) the database. Free with
 * agentstate_close(). */
int agentstate_open(struct agentstate **out, const char *path, struct err *e);
void agentstate_close(struct agentstate *s);

/* A time-ordered (version 7) UUID in canonical lowercase text: Unix time
 * in milliseconds, then random bits; the id of a new event. */
void agentstate_uuid(char out[AS_ID_MAX]);

/* Group many changes in one transaction (the module's own transactions
 * nest inside it). agentstate_end commits when rc is SL_OK and nothing
 * inside failed, else rolls back; it returns rc or the commit error. */
int agentstate_begin(struct agentstate *s, struct err *e);
int agentstate_end(struct agentstate *s, int rc, struct err *e);

/* Small named values (free *out with free(); NULL when absent). */
int agentstate_meta(struct agentstate *s, const char *key, char **out,
                    struct err *e);
int agentstate_set_meta(struct agentstate *s, const char *key,
                        const char *value, struct err *e);

/* Identity: SL_ENOTFOUND when this computer never registered. *id and
 * *token are freed with free(). */
int agentstate_identity(struct agentstate *s, char **id, char **token,
                        struct err *e);
int agentstate_set_identity(struct agentstate *s, const char *id,
                            const char *token, struct err *e);
/* Forget identity and anchor (the server no longer knows this computer). */
int agentstate_clear_identity(struct agentstate *s, struct err *e);

/* The anchor of the last sync, or NULL in *out (free with free()). */
int agentstate_anchor(struct agentstate *s, char **out, struct err *e);

/* Apply one sync answer in one transaction: full replaces the view,
 * otherwise entries are upserted and removed ids deleted (with their
 * states); the anchor is stored. */
int agentstate_view_apply(struct agentstate *s, bool full,
                          const struct as_entry *ents, size_t n,
                          char *const *removed, size_t n_removed,
                          const char *anchor, struct err *e);

/* Verification results are kept with each view entry: a document is
 * verified when it enters the view (and again when the trusted keys change:
 * fp is a fingerprint of the keyring), not at every detection. */
struct as_check {
	char id[AS_ID_MAX];
	int64_t revision;
	const char *refused; /* why it was refused, or NULL when accepted */
	/* accepted: */
	const char *title;
	const char *is_installed, *is_installable; /* compact JSON */
	const char *supersedes, *prerequisites;    /* ids separated by ' ' */
};

/* Whether some entry of the view is not checked under fp (an index
 * look-up, not a scan). */
int agentstate_view_any_unchecked(struct agentstate *s, const char *fp,
                                  bool *out, struct err *e);

/* Up to max entries (with documents and files) not checked under fp,
 * in id order after the id after (NULL: from the start). */
int agentstate_view_unchecked(struct agentstate *s, const char *fp,
                              const char *after, size_t max,
                              struct as_entry **out, size_t *n, struct err *e);
int agentstate_view_set_checked(struct agentstate *s, const struct as_check *c,
                                const char *fp, struct err *e);

/* One view entry as a detection reads it; valid during the callback. */
struct as_row {
	const char *id;
	int64_t revision;
	const char *action;
	long long deadline;
	const char *refused; /* NULL when accepted */
	/* NULL when refused or not checked (see struct as_check): */
	const char *title, *is_installed, *is_installable;
	const char *supersedes, *prerequisites;
	const char *files; /* "<sha256> <size>" items separated by ',' */
};
typedef int (*as_row_fn)(void *arg, const struct as_row *r, struct err *e);

/* How many entries the view has. */
int agentstate_view_count(struct agentstate *s, size_t *out, struct err *e);

/* Call fn for every entry in id order; a non-SL_OK return stops. */
int agentstate_view_scan(struct agentstate *s, as_row_fn fn, void *arg,
                         struct err *e);

/* One entry with its document and files; SL_ENOTFOUND when not in the
 * view. Free with agentstate_entries_free(*out, 1). */
int agentstate_view_get(struct agentstate *s, const char *id,
                        struct as_entry **out, struct err *e);

/* The files of one entry (free with agentstate_files_free()). */
int agentstate_view_files(struct agentstate *s, const char *id,
                          struct as_file **out, size_t *n, struct err *e);
void agentstate_files_free(struct as_file *f, size_t n);

/* Whether any view entry lists the file with this SHA-256. */
int agentstate_file_wanted(struct agentstate *s, const char *sha256, bool *out,
                           struct err *e);

/* The whole view sorted by id; free with agentstate_entries_free(). */
int agentstate_view_load(struct agentstate *s, struct as_entry **out, size_t *n,
                         struct err *e);
void agentstate_entries_free(struct as_entry *ents, size_t n);

/* Replace every update's state (st sorted by id), in one transaction.
 * States that changed (or all of them, with queue_all) are queued for the
 * report; *n_queued (may be NULL) says how many. */
int agentstate_states_store(struct agentstate *s, const struct as_state *st,
                            size_t n, bool queue_all, size_t *n_queued,
                            struct err *e);
/* The same with the states handed over one at a time: get returns state i
 * (0 <= i < n, in id order), filling tmp or pointing elsewhere; it may be
 * called more than once per i. A detection stores tens of thousands of
 * states without a copy of them all. */
typedef const struct as_state *(*as_state_get_fn)(void *arg, size_t i,
                                                  struct as_state *tmp);
int agentstate_states_store_fn(struct agentstate *s, as_state_get_fn get,
                               void *arg, size_t n, bool queue_all,
                               size_t *n_queued, struct err *e);
int agentstate_states_load(struct agentstate *s, struct as_state **out,
                           size_t *n, struct err *e);
void agentstate_states_free(struct as_state *st, size_t n);

/* Every id known installed, sorted (free each and the array). */
int agentstate_installed_all(struct agentstate *s, char ***ids, size_t *n,
                             struct err *e);

/* Whether an update is known installed (by this agent or by detection). */
int agentstate_installed(struct agentstate *s, const char *id, bool *out,
                         struct err *e);
int agentstate_set_installed(struct agentstate *s, const char *id,
                             int64_t revision, bool installed, struct err *e);

/* The last attempt on id; SL_ENOTFOUND when none. */
int agentstate_outcome(struct agentstate *s, const char *id,
                       struct as_outcome *out, struct err *e);
void agentstate_outcome_clear(struct as_outcome *o);
/* Every recorded attempt, sorted by id; free with
 * agentstate_outcomes_free(). */
int agentstate_outcomes_all(struct agentstate *s, struct as_outcome **out,
                            size_t *n, struct err *e);
void agentstate_outcomes_free(struct as_outcome *o, size_t n);

/* Journal: called right before an installer starts. */
int agentstate_journal_begin(struct agentstate *s, const char *id,
                             int64_t revision, const char *action,
                             struct err *e);
/* Record a finished attempt in one transaction: the journal row goes, the
 * outcome is stored, the event queued, the installed mark updated (set on
 * install success/reboot-required, cleared on uninstall success). */
int agentstate_journal_finish(struct agentstate *s, const struct as_event *ev,
                              const char *detail, const char *boot_id,
                              struct err *e);
/* Turn leftover journal rows (the agent stopped mid-install) into failed
 * outcomes and queued failure events; *n gets how many. */
int agentstate_journal_recover(struct agentstate *s, size_t *n, struct err *e);

/* Remember that a document (by its hash) was refused; *is_new is false
 * when this very document was refused before (report it once). */
int agentstate_refused_mark(struct agentstate *s, const char *id,
                            int64_t revision, const char *doc_sha256,
                            bool *is_new, struct err *e);

/* Queue an event (fills event_id and time when empty). */
int agentstate_queue_event(struct agentstate *s, const struct as_event *ev,
                           struct err *e);

/* Build the next report body {"states":[...],"events":[...]}: events
 * first, then states, oldest first, at most max_rows rows and about
 * max_bytes of JSON (the first row is always taken). Event output is cut
 * to AS_OUTPUT_MAX bytes. *body is NULL when the queue is empty. Release b
 * with agentstate_batch_free(). */
#define AS_OUTPUT_MAX (64 * 1024)
int agentstate_queue_batch(struct agentstate *s, json_t **body,
                           struct as_batch *b, size_t max_bytes,
                           size_t max_rows, struct err *e);
/* Delete the rows of a batch the server acknowledged. */
int agentstate_queue_ack(struct agentstate *s, const struct as_batch *b,
                         struct err *e);
void agentstate_batch_free(struct as_batch *b);
int agentstate_queue_count(struct agentstate *s, size_t *states, size_t *events,
                           struct err *e);

#endif
