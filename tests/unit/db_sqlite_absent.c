/*
 * db_sqlite_absent: db_sqlite_open() for a tree that has the engine-neutral
 * store/db.c but not yet its SQLite engine (store/db_sqlite.c). Built into
 * test_db_engines only when that file is missing; the SQLite cases are
 * then skipped.
 */
#include "store/db_engine.h"

int
db_sqlite_open(struct db **out, const char *path, struct err *e)
{
	(void)out;
	return err_set(e, SL_EUNSUPPORTED, "%s: no SQLite engine in this tree",
	               path);
}
