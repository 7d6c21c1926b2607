/*
 * db_pgcopy: SQLite rows into PostgreSQL by COPY FROM STDIN (db_pgcopy.h).
 * Rows gather in a buffer sent with PQputCopyData once it holds
 * PGCOPY_FLUSH bytes; a row may be larger (a big update document) up to
 * PGCOPY_ROW_MAX, PostgreSQL's own limit for one value.
 */
#include "db_pgcopy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PGCOPY_FLUSH   (1024 * 1024)
#define PGCOPY_ROW_MAX ((size_t)1024 * 1024 * 1024)

/* Text with COPY's four special bytes escaped. */
static int
put_text(struct buf *out, const unsigned char *s, size_t n, struct err *e)
{
	size_t i, run = 0;
	int rc = SL_OK;

	for (i = 0; i < n && rc == SL_OK; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		rc = buf_append(out, s + run, i - run, e);
		if (rc == SL_OK)
			rc = buf_append(out, esc, 2, e);
		run = i + 1;
	}
	if (rc == SL_OK)
		rc = buf_append(out, s + run, n - run, e);
	return rc;
}

/* bytea's hex input, its backslash escaped for COPY: \\x0a1b... */
static int
put_hex(struct buf *out, const unsigned char *s, size_t n, struct err *e)
{
	static const char digits[] = "0123456789abcdef";
	char chunk[4096];
	size_t i, k = 0;
	int rc = buf_append(out, "\\\\x", 3, e);

	for (i = 0; i < n && rc == SL_OK; i++) {
		chunk[k++] = digits[s[i] >> 4];
		chunk[k++] = digits[s[i] & 15];
		if (k == sizeof(chunk)) {
			rc = buf_append(out, chunk, k, e);
			k = 0;
		}
	}
	if (rc == SL_OK)
		rc = buf_append(out, chunk, k, e);
	return rc;
}

int
pgcopy_row(struct buf *out, sqlite3_stmt *st, const bool *bytea, int ncols,
           struct err *e)
{
	char num[32];
	int i, n, rc = SL_OK;

	for (i = 0; i < ncols && rc == SL_OK; i++) {
		const unsigned char *p;

		if (i > 0)
			rc = buf_append(out, "\t", 1, e);
		if (rc != SL_OK)
			break;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			rc = buf_append(out, "\\N", 2, e);
			break;
		case SQLITE_INTEGER:
			n = snprintf(num, sizeof(num), "%" PRId64,
			             (int64_t)sqlite3_column_int64(st, i));
			rc = bytea[i] ? put_hex(out, (unsigned char *)num,
			                        (size_t)n, e)
			              : buf_append(out, num, (size_t)n, e);
			break;
		case SQLITE_BLOB:
			p = sqlite3_column_blob(st, i);
			n = sqlite3_column_bytes(st, i);
			rc = bytea[i] ? put_hex(out, p, (size_t)n, e)
			              : put_text(out, p, (size_t)n, e);
			break;
		default: /* text, and reals as SQLite prints them */
			p = sqlite3_column_text(st, i);
			n = sqlite3_column_bytes(st, i);
			if (p == NULL)
				return err_set(e, SL_ENOMEM, "out of memory");
			rc = bytea[i] ? put_hex(out, p, (size_t)n, e)
			              : put_text(out, p, (size_t)n, e);
			break;
		}
	}
	if (rc == SL_OK)
		rc = buf_append(out, "\n", 1, e);
	return rc;
}

int
pgcopy_error(struct err *e, int code, const char *what, const char *msg)
{
	size_t i, n;

	if (what != NULL)
		err_set(e, code, "%s: %s", what, msg);
	else
		err_set(e, code, "%s", msg);
	n = strlen(e->msg);
	while (n > 0 && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
		e->msg[--n] = '\0';
	for (i = 0; i < n; i++)
		if (e->msg[i] == '\n' || e->msg[i] == '\t')
			e->msg[i] = ' ';
	return code;
}

/* SL_EDB with msg, or SL_EUNAVAILABLE once the connection is lost. */
static int
conn_error(struct err *e, PGconn *dst, const char *msg)
{
	return pgcopy_error(
	        e, PQstatus(dst) == CONNECTION_OK ? SL_EDB : SL_EUNAVAILABLE,
	        NULL, msg);
}

/* The COPY's result once it has ended: SL_OK with the command tag's
 * count, or the server's error. */
static int
copy_result(int64_t *rows, PGconn *dst, struct err *e)
{
	PGresult *r;
	int rc = SL_OK;

	while ((r = PQgetResult(dst)) != NULL) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			*rows = strtoll(PQcmdTuples(r), NULL, 10);
		} else if (rc == SL_OK) {
			rc = conn_error(e, dst, PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	return rc;
}

static int
flush_rows(PGconn *dst, struct buf *b, struct err *e)
{
	if (b->len > 0 && PQputCopyData(dst, b->data, (int)b->len) != 1)
		return pgcopy_error(e, SL_EUNAVAILABLE, "sending rows",
		                    PQerrorMessage(dst));
	buf_reset(b);
	return SL_OK;
}

int
pgcopy_table(int64_t *rows, PGconn *dst, const char *copy_sql, sqlite3_stmt *st,
             const bool *bytea, int ncols, struct err *e)
{
	struct buf b;
	PGresult *r;
	int64_t n = 0, stored = -1;
	int rc = SL_OK, step;
	bool lost = false; /* sending failed: the server's error says why */
	struct err end;

	buf_init(&b, PGCOPY_FLUSH + PGCOPY_ROW_MAX);
	r = PQexec(dst, copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		rc = conn_error(e, dst, PQerrorMessage(dst));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t before = b.len;

		rc = pgcopy_row(&b, st, bytea, ncols, e);
		if (rc == SL_OK && b.len - before > PGCOPY_ROW_MAX)
			rc = err_set(e, SL_ETOOBIG, "over %zu bytes",
			             PGCOPY_ROW_MAX);
		if (rc == SL_OK && b.len >= PGCOPY_FLUSH)
			lost = (rc = flush_rows(dst, &b, e)) != SL_OK;
		if (rc != SL_OK) {
			err_prefix(e, "row %" PRId64, n + 1);
			break;
		}
		n++;
	}
	if (rc == SL_OK && step != SQLITE_DONE)
		rc = err_set(e, SL_EDB, "source row %" PRId64 ": %s", n + 1,
		             sqlite3_errmsg(sqlite3_db_handle(st)));
	if (rc == SL_OK)
		lost = (rc = flush_rows(dst, &b, e)) != SL_OK;
	/* Ended with an error, the COPY stores nothing. When the server
	 * stopped it (a bad value, with its line and column), its error says
	 * more than libpq's on the next send. */
	err_clear(&end);
	if (PQputCopyEnd(dst, rc == SL_OK ? NULL : "migration aborted") != 1 &&
	    rc == SL_OK) {
		rc = pgcopy_error(e, SL_EUNAVAILABLE, "ending the copy",
		                  PQerrorMessage(dst));
		lost = true;
	}
	if (copy_result(&stored, dst, &end) != SL_OK && end.msg[0] != '\0' &&
	    (rc == SL_OK || lost))
		rc = err_set(e, end.code, "%s", end.msg);
	if (rc == SL_OK && stored != n)
		rc = err_set(e, SL_EINTERNAL,
		             "%" PRId64 " rows sent, %" PRId64 " stored", n,
		             stored);
	if (rc == SL_OK)
		*rows = n;
out:
	buf_free(&b);
	return rc;
}
