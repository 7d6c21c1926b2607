/*
 * db_pg: the PostgreSQL engine of db.h, through libpq: the connection,
 * transactions, errors and db_pg_open() (statements: db_pg_stmt.c).
 *
 * One struct pg_db is one libpq connection (UTF-8, keepalives, a 10 s
 * connect timeout unless the URL says otherwise). Opening checks the
 * server version and migrates (db_pg_schema.c). Errors map from SQLSTATE:
 * 23505 SL_EEXISTS, other 23xxx SL_ECONFLICT, 40001/40P01 (serialization,
 * deadlock: retry) and lost connections SL_EUNAVAILABLE, the rest SL_EDB
 * with the server's primary message.
 *
 * A lost connection (server shutdown, network, 08xxx) makes every call
 * answer SL_EUNAVAILABLE until the next db_stmt(), db_exec() or db_begin()
 * reconnects with PQreset(); statements are then prepared again lazily. A
 * connection lost inside a transaction is only reconnected after
 * db_rollback(), so the rest of a broken transaction never runs in
 * autocommit. Messages name the database by its URL without password or
 * query parameters.
 */
#include "db_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pg_schema.h"

#define PG_MIN_SERVER 100000 /* identity columns need PostgreSQL 10 */

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

int
pg_set_unavailable(struct pg_db *db, struct err *e, const char *msg)
{
	char line[512];

	return err_set(e, SL_EUNAVAILABLE, "database %s unavailable: %s",
	               db->where, first_line(msg, line, sizeof(line)));
}

void
pg_note_tx(struct pg_db *db)
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
int
pg_result_error(struct pg_db *db, const PGresult *res, struct err *e)
{
	const char *state =
	        res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	        res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	/* 08xxx connection exceptions; 57P0x: the server shut down, the
	 * database was dropped, the session timed out. */
	if (PQstatus(db->conn) != CONNECTION_OK ||
	    (state != NULL && (strncmp(state, "08", 2) == 0 ||
	                       strncmp(state, "57P0", 4) == 0))) {
		db->broken = true;
		return pg_set_unavailable(db, e,
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
	/* Serialization failure, deadlock, lock wait past lock_timeout. */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return err_set(e, SL_EUNAVAILABLE, "%s (retry)", msg);
	return err_set(e, SL_EDB, "%s", msg);
}

/* ---- connection ---- */

static int conn_exec(struct pg_db *db, PGresult **out, const char *sql,
                     struct err *e);

/* Session settings, after every (re)connection: a lock waited for past
 * 5 s answers SL_EUNAVAILABLE as SQLite's busy timeout does, unless the
 * URL, role or database sets lock_timeout itself. */
static int
conn_setup(struct pg_db *db, struct err *e)
{
	const char *enc = PQparameterStatus(db->conn, "server_encoding");

	if (enc != NULL && strcmp(enc, "UTF8") != 0 &&
	    strcmp(enc, "SQL_ASCII") != 0)
		return err_set(e, SL_EUNSUPPORTED,
		               "database %s has encoding %s: sluiced needs "
		               "UTF8 (CREATE DATABASE ... ENCODING 'UTF8')",
		               db->where, enc);
	return conn_exec(db, NULL,
	                 "SELECT set_config('lock_timeout', '5s', false) "
	                 "WHERE current_setting('lock_timeout') = '0'",
	                 e);
}

/* Reconnect a lost connection (not inside a lost transaction). */
int
pg_conn_ready(struct pg_db *db, struct err *e)
{
	/* A server that closed the idle connection (restart, shutdown, idle
	 * timeout) left its error and end-of-file in the socket: read them
	 * before sending anything, so that case reconnects here and the
	 * caller sees no error at all once the server is back. */
	if (!db->broken && db->active == NULL) {
		/* Read, parse (the error goes to the notice hook), read the
		 * end-of-file that follows. */
		for (int i = 0; i < 2 && PQconsumeInput(db->conn); i++)
			(void)PQisBusy(db->conn);
		if (PQstatus(db->conn) != CONNECTION_OK)
			db->broken = true;
	}
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
		return pg_set_unavailable(db, e, PQerrorMessage(db->conn));
	db->broken = false;
	db->gen++;
	return conn_setup(db, e);
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
		return pg_set_unavailable(db, e, "connection lost");
	pg_release_active(db, true);
	r = PQexec(db->conn, sql);
	s = PQresultStatus(r);
	if (r == NULL || (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK &&
	                  s != PGRES_EMPTY_QUERY))
		rc = pg_result_error(db, r, e);
	pg_note_tx(db);
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
	int rc = pg_conn_ready(db, e);

	return rc != SL_OK ? rc : conn_exec(db, NULL, sql, e);
}

static int
pg_begin(struct db *base, struct err *e)
{
	struct pg_db *db = (struct pg_db *)base;
	int rc = pg_conn_ready(db, e);

	if (rc != SL_OK)
		return err_prefix(e, "begin");
	if (db->in_tx)
		return err_set(e, SL_EDB,
		               "begin: a transaction is already open");
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
		return pg_set_unavailable(db, e, "connection lost");
	pg_release_active(db, true);
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
	pg_release_active(db, false);
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

static void
pg_close(struct db *base)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_stmt *st, *next;

	for (size_t i = 0; i < PG_BUCKETS; i++)
		for (st = db->buckets[i]; st != NULL; st = next) {
			next = st->next;
			pg_stmt_free(st);
		}
	PQfinish(db->conn);
	free(db->where);
	free(db);
}

const struct db_engine_ops pg_ops = {
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
	                                   "client_encoding",
	                                   "keepalives_idle",
	                                   "keepalives_interval",
	                                   "keepalives_count",
	                                   "dbname",
	                                   NULL};
	/* A dead peer is noticed in about two minutes, not hours. */
	const char *vals[] = {"10", "sluiced", "UTF8", "60",
	                      "10", "6",       url,    NULL};
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
		rc = pg_set_unavailable(db, e, PQerrorMessage(db->conn));
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
	rc = conn_setup(db, e);
	if (rc == SL_OK)
		rc = db_pg_migrate(&db->base, e);
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
