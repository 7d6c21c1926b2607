/*
 * agentstate: SQLite-backed local state of sluice-agent (see agentstate.h).
 */
#include "agentstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "sign.h"

struct agentstate {
	sqlite3 *db;
};

/* Each step moves the schema one version forward; never edit a step. The
 * meta table (which holds schema_version) exists before step 1. */
static const char *const migrations[] = {
        "CREATE TABLE view(id TEXT PRIMARY KEY, revision INTEGER NOT NULL,"
        " action TEXT NOT NULL, deadline INTEGER, document TEXT NOT NULL);"
        "CREATE TABLE view_files(update_id TEXT NOT NULL,"
        " sha256 TEXT NOT NULL, size INTEGER NOT NULL, url TEXT NOT NULL,"
        " PRIMARY KEY(update_id, sha256));"
        "CREATE TABLE states(id TEXT PRIMARY KEY, revision INTEGER NOT NULL,"
        " state TEXT NOT NULL, detail TEXT, title TEXT);"
        "CREATE TABLE installed(id TEXT PRIMARY KEY,"
        " revision INTEGER NOT NULL, since INTEGER NOT NULL);"
        "CREATE TABLE outcomes(id TEXT PRIMARY KEY, revision INTEGER NOT NULL,"
        " action TEXT NOT NULL, result TEXT NOT NULL, detail TEXT,"
        " boot_id TEXT NOT NULL, time INTEGER NOT NULL);"
        "CREATE TABLE journal(id TEXT PRIMARY KEY, revision INTEGER NOT NULL,"
        " action TEXT NOT NULL, started INTEGER NOT NULL);"
        "CREATE TABLE queue_states(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " id TEXT NOT NULL UNIQUE, revision INTEGER NOT NULL,"
        " state TEXT NOT NULL, detail TEXT);"
        "CREATE TABLE queue_events(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " event_id TEXT NOT NULL UNIQUE, update_id TEXT NOT NULL,"
        " revision INTEGER NOT NULL, time TEXT NOT NULL, kind TEXT NOT NULL,"
        " result TEXT NOT NULL, exit_code INTEGER NOT NULL, output TEXT);"
        "CREATE TABLE refused(id TEXT PRIMARY KEY, revision INTEGER NOT NULL,"
        " doc_sha256 TEXT NOT NULL);",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static int
db_err(struct agentstate *s, struct err *e, const char *what)
{
	return err_set(e, SL_EDB, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int
exec(struct agentstate *s, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, SL_EDB, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return SL_EDB;
	}
	return SL_OK;
}

static int
prep(struct agentstate *s, sqlite3_stmt **st, const char *sql, struct err *e)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(s, e, "prepare");
	return SL_OK;
}

/* Step a statement that returns no rows, then finalize it. */
static int
run(struct agentstate *s, sqlite3_stmt *st, struct err *e)
{
	int r = sqlite3_step(st);

	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return db_err(s, e, "step");
	return SL_OK;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static void
col_copy(char *dst, size_t n, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int
meta_get(struct agentstate *s, const char *key, char **out, struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = prep(s, &st, "SELECT value FROM meta WHERE key=?", e)) !=
	    SL_OK)
		return rc;
	bind_text(st, 1, key);
	r = sqlite3_step(st);
	*out = NULL;
	if (r == SQLITE_ROW) {
		if ((*out = col_dup(st, 0)) == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	} else if (r != SQLITE_DONE) {
		rc = db_err(s, e, "meta");
	}
	sqlite3_finalize(st);
	return rc;
}

static int
meta_set(struct agentstate *s, const char *key, const char *value,
         struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (value == NULL) {
		if ((rc = prep(s, &st, "DELETE FROM meta WHERE key=?", e)) !=
		    SL_OK)
			return rc;
		bind_text(st, 1, key);
		return run(s, st, e);
	}
	if ((rc = prep(s, &st,
	               "INSERT INTO meta(key,value) VALUES(?,?) ON CONFLICT"
	               "(key) DO UPDATE SET value=excluded.value",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return run(s, st, e);
}

static int
migrate(struct agentstate *s, struct err *e)
{
	char *v = NULL;
	long cur = 0;
	char num[24];
	int rc;

	if ((rc = exec(s,
	               "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY "
	               "KEY, value TEXT NOT NULL)",
	               e)) != SL_OK)
		return rc;
	if ((rc = meta_get(s, "schema_version", &v, e)) != SL_OK)
		return rc;
	if (v != NULL)
		cur = strtol(v, NULL, 10);
	free(v);
	if (cur > (long)N_MIGRATIONS)
		return err_set(e, SL_EDB,
		               "schema version %ld is newer than this agent "
		               "(%zu)",
		               cur, N_MIGRATIONS);
	for (size_t i = (size_t)cur; i < N_MIGRATIONS; i++) {
		if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
			return rc;
		rc = exec(s, migrations[i], e);
		snprintf(num, sizeof(num), "%zu", i + 1);
		if (rc == SL_OK)
			rc = meta_set(s, "schema_version", num, e);
		if (rc == SL_OK)
			rc = exec(s, "COMMIT", e);
		if (rc != SL_OK) {
			exec(s, "ROLLBACK", NULL);
			return err_prefix(e, "migration %zu", i + 1);
		}
	}
	return SL_OK;
}

int
agentstate_open(struct agentstate **out, const char *path, struct err *e)
{
	struct agentstate *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		rc = err_set(e, SL_EDB, "%s: %s", path,
		             s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if ((rc = exec(s, "PRAGMA journal_mode=WAL", e)) != SL_OK ||
	    (rc = exec(s, "PRAGMA synchronous=FULL", e)) != SL_OK ||
	    (rc = migrate(s, e)) != SL_OK) {
		err_prefix(e, "%s", path);
		goto out;
	}
	*out = s;
	s = NULL;
out:
	agentstate_close(s);
	return rc;
}

void
agentstate_close(struct agentstate *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

void
agentstate_uuid(char out[AS_ID_MAX])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, AS_ID_MAX,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	         b[10], b[11], b[12], b[13], b[14], b[15]);
}

int
agentstate_identity(struct agentstate *s, char **id, char **token,
                    struct err *e)
{
	char *i = NULL, *t = NULL;
	int rc;

	if ((rc = meta_get(s, "computer_id", &i, e)) != SL_OK ||
	    (rc = meta_get(s, "token", &t, e)) != SL_OK)
		goto out;
	if (i == NULL || t == NULL) {
		rc = err_set(e, SL_ENOTFOUND, "not registered");
		goto out;
	}
	*id = i;
	*token = t;
	i = t = NULL;
out:
	free(i);
	free(t);
	return rc;
}

static int
tx_end(struct agentstate *s, int rc, struct err *e)
{
	if (rc == SL_OK)
		rc = exec(s, "COMMIT", e);
	if (rc != SL_OK)
		exec(s, "ROLLBACK", NULL);
	return rc;
}

int
agentstate_set_identity(struct agentstate *s, const char *id, const char *token,
                        struct err *e)
{
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	if ((rc = meta_set(s, "computer_id", id, e)) == SL_OK)
		rc = meta_set(s, "token", token, e);
	return tx_end(s, rc, e);
}

int
agentstate_clear_identity(struct agentstate *s, struct err *e)
{
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	if ((rc = meta_set(s, "computer_id", NULL, e)) == SL_OK &&
	    (rc = meta_set(s, "token", NULL, e)) == SL_OK)
		rc = meta_set(s, "anchor", NULL, e);
	return tx_end(s, rc, e);
}

int
agentstate_anchor(struct agentstate *s, char **out, struct err *e)
{
	return meta_get(s, "anchor", out, e);
}

static int
view_delete(struct agentstate *s, const char *id, struct err *e)
{
	static const char *const sql[] = {
	        "DELETE FROM view WHERE id=?",
	        "DELETE FROM view_files WHERE update_id=?",
	        "DELETE FROM states WHERE id=?",
	};
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((rc = prep(s, &st, sql[i], e)) != SL_OK)
			return rc;
		bind_text(st, 1, id);
		if ((rc = run(s, st, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

static int
view_insert(struct agentstate *s, const struct as_entry *en, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_delete(s, en->id, e)) != SL_OK)
		return rc;
	if ((rc = prep(s, &st,
	               "INSERT INTO view(id,revision,action,deadline,document)"
	               " VALUES(?,?,?,?,?)",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, en->id);
	sqlite3_bind_int64(st, 2, en->revision);
	bind_text(st, 3, en->action);
	if (en->deadline)
		sqlite3_bind_int64(st, 4, en->deadline);
	else
		sqlite3_bind_null(st, 4);
	bind_text(st, 5, en->document);
	if ((rc = run(s, st, e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < en->n_files; i++) {
		if ((rc = prep(s, &st,
		               "INSERT OR REPLACE INTO view_files(update_id,"
		               "sha256,size,url) VALUES(?,?,?,?)",
		               e)) != SL_OK)
			return rc;
		bind_text(st, 1, en->id);
		bind_text(st, 2, en->files[i].sha256);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)en->files[i].size);
		bind_text(st, 4, en->files[i].url);
		if ((rc = run(s, st, e)) != SL_OK)
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

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	if (full)
		rc = exec(s,
		          "DELETE FROM view; DELETE FROM view_files;"
		          "DELETE FROM states;",
		          e);
	for (size_t i = 0; rc == SL_OK && i < n_removed; i++)
		rc = view_delete(s, removed[i], e);
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		rc = view_insert(s, &ents[i], e);
	if (rc == SL_OK)
		rc = meta_set(s, "anchor", anchor, e);
	rc = tx_end(s, rc, e);
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

	if ((rc = prep(s, &st,
	               "SELECT sha256,size,url FROM view_files WHERE "
	               "update_id=? ORDER BY rowid",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, en->id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct as_file *f;
		if (en->n_files == cap) {
			cap = cap ? cap * 2 : 4;
			f = realloc(en->files, cap * sizeof(*f));
			if (f == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			en->files = f;
		}
		f = &en->files[en->n_files];
		col_copy(f->sha256, sizeof(f->sha256), st, 0);
		f->size = (uint64_t)sqlite3_column_int64(st, 1);
		if ((f->url = col_dup(st, 2)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		en->n_files++;
	}
	if (r != SQLITE_DONE)
		rc = db_err(s, e, "view files");
out:
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_view_load(struct agentstate *s, struct as_entry **out, size_t *n,
                     struct err *e)
{
	struct as_entry *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	if ((rc = prep(s, &st,
	               "SELECT id,revision,action,deadline,document FROM view"
	               " ORDER BY id",
	               e)) != SL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct as_entry *en;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			en = realloc(v, cap * sizeof(*en));
			if (en == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			v = en;
		}
		en = &v[cnt];
		memset(en, 0, sizeof(*en));
		cnt++;
		col_copy(en->id, sizeof(en->id), st, 0);
		en->revision = sqlite3_column_int64(st, 1);
		col_copy(en->action, sizeof(en->action), st, 2);
		en->deadline = sqlite3_column_int64(st, 3);
		if ((en->document = col_dup(st, 4)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (r != SQLITE_DONE) {
		rc = db_err(s, e, "view");
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

static int
queue_state(struct agentstate *s, const struct as_state *x, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	/* A newer state replaces a queued one; the new row gets a new seq so
	 * an acknowledgement of the older batch does not delete it. */
	if ((rc = prep(s, &st,
	               "INSERT OR REPLACE INTO queue_states(id,revision,state,"
	               "detail) VALUES(?,?,?,?)",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, x->id);
	sqlite3_bind_int64(st, 2, x->revision);
	bind_text(st, 3, x->state);
	bind_text(st, 4, x->detail);
	return run(s, st, e);
}

int
agentstate_states_store(struct agentstate *s, const struct as_state *x,
                        size_t n, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	rc = exec(s, "DELETE FROM states", e);
	for (size_t i = 0; rc == SL_OK && i < n; i++) {
		if ((rc = prep(
		             s, &st,
		             "INSERT OR REPLACE INTO states(id,revision,state,"
		             "detail,title) VALUES(?,?,?,?,?)",
		             e)) != SL_OK)
			break;
		bind_text(st, 1, x[i].id);
		sqlite3_bind_int64(st, 2, x[i].revision);
		bind_text(st, 3, x[i].state);
		bind_text(st, 4, x[i].detail);
		bind_text(st, 5, x[i].title);
		if ((rc = run(s, st, e)) == SL_OK)
			rc = queue_state(s, &x[i], e);
	}
	rc = tx_end(s, rc, e);
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

int
agentstate_states_load(struct agentstate *s, struct as_state **out, size_t *n,
                       struct err *e)
{
	struct as_state *v = NULL;
	sqlite3_stmt *st;
	size_t cnt = 0, cap = 0;
	int rc, r;

	if ((rc = prep(s, &st,
	               "SELECT id,revision,state,detail,title FROM states "
	               "ORDER BY title,id",
	               e)) != SL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct as_state *x;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((x = realloc(v, cap * sizeof(*x))) == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			v = x;
		}
		x = &v[cnt++];
		memset(x, 0, sizeof(*x));
		col_copy(x->id, sizeof(x->id), st, 0);
		x->revision = sqlite3_column_int64(st, 1);
		col_copy(x->state, sizeof(x->state), st, 2);
		x->detail = col_dup(st, 3);
		x->title = col_dup(st, 4);
	}
	if (r != SQLITE_DONE) {
		rc = db_err(s, e, "states");
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
agentstate_installed(struct agentstate *s, const char *id, bool *out,
                     struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = prep(s, &st, "SELECT 1 FROM installed WHERE id=?", e)) !=
	    SL_OK)
		return rc;
	bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		*out = r == SQLITE_ROW;
	else
		rc = db_err(s, e, "installed");
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_set_installed(struct agentstate *s, const char *id, int64_t revision,
                         bool installed, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep(s, &st,
	               installed ? "INSERT INTO installed(id,revision,since) "
	                           "VALUES(?1,?2,?3) ON CONFLICT(id) DO UPDATE"
	                           " SET revision=excluded.revision"
	                         : "DELETE FROM installed WHERE id=?1",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, id);
	if (installed) {
		sqlite3_bind_int64(st, 2, revision);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	}
	return run(s, st, e);
}

void
agentstate_outcome_clear(struct as_outcome *o)
{
	if (o == NULL)
		return;
	free(o->detail);
	memset(o, 0, sizeof(*o));
}

int
agentstate_outcome(struct agentstate *s, const char *id, struct as_outcome *out,
                   struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = prep(s, &st,
	               "SELECT revision,action,result,detail,boot_id FROM "
	               "outcomes WHERE id=?",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->revision = sqlite3_column_int64(st, 0);
		col_copy(out->action, sizeof(out->action), st, 1);
		col_copy(out->result, sizeof(out->result), st, 2);
		out->detail = col_dup(st, 3);
		col_copy(out->boot_id, sizeof(out->boot_id), st, 4);
	} else if (r == SQLITE_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no attempt recorded for %s", id);
	} else {
		rc = db_err(s, e, "outcome");
	}
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_journal_begin(struct agentstate *s, const char *id, int64_t revision,
                         const char *action, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep(s, &st,
	               "INSERT OR REPLACE INTO journal(id,revision,action,"
	               "started) VALUES(?,?,?,?)",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, revision);
	bind_text(st, 3, action);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	return run(s, st, e);
}

static int
queue_event(struct agentstate *s, const struct as_event *ev, struct err *e)
{
	char eid[AS_ID_MAX], now[21];
	sqlite3_stmt *st;
	int rc;

	if (ev->event_id[0] == '\0')
		agentstate_uuid(eid);
	else
		snprintf(eid, sizeof(eid), "%s", ev->event_id);
	if (ev->time[0] == '\0')
		sign_time_format(now, (long long)time(NULL));
	else
		snprintf(now, sizeof(now), "%s", ev->time);
	if ((rc = prep(s, &st,
	               "INSERT INTO queue_events(event_id,update_id,revision,"
	               "time,kind,result,exit_code,output) "
	               "VALUES(?,?,?,?,?,?,?,?)",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, eid);
	bind_text(st, 2, ev->id);
	sqlite3_bind_int64(st, 3, ev->revision);
	bind_text(st, 4, now);
	bind_text(st, 5, ev->kind);
	bind_text(st, 6, ev->result);
	sqlite3_bind_int(st, 7, ev->exit_code);
	bind_text(st, 8, ev->output);
	return run(s, st, e);
}

int
agentstate_queue_event(struct agentstate *s, const struct as_event *ev,
                       struct err *e)
{
	return queue_event(s, ev, e);
}

static int
outcome_store(struct agentstate *s, const char *id, int64_t revision,
              const char *action, const char *result, const char *detail,
              const char *boot_id, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep(s, &st,
	               "INSERT OR REPLACE INTO outcomes(id,revision,action,"
	               "result,detail,boot_id,time) VALUES(?,?,?,?,?,?,?)",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, revision);
	bind_text(st, 3, action);
	bind_text(st, 4, result);
	bind_text(st, 5, detail);
	bind_text(st, 6, boot_id ? boot_id : "");
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	return run(s, st, e);
}

int
agentstate_journal_finish(struct agentstate *s, const struct as_event *ev,
                          const char *detail, const char *boot_id,
                          struct err *e)
{
	bool ok = strcmp(ev->result, "failure") != 0;
	bool uninstall = strcmp(ev->kind, "uninstall") == 0;
	sqlite3_stmt *st;
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	if ((rc = prep(s, &st, "DELETE FROM journal WHERE id=?", e)) != SL_OK)
		goto out;
	bind_text(st, 1, ev->id);
	if ((rc = run(s, st, e)) != SL_OK)
		goto out;
	if ((rc = outcome_store(s, ev->id, ev->revision, ev->kind, ev->result,
	                        detail, boot_id, e)) != SL_OK)
		goto out;
	if ((rc = queue_event(s, ev, e)) != SL_OK)
		goto out;
	if (ok)
		rc = agentstate_set_installed(s, ev->id, ev->revision,
		                              !uninstall, e);
out:
	rc = tx_end(s, rc, e);
	return rc == SL_OK ? rc : err_prefix(e, "recording the result");
}

int
agentstate_journal_recover(struct agentstate *s, size_t *n, struct err *e)
{
	static const char msg[] =
	        "interrupted: agent stopped during install; result unknown";
	struct as_event ev;
	sqlite3_stmt *st = NULL;
	int rc, r;

	*n = 0;
	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	if ((rc = prep(s, &st, "SELECT id,revision,action FROM journal", e)) !=
	    SL_OK)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		col_copy(ev.id, sizeof(ev.id), st, 0);
		ev.revision = sqlite3_column_int64(st, 1);
		col_copy(ev.kind, sizeof(ev.kind), st, 2);
		snprintf(ev.result, sizeof(ev.result), "failure");
		ev.exit_code = -1;
		ev.output = msg;
		if ((rc = queue_event(s, &ev, e)) != SL_OK ||
		    (rc = outcome_store(s, ev.id, ev.revision, ev.kind,
		                        "failure", msg, "", e)) != SL_OK)
			goto out;
		(*n)++;
	}
	if (r != SQLITE_DONE) {
		rc = db_err(s, e, "journal");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = exec(s, "DELETE FROM journal", e);
out:
	sqlite3_finalize(st);
	rc = tx_end(s, rc, e);
	return rc == SL_OK ? rc : err_prefix(e, "install journal");
}

void
agentstate_batch_free(struct as_batch *b)
{
	if (b == NULL)
		return;
	free(b->state_seqs);
	free(b->event_seqs);
	memset(b, 0, sizeof(*b));
}

static int
seq_push(int64_t **v, size_t *n, int64_t seq, struct err *e)
{
	int64_t *nv;

	/* Capacity is 16, then doubles whenever n reaches a power of 2. */
	if (*n == 0 || (*n >= 16 && (*n & (*n - 1)) == 0)) {
		nv = realloc(*v, (*n ? *n * 2 : 16) * sizeof(*nv));
		if (nv == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		*v = nv;
	}
	(*v)[(*n)++] = seq;
	return SL_OK;
}

#define BATCH_MAX_ROWS 500

int
agentstate_queue_batch(struct agentstate *s, json_t **body, struct as_batch *b,
                       size_t max_bytes, struct err *e)
{
	json_t *doc = json_object(), *states = json_array(),
	       *events = json_array(), *o;
	sqlite3_stmt *st = NULL;
	size_t bytes = 0;
	int rc, r;

	memset(b, 0, sizeof(*b));
	*body = NULL;
	if (doc == NULL || states == NULL || events == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = prep(s, &st,
	               "SELECT seq,id,revision,state,detail FROM queue_states"
	               " ORDER BY seq LIMIT 5000",
	               e)) != SL_OK)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_pack("{s:s, s:I, s:s}", "id",
		              (const char *)sqlite3_column_text(st, 1),
		              "revision",
		              (json_int_t)sqlite3_column_int64(st, 2), "state",
		              (const char *)sqlite3_column_text(st, 3));
		if (o == NULL || json_array_append_new(states, o) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(
			        o, "detail",
			        json_string((const char *)sqlite3_column_text(
			                st, 4)));
		if ((rc = seq_push(&b->state_seqs, &b->n_states,
		                   sqlite3_column_int64(st, 0), e)) != SL_OK)
			goto out;
	}
	if (r != SQLITE_DONE) {
		rc = db_err(s, e, "queue");
		goto out;
	}
	sqlite3_finalize(st);
	if ((rc = prep(s, &st,
	               "SELECT seq,event_id,update_id,revision,time,kind,"
	               "result,exit_code,output FROM queue_events ORDER BY seq"
	               " LIMIT 500",
	               e)) != SL_OK)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *output = (const char *)sqlite3_column_text(st, 8);
		size_t olen = output ? strlen(output) : 0;

		if (b->n_events > 0 && bytes + olen > max_bytes)
			break;
		bytes += olen;
		o = json_pack(
		        "{s:s, s:s, s:I, s:s, s:s, s:s, s:i, s:s}", "event_id",
		        (const char *)sqlite3_column_text(st, 1), "id",
		        (const char *)sqlite3_column_text(st, 2), "revision",
		        (json_int_t)sqlite3_column_int64(st, 3), "time",
		        (const char *)sqlite3_column_text(st, 4), "kind",
		        (const char *)sqlite3_column_text(st, 5), "result",
		        (const char *)sqlite3_column_text(st, 6), "exit_code",
		        sqlite3_column_int(st, 7), "output",
		        output ? output : "");
		if (o == NULL || json_array_append_new(events, o) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = seq_push(&b->event_seqs, &b->n_events,
		                   sqlite3_column_int64(st, 0), e)) != SL_OK)
			goto out;
	}
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		rc = db_err(s, e, "queue");
		goto out;
	}
	if (b->n_states == 0 && b->n_events == 0)
		goto out;
	json_object_set(doc, "states", states);
	json_object_set(doc, "events", events);
	*body = doc;
	doc = NULL;
out:
	sqlite3_finalize(st);
	json_decref(doc);
	json_decref(states);
	json_decref(events);
	if (rc != SL_OK)
		agentstate_batch_free(b);
	return rc;
}

static int
delete_seqs(struct agentstate *s, const char *sql, const int64_t *v, size_t n,
            struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep(s, &st, sql, e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_err(s, e, "queue");
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_queue_ack(struct agentstate *s, const struct as_batch *b,
                     struct err *e)
{
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
		return rc;
	rc = delete_seqs(s, "DELETE FROM queue_states WHERE seq=?",
	                 b->state_seqs, b->n_states, e);
	if (rc == SL_OK)
		rc = delete_seqs(s, "DELETE FROM queue_events WHERE seq=?",
		                 b->event_seqs, b->n_events, e);
	return tx_end(s, rc, e);
}

int
agentstate_queue_count(struct agentstate *s, size_t *states, size_t *events,
                       struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep(s, &st,
	               "SELECT (SELECT count(*) FROM queue_states),"
	               "(SELECT count(*) FROM queue_events)",
	               e)) != SL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*states = (size_t)sqlite3_column_int64(st, 0);
		*events = (size_t)sqlite3_column_int64(st, 1);
	} else {
		rc = db_err(s, e, "queue");
	}
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_refused_mark(struct agentstate *s, const char *id, int64_t revision,
                        const char *doc_sha256, bool *is_new, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep(s, &st,
	               "INSERT INTO refused(id,revision,doc_sha256) "
	               "VALUES(?1,?2,?3) ON CONFLICT(id) DO UPDATE SET "
	               "revision=excluded.revision,"
	               "doc_sha256=excluded.doc_sha256 WHERE "
	               "refused.doc_sha256<>excluded.doc_sha256",
	               e)) != SL_OK)
		return rc;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, revision);
	bind_text(st, 3, doc_sha256);
	if ((rc = run(s, st, e)) == SL_OK)
		*is_new = sqlite3_changes(s->db) > 0;
	return rc;
}
