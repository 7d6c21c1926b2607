/*
 * sync: pull the signed index and the new update documents from the
 * upstream catalog origin, verify everything, then import it in one
 * transaction (see sync.h). The network and verification work happens
 * before the write transaction starts, so the database is never locked
 * while waiting on the upstream.
 */
#include "sync.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoapprove.h"
#include "buf.h"
#include "catalog.h"
#include "httpc.h"
#include "sync_sluiced.h"
#include "update.h"

/* One verified document waiting to be imported. */
struct pending {
	const struct catalog_entry *entry; /* borrowed from the index */
	struct update *u;
	char *text; /* the envelope bytes verbatim */
	size_t len;
	bool revised; /* the update was known with an older revision */
};

struct plan {
	struct pending *docs;
	size_t n, alloc;
	const struct catalog_entry **expire; /* known updates to mark expired */
	size_t n_expire, alloc_expire;
};

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		update_free(p->docs[i].u);
		free(p->docs[i].text);
	}
	free(p->docs);
	free(p->expire);
	memset(p, 0, sizeof(*p));
}

static int
grow(void **arr, size_t *alloc, size_t n, size_t elem, struct err *e)
{
	size_t na;
	void *np;

	if (n < *alloc)
		return SL_OK;
	na = *alloc == 0 ? 16 : *alloc * 2;
	if ((np = realloc(*arr, na * elem)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	*arr = np;
	*alloc = na;
	return SL_OK;
}

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

/* "<upstream_url>/index.json" whether or not the URL ends with '/'. */
static int
index_url(char **out, const char *upstream, struct err *e)
{
	struct buf b;
	char *url;
	size_t n = strlen(upstream);
	int rc;

	buf_init(&b, 8192);
	rc = buf_puts(&b, upstream, e);
	if (rc == SL_OK && (n == 0 || upstream[n - 1] != '/'))
		rc = buf_puts(&b, "/", e);
	if (rc != SL_OK) {
		buf_free(&b);
		err_prefix(e, "upstream URL");
		return rc;
	}
	url = httpc_resolve(b.data, "index.json");
	buf_free(&b);
	if (url == NULL)
		return err_set(e, SL_EINVAL,
		               "upstream URL %s: cannot be parsed", upstream);
	*out = url;
	return SL_OK;
}

/* GET url (cap bytes) and insist on a 200 answer. */
static int
fetch_body(struct httpc_resp *out, const char *url, size_t cap, struct err *e)
{
	struct httpc_opts o = {0};
	int rc;

	if ((rc = httpc_get(out, url, cap, &o, e)) != SL_OK)
		return rc;
	if (out->status != 200) {
		rc = err_set(e, out->status == 404 ? SL_ENOTFOUND : SL_ENET,
		             "%s: HTTP status %ld", url, out->status);
		httpc_resp_free(out);
	}
	return rc;
}

/* Status of an update in the database: *known, its latest revision and
 * whether it is already marked expired. */
static int
status_get(struct db *db, const char *id, bool *known, int64_t *rev,
           bool *expired, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc, s;

	rc = db_prepare(db, &st,
	                "SELECT latest_revision, expired FROM update_status "
	                "WHERE id = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	*known = false;
	*rev = 0;
	*expired = false;
	if (s == SQLITE_ROW) {
		*known = true;
		*rev = sqlite3_column_int64(st, 0);
		*expired = sqlite3_column_int(st, 1) != 0;
	} else if (s != SQLITE_DONE) {
		rc = db_error(db, e, "update status");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Fetch and verify the document of entry; append it to the plan. */
static int
plan_doc(struct plan *p, const char *base, const struct catalog_entry *en,
         const struct server_config *cfg, bool revised, struct err *e)
{
	struct httpc_resp r = {0};
	struct update *u = NULL;
	char *url;
	int rc;

	if ((url = httpc_resolve(base, en->path)) == NULL)
		return err_set(e, SL_EINVAL, "%s: cannot resolve against %s",
		               en->path, base);
	if ((rc = fetch_body(&r, url, UPDATE_DOC_MAX, e)) != SL_OK)
		goto out;
	rc = catalog_doc_parse(&u, NULL, r.body, r.len, en, &cfg->trusted_keys,
	                       e);
	if (rc != SL_OK)
		goto out;
	if ((rc = grow((void **)&p->docs, &p->alloc, p->n, sizeof(*p->docs),
	               e)) != SL_OK)
		goto out;
	p->docs[p->n++] = (struct pending){.entry = en,
	                                   .u = u,
	                                   .text = r.body,
	                                   .len = r.len,
	                                   .revised = revised};
	u = NULL;
	r.body = NULL;
out:
	update_free(u);
	httpc_resp_free(&r);
	free(url);
	return rc;
}

/* Decide what to import: the newest revision of every update (entries are
 * sorted by id then revision, so it is the last of each run of ids). */
static int
plan_build(struct plan *p, struct db *db, const struct server_config *cfg,
           const struct catalog_index *idx, const char *base, struct err *e)
{
	int rc;

	for (size_t i = 0; i < idx->n; i++) {
		const struct catalog_entry *en = &idx->entries[i];
		bool known, expired;
		int64_t rev;

		if (i + 1 < idx->n &&
		    strcmp(idx->entries[i + 1].id, en->id) == 0)
			continue;
		if ((rc = status_get(db, en->id, &known, &rev, &expired, e)) !=
		    SL_OK)
			return rc;
		if (en->expired) {
			/* Withdrawn: never import it, only record the expiry
			 * of an update we already have. */
			if (known && !expired) {
				rc = grow((void **)&p->expire, &p->alloc_expire,
				          p->n_expire, sizeof(*p->expire), e);
				if (rc != SL_OK)
					return rc;
				p->expire[p->n_expire++] = en;
			}
			continue;
		}
		if (!in_list(cfg->products, en->product) ||
		    !in_list(cfg->classifications, en->classification))
			continue;
		if (known && rev >= en->revision)
			continue;
		if ((rc = plan_doc(p, base, en, cfg, known, e)) != SL_OK) {
			err_prefix(e, "upstream document");
			return rc;
		}
	}
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

struct import_stmts {
	sqlite3_stmt *upd, *file, *status;
};

/* Insert one verified document (updates, update_files, update_status). */
static int
import_doc(struct db *db, struct import_stmts *s, const struct pending *d,
           const char *base, int64_t seq, long long now, struct err *e)
{
	const struct update *u = d->u;
	int rc;

	sqlite3_bind_text(s->upd, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upd, 2, u->revision);
	sqlite3_bind_text(s->upd, 3, u->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 4, u->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 5, u->product, -1, SQLITE_STATIC);
	bind_opt(s->upd, 6, u->kb_article);
	bind_opt(s->upd, 7, u->severity);
	bind_opt(s->upd, 8, u->release_date);
	sqlite3_bind_text(s->upd, 9, d->text, (int)d->len, SQLITE_STATIC);
	sqlite3_bind_text(s->upd, 10, d->entry->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upd, 11, now);
	if ((rc = step_done(db, s->upd, "insert update", e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < u->n_files; i++) {
		const struct update_file *f = &u->files[i];
		char *url = httpc_resolve(base, f->url);

		if (url == NULL)
			return err_set(e, SL_EINVAL,
			               "%s: file %s: URL %s cannot be resolved",
			               d->entry->path, f->name, f->url);
		sqlite3_bind_text(s->file, 1, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->file, 2, u->revision);
		sqlite3_bind_text(s->file, 3, f->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->file, 4, (sqlite3_int64)f->size);
		sqlite3_bind_text(s->file, 5, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->file, 6, url, -1, SQLITE_TRANSIENT);
		free(url);
		if ((rc = step_done(db, s->file, "insert update file", e)) !=
		    SL_OK)
			return rc;
	}
	sqlite3_bind_text(s->status, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->status, 2, u->revision);
	sqlite3_bind_int64(s->status, 3, seq);
	return step_done(db, s->status, "update status", e);
}

/* Content rows the storage mode wants; *n receives how many were added. */
static int
want_content(struct db *db, enum storage_mode mode, long long now, unsigned *n,
             struct err *e)
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
	        "(SELECT 1 FROM approvals a WHERE a.update_id = s.id)";
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (mode == STORAGE_NONE)
		return SL_OK;
	rc = db_prepare(db, &st, mode == STORAGE_FULL ? full : approved, e);
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

/* Write everything of a verified plan. The caller holds the transaction. */
static int
import_plan(struct db *db, const struct server_config *cfg,
            const struct plan *p, const char *base, long long now,
            struct sync_result *res, struct err *e)
{
	struct import_stmts s = {0};
	sqlite3_stmt *exp = NULL;
	int64_t seq = 0;
	int rc;

	if ((rc = db_prepare(db, &s.upd,
	                     "INSERT OR IGNORE INTO updates(id, revision, "
	                     "title, classification, product, kb_article, "
	                     "severity, release_date, document, doc_sha256, "
	                     "imported_at) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s.file,
	                     "INSERT OR IGNORE INTO update_files(update_id, "
	                     "revision, sha256, size, name, upstream_url) "
	                     "VALUES(?,?,?,?,?,?)",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &s.status,
	                     "INSERT INTO update_status(id, latest_revision, "
	                     "change_seq) VALUES(?,?,?) ON CONFLICT(id) DO "
	                     "UPDATE SET latest_revision = "
	                     "excluded.latest_revision, change_seq = "
	                     "excluded.change_seq",
	                     e)) != SL_OK ||
	    (rc = db_prepare(db, &exp,
	                     "UPDATE update_status SET expired = 1, "
	                     "change_seq = ? WHERE id = ? AND expired = 0",
	                     e)) != SL_OK)
		goto out;
	for (size_t i = 0; i < p->n; i++) {
		const struct pending *d = &p->docs[i];
		bool known, expired;
		int64_t rev;

		/* Re-check under the write lock: another sync may have
		 * imported it since the plan was made. */
		if ((rc = status_get(db, d->u->id, &known, &rev, &expired,
		                     e)) != SL_OK)
			goto out;
		if (known && rev >= d->u->revision)
			continue;
		if ((rc = db_next_seq(db, &seq, e)) != SL_OK)
			goto out;
		if ((rc = import_doc(db, &s, d, base, seq, now, e)) != SL_OK)
			goto out;
		if (known)
			res->revised_count++;
		else
			res->new_count++;
	}
	for (size_t i = 0; i < p->n_expire; i++) {
		if ((rc = db_next_seq(db, &seq, e)) != SL_OK)
			goto out;
		sqlite3_bind_int64(exp, 1, seq);
		sqlite3_bind_text(exp, 2, p->expire[i]->id, -1, SQLITE_STATIC);
		if ((rc = step_done(db, exp, "expire update", e)) != SL_OK)
			goto out;
		if (sqlite3_changes(db_handle(db)) > 0)
			res->expired_count++;
	}
	rc = want_content(db, cfg->storage_mode, now, &res->files_wanted, e);
out:
	sqlite3_finalize(s.upd);
	sqlite3_finalize(s.file);
	sqlite3_finalize(s.status);
	sqlite3_finalize(exp);
	return rc;
}

static int
history_start(struct db *db, long long now, int64_t *id, struct err *e)
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

/* Finish the history row: success with counts, or failure with err_msg. */
static int
history_finish(struct db *db, int64_t id, const struct sync_result *r,
               const char *err_msg, struct err *e)
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
	sqlite3_bind_int(st, 3, err_msg == NULL ? (int)r->new_count : 0);
	sqlite3_bind_int(st, 4, err_msg == NULL ? (int)r->revised_count : 0);
	sqlite3_bind_int(st, 5, err_msg == NULL ? (int)r->expired_count : 0);
	if (r->index_version > 0)
		sqlite3_bind_int64(st, 6, r->index_version);
	else
		sqlite3_bind_null(st, 6);
	bind_opt(st, 7, err_msg);
	sqlite3_bind_int64(st, 8, id);
	rc = step_done(db, st, "sync history", e);
	sqlite3_finalize(st);
	return rc;
}

/* The highest index version accepted so far (0 before the first sync). */
static int
min_version_get(struct db *db, int64_t *out, struct err *e)
{
	char *v = NULL, *end;
	long long n;
	int rc;

	*out = 0;
	rc = db_meta_get(db, "upstream_index_version", &v, e);
	if (rc == SL_ENOTFOUND) {
		err_clear(e);
		return SL_OK;
	}
	if (rc != SL_OK)
		return rc;
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || n < 0)
		rc = err_set(e, SL_EINTERNAL,
		             "meta upstream_index_version: not a number: %s",
		             v);
	else
		*out = n;
	free(v);
	return rc;
}

/* Sync from an upstream sluiced; an autonomous server then runs its own
 * auto-approval rules over what the sync brought (a replica's approvals
 * come from its upstream). */
static int
sync_from_sluiced(struct db *db, const struct server_config *cfg,
                  struct sync_result *out, long long started, struct err *e)
{
	struct autoapprove_result aa;
	int rc;

	if ((rc = sync_sluiced_run(db, cfg, out, e)) != SL_OK ||
	    cfg->upstream_mode == UPSTREAM_REPLICA)
		return rc;
	if ((rc = db_begin(db, e)) != SL_OK)
		return err_prefix(e, "sync: auto-approval");
	if ((rc = autoapprove_run(&aa, db, cfg, 0, started, e)) != SL_OK) {
		db_rollback(db);
		return err_prefix(e, "sync: auto-approval");
	}
	if ((rc = db_commit(db, e)) != SL_OK)
		return err_prefix(e, "sync: auto-approval");
	out->files_wanted += aa.approved;
	return SL_OK;
}

int
sync_run(struct db *db, const struct server_config *cfg,
         struct sync_result *out, struct err *e)
{
	struct sync_result res = {0};
	struct autoapprove_result aa;
	struct catalog_index *idx = NULL;
	struct httpc_resp r = {0};
	struct plan plan = {0};
	struct err e2;
	char *url = NULL, num[32];
	long long now = (long long)time(NULL);
	int64_t min_version;
	bool in_tx = false;
	int rc;

	if (cfg->upstream_kind == UPSTREAM_SLUICED)
		return sync_from_sluiced(db, cfg, out, now, e);
	memset(out, 0, sizeof(*out));
	if ((rc = history_start(db, now, &res.history_id, e)) != SL_OK) {
		err_prefix(e, "sync");
		return rc;
	}
	out->history_id = res.history_id;
	if (cfg->upstream_url == NULL || cfg->upstream_url[0] == '\0') {
		rc = err_set(e, SL_EINVAL, "no upstream configured");
		goto out;
	}
	if ((rc = index_url(&url, cfg->upstream_url, e)) != SL_OK)
		goto out;
	if ((rc = min_version_get(db, &min_version, e)) != SL_OK)
		goto out;
	if ((rc = fetch_body(&r, url, CATALOG_INDEX_MAX, e)) != SL_OK) {
		err_prefix(e, "upstream index");
		goto out;
	}
	rc = catalog_index_parse(&idx, r.body, r.len, &cfg->trusted_keys, now,
	                         min_version, e);
	httpc_resp_free(&r);
	if (rc != SL_OK) {
		err_prefix(e, "upstream");
		goto out;
	}
	if ((rc = plan_build(&plan, db, cfg, idx, url, e)) != SL_OK)
		goto out;
	/* Everything verified: import it all or nothing. */
	if ((rc = db_begin(db, e)) != SL_OK)
		goto out;
	in_tx = true;
	if ((rc = import_plan(db, cfg, &plan, url, now, &res, e)) != SL_OK)
		goto out;
	/* Auto-approval rules over the updates this sync saw first. */
	if ((rc = autoapprove_run(&aa, db, cfg, 0, now, e)) != SL_OK)
		goto out;
	res.files_wanted += aa.approved;
	snprintf(num, sizeof(num), "%" PRId64, idx->version);
	if ((rc = db_meta_set(db, "upstream_index_version", num, e)) != SL_OK)
		goto out;
	res.index_version = idx->version;
	if ((rc = history_finish(db, res.history_id, &res, NULL, e)) != SL_OK)
		goto out;
	if ((rc = db_commit(db, e)) != SL_OK)
		goto out;
	in_tx = false;
	*out = res;
out:
	if (rc != SL_OK) {
		if (in_tx)
			db_rollback(db);
		res = (struct sync_result){
		        .history_id = res.history_id,
		        .index_version = idx != NULL ? idx->version : 0};
		/* Record the failure; a second error here cannot hide the
		 * first one, which is what the caller sees. */
		err_clear(&e2);
		history_finish(db, res.history_id, &res,
		               e != NULL ? e->msg : err_name(rc), &e2);
		err_prefix(e, "sync");
	}
	plan_free(&plan);
	catalog_index_free(idx);
	httpc_resp_free(&r);
	free(url);
	return rc;
}

int
sync_mark_interrupted(struct db *db, int *n, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "UPDATE sync_history SET result = 'failure', "
	                "finished_at = ?, error = 'interrupted: the server "
	                "stopped during the sync' WHERE result = 'running'",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	rc = step_done(db, st, "sync history", e);
	if (rc == SL_OK && n != NULL)
		*n = sqlite3_changes(db_handle(db));
	sqlite3_finalize(st);
	return rc;
}
