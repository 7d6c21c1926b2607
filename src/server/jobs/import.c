/*
 * import: the database writes shared by both kinds of sync (import.h).
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int
import_step_done(struct store *db, sqlite3_stmt *st, const char *what,
                 struct err *e)
{
	int rc =
	        sqlite3_step(st) == SQLITE_DONE ? SL_OK : db_error(db, e, what);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

bool
import_in_list(char *const *list, const char *s)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

void
import_stmts_free(struct import_stmts *s)
{
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->upd);
	sqlite3_finalize(s->file);
	sqlite3_finalize(s->status);
	sqlite3_finalize(s->expire);
	memset(s, 0, sizeof(*s));
}

int
import_stmts_prepare(struct import_stmts *s, struct store *db, struct err *e)
{
	int rc;

	if ((rc = db_prepare(db, &s->get,
	                     "SELECT latest_revision, expired, declined FROM "
	                     "update_status WHERE id = ?",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s->upd,
	                     "INSERT OR IGNORE INTO updates(id, revision, "
	                     "title, classification, product, kb_article, "
	                     "severity, release_date, document, doc_sha256, "
	                     "imported_at) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s->file,
	                     "INSERT OR IGNORE INTO update_files(update_id, "
	                     "revision, sha256, size, name, upstream_url) "
	                     "VALUES(?,?,?,?,?,?)",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s->status,
	                     "INSERT INTO update_status(id, latest_revision, "
	                     "change_seq) VALUES(?,?,?) ON CONFLICT(id) DO "
	                     "UPDATE SET latest_revision = "
	                     "excluded.latest_revision, change_seq = "
	                     "excluded.change_seq",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s->expire,
	                     "UPDATE update_status SET expired = 1, "
	                     "change_seq = ? WHERE id = ? AND expired = 0",
	                     e)) != SL_OK)
		return rc;
	return SL_OK;
}

int
import_status_get(struct import_status *out, struct store *db,
                  struct import_stmts *s, const char *id, struct err *e)
{
	sqlite3_stmt *st = s->get;
	int step;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	memset(out, 0, sizeof(*out));
	if (step == SQLITE_ROW) {
		out->known = true;
		out->revision = sqlite3_column_int64(st, 0);
		out->expired = sqlite3_column_int(st, 1) != 0;
		out->declined = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_error(db, e, "update status");
	return SL_OK;
}

int
import_update(struct store *db, struct import_stmts *s, const struct update *u,
              const char *text, size_t len, const char *sha256, long long now,
              import_url_fn url, void *arg, struct err *e)
{
	int64_t seq;
	int rc;

	sqlite3_bind_text(s->upd, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upd, 2, u->revision);
	sqlite3_bind_text(s->upd, 3, u->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 4, u->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 5, u->product, -1, SQLITE_STATIC);
	bind_opt(s->upd, 6, u->kb_article);
	bind_opt(s->upd, 7, u->severity);
	bind_opt(s->upd, 8, u->release_date);
	sqlite3_bind_text(s->upd, 9, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 10, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upd, 11, now);
	if ((rc = import_step_done(db, s->upd, "insert update", e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < u->n_files; i++) {
		const struct update_file *f = &u->files[i];
		char *abs = NULL;

		if ((rc = url(&abs, u, f, arg, e)) != SL_OK)
			return rc;
		sqlite3_bind_text(s->file, 1, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->file, 2, u->revision);
		sqlite3_bind_text(s->file, 3, f->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->file, 4, (sqlite3_int64)f->size);
		sqlite3_bind_text(s->file, 5, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->file, 6, abs, -1, SQLITE_TRANSIENT);
		free(abs);
		if ((rc = import_step_done(db, s->file, "insert update file",
		                           e)) != SL_OK)
			return rc;
	}
	if ((rc = store_seq_next(db, &seq, e)) != SL_OK)
		return rc;
	sqlite3_bind_text(s->status, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->status, 2, u->revision);
	sqlite3_bind_int64(s->status, 3, seq);
	return import_step_done(db, s->status, "update status", e);
}

int
import_expire(struct store *db, struct import_stmts *s, const char *id,
              bool *changed, struct err *e)
{
	int64_t seq;
	int rc;

	*changed = false;
	if ((rc = store_seq_next(db, &seq, e)) != SL_OK)
		return rc;
	sqlite3_bind_int64(s->expire, 1, seq);
	sqlite3_bind_text(s->expire, 2, id, -1, SQLITE_STATIC);
	if ((rc = import_step_done(db, s->expire, "expire update", e)) != SL_OK)
		return rc;
	*changed = sqlite3_changes(db_handle(db)) > 0;
	return SL_OK;
}

int
import_want_content(struct store *db, enum storage_mode mode, long long now,
                    unsigned *n, struct err *e)
{
#define WANT_SELECT                                                            \
	"INSERT OR IGNORE INTO content(sha256, size, upstream_url, "           \
	"state, updated_at) "                                                  \
	"SELECT f.sha256, f.size, f.upstream_url, 'wanted', ? "                \
	"FROM update_files f JOIN update_status s "                            \
	"ON s.id = f.update_id AND s.latest_revision = f.revision "            \
	"WHERE s.expired = 0 AND s.declined = 0"
	static const char full[] = WANT_SELECT;
	static const char install[] = WANT_SELECT
	        " AND EXISTS "
	        "(SELECT 1 FROM approvals a WHERE a.update_id = s.id "
	        "AND a.action IN ('install', 'uninstall'))";
#undef WANT_SELECT
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (mode == STORAGE_NONE)
		return SL_OK;
	rc = db_prepare(db, &st, mode == STORAGE_FULL ? full : install, e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_DONE)
		*n = (unsigned)sqlite3_changes(db_handle(db));
	else
		rc = db_error(db, e, "wanted content");
	sqlite3_finalize(st);
	return rc;
}

int
import_meta_int(struct store *db, const char *key, int64_t *out, struct err *e)
{
	char *v = NULL, *end;
	long long n;
	int rc;

	*out = 0;
	rc = store_meta_get(db, key, &v, e);
	if (rc == SL_ENOTFOUND) {
		err_clear(e);
		return SL_OK;
	}
	if (rc != SL_OK)
		return rc;
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || n < 0)
		rc = err_set(e, SL_EINTERNAL, "meta %s: not a number: %s", key,
		             v);
	else
		*out = n;
	free(v);
	return rc;
}

int
import_history_start(struct store *db, long long now, int64_t *id,
                     struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "INSERT INTO sync_history(started_at, result) "
	                "VALUES(?, 'running')",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	else
		rc = db_error(db, e, "sync history");
	sqlite3_finalize(st);
	return rc;
}

int
import_history_finish(struct store *db, const struct sync_result *r,
                      const int64_t *version, const char *err_msg,
                      struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "UPDATE sync_history SET finished_at = ?, result = ?, "
	                "new_count = ?, revised_count = ?, expired_count = ?, "
	                "index_version = ?, error = ? WHERE id = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, err_msg == NULL ? "success" : "failure", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)r->new_count);
	sqlite3_bind_int(st, 4, (int)r->revised_count);
	sqlite3_bind_int(st, 5, (int)r->expired_count);
	if (version != NULL)
		sqlite3_bind_int64(st, 6, *version);
	else
		sqlite3_bind_null(st, 6);
	bind_opt(st, 7, err_msg);
	sqlite3_bind_int64(st, 8, r->history_id);
	rc = import_step_done(db, st, "sync history", e);
	sqlite3_finalize(st);
	return rc;
}
