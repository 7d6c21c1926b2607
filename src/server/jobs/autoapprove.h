/*
 * autoapprove: auto-approval rules. A rule matches updates by
 * classification and product (NULL = any) and approves them (action
 * install, or uninstall) for its groups, with an optional deadline of
 * "approval time + deadline_days". It runs
 *   - after every successful sync, on the updates that sync saw for the
 *     first time (sync.c calls autoapprove_run with their import time);
 *   - on demand over every existing update (POST /v1/admin/rules/run).
 * A group that already has its own setting for an update (including an
 * explicit not-approved) is left alone. Updates with license terms are
 * approved only by rules created with accept_license (the acceptance is
 * recorded in the rule's name). Declined and expired updates are skipped.
 * Approvals are per update, not per revision: new revisions of an
 * approved update stay approved.
 */
#ifndef SLUICE_SERVER_AUTOAPPROVE_H
#define SLUICE_SERVER_AUTOAPPROVE_H

#include <stdint.h>

#include "config.h"
#include "store/store.h"
#include "err.h"

struct autoapprove_result {
	unsigned approved;        /* approvals made */
	unsigned skipped_license; /* left out: license terms not accepted */
	unsigned skipped_removal; /* uninstall rules: the update cannot be
	                             removed (no uninstall_arguments, deb) */
};

/* Run rule rule_id (0 = every enabled rule) over the updates first
 * imported at or after `since` (unix time; 0 = all). Call inside a
 * transaction. In storage mode on-approval the approved updates' files
 * are marked wanted (the caller wakes the fetch thread when
 * out->approved > 0). */
int autoapprove_run(struct autoapprove_result *out, struct store *db,
                    const struct server_config *cfg, int64_t rule_id,
                    long long since, struct err *e);

#endif
