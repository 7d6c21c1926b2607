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
