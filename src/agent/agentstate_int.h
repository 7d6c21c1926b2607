/*
 * agentstate_int: what agentstate.c and agentstate_view.c share (not part
 * of the module's interface).
 */
#ifndef SLUICE_AGENTSTATE_INT_H
#define SLUICE_AGENTSTATE_INT_H

#include <stdbool.h>

#include <sqlite3.h>

#include "agentstate.h"
#include "array.h"

/* Rows one query of the state database hands back at most. */
#define AS_ROWS_MAX 1000000

#define AS_CACHE 16

struct agentstate {
	sqlite3 *db;
	int depth;   /* transaction nesting */
	bool failed; /* something inside the open transaction failed */
	/* Prepared statements of the hot paths, by SQL text. */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[AS_CACHE];
};

int as_db_err(struct agentstate *s, struct err *e, const char *what);
int as_exec(struct agentstate *s, const char *sql, struct err *e);
int as_prep(struct agentstate *s, sqlite3_stmt **st, const char *sql,
            struct err *e);
/* Step a statement that returns no rows, then finalize it. */
int as_run(struct agentstate *s, sqlite3_stmt *st, struct err *e);
/* A prepared statement for sql from the cache (reset, bindings cleared),
 * or freshly prepared and cached. Release it with as_run_cached() or
 * as_release(), never sqlite3_finalize(). */
int as_prep_cached(struct agentstate *s, sqlite3_stmt **st, const char *sql,
                   struct err *e);
/* Step a cached statement that returns no rows, then release it. */
int as_run_cached(struct agentstate *s, sqlite3_stmt *st, struct err *e);
void as_release(struct agentstate *s, sqlite3_stmt *st);
void as_bind_text(sqlite3_stmt *st, int i, const char *v);
char *as_col_dup(sqlite3_stmt *st, int i);
void as_col_copy(char *dst, size_t n, sqlite3_stmt *st, int i);
int as_meta_get(struct agentstate *s, const char *key, char **out,
                struct err *e);
int as_meta_set(struct agentstate *s, const char *key, const char *value,
                struct err *e);
int as_tx_begin(struct agentstate *s, struct err *e);
int as_tx_end(struct agentstate *s, int rc, struct err *e);
int as_queue_state(struct agentstate *s, const struct as_state *x,
                   struct err *e);

#endif
