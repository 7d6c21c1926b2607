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

int
api_rules_list(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "rules", store_rules_list, e);
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
	struct store_rule_new nr;
	int64_t rid, gid, ddays = 0;
	size_t i;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&name, body, "name", 128, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&cl, body, "classification", 64, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&pr, body, "product", 255, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&action, body, "action", 16, e);
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
	if (rc != SL_OK)
		goto out;
	if (json_is_integer(dd))
		ddays = json_integer_value(dd);
	nr = (struct store_rule_new){
	        .name = name,
	        .classification = cl,
	        .product = pr,
	        .action = action,
	        .deadline_days = json_is_integer(dd) ? &ddays : NULL,
	        .accept_license =
	                json_is_true(json_object_get(body, "accept_license")),
	        .enabled = !json_is_false(json_object_get(body, "enabled")),
	        .created_by = actor,
	        .now = (int64_t)time(NULL),
	};
	rc = store_rule_create(&rid, r->store, &nr, e);
	if (rc != SL_OK)
		goto out;
	json_array_foreach(groups, i, g)
	{
		if (!json_is_string(g)) {
			rc = err_set(e, SL_EINVAL,
			             "groups[%zu]: expected a name", i);
			goto out;
		}
		rc = store_group_id(&gid, r->store, json_string_value(g), e);
		if (rc == SL_OK)
			rc = store_rule_add_group(r->store, rid, gid, e);
		if (rc != SL_OK)
			goto out;
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
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "create rule");
	}
	json_decref(body);
	return rc;
}

int
api_rules_delete(struct req *r, struct reply *out, struct err *e)
{
	const char *name = r->params[0];
	char actor[STORE_ACTOR_MAX];
	int64_t rid;
	int rc;

	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_rule_id(&rid, r->store, name, e);
	if (rc == SL_OK)
		rc = store_rule_delete(r->store, rid, e);
	if (rc != SL_OK)
		goto out;
	rc = store_audit_add(r->store, e, actor, "rule.delete", name, NULL);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s}", "deleted", name);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
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
			rc = jsonx_opt_str(&name, body, "rule", 128, e);
		if (rc != SL_OK)
			goto out;
	}
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK && name != NULL)
		rc = store_rule_id(&rid, r->store, name, e);
	if (rc == SL_OK)
		rc = autoapprove_run(&res, r->store, r->env->cfg, rid, 0, e);
	if (rc == SL_OK)
		rc = store_audit_add(
		        r->store, e, actor, "rule.run",
		        name ? name : "(all rules)",
		        "%u approval(s), %u skipped for license terms, %u "
		        "not removable",
		        res.approved, res.skipped_license, res.skipped_removal);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	if (res.approved > 0 && api_storage_mode(r) == STORAGE_ON_APPROVAL)
		fetch_wake(r->env->fetch);
	out->json = json_pack(
	        "{s:I,s:I,s:I}", "approved", (json_int_t)res.approved,
	        "skipped_license", (json_int_t)res.skipped_license,
	        "skipped_not_removable", (json_int_t)res.skipped_removal);
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
