/*
 * store_cleanup: the queries of the server cleanup (store_cleanup.h).
 */
#include "store_cleanup.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

/* A file a current revision of a non-declined update needs. */
#define NEEDED_SHA                                                             \
	"SELECT 1 FROM update_files f JOIN update_status s ON s.id = "         \
	"f.update_id AND s.latest_revision = f.revision WHERE f.sha256 = "     \
	"$1 AND s.declined = 0"

int
store_cleanup_updates_page(struct store *s, const char *after, size_t limit,
                           store_cleanup_update_fn fn, void *arg, size_t *n,
                           char last[37], struct err *e)
{
	struct store_cleanup_update u;
	struct db_stmt *st;
	int rc;

	*n = 0;
	rc = store_q(s, &st, e,
	             "SELECT s.id, s.declined, s.expired, u.imported_at, "
	             "u.document FROM update_status s JOIN updates u ON u.id = "
	             "s.id AND u.revision = s.latest_revision WHERE s.id > $1 "
	             "ORDER BY s.id LIMIT $2",
	             "ti", after, (int64_t)limit);
	if (rc != SL_OK)
		return err_prefix(e, "updates");
	while ((rc = db_step(st, e)) == DB_ROW) {
		u.id = db_col_text(st, 0);
		u.declined = db_col_int(st, 1) != 0;
		u.expired = db_col_int(st, 2) != 0;
		u.imported_at = db_col_int(st, 3);
		u.document = db_col_text(st, 4);
		snprintf(last, 37, "%s", u.id);
		(*n)++;
		if ((rc = fn(arg, &u, e)) != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "updates") : SL_OK;
}

static json_t *
text0(struct db_stmt *st)
{
	return json_string(db_col_text(st, 0));
}

int
store_cleanup_expired(json_t *ids, struct store *s, const char *after,
                      size_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc = store_q(s, &st, e,
	                 "SELECT id FROM update_status WHERE expired = 1 AND "
	                 "declined = 0 AND id > $1 ORDER BY id LIMIT $2",
	                 "ti", after, (int64_t)limit);

	if (rc != SL_OK)
		return err_prefix(e, "expired updates");
	rc = store_q_collect(ids, st, text0, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "expired updates") : SL_OK;
}

static json_t *
computer_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:o}", "id", db_col_text(st, 0), "hostname",
	                 db_col_text(st, 1), "last_contact",
	                 store_col_time(st, 2));
}

int
store_cleanup_stale_computers(json_t *arr, struct store *s, int64_t before,
                              const char *after, size_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc =
	        store_q(s, &st, e,
	                "SELECT id, hostname, coalesce(last_contact, "
	                "registered_at) FROM computers WHERE server IS NULL "
	                "AND coalesce(last_contact, registered_at) < $1 AND id "
	                "> $2 ORDER BY id LIMIT $3",
	                "iti", before, after, (int64_t)limit);

	if (rc != SL_OK)
		return err_prefix(e, "stale computers");
	rc = store_q_collect(arr, st, computer_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "stale computers") : SL_OK;
}

int
store_cleanup_computer_delete(bool *deleted, struct store *s, const char *id,
                              int64_t before, struct err *e)
{
	struct db_stmt *st;
	int rc;

	*deleted = false;
	/* Re-check: the computer may have called in since it was listed. */
	rc = store_q(s, &st, e,
	             "SELECT 1 FROM computers WHERE id = $1 AND server IS NULL "
	             "AND coalesce(last_contact, registered_at) < $2",
	             "ti", id, before);
	if (rc == SL_OK) {
		rc = db_step(st, e);
		db_done(st);
	}
	if (rc == DB_DONE)
		return SL_OK;
	if (rc != DB_ROW)
		return err_prefix(e, "computer %s", id);
	/* The same deletion as `sluice computers delete`. */
	rc = store_computer_delete(s, id, e);
	if (rc != SL_OK)
		return err_prefix(e, "computer %s", id);
	*deleted = true;
	return SL_OK;
}

static json_t *
revision_row(struct db_stmt *st)
{
	return json_pack("[s,I]", db_col_text(st, 0),
	                 (json_int_t)db_col_int(st, 1));
}

/* An old revision that nothing names. */
#define OLD_REVISION                                                           \
	"u.revision < (SELECT latest_revision FROM update_status s WHERE "     \
	"s.id "                                                                \
	"= u.id) AND NOT EXISTS (SELECT 1 FROM state_counts x JOIN "           \
	"update_status k ON k.ukey = x.ukey WHERE k.id = u.id AND x.rev = "    \
	"u.revision AND x.n > 0) AND NOT EXISTS "                              \
	"(SELECT 1 FROM license_acceptances l WHERE l.update_id = u.id AND "   \
	"l.revision = u.revision)"

int
store_cleanup_old_revisions(json_t *arr, struct store *s, const char *after,
                            size_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc = store_q(
	        s, &st, e,
	        "SELECT u.id, u.revision FROM updates u WHERE u.id >= $1 "
	        "AND " OLD_REVISION " ORDER BY u.id, u.revision LIMIT $2",
	        "ti", after, (int64_t)limit);

	if (rc != SL_OK)
		return err_prefix(e, "old revisions");
	rc = store_q_collect(arr, st, revision_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "old revisions") : SL_OK;
}

int
store_cleanup_revision_delete(bool *deleted, struct store *s, const char *id,
                              int64_t revision, struct err *e)
{
	int64_t n = 0;
	int rc = store_q_run(s, &n, e,
	                     "DELETE FROM updates AS u WHERE u.id = $1 AND "
	                     "u.revision = $2 AND " OLD_REVISION,
	                     "ti", id, revision);

	*deleted = false;
	if (rc == SL_OK && n > 0)
		rc = store_q_run(
		        s, NULL, e,
		        "DELETE FROM update_files WHERE update_id = $1 "
		        "AND revision = $2",
		        "ti", id, revision);
	if (rc != SL_OK)
		return err_prefix(e, "revision %s/%lld", id,
		                  (long long)revision);
	*deleted = n > 0;
	return SL_OK;
}

static json_t *
content_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:I,s:s}", "sha256", db_col_text(st, 0), "size",
	                 (json_int_t)db_col_int(st, 1), "state",
	                 db_col_text(st, 2));
}

int
store_cleanup_unneeded_content(json_t *arr, struct store *s, const char *after,
                               size_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc =
	        store_q(s, &st, e,
	                "SELECT c.sha256, c.size, c.state FROM content c WHERE "
	                "c.sha256 > $1 AND NOT EXISTS (SELECT 1 FROM "
	                "update_files f JOIN update_status s ON s.id = "
	                "f.update_id AND s.latest_revision = f.revision WHERE "
	                "f.sha256 = c.sha256 AND s.declined = 0) ORDER BY "
	                "c.sha256 LIMIT $2",
	                "ti", after, (int64_t)limit);

	if (rc != SL_OK)
		return err_prefix(e, "content");
	rc = store_q_collect(arr, st, content_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "content") : SL_OK;
}

int
store_cleanup_sha_needed(bool *needed, struct store *s, const char *sha,
                         struct err *e)
{
	int64_t one;
	int rc = store_q_int(s, &one, e, NEEDED_SHA " LIMIT 1", "t", sha);

	if (rc < 0)
		return err_prefix(e, "content %s", sha);
	*needed = rc == DB_ROW;
	return SL_OK;
}

int
store_cleanup_content_delete(bool *deleted, struct store *s, const char *sha,
                             struct err *e)
{
	bool needed;
	int rc;

	*deleted = false;
	if ((rc = store_cleanup_sha_needed(&needed, s, sha, e)) != SL_OK ||
	    needed)
		return rc;
	rc = store_q_run(s, NULL, e, "DELETE FROM content WHERE sha256 = $1",
	                 "t", sha);
	if (rc != SL_OK)
		return err_prefix(e, "content %s", sha);
	*deleted = true;
	return SL_OK;
}

int
store_cleanup_space(int64_t *size, int64_t *free_bytes, struct store *s,
                    struct err *e)
{
	int64_t pages = 0, page = 0, freel = 0;
	int rc;

	if (db_engine(s->db) == DB_POSTGRES) {
		rc = store_q_int(s, size, e,
		                 "SELECT pg_database_size(current_database())",
		                 NULL);
		*free_bytes = 0;
		return rc < 0 ? err_prefix(e, "database size") : SL_OK;
	}
	if ((rc = store_q_int(s, &pages, e, "PRAGMA page_count", NULL)) < 0 ||
	    (rc = store_q_int(s, &page, e, "PRAGMA page_size", NULL)) < 0 ||
	    (rc = store_q_int(s, &freel, e, "PRAGMA freelist_count", NULL)) < 0)
		return err_prefix(e, "database size");
	*size = pages * page;
	*free_bytes = freel * page;
	return SL_OK;
}

int
store_cleanup_compact(struct store *s, bool full, int step, struct err *e)
{
	int64_t mode = 0, freel = 0, prev = -1;
	char sql[64];
	int rc;

	if (db_engine(s->db) == DB_POSTGRES) {
		rc = db_exec(s->db, "VACUUM ANALYZE", e);
		return rc != SL_OK ? err_prefix(e, "VACUUM ANALYZE") : SL_OK;
	}
	if (full) {
		rc = db_exec(s->db,
		             "PRAGMA auto_vacuum = INCREMENTAL; VACUUM; "
		             "PRAGMA optimize",
		             e);
		return rc != SL_OK ? err_prefix(e, "VACUUM") : SL_OK;
	}
	if ((rc = db_exec(s->db, "PRAGMA optimize", e)) != SL_OK)
		return err_prefix(e, "PRAGMA optimize");
	if ((rc = store_q_int(s, &mode, e, "PRAGMA auto_vacuum", NULL)) < 0)
		return err_prefix(e, "auto_vacuum");
	if (mode != 2)
		return SL_OK; /* only a full VACUUM gives the space back */
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%d)",
	         step > 0 ? step : 256);
	for (;;) {
		if ((rc = store_q_int(s, &freel, e, "PRAGMA freelist_count",
		                      NULL)) < 0)
			return err_prefix(e, "freelist_count");
		if (freel == 0 || freel == prev)
			break;
		prev = freel;
		if ((rc = db_exec(s->db, sql, e)) != SL_OK)
			return err_prefix(e, "incremental_vacuum");
	}
	return SL_OK;
}
