/*
 * db_pg: the PostgreSQL engine of db.h (libpq). Not built yet: a
 * PostgreSQL target is refused with SL_EUNSUPPORTED. This file is replaced
 * by the libpq engine (see db_engine.h for the contract).
 */
#include "db_engine.h"

int
db_pg_open(struct db **out, const char *url, struct err *e)
{
	(void)out;
	(void)url;
	return err_set(e, SL_EUNSUPPORTED,
	               "PostgreSQL databases are not supported by this build");
}
