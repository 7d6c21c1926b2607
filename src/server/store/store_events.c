/*
 * store_events: the install events agents report (store.h, "Computers"),
 * many rows per statement. A report of 500 events is 10 executions of one
 * prepared 50-row INSERT instead of 500 of a one-row one; the statements
 * are built once per process (their text is the cache key of every
 * connection's prepared statements) and prepared once per connection.
 * An event the computer already stored (same computer_id and event_id,
 * the key since migration 11: a report sent again) is skipped by ON
 * CONFLICT, also when it repeats inside one statement.
 */
#include "store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Rows per statement, largest first; the last is 1. $1 is the computer,
 * $2 the time received; each row's 8 values follow. */
static const int chunk_rows[] = {50, 10, 1};
#define N_CHUNKS     (sizeof(chunk_rows) / sizeof(chunk_rows[0]))
#define ROW_PARAMS   8
#define CHUNK_SQLMAX 8192

/* The one-row statement; the others repeat its row. Whole here so that
 * tests/pg/prepare_store_sql.py prepares it on PostgreSQL. */
static const char one_row[] =
        "INSERT INTO events(event_id, computer_id, update_id, revision, "
        "time, kind, result, exit_code, output, received_at) VALUES($3, $1, "
        "$4, $5, $6, $7, $8, $9, $10, $2) ON CONFLICT(computer_id, event_id) "
        "DO NOTHING";

static char chunk_sql[N_CHUNKS][CHUNK_SQLMAX];
static pthread_once_t chunk_once = PTHREAD_ONCE_INIT;

static void
chunk_build(void)
{
	for (size_t c = 0; c < N_CHUNKS; c++)
		store_sql_rows(chunk_sql[c], CHUNK_SQLMAX, one_row, "VALUES",
		               chunk_rows[c], 3, ROW_PARAMS);
}

static int
bind_opt_int(struct db_stmt *st, int idx, const int64_t *v, struct err *e)
{
	return v != NULL ? db_bind_int(st, idx, *v, e)
	                 : db_bind_null(st, idx, e);
}

static int
bind_row(struct db_stmt *st, int b, const struct store_event *ev, struct err *e)
{
	int rc = db_bind_text_ref(st, b, ev->event_id, e);

	if (rc == SL_OK)
		rc = db_bind_text_ref(st, b + 1, ev->update_id, e);
	if (rc == SL_OK)
		rc = bind_opt_int(st, b + 2, ev->revision, e);
	if (rc == SL_OK)
		rc = db_bind_text_ref(st, b + 3, ev->time, e);
	if (rc == SL_OK)
		rc = db_bind_text_ref(st, b + 4, ev->kind, e);
	if (rc == SL_OK)
		rc = db_bind_text_ref(st, b + 5, ev->result, e);
	if (rc == SL_OK)
		rc = bind_opt_int(st, b + 6, ev->exit_code, e);
	if (rc == SL_OK)
		rc = db_bind_text_ref(st, b + 7, ev->output, e);
	return rc;
}

/* One statement of chunk c over evs[0 .. chunk_rows[c]). */
static int
run_chunk(int64_t *added, struct store *s, size_t c, const char *computer_id,
          const struct store_event *evs, int64_t now, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(s->db, &st, chunk_sql[c], e);
	if (rc != SL_OK)
		return rc;
	rc = db_bind_text_ref(st, 1, computer_id, e);
	if (rc == SL_OK)
		rc = db_bind_int(st, 2, now, e);
	for (int r = 0; rc == SL_OK && r < chunk_rows[c]; r++)
		rc = bind_row(st, 3 + r * ROW_PARAMS, &evs[r], e);
	if (rc == SL_OK)
		rc = db_step(st, e);
	if (rc == DB_DONE) {
		*added += db_changes(st);
		rc = SL_OK;
	} else if (rc == DB_ROW) {
		rc = err_set(e, SL_EINTERNAL, "insert returned a row");
	}
	db_done(st);
	return rc;
}

int
store_events_insert(int64_t *inserted, struct store *s, const char *computer_id,
                    const struct store_event *evs, size_t n, int64_t now,
                    struct err *e)
{
	int64_t added = 0;
	size_t i = 0, c = 0;
	int rc = SL_OK;

	pthread_once(&chunk_once, chunk_build);
	while (i < n) {
		while ((size_t)chunk_rows[c] > n - i)
			c++;
		rc = run_chunk(&added, s, c, computer_id, evs + i, now, e);
		if (rc != SL_OK)
			return err_prefix(e, "store events %zu-%zu", i,
			                  i + (size_t)chunk_rows[c] - 1);
		i += (size_t)chunk_rows[c];
	}
	*inserted = added;
	return SL_OK;
}
