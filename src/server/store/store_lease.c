/*
 * store_lease: job leases in the leases table (store_lease.h). One upsert
 * takes or renews a lease; both engines serialise it on the row.
 */
#include "store_lease.h"

#include <stdio.h>

#include "store_int.h"

int
store_lease_take(bool *got, struct store *s, const char *name,
                 const char *holder, int64_t now, int64_t expires,
                 struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(
	        s, &st, e,
	        "INSERT INTO leases(name, holder, expires_at) "
	        "VALUES($1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
	        "holder = excluded.holder, expires_at = excluded.expires_at "
	        "WHERE leases.holder = excluded.holder OR "
	        "leases.expires_at < $4 RETURNING holder",
	        "ttii", name, holder, expires, now);
	if (rc != SL_OK)
		return err_prefix(e, "lease %s", name);
	rc = db_step(st, e);
	db_done(st);
	if (rc < 0)
		return err_prefix(e, "lease %s", name);
	*got = rc == DB_ROW;
	return SL_OK;
}

int
store_lease_release(struct store *s, const char *name, const char *holder,
                    struct err *e)
{
	int rc;

	rc = store_q_run(s, NULL, e,
	                 "UPDATE leases SET expires_at = 0 WHERE name = $1 AND "
	                 "holder = $2",
	                 "tt", name, holder);
	return rc != SL_OK ? err_prefix(e, "lease %s", name) : SL_OK;
}

int
store_lease_due(int64_t *out, struct store *s, const char *name, struct err *e)
{
	int64_t v = 0;
	int rc;

	rc = store_q_int(s, &v, e,
	                 "SELECT next_due FROM leases WHERE name = $1", "t",
	                 name);
	if (rc < 0)
		return err_prefix(e, "lease %s", name);
	*out = v;
	return SL_OK;
}

int
store_lease_set_due(struct store *s, const char *name, const char *holder,
                    int64_t due, struct err *e)
{
	int64_t n = 0;
	int rc;

	rc = store_q_run(s, &n, e,
	                 "UPDATE leases SET next_due = $3 WHERE name = $1 AND "
	                 "holder = $2",
	                 "tti", name, holder, due);
	if (rc != SL_OK)
		return err_prefix(e, "lease %s", name);
	if (n == 0)
		return err_set(e, SL_EDENIED, "lease %s: held by another",
		               name);
	return SL_OK;
}

int
store_lease_holder(char *out, size_t n, struct store *s, const char *name,
                   int64_t now, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT holder FROM leases WHERE name = $1 AND "
	             "expires_at >= $2",
	             "ti", name, now);
	if (rc != SL_OK)
		return err_prefix(e, "lease %s", name);
	rc = db_step(st, e);
	snprintf(out, n, "%s",
	         rc == DB_ROW && db_col_text(st, 0) != NULL ? db_col_text(st, 0)
	                                                    : "");
	db_done(st);
	return rc < 0 ? err_prefix(e, "lease %s", name) : SL_OK;
}
