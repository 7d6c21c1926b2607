/*
 * Unit tests for sluiced's db: a fresh database migrates to the current
 * schema (tables, first groups, change sequence), reopening does not
 * migrate again, a newer schema is refused, WAL and foreign keys are on,
 * the change sequence and meta helpers work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db_engine.h"
#include "store/store.h"

static char tmp[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-db.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int64_t
scalar(struct db *db, const char *sql)
{
	struct db_stmt *st;
	int64_t v;
	struct err e;

	assert_int_equal(db_stmt(db, &st, sql, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	v = db_col_int(st, 0);
	db_done(st);
	return v;
}

static void
test_fresh(void **state)
{
	struct db *db = NULL;
	int version;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_schema_version(db, &version, &e), SL_OK);
	assert_int_equal(version, DB_SCHEMA_VERSION);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE "
	                            "type = 'table'"),
	                 13 + 4 + 1 + 1 + 1 + 1 + 1 + 4 +
	                         1); /* migrations 1-4, 6-8, 10, 14 */
	assert_int_equal(scalar(db, "SELECT id FROM groups WHERE name = "
	                            "'All Computers'"),
	                 1);
	assert_int_equal(scalar(db, "SELECT parent_id FROM groups WHERE name = "
	                            "'Unassigned Computers'"),
	                 1);
	db_close(db);
	db_close(NULL);
}

/* Meta and the change sequence, through the store. */
static void
test_meta_and_seq(void **state)
{
	struct store *s = NULL;
	int version;
	int64_t seq;
	char *v = NULL;
	struct err e;

	(void)state;
	assert_int_equal(store_open(&s, path, &e), SL_OK);
	assert_int_equal(store_schema_version(s, &version, &e), SL_OK);
	assert_int_equal(version, DB_SCHEMA_VERSION);
	assert_int_equal(store_group_id(&seq, s, STORE_GROUP_ALL, &e), SL_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(store_group_id(&seq, s, "web", &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no group named 'web'");

	assert_int_equal(store_seq_current(s, &seq, &e), SL_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(store_seq_next(s, &seq, &e), SL_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(store_seq_next(s, &seq, &e), SL_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(store_seq_current(s, &seq, &e), SL_OK);
	assert_int_equal(seq, 2);

	assert_int_equal(store_meta_get(s, "nothing", &v, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "meta key 'nothing' not set");
	assert_int_equal(store_meta_set(s, "upstream_index_version", "7", &e),
	                 SL_OK);
	assert_int_equal(store_meta_set(s, "upstream_index_version", "8", &e),
	                 SL_OK);
	assert_int_equal(store_meta_get(s, "upstream_index_version", &v, &e),
	                 SL_OK);
	assert_string_equal(v, "8");
	free(v);
	/* A rolled back write transaction leaves nothing. */
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_seq_next(s, &seq, &e), SL_OK);
	store_rollback(s);
	assert_int_equal(store_seq_current(s, &seq, &e), SL_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(store_begin_read(s, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	store_rollback(s); /* outside a transaction: harmless */
	store_close(s);
	store_close(NULL);
}

static void
test_pragmas_and_constraints(void **state)
{
	struct db *db = NULL;
	struct db_stmt *st;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_stmt(db, &st, "PRAGMA journal_mode", &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "wal");
	db_done(st);
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
	/* A computer in a group that does not exist is refused. */
	assert_int_equal(
	        db_exec(db,
	                "INSERT INTO computers(id, token_hash, hostname, "
	                "group_id, registered_at) VALUES('c', 'h', 'x', 99, 0)",
	                &e),
	        SL_ECONFLICT);
	assert_string_equal(e.msg, "FOREIGN KEY constraint failed");
	/* Group names are unique. */
	assert_int_equal(db_exec(db,
	                         "INSERT INTO groups(name) VALUES('All "
	                         "Computers')",
	                         &e),
	                 SL_EEXISTS);
	assert_string_equal(e.msg, "UNIQUE constraint failed: groups.name");
	/* Rollback leaves nothing behind. */
	assert_int_equal(db_begin(db, &e), SL_OK);
	assert_int_equal(
	        db_exec(db, "INSERT INTO groups(name) VALUES('tmp')", &e),
	        SL_OK);
	db_rollback(db);
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 2);
	db_rollback(db); /* outside a transaction: harmless */
	db_close(db);
}

static void
test_reopen_keeps_data(void **state)
{
	struct db *db = NULL;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_exec(db,
	                         "INSERT INTO groups(name, parent_id) "
	                         "VALUES('web', 1)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_exec(db,
	                         "UPDATE meta SET value = '1' WHERE key = "
	                         "'change_seq'",
	                         &e),
	                 SL_OK);
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 3);
	assert_int_equal(scalar(db, "SELECT CAST(value AS BIGINT) FROM meta "
	                            "WHERE key = 'change_seq'"),
	                 1);
	db_close(db);
}

static void
test_newer_schema_refused(void **state)
{
	struct db *db = NULL;
	char msg[512];
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_exec(db,
	                         "UPDATE meta SET value = '99' WHERE key = "
	                         "'schema_version'",
	                         &e),
	                 SL_OK);
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(&db, path, &e), SL_EDB);
	assert_null(db);
	snprintf(msg, sizeof(msg),
	         "open %s: migrate: database schema version 99 is newer than "
	         "this server (%d)",
	         path, DB_SCHEMA_VERSION);
	assert_string_equal(e.msg, msg);
}

static void
test_open_failure(void **state)
{
	struct db *db = NULL;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, "/nonexistent/dir/sluice.db", &e),
	                 SL_EDB);
	assert_null(db);
	assert_non_null(strstr(e.msg, "open /nonexistent/dir/sluice.db: "));
}

static const char *const sql_ins =
        "INSERT INTO groups(name, parent_id) VALUES($2, $1) RETURNING id";
static const char *const sql_sel =
        "SELECT id, name, parent_id FROM groups WHERE id >= $1 ORDER BY id";

/* The common interface: $N bound by name, RETURNING, status mapping, the
 * cache handing out a second statement while the first is still in use. */
static void
test_stmt_interface(void **state)
{
	struct db *db = NULL;
	struct db_stmt *st, *st2;
	struct err e;
	int64_t id;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_engine(db), DB_SQLITE);
	assert_int_equal(db_stmt(db, &st, sql_ins, &e), SL_OK);
	assert_int_equal(db_bind_int(st, 1, 1, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 2, "web", &e), SL_OK);
	assert_int_equal(db_bind_int(st, 3, 1, &e), SL_EINTERNAL);
	assert_string_equal(e.msg, "bind: no parameter $3");
	assert_int_equal(db_step(st, &e), DB_ROW);
	id = db_col_int(st, 0);
	assert_true(id > 2);
	assert_int_equal(db_step(st, &e), DB_DONE);
	assert_int_equal(db_changes(st), 1);
	db_done(st);
	/* Again from the cache: bindings were cleared, the name is taken. */
	assert_int_equal(db_stmt(db, &st, sql_ins, &e), SL_OK);
	assert_int_equal(db_bind_null(st, 1, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 2, "web", &e), SL_OK);
	assert_int_equal(db_step(st, &e), SL_EEXISTS);
	assert_string_equal(e.msg, "UNIQUE constraint failed: groups.name");
	db_done(st);
	/* Nested use of one SQL text. */
	assert_int_equal(db_stmt(db, &st, sql_sel, &e), SL_OK);
	assert_int_equal(db_bind_int(st, 1, 2, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 2);
	assert_string_equal(db_col_text(st, 1), "Unassigned Computers");
	assert_int_equal(db_stmt(db, &st2, sql_sel, &e), SL_OK);
	assert_int_equal(db_bind_int(st2, 1, id, &e), SL_OK);
	assert_int_equal(db_step(st2, &e), DB_ROW);
	assert_string_equal(db_col_text(st2, 1), "web");
	assert_false(db_col_null(st2, 2));
	db_done(st2);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_int_equal(db_col_int(st, 0), id);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	db_done(NULL);
	/* A statement that does not prepare. */
	assert_int_equal(db_stmt(db, &st, "SELECT x FROM nowhere", &e), SL_EDB);
	assert_string_equal(e.msg, "prepare: no such table: nowhere");
	db_close(db);
}

/* A write lock held by another connection past the busy timeout is
 * SL_EUNAVAILABLE (503: retry), not a database error. */
static void
test_busy_is_unavailable(void **state)
{
	struct db *a = NULL, *b = NULL;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&a, path, &e), SL_OK);
	assert_int_equal(db_open(&b, path, &e), SL_OK);
	assert_int_equal(db_begin(a, &e), SL_OK);
	assert_int_equal(db_begin(b, &e), SL_EUNAVAILABLE);
	assert_string_equal(e.msg, "database is locked");
	db_rollback(a);
	assert_int_equal(db_begin(b, &e), SL_OK);
	assert_int_equal(db_commit(b, &e), SL_OK);
	db_close(a);
	db_close(b);
}

static void
test_target_kind(void **state)
{
	struct db *db = NULL;
	struct err e;

	(void)state;
	assert_true(db_target_is_postgres("postgresql://u@h/db"));
	assert_true(db_target_is_postgres("postgres://h/db"));
	assert_false(db_target_is_postgres("/var/lib/sluice/sluice.db"));
	assert_int_equal(db_open(&db, "", &e), SL_EINVAL);
	assert_string_equal(e.msg, "database: no target given");
	/* A PostgreSQL URL goes to the libpq engine: nothing listens on
	 * port 1, and the password is never echoed. */
	assert_int_equal(
	        db_open(&db, "postgresql://u:secret@127.0.0.1:1/db", &e),
	        SL_EUNAVAILABLE);
	assert_null(db);
	assert_null(strstr(e.msg, "secret"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_meta_and_seq, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_stmt_interface, setup,
	                                        teardown),
	        cmocka_unit_test(test_target_kind),
	        cmocka_unit_test_setup_teardown(test_busy_is_unavailable, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_pragmas_and_constraints,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_newer_schema_refused,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_open_failure, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
