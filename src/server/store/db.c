/*
 * db: the engine-independent side of db.h. db_open() picks the engine from
 * the target; every other call goes through the connection's ops table
 * (db_engine.h).
 */
#include "db_engine.h"

#include <stdio.h>
#include <string.h>

bool
db_target_is_postgres(const char *target)
{
	return target != NULL && (strncmp(target, "postgresql://", 13) == 0 ||
	                          strncmp(target, "postgres://", 11) == 0);
}

int
db_open(struct db **out, const char *target, struct err *e)
{
	if (target == NULL || *target == '\0')
		return err_set(e, SL_EINVAL, "database: no target given");
	if (db_target_is_postgres(target))
		return db_pg_open(out, target, e);
	return db_sqlite_open(out, target, e);
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

enum db_engine_kind
db_engine(const struct db *db)
{
	return db->ops->kind;
}

int
db_stmt(struct db *db, struct db_stmt **out, const char *sql, struct err *e)
{
	return db->ops->stmt(db, out, sql, e);
}

int
db_bind_int(struct db_stmt *st, int idx, int64_t v, struct err *e)
{
	return st->ops->bind_int(st, idx, v, e);
}

int
db_bind_text(struct db_stmt *st, int idx, const char *s, struct err *e)
{
	return st->ops->bind_text(st, idx, s, e);
}

int
db_bind_text_ref(struct db_stmt *st, int idx, const char *s, struct err *e)
{
	if (st->ops->bind_text_ref != NULL)
		return st->ops->bind_text_ref(st, idx, s, e);
	return st->ops->bind_text(st, idx, s, e);
}

int
db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n,
             struct err *e)
{
	return st->ops->bind_blob(st, idx, p, n, e);
}

int
db_bind_null(struct db_stmt *st, int idx, struct err *e)
{
	return st->ops->bind_null(st, idx, e);
}

int
db_step(struct db_stmt *st, struct err *e)
{
	return st->ops->step(st, e);
}

bool
db_col_null(struct db_stmt *st, int col)
{
	return st->ops->col_null(st, col);
}

int64_t
db_col_int(struct db_stmt *st, int col)
{
	return st->ops->col_int(st, col);
}

const char *
db_col_text(struct db_stmt *st, int col)
{
	return st->ops->col_text(st, col);
}

const void *
db_col_blob(struct db_stmt *st, int col, size_t *n)
{
	return st->ops->col_blob(st, col, n);
}

int64_t
db_changes(struct db_stmt *st)
{
	return st->ops->changes(st);
}

void
db_done(struct db_stmt *st)
{
	if (st != NULL)
		st->ops->done(st);
}

int
db_exec(struct db *db, const char *sql, struct err *e)
{
	return db->ops->exec(db, sql, e);
}

int
db_begin(struct db *db, struct err *e)
{
	return db->ops->begin(db, e);
}

int
db_commit(struct db *db, struct err *e)
{
	return db->ops->commit(db, e);
}

void
db_rollback(struct db *db)
{
	if (db != NULL)
		db->ops->rollback(db);
}

int
db_schema_version(struct db *db, int *out, struct err *e)
{
	return db->ops->schema_version(db, out, e);
}

int
db_migrate_run(struct db *db, const char *const *list, size_t n,
               const char *lock_sql, struct err *e)
{
	char sql[128];
	int version, rc;

	rc = db_begin(db, e);
	if (rc != SL_OK)
		return err_prefix(e, "migrate");
	if (lock_sql != NULL)
		rc = db_exec(db, lock_sql, e);
	if (rc == SL_OK)
		rc = db_schema_version(db, &version, e);
	if (rc != SL_OK)
		goto out;
	if (version > (int)n) {
		rc = err_set(e, SL_EDB,
		             "database schema version %d is newer than this "
		             "server (%d)",
		             version, (int)n);
		goto out;
	}
	for (int v = version; v < (int)n; v++) {
		rc = db_exec(db, list[v], e);
		if (rc != SL_OK) {
			err_prefix(e, "migration %d", v + 1);
			goto out;
		}
		snprintf(sql, sizeof(sql),
		         "INSERT INTO meta(key, value) "
		         "VALUES('schema_version', '%d') ON CONFLICT (key) "
		         "DO UPDATE SET value = excluded.value",
		         v + 1);
		rc = db_exec(db, sql, e);
		if (rc != SL_OK)
			goto out;
	}
	rc = db_commit(db, e);
out:
	if (rc != SL_OK) {
		db_rollback(db);
		err_prefix(e, "migrate");
	}
	return rc;
}
