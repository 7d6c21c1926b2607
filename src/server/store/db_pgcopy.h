/*
 * db_pgcopy: rows of an SQLite statement streamed into a PostgreSQL table
 * with COPY ... FROM STDIN (text format), for db_migrate. One round trip
 * per megabyte instead of one per row; values keep every byte:
 *   - NULL as \N; integers in decimal (the full 64-bit range); reals as
 *     SQLite prints them (15 significant digits, as before);
 *   - text byte for byte, with backslash, tab, newline and carriage
 *     return escaped as COPY's text format wants (non-ASCII passes as is;
 *     PostgreSQL checks it is UTF-8);
 *   - any value bound for a bytea column as \x and the hex of its bytes
 *     (blobs keep NUL bytes; a text value keeps its bytes).
 * A blob bound for a text column travels as its bytes, so PostgreSQL
 * refuses one with a NUL byte or invalid UTF-8 instead of losing it.
 */
#ifndef SLUICE_SERVER_STORE_DB_PGCOPY_H
#define SLUICE_SERVER_STORE_DB_PGCOPY_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "buf.h"
#include "err.h"

/* Append the current row of st (columns 0..ncols-1) to out as one line
 * of COPY text format; bytea[i] says column i goes to a bytea column.
 * SL_ETOOBIG past out's cap, SL_ENOMEM. */
int pgcopy_row(struct buf *out, sqlite3_stmt *st, const bool *bytea, int ncols,
               struct err *e);

/* Run copy_sql (a COPY ... FROM STDIN) on dst, which must be idle, and
 * send it every row st yields (stepped to the end); *rows receives how
 * many PostgreSQL stored (the command tag). On an error the COPY is
 * ended with that error (nothing of it stays) and the message says
 * which row: SL_EDB for the source or the target, SL_EUNAVAILABLE when
 * the connection is lost. */
int pgcopy_table(int64_t *rows, PGconn *dst, const char *copy_sql,
                 sqlite3_stmt *st, const bool *bytea, int ncols, struct err *e);

/* Set e to code and "what: msg" (or msg alone when what is NULL) on one
 * line: libpq's messages (ERROR, DETAIL, CONTEXT lines) end in newlines.
 * Returns code. */
int pgcopy_error(struct err *e, int code, const char *what, const char *msg);

#endif
