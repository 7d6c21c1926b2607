/*
 * auth: token generation (libsodium's randombytes), hashed storage,
 * Bearer parsing and the admin token bootstrap.
 */
#include "auth.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "fsx.h"
#include "hash.h"

void
auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[AUTH_TOKEN_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), out);
	sodium_memzero(raw, sizeof(raw));
}

void
auth_token_hash(char out[AUTH_TOKEN_LEN + 1], const char *token)
{
	hash_buf_hex(token, strlen(token), out);
}

void
auth_uuid(char out[AUTH_UUID_LEN + 1])
{
	unsigned char b[16];
	char hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

bool
auth_is_uuid(const char *s)
{
	for (int i = 0; i < AUTH_UUID_LEN; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') ||
		             (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return s[AUTH_UUID_LEN] == '\0';
}

int
auth_bearer(const char **token, const char *hdr, struct err *e)
{
	const char *t;

	if (hdr == NULL)
		return err_set(e, SL_EAUTH, "missing Authorization header");
	if (strncasecmp(hdr, "Bearer ", 7) != 0)
		return err_set(e, SL_EAUTH,
		               "Authorization: expected 'Bearer <token>'");
	t = hdr + 7;
	while (*t == ' ')
		t++;
	if (strlen(t) != AUTH_TOKEN_LEN || !hash_is_hex(t))
		return err_set(e, SL_EAUTH, "malformed token");
	*token = t;
	return SL_OK;
}

int
auth_computer(char id_out[64], struct store *db, const char *token,
              struct err *e)
{
	char h[AUTH_TOKEN_LEN + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	auth_token_hash(h, token);
	rc = db_prepare(db, &st,
	                "SELECT id FROM computers WHERE token_hash = ?", e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		snprintf(id_out, 64, "%s", id ? id : "");
		rc = SL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(e, SL_EAUTH, "unknown computer or bad token");
	} else {
		rc = db_error(db, e, "computer lookup");
	}
	sqlite3_finalize(st);
	return rc;
}

int
auth_admin(int64_t *id_out, struct store *db, const char *token, struct err *e)
{
	char h[AUTH_TOKEN_LEN + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	auth_token_hash(h, token);
	rc = db_prepare(db, &st,
	                "SELECT id FROM admin_tokens WHERE token_hash = ? "
	                "AND revoked = 0 AND role = 'administrator'",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		rc = SL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(e, SL_EAUTH, "bad admin token");
	} else {
		rc = db_error(db, e, "admin token lookup");
	}
	sqlite3_finalize(st);
	return rc;
}

int
auth_admin_for(int64_t *id_out, struct store *db, const char *token,
               const char *method, struct err *e)
{
	char h[AUTH_TOKEN_LEN + 1], name[128] = "";
	sqlite3_stmt *st = NULL;
	bool reporter = false;
	int rc;

	auth_token_hash(h, token);
	rc = db_prepare(db, &st,
	                "SELECT id, role, name FROM admin_tokens WHERE "
	                "token_hash = ? AND revoked = 0",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(st, 1);
		const char *n = (const char *)sqlite3_column_text(st, 2);
		*id_out = sqlite3_column_int64(st, 0);
		reporter = role == NULL ||
		           strcmp(role, AUTH_ROLE_ADMINISTRATOR) != 0;
		snprintf(name, sizeof(name), "%s", n ? n : "");
		rc = SL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(e, SL_EAUTH, "bad admin token");
	} else {
		rc = db_error(db, e, "admin token lookup");
	}
	sqlite3_finalize(st);
	if (rc == SL_OK && reporter && strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0)
		rc = err_set(e, SL_EDENIED,
		             "token '%s' has the role reporter (read-only): "
		             "changes need an administrator token",
		             name);
	return rc;
}

int
auth_token_create(int64_t *id_out, char token_out[AUTH_TOKEN_LEN + 1],
                  struct store *db, const char *name, const char *role,
                  struct err *e)
{
	char tok[AUTH_TOKEN_LEN + 1], h[AUTH_TOKEN_LEN + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if (strcmp(role, AUTH_ROLE_ADMINISTRATOR) != 0 &&
	    strcmp(role, AUTH_ROLE_REPORTER) != 0)
		return err_set(e, SL_EINVAL,
		               "role: expected administrator or reporter");
	if (*name == '\0' || strlen(name) > 64)
		return err_set(e, SL_EINVAL, "name: 1 to 64 characters");
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/')
			return err_set(e, SL_EINVAL,
			               "name: no control characters or '/'");
	rc = db_prepare(db, &st,
	                "SELECT 1 FROM admin_tokens WHERE name = ? AND "
	                "revoked = 0",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_ROW)
		return err_set(e, SL_EEXISTS,
		               "an active token named '%s' exists (revoke it "
		               "first or pick another name)",
		               name);
	auth_token_new(tok);
	auth_token_hash(h, tok);
	rc = db_prepare(db, &st,
	                "INSERT INTO admin_tokens(name, role, token_hash, "
	                "created_at) VALUES(?, ?, ?, strftime('%s','now'))",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, h, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, e, "store admin token");
		goto out;
	}
	*id_out = sqlite3_last_insert_rowid(db_handle(db));
	memcpy(token_out, tok, AUTH_TOKEN_LEN + 1);
out:
	sqlite3_finalize(st);
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

int
auth_admin_bootstrap(char token_out[AUTH_TOKEN_LEN + 1], bool *created,
                     struct store *db, const char *data_dir, struct err *e)
{
	char tok[AUTH_TOKEN_LEN + 2], h[AUTH_TOKEN_LEN + 1], path[4096];
	sqlite3_stmt *st = NULL;
	int rc;

	*created = false;
	rc = store_begin(db, e);
	if (rc != SL_OK)
		return err_prefix(e, "admin token");
	rc = db_prepare(db, &st, "SELECT count(*) FROM admin_tokens", e);
	if (rc != SL_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_error(db, e, "count admin tokens");
		goto out;
	}
	if (sqlite3_column_int(st, 0) > 0) {
		rc = store_commit(db, e);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	auth_token_new(tok);
	auth_token_hash(h, tok);
	rc = db_prepare(db, &st,
	                "INSERT INTO admin_tokens(name, role, token_hash, "
	                "created_at) VALUES('initial', 'administrator', ?, "
	                "strftime('%s','now'))",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, e, "store admin token");
		goto out;
	}
	rc = fsx_join(path, sizeof(path), data_dir, "admin.token", e);
	if (rc != SL_OK)
		goto out;
	tok[AUTH_TOKEN_LEN] = '\n';
	rc = fsx_write_atomic(path, tok, AUTH_TOKEN_LEN + 1, 0600, e);
	tok[AUTH_TOKEN_LEN] = '\0';
	if (rc != SL_OK)
		goto out;
	rc = store_commit(db, e);
	if (rc != SL_OK)
		goto out;
	memcpy(token_out, tok, AUTH_TOKEN_LEN + 1);
	*created = true;
out:
	sqlite3_finalize(st);
	sodium_memzero(tok, sizeof(tok));
	if (rc != SL_OK) {
		store_rollback(db);
		err_prefix(e, "admin token");
	}
	return rc;
}
