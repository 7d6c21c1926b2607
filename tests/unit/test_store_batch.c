/*
 * test_store_batch: group commit (store_batch.c). Four threads, each with
 * its own connection, hand in a piece at once while the first one's piece
 * holds the writer's turn: the three others are then written in one
 * transaction. A piece that fails (a duplicate key) fails alone with its
 * own status and message and the others are stored; a piece that ends the
 * whole transaction makes every piece run again alone, and only that one
 * fails. On PostgreSQL (suite pg) every piece is its own transaction: the
 * same rows and errors, no batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_fixture.h"
#include "server_fixture.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_batch.h"

#define THREADS 4

static char tmp[64], path[128];
static struct store *s;
static atomic_bool holding; /* the HOLD piece is running */

enum how { PUT, HOLD, END_TXN };

struct piece {
	const char *key;
	enum how how;
	struct store *conn;
	struct err e;
	int rc;
};

static void
exec_ok(struct store *st, const char *sql)
{
	struct err e;

	err_clear(&e);
	if (db_exec(fixture_db(st), sql, &e) != SL_OK)
		fail_msg("%s", e.msg);
}

static int
put(void *arg, struct store *st, struct err *e)
{
	struct piece *p = arg;
	struct db_stmt *q;
	int rc;

	if (p->how == HOLD) {
		atomic_store(&holding, true);
		/* Keep the writer's turn until the others wait in the queue
		 * (on PostgreSQL nobody queues: give up after a moment). */
		for (int i = 0; i < 400 && store_batch_queued() < THREADS - 1;
		     i++)
			usleep(5000);
	}
	if (p->how == END_TXN) {
		/* What an error that ends the transaction (a full disk) does:
		 * the batch's savepoints are gone with it. */
		db_rollback(fixture_db(st));
		return err_set(e, SL_EDB, "transaction ended");
	}
	rc = db_stmt(fixture_db(st), &q, "INSERT INTO batch_t(k) VALUES($1)",
	             e);
	if (rc != SL_OK)
		return rc;
	rc = db_bind_text(q, 1, p->key, e);
	if (rc == SL_OK)
		rc = db_step(q, e);
	db_done(q);
	return rc == DB_DONE ? SL_OK : rc;
}

static void *
run(void *arg)
{
	struct piece *p = arg;

	p->rc = store_batch_run(p->conn, put, p, &p->e);
	return NULL;
}

/* pieces[0] holds the turn; the others are handed in while it does. */
static void
run_all(struct piece *pieces)
{
	pthread_t th[THREADS];
	struct err e;

	for (int i = 0; i < THREADS; i++) {
		err_clear(&pieces[i].e);
		assert_int_equal(
		        store_open(&pieces[i].conn, fixture_db_target(path), &e),
		        SL_OK);
	}
	atomic_store(&holding, false);
	assert_int_equal(pthread_create(&th[0], NULL, run, &pieces[0]), 0);
	while (!atomic_load(&holding))
		usleep(1000);
	for (int i = 1; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, run, &pieces[i]),
		                 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		store_close(pieces[i].conn);
	}
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-batch.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
	exec_ok(s, "CREATE TABLE batch_t(k TEXT PRIMARY KEY)");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(s);
	s = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Three pieces in one transaction, the middle one a duplicate key. */
static void
test_fails_alone(void **state)
{
	struct piece p[THREADS] = {
	        {.key = "a", .how = HOLD},
	        {.key = "b"},
	        {.key = "a"},
	        {.key = "c"},
	};
	uint64_t b0, n0, b1, n1;

	(void)state;
	store_batch_stats(&b0, &n0);
	run_all(p);
	store_batch_stats(&b1, &n1);
	assert_int_equal(p[0].rc, SL_OK);
	assert_int_equal(p[1].rc, SL_OK);
	assert_int_equal(p[3].rc, SL_OK);
	assert_int_equal(p[2].rc, SL_EEXISTS);
	assert_int_equal(p[2].e.code, SL_EEXISTS);
	if (fixture_pg_enabled()) {
		assert_non_null(strstr(p[2].e.msg, "duplicate key value "
		                                   "violates unique constraint"));
	} else {
		assert_string_equal(p[2].e.msg,
		                    "UNIQUE constraint failed: batch_t.k");
		/* the first alone, then the three others together */
		assert_int_equal(b1 - b0, 2);
		assert_int_equal(n1 - n0, 3);
	}
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM batch_t"), 3);
	assert_string_equal(
	        fixture_text(s, "SELECT min(k) || max(k) FROM batch_t "
	                        "WHERE k <> 'a'"),
	        "bc");
}

/* A piece that ends the batch's transaction: the others are stored, each
 * in a transaction of its own. */
static void
test_retry_alone(void **state)
{
	struct piece p[THREADS] = {
	        {.key = "a", .how = HOLD},
	        {.key = "b"},
	        {.key = "x", .how = END_TXN},
	        {.key = "c"},
	};
	uint64_t b0, n0, b1, n1;

	(void)state;
	store_batch_stats(&b0, &n0);
	run_all(p);
	store_batch_stats(&b1, &n1);
	assert_int_equal(p[0].rc, SL_OK);
	assert_int_equal(p[1].rc, SL_OK);
	assert_int_equal(p[3].rc, SL_OK);
	assert_int_equal(p[2].rc, SL_EDB);
	assert_string_equal(p[2].e.msg, "transaction ended");
	if (!fixture_pg_enabled()) {
		/* the first, then b and c alone after the batch failed */
		assert_int_equal(b1 - b0, 3);
		assert_int_equal(n1 - n0, 3);
	}
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM batch_t"), 3);
	assert_int_equal(
	        fixture_int(s, "SELECT count(*) FROM batch_t WHERE k = 'x'"),
	        0);
}

/* One caller alone: committed; a failure keeps nothing. */
static void
test_single(void **state)
{
	struct piece ok = {.key = "k"}, dup = {.key = "k"};

	(void)state;
	ok.conn = dup.conn = s;
	assert_int_equal(store_batch_run(s, put, &ok, &ok.e), SL_OK);
	assert_int_equal(store_batch_run(s, put, &dup, &dup.e), SL_EEXISTS);
	assert_int_equal(dup.e.code, SL_EEXISTS);
	if (fixture_pg_enabled())
		assert_non_null(strstr(dup.e.msg, "duplicate key value"));
	else
		assert_string_equal(dup.e.msg,
		                    "UNIQUE constraint failed: batch_t.k");
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM batch_t"), 1);
	/* the connection is out of any transaction again */
	exec_ok(s, "INSERT INTO batch_t(k) VALUES('after')");
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM batch_t"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_single, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fails_alone, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_retry_alone, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
