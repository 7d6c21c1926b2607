/*
 * store_states_report: a report's states written at once (store.h,
 * store_states_report). The computer's key is read once; the update keys
 * and the rows already stored are read a chunk of ids per statement;
 * then only what differs is written:
 *   - a row whose value (state, detail flag, revision) and time are
 *     stored already is left alone (a daily full report of unchanged
 *     not-applicable states writes nothing for them);
 *   - a row whose value is stored but whose time is older gets the new
 *     time, many rows per UPDATE (the counters do not move: the triggers
 *     watch v only);
 *   - a new or changed row is inserted or replaced, many rows per INSERT,
 *     in update id order, and the schema's triggers move its counters as
 *     for store_state_upsert.
 * The statements of each size are built once per process from the
 * one-row statement below (whole, so that tests/pg/prepare_store_sql.py
 * prepares it on PostgreSQL) and prepared once per connection.
 * PostgreSQL reads the slots of the packed pages instead of rows, and
 * writes every new, changed or newer row in one statement, a page at a
 * time (store_states_pg_put).
 */
#include "store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "db_states.h"

/* Rows per statement, largest first; the last is 1. */
static const int chunk_rows[] = {64, 8, 1};
#define N_CHUNKS     (sizeof(chunk_rows) / sizeof(chunk_rows[0]))
#define CHUNK_SQLMAX 4096

/* The stored row of each id: $1 the computer's key, $2... the ids. */
static const char look_one[] =
        "SELECT u.id, u.ukey, s.v, s.t FROM update_status u LEFT JOIN "
        "states s ON s.ckey = $1 AND s.ukey = u.ukey WHERE u.id IN ($2)";
/* The same from PostgreSQL's pages (db_states.h). */
static const char look_one_pg[] =
        "SELECT u.id, u.ukey, p.v[u.ukey % " DB_STATE_PAGE " + 1], "
        "p.t[u.ukey % " DB_STATE_PAGE " + 1] FROM update_status u LEFT "
        "JOIN state_pages p ON p.ckey = $1 AND p.pg = u.ukey / " DB_STATE_PAGE
        " WHERE u.id IN ($2)";
/* A newer time for rows whose value stands: $1 key, $2 time, $3... ukeys. */
static const char touch_one[] = STORE_SQLITE_ONLY
        "UPDATE states SET t = $2 WHERE ckey = $1 AND ukey IN ($3)";
/* New or changed rows: $1 key, then (ukey, v, t) per row. */
static const char put_one[] = STORE_SQLITE_ONLY
        "INSERT INTO states(ckey, ukey, v, t) VALUES($1, $2, $3, $4) ON "
        "CONFLICT(ckey, ukey) DO UPDATE SET v = excluded.v, t = excluded.t";

static char look_sql[N_CHUNKS][CHUNK_SQLMAX];
static char look_pg_sql[N_CHUNKS][CHUNK_SQLMAX];
static char touch_sql[N_CHUNKS][CHUNK_SQLMAX];
static char put_sql[N_CHUNKS][CHUNK_SQLMAX];
static pthread_once_t chunk_once = PTHREAD_ONCE_INIT;

static void
chunk_build(void)
{
	for (size_t c = 0; c < N_CHUNKS; c++) {
		store_sql_rows(look_sql[c], CHUNK_SQLMAX, look_one, "IN (",
		               chunk_rows[c], 2, 1);
		store_sql_rows(look_pg_sql[c], CHUNK_SQLMAX, look_one_pg,
		               "IN (", chunk_rows[c], 2, 1);
		store_sql_rows(touch_sql[c], CHUNK_SQLMAX, touch_one, "IN (",
		               chunk_rows[c], 3, 1);
		store_sql_rows(put_sql[c], CHUNK_SQLMAX, put_one, "VALUES",
		               chunk_rows[c], 2, 3);
	}
}

/* What is known of one reported state. */
struct row {
	int64_t ukey; /* 0: the server holds no such update */
	int64_t old_v, old_t;
	bool has_old, old_t_null;
	int64_t v;
};

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct store_state *)a)->update_id,
	              ((const struct store_state *)b)->update_id);
}

/* The chunk size for n rows left. */
static size_t
chunk_for(size_t n)
{
	size_t c = 0;

	while ((size_t)chunk_rows[c] > n)
		c++;
	return c;
}

/* Keys and stored rows of sts[0..n) into rows. */
static int
look(struct row *rows, struct store *s, int64_t ckey,
     const struct store_state *sts, size_t n, struct err *e)
{
	struct db_stmt *st;
	size_t i = 0;
	int rc = SL_OK;

	while (rc == SL_OK && i < n) {
		size_t c = chunk_for(n - i), k = (size_t)chunk_rows[c];

		rc = db_stmt(s->db, &st,
		             db_engine(s->db) == DB_POSTGRES ? look_pg_sql[c]
		                                             : look_sql[c],
		             e);
		if (rc != SL_OK)
			return rc;
		rc = db_bind_int(st, 1, ckey, e);
		for (size_t r = 0; rc == SL_OK && r < k; r++)
			rc = db_bind_text_ref(st, 2 + (int)r,
			                      sts[i + r].update_id, e);
		while (rc == SL_OK && (rc = db_step(st, e)) == DB_ROW) {
			struct store_state key = {.update_id =
			                                  db_col_text(st, 0)};
			const struct store_state *hit = array_search(
			        &key, sts + i, k, sizeof(*sts), by_id);
			struct row *w;

			if (hit == NULL)
				continue;
			w = &rows[hit - sts];
			w->ukey = db_col_int(st, 1);
			w->has_old = !db_col_null(st, 2);
			w->old_v = db_col_int(st, 2);
			w->old_t_null = db_col_null(st, 3);
			w->old_t = db_col_int(st, 3);
			rc = SL_OK;
		}
		db_done(st);
		if (rc == DB_DONE)
			rc = SL_OK;
		i += k;
	}
	return rc;
}

/* A write's last step: DB_DONE is success. */
static int
done(int rc, struct err *e)
{
	if (rc == DB_DONE)
		return SL_OK;
	if (rc == DB_ROW)
		return err_set(e, SL_EINTERNAL,
		               "a write of states returned a row");
	return rc;
}

/* Chunk c of the time update over rows idx[0..chunk_rows[c]). */
static int
run_touch(struct store *s, int64_t ckey, int64_t now, const struct row *rows,
          const size_t *idx, size_t c, struct err *e)
{
	struct db_stmt *st;
	int rc = db_stmt(s->db, &st, touch_sql[c], e);

	if (rc != SL_OK)
		return rc;
	rc = db_bind_int(st, 1, ckey, e);
	if (rc == SL_OK)
		rc = db_bind_int(st, 2, now, e);
	for (int r = 0; rc == SL_OK && r < chunk_rows[c]; r++)
		rc = db_bind_int(st, 3 + r, rows[idx[r]].ukey, e);
	if (rc == SL_OK)
		rc = db_step(st, e);
	db_done(st);
	return done(rc, e);
}

/* Chunk c of the insert or replace over rows idx[0..chunk_rows[c]). */
static int
run_put(struct store *s, int64_t ckey, const int64_t *now,
        const struct row *rows, const size_t *idx, size_t c, struct err *e)
{
	struct db_stmt *st;
	int rc = db_stmt(s->db, &st, put_sql[c], e);

	if (rc != SL_OK)
		return rc;
	rc = db_bind_int(st, 1, ckey, e);
	for (int r = 0; rc == SL_OK && r < chunk_rows[c]; r++) {
		const struct row *w = &rows[idx[r]];
		int b = 2 + 3 * r;

		rc = db_bind_int(st, b, w->ukey, e);
		if (rc == SL_OK)
			rc = db_bind_int(st, b + 1, w->v, e);
		if (rc == SL_OK)
			rc = w->v % 8 == STORE_NOT_APPLICABLE
			             ? db_bind_null(st, b + 2, e)
			             : db_bind_int(st, b + 2, *now, e);
	}
	if (rc == SL_OK)
		rc = db_step(st, e);
	db_done(st);
	return done(rc, e);
}

/* Write the listed rows, chunk by chunk. */
static int
write_list(struct store *s, int64_t ckey, int64_t now, const struct row *rows,
           const size_t *idx, size_t n, bool touch, struct err *e)
{
	size_t i = 0;
	int rc = SL_OK;

	while (rc == SL_OK && i < n) {
		size_t c = chunk_for(n - i);

		rc = touch ? run_touch(s, ckey, now, rows, idx + i, c, e)
		           : run_put(s, ckey, &now, rows, idx + i, c, e);
		i += (size_t)chunk_rows[c];
	}
	return rc;
}

/* PostgreSQL: the listed rows (new, changed or newer) in one statement. */
static int
write_pg(struct store *s, int64_t ckey, int64_t now, const struct row *rows,
         const size_t *put, size_t n_put, const size_t *touch, size_t n_touch,
         struct err *e)
{
	size_t n = n_put + n_touch;
	int64_t *ukeys = calloc(n ? n : 1, sizeof(*ukeys));
	int64_t *vs = calloc(n ? n : 1, sizeof(*vs));
	int rc = SL_OK;

	if (ukeys == NULL || vs == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct row *w =
		        &rows[i < n_put ? put[i] : touch[i - n_put]];

		ukeys[i] = w->ukey;
		vs[i] = w->v;
	}
	rc = store_states_pg_put(s, ckey, ukeys, vs, n, &now, e);
out:
	free(ukeys);
	free(vs);
	return rc;
}

int
store_states_report(struct store *s, const char *computer_id,
                    const struct store_state *sts, size_t n, int64_t now,
                    struct err *e)
{
	struct row *rows = NULL;
	size_t *touch = NULL, *put = NULL, n_touch = 0, n_put = 0;
	int64_t ckey = 0;
	int rc = SL_OK;

	pthread_once(&chunk_once, chunk_build);
	for (size_t i = 1; i < n; i++)
		if (by_id(&sts[i - 1], &sts[i]) >= 0) {
			rc = err_set(e, SL_EINVAL,
			             "states[%zu]: '%s' is not after '%s' "
			             "(expected each id once, in order)",
			             i, sts[i].update_id, sts[i - 1].update_id);
			goto out;
		}
	if (n == 0)
		return SL_OK;
	rows = calloc(n, sizeof(*rows));
	touch = calloc(n, sizeof(*touch));
	put = calloc(n, sizeof(*put));
	if (rows == NULL || touch == NULL || put == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = store_state_value(&rows[i].v, &sts[i], e);
		if (rc != SL_OK) {
			err_prefix(e, "states[%zu]", i);
			goto out;
		}
	}
	rc = store_q_int(s, &ckey, e,
	                 "SELECT ckey FROM computers WHERE id = $1", "t",
	                 computer_id);
	if (rc == DB_DONE) { /* no such computer: nothing to keep */
		rc = SL_OK;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = look(rows, s, ckey, sts, n, e);
	for (size_t i = 0; rc == SL_OK && i < n; i++) {
		const struct row *w = &rows[i];
		bool na = w->v % 8 == STORE_NOT_APPLICABLE;

		if (w->ukey == 0) /* an update the server does not hold */
			continue;
		if (w->has_old && w->old_v == w->v &&
		    (na ? w->old_t_null : !w->old_t_null && w->old_t == now))
			continue;
		if (w->has_old && w->old_v == w->v && !na)
			touch[n_touch++] = i;
		else
			put[n_put++] = i;
	}
	if (rc == SL_OK && db_engine(s->db) == DB_POSTGRES)
		rc = write_pg(s, ckey, now, rows, put, n_put, touch, n_touch,
		              e);
	else if (rc == SL_OK)
		rc = write_list(s, ckey, now, rows, put, n_put, false, e);
	if (rc == SL_OK && db_engine(s->db) != DB_POSTGRES)
		rc = write_list(s, ckey, now, rows, touch, n_touch, true, e);
	/* Details as store_state_put writes them: without the flag in v an
	 * old detail row is ignored. */
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		if (sts[i].detail != NULL && rows[i].ukey != 0)
			rc = store_q_run(
			        s, NULL, e,
			        "INSERT INTO state_details(ckey, ukey, "
			        "detail) VALUES($1, $2, $3) ON "
			        "CONFLICT(ckey, ukey) DO UPDATE SET "
			        "detail = excluded.detail",
			        "iit", ckey, rows[i].ukey, sts[i].detail);
out:
	free(rows);
	free(touch);
	free(put);
	if (rc != SL_OK)
		err_prefix(e, "store states");
	return rc;
}
