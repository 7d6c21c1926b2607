/*
 * db: SQLite connection setup and versioned schema migrations.
 *
 * Migrations are an append-only list; migration N brings the schema from
 * version N-1 to N inside one transaction and records 'schema_version' in
 * meta. A database newer than this binary is refused.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db {
	sqlite3 *h;
};

static const char *const migration_1 =
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT "
        "NULL);"
        "CREATE TABLE updates(id TEXT NOT NULL, revision INTEGER NOT NULL, "
        " title TEXT NOT NULL, classification TEXT NOT NULL, product TEXT NOT "
        "NULL, kb_article TEXT, severity TEXT, release_date TEXT, "
        " document TEXT NOT NULL, doc_sha256 TEXT NOT NULL, "
        " imported_at INTEGER NOT NULL, PRIMARY KEY(id, revision));"
        "CREATE TABLE update_status(id TEXT PRIMARY KEY, latest_revision "
        "INTEGER NOT NULL, expired INTEGER NOT NULL DEFAULT 0, declined "
        "INTEGER NOT NULL DEFAULT 0, change_seq INTEGER NOT NULL);"
        "CREATE TABLE update_files(update_id TEXT NOT NULL, revision INTEGER "
        "NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, name TEXT NOT "
        "NULL, upstream_url TEXT NOT NULL, "
        " PRIMARY KEY(update_id, revision, sha256));"
        "CREATE TABLE content(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, "
        "upstream_url TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT "
        "NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0, error TEXT, "
        "updated_at INTEGER NOT NULL);"
        "CREATE TABLE sync_history(id INTEGER PRIMARY KEY, started_at INTEGER "
        "NOT NULL, finished_at INTEGER, result TEXT NOT NULL, new_count "
        "INTEGER NOT NULL DEFAULT 0, revised_count INTEGER NOT NULL DEFAULT "
        "0, expired_count INTEGER NOT NULL DEFAULT 0, index_version INTEGER, "
        "error TEXT);"
        "CREATE TABLE groups(id INTEGER PRIMARY KEY, name TEXT NOT NULL "
        "UNIQUE, parent_id INTEGER REFERENCES groups(id));"
        "CREATE TABLE computers(id TEXT PRIMARY KEY, token_hash TEXT NOT NULL "
        "UNIQUE, hostname TEXT NOT NULL, os_id TEXT, os_version TEXT, arch "
        "TEXT, kernel TEXT, agent_version TEXT, group_id INTEGER NOT NULL "
        "REFERENCES groups(id), group_seq INTEGER NOT NULL DEFAULT 0, "
        "registered_at INTEGER NOT NULL, last_contact INTEGER, last_report "
        "INTEGER);"
        "CREATE TABLE approvals(update_id TEXT NOT NULL, group_id INTEGER NOT "
        "NULL REFERENCES groups(id), action TEXT NOT NULL, deadline INTEGER, "
        "approved_at INTEGER NOT NULL, change_seq INTEGER NOT NULL, "
        "PRIMARY KEY(update_id, group_id));"
        "CREATE TABLE approval_removals(update_id TEXT NOT NULL, group_id "
        "INTEGER NOT NULL, change_seq INTEGER NOT NULL, "
        "PRIMARY KEY(update_id, group_id));"
        "CREATE TABLE update_states(computer_id TEXT NOT NULL, update_id TEXT "
        "NOT NULL, revision INTEGER NOT NULL, state TEXT NOT NULL, detail "
        "TEXT, reported_at INTEGER NOT NULL, "
        "PRIMARY KEY(computer_id, update_id));"
        "CREATE TABLE events(event_id TEXT PRIMARY KEY, computer_id TEXT NOT "
        "NULL, update_id TEXT NOT NULL, revision INTEGER, time TEXT, kind "
        "TEXT NOT NULL, result TEXT NOT NULL, exit_code INTEGER, output TEXT, "
        "received_at INTEGER NOT NULL);"
        "CREATE TABLE admin_tokens(id INTEGER PRIMARY KEY, name TEXT NOT "
        "NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, "
        "created_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX events_computer ON events(computer_id);"
        "CREATE INDEX approvals_group ON approvals(group_id, change_seq);"
        "CREATE INDEX content_state ON content(state, next_attempt);"
        "INSERT INTO meta(key, value) VALUES('change_seq', '0');"
        "INSERT INTO groups(id, name, parent_id) VALUES(1, 'All Computers', "
        "NULL);"
        "INSERT INTO groups(id, name, parent_id) VALUES(2, 'Unassigned "
        "Computers', 1);";

/* Administration: nested groups, declines, license acceptance,
 * auto-approval rules, admin tokens with roles, audit log. */
static const char *const migration_2 =
        /* approvals.action may now also be 'not-approved': an explicit
         * setting that overrides the parent group's approval. */
        "ALTER TABLE approvals ADD COLUMN approved_by TEXT;"
        "ALTER TABLE update_status ADD COLUMN declined_at INTEGER;"
        "CREATE TABLE license_acceptances(update_id TEXT NOT NULL, revision "
        "INTEGER NOT NULL, accepted_by TEXT NOT NULL, accepted_at INTEGER "
        "NOT NULL, PRIMARY KEY(update_id, revision));"
        "CREATE TABLE autoapprove_rules(id INTEGER PRIMARY KEY, name TEXT "
        "NOT NULL UNIQUE, classification TEXT, product TEXT, action TEXT NOT "
        "NULL DEFAULT 'install', deadline_days INTEGER, accept_license "
        "INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1, "
        "created_by TEXT, created_at INTEGER NOT NULL);"
        "CREATE TABLE autoapprove_groups(rule_id INTEGER NOT NULL REFERENCES "
        "autoapprove_rules(id) ON DELETE CASCADE, group_id INTEGER NOT NULL "
        "REFERENCES groups(id), PRIMARY KEY(rule_id, group_id));"
        "CREATE TABLE audit_log(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
        "actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail "
        "TEXT);"
        "CREATE INDEX update_states_update ON update_states(update_id);"
        "INSERT OR IGNORE INTO meta(key, value) VALUES('targeting', "
        "'client');"
        "INSERT OR IGNORE INTO meta(key, value) VALUES('unknown_groups', "
        "'ignore');";

/* Server hierarchy: downstream servers, replica configuration, roll-up. */
static const char *const migration_3 =
        /* computers.server: NULL = reports to this server; else the
         * downstream path ("replica1" or "replica1/branch2") of a computer
         * whose status was rolled up; its token_hash is then
         * "downstream:<id>", which never matches a token. */
        "ALTER TABLE computers ADD COLUMN server TEXT;"
        "CREATE TABLE downstream_servers(id INTEGER PRIMARY KEY, name TEXT "
        "NOT NULL UNIQUE, token_hash TEXT NOT NULL UNIQUE, created_at "
        "INTEGER NOT NULL, mode TEXT, last_sync INTEGER, last_anchor "
        "INTEGER, last_rollup INTEGER, revoked INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX computers_server ON computers(server);";

/* migrations[i] brings the schema from version i to i + 1. */
static const char *const migrations[] = {
        migration_1,
        migration_2,
        migration_3,
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == DB_SCHEMA_VERSION,
               "DB_SCHEMA_VERSION must match the migration list");

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

int
db_error(struct db *db, struct err *e, const char *what)
{
	return err_set(e, SL_EDB, "%s: %s", what, sqlite3_errmsg(db->h));
}

int
db_prepare(struct db *db, sqlite3_stmt **out, const char *sql, struct err *e)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_error(db, e, "prepare");
	}
	return SL_OK;
}

int
db_exec(struct db *db, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, SL_EDB, "%s", msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return SL_EDB;
	}
	return SL_OK;
}

int
db_begin(struct db *db, struct err *e)
{
	return db_exec(db, "BEGIN IMMEDIATE", e);
}

int
db_commit(struct db *db, struct err *e)
{
	return db_exec(db, "COMMIT", e);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int
db_meta_get(struct db *db, const char *key, char **out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st, "SELECT value FROM meta WHERE key = ?", e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		char *copy = strdup(v ? v : "");
		if (copy == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		*out = copy;
		rc = SL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "meta key '%s' not set", key);
	} else {
		rc = db_error(db, e, "meta get");
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_meta_set(struct db *db, const char *key, const char *value, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "INSERT INTO meta(key, value) VALUES(?, ?) "
	                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK
	                                     : db_error(db, e, "meta set");
	sqlite3_finalize(st);
	return rc;
}

int
db_current_seq(struct db *db, int64_t *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "SELECT CAST(value AS INTEGER) FROM meta "
	                "WHERE key = 'change_seq'",
	                e);
	if (rc != SL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SL_OK;
	} else {
		rc = err_set(e, SL_EDB, "change sequence missing");
	}
	sqlite3_finalize(st);
	return rc;
}

int
db_next_seq(struct db *db, int64_t *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* One statement: the bump and the read cannot be split by another
	 * writer (the caller's transaction holds the write lock anyway). */
	rc = db_prepare(db, &st,
	                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
	                "WHERE key = 'change_seq' "
	                "RETURNING CAST(value AS INTEGER)",
	                e);
	if (rc != SL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SL_OK;
	} else {
		rc = db_error(db, e, "change sequence");
	}
	sqlite3_finalize(st);
	return rc;
}

int
db_schema_version(struct db *db, int *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "SELECT count(*) FROM sqlite_master WHERE type = "
	                "'table' AND name = 'meta'",
	                e);
	if (rc != SL_OK)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_error(db, e, "schema version");
		goto out;
	}
	if (sqlite3_column_int(st, 0) == 0) {
		*out = 0;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = db_prepare(db, &st,
	                "SELECT CAST(value AS INTEGER) FROM meta "
	                "WHERE key = 'schema_version'",
	                e);
	if (rc != SL_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else {
		rc = db_error(db, e, "schema version");
		goto out;
	}
	rc = SL_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(struct db *db, struct err *e)
{
	char num[16];
	int version, rc;

	rc = db_begin(db, e);
	if (rc != SL_OK)
		return err_prefix(e, "migrate");
	rc = db_schema_version(db, &version, e);
	if (rc != SL_OK)
		goto out;
	if (version > (int)N_MIGRATIONS) {
		rc = err_set(e, SL_EUNSUPPORTED,
		             "database schema version %d is newer than this "
		             "server (%d)",
		             version, (int)N_MIGRATIONS);
		goto out;
	}
	for (int v = version; v < (int)N_MIGRATIONS; v++) {
		rc = db_exec(db, migrations[v], e);
		if (rc != SL_OK) {
			err_prefix(e, "migration %d", v + 1);
			goto out;
		}
		snprintf(num, sizeof(num), "%d", v + 1);
		rc = db_meta_set(db, "schema_version", num, e);
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

int
db_open(struct db **out, const char *path, struct err *e)
{
	struct db *db;
	int rc;

	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &db->h,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                            SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = err_set(e, SL_EDB, "open %s: %s", path,
		             db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db->h, 5000);
	rc = db_exec(db, "PRAGMA journal_mode=WAL", e);
	if (rc == SL_OK)
		rc = db_exec(db, "PRAGMA foreign_keys=ON", e);
	if (rc == SL_OK)
		rc = db_exec(db, "PRAGMA synchronous=NORMAL", e);
	if (rc != SL_OK) {
		err_prefix(e, "open %s", path);
		goto out;
	}
	rc = migrate(db, e);
	if (rc != SL_OK) {
		err_prefix(e, "open %s", path);
		goto out;
	}
	*out = db;
	db = NULL;
out:
	db_close(db);
	return rc;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	sqlite3_close_v2(db->h);
	free(db);
}

int
db_group_id(struct db *db, const char *name, int64_t *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st, "SELECT id FROM groups WHERE name = ?", e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no group named '%s'", name);
	} else {
		rc = db_error(db, e, "group lookup");
	}
	sqlite3_finalize(st);
	return rc;
}
