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

static json_t *
token_row(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:b}", "id",
	                 (json_int_t)sqlite3_column_int64(st, 0), "name",
	                 (const char *)sqlite3_column_text(st, 1), "role",
	                 (const char *)sqlite3_column_text(st, 2), "created",
	                 api_time_or_null(st, 3), "revoked",
	                 sqlite3_column_int(st, 4));
}

int
api_tokens_list(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_prepare(r->store, &st,
	                "SELECT id, name, role, created_at, revoked FROM "
	                "admin_tokens ORDER BY id",
	                e);
	if (rc == SL_OK)
		rc = api_collect(arr, r->store, st, token_row, "tokens", e);
	sqlite3_finalize(st);
	if (rc == SL_OK) {
		out->json = json_pack("{s:O}", "tokens", arr);
		if (out->json == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	}
	json_decref(arr);
	if (rc != SL_OK)
		err_prefix(e, "tokens");
	return rc;
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
		rc = api_req_str(&name, body, "name", 64, e);
	if (rc == SL_OK)
		rc = api_req_str(&role, body, "role", 32, e);
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
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int rc, is_admin = 0, admins = 0;

	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	/* By name (active tokens) or by numeric id. */
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &st,
		        "SELECT id, role = 'administrator', (SELECT "
		        "count(*) FROM admin_tokens WHERE revoked = 0 AND "
		        "role = 'administrator') FROM admin_tokens WHERE "
		        "revoked = 0 AND (name = ?1 OR CAST(id AS TEXT) = "
		        "?1) ORDER BY id LIMIT 1",
		        e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(e, SL_ENOTFOUND,
		             "no active token named '%s' (see sluice tokens "
		             "list)",
		             name);
		goto out;
	}
	id = sqlite3_column_int64(st, 0);
	is_admin = sqlite3_column_int(st, 1);
	admins = sqlite3_column_int(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	if (is_admin && admins <= 1) {
		rc = err_set(e, SL_ECONFLICT,
		             "'%s' is the last administrator token: create "
		             "another one first",
		             name);
		goto out;
	}
	rc = db_prepare(r->store, &st,
	                "UPDATE admin_tokens SET revoked = 1 WHERE id = ?", e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(r->store, e, "revoke");
		goto out;
	}
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
	sqlite3_finalize(st);
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
