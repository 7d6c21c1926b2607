/*
 * store_content: the files the server keeps or wants (store.h, "Content").
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

int
store_content_present(struct store *s, const char *sha256, int64_t now,
                      struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE content SET state = 'present', error = "
	                     "NULL, updated_at = $1 WHERE sha256 = $2",
	                     "it", now, sha256);

	return rc != SL_OK ? err_prefix(e, "content") : SL_OK;
}

int
store_content_failed(struct store *s, const char *sha256, int attempts,
                     int64_t next_attempt, const char *error, int64_t now,
                     struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE content SET state = 'failed', attempts = "
	                     "$1, next_attempt = $2, error = $3, updated_at = "
	                     "$4 WHERE sha256 = $5",
	                     "ditit", attempts, next_attempt, error, now,
	                     sha256);

	return rc != SL_OK ? err_prefix(e, "content") : SL_OK;
}

void
store_content_due_free(struct store_content_due *rows, size_t n)
{
	for (size_t i = 0; i < n && rows != NULL; i++)
		free(rows[i].url);
	free(rows);
}

int
store_content_next_due(struct store_content_due **out, size_t *n_out,
                       struct store *s, int64_t now, size_t max, struct err *e)
{
	struct store_content_due *rows = NULL;
	struct db_stmt *st;
	size_t n = 0, cap = 0;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT sha256, size, upstream_url, attempts FROM content "
	             "WHERE state = 'wanted' OR (state = 'failed' AND "
	             "next_attempt <= $1) ORDER BY state = 'failed', "
	             "next_attempt, updated_at, sha256 LIMIT $2",
	             "ii", now, (int64_t)max);
	if (rc != SL_OK)
		return err_prefix(e, "due content");
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *sha = db_col_text(st, 0), *url = db_col_text(st, 2);
		struct store_content_due *r;

		rc = ARRAY_GROW(rows, cap, n, max, e);
		if (rc != SL_OK)
			break;
		r = &rows[n];
		memset(r, 0, sizeof(*r));
		snprintf(r->sha256, sizeof(r->sha256), "%s", sha ? sha : "");
		r->size = db_col_int(st, 1);
		r->attempts = (int)db_col_int(st, 3);
		if ((r->url = strdup(url ? url : "")) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	db_done(st);
	if (rc < 0) {
		store_content_due_free(rows, n);
		return err_prefix(e, "due content");
	}
	*out = rows;
	*n_out = n;
	return SL_OK;
}

int
store_content_next_retry(int64_t *at, bool *any, struct store *s, struct err *e)
{
	struct db_stmt *st;
	int rc;

	*any = false;
	rc = store_q(s, &st, e,
	             "SELECT min(next_attempt) FROM content WHERE state = "
	             "'failed'",
	             NULL);
	if (rc != SL_OK)
		return rc;
	rc = db_step(st, e);
	if (rc == DB_ROW && !db_col_null(st, 0)) {
		*any = true;
		*at = db_col_int(st, 0);
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

int
store_content_want_update(struct store *s, const char *update_id, int64_t now,
                          struct err *e)
{
	int64_t one;
	int rc;

	rc = store_q_int(s, &one, e,
	                 "SELECT 1 FROM update_status WHERE id = $1", "t",
	                 update_id);
	if (rc < 0)
		return err_prefix(e, "update status");
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "update %s: not found",
		               update_id);
	/* The WHERE of the SELECT keeps the upsert unambiguous for SQLite. */
	rc = store_q_run(
	        s, NULL, e,
	        "INSERT INTO content(sha256, size, upstream_url, "
	        "state, updated_at) SELECT f.sha256, f.size, "
	        "f.upstream_url, 'wanted', CAST($1 AS BIGINT) FROM "
	        "update_files f "
	        "JOIN update_status s ON s.id = f.update_id AND "
	        "s.latest_revision = f.revision WHERE f.update_id = $2 "
	        "ON CONFLICT(sha256) DO UPDATE SET state = 'wanted', "
	        "attempts = 0, next_attempt = 0, updated_at = "
	        "excluded.updated_at WHERE content.state = 'failed'",
	        "it", now, update_id);
	return rc != SL_OK ? err_prefix(e, "wanted content") : SL_OK;
}
