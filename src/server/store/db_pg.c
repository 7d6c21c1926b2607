/*
 * db_pg: the PostgreSQL engine of db.h, through libpq.
 *
 * One struct pg_db is one libpq connection. Statements are prepared on the
 * server once per connection (PQprepare, a generated name) and cached by
 * their SQL text pointer; parameters travel as text (blobs in binary), and
 * results come back as text, one row at a time (single-row mode), so a
 * large result never sits in memory whole. libpq runs one query at a time
 * per connection: when another statement needs the connection while a
 * result is still streaming, the rest of that result is read into the
 * streaming statement's queue first (capped), as SQLite would let both
 * run.
 *
 * A lost connection (server shutdown, network, 08xxx) makes every call
 * answer SL_EUNAVAILABLE until the next db_stmt(), db_exec() or db_begin()
 * reconnects with PQreset(); statements are then prepared again lazily. A
 * connection lost inside a transaction is only reconnected after
 * db_rollback(), so the rest of a broken transaction never runs in
 * autocommit. Messages name the database by its URL without password or
 * query parameters.
 */
#include "db_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_pg_schema.h"

#define PG_BUCKETS    128
#define PG_QUEUE_MAX  200000 /* rows buffered for a statement set aside */
#define PG_MIN_SERVER 100000 /* identity columns need PostgreSQL 10 */
#define PG_OID_BOOL   16
#define PG_OID_BYTEA  17
/* pg_advisory_xact_lock key of the migrations ("sluice" + 1). */
#define PG_MIGRATE_LOCK "7526466745837232129"

enum pg_state {
	PG_IDLE,   /* not run since db_stmt()/db_done() */
	PG_STREAM, /* its result is being read from the connection */
	PG_QUEUED, /* its remaining results sit in queue */
	PG_DONE,   /* finished (or failed); db_step answers DB_DONE */
};

struct pg_db;

struct pg_blob {
	unsigned char *p; /* PQunescapeBytea(), NULL until asked for */
	size_t n;
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_db *db;
	struct pg_stmt *next; /* hash chain */
	const char *sql;      /* the cache key: compared by pointer */
	char name[24];        /* server-side name of the prepared statement */
	unsigned gen;         /* connection generation prepared in; 0 = none */
	int nparams;
	char **vals; /* parameter values, NULL = SQL NULL */
	int *lens;
	int *fmts; /* 0 text, 1 binary (blobs) */
	enum pg_state state;
	PGresult *row; /* the current row (a single-tuple result) */
	PGresult **queue;
	size_t qhead, qlen, qcap;
	bool overflow; /* rows were dropped from queue */
	struct pg_blob *blobs; /* decoded bytea columns of row */
	int nblobs;
	int64_t changes;
};

struct pg_db {
	struct db base;
	PGconn *conn;
	char *where;     /* the URL without password, for messages */
	unsigned gen;    /* bumped on every (re)connection */
	unsigned serial; /* statement names */
	bool broken;     /* the connection was lost */
	bool in_tx;      /* a transaction is open (or was, when lost) */
	struct pg_stmt *active; /* the statement streaming a result */
	struct pg_stmt *buckets[PG_BUCKETS];
};

static const struct db_engine_ops pg_ops;

/* "postgresql://user:secret@host:5432/db?sslmode=x" ->
 * "postgresql://user@host:5432/db": passwords never reach a message. */
static char *
url_redact(const char *url)
{
	const char *rest = strstr(url, "://"), *at, *end, *colon;
	char *out;
	size_t n;

	if (rest == NULL)
		return strdup("postgresql");
	rest += 3;
	end = rest + strcspn(rest, "?#");
	at = memchr(rest, '@', (size_t)(end - rest));
	for (const char *p = at ? at + 1 : rest; p < end; p++)
		if (*p == '@')
			at = p; /* the last '@' ends the user information */
	out = malloc(strlen(url) + 1);
	if (out == NULL)
		return NULL;
	n = (size_t)(rest - url);
	memcpy(out, url, n);
	if (at != NULL) {
		colon = memchr(rest, ':', (size_t)(at - rest));
		size_t ul = (size_t)((colon ? colon : at) - rest);
		memcpy(out + n, rest, ul);
		n += ul;
		rest = at; /* copies "@host..." below */
	}
	memcpy(out + n, rest, (size_t)(end - rest));
	n += (size_t)(end - rest);
	out[n] = '\0';
	return out;
}

/* libpq's messages end with a newline and may span lines: keep the first
 * line. */
static const char *
first_line(const char *msg, char *buf, size_t size)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	if (msg == NULL || n == 0)
		return "connection lost";
	snprintf(buf, size, "%.*s", (int)n, msg);
	return buf;
}

static int
set_unavailable(struct pg_db *db, struct err *e, const char *msg)
{
	char line[512];

	return err_set(e, SL_EUNAVAILABLE, "database %s unavailable: %s",
	               db->where, first_line(msg, line, sizeof(line)));
}

static void
note_tx(struct pg_db *db)
{
	PGTransactionStatusType ts;

	if (PQstatus(db->conn) != CONNECTION_OK) {
		db->broken = true;
		return;
	}
	ts = PQtransactionStatus(db->conn);
	db->in_tx = ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR ||
	            ts == PQTRANS_ACTIVE;
}

/* The status of a failed result (res NULL: libpq itself failed). */
static int
result_error(struct pg_db *db, const PGresult *res, struct err *e)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
	                        : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
	                      : NULL;

	/* 08xxx connection exceptions; 57P0x: the server shut down, the
	 * database was dropped, the session timed out. */
	if (PQstatus(db->conn) != CONNECTION_OK ||
	    (state != NULL && (strncmp(state, "08", 2) == 0 ||
	                       strncmp(state, "57P0", 4) == 0))) {
		db->broken = true;
		return set_unavailable(db, e,
		                       msg ? msg : PQerrorMessage(db->conn));
	}
	if (state == NULL) {
		char line[512];
		return err_set(e, SL_EDB, "%s",
		               first_line(msg ? msg : PQerrorMessage(db->conn),
		                          line, sizeof(line)));
	}
	if (msg == NULL)
		msg = "unknown error";
	if (strcmp(state, "23505") == 0)
		return err_set(e, SL_EEXISTS, "%s", msg);
	if (strncmp(state, "23", 2) == 0)
		return err_set(e, SL_ECONFLICT, "%s", msg);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return err_set(e, SL_EUNAVAILABLE, "%s (retry)", msg);
	return err_set(e, SL_EDB, "%s", msg);
}

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
static void
release_active(struct pg_db *db, bool keep)
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
	note_tx(db);
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
		release_active(st->db, false);
	queue_clear(st);
	row_release(st);
	st->state = PG_IDLE;
}

static void
stmt_free(struct pg_stmt *st)
{
	stmt_reset(st);
	params_clear(st);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st);
}

/* ---- connection ---- */

/* Reconnect a lost connection (not inside a lost transaction). */
static int
conn_ready(struct pg_db *db, struct err *e)
{
	if (!db->broken)
		return SL_OK;
	if (db->in_tx)
		return err_set(e, SL_EUNAVAILABLE,
		               "database %s: connection lost inside a "
		               "transaction (roll it back first)",
		               db->where);
	if (db->active != NULL) {
		db->active->state = PG_DONE;
		db->active = NULL;
	}
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return set_unavailable(db, e, PQerrorMessage(db->conn));
	db->broken = false;
	db->gen++;
	return SL_OK;
}

/* Run sql (no parameters) with the connection to itself; *out gets the
 * result on success when out is not NULL. */
static int
conn_exec(struct pg_db *db, PGresult **out, const char *sql, struct err *e)
{
	PGresult *r;
	ExecStatusType s;
	int rc = SL_OK;

	if (db->broken)
		return set_unavailable(db, e, "connection lost");
	release_active(db, true);
	r = PQexec(db->conn, sql);
	s = PQresultStatus(r);
	if (r == NULL || (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK &&
	                  s != PGRES_EMPTY_QUERY))
		rc = result_error(db, r, e);
	note_tx(db);
	if (rc == SL_OK && out != NULL)
		*out = r;
	else
		PQclear(r);
	return rc;
}

static int
pg_exec(struct db *base, const char *sql, struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	int rc = conn_ready(db, e);

	return rc != SL_OK ? rc : conn_exec(db, NULL, sql, e);
}

static int
pg_begin(struct db *base, struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	int rc = conn_ready(db, e);

	if (rc != SL_OK)
		return err_prefix(e, "begin");
	if (db->in_tx)
		return err_set(e, SL_EDB, "begin: a transaction is already open");
	rc = conn_exec(db, NULL, "BEGIN", e);
	return rc == SL_OK ? rc : err_prefix(e, "begin");
}

static int
pg_commit(struct db *base, struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	PGresult *r = NULL;
	int rc;

	if (db->broken)
		return set_unavailable(db, e, "connection lost");
	release_active(db, true);
	if (PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		/* COMMIT would answer ROLLBACK without an error. */
		conn_exec(db, NULL, "ROLLBACK", NULL);
		return err_set(e, SL_EDB,
		               "commit: the transaction failed earlier and "
		               "was rolled back");
	}
	rc = conn_exec(db, &r, "COMMIT", e);
	if (rc == SL_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = err_set(e, SL_EDB, "commit: transaction rolled back");
	PQclear(r);
	return rc == SL_OK ? rc : err_prefix(e, "commit");
}

static void
pg_rollback(struct db *base)
{
	struct pg_db *db = (struct pg_db *)base;

	if (db->broken) {
		db->in_tx = false; /* the server rolled it back */
		return;
	}
	release_active(db, false);
	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		conn_exec(db, NULL, "ROLLBACK", NULL);
	db->in_tx = false;
}

static int
pg_schema_version(struct db *base, int *out, struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	PGresult *r = NULL;
	int rc;

	/* meta may not exist yet; a failing SELECT would abort the
	 * migration's transaction, so ask the catalog first. */
	rc = conn_exec(db, &r, "SELECT to_regclass('meta') IS NOT NULL", e);
	if (rc != SL_OK)
		return err_prefix(e, "schema version");
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		*out = 0;
		return SL_OK;
	}
	PQclear(r);
	r = NULL;
	rc = conn_exec(db, &r,
	               "SELECT CAST(value AS BIGINT) FROM meta "
	               "WHERE key = 'schema_version'",
	               e);
	if (rc != SL_OK)
		return err_prefix(e, "schema version");
	*out = PQntuples(r) == 1 ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10)
	                         : 0;
	PQclear(r);
	return SL_OK;
}

/* ---- statements ---- */

static int
stmt_prepare(struct pg_stmt *st, struct err *e)
{
	struct pg_db *db = st->db;
	PGresult *r;
	int n, rc = SL_OK;

	release_active(db, true);
	snprintf(st->name, sizeof(st->name), "sl%u", ++db->serial);
	r = PQprepare(db->conn, st->name, st->sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = result_error(db, r, e);
		goto out;
	}
	PQclear(r);
	r = PQdescribePrepared(db->conn, st->name);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = result_error(db, r, e);
		goto out;
	}
	n = PQnparams(r);
	if (st->vals == NULL) {
		st->vals = calloc((size_t)n + 1, sizeof(*st->vals));
		st->lens = calloc((size_t)n + 1, sizeof(*st->lens));
		st->fmts = calloc((size_t)n + 1, sizeof(*st->fmts));
		if (st->vals == NULL || st->lens == NULL || st->fmts == NULL) {
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
	note_tx(db);
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

static int
pg_stmt(struct db *base, struct db_stmt **out, const char *sql,
        struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_stmt **slot, *st;
	int rc;

	rc = conn_ready(db, e);
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
bind_set(struct pg_stmt *st, int idx, char *v, int len, int fmt,
         struct err *e)
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

static int
pg_bind_int(struct db_stmt *base, int idx, int64_t v, struct err *e)
{
	char num[24], *copy;

	snprintf(num, sizeof(num), "%lld", (long long)v);
	copy = strdup(num);
	if (copy == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return bind_set((struct pg_stmt *)base, idx, copy, 0, 0, e);
}

static int
pg_bind_text(struct db_stmt *base, int idx, const char *s, struct err *e)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return bind_set((struct pg_stmt *)base, idx, copy, 0, 0, e);
}

static int
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

static int
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
		note_tx(st->db);
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
		return set_unavailable(db, e, "connection lost");
	if (st->gen != db->gen && (rc = stmt_prepare(st, e)) != SL_OK)
		return rc;
	release_active(db, true);
	if (!PQsendQueryPrepared(db->conn, st->name, st->nparams,
	                         (const char *const *)st->vals, st->lens,
	                         st->fmts, 0)) {
		st->state = PG_DONE;
		return result_error(db, NULL, e);
	}
	/* Rows one at a time; fails only for a query not just sent. */
	PQsetSingleRowMode(db->conn);
	st->state = PG_STREAM;
	db->active = st;
	return SL_OK;
}

static int
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
	if (st->state == PG_QUEUED)
		r = st->qhead < st->qlen ? st->queue[st->qhead++] : NULL;
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
		rc = result_error(st->db, r, e);
		PQclear(r);
		stmt_finish(st);
		return rc;
	}
}

static bool
pg_col_null(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	return st->row == NULL || col < 0 || col >= PQnfields(st->row) ||
	       PQgetisnull(st->row, 0, col);
}

static int64_t
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
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end == '.' || *end == 'e' || *end == 'E')
		return (int64_t)strtod(v, NULL); /* numeric, double */
	return n;
}

static const char *
pg_col_text(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	return pg_col_null(base, col) ? NULL : PQgetvalue(st->row, 0, col);
}

static const void *
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

static int64_t
pg_changes(struct db_stmt *base)
{
	return ((struct pg_stmt *)base)->changes;
}

static void
pg_done(struct db_stmt *base)
{
	stmt_reset((struct pg_stmt *)base);
}

static void
pg_close(struct db *base)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_stmt *st, *next;

	for (size_t i = 0; i < PG_BUCKETS; i++)
		for (st = db->buckets[i]; st != NULL; st = next) {
			next = st->next;
			stmt_free(st);
		}
	PQfinish(db->conn);
	free(db->where);
	free(db);
}

static const struct db_engine_ops pg_ops = {
        .kind = DB_POSTGRES,
        .name = "postgresql",
        .close = pg_close,
        .stmt = pg_stmt,
        .bind_int = pg_bind_int,
        .bind_text = pg_bind_text,
        .bind_blob = pg_bind_blob,
        .bind_null = pg_bind_null,
        .step = pg_step,
        .col_null = pg_col_null,
        .col_int = pg_col_int,
        .col_text = pg_col_text,
        .col_blob = pg_col_blob,
        .changes = pg_changes,
        .done = pg_done,
        .exec = pg_exec,
        .begin = pg_begin,
        .commit = pg_commit,
        .rollback = pg_rollback,
        .schema_version = pg_schema_version,
};

/* ---- open and migrate ---- */

/* Bring the schema up to date. The advisory lock serialises front-ends
 * starting together on one database: the second waits for the first's
 * commit, then reads the new version and has nothing left to do. */
static int
pg_migrate(struct pg_db *db, struct err *e)
{
	char sql[128];
	int version, rc;

	rc = pg_begin(&db->base, e);
	if (rc != SL_OK)
		return err_prefix(e, "migrate");
	rc = conn_exec(db, NULL,
	               "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", e);
	if (rc == SL_OK)
		rc = pg_schema_version(&db->base, &version, e);
	if (rc != SL_OK)
		goto out;
	if (version > (int)pg_migrations_n) {
		rc = err_set(e, SL_EDB,
		             "database schema version %d is newer than this "
		             "server (%d)",
		             version, (int)pg_migrations_n);
		goto out;
	}
	for (int v = version; v < (int)pg_migrations_n; v++) {
		rc = conn_exec(db, NULL, pg_migrations[v], e);
		if (rc != SL_OK) {
			err_prefix(e, "migration %d", v + 1);
			goto out;
		}
		snprintf(sql, sizeof(sql),
		         "INSERT INTO meta(key, value) "
		         "VALUES('schema_version', '%d') ON CONFLICT (key) "
		         "DO UPDATE SET value = excluded.value",
		         v + 1);
		rc = conn_exec(db, NULL, sql, e);
		if (rc != SL_OK)
			goto out;
	}
	rc = pg_commit(&db->base, e);
out:
	if (rc != SL_OK) {
		pg_rollback(&db->base);
		err_prefix(e, "migrate");
	}
	return rc;
}

static void
notice_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* the library never logs */
}

/* A URL libpq cannot parse is a configuration error, not an outage. Its
 * message may quote the URL: then it is not shown. */
static int
url_check(const char *url, const char *where, struct err *e)
{
	char *msg = NULL, line[256];
	PQconninfoOption *opts = PQconninfoParse(url, &msg);
	int rc = SL_OK;

	if (opts == NULL) {
		if (msg != NULL && strstr(msg, "://") == NULL)
			rc = err_set(e, SL_EINVAL, "database URL %s: %s", where,
			             first_line(msg, line, sizeof(line)));
		else
			rc = err_set(e, SL_EINVAL,
			             "database URL %s: not a valid PostgreSQL "
			             "URL",
			             where);
	}
	PQfreemem(msg);
	PQconninfoFree(opts);
	return rc;
}

int
db_pg_open(struct db **out, const char *url, struct err *e)
{
	/* The URL's own settings come last and so win. */
	static const char *const keys[] = {"connect_timeout",
	                                   "application_name",
	                                   "client_encoding", "dbname", NULL};
	const char *vals[] = {"10", "sluiced", "UTF8", url, NULL};
	struct pg_db *db;
	int rc;

	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	db->base.ops = &pg_ops;
	db->where = url_redact(url);
	if (db->where == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = url_check(url, db->where, e);
	if (rc != SL_OK)
		goto out;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	PQsetNoticeProcessor(db->conn, notice_quiet, NULL);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		rc = set_unavailable(db, e, PQerrorMessage(db->conn));
		goto out;
	}
	if (PQserverVersion(db->conn) < PG_MIN_SERVER) {
		rc = err_set(e, SL_EUNSUPPORTED,
		             "database %s: PostgreSQL server version %d is "
		             "too old (10 or newer needed)",
		             db->where, PQserverVersion(db->conn));
		goto out;
	}
	db->gen = 1;
	rc = pg_migrate(db, e);
	if (rc != SL_OK) {
		err_prefix(e, "open %s", db->where);
		goto out;
	}
	*out = &db->base;
	db = NULL;
out:
	if (db != NULL)
		pg_close(&db->base);
	return rc;
}
