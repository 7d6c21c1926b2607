/*
 * Unit tests for db_pgcopy's row encoding: SQLite values (an in-memory
 * database) as lines of COPY's text format, byte for byte; the cap. The
 * COPY itself against PostgreSQL: tests/e2e/cluster_migrate_exact.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "store/db_pgcopy.h"

/* The COPY line of the one row sql selects (ncols columns). */
static int
encode(struct buf *out, const char *sql, const bool *bytea, int ncols,
       struct err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	rc = pgcopy_row(out, st, bytea, ncols, e);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* The one row of sql (6 columns) encodes as want, exactly. */
static void
expect_line(const char *sql, const bool *bytea, const char *want)
{
	struct buf b;
	struct err e;

	err_clear(&e);
	buf_init(&b, 1 << 20);
	assert_int_equal(encode(&b, sql, bytea, 6, &e), SL_OK);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

static void
test_text_escapes(void **state)
{
	const bool bytea[6] = {false};

	(void)state;
	expect_line("SELECT 'a' || char(9) || 'b' || char(10) || 'c' || "
	            "char(13) || 'd\\e', NULL, '', '\\N', '\\.', "
	            "'\xc3\xa9\xe6\x97\xa5' || char(1) || char(127)",
	            bytea,
	            "a\\tb\\nc\\rd\\\\e\t\\N\t\t\\\\N\t\\\\.\t"
	            "\xc3\xa9\xe6\x97\xa5\x01\x7f\n");
}

static void
test_integers_and_blobs(void **state)
{
	const bool bytea[6] = {false, false, true, true, true, false};

	(void)state;
	expect_line("SELECT 9223372036854775807, -9223372036854775808, "
	            "X'00ff5c0a', X'', 'ab', X'c3a9'",
	            bytea,
	            "9223372036854775807\t-9223372036854775808\t"
	            "\\\\x00ff5c0a\t\\\\x\t\\\\x6162\t\xc3\xa9\n");
}

static void
test_cap(void **state)
{
	const bool bytea[1] = {true};
	struct buf b;
	struct err e;

	(void)state;
	err_clear(&e);
	buf_init(&b, 100);
	assert_int_equal(encode(&b, "SELECT randomblob(60)", bytea, 1, &e),
	                 SL_ETOOBIG);
	assert_string_equal(e.msg, "over the limit of 100 bytes");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_text_escapes),
	        cmocka_unit_test(test_integers_and_blobs),
	        cmocka_unit_test(test_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
