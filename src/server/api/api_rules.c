/*
 * api_rules: auto-approval rules (autoapprove.h) — list, create, delete,
 * run on demand over the existing updates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"
#include "autoapprove.h"
#include "fetch.h"
#include "update.h"

static json_t *
rule_row(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s,s:o,s:o,s:s,s:o,s:b,s:b,s:o,s:o,s:[]}", "id",
	                 (json_int_t)sqlite3_column_int64(st, 0), "name",
	                 (const char *)sqlite3_column_text(st, 1),
	                 "classification", api_text_or_null(st, 2), "product",
	                 api_text_or_null(st, 3), "action",
	                 (const char *)sqlite3_column_text(st, 4),
	                 "deadline_days",
	                 sqlite3_column_type(st, 5) == SQLITE_NULL
	                         ? json_null()
	                         : json_integer(sqlite3_column_int64(st, 5)),
	                 "accept_license", sqlite3_column_int(st, 6), "enabled",
	                 sqlite3_column_int(st, 7), "created_by",
	                 api_text_or_null(st, 8), "created_at",
	                 api_time_or_null(st, 9), "groups");
}

int
api_rules_list(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *st = NULL, *gst = NULL;
	json_t *arr = json_array(), *ru;
	size_t i;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_prepare(r->store, &st,
	                "SELECT id, name, classification, product, action, "
	                "deadline_days, accept_license, enabled, created_by, "
	                "created_at FROM autoapprove_rules ORDER BY id",
	                e);
	if (rc == SL_OK)
		rc = api_collect(arr, r->store, st, rule_row, "rules", e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &gst,
		        "SELECT g.name FROM autoapprove_groups ag JOIN "
		        "groups g ON g.id = ag.group_id WHERE ag.rule_id "
		        "= ? ORDER BY g.name",
		        e);
	if (rc != SL_OK)
		goto out;
	json_array_foreach(arr, i, ru)
	{
		json_t *gs = json_object_get(ru, "groups");
		sqlite3_reset(gst);
		sqlite3_bind_int64(
		        gst, 1, json_integer_value(json_object_get(ru, "id")));
		while (sqlite3_step(gst) == SQLITE_ROW)
			json_array_append_new(
			        gs,
			        json_string((const char *)sqlite3_column_text(
			                gst, 0)));
	}
	out->json = json_pack("{s:O}", "rules", arr);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(gst);
	json_decref(arr);
	if (rc != SL_OK)
		err_prefix(e, "rules");
	return rc;
}

static int
known_classification(const char *c)
{
	for (size_t i = 0; update_classifications[i]; i++)
		if (strcasecmp(update_classifications[i], c) == 0)
			return 1;
	return 0;
}

int
api_rules_create(struct req *r, struct reply *out, struct err *e)
{
	const char *name, *cl, *pr, *action;
	char actor[STORE_ACTOR_MAX];
	json_t *body = NULL, *groups, *dd, *g;
	sqlite3_stmt *st = NULL;
	int64_t rid, gid;
	size_t i;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = api_req_str(&name, body, "name", 128, e);
	if (rc == SL_OK)
		rc = api_opt_str(&cl, body, "classification", 64, e);
	if (rc == SL_OK)
		rc = api_opt_str(&pr, body, "product", 255, e);
	if (rc == SL_OK)
		rc = api_opt_str(&action, body, "action", 16, e);
	if (rc != SL_OK)
		goto out;
	if (action == NULL)
		action = "install";
	groups = json_object_get(body, "groups");
	dd = json_object_get(body, "deadline_days");
	if (strcmp(action, "install") != 0 && strcmp(action, "uninstall") != 0)
		rc = err_set(e, SL_EINVAL,
		             "action: expected install or "
		             "uninstall");
	else if (cl != NULL && !known_classification(cl))
		rc = err_set(e, SL_EINVAL,
		             "classification: '%s' is not a known "
		             "classification (security, critical, ...)",
		             cl);
	else if (!json_is_array(groups) || json_array_size(groups) == 0)
		rc = err_set(e, SL_EINVAL,
		             "groups: expected a non-empty array of group "
		             "names");
	else if (dd != NULL && !json_is_null(dd) &&
	         (!json_is_integer(dd) || json_integer_value(dd) < 0 ||
	          json_integer_value(dd) > 3650))
		rc = err_set(e, SL_EINVAL,
		             "deadline_days: expected 0 to 3650 or null");
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &st,
		        "INSERT INTO autoapprove_rules(name, "
		        "classification, product, action, deadline_days, "
		        "accept_license, enabled, created_by, created_at) "
		        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
		        e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cl, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	if (json_is_integer(dd))
		sqlite3_bind_int64(st, 5, json_integer_value(dd));
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int(st, 6,
	                 json_is_true(json_object_get(body, "accept_license")));
	sqlite3_bind_int(st, 7,
	                 !json_is_false(json_object_get(body, "enabled")));
	sqlite3_bind_text(st, 8, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_CONSTRAINT) {
		rc = err_set(e, SL_EEXISTS, "a rule named '%s' exists", name);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(r->store, e, "store rule");
		goto out;
	}
	rc = SL_OK;
	rid = sqlite3_last_insert_rowid(db_handle(r->store));
	json_array_foreach(groups, i, g)
	{
		if (!json_is_string(g)) {
			rc = err_set(e, SL_EINVAL,
			             "groups[%zu]: expected a name", i);
			goto out;
		}
		rc = store_group_id(&gid, r->store, json_string_value(g), e);
		if (rc == SL_OK)
			rc = db_prepare(
			        r->store, &st,
			        "INSERT OR IGNORE INTO autoapprove_groups("
			        "rule_id, group_id) VALUES(?, ?)",
			        e);
		if (rc != SL_OK)
			goto out;
		sqlite3_bind_int64(st, 1, rid);
		sqlite3_bind_int64(st, 2, gid);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_error(r->store, e, "store rule group");
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	{
		char *gl = json_dumps(groups, JSON_COMPACT);
		rc = store_audit_add(
		        r->store, e, actor, "rule.create", name,
		        "classification %s, product %s, %s for %s%s",
		        cl ? cl : "any", pr ? pr : "any", action, gl ? gl : "?",
		        json_is_true(json_object_get(body, "accept_license"))
		                ? ", accepts license terms"
		                : "");
		free(gl);
	}
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->status = 201;
	out->json = json_pack("{s:I,s:s}", "id", (json_int_t)rid, "name", name);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "create rule");
	}
	json_decref(body);
	return rc;
}

static int
rule_id(int64_t *out, struct store *db, const char *name, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prepare(
	        db, &st, "SELECT id FROM autoapprove_rules WHERE name = ?", e);

	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SL_OK;
	} else {
		rc = rc == SQLITE_DONE ? err_set(e, SL_ENOTFOUND,
		                                 "no rule named '%s'", name)
		                       : db_error(db, e, "rule lookup");
	}
	sqlite3_finalize(st);
	return rc;
}

int
api_rules_delete(struct req *r, struct reply *out, struct err *e)
{
	const char *name = r->params[0];
	char actor[STORE_ACTOR_MAX];
	sqlite3_stmt *st = NULL;
	int64_t rid;
	int rc;

	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = rule_id(&rid, r->store, name, e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &st,
		        "DELETE FROM autoapprove_groups WHERE rule_id = "
		        "?1",
		        e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, rid);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(r->store, e, "delete rule");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = db_prepare(r->store, &st,
	                "DELETE FROM autoapprove_rules WHERE id = ?", e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, rid);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(r->store, e, "delete rule");
		goto out;
	}
	rc = store_audit_add(r->store, e, actor, "rule.delete", name, NULL);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s}", "deleted", name);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "delete rule");
	}
	return rc;
}

int
api_rules_run(struct req *r, struct reply *out, struct err *e)
{
	struct autoapprove_result res;
	char actor[STORE_ACTOR_MAX];
	const char *name = NULL;
	json_t *body = NULL;
	int64_t rid = 0;
	int rc = SL_OK;

	if (r->body_len > 0) {
		rc = http_json_body(&body, r, e);
		if (rc == SL_OK)
			rc = api_opt_str(&name, body, "rule", 128, e);
		if (rc != SL_OK)
			goto out;
	}
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK && name != NULL)
		rc = rule_id(&rid, r->store, name, e);
	if (rc == SL_OK)
		rc = autoapprove_run(&res, r->store, r->env->cfg, rid, 0, e);
	if (rc == SL_OK)
		rc = store_audit_add(
		        r->store, e, actor, "rule.run",
		        name ? name : "(all rules)",
		        "%u approval(s), %u skipped for license terms",
		        res.approved, res.skipped_license);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	if (res.approved > 0 &&
	    r->env->cfg->storage_mode == STORAGE_ON_APPROVAL)
		fetch_wake(r->env->fetch);
	out->json =
	        json_pack("{s:I,s:I}", "approved", (json_int_t)res.approved,
	                  "skipped_license", (json_int_t)res.skipped_license);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "run rules");
	}
	json_decref(body);
	return rc;
}
