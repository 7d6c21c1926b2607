/*
 * agent: the running agent's context and its cycle steps.
 *
 *   agent_open      config + local state; turns a leftover install journal
 *                   row into a failed event (the agent stopped mid-install)
 *   agent_sync      register when needed, sync the approved view
 *   agent_evaluate  verify documents new to the view, evaluate the rules,
 *                   apply supersedence and prerequisites, store states and
 *                   queue those that changed (evaluate.c)
 *   agent_apply     download and install/uninstall what is due, in
 *                   prerequisite order (apply.c)
 *   agent_flush     send the report queue (report.c)
 */
#ifndef SLUICE_AGENT_H
#define SLUICE_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "agentcfg.h"
#include "agentstate.h"
#include "err.h"
#include "update.h"

/* The report's batches (report.c): sluiced takes request bodies up to
 * 1 MiB. bench/fleet_client cuts its reports the same way. */
#define AGENT_REPORT_BATCH_BYTES (768 * 1024)
#define AGENT_REPORT_BATCH_ROWS  2000

struct agent {
	struct agentcfg *cfg; /* borrowed */
	struct agentstate *st;
	char db_path[4096];
	char downloads[4096]; /* STATE/downloads/<sha256> */
	char work[4096];      /* STATE/work: installers' temporary dirs */
	char boot_id[40];     /* of the running boot ("" if unknown) */
	int kill_grace_s;     /* for tests; 0 = default */
	int lock_fd;          /* agent.lock while held, else -1 */
};

/* One update of the view, evaluated. Kept small: a detection holds one
 * per approved update (tens of thousands); the full metadata is loaded
 * (and verified again) only for the updates that are installed. */
struct det_update {
	char id[AS_ID_MAX];
	int64_t revision;
	char action[12];    /* install | uninstall */
	long long deadline; /* 0 = none */
	char *title;        /* NULL when refused */
	char **supersedes;  /* NULL-terminated, or NULL */
	char **prerequisites;
	char state[32];
	char *detail;     /* NULL or text */
	bool accepted;    /* the document verified */
	bool candidate;   /* approved for install and not installed */
	bool blocked;     /* waiting for a prerequisite */
	bool last_failed; /* the last attempt of this revision failed */
};

struct detection {
	struct det_update *ups; /* in view order (by id) */
	size_t n, cap;
	size_t *order;   /* indexes into ups, prerequisites first */
	size_t n_queued; /* states queued for the report */
};

int agent_open(struct agent *a, struct agentcfg *cfg, struct err *e);
void agent_close(struct agent *a);

/* Register if needed and sync the view (incremental by anchor). A server
 * that no longer knows the token makes the agent register again once. */
int agent_sync(struct agent *a, struct err *e);

/* Evaluate the stored view; *out (free with detection_free()) holds every
 * update and an install order (prerequisites first). States are stored
 * and queued for the report. */
int agent_evaluate(struct detection **out, struct agent *a, struct err *e);
void detection_free(struct detection *d);

/* The origin's key list and timestamp (freshness.c). load: at start, the
 * accepted key list into the keyring. check: a sync's first page's
 * documents (NULL: absent); not SL_OK means the catalog is stale ("catalog
 * stale: ..."), recorded, and the sync must not be applied. stale: whether
 * it is stale now (last check, or the accepted timestamp expired since);
 * why receives the reason. report: tell the server the catalog state when
 * it changed. */
int agent_freshness_load(struct agent *a, struct err *e);
int agent_freshness_check(struct agent *a, const char *keys, const char *ts,
                          struct err *e);
bool agent_catalog_stale(struct agent *a, char *why, size_t n);
int agent_freshness_report(struct agent *a, const char *token, struct err *e);

/* Verify a view entry's envelope with the trusted keys and parse the
 * signed document (which must be the entry's id and revision). Free *out
 * with update_free(). */
int agent_load_update(struct agent *a, const struct as_entry *en,
                      struct update **out, struct err *e);

/* Find an update of the detection by id, or NULL. */
struct det_update *detection_find(struct detection *d, const char *id);

/* Install approved, needed updates (when due_only: only those whose
 * deadline passed and whose last attempt did not fail) and uninstall installed
 * updates approved for removal. *n_done and *n_failed (may be NULL) get how
 * many installers ran and how many of them (or of their downloads) failed.
 * stop, when not NULL, is polled between installers. */
int agent_apply(struct agent *a, struct detection *d, bool due_only,
                volatile int *stop, size_t *n_done, size_t *n_failed,
                struct err *e);

/* Whether anything in d is due now (deadline passed), not done, and not
 * failed at its last attempt (those wait for the daily install time, so a
 * broken installer is not retried every minute). */
bool agent_deadline_due(const struct detection *d, long long now);

/* Serialise agent processes on one state directory (a daemon and a
 * one-shot command): an exclusive lock on STATE/agent.lock, waited for. */
int agent_lock(struct agent *a, struct err *e);
void agent_unlock(struct agent *a);

/* Delete downloads no update of the view refers to any more. */
void agent_prune_downloads(struct agent *a);

/* Send the queue in batches until it is empty; SL_ENET etc. leave the rest
 * queued. *sent_states / *sent_events may be NULL. */
int agent_flush(struct agent *a, size_t *sent_states, size_t *sent_events,
                struct err *e);

#endif
