/*
 * db_sqlite: the SQLite engine of db.h. One connection per struct db (WAL,
 * writers wait up to 5 s (db_sqlite_busy.c), foreign keys on, synchronous
 * NORMAL; SQLite in multi-thread mode, so each thread opens its own). The
 * schema is brought up to date with versioned migrations: an append-only list
 * in which migration N brings the schema from version N-1 to N inside one
 * transaction and records 'schema_version' in meta. A database newer than
 * this binary is refused.
 *
 * Statements are prepared once and cached per connection in a small open-
 * addressed table keyed by the SQL text pointer. A cached statement still
 * in use (a caller stepping it while another asks for the same SQL) is not
 * handed out twice: the second caller gets a private statement, finalized
 * by db_done(). Parameters $N are bound by name.
 */
#include "db_engine.h"
#include "db_effective.h"
#include "db_states.h"
#include "db_sqlite_busy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define CACHE_SLOTS 512 /* power of two */
#define CACHE_MAX   384 /* cached statements; more are private */

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *h;
	const char *sql;
	int64_t changes;
	int *slot; /* slot[n]: the SQLite index of $n (0: none), n <= n_slot */
	int n_slot;
	bool busy;   /* handed out, db_done() not called yet */
	bool cached; /* owned by the cache; else freed by db_done() */
};

struct sq_db {
	struct db base;
	sqlite3 *h;
	size_t n_cached;
	struct sq_stmt *cache[CACHE_SLOTS];
};

static const struct db_engine_ops sq_ops;

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

/* Enrollment keys: registration needs one unless meta 'registration' is
 * 'open'. A server that already has computers keeps registering them
 * openly (its agents hold no key yet); a new one requires keys. groups: a
 * JSON array of the group names the key pins (NULL: the agent chooses). */
static const char *const migration_4 =
        "CREATE TABLE enrollment_keys(id INTEGER PRIMARY KEY, key_hash TEXT "
        "NOT NULL UNIQUE, name TEXT, groups TEXT, expires_at INTEGER, "
        "max_uses INTEGER, used INTEGER NOT NULL DEFAULT 0, created_by TEXT, "
        "created_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
        "ALTER TABLE computers ADD COLUMN enrollment_key_id INTEGER;"
        "INSERT OR IGNORE INTO meta(key, value) SELECT 'registration', "
        "CASE WHEN EXISTS (SELECT 1 FROM computers) THEN 'open' ELSE 'key' "
        "END;";

/* The SHA-256 of each revision's license terms (NULL: none, or imported
 * before this migration), so that terms accepted for one revision count
 * for a later one only while they are the same. */
static const char *const migration_5 =
        "ALTER TABLE updates ADD COLUMN eula_sha256 TEXT;"
        /* The advisory id (DSA-5111-1), so that an administrator can name
         * an update by it. */
        "ALTER TABLE updates ADD COLUMN security_bulletin TEXT;";

/* A computer in several groups: computers.group_id is its first group,
 * computer_groups holds the others. */
static const char *const migration_6 =
        "CREATE TABLE computer_groups(computer_id TEXT NOT NULL, group_id "
        "INTEGER NOT NULL, PRIMARY KEY(computer_id, group_id));"
        "CREATE INDEX computer_groups_group ON computer_groups(group_id);"
        /* The machine identity an agent sends (/etc/machine-id or its own
         * id file): a reinstalled machine registering again replaces its
         * old record. */
        "ALTER TABLE computers ADD COLUMN machine_id TEXT;"
        "CREATE UNIQUE INDEX computers_machine ON computers(machine_id);";

/* Cluster jobs: a lease per job (store_lease.c), so that several
 * front-ends on one database run each scheduled job once; next_due is the
 * job's next scheduled run, shared by the front-ends. */
static const char *const migration_7 =
        "CREATE TABLE leases(name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
        "expires_at INTEGER NOT NULL, next_due INTEGER NOT NULL DEFAULT 0);";

/* Each group's effective approval per update, inheritance along its
 * chain of parents applied (store_effective.c, which rewrites it with
 * every change of approvals and of the group tree): an agent's sync
 * reads its group's rows by key instead of walking the tree. Filled here
 * from the existing approvals. */
static const char *const migration_8 =
        "CREATE TABLE effective_approvals(group_id INTEGER NOT NULL, "
        "update_id TEXT NOT NULL, action TEXT, deadline INTEGER, change_seq "
        "INTEGER NOT NULL, PRIMARY KEY(group_id, "
        "update_id));" DB_EFFECTIVE_FILL;

/* The catalog freshness an agent reports (docs/security.md): ok | stale
 * with its reason; NULL until the agent reports one. */
static const char *const migration_9 =
        "ALTER TABLE computers ADD COLUMN catalog_state TEXT;"
        "ALTER TABLE computers ADD COLUMN catalog_detail TEXT;";

/* The counters of a state row added (new) or dropped (old). */
#define STATE_ADD                                                              \
	"INSERT INTO state_counts(ukey, rev, st, n) VALUES(new.ukey, new.v / " \
	"16, new.v % 8, 1) ON CONFLICT(ukey, rev, st) DO UPDATE SET n = "      \
	"state_counts.n + 1;"                                                  \
	"INSERT INTO group_counts(ukey, gid, st, n) SELECT new.ukey, "         \
	"group_id, new.v % 8, 1 FROM computers WHERE ckey = new.ckey ON "      \
	"CONFLICT(ukey, gid, st) DO UPDATE SET n = group_counts.n + 1;"        \
	"INSERT INTO computer_counts(ckey, st, n) VALUES(new.ckey, new.v % "   \
	"8, 1) ON CONFLICT(ckey, st) DO UPDATE SET n = computer_counts.n + 1;"
#define STATE_DROP                                                             \
	"UPDATE state_counts SET n = n - 1 WHERE ukey = old.ukey AND rev = "   \
	"old.v / 16 AND st = old.v % 8;"                                       \
	"UPDATE group_counts SET n = n - 1 WHERE ukey = old.ukey AND st = "    \
	"old.v % 8 AND gid = (SELECT group_id FROM computers WHERE ckey = "    \
	"old.ckey);"                                                           \
	"UPDATE computer_counts SET n = n - 1 WHERE ckey = old.ckey AND st = " \
	"old.v % 8;"

/* Compact update states (docs/store.md, "Update states"): computers and
 * updates get integer keys (ckey, ukey; text ids stay the API), one
 * WITHOUT ROWID row of integers per (computer, update) — v = state code
 * (0 not-applicable, 1 needed, 2 downloaded, 3 installed, 4
 * installed-pending-reboot, 5 failed) + 8 when a detail is kept in
 * state_details + 16 * revision; t = the report time, NULL for
 * not-applicable (the computer's last report stands for it) — and
 * counters the triggers keep in the same transaction: per update and
 * revision, per update and group (the computer's group_id: a computer
 * counts once), per computer, and the members of each group. The old
 * table's name is a view with its columns, for reading. */
static const char *const migration_10 =
        "ALTER TABLE computers ADD COLUMN ckey INTEGER;"
        "UPDATE computers SET ckey = rowid;"
        "CREATE UNIQUE INDEX computers_ckey ON computers(ckey);"
        "ALTER TABLE update_status ADD COLUMN ukey INTEGER;"
        "UPDATE update_status SET ukey = rowid;"
        "CREATE UNIQUE INDEX update_status_ukey ON update_status(ukey);"
        "ALTER TABLE groups ADD COLUMN members INTEGER NOT NULL DEFAULT 0;"
        "UPDATE groups SET members = (SELECT count(*) FROM computers c "
        "WHERE c.group_id = groups.id);"
        "CREATE TABLE states(ckey INTEGER NOT NULL, ukey INTEGER NOT NULL, "
        "v INTEGER NOT NULL, t INTEGER, PRIMARY KEY(ckey, ukey)) WITHOUT "
        "ROWID;"
        "CREATE TABLE state_details(ckey INTEGER NOT NULL, ukey INTEGER NOT "
        "NULL, detail TEXT NOT NULL, PRIMARY KEY(ckey, ukey)) WITHOUT ROWID;"
        "CREATE TABLE state_counts(ukey INTEGER NOT NULL, rev INTEGER NOT "
        "NULL, st INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(ukey, "
        "rev, st)) WITHOUT ROWID;"
        "CREATE TABLE group_counts(ukey INTEGER NOT NULL, gid INTEGER NOT "
        "NULL, st INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(ukey, "
        "gid, st)) WITHOUT ROWID;"
        "CREATE TABLE computer_counts(ckey INTEGER NOT NULL, st INTEGER NOT "
        "NULL, n INTEGER NOT NULL, PRIMARY KEY(ckey, st)) WITHOUT "
        "ROWID;" DB_STATES_CONVERT
        /* Keys for new rows: one past the largest (writers are serial). */
        "CREATE TRIGGER computers_key AFTER INSERT ON computers WHEN "
        "new.ckey IS NULL BEGIN UPDATE computers SET ckey = (SELECT "
        "coalesce(max(ckey), 0) + 1 FROM computers) WHERE id = new.id; "
        "END;"
        "CREATE TRIGGER update_status_key AFTER INSERT ON update_status "
        "WHEN new.ukey IS NULL BEGIN UPDATE update_status SET ukey = "
        "(SELECT coalesce(max(ukey), 0) + 1 FROM update_status) WHERE id = "
        "new.id; END;"
        "CREATE TRIGGER computers_join AFTER INSERT ON computers BEGIN "
        "UPDATE groups SET members = members + 1 WHERE id = new.group_id; "
        "END;"
        /* A deleted computer takes its states (and their counts) along. */
        "CREATE TRIGGER computers_leave BEFORE DELETE ON computers BEGIN "
        "DELETE FROM states WHERE ckey = old.ckey;"
        "DELETE FROM state_details WHERE ckey = old.ckey;"
        "DELETE FROM computer_counts WHERE ckey = old.ckey;"
        "UPDATE groups SET members = members - 1 WHERE id = old.group_id; "
        "END;"
        "CREATE TRIGGER computers_move AFTER UPDATE OF group_id ON "
        "computers WHEN old.group_id <> new.group_id BEGIN "
        "UPDATE groups SET members = members - 1 WHERE id = old.group_id;"
        "UPDATE groups SET members = members + 1 WHERE id = new.group_id;"
        "INSERT INTO group_counts(ukey, gid, st, n) SELECT ukey, "
        "old.group_id, v % 8, -1 FROM states WHERE ckey = new.ckey ON "
        "CONFLICT(ukey, gid, st) DO UPDATE SET n = group_counts.n + "
        "excluded.n;"
        "INSERT INTO group_counts(ukey, gid, st, n) SELECT ukey, "
        "new.group_id, v % 8, 1 FROM states WHERE ckey = new.ckey ON "
        "CONFLICT(ukey, gid, st) DO UPDATE SET n = group_counts.n + "
        "excluded.n; END;"
        "CREATE TRIGGER states_add AFTER INSERT ON states BEGIN " STATE_ADD
        "END;"
        "CREATE TRIGGER states_drop AFTER DELETE ON states BEGIN " STATE_DROP
        "END;"
        "CREATE TRIGGER states_change AFTER UPDATE OF v ON states WHEN "
        "old.v / 16 <> new.v / 16 OR old.v % 8 <> new.v % 8 BEGIN " STATE_DROP
                STATE_ADD "END;";

/* Events keyed by (computer_id, event_id): one index serves the
 * dedupe of a report sent again (always by the same computer) and the
 * reads of one computer's events, where there were two (the event_id key
 * and events_computer), so storing an event writes one index less. The
 * table is rebuilt in place, same columns in the same order. */
static const char *const migration_11 =
        "CREATE TABLE events_new(event_id TEXT NOT NULL, computer_id TEXT "
        "NOT NULL, update_id TEXT NOT NULL, revision INTEGER, time TEXT, "
        "kind TEXT NOT NULL, result TEXT NOT NULL, exit_code INTEGER, "
        "output TEXT, received_at INTEGER NOT NULL, PRIMARY "
        "KEY(computer_id, event_id));"
        "INSERT INTO events_new SELECT event_id, computer_id, update_id, "
        "revision, time, kind, result, exit_code, output, received_at FROM "
        "events ORDER BY rowid;"
        "DROP TABLE events;"
        "ALTER TABLE events_new RENAME TO events;";

/* What changed after an anchor, found by index: an incremental sync asks
 * whether any update's status row or any of the computer's groups'
 * effective approvals moved past its anchor (store_changed_since), and
 * the pages read the same rows. */
static const char *const migration_12 =
        "CREATE INDEX update_status_change ON update_status(change_seq);"
        "CREATE INDEX effective_approvals_change ON "
        "effective_approvals(group_id, change_seq);";

/* PostgreSQL packs a computer's states a page of update keys to a row
 * (db_pg_schema.c); SQLite's WITHOUT ROWID rows of integers are compact
 * already: nothing changes here. */
static const char *const migration_13 = "SELECT 1;";

/* Install outcomes (db_states.h): written by the triggers of `states`
 * as a state turns installed or failed (a first state only when failed),
 * those of the same kind older than DB_OUTCOME_KEEP seconds (by the
 * clock) cut as they are written, gone with their computer. */
#define OUTCOME_OLD DB_OUTCOME_CLASS("old.v")
#define OUTCOME_NEW DB_OUTCOME_CLASS("new.v")
#define OUTCOME_ADD                                                            \
	"INSERT OR IGNORE INTO state_outcomes(ok, t, ckey, ukey, rev) "        \
	"VALUES(new.v % 8 <> 5, new.t, new.ckey, new.ukey, new.v / 16);"       \
	"DELETE FROM state_outcomes WHERE ok = (new.v % 8 <> 5) AND t < "      \
	"CAST(strftime('%s', 'now') AS INTEGER) - " DB_OUTCOME_KEEP ";"
static const char *const migration_14 = DB_OUTCOMES_TABLE
        "CREATE TRIGGER states_outcome_add AFTER INSERT ON states WHEN "
        "new.t IS NOT NULL AND new.v % 8 = 5 BEGIN " OUTCOME_ADD "END;"
        "CREATE TRIGGER states_outcome_change AFTER UPDATE OF v ON states "
        "WHEN new.t IS NOT NULL AND " OUTCOME_NEW " > 0 AND (" OUTCOME_OLD
        " <> " OUTCOME_NEW " OR old.v / 16 <> new.v / 16) BEGIN " OUTCOME_ADD
        "END;"
        "CREATE TRIGGER computers_outcomes BEFORE DELETE ON computers "
        "BEGIN DELETE FROM state_outcomes WHERE ckey = old.ckey; END;";

/* Each computer's state mask (db_states.h), kept as its counters cross
 * zero (an upsert's DO UPDATE fires the UPDATE trigger). */
#define MASK_ADD                                                               \
	"CREATE TRIGGER computer_counts_mask_add AFTER INSERT ON "             \
	"computer_counts WHEN new.n > 0 BEGIN "
#define MASK_CHANGE                                                            \
	"CREATE TRIGGER computer_counts_mask AFTER UPDATE OF n ON "            \
	"computer_counts WHEN (old.n > 0) <> (new.n > 0) BEGIN "
static const char *const migration_15 =
        DB_STATE_MASK_FILL("INTEGER") MASK_ADD DB_STATE_MASK_SET(
                "new") "END;" MASK_CHANGE DB_STATE_MASK_SET("new") "END;";

/* migrations[i] brings the schema from version i to i + 1. */
static const char *const migrations[] = {
        migration_1,  migration_2,  migration_3,  migration_4,  migration_5,
        migration_6,  migration_7,  migration_8,  migration_9,  migration_10,
        migration_11, migration_12, migration_13, migration_14, migration_15,
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == DB_SCHEMA_VERSION,
               "DB_SCHEMA_VERSION must match the migration list");

static struct sq_db *
sq(struct db *db)
{
	return (struct sq_db *)db;
}

static struct sq_stmt *
sqs(struct db_stmt *st)
{
	return (struct sq_stmt *)st;
}

/* The status of an extended SQLite result code. */
static int
sq_status(int code)
{
	switch (code) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return SL_EEXISTS;
	case SQLITE_NOMEM:
		return SL_ENOMEM;
	default:
		break;
	}
	switch (code & 0xff) {
	case SQLITE_CONSTRAINT:
		return SL_ECONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SL_EUNAVAILABLE;
	default:
		return SL_EDB;
	}
}

static int
sq_error(struct sq_db *d, struct err *e)
{
	return err_set(e, sq_status(sqlite3_extended_errcode(d->h)), "%s",
	               sqlite3_errmsg(d->h));
}

static size_t
slot_of(const char *sql)
{
	uintptr_t p = (uintptr_t)sql;

	p ^= p >> 17;
	p *= (uintptr_t)0x9e3779b97f4a7c15ull;
	return (size_t)(p >> 7) & (CACHE_SLOTS - 1);
}

static void
stmt_free(struct sq_stmt *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->h);
	free(s->slot);
	free(s);
}

/* The index of each $n of the statement, found once: binding by name
 * walks SQLite's list of names, which costs in proportion to the number
 * of parameters (a multi-row INSERT has hundreds). */
static int
map_params(struct sq_stmt *s, struct err *e)
{
	int n = sqlite3_bind_parameter_count(s->h), max = 0;

	for (int i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(s->h, i);
		long v;
		if (name == NULL || name[0] != '$')
			continue;
		v = strtol(name + 1, NULL, 10);
		if (v > max && v <= n)
			max = (int)v;
	}
	if (max == 0)
		return SL_OK;
	s->slot = calloc((size_t)max + 1, sizeof(*s->slot));
	if (s->slot == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	s->n_slot = max;
	for (int i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(s->h, i);
		long v;
		if (name == NULL || name[0] != '$')
			continue;
		v = strtol(name + 1, NULL, 10);
		if (v > 0 && v <= max)
			s->slot[v] = i;
	}
	return SL_OK;
}

static int
sq_prepare(struct sq_db *d, struct sq_stmt **out, const char *sql,
           struct err *e)
{
	struct sq_stmt *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->h,
	                       NULL) != SQLITE_OK) {
		int rc =
		        err_set(e, SL_EDB, "prepare: %s", sqlite3_errmsg(d->h));
		free(s);
		return rc;
	}
	if (map_params(s, e) != SL_OK) {
		stmt_free(s);
		return SL_ENOMEM;
	}
	s->base.ops = &sq_ops;
	s->base.db = &d->base;
	s->sql = sql;
	*out = s;
	return SL_OK;
}

static int
sq_stmt(struct db *db, struct db_stmt **out, const char *sql, struct err *e)
{
	struct sq_db *d = sq(db);
	struct sq_stmt *s = NULL;
	size_t i = slot_of(sql);
	int rc;

	for (size_t n = 0; n < CACHE_SLOTS; n++) {
		struct sq_stmt *c = d->cache[i];
		if (c == NULL)
			break;
		if (c->sql == sql) {
			s = c;
			break;
		}
		i = (i + 1) & (CACHE_SLOTS - 1);
	}
	if (s != NULL && !s->busy) {
		sqlite3_reset(s->h);
		sqlite3_clear_bindings(s->h);
		s->changes = 0;
		s->busy = true;
		*out = &s->base;
		return SL_OK;
	}
	rc = sq_prepare(d, &s, sql, e);
	if (rc != SL_OK)
		return rc;
	if (d->cache[i] == NULL && d->n_cached < CACHE_MAX) {
		s->cached = true;
		d->cache[i] = s;
		d->n_cached++;
	}
	s->busy = true;
	*out = &s->base;
	return SL_OK;
}

static int
param(struct sq_stmt *s, int idx, struct err *e)
{
	char name[16];
	int i;

	if (idx > 0 && idx <= s->n_slot && s->slot[idx] != 0)
		return s->slot[idx];
	snprintf(name, sizeof(name), "$%d", idx);
	i = sqlite3_bind_parameter_index(s->h, name);
	if (i == 0)
		return err_set(e, SL_EINTERNAL, "bind: no parameter %s", name);
	return i;
}

static int
bind_status(struct sq_stmt *s, int code, struct err *e)
{
	if (code == SQLITE_OK)
		return SL_OK;
	return err_set(e, sq_status(code), "bind: %s",
	               sqlite3_errmsg(sq(s->base.db)->h));
}

static int
sq_bind_int(struct db_stmt *st, int idx, int64_t v, struct err *e)
{
	struct sq_stmt *s = sqs(st);
	int i = param(s, idx, e);

	if (i < 0)
		return i;
	return bind_status(s, sqlite3_bind_int64(s->h, i, v), e);
}

static int
bind_text_as(struct db_stmt *st, int idx, const char *v,
             sqlite3_destructor_type how, struct err *e)
{
	struct sq_stmt *s = sqs(st);
	int i = param(s, idx, e);

	if (i < 0)
		return i;
	if (v == NULL)
		return bind_status(s, sqlite3_bind_null(s->h, i), e);
	return bind_status(s, sqlite3_bind_text(s->h, i, v, -1, how), e);
}

static int
sq_bind_text(struct db_stmt *st, int idx, const char *v, struct err *e)
{
	return bind_text_as(st, idx, v, SQLITE_TRANSIENT, e);
}

/* SQLITE_STATIC: SQLite reads v in place until the parameter is bound
 * again (db_stmt() clears the bindings of a statement it hands out). */
static int
sq_bind_text_ref(struct db_stmt *st, int idx, const char *v, struct err *e)
{
	return bind_text_as(st, idx, v, SQLITE_STATIC, e);
}

static int
sq_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n,
             struct err *e)
{
	struct sq_stmt *s = sqs(st);
	int i = param(s, idx, e);

	if (i < 0)
		return i;
	return bind_status(
	        s, sqlite3_bind_blob64(s->h, i, p, n, SQLITE_TRANSIENT), e);
}

static int
sq_bind_null(struct db_stmt *st, int idx, struct err *e)
{
	struct sq_stmt *s = sqs(st);
	int i = param(s, idx, e);

	if (i < 0)
		return i;
	return bind_status(s, sqlite3_bind_null(s->h, i), e);
}

static int
sq_step(struct db_stmt *st, struct err *e)
{
	struct sq_stmt *s = sqs(st);
	struct sq_db *d = sq(s->base.db);
	int rc = sqlite3_step(s->h);

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes64(d->h);
		return DB_DONE;
	}
	return sq_error(d, e);
}

static bool
sq_col_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(sqs(st)->h, col) == SQLITE_NULL;
}

static int64_t
sq_col_int(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(sqs(st)->h, col);
}

static const char *
sq_col_text(struct db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(sqs(st)->h, col);
}

static const void *
sq_col_blob(struct db_stmt *st, int col, size_t *n)
{
	struct sq_stmt *s = sqs(st);
	const void *p = sqlite3_column_blob(s->h, col);

	*n = p != NULL ? (size_t)sqlite3_column_bytes(s->h, col) : 0;
	return p;
}

static int64_t
sq_changes(struct db_stmt *st)
{
	return sqs(st)->changes;
}

static void
sq_done(struct db_stmt *st)
{
	struct sq_stmt *s = sqs(st);

	if (!s->cached) {
		stmt_free(s);
		return;
	}
	sqlite3_reset(s->h);
	s->busy = false;
}

static int
sq_exec(struct db *db, const char *sql, struct err *e)
{
	struct sq_db *d = sq(db);
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) == SQLITE_OK)
		return SL_OK;
	rc = err_set(e, sq_status(sqlite3_extended_errcode(d->h)), "%s",
	             msg ? msg : sqlite3_errmsg(d->h));
	sqlite3_free(msg);
	return rc;
}

static int
sq_begin(struct db *db, struct err *e)
{
	return sq_exec(db, "BEGIN IMMEDIATE", e);
}

static int
sq_commit(struct db *db, struct err *e)
{
	int rc = sq_exec(db, "COMMIT", e);

	sqbusy_wake();
	return rc;
}

static void
sq_rollback(struct db *db)
{
	struct sq_db *d = sq(db);

	if (!sqlite3_get_autocommit(d->h)) {
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		sqbusy_wake();
	}
}

/* One integer from a constant query; *found false when no row. */
static int
query_int(struct db *db, const char *sql, int64_t *out, bool *found,
          struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = sq_stmt(db, &st, sql, e);
	if (rc != SL_OK)
		return rc;
	rc = sq_step(st, e);
	*found = rc == DB_ROW;
	if (rc == DB_ROW)
		*out = sq_col_int(st, 0);
	sq_done(st);
	return rc < 0 ? rc : SL_OK;
}

static int
sq_schema_version(struct db *db, int *out, struct err *e)
{
	int64_t n = 0;
	bool found;
	int rc;

	rc = query_int(db,
	               "SELECT count(*) FROM sqlite_master WHERE type = "
	               "'table' AND name = 'meta'",
	               &n, &found, e);
	if (rc != SL_OK)
		return err_prefix(e, "schema version");
	if (n == 0) {
		*out = 0;
		return SL_OK;
	}
	rc = query_int(db,
	               "SELECT CAST(value AS INTEGER) FROM meta "
	               "WHERE key = 'schema_version'",
	               &n, &found, e);
	if (rc != SL_OK)
		return err_prefix(e, "schema version");
	*out = found ? (int)n : 0;
	return SL_OK;
}

static void
sq_close(struct db *db)
{
	struct sq_db *d = sq(db);

	for (size_t i = 0; i < CACHE_SLOTS; i++)
		stmt_free(d->cache[i]);
	sqlite3_close_v2(d->h);
	free(d);
}

/* Before SQLite's first use in the process: multi-thread mode (each
 * connection is used by one thread at a time, so SQLite's own mutexes on
 * connections are not needed) and no memory statistics (they take a
 * global mutex on every allocation). Fails harmlessly when something in
 * the process already initialised SQLite. */
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;

static void
sq_global_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
db_sqlite_open(struct db **out, const char *path, struct err *e)
{
	struct sq_db *d;
	int rc;

	pthread_once(&sq_once, sq_global_init);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	d->base.ops = &sq_ops;
	if (sqlite3_open_v2(path, &d->h,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                            SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = err_set(e, SL_EDB, "open %s: %s", path,
		             d->h ? sqlite3_errmsg(d->h) : "out of memory");
		goto out;
	}
	sqbusy_install(d->h); /* waits up to 5 s */
	rc = sq_exec(&d->base, "PRAGMA journal_mode=WAL", e);
	if (rc == SL_OK)
		rc = sq_exec(&d->base, "PRAGMA foreign_keys=ON", e);
	if (rc == SL_OK)
		rc = sq_exec(&d->base, "PRAGMA synchronous=NORMAL", e);
	if (rc != SL_OK) {
		err_prefix(e, "open %s", path);
		goto out;
	}
	rc = db_migrate_run(&d->base, migrations, N_MIGRATIONS, NULL, e);
	if (rc != SL_OK) {
		err_prefix(e, "open %s", path);
		goto out;
	}
	*out = &d->base;
	d = NULL;
out:
	if (d != NULL)
		sq_close(&d->base);
	return rc;
}

static const struct db_engine_ops sq_ops = {
        .kind = DB_SQLITE,
        .name = "sqlite",
        .close = sq_close,
        .stmt = sq_stmt,
        .bind_int = sq_bind_int,
        .bind_text = sq_bind_text,
        .bind_blob = sq_bind_blob,
        .bind_null = sq_bind_null,
        .bind_text_ref = sq_bind_text_ref,
        .step = sq_step,
        .col_null = sq_col_null,
        .col_int = sq_col_int,
        .col_text = sq_col_text,
        .col_blob = sq_col_blob,
        .changes = sq_changes,
        .done = sq_done,
        .exec = sq_exec,
        .begin = sq_begin,
        .commit = sq_commit,
        .rollback = sq_rollback,
        .schema_version = sq_schema_version,
};
