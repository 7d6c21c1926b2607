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

#include "db.h"

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
	sqlite3_stmt *st;
	int64_t v;
	struct err e;

	assert_int_equal(db_prepare(db, &st, sql, &e), SL_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_fresh(void **state)
{
	struct db *db = NULL;
	int version;
	int64_t seq;
	char *v = NULL;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_schema_version(db, &version, &e), SL_OK);
	assert_int_equal(version, DB_SCHEMA_VERSION);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE "
	                            "type = 'table'"),
	                 13 + 4 + 1); /* migrations 1, 2 and 3 */
	assert_int_equal(db_group_id(db, DB_GROUP_ALL, &seq, &e), SL_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(scalar(db, "SELECT parent_id FROM groups WHERE name = "
	                            "'Unassigned Computers'"),
	                 1);
	assert_int_equal(db_group_id(db, "web", &seq, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no group named 'web'");

	assert_int_equal(db_current_seq(db, &seq, &e), SL_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(db_next_seq(db, &seq, &e), SL_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(db_next_seq(db, &seq, &e), SL_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(db_current_seq(db, &seq, &e), SL_OK);
	assert_int_equal(seq, 2);

	assert_int_equal(db_meta_get(db, "nothing", &v, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "meta key 'nothing' not set");
	assert_int_equal(db_meta_set(db, "upstream_index_version", "7", &e),
	                 SL_OK);
	assert_int_equal(db_meta_set(db, "upstream_index_version", "8", &e),
	                 SL_OK);
	assert_int_equal(db_meta_get(db, "upstream_index_version", &v, &e),
	                 SL_OK);
	assert_string_equal(v, "8");
	free(v);
	db_close(db);
	db_close(NULL);
}

static void
test_pragmas_and_constraints(void **state)
{
	struct db *db = NULL;
	sqlite3_stmt *st;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_prepare(db, &st, "PRAGMA journal_mode", &e), SL_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
	/* A computer in a group that does not exist is refused. */
	assert_int_equal(
	        db_exec(db,
	                "INSERT INTO computers(id, token_hash, hostname, "
	                "group_id, registered_at) VALUES('c', 'h', 'x', 99, 0)",
	                &e),
	        SL_EDB);
	assert_string_equal(e.msg, "FOREIGN KEY constraint failed");
	/* Group names are unique. */
	assert_int_equal(db_exec(db,
	                         "INSERT INTO groups(name) VALUES('All "
	                         "Computers')",
	                         &e),
	                 SL_EDB);
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
	int64_t seq;
	struct err e;

	(void)state;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(db_exec(db,
	                         "INSERT INTO groups(name, parent_id) "
	                         "VALUES('web', 1)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_next_seq(db, &seq, &e), SL_OK);
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(&db, path, &e), SL_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM groups"), 3);
	assert_int_equal(db_current_seq(db, &seq, &e), SL_OK);
	assert_int_equal(seq, 1);
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
	assert_int_equal(db_meta_set(db, "schema_version", "99", &e), SL_OK);
	db_close(db);
	db = NULL;
	assert_int_equal(db_open(&db, path, &e), SL_EUNSUPPORTED);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
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
