/*
 * store_audit: the append-only audit log (store.h, "Audit").
 */
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
store_audit_add(struct store *s, struct err *e, const char *actor,
                const char *action, const char *target, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	int rc;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	rc = store_q_run(s, NULL, e,
	                 "INSERT INTO audit_log(at, actor, action, target, "
	                 "detail) VALUES($1, $2, $3, $4, $5)",
	                 "itttt", (int64_t)time(NULL), actor, action, target,
	                 fmt != NULL ? detail : NULL);
	return rc != SL_OK ? err_prefix(e, "audit") : SL_OK;
}

int
store_audit_actor(char out[STORE_ACTOR_MAX], struct store *s, int64_t admin_id,
                  struct err *e)
{
	struct db_stmt *st;
	int rc;

	snprintf(out, STORE_ACTOR_MAX, "token #%lld", (long long)admin_id);
	rc = store_q(s, &st, e, "SELECT name FROM admin_tokens WHERE id = $1",
	             "i", admin_id);
	if (rc != SL_OK)
		return err_prefix(e, "audit actor");
	rc = db_step(st, e);
	if (rc == DB_ROW && db_col_text(st, 0) != NULL)
		snprintf(out, STORE_ACTOR_MAX, "%s", db_col_text(st, 0));
	db_done(st);
	return rc < 0 ? err_prefix(e, "audit actor") : SL_OK;
}

static json_t *
audit_row(struct db_stmt *st)
{
	return json_pack("{s:I,s:o,s:s,s:s,s:o,s:o}", "id",
	                 (json_int_t)db_col_int(st, 0), "time",
	                 store_col_time(st, 1), "actor", db_col_text(st, 2),
	                 "action", db_col_text(st, 3), "target",
	                 store_col_text(st, 4), "detail",
	                 store_col_text(st, 5));
}

int
store_audit_list(json_t *arr, struct store *s, const char *actor,
                 const char *action_prefix, int64_t limit, struct err *e)
{
	struct db_stmt *st;
	char *pat = NULL;
	int rc;

	if (action_prefix != NULL &&
	    (rc = store_like_prefix(&pat, action_prefix, e)) != SL_OK)
		return err_prefix(e, "audit: action");
	rc = store_q(s, &st, e,
	             "SELECT id, at, actor, action, target, detail FROM "
	             "audit_log WHERE (CAST($1 AS TEXT) IS NULL OR actor = $1) "
	             "AND (CAST($2 AS TEXT) IS NULL OR action LIKE "
	             "$2" STORE_LIKE_ESCAPE ") ORDER BY id DESC LIMIT $3",
	             "tti", actor, pat, limit);
	if (rc != SL_OK) {
		free(pat);
		return err_prefix(e, "audit");
	}
	rc = store_q_collect(arr, st, audit_row, e);
	db_done(st);
	free(pat);
	return rc != SL_OK ? err_prefix(e, "audit") : SL_OK;
}
