/*
 * store_updates: the catalog side of a sync (store.h, "Updates"): update
 * documents, their files and status, the content a storage mode wants, and
 * the sync history.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

int
store_update_status(struct store_update_status *out, struct store *s,
                    const char *id, struct err *e)
{
	struct db_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_q(s, &st, e,
	             "SELECT latest_revision, expired, declined FROM "
	             "update_status WHERE id = $1",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "update status");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		out->known = true;
		out->revision = db_col_int(st, 0);
		out->expired = db_col_int(st, 1) != 0;
		out->declined = db_col_int(st, 2) != 0;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "update status") : SL_OK;
}

int
store_update_status_each(struct store *s, store_status_fn fn, void *arg,
                         struct err *e)
{
	struct store_update_status st = {.known = true};
	struct db_stmt *q;
	int rc;

	rc = store_q(s, &q, e,
	             "SELECT id, latest_revision, expired, declined FROM "
	             "update_status",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "update status");
	while ((rc = db_step(q, e)) == DB_ROW) {
		const char *id = db_col_text(q, 0);

		st.revision = db_col_int(q, 1);
		st.expired = db_col_int(q, 2) != 0;
		st.declined = db_col_int(q, 3) != 0;
		if ((rc = fn(arg, id != NULL ? id : "", &st, e)) != SL_OK) {
			db_done(q);
			return rc;
		}
	}
	db_done(q);
	return rc < 0 ? err_prefix(e, "update status") : SL_OK;
}

static int
insert_update(struct store *s, const struct update *u, const char *text,
              size_t len, const char *sha256, int64_t now, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(
	        s, &st, e,
	        "INSERT INTO updates(id, revision, title, classification, "
	        "product, kb_article, severity, release_date, document, "
	        "doc_sha256, imported_at, eula_sha256, security_bulletin) "
	        "VALUES($1, $2, $3, "
	        "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT(id, "
	        "revision) DO "
	        "NOTHING",
	        "titttttt", u->id, (int64_t)u->revision, u->title,
	        u->classification, u->product, u->kb_article, u->severity,
	        u->release_date);
	if (rc != SL_OK)
		return err_prefix(e, "insert update");
	/* The envelope verbatim: it need not be NUL-terminated. */
	{
		char *doc = strndup(text, len);
		if (doc == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
		else
			rc = db_bind_text(st, 9, doc, e);
		free(doc);
	}
	if (rc == SL_OK)
		rc = db_bind_text(st, 10, sha256, e);
	if (rc == SL_OK)
		rc = db_bind_int(st, 11, now, e);
	if (rc == SL_OK)
		rc = u->eula ? db_bind_text(st, 12, u->eula->sha256, e)
		             : db_bind_null(st, 12, e);
	if (rc == SL_OK)
		rc = u->security_bulletin
		             ? db_bind_text(st, 13, u->security_bulletin, e)
		             : db_bind_null(st, 13, e);
	if (rc == SL_OK)
		rc = db_step(st, e);
	db_done(st);
	return rc < 0 ? err_prefix(e, "insert update") : SL_OK;
}

int
store_update_import(struct store *s, const struct update *u, const char *text,
                    size_t len, const char *sha256, int64_t now,
                    store_url_fn url, void *arg, struct err *e)
{
	int64_t seq;
	int rc;

	if ((rc = store_seq_next(s, &seq, e)) != SL_OK)
		return rc;
	return store_update_import_seq(s, u, text, len, sha256, now, seq, url,
	                               arg, e);
}

int
store_update_import_seq(struct store *s, const struct update *u,
                        const char *text, size_t len, const char *sha256,
                        int64_t now, int64_t seq, store_url_fn url, void *arg,
                        struct err *e)
{
	int rc;

	if ((rc = insert_update(s, u, text, len, sha256, now, e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < u->n_files; i++) {
		const struct update_file *f = &u->files[i];
		char *abs = NULL;

		if ((rc = url(&abs, u, f, arg, e)) != SL_OK)
			return rc;
		rc = store_q_run(
		        s, NULL, e,
		        "INSERT INTO update_files(update_id, revision, "
		        "sha256, size, name, upstream_url) VALUES($1, "
		        "$2, $3, $4, $5, $6) ON CONFLICT(update_id, "
		        "revision, sha256) DO NOTHING",
		        "tititt", u->id, (int64_t)u->revision, f->sha256,
		        (int64_t)f->size, f->name, abs);
		free(abs);
		if (rc != SL_OK)
			return err_prefix(e, "insert update file");
	}
	/* SQLite: the new row's key in the insert itself, the value the
	 * update_status_key trigger would give it (one past the largest),
	 * instead of the trigger's second write of the row. PostgreSQL's
	 * key is an identity column. */
	rc = store_q_run(
	        s, NULL, e,
	        db_engine(s->db) == DB_POSTGRES
	                ? "INSERT INTO update_status(id, latest_revision, "
	                  "change_seq) VALUES($1, $2, $3) ON CONFLICT(id) DO "
	                  "UPDATE SET latest_revision = "
	                  "excluded.latest_revision, change_seq = "
	                  "excluded.change_seq"
	                : "INSERT INTO update_status(id, latest_revision, "
	                  "change_seq, ukey) VALUES($1, $2, $3, (SELECT "
	                  "coalesce(max(ukey), 0) + 1 FROM update_status)) "
	                  "ON CONFLICT(id) DO UPDATE SET latest_revision = "
	                  "excluded.latest_revision, change_seq = "
	                  "excluded.change_seq",
	        "tii", u->id, (int64_t)u->revision, seq);
	return rc != SL_OK ? err_prefix(e, "update status") : SL_OK;
}

int
store_update_expire(struct store *s, const char *id, bool *changed,
                    struct err *e)
{
	int64_t seq, n = 0;
	int rc;

	*changed = false;
	if ((rc = store_seq_next(s, &seq, e)) != SL_OK)
		return rc;
	rc = store_q_run(s, &n, e,
	                 "UPDATE update_status SET expired = 1, change_seq = "
	                 "$1 WHERE id = $2 AND expired = 0",
	                 "it", seq, id);
	if (rc != SL_OK)
		return err_prefix(e, "expire update");
	*changed = n > 0;
	return SL_OK;
}

int
store_update_mirror_decline(struct store *s, const char *id, bool declined,
                            struct err *e)
{
	int64_t seq;
	int rc;

	if ((rc = store_seq_next(s, &seq, e)) != SL_OK)
		return rc;
	rc = store_q_run(s, NULL, e,
	                 "UPDATE update_status SET declined = $1, change_seq = "
	                 "$2 WHERE id = $3 AND declined != $1",
	                 "dit", declined ? 1 : 0, seq, id);
	return rc != SL_OK ? err_prefix(e, "decline") : SL_OK;
}

int
store_content_want_current(unsigned *n, struct store *s, bool approved_only,
                           int64_t now, struct err *e)
{
#define WANT_SELECT                                                            \
	"INSERT INTO content(sha256, size, upstream_url, state, updated_at) "  \
	"SELECT f.sha256, f.size, f.upstream_url, 'wanted', "                  \
	"CAST($1 AS BIGINT) "                                                  \
	"FROM update_files f JOIN update_status s "                            \
	"ON s.id = f.update_id AND s.latest_revision = f.revision "            \
	"WHERE s.expired = 0 AND s.declined = 0"
	static const char full[] =
	        WANT_SELECT " ON CONFLICT(sha256) DO NOTHING";
	static const char approved[] =
	        WANT_SELECT " AND EXISTS (SELECT 1 FROM approvals a WHERE "
	                    "a.update_id = s.id AND a.action IN ('install', "
	                    "'uninstall')) ON CONFLICT(sha256) DO NOTHING";
#undef WANT_SELECT
	int64_t changes = 0;
	int rc;

	*n = 0;
	rc = store_q_run(s, &changes, e, approved_only ? approved : full, "i",
	                 now);
	if (rc != SL_OK)
		return err_prefix(e, "wanted content");
	*n = (unsigned)changes;
	return SL_OK;
}

int
store_meta_int(int64_t *out, struct store *s, const char *key, struct err *e)
{
	char *v = NULL, *end;
	long long n;
	int rc;

	*out = 0;
	rc = store_meta_get(s, key, &v, e);
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
store_sync_start(int64_t *id, struct store *s, int64_t now, struct err *e)
{
	int rc = store_q_int(s, id, e,
	                     "INSERT INTO sync_history(started_at, result) "
	                     "VALUES($1, 'running') RETURNING id",
	                     "i", now);

	if (rc == DB_ROW)
		return SL_OK;
	if (rc == DB_DONE)
		rc = err_set(e, SL_EINTERNAL, "no id returned");
	return err_prefix(e, "sync history");
}

int
store_sync_finish(struct store *s, const struct store_sync_end *end,
                  struct err *e)
{
	int rc = store_q_run(
	        s, NULL, e,
	        "UPDATE sync_history SET finished_at = $1, result = $2, "
	        "new_count = $3, revised_count = $4, expired_count = $5, "
	        "index_version = $6, error = $7 WHERE id = $8",
	        "itiiijti", end->now,
	        end->error == NULL ? "success" : "failure",
	        (int64_t)end->new_count, (int64_t)end->revised_count,
	        (int64_t)end->expired_count, end->index_version, end->error,
	        end->id);

	return rc != SL_OK ? err_prefix(e, "sync history") : SL_OK;
}

int
store_sync_interrupted(int *n, struct store *s, int64_t now, struct err *e)
{
	int64_t changes = 0;
	int rc = store_q_run(s, &changes, e,
	                     "UPDATE sync_history SET result = 'failure', "
	                     "finished_at = $1, error = 'interrupted: the "
	                     "server stopped during the sync' WHERE result = "
	                     "'running'",
	                     "i", now);

	if (rc != SL_OK)
		return err_prefix(e, "sync history");
	if (n != NULL)
		*n = (int)changes;
	return SL_OK;
}

static json_t *
history_row(struct db_stmt *st)
{
	return json_pack("{s:I,s:o,s:o,s:s,s:I,s:I,s:I,s:o,s:o}", "id",
	                 (json_int_t)db_col_int(st, 0), "started",
	                 store_col_time(st, 1), "finished",
	                 store_col_time(st, 2), "result", db_col_text(st, 3),
	                 "new", (json_int_t)db_col_int(st, 4), "revised",
	                 (json_int_t)db_col_int(st, 5), "expired",
	                 (json_int_t)db_col_int(st, 6), "index_version",
	                 db_col_null(st, 7) ? json_null()
	                                    : json_integer(db_col_int(st, 7)),
	                 "error", store_col_text(st, 8));
}

int
store_sync_history(json_t *arr, struct store *s, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT id, started_at, finished_at, result, new_count, "
	             "revised_count, expired_count, index_version, error FROM "
	             "sync_history ORDER BY id DESC LIMIT 100",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "history");
	rc = store_q_collect(arr, st, history_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "history") : SL_OK;
}

static json_t *
file_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:I,s:b}", "name", db_col_text(st, 0),
	                 "sha256", db_col_text(st, 1), "size",
	                 (json_int_t)db_col_int(st, 2), "present",
	                 (int)db_col_int(st, 3));
}

static json_t *
approval_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o}", "group", db_col_text(st, 0),
	                 "action", db_col_text(st, 1), "deadline",
	                 store_col_time(st, 2), "approved_by",
	                 store_col_text(st, 3));
}

static int
update_details(json_t *files, json_t *apps, struct store *s, const char *id,
               int64_t revision, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT f.name, f.sha256, f.size, CASE WHEN c.state = "
	             "'present' THEN 1 ELSE 0 END FROM update_files f LEFT "
	             "JOIN content c ON c.sha256 = f.sha256 WHERE f.update_id "
	             "= $1 AND f.revision = $2 ORDER BY f.name",
	             "ti", id, revision);
	if (rc != SL_OK)
		return rc;
	rc = store_q_collect(files, st, file_row, e);
	db_done(st);
	if (rc != SL_OK)
		return rc;
	rc = store_q(s, &st, e,
	             "SELECT g.name, a.action, a.deadline, a.approved_by FROM "
	             "approvals a JOIN groups g ON g.id = a.group_id WHERE "
	             "a.update_id = $1 ORDER BY g.name",
	             "t", id);
	if (rc != SL_OK)
		return rc;
	rc = store_q_collect(apps, st, approval_row, e);
	db_done(st);
	return rc;
}

int
store_updates_list(json_t *arr, struct store *s, json_t *counts,
                   store_filter_fn skip, void *arg, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(
	        s, &st, e,
	        "SELECT u.id, u.revision, u.title, u.classification, "
	        "u.product, u.kb_article, u.severity, u.release_date, "
	        "s.expired, s.declined, CASE WHEN EXISTS (SELECT 1 FROM "
	        "approvals a WHERE a.update_id = s.id AND a.action = "
	        "'install') AND NOT " STORE_LICENSE_OK(
	                "u") " THEN 1 ELSE 0 END FROM update_status s JOIN "
	                     "updates u ON u.id = s.id AND u.revision = "
	                     "s.latest_revision ORDER BY u.release_date "
	                     "DESC, u.id",
	        NULL);
	if (rc != SL_OK)
		return err_prefix(e, "updates");
	while ((rc = db_step(st, e)) == DB_ROW) {
		json_t *files = json_array(), *apps = json_array(), *u, *c;
		const char *id = db_col_text(st, 0);

		u = json_pack("{s:s,s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:o,"
		              "s:o}",
		              "id", id, "revision",
		              (json_int_t)db_col_int(st, 1), "title",
		              db_col_text(st, 2), "classification",
		              db_col_text(st, 3), "product", db_col_text(st, 4),
		              "kb_article", store_col_text(st, 5), "severity",
		              store_col_text(st, 6), "release_date",
		              store_col_text(st, 7), "expired",
		              (int)db_col_int(st, 8), "declined",
		              (int)db_col_int(st, 9), "files", files,
		              "approvals", apps);
		if (u == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		/* Approved, but these license terms are not accepted yet: held
		 * back from agents. */
		json_object_set_new(u, "awaiting_license",
		                    json_boolean(db_col_int(st, 10) != 0));
		c = json_object_get(counts, id);
		json_object_set(u, "counts", c ? c : json_null());
		if (skip(arg, u, c)) {
			json_decref(u);
			continue;
		}
		if (json_array_append_new(arr, u) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		rc = update_details(files, apps, s, id, db_col_int(st, 1), e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "updates") : SL_OK;
}

int
store_update_names(json_t *arr, struct store *s, bool product, struct err *e)
{
	static const char *const q_class =
	        "SELECT DISTINCT lower(u.classification) FROM update_status s "
	        "JOIN updates u ON u.id = s.id AND u.revision = "
	        "s.latest_revision ORDER BY 1";
	static const char *const q_product =
	        "SELECT DISTINCT lower(u.product) FROM update_status s JOIN "
	        "updates u ON u.id = s.id AND u.revision = s.latest_revision "
	        "ORDER BY 1";
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e, product ? q_product : q_class, NULL);
	if (rc != SL_OK)
		return err_prefix(e, "update names");
	while ((rc = db_step(st, e)) == DB_ROW)
		if (json_array_append_new(
		            arr, json_string(db_col_text(st, 0))) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	db_done(st);
	return rc < 0 ? err_prefix(e, "update names") : SL_OK;
}

static json_t *
lookup_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o}", "id", db_col_text(st, 0), "title",
	                 db_col_text(st, 1), "kb_article",
	                 store_col_text(st, 2), "security_bulletin",
	                 store_col_text(st, 3));
}

int
store_update_lookup(json_t *arr, struct store *s, const char *name,
                    struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT s.id, u.title, u.kb_article, u.security_bulletin "
	             "FROM update_status s JOIN updates u ON u.id = s.id AND "
	             "u.revision = s.latest_revision WHERE substr(s.id, 1, "
	             "length(CAST($1 AS TEXT))) = lower(CAST($1 AS TEXT)) OR "
	             "lower(u.kb_article) = lower(CAST($1 AS TEXT)) OR "
	             "lower(u.kb_article) = 'kb' || lower(CAST($1 AS TEXT)) "
	             "OR lower(u.security_bulletin) = lower(CAST($1 AS TEXT)) "
	             "ORDER BY s.id LIMIT 21",
	             "t", name);
	if (rc != SL_OK)
		return err_prefix(e, "update lookup");
	rc = store_q_collect(arr, st, lookup_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "update lookup") : SL_OK;
}

int
store_updates_touch_all(struct store *s, struct err *e)
{
	int64_t seq;
	int rc = store_seq_next(s, &seq, e);

	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "UPDATE update_status SET change_seq = $1",
		                 "i", seq);
	return rc != SL_OK ? err_prefix(e, "touch updates") : SL_OK;
}
