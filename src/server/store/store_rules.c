/*
 * store_rules: auto-approval rules and license acceptances (store.h,
 * "Rules").
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

#define MATCHES_MAX 1000000 /* (update, group) pairs of one rule run */

static json_t *
rule_row(struct db_stmt *st)
{
	return json_pack(
	        "{s:I,s:s,s:o,s:o,s:s,s:o,s:b,s:b,s:o,s:o,s:[]}", "id",
	        (json_int_t)db_col_int(st, 0), "name", db_col_text(st, 1),
	        "classification", store_col_text(st, 2), "product",
	        store_col_text(st, 3), "action", db_col_text(st, 4),
	        "deadline_days",
	        db_col_null(st, 5) ? json_null()
	                           : json_integer(db_col_int(st, 5)),
	        "accept_license", (int)db_col_int(st, 6), "enabled",
	        (int)db_col_int(st, 7), "created_by", store_col_text(st, 8),
	        "created_at", store_col_time(st, 9), "groups");
}

int
store_rules_list(json_t *arr, struct store *s, struct err *e)
{
	struct db_stmt *st;
	json_t *ru;
	size_t i;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, name, classification, product, action, "
	             "deadline_days, accept_license, enabled, created_by, "
	             "created_at FROM autoapprove_rules ORDER BY id",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "rules");
	rc = store_q_collect(arr, st, rule_row, e);
	db_done(st);
	json_array_foreach(arr, i, ru)
	{
		json_t *gs = json_object_get(ru, "groups");

		if (rc != SL_OK)
			break;
		rc = store_q(
		        s, &st, e,
		        "SELECT g.name FROM autoapprove_groups ag JOIN "
		        "groups g ON g.id = ag.group_id WHERE ag.rule_id "
		        "= $1 ORDER BY g.name",
		        "i",
		        (int64_t)json_integer_value(json_object_get(ru, "id")));
		if (rc != SL_OK)
			break;
		while ((rc = db_step(st, e)) == DB_ROW)
			if (json_array_append_new(
			            gs, json_string(db_col_text(st, 0))) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				break;
			}
		db_done(st);
		rc = rc < 0 ? rc : SL_OK;
	}
	return rc != SL_OK ? err_prefix(e, "rules") : SL_OK;
}

int
store_rule_create(int64_t *id, struct store *s, const struct store_rule_new *r,
                  struct err *e)
{
	int rc = store_q_int(
	        s, id, e,
	        "INSERT INTO autoapprove_rules(name, classification, product, "
	        "action, deadline_days, accept_license, enabled, created_by, "
	        "created_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	        "RETURNING id",
	        "ttttjddti", r->name, r->classification, r->product, r->action,
	        r->deadline_days, r->accept_license ? 1 : 0, r->enabled ? 1 : 0,
	        r->created_by, r->now);

	if (rc == DB_ROW)
		return SL_OK;
	if (rc == SL_EEXISTS)
		return err_set(e, SL_EEXISTS, "a rule named '%s' exists",
		               r->name);
	if (rc == DB_DONE)
		rc = err_set(e, SL_EINTERNAL, "no id returned");
	return err_prefix(e, "store rule");
}

int
store_rule_add_group(struct store *s, int64_t rule_id, int64_t gid,
                     struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "INSERT INTO autoapprove_groups(rule_id, "
	                     "group_id) VALUES($1, $2) ON CONFLICT(rule_id, "
	                     "group_id) DO NOTHING",
	                     "ii", rule_id, gid);

	return rc != SL_OK ? err_prefix(e, "store rule group") : SL_OK;
}

int
store_rule_id(int64_t *out, struct store *s, const char *name, struct err *e)
{
	int rc = store_q_int(s, out, e,
	                     "SELECT id FROM autoapprove_rules WHERE name = $1",
	                     "t", name);

	if (rc == DB_ROW)
		return SL_OK;
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "no rule named '%s'", name);
	return err_prefix(e, "rule lookup");
}

int
store_rule_delete(struct store *s, int64_t rule_id, struct err *e)
{
	int rc = store_q_run(
	        s, NULL, e, "DELETE FROM autoapprove_groups WHERE rule_id = $1",
	        "i", rule_id);

	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM autoapprove_rules WHERE id = $1",
		                 "i", rule_id);
	return rc != SL_OK ? err_prefix(e, "delete rule") : SL_OK;
}

int
store_rules_to_run(struct store_rule *out, size_t max, size_t *n,
                   struct store *s, int64_t rule_id, struct err *e)
{
	struct db_stmt *st;
	int rc;

	*n = 0;
	rc = store_q(s, &st, e,
	             "SELECT id, name, action, coalesce(deadline_days, -1), "
	             "accept_license FROM autoapprove_rules WHERE (CAST($1 AS "
	             "BIGINT) = 0 AND enabled != 0) OR id = $1 ORDER BY id",
	             "i", rule_id);
	if (rc != SL_OK)
		return err_prefix(e, "rules");
	while (*n < max && (rc = db_step(st, e)) == DB_ROW) {
		struct store_rule *ru = &out[(*n)++];
		const char *name = db_col_text(st, 1), *a = db_col_text(st, 2);

		ru->id = db_col_int(st, 0);
		snprintf(ru->name, sizeof(ru->name), "%s", name ? name : "");
		snprintf(ru->action, sizeof(ru->action), "%s", a ? a : "");
		ru->deadline_days = db_col_int(st, 3);
		ru->accept_license = db_col_int(st, 4) != 0;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "rules") : SL_OK;
}

int
store_rule_matches(struct store_rule_match **out, size_t *n_out,
                   struct store *s, int64_t rule_id, int64_t since,
                   struct err *e)
{
	struct store_rule_match *v = NULL;
	struct db_stmt *st;
	size_t n = 0, cap = 0;
	int rc;

	/* (update, group) pairs the rule covers where the group has no
	 * setting of its own yet. */
	rc = store_q(
	        s, &st, e,
	        "SELECT s.id, g.id, g.name FROM update_status s JOIN updates u "
	        "ON u.id = s.id AND u.revision = s.latest_revision JOIN "
	        "autoapprove_rules r ON r.id = $1 JOIN autoapprove_groups ag "
	        "ON ag.rule_id = r.id JOIN groups g ON g.id = ag.group_id "
	        "WHERE s.declined = 0 AND s.expired = 0 AND (r.classification "
	        "IS NULL OR lower(r.classification) = lower(u.classification)) "
	        "AND (r.product IS NULL OR lower(r.product) = "
	        "lower(u.product)) AND (SELECT min(imported_at) FROM updates "
	        "u3 WHERE u3.id = s.id) >= $2 AND NOT EXISTS (SELECT 1 FROM "
	        "approvals a WHERE a.update_id = s.id AND a.group_id = g.id) "
	        "ORDER BY s.id, g.id",
	        "ii", rule_id, since);
	if (rc != SL_OK)
		return err_prefix(e, "auto-approval");
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *id = db_col_text(st, 0), *g = db_col_text(st, 2);

		if ((rc = ARRAY_GROW(v, cap, n, MATCHES_MAX, e)) != SL_OK)
			break;
		snprintf(v[n].update_id, sizeof(v[n].update_id), "%s",
		         id ? id : "");
		v[n].group_id = db_col_int(st, 1);
		snprintf(v[n].group_name, sizeof(v[n].group_name), "%s",
		         g ? g : "");
		n++;
	}
	db_done(st);
	if (rc < 0) {
		free(v);
		return err_prefix(e, "auto-approval");
	}
	*out = v;
	*n_out = n;
	return SL_OK;
}

int
store_license_accepted(bool *out, struct store *s, const char *update_id,
                       int64_t revision, struct err *e)
{
	int64_t one;
	int rc = store_q_int(s, &one, e,
	                     "SELECT 1 FROM updates u WHERE u.id = $1 AND "
	                     "u.revision = $2 AND "
	                     "u.eula_sha256 IS NOT NULL AND " STORE_LICENSE_OK(
	                             "u") " UNION ALL SELECT 1 FROM "
	                                  "license_acceptances WHERE "
	                                  "update_id = $1 AND revision = $2",
	                     "ti", update_id, revision);

	if (rc < 0)
		return err_prefix(e, "license acceptance");
	*out = rc == DB_ROW;
	return SL_OK;
}

int
store_license_accept(struct store *s, const char *update_id, int64_t revision,
                     const char *actor, int64_t now, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "INSERT INTO license_acceptances(update_id, "
	                     "revision, accepted_by, accepted_at) VALUES($1, "
	                     "$2, $3, $4)",
	                     "titi", update_id, revision, actor, now);
	int64_t seq;

	/* The update may have been held back from agents for want of this
	 * acceptance: their next incremental sync must carry it. */
	if (rc == SL_OK)
		rc = store_seq_next(s, &seq, e);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "UPDATE update_status SET change_seq = $2 "
		                 "WHERE id = $1",
		                 "ti", update_id, seq);
	return rc != SL_OK ? err_prefix(e, "record license acceptance") : SL_OK;
}
