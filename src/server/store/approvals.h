/*
 * approvals: what each computer group is approved for. A group has, per
 * update, its own setting (a row in approvals: install, uninstall or
 * not-approved) or none; without one it inherits its parent's effective
 * setting, up to "All Computers". An explicit not-approved therefore
 * overrides an ancestor's approval. Removing a group's own setting (back to
 * "inherit") leaves an approval_removals row so that agents of the group
 * and of its descendants notice the change incrementally.
 *
 * Used by the agent sync (api_agent.c), the admin handlers and the reports.
 * Every change takes a fresh change sequence in the caller's transaction.
 */
#ifndef SLUICE_SERVER_APPROVALS_H
#define SLUICE_SERVER_APPROVALS_H

#include <stdbool.h>
#include <stdint.h>

#include "db_legacy.h"
#include "err.h"
#include "update.h"

#define APPROVALS_MAX_DEPTH 32 /* nesting limit of computer groups */

/* The effective setting of an update for a group. */
struct approval_eff {
	char action[16]; /* install|uninstall|not-approved ("" = none) */
	bool has_deadline;
	long long deadline;
	int64_t from_gid; /* the group whose own row decided (0 = none) */
};

int approvals_effective(struct approval_eff *out, struct store *db,
                        const char *update_id, int64_t gid, struct err *e);

/* Set the group's own setting: action install|uninstall|not-approved, or
 * NULL to remove it (inherit again). deadline is used when has_deadline.
 * *changed (may be NULL) tells whether anything changed. Run inside a
 * transaction. */
int approvals_set(struct store *db, const char *update_id, int64_t gid,
                  const char *action, bool has_deadline, long long deadline,
                  const char *actor, bool *changed, struct err *e);

/* Prepared statement over the approved set of group gid whose approval or
 * revision changed after `since` (all when since < 0). Columns: update_id,
 * latest revision, action, deadline (NULL or unix time), document.
 * sqlite3_finalize() it. */
int approvals_prepare_set(sqlite3_stmt **out, struct store *db, int64_t gid,
                          int64_t since, struct err *e);

/* Prepared statement over the update ids (column 0) not in the approved
 * set of gid whose setting on gid's chain, or whose status (declined,
 * expired), changed after since. */
int approvals_prepare_removed(sqlite3_stmt **out, struct store *db, int64_t gid,
                              int64_t since, struct err *e);

/* The newest stored revision of update id, parsed from its envelope. Free
 * with update_free(). SL_ENOTFOUND when unknown. *declined (may be NULL)
 * receives the decline flag, *expired likewise. */
int approvals_load_update(struct update **out, bool *declined, bool *expired,
                          struct store *db, const char *id, struct err *e);

/* True (1) when gid is anc or one of its descendants; 0 otherwise. */
int approvals_is_descendant(int *out, struct store *db, int64_t gid,
                            int64_t anc, struct err *e);

/* Bump computers.group_seq for every computer of gid's subtree (their
 * effective approvals changed wholesale: full sync next time). */
int approvals_touch_subtree(struct store *db, int64_t gid, struct err *e);

#endif
