/*
 * api_downstream: administration of the downstream servers of this
 * sluiced (`sluice downstream add|list|remove`). A downstream server
 * authenticates to the server-to-server API (api_upstream.c) with a token
 * made here, shown once; only its SHA-256 is stored.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "sign.h"

#define DS_NAME_MAX 64

/* Names become part of rolled-up computers' server path ("a/b"). */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DS_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

int
api_admin_downstream_add(struct req *r, struct reply *out, struct err *e)
{
	char tok[AUTH_TOKEN_LEN + 1], th[AUTH_TOKEN_LEN + 1];
	sqlite3_stmt *st = NULL;
	json_t *body = NULL;
	const char *name;
	int rc, s;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = api_req_str(&name, body, "name", DS_NAME_MAX, e);
	if (rc == SL_OK && !name_ok(name))
		rc = err_set(e, SL_EINVAL,
		             "name: letters, digits, '.', '-' and '_' only");
	if (rc != SL_OK)
		goto out;
	auth_token_new(tok);
	auth_token_hash(th, tok);
	rc = db_prepare(r->store, &st,
	                "INSERT INTO downstream_servers(name, token_hash, "
	                "created_at) VALUES(?,?,?) ON CONFLICT(name) DO "
	                "UPDATE SET token_hash = excluded.token_hash, "
	                "revoked = 0 WHERE revoked = 1",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, th, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	/* A revoked name may be added again (a new token). */
	s = sqlite3_step(st);
	if (s == SQLITE_DONE && sqlite3_changes(db_handle(r->store)) == 0)
		s = SQLITE_CONSTRAINT;
	if (s == SQLITE_CONSTRAINT) {
		rc = err_set(e, SL_EEXISTS,
		             "a downstream server named '%s' exists", name);
		goto out;
	}
	if (s != SQLITE_DONE) {
		rc = db_error(r->store, e, "downstream server");
		goto out;
	}
	out->status = 201;
	out->json = json_pack("{s:s,s:s}", "name", name, "token", tok);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sodium_memzero(tok, sizeof(tok));
	sqlite3_finalize(st);
	json_decref(body);
	if (rc != SL_OK)
		err_prefix(e, "downstream add");
	return rc;
}

int
api_admin_downstream_list(struct req *r, struct reply *out, struct err *e)
{
	/* A downstream's computers are those rolled up through it: server
	 * "name" (its own) or "name/..." (its downstreams'). */
	static const char sql[] =
	        "WITH c AS (SELECT d.id AS did, k.id AS cid, "
	        " (k.server = d.name) AS own FROM downstream_servers d "
	        " JOIN computers k ON k.server = d.name OR "
	        " substr(k.server, 1, length(d.name) + 1) = d.name || '/') "
	        "SELECT d.name, d.mode, d.last_sync, d.last_rollup, "
	        " d.created_at, d.revoked, "
	        " (SELECT count(*) FROM c WHERE c.did = d.id), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND c.own), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND EXISTS "
	        "  (SELECT 1 FROM update_states s WHERE s.computer_id = "
	        "  c.cid AND s.state IN ('needed', 'downloaded'))), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND EXISTS "
	        "  (SELECT 1 FROM update_states s WHERE s.computer_id = "
	        "  c.cid AND s.state = 'failed')), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND EXISTS "
	        "  (SELECT 1 FROM update_states s WHERE s.computer_id = "
	        "  c.cid AND s.state = 'installed-pending-reboot')) "
	        "FROM downstream_servers d ORDER BY d.name";
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *o;
	int rc, s;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = db_prepare(r->store, &st, sql, e)) != SL_OK)
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_pack(
		        "{s:s,s:o,s:o,s:o,s:o,s:b,s:{s:I,s:I,s:I,s:I,s:I}}",
		        "name", (const char *)sqlite3_column_text(st, 0),
		        "mode", api_text_or_null(st, 1), "last_sync",
		        api_time_or_null(st, 2), "last_rollup",
		        api_time_or_null(st, 3), "created",
		        api_time_or_null(st, 4), "revoked",
		        sqlite3_column_int(st, 5) != 0, "computers", "total",
		        (json_int_t)sqlite3_column_int64(st, 6), "direct",
		        (json_int_t)sqlite3_column_int64(st, 7), "needing",
		        (json_int_t)sqlite3_column_int64(st, 8), "failed",
		        (json_int_t)sqlite3_column_int64(st, 9),
		        "pending_reboot",
		        (json_int_t)sqlite3_column_int64(st, 10));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (s != SQLITE_DONE) {
		rc = db_error(r->store, e, "downstream servers");
		goto out;
	}
	out->json = json_pack("{s:o}", "downstreams", arr);
	arr = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	json_decref(arr);
	return rc;
}

/* Revoke: the token stops working; the row (and the computers rolled
 * up through it) stay for the reports. */
int
api_admin_downstream_remove(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(r->store, &st,
	                "UPDATE downstream_servers SET revoked = 1 "
	                "WHERE name = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, r->params[0], -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(r->store, e, "downstream server");
	else if (sqlite3_changes(db_handle(r->store)) == 0)
		rc = err_set(e, SL_ENOTFOUND, "no downstream server named '%s'",
		             r->params[0]);
	sqlite3_finalize(st);
	if (rc == SL_OK) {
		out->json = json_pack("{s:s,s:b}", "name", r->params[0],
		                      "revoked", 1);
		if (out->json == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	}
	return rc;
}
