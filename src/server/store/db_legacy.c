/*
 * db_legacy: the old SQLite-only helpers (db_legacy.h) on top of the SQLite
 * engine, for the code that has not moved behind store.h yet.
 */
#include "db_legacy.h"

#include "db.h"
#include "db_sqlite.h"

struct db *store_db(struct store *s);

sqlite3 *
db_handle(struct store *s)
{
	return db_sqlite_handle(store_db(s));
}

int
db_error(struct store *s, struct err *e, const char *what)
{
	sqlite3 *h = db_handle(s);

	return err_set(e, SL_EDB, "%s: %s", what,
	               h ? sqlite3_errmsg(h) : "not an SQLite database");
}

int
db_prepare(struct store *s, sqlite3_stmt **out, const char *sql, struct err *e)
{
	sqlite3 *h = db_handle(s);

	*out = NULL;
	if (h == NULL)
		return err_set(e, SL_EUNSUPPORTED,
		               "prepare: not an SQLite database");
	if (sqlite3_prepare_v2(h, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_error(s, e, "prepare");
	}
	return SL_OK;
}

int
db_legacy_exec(struct store *s, const char *sql, struct err *e)
{
	return db_exec(store_db(s), sql, e);
}

int
db_group_id(struct store *s, const char *name, int64_t *out, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(store_db(s), &st, "SELECT id FROM groups WHERE name = $1",
	             e);
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
