/*
 * autoapprove: evaluation of auto-approval rules (see the header).
 */
#include "autoapprove.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "fetch.h"
#include "update.h"

/* License terms of id accepted (now or before) for a rule? */
static int
license_ok(int *ok, struct store *db, const char *id,
           const struct store_rule *ru, const char *actor, struct err *e)
{
	struct update *u = NULL;
	bool accepted;
	int rc;

	*ok = 1;
	rc = store_update_load(&u, NULL, NULL, db, id, e);
	if (rc != SL_OK || u->eula == NULL)
		goto out;
	rc = store_license_accepted(&accepted, db, id, u->revision, e);
	if (rc != SL_OK || accepted)
		goto out;
	if (!ru->accept_license) {
		*ok = 0;
		goto out;
	}
	rc = store_license_accept(db, id, u->revision, actor,
	                          (int64_t)time(NULL), e);
	if (rc == SL_OK)
		rc = store_audit_add(db, e, actor, "license.accept", id,
		                     "revision %lld", (long long)u->revision);
out:
	update_free(u);
	return rc;
}

/* An uninstall rule approves only what agents can remove (as an
 * administrator's approval is refused, 409): the latest revision has
 * uninstall_arguments and a handler that can uninstall. */
static int
removable(int *ok, struct store *db, const char *id, struct err *e)
{
	struct update *u = NULL;
	int rc = store_update_load(&u, NULL, NULL, db, id, e);

	*ok = rc == SL_OK && u->install.uninstall_arguments != NULL &&
	      strcmp(u->install.handler, "deb") != 0;
	update_free(u);
	return rc;
}

static int
run_rule(struct autoapprove_result *out, struct store *db,
         const struct server_config *cfg, const struct store_rule *ru,
         long long since, struct err *e)
{
	struct store_rule_match *m = NULL;
	char actor[200];
	long long now = (long long)time(NULL);
	size_t n = 0;
	int rc, ok;

	snprintf(actor, sizeof(actor), "auto-approval rule %s", ru->name);
	rc = store_rule_matches(&m, &n, db, ru->id, since, e);
	for (size_t i = 0; rc == SL_OK && i < n; i++) {
		const char *id = m[i].update_id;
		bool changed;

		rc = license_ok(&ok, db, id, ru, actor, e);
		if (rc != SL_OK)
			break;
		if (!ok) {
			out->skipped_license++;
			continue;
		}
		if (strcmp(ru->action, "uninstall") == 0) {
			rc = removable(&ok, db, id, e);
			if (rc != SL_OK)
				break;
			if (!ok) {
				out->skipped_removal++;
				continue;
			}
		}
		rc = store_approval_set(db, id, m[i].group_id, ru->action,
		                        ru->deadline_days >= 0,
		                        now + ru->deadline_days * 86400, actor,
		                        &changed, e);
		if (rc == SL_OK && changed)
			rc = store_audit_add(db, e, actor, "approval.set", id,
			                     "group '%s': %s (auto-approval)",
			                     m[i].group_name, ru->action);
		if (rc == SL_OK && strcmp(ru->action, "install") == 0 &&
		    config_storage_mode(cfg) == STORAGE_ON_APPROVAL)
			rc = fetch_mark_wanted_for_update(db, id, e);
		if (rc == SL_OK)
			out->approved += changed;
	}
	free(m);
	return rc;
}

int
autoapprove_run(struct autoapprove_result *out, struct store *db,
                const struct server_config *cfg, int64_t rule_id,
                long long since, struct err *e)
{
	struct store_rule rules[64];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_rules_to_run(rules, 64, &n, db, rule_id, e);
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		rc = run_rule(out, db, cfg, &rules[i], since, e);
	if (rc != SL_OK)
		err_prefix(e, "auto-approval");
	return rc;
}
