/*
 * server_fixture: query helpers for the server unit tests
 * (server_fixture.h).
 */
#include "server_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "store/store_int.h"

struct db *
fixture_db(struct store *s)
{
	return s->db;
}

long long
fixture_int(struct store *s, const char *sql)
{
	struct db_stmt *st;
	struct err e;
	long long v;

	assert_int_equal(db_stmt(s->db, &st, sql, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	v = db_col_int(st, 0);
	db_done(st);
	return v;
}

const char *
fixture_text(struct store *s, const char *sql)
{
	static char out[2048];
	struct db_stmt *st;
	const char *t;
	struct err e;

	assert_int_equal(db_stmt(s->db, &st, sql, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	t = db_col_text(st, 0);
	snprintf(out, sizeof(out), "%s", t != NULL ? t : "(null)");
	db_done(st);
	return out;
}
