/*
 * db_pg: the private side of the PostgreSQL engine, shared by db_pg.c
 * (connection, transactions, errors, open) and db_pg_stmt.c (prepared
 * statements and their results). Only these two files include it.
 */
#ifndef SLUICE_SERVER_STORE_DB_PG_H
#define SLUICE_SERVER_STORE_DB_PG_H

#include <libpq-fe.h>

#include "db_engine.h"

#define PG_BUCKETS   128
#define PG_QUEUE_MAX 200000 /* rows buffered for a statement set aside */
#define PG_OID_BOOL  16
#define PG_OID_BYTEA 17

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
	bool overflow;         /* rows were dropped from queue */
	struct pg_blob *blobs; /* decoded bytea columns of row */
	int nblobs;
	int64_t changes;
};

struct pg_db {
	struct db base;
	PGconn *conn;
	char *where;            /* the URL without password, for messages */
	unsigned gen;           /* bumped on every (re)connection */
	unsigned serial;        /* statement names */
	bool broken;            /* the connection was lost */
	bool in_tx;             /* a transaction is open (or was, when lost) */
	struct pg_stmt *active; /* the statement streaming a result */
	struct pg_stmt *buckets[PG_BUCKETS];
};

extern const struct db_engine_ops pg_ops;

/* db_pg.c */

/* SL_EUNAVAILABLE naming the database (never its password) and the
 * first line of libpq's msg. */
int pg_set_unavailable(struct pg_db *db, struct err *e, const char *msg);
/* Record whether a transaction is open, or that the connection is lost. */
void pg_note_tx(struct pg_db *db);
/* The status of a failed result (res NULL: libpq itself failed) from its
 * SQLSTATE; marks the connection lost when it is. */
int pg_result_error(struct pg_db *db, const PGresult *res, struct err *e);
/* Reconnect a lost connection (SL_EUNAVAILABLE inside a lost
 * transaction, or when the server is still away). */
int pg_conn_ready(struct pg_db *db, struct err *e);

/* db_pg_stmt.c: the statement half of pg_ops. */

/* Free the connection of the statement streaming on it: keep the rest of
 * its result in its queue (keep) or drop it. */
void pg_release_active(struct pg_db *db, bool keep);
/* Finalize a cached statement (db_close). */
void pg_stmt_free(struct pg_stmt *st);
int pg_stmt(struct db *db, struct db_stmt **out, const char *sql,
            struct err *e);
int pg_bind_int(struct db_stmt *st, int idx, int64_t v, struct err *e);
int pg_bind_text(struct db_stmt *st, int idx, const char *s, struct err *e);
int pg_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n,
                 struct err *e);
int pg_bind_null(struct db_stmt *st, int idx, struct err *e);
int pg_step(struct db_stmt *st, struct err *e);
bool pg_col_null(struct db_stmt *st, int col);
int64_t pg_col_int(struct db_stmt *st, int col);
const char *pg_col_text(struct db_stmt *st, int col);
const void *pg_col_blob(struct db_stmt *st, int col, size_t *n);
int64_t pg_changes(struct db_stmt *st);
void pg_done(struct db_stmt *st);

#endif
