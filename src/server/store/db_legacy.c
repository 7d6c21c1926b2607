/*
 * db_legacy: the old SQLite-only helpers (../db.h) on top of the SQLite
 * engine, for the code that has not moved behind store.h yet.
 */
#include "db_legacy.h"

#include <stdlib.h>
#include <string.h>

#include "db_sqlite.h"

sqlite3 *
db_handle(struct db *db)
{
	return db_sqlite_handle(db);
}

int
db_error(struct db *db, struct err *e, const char *what)
{
	sqlite3 *h = db_sqlite_handle(db);

	return err_set(e, SL_EDB, "%s: %s", what,
	               h ? sqlite3_errmsg(h) : "not an SQLite database");
}

int
db_prepare(struct db *db, sqlite3_stmt **out, const char *sql, struct err *e)
{
	sqlite3 *h = db_sqlite_handle(db);

	*out = NULL;
	if (h == NULL)
		return err_set(e, SL_EUNSUPPORTED,
		               "prepare: not an SQLite database");
	if (sqlite3_prepare_v2(h, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_error(db, e, "prepare");
	}
	return SL_OK;
}

int
db_meta_get(struct db *db, const char *key, char **out, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(db, &st, "SELECT value FROM meta WHERE key = $1", e);
	if (rc != SL_OK)
		return rc;
	rc = db_bind_text(st, 1, key, e);
	if (rc == SL_OK)
		rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *v = db_col_text(st, 0);
		char *copy = strdup(v ? v : "");
		if (copy == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		*out = copy;
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "meta key '%s' not set", key);
	} else {
		err_prefix(e, "meta get");
	}
out:
	db_done(st);
	return rc;
}

int
db_meta_set(struct db *db, const char *key, const char *value, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(db, &st,
	             "INSERT INTO meta(key, value) VALUES($1, $2) "
	             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	             e);
	if (rc != SL_OK)
		return rc;
	rc = db_bind_text(st, 1, key, e);
	if (rc == SL_OK)
		rc = db_bind_text(st, 2, value, e);
	if (rc == SL_OK)
		rc = db_step(st, e);
	db_done(st);
	if (rc < 0)
		return err_prefix(e, "meta set");
	return SL_OK;
}

int
db_current_seq(struct db *db, int64_t *out, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(db, &st,
	             "SELECT CAST(value AS BIGINT) FROM meta "
	             "WHERE key = 'change_seq'",
	             e);
	if (rc != SL_OK)
		return rc;
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		*out = db_col_int(st, 0);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_EDB, "change sequence missing");
	} else {
		err_prefix(e, "change sequence");
	}
	db_done(st);
	return rc;
}

int
db_next_seq(struct db *db, int64_t *out, struct err *e)
{
	struct db_stmt *st;
	int rc;

	/* One statement: the bump and the read cannot be split by another
	 * writer (the caller's transaction holds the write lock anyway). */
	rc = db_stmt(db, &st,
	             "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 "
	             "AS TEXT) WHERE key = 'change_seq' "
	             "RETURNING CAST(value AS BIGINT)",
	             e);
	if (rc != SL_OK)
		return rc;
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		*out = db_col_int(st, 0);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_EDB, "change sequence missing");
	} else {
		err_prefix(e, "change sequence");
	}
	db_done(st);
	return rc;
}

int
db_group_id(struct db *db, const char *name, int64_t *out, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(db, &st, "SELECT id FROM groups WHERE name = $1", e);
	if (rc != SL_OK)
		return rc;
	rc = db_bind_text(st, 1, name, e);
	if (rc == SL_OK)
		rc = db_step(st, e);
	if (rc == DB_ROW) {
		*out = db_col_int(st, 0);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no group named '%s'", name);
	} else {
		err_prefix(e, "group lookup");
	}
	db_done(st);
	return rc;
}
