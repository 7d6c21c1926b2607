/*
 * store_enroll: enrollment keys and the registration mode (store.h,
 * "Enrollment keys").
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_enroll_create(int64_t *id, struct store *s,
                    const struct store_enroll_new *k, struct err *e)
{
	int rc;

	rc = store_q_run(s, NULL, e,
	                 "INSERT INTO enrollment_keys(key_hash, name, groups, "
	                 "expires_at, max_uses, created_by, created_at) "
	                 "VALUES($1, $2, $3, $4, $5, $6, $7)",
	                 "tttjjti", k->key_hash, k->name, k->groups,
	                 k->expires_at > 0 ? &k->expires_at : NULL,
	                 k->max_uses > 0 ? &k->max_uses : NULL, k->created_by,
	                 k->now);
	if (rc == SL_OK)
		rc = store_q_int(
		        s, id, e,
		        "SELECT id FROM enrollment_keys WHERE key_hash "
		        "= $1",
		        "t", k->key_hash);
	if (rc == DB_ROW)
		return SL_OK;
	if (rc == DB_DONE)
		rc = err_set(e, SL_EINTERNAL, "key not found after insert");
	return err_prefix(e, "enrollment key");
}

static json_t *
key_row(struct db_stmt *st)
{
	json_t *groups = json_null();
	const char *g = db_col_text(st, 2);

	if (g != NULL) {
		groups = json_loads(g, 0, NULL);
		if (groups == NULL)
			groups = json_null();
	}
	return json_pack(
	        "{s:I,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:b}", "id",
	        (json_int_t)db_col_int(st, 0), "name", store_col_text(st, 1),
	        "groups", groups, "expires", store_col_time(st, 3), "max_uses",
	        db_col_null(st, 4) ? json_null()
	                           : json_integer(db_col_int(st, 4)),
	        "used", (json_int_t)db_col_int(st, 5), "created_by",
	        store_col_text(st, 6), "created", store_col_time(st, 7),
	        "revoked", (int)db_col_int(st, 8));
}

int
store_enroll_list(json_t *arr, struct store *s, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, name, groups, expires_at, max_uses, used, "
	             "created_by, created_at, revoked FROM enrollment_keys "
	             "ORDER BY id",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "enrollment keys");
	rc = store_q_collect(arr, st, key_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "enrollment keys") : SL_OK;
}

int
store_enroll_revoke(struct store *s, int64_t id, struct err *e)
{
	int64_t n = 0;
	int rc;

	rc = store_q_run(s, &n, e,
	                 "UPDATE enrollment_keys SET revoked = 1 WHERE id = $1 "
	                 "AND revoked = 0",
	                 "i", id);
	if (rc != SL_OK)
		return err_prefix(e, "revoke enrollment key");
	if (n == 0)
		return err_set(e, SL_ENOTFOUND,
		               "no active enrollment key #%lld (see sluice "
		               "enrollment list)",
		               (long long)id);
	return SL_OK;
}

void
store_enroll_key_clear(struct store_enroll_key *k)
{
	if (k == NULL)
		return;
	free(k->name);
	free(k->groups);
	memset(k, 0, sizeof(*k));
}

static int
dup_col(char **out, struct db_stmt *st, int col, struct err *e)
{
	const char *t = db_col_text(st, col);

	*out = NULL;
	if (t != NULL && (*out = strdup(t)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

int
store_enroll_use(struct store_enroll_key *out, struct store *s,
                 const char *key_hash, int64_t now, struct err *e)
{
	struct store_enroll_key k = {0};
	struct db_stmt *st;
	int64_t expires = 0, max_uses = 0, changed = 0;
	int rc, revoked = 0, has_exp = 0;

	rc = store_q(s, &st, e,
	             "SELECT id, name, groups, expires_at, max_uses, revoked "
	             "FROM enrollment_keys WHERE key_hash = $1",
	             "t", key_hash);
	if (rc != SL_OK)
		return err_prefix(e, "enrollment key");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		k.id = db_col_int(st, 0);
		has_exp = !db_col_null(st, 3);
		expires = db_col_int(st, 3);
		max_uses = db_col_int(st, 4);
		revoked = (int)db_col_int(st, 5);
		rc = dup_col(&k.name, st, 1, e);
		if (rc == SL_OK)
			rc = dup_col(&k.groups, st, 2, e);
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_EAUTH, "enrollment key not recognised");
	}
	db_done(st);
	if (rc != SL_OK)
		goto out;
	if (revoked) {
		rc = err_set(e, SL_EAUTH, "enrollment key #%lld is revoked",
		             (long long)k.id);
		goto out;
	}
	if (has_exp && expires <= now) {
		rc = err_set(e, SL_EAUTH, "enrollment key #%lld has expired",
		             (long long)k.id);
		goto out;
	}
	/* The use is counted only while uses remain: two registrations
	 * racing for the last use cannot both have it. */
	rc = store_q_run(s, &changed, e,
	                 "UPDATE enrollment_keys SET used = used + 1 WHERE id "
	                 "= $1 AND (max_uses IS NULL OR used < max_uses)",
	                 "i", k.id);
	if (rc != SL_OK) {
		err_prefix(e, "enrollment key");
		goto out;
	}
	if (changed == 0) {
		rc = err_set(e, SL_EAUTH,
		             "enrollment key #%lld is used up (%lld use%s)",
		             (long long)k.id, (long long)max_uses,
		             max_uses == 1 ? "" : "s");
		goto out;
	}
	*out = k;
	memset(&k, 0, sizeof(k));
out:
	store_enroll_key_clear(&k);
	return rc;
}

int
store_enroll_mark_computer(struct store *s, const char *computer_id,
                           int64_t key_id, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE computers SET enrollment_key_id = $1 "
	                     "WHERE id = $2",
	                     "it", key_id, computer_id);

	return rc != SL_OK ? err_prefix(e, "register") : SL_OK;
}

int
store_registration_mode(char out[16], struct store *s, struct err *e)
{
	char *v = NULL;
	int rc = store_meta_get(s, "registration", &v, e);

	if (rc == SL_ENOTFOUND) {
		snprintf(out, 16, "%s", STORE_REGISTRATION_KEY);
		return SL_OK;
	}
	if (rc != SL_OK)
		return err_prefix(e, "registration mode");
	snprintf(out, 16, "%s", v);
	free(v);
	return SL_OK;
}
