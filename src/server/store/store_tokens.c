/*
 * store_tokens: who a token belongs to (computers, admin tokens, downstream
 * servers) and the admin tokens themselves (store.h, "Tokens"). Only the
 * SHA-256 hex of a token is ever stored or looked up.
 */
#include "store_int.h"

#include <stdio.h>

int
store_computer_by_token(char id_out[64], struct store *s,
                        const char *token_hash, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id FROM computers WHERE token_hash = $1", "t",
	             token_hash);
	if (rc != SL_OK)
		return err_prefix(e, "computer lookup");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *id = db_col_text(st, 0);
		snprintf(id_out, 64, "%s", id ? id : "");
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no computer with this token");
	} else {
		err_prefix(e, "computer lookup");
	}
	db_done(st);
	return rc;
}

int
store_computer_by_token_sync(char id_out[64], struct store_computer_sync *sync,
                             int64_t *seq, struct store *s,
                             const char *token_hash, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, group_id, group_seq, last_contact, (SELECT "
	             "CAST(value AS BIGINT) FROM meta WHERE key = "
	             "'change_seq') FROM computers WHERE token_hash = $1",
	             "t", token_hash);
	if (rc != SL_OK)
		return err_prefix(e, "computer lookup");
	rc = db_step(st, e);
	if (rc == DB_ROW && db_col_null(st, 4)) {
		rc = err_set(e, SL_EDB, "change sequence missing");
	} else if (rc == DB_ROW) {
		const char *id = db_col_text(st, 0);
		snprintf(id_out, 64, "%s", id ? id : "");
		sync->group_id = db_col_int(st, 1);
		sync->group_seq = db_col_int(st, 2);
		sync->has_contact = !db_col_null(st, 3);
		sync->last_contact = db_col_int(st, 3);
		*seq = db_col_int(st, 4);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no computer with this token");
	} else {
		err_prefix(e, "computer lookup");
	}
	db_done(st);
	return rc;
}

static void
token_fill(struct store_admin_token *out, struct db_stmt *st)
{
	const char *role = db_col_text(st, 1), *name = db_col_text(st, 2);

	out->id = db_col_int(st, 0);
	snprintf(out->role, sizeof(out->role), "%s", role ? role : "");
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
}

int
store_admin_token_by_hash(struct store_admin_token *out, struct store *s,
                          const char *token_hash, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, role, name FROM admin_tokens WHERE "
	             "token_hash = $1 AND revoked = 0",
	             "t", token_hash);
	if (rc != SL_OK)
		return err_prefix(e, "admin token lookup");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		token_fill(out, st);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no active admin token");
	} else {
		err_prefix(e, "admin token lookup");
	}
	db_done(st);
	return rc;
}

int
store_admin_token_active(struct store_admin_token *out, int64_t *admins,
                         struct store *s, const char *name_or_id, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, role, name, (SELECT count(*) FROM "
	             "admin_tokens WHERE revoked = 0 AND role = "
	             "'administrator') FROM admin_tokens WHERE revoked = 0 "
	             "AND (name = $1 OR CAST(id AS TEXT) = $1) ORDER BY id "
	             "LIMIT 1",
	             "t", name_or_id);
	if (rc != SL_OK)
		return err_prefix(e, "admin token lookup");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		token_fill(out, st);
		*admins = db_col_int(st, 3);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no active token named '%s'",
		             name_or_id);
	} else {
		err_prefix(e, "admin token lookup");
	}
	db_done(st);
	return rc;
}

int
store_admin_token_count(int64_t *out, struct store *s, struct err *e)
{
	int rc = store_q_int(s, out, e, "SELECT count(*) FROM admin_tokens",
	                     NULL);

	return rc < 0 ? err_prefix(e, "count admin tokens") : SL_OK;
}

int
store_admin_token_insert(int64_t *id_out, struct store *s, const char *name,
                         const char *role, const char *token_hash, int64_t now,
                         struct err *e)
{
	int rc = store_q_int(s, id_out, e,
	                     "INSERT INTO admin_tokens(name, role, token_hash, "
	                     "created_at) VALUES($1, $2, $3, $4) RETURNING id",
	                     "ttti", name, role, token_hash, now);

	if (rc == DB_ROW)
		return SL_OK;
	if (rc == DB_DONE)
		rc = err_set(e, SL_EINTERNAL, "no id returned");
	return err_prefix(e, "store admin token");
}

int
store_admin_token_revoke(struct store *s, int64_t id, struct err *e)
{
	int rc = store_q_run(
	        s, NULL, e, "UPDATE admin_tokens SET revoked = 1 WHERE id = $1",
	        "i", id);

	return rc != SL_OK ? err_prefix(e, "revoke") : SL_OK;
}

static json_t *
token_row(struct db_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:b}", "id",
	                 (json_int_t)db_col_int(st, 0), "name",
	                 db_col_text(st, 1), "role", db_col_text(st, 2),
	                 "created", store_col_time(st, 3), "revoked",
	                 (int)db_col_int(st, 4));
}

int
store_admin_tokens_list(json_t *arr, struct store *s, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, name, role, created_at, revoked FROM "
	             "admin_tokens ORDER BY id",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "tokens");
	rc = store_q_collect(arr, st, token_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "tokens") : SL_OK;
}

int
store_downstream_by_token(int64_t *id_out, char name_out[128], struct store *s,
                          const char *token_hash, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, name FROM downstream_servers "
	             "WHERE token_hash = $1 AND revoked = 0",
	             "t", token_hash);
	if (rc != SL_OK)
		return err_prefix(e, "downstream token");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *n = db_col_text(st, 1);
		*id_out = db_col_int(st, 0);
		snprintf(name_out, 128, "%s", n ? n : "");
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND,
		             "no downstream server with this "
		             "token");
	} else {
		err_prefix(e, "downstream token");
	}
	db_done(st);
	return rc;
}

int
store_admin_token_name_taken(bool *out, struct store *s, const char *name,
                             struct err *e)
{
	int64_t one = 0;
	int rc = store_q_int(s, &one, e,
	                     "SELECT 1 FROM admin_tokens WHERE name = $1 AND "
	                     "revoked = 0",
	                     "t", name);

	if (rc < 0)
		return err_prefix(e, "admin token lookup");
	*out = rc == DB_ROW;
	return SL_OK;
}
