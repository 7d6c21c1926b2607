/*
 * agentstate: the view of approved updates and the per-update states (see
 * agentstate.h); split from agentstate.c by responsibility.
 */
#include "agentstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "agentstate_int.h"

static int entries_query2(struct agentstate *s, const char *sql,
                          const char *arg, const char *arg2,
                          struct as_entry **out, size_t *n, struct err *e);

static int
entries_query(struct agentstate *s, const char *sql, const char *arg,
              struct as_entry **out, size_t *n, struct err *e)
{
	return entries_query2(s, sql, arg, NULL, out, n, e);
}

static int
view_delete(struct agentstate *s, const char *id, struct err *e)
{
	static const char *const sql[] = {
	        "DELETE FROM view WHERE id=?",
	        "DELETE FROM view_docs WHERE id=?",
	        "DELETE FROM view_files WHERE update_id=?",
	        "DELETE FROM states WHERE id=?",
	};
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((rc = as_prep_cached(s, &st, sql[i], e)) != SL_OK)
			return rc;
		as_bind_text(st, 1, id);
		if ((rc = as_run_cached(s, st, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

/* "<sha256> <size>,..." (see struct as_row). */
static int
files_text(char **out, const struct as_entry *en, struct err *e)
{
	size_t n = en->n_files * (64 + 1 + 20 + 1) + 1, at = 0;
	char *t = calloc(1, n);

	if (t == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < en->n_files; i++)
		at += (size_t)snprintf(t + at, n - at, "%s%s %llu",
		                       i ? "," : "", en->files[i].sha256,
		                       (unsigned long long)en->files[i].size);
	*out = t;
	return SL_OK;
}

static int
view_insert(struct agentstate *s, const struct as_entry *en, struct err *e)
{
	sqlite3_stmt *st;
	char *files = NULL;
	int rc;

	if ((rc = view_delete(s, en->id, e)) != SL_OK)
		return rc;
	if ((rc = files_text(&files, en, e)) != SL_OK)
		return rc;
	if ((rc = as_prep_cached(
	             s, &st,
	             "INSERT INTO view(id,revision,action,deadline,files)"
	             " VALUES(?,?,?,?,?)",
	             e)) != SL_OK) {
		free(files);
		return rc;
	}
	as_bind_text(st, 1, en->id);
	sqlite3_bind_int64(st, 2, en->revision);
	as_bind_text(st, 3, en->action);
	if (en->deadline)
		sqlite3_bind_int64(st, 4, en->deadline);
	else
		sqlite3_bind_null(st, 4);
	as_bind_text(st, 5, files);
	free(files);
	if ((rc = as_run_cached(s, st, e)) != SL_OK)
		return rc;
	if ((rc = as_prep_cached(
	             s, &st, "INSERT INTO view_docs(id,document) VALUES(?,?)",
	             e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, en->id);
	as_bind_text(st, 2, en->document);
	if ((rc = as_run_cached(s, st, e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < en->n_files; i++) {
		if ((rc = as_prep_cached(
		             s, &st,
		             "INSERT OR REPLACE INTO view_files(update_id,"
		             "sha256,size,url) VALUES(?,?,?,?)",
		             e)) != SL_OK)
			return rc;
		as_bind_text(st, 1, en->id);
		as_bind_text(st, 2, en->files[i].sha256);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)en->files[i].size);
		as_bind_text(st, 4, en->files[i].url);
		if ((rc = as_run_cached(s, st, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

int
agentstate_view_apply(struct agentstate *s, bool full,
                      const struct as_entry *ents, size_t n,
                      char *const *removed, size_t n_removed,
                      const char *anchor, struct err *e)
{
	int rc;

	if ((rc = as_tx_begin(s, e)) != SL_OK)
		return rc;
	if (full)
		rc = as_exec(s,
		             "DELETE FROM view; DELETE FROM view_docs;"
		             "DELETE FROM view_files;"
		             "DELETE FROM states;",
		             e);
	for (size_t i = 0; rc == SL_OK && i < n_removed; i++)
		rc = view_delete(s, removed[i], e);
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		rc = view_insert(s, &ents[i], e);
	if (rc == SL_OK)
		rc = as_meta_set(s, "anchor", anchor, e);
	rc = as_tx_end(s, rc, e);
	return rc == SL_OK ? rc : err_prefix(e, "storing the view");
}

void
agentstate_entries_free(struct as_entry *ents, size_t n)
{
	if (ents == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(ents[i].document);
		for (size_t j = 0; j < ents[i].n_files; j++)
			free(ents[i].files[j].url);
		free(ents[i].files);
	}
	free(ents);
}

static int
files_load(struct agentstate *s, struct as_entry *en, struct err *e)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc, r;

	if ((rc = as_prep_cached(s, &st,
	                         "SELECT sha256,size,url FROM view_files WHERE "
	                         "update_id=? ORDER BY rowid",
	                         e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, en->id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct as_file *f;
		rc = ARRAY_GROW(en->files, cap, en->n_files, AS_ROWS_MAX, e);
		if (rc != SL_OK)
			goto out;
		f = &en->files[en->n_files];
		as_col_copy(f->sha256, sizeof(f->sha256), st, 0);
		f->size = (uint64_t)sqlite3_column_int64(st, 1);
		if ((f->url = as_col_dup(st, 2)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		en->n_files++;
	}
	if (r != SQLITE_DONE)
		rc = as_db_err(s, e, "view files");
out:
	as_release(s, st);
	return rc;
}

int
agentstate_view_load(struct agentstate *s, struct as_entry **out, size_t *n,
                     struct err *e)
{
	return entries_query(s,
	                     "SELECT v.id,v.revision,v.action,v.deadline,"
	                     "d.document FROM view v JOIN view_docs d ON "
	                     "d.id=v.id WHERE ?1 IS NULL ORDER BY v.id",
	                     NULL, out, n, e);
}

int
as_queue_state(struct agentstate *s, const struct as_state *x, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	/* A newer state replaces a queued one; the new row gets a new seq so
	 * an acknowledgement of the older batch does not delete it. */
	if ((rc = as_prep(
	             s, &st,
	             "INSERT OR REPLACE INTO queue_states(id,revision,state,"
	             "detail) VALUES(?,?,?,?)",
	             e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, x->id);
	sqlite3_bind_int64(st, 2, x->revision);
	as_bind_text(st, 3, x->state);
	as_bind_text(st, 4, x->detail);
	return as_run_cached(s, st, e);
}

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static const struct as_state *
array_get(void *arg, size_t i, struct as_state *tmp)
{
	(void)tmp;
	return &((const struct as_state *)arg)[i];
}

int
agentstate_states_store(struct agentstate *s, const struct as_state *x,
                        size_t n, bool queue_all, size_t *n_queued,
                        struct err *e)
{
	return agentstate_states_store_fn(s, array_get, (void *)x, n, queue_all,
	                                  n_queued, e);
}

int
agentstate_states_store_fn(struct agentstate *s, as_state_get_fn get, void *arg,
                           size_t n, bool queue_all, size_t *n_queued,
                           struct err *e)
{
	struct as_state tmp;
	const struct as_state *xi;
	enum { SAME, CHANGED, RETITLED };
	sqlite3_stmt *cur = NULL, *put = NULL, *del = NULL;
	unsigned char *what = calloc(n ? n : 1, 1);
	char **gone = NULL;
	size_t n_gone = 0, cap_gone = 0, i = 0, queued = 0;
	int rc, r = SQLITE_DONE;

	if (what == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	/* Merge the new states (sorted by id) with the stored ones, streamed:
	 * note what changed and what went away, then write only that. */
	if ((rc = as_prep(s, &cur,
	                  "SELECT id,revision,state,detail,title FROM states "
	                  "ORDER BY id",
	                  e)) != SL_OK)
		goto out;
	r = sqlite3_step(cur);
	while (i < n || r == SQLITE_ROW) {
		const char *oid =
		        r == SQLITE_ROW
		                ? (const char *)sqlite3_column_text(cur, 0)
		                : NULL;
		int c;

		xi = i < n ? get(arg, i, &tmp) : NULL;
		c = xi == NULL ? 1 : oid == NULL ? -1 : strcmp(xi->id, oid);

		if (c > 0) { /* gone */
			rc = ARRAY_GROW(gone, cap_gone, n_gone, AS_ROWS_MAX, e);
			if (rc != SL_OK)
				goto out;
			if ((gone[n_gone] = strdup(oid)) == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			n_gone++;
		} else if (c < 0) {
			what[i] = CHANGED;
		} else if (xi->revision != sqlite3_column_int64(cur, 1) ||
		           strcmp(xi->state, (const char *)sqlite3_column_text(
		                                     cur, 2)) != 0 ||
		           !str_eq(xi->detail,
		                   (const char *)sqlite3_column_text(cur, 3))) {
			what[i] = CHANGED;
		} else if (!str_eq(xi->title,
		                   (const char *)sqlite3_column_text(cur, 4))) {
			what[i] = RETITLED;
		}
		if (c >= 0)
			r = sqlite3_step(cur);
		if (c <= 0)
			i++;
	}
	if (r != SQLITE_DONE) {
		rc = as_db_err(s, e, "states");
		goto out;
	}
	sqlite3_finalize(cur);
	cur = NULL;
	if ((rc = as_tx_begin(s, e)) != SL_OK)
		goto out;
	if ((rc = as_prep(s, &put,
	                  "INSERT OR REPLACE INTO states(id,revision,state,"
	                  "detail,title) VALUES(?,?,?,?,?)",
	                  e)) != SL_OK ||
	    (rc = as_prep(s, &del, "DELETE FROM states WHERE id=?", e)) !=
	            SL_OK)
		goto end;
	for (i = 0; rc == SL_OK && i < n; i++) {
		if (what[i] == SAME && !queue_all)
			continue;
		xi = get(arg, i, &tmp);
		if (what[i] != SAME) {
			sqlite3_reset(put);
			as_bind_text(put, 1, xi->id);
			sqlite3_bind_int64(put, 2, xi->revision);
			as_bind_text(put, 3, xi->state);
			as_bind_text(put, 4, xi->detail);
			as_bind_text(put, 5, xi->title);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = as_db_err(s, e, "states");
		}
		if (rc == SL_OK && (what[i] == CHANGED || queue_all)) {
			rc = as_queue_state(s, xi, e);
			queued++;
		}
	}
	for (i = 0; rc == SL_OK && i < n_gone; i++) {
		sqlite3_reset(del);
		as_bind_text(del, 1, gone[i]);
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = as_db_err(s, e, "states");
	}
end:
	rc = as_tx_end(s, rc, e);
out:
	sqlite3_finalize(cur);
	sqlite3_finalize(put);
	sqlite3_finalize(del);
	for (i = 0; i < n_gone; i++)
		free(gone[i]);
	free(gone);
	free(what);
	if (rc == SL_OK && n_queued != NULL)
		*n_queued = queued;
	return rc == SL_OK ? rc : err_prefix(e, "storing states");
}

void
agentstate_states_free(struct as_state *x, size_t n)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(x[i].detail);
		free(x[i].title);
	}
	free(x);
}

static int
states_query(struct agentstate *s, const char *sql, struct as_state **out,
             size_t *n, struct err *e)
{
	struct as_state *v = NULL;
	sqlite3_stmt *st;
	size_t cnt = 0, cap = 0;
	int rc, r;

	if ((rc = as_prep(s, &st, sql, e)) != SL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct as_state *x;
		if ((rc = ARRAY_GROW(v, cap, cnt, AS_ROWS_MAX, e)) != SL_OK)
			goto out;
		x = &v[cnt++];
		memset(x, 0, sizeof(*x));
		as_col_copy(x->id, sizeof(x->id), st, 0);
		x->revision = sqlite3_column_int64(st, 1);
		as_col_copy(x->state, sizeof(x->state), st, 2);
		x->detail = as_col_dup(st, 3);
		x->title = as_col_dup(st, 4);
	}
	if (r != SQLITE_DONE) {
		rc = as_db_err(s, e, "states");
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	sqlite3_finalize(st);
	agentstate_states_free(v, cnt);
	return rc;
}

int
agentstate_states_load(struct agentstate *s, struct as_state **out, size_t *n,
                       struct err *e)
{
	return states_query(s,
	                    "SELECT id,revision,state,detail,title FROM states "
	                    "ORDER BY title,id",
	                    out, n, e);
}

void
agentstate_files_free(struct as_file *f, size_t n)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(f[i].url);
	free(f);
}

int
agentstate_view_files(struct agentstate *s, const char *id,
                      struct as_file **out, size_t *n, struct err *e)
{
	struct as_entry en;
	int rc;

	memset(&en, 0, sizeof(en));
	snprintf(en.id, sizeof(en.id), "%s", id);
	if ((rc = files_load(s, &en, e)) != SL_OK) {
		agentstate_files_free(en.files, en.n_files);
		return rc;
	}
	*out = en.files;
	*n = en.n_files;
	return SL_OK;
}

/* Entries with their documents and files for a query binding ?1 = arg
 * and ?2 = arg2 (when the query has it). */
static int
entries_query2(struct agentstate *s, const char *sql, const char *arg,
               const char *arg2, struct as_entry **out, size_t *n,
               struct err *e)
{
	struct as_entry *v = NULL, *en;
	sqlite3_stmt *st = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	if ((rc = as_prep(s, &st, sql, e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, arg);
	if (sqlite3_bind_parameter_count(st) >= 2)
		as_bind_text(st, 2, arg2);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = ARRAY_GROW(v, cap, cnt, AS_ROWS_MAX, e)) != SL_OK)
			goto out;
		en = &v[cnt++];
		memset(en, 0, sizeof(*en));
		as_col_copy(en->id, sizeof(en->id), st, 0);
		en->revision = sqlite3_column_int64(st, 1);
		as_col_copy(en->action, sizeof(en->action), st, 2);
		en->deadline = sqlite3_column_int64(st, 3);
		if ((en->document = as_col_dup(st, 4)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (r != SQLITE_DONE) {
		rc = as_db_err(s, e, "view");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < cnt; i++)
		if ((rc = files_load(s, &v[i], e)) != SL_OK)
			goto out;
	*out = v;
	*n = cnt;
	v = NULL;
out:
	sqlite3_finalize(st);
	agentstate_entries_free(v, cnt);
	return rc;
}

int
agentstate_view_get(struct agentstate *s, const char *id, struct as_entry **out,
                    struct err *e)
{
	struct as_entry *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = entries_query(s,
	                        "SELECT v.id,v.revision,v.action,v.deadline,"
	                        "d.document FROM view v JOIN view_docs d ON "
	                        "d.id=v.id WHERE v.id=?1",
	                        id, &v, &n, e)) != SL_OK)
		return rc;
	if (n == 0) {
		agentstate_entries_free(v, n);
		return err_set(e, SL_ENOTFOUND, "update %s is not in the view",
		               id);
	}
	*out = v;
	return SL_OK;
}

int
agentstate_view_any_unchecked(struct agentstate *s, const char *fp, bool *out,
                              struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	/* "checked<>?1" as two ranges, so the index on checked serves */
	if ((rc = as_prep(s, &st,
	                  "SELECT 1 FROM view WHERE checked IS NULL OR "
	                  "checked<?1 OR checked>?1 LIMIT 1",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, fp);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		*out = r == SQLITE_ROW;
	else
		rc = as_db_err(s, e, "view");
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_view_unchecked(struct agentstate *s, const char *fp,
                          const char *after, size_t max, struct as_entry **out,
                          size_t *n, struct err *e)
{
	char sql[320];

	/* In id order from after on, so that going through a large view in
	 * chunks stays linear. */
	snprintf(sql, sizeof(sql),
	         "SELECT v.id,v.revision,v.action,v.deadline,d.document FROM "
	         "view v JOIN view_docs d ON d.id=v.id WHERE v.id>?2 AND "
	         "(v.checked IS NULL OR v.checked<>?1) ORDER BY v.id LIMIT %zu",
	         max);
	return entries_query2(s, sql, fp, after ? after : "", out, n, e);
}

int
agentstate_view_set_checked(struct agentstate *s, const struct as_check *c,
                            const char *fp, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep_cached(s, &st,
	                         "UPDATE view SET checked=?,refused=?,title=?,"
	                         "is_installed=?,is_installable=?,supersedes=?,"
	                         "prerequisites=? WHERE id=? AND revision=?",
	                         e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, fp);
	as_bind_text(st, 2, c->refused);
	as_bind_text(st, 3, c->refused ? NULL : c->title);
	as_bind_text(st, 4, c->refused ? NULL : c->is_installed);
	as_bind_text(st, 5, c->refused ? NULL : c->is_installable);
	as_bind_text(st, 6, c->refused ? NULL : c->supersedes);
	as_bind_text(st, 7, c->refused ? NULL : c->prerequisites);
	as_bind_text(st, 8, c->id);
	sqlite3_bind_int64(st, 9, c->revision);
	return as_run_cached(s, st, e);
}

int
agentstate_view_scan(struct agentstate *s, as_row_fn fn, void *arg,
                     struct err *e)
{
	sqlite3_stmt *st;
	struct as_row row;
	int rc, r;

	if ((rc = as_prep(s, &st,
	                  "SELECT id,revision,action,deadline,refused,title,"
	                  "is_installed,is_installable,supersedes,"
	                  "prerequisites,files FROM view ORDER BY id",
	                  e)) != SL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		row.id = (const char *)sqlite3_column_text(st, 0);
		row.revision = sqlite3_column_int64(st, 1);
		row.action = (const char *)sqlite3_column_text(st, 2);
		row.deadline = sqlite3_column_int64(st, 3);
		row.refused = (const char *)sqlite3_column_text(st, 4);
		row.title = (const char *)sqlite3_column_text(st, 5);
		row.is_installed = (const char *)sqlite3_column_text(st, 6);
		row.is_installable = (const char *)sqlite3_column_text(st, 7);
		row.supersedes = (const char *)sqlite3_column_text(st, 8);
		row.prerequisites = (const char *)sqlite3_column_text(st, 9);
		row.files = (const char *)sqlite3_column_text(st, 10);
		if ((rc = fn(arg, &row, e)) != SL_OK)
			break;
	}
	if (rc == SL_OK && r != SQLITE_DONE)
		rc = as_db_err(s, e, "view");
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_file_wanted(struct agentstate *s, const char *sha256, bool *out,
                       struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = as_prep(s, &st,
	                  "SELECT 1 FROM view_files WHERE sha256=? LIMIT 1",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, sha256);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		*out = r == SQLITE_ROW;
	else
		rc = as_db_err(s, e, "view files");
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_view_count(struct agentstate *s, size_t *out, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep(s, &st, "SELECT count(*) FROM view", e)) != SL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(st, 0);
	else
		rc = as_db_err(s, e, "view");
	sqlite3_finalize(st);
	return rc;
}
