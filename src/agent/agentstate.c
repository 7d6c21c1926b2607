/*
 * agentstate: SQLite-backed local state of sluice-agent (see agentstate.h).
 */
#include "agentstate.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "agentstate_int.h"
#include "sign.h"

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
        /* 2: verification results kept with the view entries */
        "ALTER TABLE view ADD COLUMN checked TEXT;"
        "ALTER TABLE view ADD COLUMN refused TEXT;"
        "ALTER TABLE view ADD COLUMN title TEXT;"
        "ALTER TABLE view ADD COLUMN rules TEXT;"
        "CREATE INDEX view_files_sha256 ON view_files(sha256);",
        /* 3: documents apart, so a detection scans small rows only */
        "CREATE TABLE view_docs(id TEXT PRIMARY KEY, document TEXT NOT NULL);"
        "INSERT INTO view_docs(id,document) SELECT id,document FROM view;"
        "ALTER TABLE view DROP COLUMN document;",
        /* 4: rule trees apart and id lists as text (parsed only when
         * needed); the old "rules" column is no longer used */
        "ALTER TABLE view ADD COLUMN is_installed TEXT;"
        "ALTER TABLE view ADD COLUMN is_installable TEXT;"
        "ALTER TABLE view ADD COLUMN supersedes TEXT;"
        "ALTER TABLE view ADD COLUMN prerequisites TEXT;"
        "UPDATE view SET checked=NULL, rules=NULL;",
        /* 5: the file list kept in the row the detection scans */
        "ALTER TABLE view ADD COLUMN files TEXT;"
        "UPDATE view SET files=(SELECT group_concat(f.sha256||' '||f.size,"
        "',') FROM view_files f WHERE f.update_id=view.id);",
        /* 6: finding entries not checked under the current keys without
         * scanning the view */
        "CREATE INDEX view_checked ON view(checked);",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int
as_db_err(struct agentstate *s, struct err *e, const char *what)
{
	return err_set(e, SL_EDB, "%s: %s", what, sqlite3_errmsg(s->db));
}

int
as_exec(struct agentstate *s, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, SL_EDB, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return SL_EDB;
	}
	return SL_OK;
}

int
as_prep(struct agentstate *s, sqlite3_stmt **st, const char *sql, struct err *e)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return as_db_err(s, e, "prepare");
	return SL_OK;
}

/* Step a statement that returns no rows, then finalize it. */
int
as_run(struct agentstate *s, sqlite3_stmt *st, struct err *e)
{
	int r = sqlite3_step(st);

	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return as_db_err(s, e, "step");
	return SL_OK;
}

int
as_prep_cached(struct agentstate *s, sqlite3_stmt **st, const char *sql,
               struct err *e)
{
	size_t i;
	int rc;

	for (i = 0; i < AS_CACHE && s->cache[i].sql != NULL; i++)
		if (strcmp(s->cache[i].sql, sql) == 0) {
			sqlite3_reset(s->cache[i].st);
			sqlite3_clear_bindings(s->cache[i].st);
			*st = s->cache[i].st;
			return SL_OK;
		}
	if ((rc = as_prep(s, st, sql, e)) != SL_OK)
		return rc;
	if (i < AS_CACHE) {
		s->cache[i].sql = sqlite3_sql(*st);
		s->cache[i].st = *st;
	}
	return SL_OK;
}

void
as_release(struct agentstate *s, sqlite3_stmt *st)
{
	for (size_t i = 0; i < AS_CACHE && s->cache[i].sql != NULL; i++)
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			return;
		}
	sqlite3_finalize(st); /* the cache was full */
}

int
as_run_cached(struct agentstate *s, sqlite3_stmt *st, struct err *e)
{
	int r = sqlite3_step(st);
	int rc = r == SQLITE_DONE ? SL_OK : as_db_err(s, e, "step");

	as_release(s, st);
	return rc;
}

void
as_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

char *
as_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

void
as_col_copy(char *dst, size_t n, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int
as_meta_get(struct agentstate *s, const char *key, char **out, struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = as_prep(s, &st, "SELECT value FROM meta WHERE key=?", e)) !=
	    SL_OK)
		return rc;
	as_bind_text(st, 1, key);
	r = sqlite3_step(st);
	*out = NULL;
	if (r == SQLITE_ROW) {
		if ((*out = as_col_dup(st, 0)) == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	} else if (r != SQLITE_DONE) {
		rc = as_db_err(s, e, "meta");
	}
	sqlite3_finalize(st);
	return rc;
}

int
as_meta_set(struct agentstate *s, const char *key, const char *value,
            struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (value == NULL) {
		if ((rc = as_prep(s, &st, "DELETE FROM meta WHERE key=?", e)) !=
		    SL_OK)
			return rc;
		as_bind_text(st, 1, key);
		return as_run(s, st, e);
	}
	/* An unchanged value writes nothing (a no-change sync rewrote its
	 * anchor, and every write is a WAL commit and an fdatasync). */
	if ((rc = as_prep(s, &st,
	                  "INSERT INTO meta(key,value) VALUES(?,?) ON CONFLICT"
	                  "(key) DO UPDATE SET value=excluded.value WHERE "
	                  "value IS NOT excluded.value",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, key);
	as_bind_text(st, 2, value);
	return as_run(s, st, e);
}

static int
migrate(struct agentstate *s, struct err *e)
{
	char *v = NULL;
	long cur = 0;
	char num[24];
	int rc;

	if ((rc = as_exec(s,
	                  "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY "
	                  "KEY, value TEXT NOT NULL)",
	                  e)) != SL_OK)
		return rc;
	if ((rc = as_meta_get(s, "schema_version", &v, e)) != SL_OK)
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
		if ((rc = as_exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
			return rc;
		rc = as_exec(s, migrations[i], e);
		snprintf(num, sizeof(num), "%zu", i + 1);
		if (rc == SL_OK)
			rc = as_meta_set(s, "schema_version", num, e);
		if (rc == SL_OK)
			rc = as_exec(s, "COMMIT", e);
		if (rc != SL_OK) {
			as_exec(s, "ROLLBACK", NULL);
			return err_prefix(e, "migration %zu", i + 1);
		}
	}
	return SL_OK;
}

int
agentstate_open(struct agentstate **out, const char *path, struct err *e)
{
	struct agentstate *s = calloc(1, sizeof(*s));
	int rc, fd;

	if (s == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	/* The database holds the computer's token: owner only (SQLite gives
	 * its -wal and -shm files the same mode). Failures here surface as
	 * SQLite's own error just below. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
		(void)fchmod(fd, 0600);
		close(fd);
	}
	/* One thread per connection: no SQLite mutex per call. */
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                            SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = err_set(e, SL_EDB, "%s: %s", path,
		             s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if ((rc = as_exec(s, "PRAGMA journal_mode=WAL", e)) != SL_OK ||
	    (rc = as_exec(s, "PRAGMA synchronous=FULL", e)) != SL_OK ||
	    /* 512 KiB of page cache (SQLite's default is 2 MiB): a detection
	     * reads the view once in order, and the agent's peak memory is
	     * what a light agent is judged by. */
	    (rc = as_exec(s, "PRAGMA cache_size=-512", e)) != SL_OK ||
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
	for (size_t i = 0; i < AS_CACHE; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close(s->db);
	free(s);
}

/* Event ids are version 7 UUIDs (RFC 9562): 48 bits of Unix time in
 * milliseconds, then random bits. The server keeps events under their id;
 * ids that grow with time land at the right edge of its index instead of
 * on a random page of it, which keeps ingestion fast as the table grows. */
void
agentstate_uuid(char out[AS_ID_MAX])
{
	unsigned char b[16];
	struct timespec ts;
	uint64_t ms;

	randombytes_buf(b, sizeof(b));
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
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

	if ((rc = as_meta_get(s, "computer_id", &i, e)) != SL_OK ||
	    (rc = as_meta_get(s, "token", &t, e)) != SL_OK)
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

/* Transactions nest: only the outermost begin/end talk to SQLite, and a
 * failure anywhere inside rolls the whole of it back. */
int
as_tx_begin(struct agentstate *s, struct err *e)
{
	int rc;

	if (s->depth == 0) {
		if ((rc = as_exec(s, "BEGIN IMMEDIATE", e)) != SL_OK)
			return rc;
		s->failed = false;
	}
	s->depth++;
	return SL_OK;
}

int
as_tx_end(struct agentstate *s, int rc, struct err *e)
{
	if (rc != SL_OK)
		s->failed = true;
	if (--s->depth > 0)
		return rc;
	if (!s->failed)
		rc = as_exec(s, "COMMIT", e);
	if (s->failed || rc != SL_OK)
		as_exec(s, "ROLLBACK", NULL);
	return rc;
}

int
agentstate_begin(struct agentstate *s, struct err *e)
{
	return as_tx_begin(s, e);
}

int
agentstate_end(struct agentstate *s, int rc, struct err *e)
{
	return as_tx_end(s, rc, e);
}

int
agentstate_set_identity(struct agentstate *s, const char *id, const char *token,
                        struct err *e)
{
	int rc;

	if ((rc = as_tx_begin(s, e)) != SL_OK)
		return rc;
	if ((rc = as_meta_set(s, "computer_id", id, e)) == SL_OK)
		rc = as_meta_set(s, "token", token, e);
	return as_tx_end(s, rc, e);
}

int
agentstate_clear_identity(struct agentstate *s, struct err *e)
{
	int rc;

	if ((rc = as_tx_begin(s, e)) != SL_OK)
		return rc;
	if ((rc = as_meta_set(s, "computer_id", NULL, e)) == SL_OK &&
	    (rc = as_meta_set(s, "token", NULL, e)) == SL_OK)
		rc = as_meta_set(s, "anchor", NULL, e);
	return as_tx_end(s, rc, e);
}

int
agentstate_anchor(struct agentstate *s, char **out, struct err *e)
{
	return as_meta_get(s, "anchor", out, e);
}

int
agentstate_installed(struct agentstate *s, const char *id, bool *out,
                     struct err *e)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = as_prep(s, &st, "SELECT 1 FROM installed WHERE id=?", e)) !=
	    SL_OK)
		return rc;
	as_bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		*out = r == SQLITE_ROW;
	else
		rc = as_db_err(s, e, "installed");
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_set_installed(struct agentstate *s, const char *id, int64_t revision,
                         bool installed, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep(s, &st,
	                  installed
	                          ? "INSERT INTO installed(id,revision,since) "
	                            "VALUES(?1,?2,?3) ON CONFLICT(id) DO UPDATE"
	                            " SET revision=excluded.revision"
	                          : "DELETE FROM installed WHERE id=?1",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, id);
	if (installed) {
		sqlite3_bind_int64(st, 2, revision);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	}
	return as_run(s, st, e);
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

	if ((rc = as_prep(s, &st,
	                  "SELECT revision,action,result,detail,boot_id FROM "
	                  "outcomes WHERE id=?",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		snprintf(out->id, sizeof(out->id), "%s", id);
		out->revision = sqlite3_column_int64(st, 0);
		as_col_copy(out->action, sizeof(out->action), st, 1);
		as_col_copy(out->result, sizeof(out->result), st, 2);
		out->detail = as_col_dup(st, 3);
		as_col_copy(out->boot_id, sizeof(out->boot_id), st, 4);
	} else if (r == SQLITE_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no attempt recorded for %s", id);
	} else {
		rc = as_db_err(s, e, "outcome");
	}
	sqlite3_finalize(st);
	return rc;
}

void
agentstate_outcomes_free(struct as_outcome *o, size_t n)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(o[i].detail);
	free(o);
}

int
agentstate_outcomes_all(struct agentstate *s, struct as_outcome **out,
                        size_t *n, struct err *e)
{
	struct as_outcome *v = NULL, *x;
	sqlite3_stmt *st;
	size_t cnt = 0, cap = 0;
	int rc, r;

	if ((rc = as_prep(s, &st,
	                  "SELECT id,revision,action,result,detail,boot_id "
	                  "FROM outcomes ORDER BY id",
	                  e)) != SL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = ARRAY_GROW(v, cap, cnt, AS_ROWS_MAX, e)) != SL_OK)
			goto out;
		x = &v[cnt++];
		memset(x, 0, sizeof(*x));
		as_col_copy(x->id, sizeof(x->id), st, 0);
		x->revision = sqlite3_column_int64(st, 1);
		as_col_copy(x->action, sizeof(x->action), st, 2);
		as_col_copy(x->result, sizeof(x->result), st, 3);
		x->detail = as_col_dup(st, 4);
		as_col_copy(x->boot_id, sizeof(x->boot_id), st, 5);
	}
	if (r != SQLITE_DONE) {
		rc = as_db_err(s, e, "outcomes");
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	sqlite3_finalize(st);
	agentstate_outcomes_free(v, cnt);
	return rc;
}

int
agentstate_installed_all(struct agentstate *s, char ***ids, size_t *n,
                         struct err *e)
{
	char **v = NULL;
	sqlite3_stmt *st;
	size_t cnt = 0, cap = 0;
	int rc, r;

	if ((rc = as_prep(s, &st, "SELECT id FROM installed ORDER BY id", e)) !=
	    SL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = ARRAY_GROW(v, cap, cnt, AS_ROWS_MAX, e)) != SL_OK)
			goto out;
		if ((v[cnt] = as_col_dup(st, 0)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		cnt++;
	}
	if (r != SQLITE_DONE) {
		rc = as_db_err(s, e, "installed");
		goto out;
	}
	*ids = v;
	*n = cnt;
	v = NULL;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; v && i < cnt; i++)
		free(v[i]);
	free(v);
	return rc;
}

int
agentstate_meta(struct agentstate *s, const char *key, char **out,
                struct err *e)
{
	return as_meta_get(s, key, out, e);
}

int
agentstate_set_meta(struct agentstate *s, const char *key, const char *value,
                    struct err *e)
{
	return as_meta_set(s, key, value, e);
}

int
agentstate_journal_begin(struct agentstate *s, const char *id, int64_t revision,
                         const char *action, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep(s, &st,
	                  "INSERT OR REPLACE INTO journal(id,revision,action,"
	                  "started) VALUES(?,?,?,?)",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, revision);
	as_bind_text(st, 3, action);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	return as_run(s, st, e);
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
	if ((rc = as_prep(
	             s, &st,
	             "INSERT INTO queue_events(event_id,update_id,revision,"
	             "time,kind,result,exit_code,output) "
	             "VALUES(?,?,?,?,?,?,?,?)",
	             e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, eid);
	as_bind_text(st, 2, ev->id);
	sqlite3_bind_int64(st, 3, ev->revision);
	as_bind_text(st, 4, now);
	as_bind_text(st, 5, ev->kind);
	as_bind_text(st, 6, ev->result);
	sqlite3_bind_int(st, 7, ev->exit_code);
	as_bind_text(st, 8, ev->output);
	return as_run(s, st, e);
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

	if ((rc = as_prep(s, &st,
	                  "INSERT OR REPLACE INTO outcomes(id,revision,action,"
	                  "result,detail,boot_id,time) VALUES(?,?,?,?,?,?,?)",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, revision);
	as_bind_text(st, 3, action);
	as_bind_text(st, 4, result);
	as_bind_text(st, 5, detail);
	as_bind_text(st, 6, boot_id ? boot_id : "");
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	return as_run(s, st, e);
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

	if ((rc = as_tx_begin(s, e)) != SL_OK)
		return rc;
	if ((rc = as_prep(s, &st, "DELETE FROM journal WHERE id=?", e)) !=
	    SL_OK)
		goto out;
	as_bind_text(st, 1, ev->id);
	if ((rc = as_run(s, st, e)) != SL_OK)
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
	rc = as_tx_end(s, rc, e);
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
	if ((rc = as_tx_begin(s, e)) != SL_OK)
		return rc;
	if ((rc = as_prep(s, &st, "SELECT id,revision,action FROM journal",
	                  e)) != SL_OK)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		as_col_copy(ev.id, sizeof(ev.id), st, 0);
		ev.revision = sqlite3_column_int64(st, 1);
		as_col_copy(ev.kind, sizeof(ev.kind), st, 2);
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
		rc = as_db_err(s, e, "journal");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (*n > 0) /* an empty table stays as it is: no write, no fsync */
		rc = as_exec(s, "DELETE FROM journal", e);
out:
	sqlite3_finalize(st);
	rc = as_tx_end(s, rc, e);
	return rc == SL_OK ? rc : err_prefix(e, "install journal");
}

int
agentstate_refused_mark(struct agentstate *s, const char *id, int64_t revision,
                        const char *doc_sha256, bool *is_new, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep(s, &st,
	                  "INSERT INTO refused(id,revision,doc_sha256) "
	                  "VALUES(?1,?2,?3) ON CONFLICT(id) DO UPDATE SET "
	                  "revision=excluded.revision,"
	                  "doc_sha256=excluded.doc_sha256 WHERE "
	                  "refused.doc_sha256<>excluded.doc_sha256",
	                  e)) != SL_OK)
		return rc;
	as_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, revision);
	as_bind_text(st, 3, doc_sha256);
	if ((rc = as_run(s, st, e)) == SL_OK)
		*is_new = sqlite3_changes(s->db) > 0;
	return rc;
}
