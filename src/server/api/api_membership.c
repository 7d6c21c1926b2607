/*
 * api_membership: a computer in several groups. POST
 * /v1/admin/computers/<id>/groups {"group": NAME} adds it to a group
 * besides its others; DELETE /v1/admin/computers/<id>/groups/<name>
 * removes it from one (never from its only group). Either is audited and
 * gives the computer a full sync at its next contact. Where the approvals
 * of its groups disagree, store.h ("Approvals") says which wins.
 * DELETE /v1/admin/computers/<id> deletes a computer: its token stops
 * working at once, its states and events go.
 */
#include <string.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"

#define NAME_MAX_LEN 128

static int
change(struct req *r, struct reply *out, const char *group, bool add,
       struct err *e)
{
	const char *id = r->params[0];
	char actor[STORE_ACTOR_MAX];
	bool changed = true;
	int64_t gid;
	int rc;

	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = store_group_id(&gid, r->store, group, e);
	if (rc == SL_OK)
		rc = add ? store_computer_group_add(&changed, r->store, id, gid,
		                                    e)
		         : store_computer_group_remove(r->store, id, gid, e);
	if (rc == SL_OK && changed) {
		rc = api_actor(actor, sizeof(actor), r, e);
		if (rc == SL_OK)
			rc = store_audit_add(r->store, e, actor,
			                     add ? "computer.group.add"
			                         : "computer.group.remove",
			                     id, "%s group '%s'",
			                     add ? "to" : "from", group);
	}
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK) {
		store_rollback(r->store);
		return err_prefix(e, "%s group '%s'",
		                  add ? "add to" : "remove from", group);
	}
	out->json = json_pack("{s:s,s:s,s:b}", "id", id, "group", group,
	                      "changed", changed);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
api_admin_computer_group_add(struct req *r, struct reply *out, struct err *e)
{
	json_t *body = NULL;
	const char *group;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&group, body, "group", NAME_MAX_LEN, e);
	if (rc == SL_OK)
		rc = change(r, out, group, true, e);
	json_decref(body);
	return rc;
}

int
api_admin_computer_group_remove(struct req *r, struct reply *out, struct err *e)
{
	return change(r, out, r->params[1], false, e);
}

int
api_admin_computer_delete(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0];
	char actor[STORE_ACTOR_MAX];
	int rc;

	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = store_computer_delete(r->store, id, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_audit_add(
		        r->store, e, actor, "computer.delete", id,
		        "token revoked, states and events deleted");
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK) {
		store_rollback(r->store);
		return err_prefix(e, "delete computer");
	}
	out->json = json_pack("{s:s,s:b}", "id", id, "deleted", 1);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}
