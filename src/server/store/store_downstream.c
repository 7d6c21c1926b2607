/*
 * store_downstream: the downstream servers of this sluiced (store.h,
 * "Downstream"): their rows, and what the server-to-server API records of
 * them. The replica and roll-up queries are in store_replica.c.
 */
#include "store_int.h"

int
store_downstream_add(struct store *s, const char *name, const char *token_hash,
                     int64_t now, struct err *e)
{
	int64_t n = 0;
	int rc;

	/* A revoked name may be added again (a new token). */
	rc = store_q_run(s, &n, e,
	                 "INSERT INTO downstream_servers(name, token_hash, "
	                 "created_at) VALUES($1, $2, $3) ON CONFLICT(name) DO "
	                 "UPDATE SET token_hash = excluded.token_hash, revoked "
	                 "= 0 WHERE downstream_servers.revoked = 1",
	                 "tti", name, token_hash, now);
	if (rc == SL_OK && n == 0)
		rc = SL_EEXISTS;
	if (rc == SL_EEXISTS)
		return err_set(e, SL_EEXISTS,
		               "a downstream server named '%s' exists", name);
	return rc != SL_OK ? err_prefix(e, "downstream server") : SL_OK;
}

static json_t *
downstream_row(struct db_stmt *st)
{
	return json_pack(
	        "{s:s,s:o,s:o,s:o,s:o,s:b,s:{s:I,s:I,s:I,s:I,s:I}}", "name",
	        db_col_text(st, 0), "mode", store_col_text(st, 1), "last_sync",
	        store_col_time(st, 2), "last_rollup", store_col_time(st, 3),
	        "created", store_col_time(st, 4), "revoked",
	        db_col_int(st, 5) != 0, "computers", "total",
	        (json_int_t)db_col_int(st, 6), "direct",
	        (json_int_t)db_col_int(st, 7), "needing",
	        (json_int_t)db_col_int(st, 8), "failed",
	        (json_int_t)db_col_int(st, 9), "pending_reboot",
	        (json_int_t)db_col_int(st, 10));
}

int
store_downstreams_list(json_t *arr, struct store *s, struct err *e)
{
	/* A downstream's computers are those rolled up through it: server
	 * "name" (its own) or "name/..." (its downstreams'). Needing, failed
	 * and pending a reboot from each computer's state mask (bits of the
	 * state codes 1 and 2, 5, 4: db_states.h), not from its states. */
	static const char sql[] =
	        "WITH c AS (SELECT d.id AS did, k.state_mask AS m, "
	        " CASE WHEN k.server = d.name THEN 1 ELSE 0 END AS own FROM "
	        " downstream_servers d JOIN computers k ON k.server = d.name "
	        " OR substr(k.server, 1, length(d.name) + 1) = d.name || '/') "
	        "SELECT d.name, d.mode, d.last_sync, d.last_rollup, "
	        " d.created_at, d.revoked, "
	        " (SELECT count(*) FROM c WHERE c.did = d.id), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND c.own = 1), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND (c.m & 6) "
	        "  <> 0), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND (c.m & 32) "
	        "  <> 0), "
	        " (SELECT count(*) FROM c WHERE c.did = d.id AND (c.m & 16) "
	        "  <> 0) "
	        "FROM downstream_servers d ORDER BY d.name";
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e, sql, NULL);
	if (rc != SL_OK)
		return err_prefix(e, "downstream servers");
	rc = store_q_collect(arr, st, downstream_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "downstream servers") : SL_OK;
}

int
store_downstream_revoke(struct store *s, const char *name, struct err *e)
{
	int64_t n = 0;
	int rc = store_q_run(s, &n, e,
	                     "UPDATE downstream_servers SET revoked = 1 WHERE "
	                     "name = $1",
	                     "t", name);

	if (rc != SL_OK)
		return err_prefix(e, "downstream server");
	if (n == 0)
		return err_set(e, SL_ENOTFOUND,
		               "no downstream server named '%s'", name);
	return SL_OK;
}
