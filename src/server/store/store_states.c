/*
 * store_states: writing the update states agents report (store.h,
 * "Computers"; the layout in docs/store.md, "Update states"). One row of
 * integers per (computer, update) in `states`, keyed by the computer's and
 * the update's integer keys: v = state code + 8 when a detail is kept in
 * state_details + 16 * revision, t = the report time (NULL for
 * not-applicable: the computer's last report stands for it). PostgreSQL
 * keeps the same (v, t) packed, 128 update keys to a row of state_pages
 * (db_states.h); `states` is a view of it there, and the writes below
 * that differ are the two engines' own. The
 * counters the reports read (state_counts, group_counts, computer_counts)
 * follow in the same transaction by the schema's triggers, whoever
 * writes.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_states.h"

static const char *const state_names[STORE_STATES] = {
        "not-applicable",           "needed", "downloaded", "installed",
        "installed-pending-reboot", "failed",
};

int
store_state_code(const char *state)
{
	for (int i = 0; state != NULL && i < STORE_STATES; i++)
		if (strcmp(state, state_names[i]) == 0)
			return i;
	return -1;
}

const char *
store_state_name(int code)
{
	return code >= 0 && code < STORE_STATES ? state_names[code] : NULL;
}

int
store_state_value(int64_t *v, const struct store_state *st, struct err *e)
{
	int code = store_state_code(st->state);

	if (code < 0)
		return err_set(e, SL_EINVAL, "state: unknown state '%s'",
		               st->state ? st->state : "(none)");
	/* v fits PostgreSQL's INTEGER slots (state_pages). */
	if (st->revision == NULL || *st->revision < 0 ||
	    *st->revision > (INT32_MAX >> 4))
		return err_set(e, SL_EINVAL,
		               "state: revision: expected a "
		               "non-negative integer");
	*v = code + (st->detail != NULL ? 8 : 0) + 16 * *st->revision;
	return SL_OK;
}

/* PostgreSQL: the slots, grouped into their pages (in page order, so
 * that two writers lock a computer's pages in the same order), merged
 * into the stored pages: a slot given ($3 not NULL) replaces the stored
 * one, the others stay. $1 the computer's key, $2 $3 $4 the arrays of
 * update keys, values and times. */
static const char pg_put[] =
        "INSERT INTO state_pages AS p(ckey, pg, v, t) SELECT $1, g.pg, "
        "array_agg(x.v ORDER BY k.i), array_agg(x.t ORDER BY k.i) FROM "
        "(SELECT DISTINCT u / " DB_STATE_PAGE " AS pg FROM "
        "unnest(CAST($2 AS INTEGER[])) u) g CROSS JOIN "
        "generate_series(0, " DB_STATE_PAGE
        " - 1) k(i) LEFT JOIN unnest(CAST($2 AS INTEGER[]), "
        "CAST($3 AS INTEGER[]), CAST($4 AS BIGINT[])) x(u, v, t) ON x.u = "
        "g.pg * " DB_STATE_PAGE " + k.i GROUP BY g.pg ORDER BY g.pg ON "
        "CONFLICT(ckey, pg) DO UPDATE SET v = ARRAY(SELECT CASE WHEN z.n "
        "IS NULL THEN z.o ELSE z.n END FROM unnest(p.v, excluded.v) WITH "
        "ORDINALITY z(o, n, i) ORDER BY z.i), t = ARRAY(SELECT CASE WHEN "
        "z.n IS NULL THEN z.o ELSE z.nt END FROM unnest(p.t, excluded.v, "
        "excluded.t) WITH ORDINALITY z(o, n, nt, i) ORDER BY z.i)";

/* Append "{a,b,...}" of the n values (NULL where null[i]) to b. */
static int
pg_array(struct buf *b, const int64_t *vals, const bool *null, size_t n,
         struct err *e)
{
	int rc = buf_puts(b, "{", e);

	for (size_t i = 0; rc == SL_OK && i < n; i++) {
		rc = i ? buf_puts(b, ",", e) : SL_OK;
		if (rc == SL_OK)
			rc = null != NULL && null[i]
			             ? buf_puts(b, "NULL", e)
			             : buf_printf(b, e, "%" PRId64, vals[i]);
	}
	return rc == SL_OK ? buf_puts(b, "}", e) : rc;
}

int
store_states_pg_put(struct store *s, int64_t ckey, const int64_t *ukeys,
                    const int64_t *vs, size_t n, const int64_t *t,
                    struct err *e)
{
	struct buf bk = {0}, bv = {0}, bt = {0};
	int64_t *ts = NULL;
	bool *none = NULL;
	int rc = SL_OK;

	if (n == 0)
		return SL_OK;
	/* 20 digits and a comma a value at most */
	buf_init(&bk, 22 * n + 8);
	buf_init(&bv, 22 * n + 8);
	buf_init(&bt, 22 * n + 8);
	ts = calloc(n, sizeof(*ts));
	none = calloc(n, sizeof(*none));
	if (ts == NULL || none == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		none[i] = t == NULL || vs[i] % 8 == STORE_NOT_APPLICABLE;
		ts[i] = none[i] ? 0 : *t;
	}
	rc = pg_array(&bk, ukeys, NULL, n, e);
	if (rc == SL_OK)
		rc = pg_array(&bv, vs, NULL, n, e);
	if (rc == SL_OK)
		rc = pg_array(&bt, ts, none, n, e);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e, pg_put, "ittt", ckey, bk.data,
		                 bv.data, bt.data);
out:
	buf_free(&bk);
	buf_free(&bv);
	buf_free(&bt);
	free(ts);
	free(none);
	return rc;
}

/* PostgreSQL's store_state_put: the keys, then the slot. */
static int
pg_state_put(struct store *s, const char *computer_id, const char *update_id,
             int64_t v, const int64_t *reported, struct err *e)
{
	int64_t ckey = 0, ukey = 0;
	int rc = store_q_int(s, &ckey, e,
	                     "SELECT ckey FROM computers WHERE id = $1", "t",
	                     computer_id);

	if (rc == DB_ROW)
		rc = store_q_int(s, &ukey, e,
		                 "SELECT ukey FROM update_status WHERE id = $1",
		                 "t", update_id);
	if (rc == DB_DONE) /* no such computer or update */
		return SL_OK;
	if (rc < 0)
		return rc;
	return store_states_pg_put(s, ckey, &ukey, &v, 1, reported, e);
}

int
store_state_put(struct store *s, const char *computer_id,
                const struct store_state *st, const int64_t *reported,
                struct err *e)
{
	int64_t v;
	int rc = store_state_value(&v, st, e);

	if (rc != SL_OK)
		return rc;
	if (v % 8 == STORE_NOT_APPLICABLE)
		reported = NULL;
	/* An update the server does not hold has no key: nothing to keep. */
	if (db_engine(s->db) == DB_POSTGRES)
		rc = pg_state_put(s, computer_id, st->update_id, v, reported,
		                  e);
	else
		rc = store_q_run(
		        s, NULL, e,
		        STORE_SQLITE_ONLY
		        "INSERT INTO states(ckey, ukey, v, t) SELECT c.ckey, "
		        "u.ukey, $3, CAST($4 AS BIGINT) FROM computers c, "
		        "update_status u WHERE c.id = $1 AND u.id = $2 ON "
		        "CONFLICT(ckey, ukey) DO UPDATE SET v = excluded.v, "
		        "t = excluded.t",
		        "ttij", computer_id, st->update_id, v, reported);
	if (rc == SL_OK && st->detail != NULL)
		rc = store_q_run(
		        s, NULL, e,
		        "INSERT INTO state_details(ckey, ukey, detail) "
		        "SELECT c.ckey, u.ukey, $3 FROM computers c, "
		        "update_status u WHERE c.id = $1 AND u.id = $2 "
		        "ON CONFLICT(ckey, ukey) DO UPDATE SET detail = "
		        "excluded.detail",
		        "ttt", computer_id, st->update_id, st->detail);
	/* Without the flag in v an old detail row is ignored; it goes with
	 * the computer, or is overwritten by the next detail. */
	return rc;
}

int
store_state_upsert(struct store *s, const char *computer_id,
                   const struct store_state *st, int64_t now, struct err *e)
{
	int rc = store_state_put(s, computer_id, st, &now, e);

	return rc != SL_OK ? err_prefix(e, "store state") : SL_OK;
}

/* A computer's states gone: its rows in SQLite, its pages in PostgreSQL. */
static const char clear_sqlite[] =
        STORE_SQLITE_ONLY "DELETE FROM states WHERE ckey = (SELECT ckey "
                          "FROM computers WHERE id = $1)";
static const char clear_pg[] = "DELETE FROM state_pages WHERE ckey = (SELECT "
                               "ckey FROM computers WHERE id = $1)";

int
store_states_clear(struct store *s, const char *computer_id, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     db_engine(s->db) == DB_POSTGRES ? clear_pg
	                                                     : clear_sqlite,
	                     "t", computer_id);

	if (rc == SL_OK)
		rc = store_q_run(
		        s, NULL, e,
		        "DELETE FROM state_details WHERE ckey = (SELECT "
		        "ckey FROM computers WHERE id = $1)",
		        "t", computer_id);
	return rc;
}
