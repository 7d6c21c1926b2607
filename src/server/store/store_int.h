/*
 * store_int: what the store_*.c files share (never included outside
 * src/server/store/): the struct store itself and short forms for
 * preparing, binding and running a statement of db.h.
 *
 * Argument formats (one letter per $N, in order from $1):
 *   'i' int64_t, 'd' int, 't' const char * (NULL binds SQL NULL),
 *   'n' SQL NULL (no argument), 'j' const int64_t * (NULL binds NULL).
 */
#ifndef SLUICE_SERVER_STORE_STORE_INT_H
#define SLUICE_SERVER_STORE_STORE_INT_H

#include <stdarg.h>
#include <time.h>

#include <jansson.h>

#include "db.h"
#include "store.h"

struct store {
	struct db *db;
	bool in_txn;  /* between store_begin*() and commit/rollback */
	bool changed; /* the transaction took a change sequence number */
};

/* The CLOCK_REALTIME time ms milliseconds from now, for
 * pthread_cond_timedwait() (the store's background threads). */
void store_deadline(struct timespec *out, int ms);

/* The cached statement for sql with its parameters bound: step it with
 * db_step() and release it with db_done() (also on error paths once this
 * returned SL_OK). */
int store_q(struct store *s, struct db_stmt **out, struct err *e,
            const char *sql, const char *fmt, ...);
int store_qv(struct store *s, struct db_stmt **out, struct err *e,
             const char *sql, const char *fmt, va_list ap);

/* Run a statement that returns no rows; *changes (may be NULL) receives
 * the rows it changed. */
int store_q_run(struct store *s, int64_t *changes, struct err *e,
                const char *sql, const char *fmt, ...);

/* The integer in column 0 of the first row: DB_ROW (found), DB_DONE (no
 * row, *out untouched) or a negative status. */
int store_q_int(struct store *s, int64_t *out, struct err *e, const char *sql,
                const char *fmt, ...);

/* Step st to its end, appending row(st) to arr for each row. */
int store_q_collect(json_t *arr, struct db_stmt *st,
                    json_t *(*row)(struct db_stmt *st), struct err *e);

/* A new {state: 0} object of every state ("installed_pending_reboot",
 * "not_applicable": '-' becomes '_') and no_status; NULL when out of
 * memory. store_counts_add: counts[state] += n. */
json_t *store_counts_new(void);
void store_counts_add(json_t *counts, const char *state, json_int_t n);

/* A computer's status from its row C (an alias of computers): failed
 * (some state failed), needed (some needed or downloaded: state_mask bits
 * 1 << 5, 1 << 1 and 1 << 2, db_states.h), no_status (never reported) or
 * up_to_date. */
#define STORE_COMPUTER_STATUS(C)                                               \
	"CASE WHEN (" C ".state_mask & 32) <> 0 THEN 'failed' WHEN (" C        \
	".state_mask & 6) <> 0 THEN 'needed' WHEN " C ".last_report IS "       \
	"NULL THEN 'no_status' ELSE 'up_to_date' END"

/* Column helpers for building JSON: RFC 3339 text of a Unix time or null;
 * text or null. */
json_t *store_col_time(struct db_stmt *st, int col);
json_t *store_col_text(struct db_stmt *st, int col);

/* effective_approvals (store_effective.c): rewrite the rows of group
 * gid and its descendants for update_id (NULL: every update). Every
 * change of approvals, approval_removals or groups.parent_id calls it
 * in the same transaction; with an update_id, after writing gid's own
 * approval or removal mark of it (rows are then only added or changed). */
int store_effective_refresh(struct store *s, int64_t gid, const char *update_id,
                            struct err *e);

/* Statements that write or read many rows at once: one's text with its
 * row repeated rows times (rows >= 1), into out (cap bytes). The row
 * begins where the first `open` of one ends: a "(" there starts a tuple
 * that runs to its matching ")" (VALUES), anything else runs up to the
 * ")" closing the list it is in (IN). Repeats are joined by ", "; in the
 * r-th (from 0), every $N with N >= first becomes $(N + r * per_row),
 * and a lower $N (a parameter all rows share) stays. Returns 0, or -1
 * when open is not in one, the row is not closed, or out is too small. */
int store_sql_rows(char *out, size_t cap, const char *one, const char *open,
                   int rows, int first, int per_row);

/* A LIKE pattern matching text that starts with prefix literally: '%',
 * '_' and backslash are escaped with a backslash, for use as
 * "col LIKE $N" STORE_LIKE_ESCAPE (the same on both engines); user text
 * must never reach a LIKE any other way. Free *out with free(). */
#define STORE_LIKE_MAX    4096
#define STORE_LIKE_ESCAPE " ESCAPE '\\'"
int store_like_prefix(char **out, const char *prefix, struct err *e);

/* SQL: the latest revision u (an alias of updates) has no license terms,
 * or terms the administrator accepted, for it or for another revision with
 * the same terms (WSUS: only approved updates whose license agreement has
 * been accepted are sent to clients). */
#define STORE_LICENSE_OK(u)                                                    \
	"(" u ".eula_sha256 IS NULL OR EXISTS (SELECT 1 FROM "                 \
	"license_acceptances la JOIN updates ua ON ua.id = la.update_id AND "  \
	"ua.revision = la.revision WHERE la.update_id = " u ".id AND "         \
	"(la.revision = " u ".revision OR ua.eula_sha256 = " u                 \
	".eula_sha256)))"

/* Update states (store_states.c). State codes as stored: the index of the
 * agent's state name, -1 for none; the name of a code (NULL if none). */
enum { STORE_NOT_APPLICABLE = 0, STORE_STATES = 6 };
int store_state_code(const char *state);
const char *store_state_name(int code);
/* The stored value v of st: state code + 8 with a detail + 16 *
 * revision; SL_EINVAL ("state: unknown state 'x'", "state: revision:
 * expected a non-negative integer"). */
int store_state_value(int64_t *v, const struct store_state *st, struct err *e);
/* Insert or replace the state st of computer_id reported at *reported
 * (not kept for not-applicable); nothing for an update the server does
 * not hold. */
int store_state_put(struct store *s, const char *computer_id,
                    const struct store_state *st, const int64_t *reported,
                    struct err *e);
/* Delete every state of computer_id (the counters follow). */
int store_states_clear(struct store *s, const char *computer_id, struct err *e);
/* PostgreSQL: write the values vs[i] of updates ukeys[i] (each key once)
 * of computer ckey into its pages of state_pages, in one statement; a
 * slot's time is *t, none for not-applicable or when t is NULL. */
int store_states_pg_put(struct store *s, int64_t ckey, const int64_t *ukeys,
                        const int64_t *vs, size_t n, const int64_t *t,
                        struct err *e);
/* Opens a statement that only SQLite runs (a write of the `states` table,
 * a view of state_pages in PostgreSQL): tests/pg/prepare_store_sql.py
 * leaves these out. */
#define STORE_SQLITE_ONLY "/* SQLite only */ "

#endif
