/*
 * sync_sluiced: incremental sync from an upstream sluiced by anchor, with
 * every document verified against the origin's keys (sync_sluiced.h).
 */
#include "sync_sluiced.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "catalog.h"
#include "hash.h"
#include "httpc.h"
#include "replica.h"
#include "update.h"

#define CHANGES_CAP (256u << 20) /* one page of changes */
#define CALL_CAP    (64u << 20)
#define PAGES_MAX   100000

/* ---- calling the upstream --------------------------------------------- */

static int
base_url(struct buf *b, const struct server_config *cfg, struct err *e)
{
	size_t n = strlen(cfg->upstream_url);

	while (n > 0 && cfg->upstream_url[n - 1] == '/')
		n--;
	return buf_printf(b, e, "%.*s", (int)n, cfg->upstream_url);
}

/* The upstream's {"error":{"message"}} text, or the raw status. */
static int
call_error(const struct httpc_resp *r, const char *method, const char *url,
           struct err *e)
{
	json_t *v = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	const char *msg = json_string_value(
	        json_object_get(json_object_get(v, "error"), "message"));
	int code = r->status == 401   ? SL_EAUTH
	           : r->status == 403 ? SL_EDENIED
	           : r->status == 404 ? SL_ENOTFOUND
	                              : SL_ENET;

	err_set(e, code, "%s %s: HTTP %ld%s%s", method, url, r->status,
	        msg ? ": " : "", msg ? msg : "");
	json_decref(v);
	return code;
}

int
sluiced_call(json_t **out, const struct server_config *cfg, const char *method,
             const char *path, const json_t *body, struct err *e)
{
	struct httpc_opts o = {.token = cfg->upstream_token, .timeout_s = 600};
	struct httpc_resp r = {0};
	json_error_t je;
	struct buf url;
	char *text = NULL;
	json_t *v;
	int rc;

	buf_init(&url, 8192);
	if ((rc = base_url(&url, cfg, e)) != SL_OK ||
	    (rc = buf_puts(&url, path, e)) != SL_OK)
		goto out;
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = httpc_request(&r, method, url.data, text, text ? strlen(text) : 0,
	                   CHANGES_CAP, &o, e);
	if (rc != SL_OK)
		goto out;
	if (r.status < 200 || r.status > 299) {
		rc = call_error(&r, method, url.data, e);
		goto out;
	}
	v = json_loadb(r.body, r.len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		rc = err_set(e, SL_EPARSE, "%s %s: answer is not a JSON object",
		             method, url.data);
		goto out;
	}
	*out = v;
out:
	free(text);
	httpc_resp_free(&r);
	buf_free(&url);
	return rc;
}

/* ---- history (the same sync_history rows as a catalog sync) ----------- */

static int
history_start(struct db *db, int64_t *id, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "INSERT INTO sync_history(started_at, result) "
	                "VALUES(?, 'running')",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	else
		rc = db_error(db, e, "sync history");
	sqlite3_finalize(st);
	return rc;
}

static void
history_finish(struct db *db, const struct sync_result *r, const char *msg)
{
	sqlite3_stmt *st = NULL;
	struct err e;

	err_clear(&e);
	if (db_prepare(db, &st,
	               "UPDATE sync_history SET finished_at = ?, result = ?, "
	               "new_count = ?, revised_count = ?, expired_count = ?, "
	               "index_version = ?, error = ? WHERE id = ?",
	               &e) != SL_OK)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, msg ? "failure" : "success", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)r->new_count);
	sqlite3_bind_int(st, 4, (int)r->revised_count);
	sqlite3_bind_int(st, 5, (int)r->expired_count);
	sqlite3_bind_int64(st, 6, r->index_version);
	if (msg)
		sqlite3_bind_text(st, 7, msg, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, r->history_id);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

/* ---- one page of changes ---------------------------------------------- */

static bool
in_list(char *const *list, const char *s)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

struct import_stmts {
	sqlite3_stmt *status, *upd, *file, *newstatus, *expire, *decline;
};

static void
stmts_free(struct import_stmts *s)
{
	sqlite3_finalize(s->status);
	sqlite3_finalize(s->upd);
	sqlite3_finalize(s->file);
	sqlite3_finalize(s->newstatus);
	sqlite3_finalize(s->expire);
	sqlite3_finalize(s->decline);
}

static int
stmts_prepare(struct import_stmts *s, struct db *db, struct err *e)
{
	int rc;

	if ((rc = db_prepare(db, &s->status,
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
	    (rc = db_prepare(db, &s->newstatus,
	                     "INSERT INTO update_status(id, latest_revision, "
	                     "change_seq) VALUES(?,?,?) ON CONFLICT(id) DO "
	                     "UPDATE SET latest_revision = "
	                     "excluded.latest_revision, change_seq = "
	                     "excluded.change_seq",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s->expire,
	                     "UPDATE update_status SET expired = 1, "
	                     "change_seq = ? WHERE id = ? AND expired = 0",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s->decline,
	                     "UPDATE update_status SET declined = ?, "
	                     "change_seq = ? WHERE id = ? AND declined != ?",
	                     e)) != SL_OK)
		return rc;
	return SL_OK;
}

static int
step_done(struct db *db, sqlite3_stmt *st, const char *what, struct err *e)
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

/* The URL the upstream gives for a file (by hash), else its content URL. */
static int
file_url(struct buf *out, json_t *files, const char *sha, const char *base,
         struct err *e)
{
	size_t i;
	json_t *f;

	buf_reset(out);
	json_array_foreach(files, i, f)
	{
		const char *s = json_string_value(json_object_get(f, "sha256"));
		const char *u = json_string_value(json_object_get(f, "url"));
		if (s && u && *u && strcmp(s, sha) == 0 &&
		    (strncmp(u, "http://", 7) == 0 ||
		     strncmp(u, "https://", 8) == 0 ||
		     strncmp(u, "file://", 7) == 0))
			return buf_puts(out, u, e);
	}
	return buf_printf(out, e, "%s/content/%s", base, sha);
}

/* Insert a verified document (envelope text verbatim) as the latest
 * revision of its update. */
static int
import_doc(struct db *db, struct import_stmts *s, const struct update *u,
           const char *text, size_t len, json_t *files, const char *base,
           struct err *e)
{
	char hex[HASH_HEX_LEN + 1];
	int64_t seq;
	struct buf url;
	int rc;

	hash_buf_hex(text, len, hex);
	sqlite3_bind_text(s->upd, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upd, 2, u->revision);
	sqlite3_bind_text(s->upd, 3, u->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 4, u->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 5, u->product, -1, SQLITE_STATIC);
	bind_opt(s->upd, 6, u->kb_article);
	bind_opt(s->upd, 7, u->severity);
	bind_opt(s->upd, 8, u->release_date);
	sqlite3_bind_text(s->upd, 9, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 10, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upd, 11, (sqlite3_int64)time(NULL));
	if ((rc = step_done(db, s->upd, "insert update", e)) != SL_OK)
		return rc;
	buf_init(&url, 8192);
	for (size_t i = 0; i < u->n_files; i++) {
		const struct update_file *f = &u->files[i];

		if ((rc = file_url(&url, files, f->sha256, base, e)) != SL_OK)
			goto out;
		sqlite3_bind_text(s->file, 1, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->file, 2, u->revision);
		sqlite3_bind_text(s->file, 3, f->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->file, 4, (sqlite3_int64)f->size);
		sqlite3_bind_text(s->file, 5, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->file, 6, url.data, -1, SQLITE_TRANSIENT);
		if ((rc = step_done(db, s->file, "insert update file", e)) !=
		    SL_OK)
			goto out;
	}
	if ((rc = db_next_seq(db, &seq, e)) != SL_OK)
		goto out;
	sqlite3_bind_text(s->newstatus, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->newstatus, 2, u->revision);
	sqlite3_bind_int64(s->newstatus, 3, seq);
	rc = step_done(db, s->newstatus, "update status", e);
out:
	buf_free(&url);
	return rc;
}

/* Local status of an update: known, latest revision, expired, declined. */
static int
status_get(struct db *db, sqlite3_stmt *st, const char *id, bool *known,
           int64_t *rev, bool *expired, bool *declined, struct err *e)
{
	int s;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	*known = s == SQLITE_ROW;
	*rev = *known ? sqlite3_column_int64(st, 0) : 0;
	*expired = *known && sqlite3_column_int(st, 1) != 0;
	*declined = *known && sqlite3_column_int(st, 2) != 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return db_error(db, e, "update status");
	return SL_OK;
}

/* Verify one document against the origin's keys and the upstream's
 * claim (id, revision). *out: free with update_free(). */
static int
verify_doc(struct update **out, const struct server_config *cfg, const char *id,
           int64_t rev, const char *text, size_t len, struct err *e)
{
	struct update *u = NULL;
	int rc;

	rc = catalog_doc_parse(&u, NULL, text, len, NULL, &cfg->trusted_keys,
	                       e);
	if (rc != SL_OK)
		return err_prefix(e, "update %s revision %" PRId64, id, rev);
	if (strcmp(u->id, id) != 0 || u->revision != rev) {
		rc = err_set(e, SL_EVERIFY,
		             "update %s revision %" PRId64 ": the document is "
		             "%s revision %" PRId64,
		             id, rev, u->id, u->revision);
		update_free(u);
		return rc;
	}
	*out = u;
	return SL_OK;
}

/* Apply one change (inside the page's transaction). */
static int
apply_change(struct db *db, struct import_stmts *s,
             const struct server_config *cfg, json_t *c, const char *base,
             struct sync_result *res, struct err *e)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	json_t *rev_v = json_object_get(c, "revision");
	json_t *doc_v = json_object_get(c, "document");
	json_t *files = json_object_get(c, "files");
	bool known, expired, declined;
	struct update *u = NULL;
	int64_t rev, have, seq;
	int rc;

	if (id == NULL || strlen(id) > UPDATE_ID_LEN || !json_is_integer(rev_v))
		return err_set(e, SL_EPARSE, "change without id or revision");
	rev = json_integer_value(rev_v);
	if ((rc = status_get(db, s->status, id, &known, &have, &expired,
	                     &declined, e)) != SL_OK)
		return rc;
	if (json_is_true(json_object_get(c, "expired"))) {
		/* Withdrawn: only an update we hold is marked expired. */
		if (!known || expired)
			return SL_OK;
		if ((rc = db_next_seq(db, &seq, e)) != SL_OK)
			return rc;
		sqlite3_bind_int64(s->expire, 1, seq);
		sqlite3_bind_text(s->expire, 2, id, -1, SQLITE_STATIC);
		if ((rc = step_done(db, s->expire, "expire", e)) == SL_OK)
			res->expired_count++;
		return rc;
	}
	if (!known || have < rev) {
		if (!json_is_string(doc_v))
			return err_set(e, SL_EPARSE,
			               "update %s revision %" PRId64
			               ": no document",
			               id, rev);
		rc = verify_doc(&u, cfg, id, rev, json_string_value(doc_v),
		                json_string_length(doc_v), e);
		if (rc != SL_OK)
			return rc;
		if (in_list(cfg->products, u->product) &&
		    in_list(cfg->classifications, u->classification)) {
			rc = import_doc(db, s, u, json_string_value(doc_v),
			                json_string_length(doc_v),
			                json_is_array(files) ? files : NULL,
			                base, e);
			if (rc == SL_OK && known)
				res->revised_count++;
			else if (rc == SL_OK)
				res->new_count++;
			known = rc == SL_OK;
		}
		update_free(u);
		if (rc != SL_OK)
			return rc;
	}
	/* A replica also mirrors the upstream's declines. */
	if (known && cfg->upstream_mode == UPSTREAM_REPLICA &&
	    json_is_boolean(json_object_get(c, "declined")) &&
	    json_is_true(json_object_get(c, "declined")) != declined) {
		int d = json_is_true(json_object_get(c, "declined"));
		if ((rc = db_next_seq(db, &seq, e)) != SL_OK)
			return rc;
		sqlite3_bind_int(s->decline, 1, d);
		sqlite3_bind_int64(s->decline, 2, seq);
		sqlite3_bind_text(s->decline, 3, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s->decline, 4, d);
		rc = step_done(db, s->decline, "decline", e);
	}
	return rc;
}

static int
url_escape(struct buf *b, const char *s, struct err *e)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = SL_OK;

	for (; *s && rc == SL_OK; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			rc = buf_printf(b, e, "%c", ch);
		else
			rc = buf_printf(b, e, "%%%c%c", hex[ch >> 4],
			                hex[ch & 15]);
	}
	return rc;
}

static int
list_arg(struct buf *b, const char *key, char *const *list, struct err *e)
{
	int rc;

	if (list == NULL)
		return SL_OK;
	if ((rc = buf_printf(b, e, "&%s=", key)) != SL_OK)
		return rc;
	for (size_t i = 0; list[i] && rc == SL_OK; i++) {
		if (i > 0)
			rc = buf_puts(b, ",", e);
		if (rc == SL_OK)
			rc = url_escape(b, list[i], e);
	}
	return rc;
}

/* Fetch and import one page; *anchor advances, *more says whether
 * another page follows. */
static int
sync_page(struct db *db, const struct server_config *cfg, int64_t *anchor,
          bool *more, const char *base, struct sync_result *res, struct err *e)
{
	struct import_stmts s = {0};
	json_t *v = NULL, *updates, *c;
	const char *next;
	struct buf path;
	char *end, num[32];
	long long na;
	size_t i;
	int rc, in_tx = 0;

	buf_init(&path, 16384);
	rc = buf_printf(&path, e,
	                "/v1/upstream/changes?since=%" PRId64 "&mode=%s",
	                *anchor,
	                cfg->upstream_mode == UPSTREAM_REPLICA ? "replica"
	                                                       : "autonomous");
	if (rc == SL_OK)
		rc = list_arg(&path, "products", cfg->products, e);
	if (rc == SL_OK)
		rc = list_arg(&path, "classifications", cfg->classifications,
		              e);
	if (rc == SL_OK)
		rc = sluiced_call(&v, cfg, "GET", path.data, NULL, e);
	if (rc != SL_OK)
		goto out;
	next = json_string_value(json_object_get(v, "anchor"));
	updates = json_object_get(v, "updates");
	na = next ? strtoll(next, &end, 10) : -1;
	if (next == NULL || *next == '\0' || *end != '\0' || na < 0 ||
	    !json_is_array(updates)) {
		rc = err_set(e, SL_EPARSE, "changes: malformed answer");
		goto out;
	}
	*more = json_is_true(json_object_get(v, "more"));
	if ((rc = db_begin(db, e)) != SL_OK)
		goto out;
	in_tx = 1;
	if ((rc = stmts_prepare(&s, db, e)) != SL_OK)
		goto out;
	json_array_foreach(updates, i, c)
	{
		if (!json_is_object(c)) {
			rc = err_set(e, SL_EPARSE, "changes: malformed answer");
			goto out;
		}
		if ((rc = apply_change(db, &s, cfg, c, base, res, e)) != SL_OK)
			goto out;
	}
	snprintf(num, sizeof(num), "%lld", na);
	if ((rc = db_meta_set(db, "upstream_anchor", num, e)) != SL_OK)
		goto out;
	stmts_free(&s);
	memset(&s, 0, sizeof(s));
	if ((rc = db_commit(db, e)) != SL_OK)
		goto out;
	in_tx = 0;
	*anchor = na;
out:
	stmts_free(&s);
	if (in_tx)
		db_rollback(db);
	json_decref(v);
	buf_free(&path);
	return rc;
}

/* Content rows the storage mode wants (as a catalog sync makes them). */
static int
want_content(struct db *db, enum storage_mode mode, unsigned *n, struct err *e)
{
	static const char full[] =
	        "INSERT OR IGNORE INTO content(sha256, size, upstream_url, "
	        "state, updated_at) "
	        "SELECT f.sha256, f.size, f.upstream_url, 'wanted', ? "
	        "FROM update_files f JOIN update_status s "
	        "ON s.id = f.update_id AND s.latest_revision = f.revision "
	        "WHERE s.expired = 0 AND s.declined = 0";
	static const char approved[] =
	        "INSERT OR IGNORE INTO content(sha256, size, upstream_url, "
	        "state, updated_at) "
	        "SELECT f.sha256, f.size, f.upstream_url, 'wanted', ? "
	        "FROM update_files f JOIN update_status s "
	        "ON s.id = f.update_id AND s.latest_revision = f.revision "
	        "WHERE s.expired = 0 AND s.declined = 0 AND EXISTS "
	        "(SELECT 1 FROM approvals a WHERE a.update_id = s.id AND "
	        "a.action IN ('install', 'uninstall'))";
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (mode == STORAGE_NONE)
		return SL_OK;
	rc = db_prepare(db, &st, mode == STORAGE_FULL ? full : approved, e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_DONE)
		*n = (unsigned)sqlite3_changes(db_handle(db));
	else
		rc = db_error(db, e, "wanted content");
	sqlite3_finalize(st);
	return rc;
}

static int
anchor_get(struct db *db, int64_t *out, struct err *e)
{
	char *v = NULL, *end;
	long long n;
	int rc;

	*out = 0;
	rc = db_meta_get(db, "upstream_anchor", &v, e);
	if (rc == SL_ENOTFOUND) {
		err_clear(e);
		return SL_OK;
	}
	if (rc != SL_OK)
		return rc;
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || n < 0)
		rc = err_set(e, SL_EINTERNAL,
		             "meta upstream_anchor: not a number: %s", v);
	else
		*out = n;
	free(v);
	return rc;
}

int
sync_sluiced_run(struct db *db, const struct server_config *cfg,
                 struct sync_result *out, struct err *e)
{
	struct sync_result res = {0};
	struct buf base;
	int64_t anchor = 0;
	bool more = true;
	unsigned pushed = 0;
	int rc, pages = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&base, 8192);
	if ((rc = history_start(db, &res.history_id, e)) != SL_OK) {
		err_prefix(e, "sync");
		buf_free(&base);
		return rc;
	}
	if ((rc = base_url(&base, cfg, e)) != SL_OK ||
	    (rc = anchor_get(db, &anchor, e)) != SL_OK)
		goto out;
	while (more && pages++ < PAGES_MAX) {
		rc = sync_page(db, cfg, &anchor, &more, base.data, &res, e);
		res.index_version = anchor;
		if (rc != SL_OK) {
			err_prefix(e, "upstream %s", cfg->upstream_url);
			goto out;
		}
	}
	if (cfg->upstream_mode == UPSTREAM_REPLICA &&
	    (rc = replica_pull(db, cfg, NULL, e)) != SL_OK)
		goto out;
	if ((rc = want_content(db, cfg->storage_mode, &res.files_wanted, e)) !=
	    SL_OK)
		goto out;
	if ((rc = replica_rollup(db, cfg, &pushed, e)) != SL_OK)
		goto out;
out:
	history_finish(db, &res,
	               rc == SL_OK ? NULL : (e ? e->msg : err_name(rc)));
	*out = res;
	if (rc != SL_OK)
		err_prefix(e, "sync");
	buf_free(&base);
	return rc;
}
