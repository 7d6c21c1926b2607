/*
 * store_ops: what operators ask of the database rather than of the
 * update model: the figures /metrics and /readyz show (store.h,
 * "Operations") and the online backup of an SQLite database.
 */
#include "store_int.h"
#include "db_engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

/* The status of an aggregate read with store_q_int (its one row always
 * exists): SL_OK, or the read's error. */
static int
aggregate(int rc, struct err *e)
{
	if (rc == DB_ROW)
		return SL_OK;
	return rc == DB_DONE ? err_set(e, SL_EDB, "aggregate: no row") : rc;
}
#define count(s, out, e, ...)                                                  \
	aggregate(store_q_int((s), (out), (e), __VA_ARGS__), (e))

static int
content_stats(struct store *s, struct store_stats *out, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT state, count(*), coalesce(sum(size), 0) FROM "
	             "content GROUP BY state",
	             NULL);
	if (rc != SL_OK)
		return rc;
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *state = db_col_text(st, 0);
		int i = -1;
		if (state == NULL)
			continue;
		if (strcmp(state, "wanted") == 0)
			i = STORE_CONTENT_WANTED;
		else if (strcmp(state, "failed") == 0)
			i = STORE_CONTENT_FAILED;
		else if (strcmp(state, "present") == 0)
			i = STORE_CONTENT_PRESENT;
		if (i < 0)
			continue;
		out->content_files[i] = db_col_int(st, 1);
		out->content_bytes[i] = db_col_int(st, 2);
	}
	db_done(st);
	return rc == DB_DONE ? SL_OK : rc;
}

int
store_stats(struct store *s, struct store_stats *out, int64_t now,
            struct err *e)
{
	static const int64_t ages[STORE_CONTACT_AGES] = {3600, 86400,
	                                                 7 * 86400};
	struct store_stats st = {0};
	int64_t n;
	int rc;

	rc = count(s, &st.events, e, "SELECT count(*) FROM events", NULL);
	if (rc == SL_OK)
		rc = count(
		        s, &st.computers, e,
		        "SELECT count(*) FROM computers WHERE server IS NULL",
		        NULL);
	for (int i = 0; rc == SL_OK && i < STORE_CONTACT_AGES; i++) {
		rc = count(
		        s, &n, e,
		        "SELECT count(*) FROM computers WHERE server IS NULL "
		        "AND last_contact >= $1",
		        "i", now - ages[i]);
		st.contact_within[i] = n;
		st.contact_age_s[i] = ages[i];
	}
	if (rc == SL_OK)
		rc = count(s, &st.syncs_ok, e,
		           "SELECT count(*) FROM sync_history WHERE result = "
		           "'success'",
		           NULL);
	if (rc == SL_OK)
		rc = count(s, &st.syncs_failed, e,
		           "SELECT count(*) FROM sync_history WHERE result = "
		           "'failure'",
		           NULL);
	if (rc == SL_OK)
		rc = count(s, &st.last_sync_success, e,
		           "SELECT coalesce(max(finished_at), 0) FROM "
		           "sync_history WHERE result = 'success'",
		           NULL);
	if (rc == SL_OK)
		rc = content_stats(s, &st, e);
	st.db_bytes = -1;
	if (rc == SL_OK && db_engine(s->db) == DB_POSTGRES)
		rc = count(s, &st.db_bytes, e,
		           "SELECT pg_database_size(current_database())", NULL);
	if (rc != SL_OK)
		return err_prefix(e, "statistics");
	*out = st;
	return SL_OK;
}

int
store_last_sync_success(struct store *s, int64_t *out, struct err *e)
{
	int rc = count(s, out, e,
	               "SELECT coalesce(max(finished_at), 0) FROM "
	               "sync_history WHERE result = 'success'",
	               NULL);

	return rc != SL_OK ? err_prefix(e, "sync history") : SL_OK;
}

/* Copy with SQLite's online backup API: pages are copied in steps, and a
 * step that finds the source changed by another connection restarts, so
 * the copy is one consistent state of the database while the server keeps
 * writing. */
static int
backup_copy(sqlite3 *src, sqlite3 *dst, struct err *e)
{
	sqlite3_backup *b;
	int rc;

	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL)
		return err_set(e, SL_EDB, "%s", sqlite3_errmsg(dst));
	do {
		rc = sqlite3_backup_step(b, 1024);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return err_set(e, SL_EDB, "%s", sqlite3_errstr(rc));
	return SL_OK;
}

int
store_backup(const char *target, const char *dest, struct err *e)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_stmt *st = NULL;
	char tmp[4200];
	struct stat sb;
	int rc, n;

	if (db_target_is_postgres(target))
		return err_set(e, SL_EUNSUPPORTED,
		               "backup: the database is PostgreSQL: use "
		               "pg_dump (docs/deploy.md)");
	if (stat(target, &sb) != 0)
		return err_set(e, SL_EIO, "backup: %s: %s", target,
		               strerror(errno));
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(e, SL_ETOOBIG, "backup: %s: path too long",
		               dest);
	unlink(tmp);
	if (sqlite3_open_v2(target, &src, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		rc = err_set(e, SL_EDB, "backup: %s: %s", target,
		             src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, 10000);
	if (sqlite3_open_v2(tmp, &dst,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		rc = err_set(e, SL_EIO, "backup: %s: %s", tmp,
		             dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((rc = backup_copy(src, dst, e)) != SL_OK) {
		err_prefix(e, "backup: %s", target);
		goto out;
	}
	/* The copy must be whole before it takes the name. */
	if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) !=
	            SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		rc = err_set(e, SL_EDB, "backup: %s: the copy does not check",
		             tmp);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_close(dst) != SQLITE_OK) {
		dst = NULL;
		rc = err_set(e, SL_EIO, "backup: %s: close failed", tmp);
		goto out;
	}
	dst = NULL;
	if (rename(tmp, dest) != 0) {
		rc = err_set(e, SL_EIO, "backup: %s: %s", dest,
		             strerror(errno));
		goto out;
	}
	rc = SL_OK;
out:
	sqlite3_finalize(st);
	if (dst != NULL)
		sqlite3_close(dst);
	if (src != NULL)
		sqlite3_close(src);
	if (rc != SL_OK)
		unlink(tmp);
	return rc;
}

int
store_schema_wanted(void)
{
	return DB_SCHEMA_VERSION;
}
