/*
 * Unit tests for store/db.h, the SQL interface of the store: the same test
 * functions run on every engine. SQLite works on a file in a temporary
 * directory; PostgreSQL on the cluster of tests/pg/with_cluster.sh
 * (SLUICE_TEST_DATABASE), each test in a fresh schema of its own so every
 * open migrates from zero. Without SLUICE_TEST_DATABASE the PostgreSQL
 * cases are skipped with a message. PostgreSQL-only cases: front-ends
 * migrating at once, the server going away and coming back, an aborted
 * transaction, passwords kept out of messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_fixture.h"
#include "store/db.h"
#include "store/db_engine.h"

#if defined(__SANITIZE_ADDRESS__)
/* From ASan's runtime (its header is not installed with gcc): the bytes
 * the program holds, freed blocks in quarantine excluded. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

struct engine {
	enum db_engine_kind kind;
	char target[1024]; /* file path or URL of this test's database */
	char dir[64];      /* SQLite: the temporary directory */
	char schema[32];   /* PostgreSQL: this test's schema */
};

static struct engine sqlite_engine = {.kind = DB_SQLITE};
static struct engine postgresql_engine = {.kind = DB_POSTGRES};

static int
setup(void **state)
{
	struct engine *en = *state;

	if (en->kind == DB_SQLITE) {
		snprintf(en->dir, sizeof(en->dir), "/tmp/sluice-dbeng.XXXXXX");
		assert_non_null(mkdtemp(en->dir));
		snprintf(en->target, sizeof(en->target), "%s/sluice.db",
		         en->dir);
		return 0;
	}
	en->target[0] = '\0';
	if (fixture_pg_enabled())
		fixture_pg_target(en->target, sizeof(en->target), en->schema,
		                  sizeof(en->schema));
	return 0;
}

static int
teardown(void **state)
{
	struct engine *en = *state;
	char cmd[128];

	if (en->kind == DB_SQLITE) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", en->dir);
		assert_int_equal(system(cmd), 0);
	} else if (en->target[0] != '\0') {
		fixture_pg_drop(en->schema);
	}
	return 0;
}

/* This test's engine, freshly opened (skips a PostgreSQL case without a
 * cluster, and every SQLite case in a tree without the SQLite engine). */
static struct db *
open_fresh(void **state)
{
	struct engine *en = *state;
	struct db *db = NULL;
	struct err e;

#ifndef HAVE_SQLITE_ENGINE
	if (en->kind == DB_SQLITE) {
		print_message("skipped: no SQLite engine in this tree\n");
		skip();
	}
#endif
	if (en->target[0] == '\0') {
		print_message("skipped: SLUICE_TEST_DATABASE is not set (run "
		              "through tests/pg/with_cluster.sh)\n");
		skip();
	}
	if (db_open(&db, en->target, &e) != SL_OK)
		fail_msg("open: %s", e.msg);
	assert_int_equal(db_engine(db), en->kind);
	return db;
}

static void
exec_ok(struct db *db, const char *sql)
{
	struct err e;

	if (db_exec(db, sql, &e) != SL_OK)
		fail_msg("%s: %s", sql, e.msg);
}

/* The integer of a one-row, one-column query without parameters. */
static int64_t
scalar(struct db *db, const char *sql)
{
	struct db_stmt *st;
	struct err e;
	int64_t v;

	assert_int_equal(db_stmt(db, &st, sql, &e), SL_OK);
	if (db_step(st, &e) != DB_ROW)
		fail_msg("%s: %s", sql, e.msg);
	v = db_col_int(st, 0);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	return v;
}

/* The text of a one-row, one-column query without parameters. */
static char *
scalar_text(struct db *db, const char *sql)
{
	static char out[256];
	struct db_stmt *st;
	struct err e;

	assert_int_equal(db_stmt(db, &st, sql, &e), SL_OK);
	if (db_step(st, &e) != DB_ROW)
		fail_msg("%s: %s", sql, e.msg);
	snprintf(out, sizeof(out), "%s", db_col_text(st, 0));
	db_done(st);
	return out;
}

static void
test_placeholders(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	assert_int_equal(db_stmt(db, &st,
	                         "SELECT CAST($2 AS TEXT), CAST($1 AS BIGINT) "
	                         "+ 1, CAST($1 AS BIGINT) * 2",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_text(st, 2, "second", &e), SL_OK);
	assert_int_equal(db_bind_int(st, 1, 41, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "second");
	assert_int_equal(db_col_int(st, 1), 42);
	assert_int_equal(db_col_int(st, 2), 82);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	/* Large values and booleans read as integers. */
	assert_int_equal(scalar(db, "SELECT CAST(9007199254740993 AS BIGINT)"),
	                 9007199254740993LL);
	assert_int_equal(scalar(db, "SELECT 2 > 1"), 1);
	assert_int_equal(scalar(db, "SELECT 2 < 1"), 0);
	db_close(db);
}

static void
test_nulls(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	exec_ok(db, "CREATE TABLE t(id BIGINT PRIMARY KEY, s TEXT, n BIGINT)");
	assert_int_equal(db_stmt(db, &st,
	                         "INSERT INTO t(id, s, n) VALUES($1, $2, $3)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_int(st, 1, 1, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 2, NULL, &e), SL_OK);
	assert_int_equal(db_bind_null(st, 3, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	assert_int_equal(db_stmt(db, &st, "SELECT s, n, id FROM t", &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_true(db_col_null(st, 0));
	assert_null(db_col_text(st, 0));
	assert_true(db_col_null(st, 1));
	assert_int_equal(db_col_int(st, 1), 0);
	assert_false(db_col_null(st, 2));
	db_done(st);
	/* An unbound parameter is NULL. */
	assert_int_equal(db_stmt(db, &st,
	                         "SELECT count(*) FROM t WHERE "
	                         "CAST($1 AS TEXT) IS NULL",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 1);
	db_done(st);
	db_close(db);
}

static void
test_text(void **state)
{
	static const char *const texts[] = {
	        "it's \"quoted\"; -- not a comment",
	        "back\\slash, 100% $1 ?",
	        "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80",
	        "",
	};
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	exec_ok(db, "CREATE TABLE t(id BIGINT PRIMARY KEY, s TEXT NOT NULL)");
	for (int i = 0; i < 4; i++) {
		assert_int_equal(db_stmt(db, &st,
		                         "INSERT INTO t(id, s) VALUES($1, $2)",
		                         &e),
		                 SL_OK);
		assert_int_equal(db_bind_int(st, 1, i, &e), SL_OK);
		assert_int_equal(db_bind_text(st, 2, texts[i], &e), SL_OK);
		assert_int_equal(db_step(st, &e), DB_DONE);
		db_done(st);
	}
	assert_int_equal(db_stmt(db, &st, "SELECT s FROM t ORDER BY id", &e),
	                 SL_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(db_step(st, &e), DB_ROW);
		assert_string_equal(db_col_text(st, 0), texts[i]);
	}
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	/* Case-insensitive matching as the dialect writes it. */
	assert_int_equal(db_stmt(db, &st,
	                         "SELECT id FROM t WHERE lower(s) = lower($1)",
	                         &e),
	                 SL_OK);
	assert_int_equal(
	        db_bind_text(st, 1, "IT'S \"QUOTED\"; -- NOT A COMMENT", &e),
	        SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 0);
	db_done(st);
	db_close(db);
}

static void
test_blobs(void **state)
{
	struct db *db = open_fresh(state);
	unsigned char bytes[256];
	struct db_stmt *st;
	const void *p;
	size_t n;
	struct err e;

	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)(255 - i); /* NULs, high bytes */
	exec_ok(db, db_engine(db) == DB_POSTGRES
	                    ? "CREATE TABLE b(id BIGINT, data BYTEA)"
	                    : "CREATE TABLE b(id BIGINT, data BLOB)");
	assert_int_equal(
	        db_stmt(db, &st, "INSERT INTO b(id, data) VALUES($1, $2)", &e),
	        SL_OK);
	assert_int_equal(db_bind_blob(st, 2, bytes, sizeof(bytes), &e), SL_OK);
	assert_int_equal(db_bind_int(st, 1, 7, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	assert_int_equal(db_stmt(db, &st, "SELECT data, data FROM b", &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	p = db_col_blob(st, 0, &n);
	assert_int_equal(n, sizeof(bytes));
	assert_memory_equal(p, bytes, sizeof(bytes));
	assert_ptr_equal(db_col_blob(st, 0, &n), p); /* valid until step */
	assert_int_equal(n, sizeof(bytes));
	p = db_col_blob(st, 1, &n);
	assert_int_equal(n, sizeof(bytes));
	assert_memory_equal(p, bytes, sizeof(bytes));
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	db_close(db);
}

static void
test_returning(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	/* Seeded groups keep ids 1 and 2; new rows continue from 3. */
	for (int64_t want = 3; want <= 4; want++) {
		assert_int_equal(db_stmt(db, &st,
		                         "INSERT INTO groups(name, parent_id) "
		                         "VALUES($1, 1) RETURNING id",
		                         &e),
		                 SL_OK);
		assert_int_equal(
		        db_bind_text(st, 1, want == 3 ? "web" : "db", &e),
		        SL_OK);
		assert_int_equal(db_step(st, &e), DB_ROW);
		assert_int_equal(db_col_int(st, 0), want);
		assert_int_equal(db_step(st, &e), DB_DONE);
		assert_int_equal(db_changes(st), 1);
		db_done(st);
	}
	assert_int_equal(
	        scalar(db, "SELECT parent_id FROM groups WHERE id = 2"), 1);
	db_close(db);
}

/* INSERT into meta with one of the two ON CONFLICT forms; changes. */
static int64_t
meta_put(struct db *db, const char *sql, const char *k, const char *v)
{
	struct db_stmt *st;
	struct err e;
	int64_t n;

	assert_int_equal(db_stmt(db, &st, sql, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 1, k, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 2, v, &e), SL_OK);
	if (db_step(st, &e) != DB_DONE)
		fail_msg("%s: %s", sql, e.msg);
	n = db_changes(st);
	db_done(st);
	return n;
}

static void
test_on_conflict(void **state)
{
	static const char *const ignore =
	        "INSERT INTO meta(key, value) VALUES($1, $2) "
	        "ON CONFLICT (key) DO NOTHING";
	static const char *const upsert =
	        "INSERT INTO meta(key, value) VALUES($1, $2) "
	        "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	struct db *db = open_fresh(state);

	assert_int_equal(meta_put(db, ignore, "k", "one"), 1);
	assert_int_equal(meta_put(db, ignore, "k", "two"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = 'k' "
	                            "AND value = 'one'"),
	                 1);
	assert_int_equal(meta_put(db, upsert, "k", "three"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = 'k' "
	                            "AND value = 'three'"),
	                 1);
	db_close(db);
}

static void
test_constraints(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	assert_int_equal(db_stmt(db, &st,
	                         "INSERT INTO groups(name, parent_id) "
	                         "VALUES($1, NULL)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_text(st, 1, "All Computers", &e), SL_OK);
	assert_int_equal(db_step(st, &e), SL_EEXISTS);
	if (strcasestr(e.msg, "unique constraint") == NULL)
		fail_msg("unique violation: '%s'", e.msg);
	db_done(st);
	assert_int_equal(db_stmt(db, &st,
	                         "INSERT INTO computers(id, token_hash, "
	                         "hostname, group_id, registered_at) "
	                         "VALUES('c1', 'h', 'host', $1, 0)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_int(st, 1, 999, &e), SL_OK);
	assert_int_equal(db_step(st, &e), SL_ECONFLICT);
	if (strcasestr(e.msg, "foreign key constraint") == NULL)
		fail_msg("foreign key violation: '%s'", e.msg);
	db_done(st);
	/* The connection goes on. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	db_close(db);
}

static void
test_transactions(void **state)
{
	static const char *const put = "INSERT INTO meta(key, value) "
	                               "VALUES($1, $2)";
	struct db *db = open_fresh(state);
	struct err e;

	db_rollback(db); /* outside a transaction: nothing happens */
	assert_int_equal(db_begin(db, &e), SL_OK);
	meta_put(db, put, "gone", "x");
	db_rollback(db);
	assert_int_equal(db_begin(db, &e), SL_OK);
	meta_put(db, put, "kept", "y");
	assert_int_equal(db_commit(db, &e), SL_OK);
	db_rollback(db);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = "
	                            "'gone'"),
	                 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = "
	                            "'kept'"),
	                 1);
	db_close(db);
}

static void
test_cached(void **state)
{
	static const char *const sql = "INSERT INTO meta(key, value) "
	                               "VALUES($1, CAST($2 AS TEXT)) RETURNING "
	                               "CAST(value AS BIGINT) + 1";
	struct db *db = open_fresh(state);
	struct db_stmt *st, *first = NULL;
	char key[32];
	struct err e;

	assert_int_equal(db_begin(db, &e), SL_OK);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(db_stmt(db, &st, sql, &e), SL_OK);
		if (first == NULL)
			first = st;
		assert_ptr_equal(st, first);
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(db_bind_text(st, 1, key, &e), SL_OK);
		assert_int_equal(db_bind_int(st, 2, i, &e), SL_OK);
		assert_int_equal(db_step(st, &e), DB_ROW);
		assert_int_equal(db_col_int(st, 0), i + 1);
		db_done(st);
	}
	assert_int_equal(db_commit(db, &e), SL_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key LIKE "
	                            "'k%'"),
	                 1000);
	db_close(db);
}

static size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

#define BIG_ROWS 20000
#define BIG_DOC  2000

static void
test_large_result(void **state)
{
	static const char *const put = "INSERT INTO docs(id, doc) "
	                               "VALUES($1, $2)";
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	char *doc = malloc(BIG_DOC + 1);
	size_t base = 0, peak = 0, now;
	int64_t n = 0;
	struct err e;

	assert_non_null(doc);
	exec_ok(db, "CREATE TABLE docs(id BIGINT PRIMARY KEY, doc TEXT NOT "
	            "NULL)");
	assert_int_equal(db_begin(db, &e), SL_OK);
	for (int i = 0; i < BIG_ROWS; i++) {
		int k = snprintf(doc, BIG_DOC + 1, "{\"id\":\"u-%d\",\"x\":\"",
		                 i);
		memset(doc + k, 'a' + i % 26, (size_t)(BIG_DOC - 2 - k));
		memcpy(doc + BIG_DOC - 2, "\"}", 3);
		assert_int_equal(db_stmt(db, &st, put, &e), SL_OK);
		assert_int_equal(db_bind_int(st, 1, i, &e), SL_OK);
		assert_int_equal(db_bind_text(st, 2, doc, &e), SL_OK);
		assert_int_equal(db_step(st, &e), DB_DONE);
		db_done(st);
	}
	assert_int_equal(db_commit(db, &e), SL_OK);
	/* 40 MB of documents, read with a few MB at most in memory. */
	assert_int_equal(
	        db_stmt(db, &st, "SELECT id, doc FROM docs ORDER BY id", &e),
	        SL_OK);
	while (db_step(st, &e) == DB_ROW) {
		assert_int_equal(db_col_int(st, 0), n);
		assert_int_equal(strlen(db_col_text(st, 1)), BIG_DOC);
		if (n == 100)
			base = heap_in_use();
		if (n > 100 && n % 500 == 0 && (now = heap_in_use()) > peak)
			peak = now;
		n++;
	}
	assert_int_equal(e.code, SL_OK);
	assert_int_equal(n, BIG_ROWS);
	db_done(st);
	print_message("heap while stepping: %zu KB over the start\n",
	              peak > base ? (peak - base) / 1024 : 0);
	assert_true(peak < base + 8 * 1024 * 1024);
	free(doc);
	db_close(db);
}

static void
test_changes(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	exec_ok(db, "INSERT INTO meta(key, value) VALUES('a', '1'), ('b', "
	            "'1'), ('c', '2')");
	assert_int_equal(db_stmt(db, &st,
	                         "UPDATE meta SET value = $2 WHERE value = $1",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_text(st, 1, "1", &e), SL_OK);
	assert_int_equal(db_bind_text(st, 2, "3", &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	assert_int_equal(db_changes(st), 2);
	db_done(st);
	assert_int_equal(
	        db_stmt(db, &st, "DELETE FROM meta WHERE value = $1", &e),
	        SL_OK);
	assert_int_equal(db_bind_text(st, 1, "nothing", &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	assert_int_equal(db_changes(st), 0);
	db_done(st);
	db_close(db);
}

/* A statement part-way through its rows while others run (nested loops). */
static void
test_interleaved(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *outer, *inner;
	int64_t n = 0;
	struct err e;

	exec_ok(db, "INSERT INTO meta(key, value) VALUES('n1', '1'), ('n2', "
	            "'2'), ('n3', '3')");
	assert_int_equal(db_stmt(db, &outer,
	                         "SELECT key FROM meta WHERE key LIKE 'n%' "
	                         "ORDER BY key",
	                         &e),
	                 SL_OK);
	while (db_step(outer, &e) == DB_ROW) {
		assert_int_equal(db_stmt(db, &inner,
		                         "SELECT CAST(value AS BIGINT) FROM "
		                         "meta WHERE key = $1",
		                         &e),
		                 SL_OK);
		assert_int_equal(
		        db_bind_text(inner, 1, db_col_text(outer, 0), &e),
		        SL_OK);
		assert_int_equal(db_step(inner, &e), DB_ROW);
		n += db_col_int(inner, 0);
		db_done(inner);
	}
	assert_int_equal(e.code, SL_OK);
	db_done(outer);
	assert_int_equal(n, 6);
	db_close(db);
}

static void
test_schema(void **state)
{
	struct engine *en = *state;
	struct db *db = open_fresh(state);
	int version = -1;
	struct err e;

	assert_int_equal(db_schema_version(db, &version, &e), SL_OK);
	assert_int_equal(version, DB_SCHEMA_VERSION);
	exec_ok(db, "INSERT INTO meta(key, value) VALUES('marker', 'x')");
	assert_int_equal(scalar(db, "SELECT count(*) FROM downstream_servers"),
	                 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key IN "
	                            "('targeting', 'unknown_groups', "
	                            "'change_seq')"),
	                 3);
	db_close(db);
	/* Opened again: migrated already, nothing runs twice. */
	assert_int_equal(db_open(&db, en->target, &e), SL_OK);
	assert_int_equal(db_schema_version(db, &version, &e), SL_OK);
	assert_int_equal(version, DB_SCHEMA_VERSION);
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = "
	                            "'marker'"),
	                 1);
	/* A schema from a newer server is refused. */
	exec_ok(db, "UPDATE meta SET value = '99' WHERE key = "
	            "'schema_version'");
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(&db, en->target, &e), SL_EDB);
	assert_null(db);
	if (strstr(e.msg, "schema version 99 is newer") == NULL)
		fail_msg("newer schema: '%s'", e.msg);
}

/* ---- PostgreSQL only ---- */

static void *
open_thread(void *arg)
{
	struct engine *en = arg;
	struct db *db = NULL;
	struct err e;
	int rc = db_open(&db, en->target, &e);

	db_close(db);
	return (void *)(intptr_t)rc;
}

static void
test_pg_concurrent_migrations(void **state)
{
	struct engine *en = *state;
	pthread_t th[4];
	struct db *db;
	void *rc;

	if (en->target[0] == '\0') {
		print_message("skipped: SLUICE_TEST_DATABASE is not set\n");
		skip();
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, open_thread, en),
		                 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_int_equal((intptr_t)rc, SL_OK);
	}
	db = open_fresh(state);
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = "
	                            "'change_seq'"),
	                 1);
	db_close(db);
}

static void
cluster(const char *verb)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s %s >/dev/null",
	         getenv("SLUICE_TEST_PG_CLUSTER"), verb,
	         getenv("SLUICE_TEST_PG_DIR"));
	assert_int_equal(system(cmd), 0);
}

static void
test_pg_server_restart(void **state)
{
	static const char *const put = "INSERT INTO meta(key, value) "
	                               "VALUES($1, $2)";
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;
	int rc;

	if (getenv("SLUICE_TEST_PG_DIR") == NULL ||
	    getenv("SLUICE_TEST_PG_CLUSTER") == NULL) {
		db_close(db);
		print_message("skipped: not on a cluster of with_cluster.sh\n");
		skip();
	}
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	/* Lost between db_stmt() and db_step(). */
	assert_int_equal(db_stmt(db, &st, "SELECT count(*) FROM groups", &e),
	                 SL_OK);
	cluster("halt");
	assert_int_equal(db_step(st, &e), SL_EUNAVAILABLE);
	if (strstr(e.msg, "unavailable") == NULL ||
	    strstr(e.msg, "postgresql://postgres@127.0.0.1:") == NULL)
		fail_msg("lost connection: '%s'", e.msg);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	/* While the server is down, reconnecting fails the same way. */
	assert_int_equal(db_stmt(db, &st, "SELECT 1", &e), SL_EUNAVAILABLE);
	if (strstr(e.msg, "unavailable: connection to server at") == NULL)
		fail_msg("reconnect: '%s'", e.msg);
	assert_int_equal(db_begin(db, &e), SL_EUNAVAILABLE);
	cluster("start");
	/* The same struct db works again, set up as at open. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	assert_string_equal(scalar_text(db, "SELECT "
	                                    "current_setting('lock_timeout')"),
	                    "5s");

	/* A restart while the connection is idle: the next statement
	 * reconnects without an error. */
	cluster("halt");
	cluster("start");
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);

	/* Lost while a result streams: the rows read so far, then the
	 * error. */
	assert_int_equal(db_stmt(db, &st,
	                         "SELECT CAST(n AS BIGINT), repeat('x', 1000) "
	                         "FROM generate_series(1, 100000) AS s(n)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	cluster("halt");
	while ((rc = db_step(st, &e)) == DB_ROW)
		;
	assert_int_equal(rc, SL_EUNAVAILABLE);
	db_done(st);
	cluster("start");

	/* Lost inside a transaction: nothing reconnects before rollback,
	 * and the transaction's writes are gone. */
	assert_int_equal(db_begin(db, &e), SL_OK);
	meta_put(db, put, "lost", "1");
	assert_int_equal(db_stmt(db, &st, put, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 1, "lost2", &e), SL_OK);
	cluster("halt");
	assert_int_equal(db_step(st, &e), SL_EUNAVAILABLE);
	db_done(st);
	cluster("start");
	assert_int_equal(db_stmt(db, &st, put, &e), SL_EUNAVAILABLE);
	if (strstr(e.msg, "inside a transaction (roll it back first)") == NULL)
		fail_msg("lost transaction: '%s'", e.msg);
	assert_int_equal(db_begin(db, &e), SL_EUNAVAILABLE);
	assert_int_equal(db_commit(db, &e), SL_EUNAVAILABLE);
	db_rollback(db);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key LIKE "
	                            "'lost%'"),
	                 0);
	db_close(db);
}

static void
test_pg_aborted_transaction(void **state)
{
	static const char *const put = "INSERT INTO meta(key, value) "
	                               "VALUES($1, $2)";
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	assert_int_equal(db_begin(db, &e), SL_OK);
	meta_put(db, put, "before", "1");
	assert_int_equal(db_stmt(db, &st, put, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 1, "before", &e), SL_OK);
	assert_int_equal(db_bind_text(st, 2, "2", &e), SL_OK);
	assert_int_equal(db_step(st, &e), SL_EEXISTS);
	db_done(st);
	/* PostgreSQL aborts the transaction at the first error: the commit
	 * says so instead of quietly rolling back. */
	assert_int_equal(db_commit(db, &e), SL_EDB);
	assert_string_equal(e.msg, "commit: the transaction failed earlier "
	                           "and was rolled back");
	db_rollback(db);
	assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = "
	                            "'before'"),
	                 0);
	assert_int_equal(db_begin(db, &e), SL_OK);
	assert_int_equal(db_begin(db, &e), SL_EDB);
	assert_string_equal(e.msg, "begin: a transaction is already open");
	db_rollback(db);
	/* Syntax errors and untyped parameters name the problem. */
	assert_int_equal(db_stmt(db, &st, "SELEKT 1", &e), SL_EDB);
	assert_string_equal(e.msg, "prepare: syntax error at or near "
	                           "\"SELEKT\"");
	assert_int_equal(db_stmt(db, &st, "SELECT $1 IS NULL", &e), SL_EDB);
	assert_string_equal(e.msg, "prepare: could not determine data type of "
	                           "parameter $1");
	assert_int_equal(db_stmt(db, &st, "SELECT CAST($1 AS BIGINT)", &e),
	                 SL_OK);
	assert_int_equal(db_bind_int(st, 2, 1, &e), SL_EDB);
	assert_string_equal(e.msg,
	                    "bind: no parameter $2 (the statement has 1)");
	db_done(st);
	db_close(db);
}

/* The translation of SQLite's types: 64-bit integers, identity row ids,
 * bytewise text (SQLite's BINARY collation). */
static void
test_pg_schema_types(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	/* Tables, not the update_states and states views; the state
	 * tables' integer keys are 4-byte (migration 8: the compact state
	 * rows), the packed pages hold arrays (migration 13). */
	assert_int_equal(scalar(db, "SELECT count(*) FROM "
	                            "information_schema.columns WHERE "
	                            "table_schema = current_schema() AND "
	                            "data_type NOT IN ('bigint', 'text') AND "
	                            "NOT (data_type = 'integer' AND "
	                            "column_name IN ('ckey', 'ukey', 'st', "
	                            "'pg')) AND NOT (data_type = 'ARRAY' AND "
	                            "table_name = 'state_pages') AND "
	                            "table_name NOT IN ('update_states', "
	                            "'states')"),
	                 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM "
	                            "information_schema.columns WHERE "
	                            "table_schema = current_schema() AND "
	                            "data_type = 'text' AND "
	                            "coalesce(collation_name, '') <> 'C' AND "
	                            "table_name <> 'update_states'"),
	                 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM "
	                            "information_schema.columns WHERE "
	                            "table_schema = current_schema() AND "
	                            "is_identity = 'YES'"),
	                 7 + 2); /* + computers.ckey, update_status.ukey */
	exec_ok(db, "INSERT INTO groups(name) VALUES('b'), ('B'), ('_x'), "
	            "('a')");
	assert_int_equal(db_stmt(db, &st,
	                         "SELECT name FROM groups WHERE id > 2 "
	                         "ORDER BY name",
	                         &e),
	                 SL_OK);
	for (const char *const *want =
	             (const char *const[]){"B", "_x", "a", "b", NULL};
	     *want != NULL; want++) {
		assert_int_equal(db_step(st, &e), DB_ROW);
		assert_string_equal(db_col_text(st, 0), *want);
	}
	db_done(st);
	db_close(db);
}

static const char *const lock_row = "UPDATE meta SET value = 'x' "
                                    "WHERE key = $1";

struct locker {
	struct db *db;
	const char *key;
	int rc;
	struct err e;
};

/* Lock a meta row in db's open transaction (blocks while another holds
 * it). */
static void *
lock_thread(void *arg)
{
	struct locker *l = arg;
	struct db_stmt *st = NULL;

	l->rc = db_stmt(l->db, &st, lock_row, &l->e);
	if (l->rc == SL_OK)
		l->rc = db_bind_text(st, 1, l->key, &l->e);
	if (l->rc == SL_OK)
		l->rc = db_step(st, &l->e);
	db_done(st); /* NULL-safe */
	return NULL;
}

static void
test_pg_deadlock(void **state)
{
	struct engine *en = *state;
	struct db *a = open_fresh(state), *b = NULL;
	struct locker la = {.key = "k2"}, lb = {.key = "k1"};
	struct locker *victim, *other;
	pthread_t th;
	struct err e;

	assert_int_equal(db_open(&b, en->target, &e), SL_OK);
	exec_ok(a, "INSERT INTO meta(key, value) VALUES('k1', ''), ('k2', "
	           "'')");
	assert_int_equal(db_begin(a, &e), SL_OK);
	assert_int_equal(db_begin(b, &e), SL_OK);
	la.db = a;
	la.key = "k1";
	lock_thread(&la);
	assert_int_equal(la.rc, DB_DONE);
	lb.db = b;
	lb.key = "k2";
	lock_thread(&lb);
	assert_int_equal(lb.rc, DB_DONE);
	/* a waits for k2 (b's), b for k1 (a's): one of them is chosen. */
	la.key = "k2";
	assert_int_equal(pthread_create(&th, NULL, lock_thread, &la), 0);
	usleep(200 * 1000);
	lb.key = "k1";
	lock_thread(&lb);
	assert_int_equal(pthread_join(th, NULL), 0);
	victim = la.rc == SL_EUNAVAILABLE ? &la : &lb;
	other = victim == &la ? &lb : &la;
	assert_int_equal(victim->rc, SL_EUNAVAILABLE);
	assert_string_equal(victim->e.msg, "deadlock detected (retry)");
	assert_int_equal(other->rc, DB_DONE);
	db_rollback(victim->db);
	assert_int_equal(db_commit(other->db, &e), SL_OK);
	/* The victim's connection goes on. */
	assert_int_equal(scalar(victim->db, "SELECT count(*) FROM meta WHERE "
	                                    "value = 'x'"),
	                 2);
	db_close(b);
	db_close(a);
}

static void
test_pg_lock_timeout(void **state)
{
	struct engine *en = *state;
	struct db *a = open_fresh(state), *b = NULL;
	struct locker la = {.key = "k1"}, lb = {.key = "k1"};
	struct err e;

	assert_int_equal(db_open(&b, en->target, &e), SL_OK);
	/* Like SQLite's busy timeout: 5 s unless configured. */
	assert_string_equal(scalar_text(b, "SELECT "
	                                   "current_setting('lock_timeout')"),
	                    "5s");
	exec_ok(b, "SET lock_timeout = '300ms'");
	exec_ok(a, "INSERT INTO meta(key, value) VALUES('k1', '')");
	assert_int_equal(db_begin(a, &e), SL_OK);
	la.db = a;
	lock_thread(&la);
	assert_int_equal(la.rc, DB_DONE);
	lb.db = b;
	lock_thread(&lb);
	assert_int_equal(lb.rc, SL_EUNAVAILABLE);
	assert_string_equal(lb.e.msg,
	                    "canceling statement due to lock timeout (retry)");
	db_rollback(a);
	lock_thread(&lb);
	assert_int_equal(lb.rc, DB_DONE);
	db_close(b);
	db_close(a);
}

/* A result left part-way frees the connection for the next statement. */
static void
test_pg_abandoned_result(void **state)
{
	struct db *db = open_fresh(state);
	struct db_stmt *st;
	struct err e;

	assert_int_equal(db_stmt(db, &st,
	                         "SELECT n FROM generate_series(1, 5000) "
	                         "AS s(n)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 1);
	db_done(st);
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	/* Run again from the start after db_done(). */
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 1);
	db_done(st);
	/* Set aside by db_exec() and read after it. */
	assert_int_equal(db_stmt(db, &st,
	                         "SELECT n FROM generate_series(1, 5000) "
	                         "AS s(n)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	exec_ok(db, "UPDATE meta SET value = '1' WHERE key = 'change_seq'");
	for (int64_t n = 2; n <= 5000; n++) {
		assert_int_equal(db_step(st, &e), DB_ROW);
		assert_int_equal(db_col_int(st, 0), n);
	}
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	db_close(db);
}

static void
test_pg_password_hidden(void **state)
{
	struct db *db = NULL;
	struct err e;

	(void)state;
	/* Port 1 on loopback: nobody listens. */
	assert_int_equal(db_open(&db,
	                         "postgresql://sluice:s3cret@127.0.0.1:1/x"
	                         "?password=s3cret",
	                         &e),
	                 SL_EUNAVAILABLE);
	assert_null(db);
	assert_null(strstr(e.msg, "s3cret"));
	if (strncmp(e.msg,
	            "database postgresql://sluice@127.0.0.1:1/x unavailable: ",
	            56) != 0)
		fail_msg("refused: '%s'", e.msg);
	assert_int_equal(db_open(&db, "postgresql://u:s3cret@[::1/x", &e),
	                 SL_EINVAL);
	assert_null(strstr(e.msg, "s3cret"));
	assert_true(db_target_is_postgres("postgres://h/db"));
	assert_false(db_target_is_postgres("/var/lib/sluice/sluice.db"));
}

/* Named "sqlite: test_x" / "postgresql: test_x" in the output. */
#define ON(engine, fn)                                                         \
	{                                                                      \
#engine ": " #fn, fn, setup, teardown, &engine##_engine        \
	}
#define BOTH(fn) ON(sqlite, fn), ON(postgresql, fn)
#define PG(fn)   ON(postgresql, fn)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        BOTH(test_placeholders),
	        BOTH(test_nulls),
	        BOTH(test_text),
	        BOTH(test_blobs),
	        BOTH(test_returning),
	        BOTH(test_on_conflict),
	        BOTH(test_constraints),
	        BOTH(test_transactions),
	        BOTH(test_cached),
	        BOTH(test_large_result),
	        BOTH(test_changes),
	        BOTH(test_interleaved),
	        BOTH(test_schema),
	        PG(test_pg_concurrent_migrations),
	        PG(test_pg_server_restart),
	        PG(test_pg_aborted_transaction),
	        PG(test_pg_schema_types),
	        PG(test_pg_deadlock),
	        PG(test_pg_lock_timeout),
	        PG(test_pg_abandoned_result),
	        PG(test_pg_password_hidden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
