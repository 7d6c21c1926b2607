/*
 * db_pg_stmt: the statements of the PostgreSQL engine (db_pg.h).
 *
 * Prepared once per connection under a generated name and cached by the
 * SQL text pointer; after a reconnection they are prepared again on first
 * use. Parameters travel as text, blobs in binary. A result is read one
 * row at a time (single-row mode), so a large result is never in memory
 * whole; libpq runs one query at a time, so when another statement needs
 * the connection, the rest of a streaming result moves to its statement's
 * queue first (PG_QUEUE_MAX rows at most).
 */
#include "db_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results of statements ---- */

static void
row_release(struct pg_stmt *st)
{
	for (int i = 0; i < st->nblobs; i++)
		PQfreemem(st->blobs[i].p);
	free(st->blobs);
	st->blobs = NULL;
	st->nblobs = 0;
	PQclear(st->row);
	st->row = NULL;
}

static void
queue_clear(struct pg_stmt *st)
{
	for (size_t i = st->qhead; i < st->qlen; i++)
		PQclear(st->queue[i]);
	free(st->queue);
	st->queue = NULL;
	st->qhead = st->qlen = st->qcap = 0;
	st->overflow = false;
}

static bool
queue_push(struct pg_stmt *st, PGresult *r)
{
	if (st->qlen == st->qcap) {
		size_t ncap = st->qcap ? st->qcap * 2 : 64;
		PGresult **nq;
		if (st->qlen >= PG_QUEUE_MAX)
			return false;
		nq = realloc(st->queue, ncap * sizeof(*nq));
		if (nq == NULL)
			return false;
		st->queue = nq;
		st->qcap = ncap;
	}
	st->queue[st->qlen++] = r;
	return true;
}

/* Free the connection of the statement streaming on it: keep its results
 * (set aside) or drop them. */
void
pg_release_active(struct pg_db *db, bool keep)
{
	struct pg_stmt *st = db->active;
	PGresult *r;

	if (st == NULL)
		return;
	db->active = NULL;
	while ((r = PQgetResult(db->conn)) != NULL) {
		if (!keep || st->overflow) {
			PQclear(r);
		} else if (!queue_push(st, r)) {
			/* A single-tuple row dropped: the statement will
			 * fail; a final result is always kept. */
			if (PQresultStatus(r) == PGRES_SINGLE_TUPLE)
				st->overflow = true;
			PQclear(r);
		}
	}
	st->state = keep ? PG_QUEUED : PG_DONE;
	pg_note_tx(db);
}

static void
params_clear(struct pg_stmt *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->vals[i]);
		st->vals[i] = NULL;
		st->lens[i] = 0;
		st->fmts[i] = 0;
	}
}

static void
stmt_reset(struct pg_stmt *st)
{
	if (st->db->active == st)
		pg_release_active(st->db, false);
	queue_clear(st);
	row_release(st);
	st->state = PG_IDLE;
}

void
pg_stmt_free(struct pg_stmt *st)
{
	stmt_reset(st);
	params_clear(st);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st);
}

/* ---- statements ---- */

static int
stmt_prepare(struct pg_stmt *st, struct err *e)
{
	struct pg_db *db = st->db;
	PGresult *r;
	int n, rc = SL_OK;

	pg_release_active(db, true);
	snprintf(st->name, sizeof(st->name), "sl%u", ++db->serial);
	r = PQprepare(db->conn, st->name, st->sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pg_result_error(db, r, e);
		goto out;
	}
	PQclear(r);
	r = PQdescribePrepared(db->conn, st->name);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pg_result_error(db, r, e);
		goto out;
	}
	n = PQnparams(r);
	if (st->vals == NULL) {
		st->vals = calloc((size_t)n + 1, sizeof(*st->vals));
		st->lens = calloc((size_t)n + 1, sizeof(*st->lens));
		st->fmts = calloc((size_t)n + 1, sizeof(*st->fmts));
		if (st->vals == NULL || st->lens == NULL || st->fmts == NULL) {
			free(st->vals);
			free(st->lens);
			free(st->fmts);
			st->vals = NULL;
			st->lens = NULL;
			st->fmts = NULL;
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		st->nparams = n;
	}
	/* The same text prepares to the same parameters on any connection. */
	if (n != st->nparams) {
		rc = err_set(e, SL_EINTERNAL, "statement changed on reconnect");
		goto out;
	}
	st->gen = db->gen;
out:
	PQclear(r);
	pg_note_tx(db);
	if (rc != SL_OK)
		err_prefix(e, "prepare");
	return rc;
}

static struct pg_stmt **
stmt_slot(struct pg_db *db, const char *sql)
{
	struct pg_stmt **p = &db->buckets[((uintptr_t)sql >> 4) % PG_BUCKETS];

	while (*p != NULL && (*p)->sql != sql)
		p = &(*p)->next;
	return p;
}

int
pg_stmt(struct db *base, struct db_stmt **out, const char *sql, struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_stmt **slot, *st;
	int rc;

	rc = pg_conn_ready(db, e);
	if (rc != SL_OK)
		return rc;
	slot = stmt_slot(db, sql);
	st = *slot;
	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		st->base.ops = &pg_ops;
		st->base.db = base;
		st->db = db;
		st->sql = sql;
		*slot = st;
	}
	stmt_reset(st);
	params_clear(st);
	st->changes = 0;
	if (st->gen != db->gen) {
		rc = stmt_prepare(st, e);
		if (rc != SL_OK)
			return rc;
	}
	*out = &st->base;
	return SL_OK;
}

static int
bind_set(struct pg_stmt *st, int idx, char *v, int len, int fmt, struct err *e)
{
	if (idx < 1 || idx > st->nparams) {
		free(v);
		return err_set(e, SL_EDB,
		               "bind: no parameter $%d (the statement has %d)",
		               idx, st->nparams);
	}
	free(st->vals[idx - 1]);
	st->vals[idx - 1] = v;
	st->lens[idx - 1] = len;
	st->fmts[idx - 1] = fmt;
	return SL_OK;
}

int
pg_bind_int(struct db_stmt *base, int idx, int64_t v, struct err *e)
{
	char num[24], *copy;

	snprintf(num, sizeof(num), "%lld", (long long)v);
	copy = strdup(num);
	if (copy == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return bind_set((struct pg_stmt *)base, idx, copy, 0, 0, e);
}

int
pg_bind_text(struct db_stmt *base, int idx, const char *s, struct err *e)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return bind_set((struct pg_stmt *)base, idx, copy, 0, 0, e);
}

int
pg_bind_blob(struct db_stmt *base, int idx, const void *p, size_t n,
             struct err *e)
{
	char *copy = NULL;

	if (n > (size_t)INT32_MAX)
		return err_set(e, SL_ETOOBIG, "bind: blob of %zu bytes", n);
	if (p != NULL) {
		copy = malloc(n ? n : 1);
		if (copy == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		memcpy(copy, p, n);
	}
	/* Binary format: the raw bytes, for a bytea (or text) parameter. */
	return bind_set((struct pg_stmt *)base, idx, copy, (int)n, 1, e);
}

int
pg_bind_null(struct db_stmt *base, int idx, struct err *e)
{
	return bind_set((struct pg_stmt *)base, idx, NULL, 0, 0, e);
}

/* The statement's result is complete: free the connection. */
static void
stmt_finish(struct pg_stmt *st)
{
	PGresult *r;

	if (st->db->active == st) {
		while ((r = PQgetResult(st->db->conn)) != NULL)
			PQclear(r);
		st->db->active = NULL;
		pg_note_tx(st->db);
	}
	queue_clear(st);
	st->state = PG_DONE;
}

static int
stmt_start(struct pg_stmt *st, struct err *e)
{
	struct pg_db *db = st->db;
	int rc;

	if (db->broken)
		return pg_set_unavailable(db, e, "connection lost");
	if (st->gen != db->gen && (rc = stmt_prepare(st, e)) != SL_OK)
		return rc;
	pg_release_active(db, true);
	if (!PQsendQueryPrepared(db->conn, st->name, st->nparams,
	                         (const char *const *)st->vals, st->lens,
	                         st->fmts, 0)) {
		st->state = PG_DONE;
		return pg_result_error(db, NULL, e);
	}
	/* Rows one at a time; fails only for a query not just sent. */
	PQsetSingleRowMode(db->conn);
	st->state = PG_STREAM;
	db->active = st;
	return SL_OK;
}

int
pg_step(struct db_stmt *base, struct err *e)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	PGresult *r;
	int rc;

	row_release(st);
	if (st->state == PG_DONE)
		return DB_DONE;
	if (st->state == PG_IDLE && (rc = stmt_start(st, e)) != SL_OK)
		return rc;
	if (st->state == PG_QUEUED && st->qhead == st->qlen) {
		/* Only an overflowing queue lacks its final result. */
		rc = st->overflow ? err_set(e, SL_ETOOBIG,
		                            "result of more than %d rows set "
		                            "aside for another statement",
		                            PG_QUEUE_MAX)
		                  : DB_DONE;
		stmt_finish(st);
		return rc;
	}
	if (st->state == PG_QUEUED)
		r = st->queue[st->qhead++];
	else
		r = PQgetResult(st->db->conn);
	switch (PQresultStatus(r)) {
	case PGRES_SINGLE_TUPLE:
		st->row = r;
		return DB_ROW;
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
	case PGRES_EMPTY_QUERY:
		st->changes = strtoll(PQcmdTuples(r), NULL, 10);
		PQclear(r);
		rc = st->overflow ? err_set(e, SL_ETOOBIG,
		                            "result of more than %d rows set "
		                            "aside for another statement",
		                            PG_QUEUE_MAX)
		                  : DB_DONE;
		stmt_finish(st);
		return rc;
	default:
		rc = pg_result_error(st->db, r, e);
		PQclear(r);
		stmt_finish(st);
		return rc;
	}
}

bool
pg_col_null(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	return st->row == NULL || col < 0 || col >= PQnfields(st->row) ||
	       PQgetisnull(st->row, 0, col);
}

int64_t
pg_col_int(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	const char *v;
	char *end;
	long long n;

	if (pg_col_null(base, col))
		return 0;
	v = PQgetvalue(st->row, 0, col);
	if (PQftype(st->row, col) == PG_OID_BOOL)
		return v[0] == 't';
	n = strtoll(v, &end, 10);
	if (*end == '.' || *end == 'e' || *end == 'E')
		return (int64_t)strtod(v, NULL); /* numeric, double */
	return n;
}

const char *
pg_col_text(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	return pg_col_null(base, col) ? NULL : PQgetvalue(st->row, 0, col);
}

const void *
pg_col_blob(struct db_stmt *base, int col, size_t *n)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	const char *v;

	*n = 0;
	if (pg_col_null(base, col))
		return NULL;
	v = PQgetvalue(st->row, 0, col);
	if (PQftype(st->row, col) != PG_OID_BYTEA) {
		*n = (size_t)PQgetlength(st->row, 0, col);
		return v;
	}
	/* bytea arrives as hex text; decode once per row and column. */
	if (st->blobs == NULL) {
		st->nblobs = PQnfields(st->row);
		st->blobs = calloc((size_t)st->nblobs, sizeof(*st->blobs));
		if (st->blobs == NULL) {
			st->nblobs = 0;
			return NULL;
		}
	}
	if (st->blobs[col].p == NULL)
		st->blobs[col].p = PQunescapeBytea((const unsigned char *)v,
		                                   &st->blobs[col].n);
	*n = st->blobs[col].p ? st->blobs[col].n : 0;
	return st->blobs[col].p;
}

int64_t
pg_changes(struct db_stmt *base)
{
	return ((struct pg_stmt *)base)->changes;
}

void
pg_done(struct db_stmt *base)
{
	stmt_reset((struct pg_stmt *)base);
}
