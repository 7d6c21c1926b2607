/*
 * api_tokens: admin tokens (create with a role, list, revoke) and the
 * audit log. A token is shown once, in the answer that creates it; the
 * database keeps its SHA-256 only. The last active administrator token
 * cannot be revoked (nobody could administer the server any more).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"
#include "auth.h"

int
api_tokens_list(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "tokens", store_admin_tokens_list,
	                      e);
}

int
api_tokens_create(struct req *r, struct reply *out, struct err *e)
{
	char actor[STORE_ACTOR_MAX], tok[AUTH_TOKEN_LEN + 1];
	const char *name, *role;
	json_t *body = NULL;
	int64_t id;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&name, body, "name", 64, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&role, body, "role", 32, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = auth_token_create(&id, tok, r->store, name, role, e);
	if (rc == SL_OK)
		rc = store_audit_add(r->store, e, actor, "token.create", name,
		                     "role %s", role);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->status = 201;
	out->json = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "name",
	                      name, "role", role, "token", tok);
	sodium_memzero(tok, sizeof(tok));
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "create token");
	}
	json_decref(body);
	return rc;
}

int
api_tokens_revoke(struct req *r, struct reply *out, struct err *e)
{
	const char *name = r->params[0];
	char actor[STORE_ACTOR_MAX];
	struct store_admin_token t;
	int64_t id = 0, admins = 0;
	int rc;

	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	/* By name (active tokens) or by numeric id. */
	if (rc == SL_OK)
		rc = store_admin_token_active(&t, &admins, r->store, name, e);
	if (rc == SL_ENOTFOUND) {
		rc = err_set(e, SL_ENOTFOUND,
		             "no active token named '%s' (see sluice tokens "
		             "list)",
		             name);
		goto out;
	}
	if (rc != SL_OK)
		goto out;
	id = t.id;
	if (strcmp(t.role, AUTH_ROLE_ADMINISTRATOR) == 0 && admins <= 1) {
		rc = err_set(e, SL_ECONFLICT,
		             "'%s' is the last administrator token: create "
		             "another one first",
		             name);
		goto out;
	}
	rc = store_admin_token_revoke(r->store, id, e);
	if (rc != SL_OK)
		goto out;
	rc = store_audit_add(r->store, e, actor, "token.revoke", name,
	                     "token #%lld", (long long)id);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json =
	        json_pack("{s:s,s:I}", "revoked", name, "id", (json_int_t)id);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "revoke token");
	}
	return rc;
}

int
api_audit_list(struct req *r, struct reply *out, struct err *e)
{
	const char *lim_s = api_query(r, "limit"),
	           *actor = api_query(r, "actor");
	const char *action = api_query(r, "action");
	json_t *arr = json_array();
	long limit = 200;
	char *end;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (lim_s != NULL) {
		limit = strtol(lim_s, &end, 10);
		if (*end != '\0' || limit <= 0 || limit > 100000) {
			json_decref(arr);
			return err_set(e, SL_EINVAL,
			               "audit: limit: expected 1 to 100000");
		}
	}
	rc = store_audit_list(arr, r->store, actor, action, limit, e);
	if (rc == SL_OK) {
		out->json = json_pack("{s:O}", "audit", arr);
		if (out->json == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	}
	json_decref(arr);
	return rc;
}
