/*
 * audit: append-only audit log in SQLite (see the header).
 */
#include "store/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int
audit_add(struct db *db, struct err *e, const char *actor, const char *action,
          const char *target, const char *fmt, ...)
{
	char detail[1024];
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	rc = db_prepare(db, &st,
	                "INSERT INTO audit_log(at, actor, action, target, "
	                "detail) VALUES(?, ?, ?, ?, ?)",
	                e);
	if (rc != SL_OK)
		return err_prefix(e, "audit");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
	if (fmt != NULL)
		sqlite3_bind_text(st, 5, detail, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 5);
	rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : db_error(db, e, "audit");
	sqlite3_finalize(st);
	return rc;
}

int
audit_actor(char out[AUDIT_ACTOR_MAX], struct db *db, int64_t admin_id,
            struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(out, AUDIT_ACTOR_MAX, "token #%lld", (long long)admin_id);
	rc = db_prepare(db, &st, "SELECT name FROM admin_tokens WHERE id = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, admin_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, AUDIT_ACTOR_MAX, "%s",
		         (const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE
	             ? SL_OK
	             : db_error(db, e, "audit actor");
	sqlite3_finalize(st);
	return rc;
}
