/*
 * autoapprove: evaluation of auto-approval rules (see the header).
 */
#include "autoapprove.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store.h"
#include "fetch.h"
#include "update.h"

struct rule {
	int64_t id;
	char name[160];
	char action[16];
	long long deadline_days; /* < 0: none */
	int accept_license;
};

/* License terms of id accepted (now or before) for a rule? */
static int
license_ok(int *ok, struct store *db, const char *id, const struct rule *ru,
           const char *actor, struct err *e)
{
	struct update *u = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*ok = 1;
	rc = store_update_load(&u, NULL, NULL, db, id, e);
	if (rc != SL_OK || u->eula == NULL)
		goto out;
	rc = db_prepare(db, &st,
	                "SELECT 1 FROM license_acceptances WHERE update_id = ? "
	                "AND revision = ?",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, u->revision);
	if (sqlite3_step(st) == SQLITE_ROW)
		goto out;
	if (!ru->accept_license) {
		*ok = 0;
		goto out;
	}
	sqlite3_finalize(st);
	rc = db_prepare(db, &st,
	                "INSERT INTO license_acceptances(update_id, revision, "
	                "accepted_by, accepted_at) VALUES(?, ?, ?, ?)",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, u->revision);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, e, "record license acceptance");
		goto out;
	}
	rc = store_audit_add(db, e, actor, "license.accept", id,
	                     "revision %lld", (long long)u->revision);
out:
	sqlite3_finalize(st);
	update_free(u);
	return rc;
}

static int
run_rule(struct autoapprove_result *out, struct store *db,
         const struct server_config *cfg, const struct rule *ru,
         long long since, struct err *e)
{
	sqlite3_stmt *st = NULL;
	char actor[200];
	long long now = (long long)time(NULL);
	int rc, ok;

	snprintf(actor, sizeof(actor), "auto-approval rule %s", ru->name);
	/* (update, group) pairs the rule covers where the group has no
	 * setting of its own yet. */
	rc = db_prepare(
	        db, &st,
	        "SELECT s.id, g.id, g.name FROM update_status s JOIN updates u "
	        "ON u.id = s.id AND u.revision = s.latest_revision JOIN "
	        "autoapprove_rules r ON r.id = ?1 JOIN autoapprove_groups ag "
	        "ON "
	        "ag.rule_id = r.id JOIN groups g ON g.id = ag.group_id "
	        "WHERE s.declined = 0 AND s.expired = 0 AND (r.classification "
	        "IS NULL OR lower(r.classification) = lower(u.classification)) "
	        "AND (r.product IS NULL OR lower(r.product) = "
	        "lower(u.product)) "
	        "AND (SELECT min(imported_at) FROM updates u3 WHERE u3.id = "
	        "s.id) >= ?2 AND NOT EXISTS (SELECT 1 FROM approvals a WHERE "
	        "a.update_id = s.id AND a.group_id = g.id) ORDER BY s.id, g.id",
	        e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, ru->id);
	sqlite3_bind_int64(st, 2, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char id[64], gname[160];
		int64_t gid = sqlite3_column_int64(st, 1);
		bool changed;

		snprintf(id, sizeof(id), "%s", sqlite3_column_text(st, 0));
		snprintf(gname, sizeof(gname), "%s",
		         sqlite3_column_text(st, 2));
		rc = license_ok(&ok, db, id, ru, actor, e);
		if (rc != SL_OK)
			goto out;
		if (!ok) {
			out->skipped_license++;
			continue;
		}
		rc = store_approval_set(
		        db, id, gid, ru->action, ru->deadline_days >= 0,
		        now + ru->deadline_days * 86400, actor, &changed, e);
		if (rc == SL_OK && changed)
			rc = store_audit_add(db, e, actor, "approval.set", id,
			                     "group '%s': %s (auto-approval)",
			                     gname, ru->action);
		if (rc == SL_OK && strcmp(ru->action, "install") == 0 &&
		    cfg->storage_mode == STORAGE_ON_APPROVAL)
			rc = fetch_mark_wanted_for_update(db, id, e);
		if (rc != SL_OK)
			goto out;
		out->approved += changed;
	}
	rc = rc == SQLITE_DONE ? SL_OK : db_error(db, e, "auto-approval");
out:
	sqlite3_finalize(st);
	return rc;
}

int
autoapprove_run(struct autoapprove_result *out, struct store *db,
                const struct server_config *cfg, int64_t rule_id,
                long long since, struct err *e)
{
	struct rule rules[64];
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_prepare(db, &st,
	                "SELECT id, name, action, coalesce(deadline_days, -1), "
	                "accept_license FROM autoapprove_rules WHERE (?1 = 0 "
	                "AND enabled != 0) OR id = ?1 ORDER BY id LIMIT 64",
	                e);
	if (rc != SL_OK)
		return err_prefix(e, "auto-approval");
	sqlite3_bind_int64(st, 1, rule_id);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
		struct rule *ru = &rules[n++];
		ru->id = sqlite3_column_int64(st, 0);
		snprintf(ru->name, sizeof(ru->name), "%s",
		         sqlite3_column_text(st, 1));
		snprintf(ru->action, sizeof(ru->action), "%s",
		         sqlite3_column_text(st, 2));
		ru->deadline_days = sqlite3_column_int64(st, 3);
		ru->accept_license = sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		rc = run_rule(out, db, cfg, &rules[i], since, e);
	if (rc != SL_OK)
		err_prefix(e, "auto-approval");
	return rc;
}
