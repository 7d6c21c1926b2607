/*
 * auth: token generation (libsodium's randombytes), hashed storage,
 * Bearer parsing and the admin token bootstrap.
 */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
	int rc;

	auth_token_hash(h, token);
	rc = store_computer_by_token(id_out, db, h, e);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_EAUTH, "unknown computer or bad token");
	return rc;
}

int
auth_computer_sync(char id_out[64], struct store_computer_sync *sync,
                   int64_t *seq, struct store_tokcache *cache, struct store *db,
                   const char *token, struct err *e)
{
	char h[AUTH_TOKEN_LEN + 1];
	int rc;

	auth_token_hash(h, token);
	if (cache != NULL)
		rc = store_tokcache_lookup(id_out, sync, seq, cache, db, h, e);
	else
		rc = store_computer_by_token_sync(id_out, sync, seq, db, h, e);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_EAUTH, "unknown computer or bad token");
	return rc;
}

int
auth_admin(int64_t *id_out, struct store *db, const char *token, struct err *e)
{
	struct store_admin_token t;
	char h[AUTH_TOKEN_LEN + 1];
	int rc;

	auth_token_hash(h, token);
	rc = store_admin_token_by_hash(&t, db, h, e);
	if (rc == SL_OK && strcmp(t.role, AUTH_ROLE_ADMINISTRATOR) != 0)
		rc = SL_ENOTFOUND;
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_EAUTH, "bad admin token");
	if (rc == SL_OK)
		*id_out = t.id;
	return rc;
}

int
auth_admin_for(int64_t *id_out, struct store *db, const char *token,
               const char *method, struct err *e)
{
	struct store_admin_token t;
	char h[AUTH_TOKEN_LEN + 1];
	int rc;

	auth_token_hash(h, token);
	rc = store_admin_token_by_hash(&t, db, h, e);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_EAUTH, "bad admin token");
	if (rc != SL_OK)
		return rc;
	if (strcmp(t.role, AUTH_ROLE_ADMINISTRATOR) != 0 &&
	    strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return err_set(e, SL_EDENIED,
		               "token '%s' has the role reporter (read-only): "
		               "changes need an administrator token",
		               t.name);
	*id_out = t.id;
	return SL_OK;
}

int
auth_downstream(int64_t *id_out, char name_out[128], struct store *db,
                const char *token, struct err *e)
{
	char h[AUTH_TOKEN_LEN + 1];
	int rc;

	auth_token_hash(h, token);
	rc = store_downstream_by_token(id_out, name_out, db, h, e);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_EAUTH, "unknown downstream server token");
	return rc;
}

int
auth_token_create(int64_t *id_out, char token_out[AUTH_TOKEN_LEN + 1],
                  struct store *db, const char *name, const char *role,
                  struct err *e)
{
	char tok[AUTH_TOKEN_LEN + 1], h[AUTH_TOKEN_LEN + 1];
	bool taken;
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
	rc = store_admin_token_name_taken(&taken, db, name, e);
	if (rc != SL_OK)
		return rc;
	if (taken)
		return err_set(e, SL_EEXISTS,
		               "an active token named '%s' exists (revoke it "
		               "first or pick another name)",
		               name);
	auth_token_new(tok);
	auth_token_hash(h, tok);
	rc = store_admin_token_insert(id_out, db, name, role, h,
	                              (int64_t)time(NULL), e);
	if (rc == SL_OK)
		memcpy(token_out, tok, AUTH_TOKEN_LEN + 1);
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

int
auth_admin_bootstrap(char token_out[AUTH_TOKEN_LEN + 1], bool *created,
                     struct store *db, const char *data_dir, struct err *e)
{
	char tok[AUTH_TOKEN_LEN + 2], h[AUTH_TOKEN_LEN + 1], path[4096];
	int64_t n = 0, id;
	int rc;

	*created = false;
	rc = store_begin(db, e);
	if (rc != SL_OK)
		return err_prefix(e, "admin token");
	rc = store_admin_token_count(&n, db, e);
	if (rc != SL_OK)
		goto out;
	if (n > 0) {
		rc = store_commit(db, e);
		goto out;
	}
	auth_token_new(tok);
	auth_token_hash(h, tok);
	rc = store_admin_token_insert(&id, db, "initial",
	                              AUTH_ROLE_ADMINISTRATOR, h,
	                              (int64_t)time(NULL), e);
	if (rc != SL_OK)
		goto out;
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
	sodium_memzero(tok, sizeof(tok));
	if (rc != SL_OK) {
		store_rollback(db);
		err_prefix(e, "admin token");
	}
	return rc;
}
