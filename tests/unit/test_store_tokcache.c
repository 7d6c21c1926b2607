/*
 * test_store_tokcache: agents' token answers in memory. The cache answers
 * what store_computer_by_token_sync() answers; a commit of this process
 * that takes a change sequence number (a delete, a move, a re-registration,
 * an approval) is seen at the next lookup; a change made by another process
 * (here: SQL that bypasses this process's commit counter, as another
 * front-end's would) is seen at the next poll; an overdue poll stops the
 * cache answering; the entry count is capped.
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

#include "db_fixture.h"
#include "server_fixture.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store/store_tokcache.h"

static char tmp[64], path[128];
static struct store *s;

/* Computer n: id and a token hash of 64 hex digits. */
static void
ids(char id[40], char hash[65], int n)
{
	snprintf(id, 40, "11111111-2222-4333-8444-%012d", n);
	snprintf(hash, 65, "%064x", n);
}

static void
add_computer(int n, int64_t gid)
{
	char id[40], h[65], replaced[40];
	struct store_computer_new c = {.id = id,
	                               .token_hash = h,
	                               .hostname = "h",
	                               .group_id = gid,
	                               .now = 10};
	struct err e;

	ids(id, h, n);
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_computer_register(replaced, s, &c, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-tokcache.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
	add_computer(1, 1);
	add_computer(2, 1);
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

static int64_t
seq_now(void)
{
	struct err e;
	int64_t v = 0;

	assert_int_equal(store_seq_current(s, &v, &e), SL_OK);
	return v;
}

/* Look computer n up; SL_OK with its id checked, or the status. */
static int
look(struct store_tokcache *c, int n, struct store_computer_sync *sync,
     int64_t *seq, struct err *e)
{
	char id[40], h[65], got[64] = "";
	int rc;

	ids(id, h, n);
	err_clear(e);
	rc = store_tokcache_lookup(got, sync, seq, c, s, h, e);
	if (rc == SL_OK)
		assert_string_equal(got, id);
	return rc;
}

/* Another front-end's change: SQL on this connection that does not go
 * through store_seq_next(), so only a poll can see it. */
static void
remote(const char *sql, const char *arg)
{
	struct err e;

	if (sql != NULL)
		assert_int_equal(store_q_run(s, NULL, &e, sql, "t", arg),
		                 SL_OK);
	assert_int_equal(store_q_run(s, NULL, &e,
	                             "UPDATE meta SET value = CAST(CAST(value "
	                             "AS BIGINT) + 1 AS TEXT) WHERE key = "
	                             "'change_seq'",
	                             NULL),
	                 SL_OK);
}

static void
test_hits_and_misses(void **state)
{
	struct store_tokcache_stats st;
	struct store_computer_sync cs;
	struct store_tokcache *c;
	struct err e;
	int64_t seq;
	char got[64];

	(void)state;
	assert_int_equal(store_tokcache_new(&c, NULL, 64, 1000, &e), SL_OK);
	/* Before the first poll it answers nothing from memory. */
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.hits, 0);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(look(c, 2, &cs, &seq, &e), SL_OK);
	assert_int_equal(cs.group_id, 1);
	assert_true(cs.has_contact);
	assert_int_equal(cs.last_contact, 10);
	assert_int_equal(seq, seq_now());
	store_tokcache_stats(&st, c);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.entries, 2);
	/* Unknown tokens: the database's answer, never kept. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(look(c, 99, &cs, &seq, &e), SL_ENOTFOUND);
		assert_string_equal(e.msg, "no computer with this token");
	}
	/* Not a token hash: to the database as it is. */
	err_clear(&e);
	assert_int_equal(store_tokcache_lookup(got, &cs, &seq, c, s, "xyz", &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "no computer with this token");
	store_tokcache_stats(&st, c);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.misses, 5);
	store_tokcache_free(c);
	store_tokcache_free(NULL);
}

static void
test_local_changes(void **state)
{
	struct store_tokcache_stats st;
	struct store_computer_sync cs;
	struct store_tokcache *c;
	char id1[40], id2[40], h[65];
	int64_t seq, gid, s0;
	struct err e;
	bool moved;

	(void)state;
	ids(id1, h, 1);
	ids(id2, h, 2);
	assert_int_equal(store_tokcache_new(&c, NULL, 64, 1000, &e), SL_OK);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(look(c, 2, &cs, &seq, &e), SL_OK);
	s0 = seq;
	/* A rolled-back change leaves the cache alone. */
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_seq_next(s, &seq, &e), SL_OK);
	store_rollback(s);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.hits, 1);
	assert_int_equal(seq, s0);
	/* An approval's sequence number: the next lookup has it. */
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_seq_next(s, &seq, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(seq, s0 + 1);
	/* A catalog sync's batch reserves its numbers at once. */
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_seq_reserve(s, 3, &seq, &e), SL_OK);
	assert_int_equal(seq, s0 + 2);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(seq, s0 + 4);
	/* A move: the new group and group sequence at once. */
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_group_create(&gid, s, "moved", 1, &e), SL_OK);
	assert_int_equal(store_computer_move(&moved, s, id2, gid, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_true(moved);
	assert_int_equal(look(c, 2, &cs, &seq, &e), SL_OK);
	assert_int_equal(cs.group_id, gid);
	assert_int_equal(cs.group_seq, seq);
	assert_int_equal(seq, seq_now());
	/* A deleted computer's token stops working at once. */
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_computer_delete(s, id1, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no computer with this token");
	assert_int_equal(look(c, 2, &cs, &seq, &e), SL_OK);
	store_tokcache_free(c);
}

static void
test_reregistered(void **state)
{
	char id[40], h[65], replaced[40];
	struct store_computer_new n = {
	        .id = "11111111-2222-4333-8444-999999999999",
	        .token_hash = NULL,
	        .hostname = "h2",
	        .group_id = 1,
	        .now = 20,
	        .machine_id = "m-1"};
	struct store_computer_sync cs;
	struct store_tokcache *c;
	char h2[65];
	int64_t seq;
	struct err e;

	(void)state;
	ids(id, h, 3);
	/* Computer 3 with a machine id, registered again with a new token
	 * (a reinstalled machine): the old token stops working. */
	n.id = id;
	n.token_hash = h;
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_computer_register(replaced, s, &n, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_int_equal(store_tokcache_new(&c, NULL, 64, 1000, &e), SL_OK);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 3, &cs, &seq, &e), SL_OK);
	assert_int_equal(look(c, 3, &cs, &seq, &e), SL_OK);
	snprintf(h2, sizeof(h2), "%064x", 4242);
	n.id = "11111111-2222-4333-8444-999999999999";
	n.token_hash = h2;
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_computer_register(replaced, s, &n, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_string_equal(replaced, id);
	assert_int_equal(look(c, 3, &cs, &seq, &e), SL_ENOTFOUND);
	store_tokcache_free(c);
}

static void
test_remote_changes(void **state)
{
	struct store_tokcache_stats st;
	struct store_computer_sync cs;
	struct store_tokcache *c;
	char id1[40], h[65];
	struct err e;
	int64_t seq, s0;

	(void)state;
	ids(id1, h, 1);
	assert_int_equal(store_tokcache_new(&c, NULL, 64, 1000, &e), SL_OK);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	s0 = seq;
	/* Another front-end approves something: seen at the next poll. */
	remote(NULL, NULL);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(seq, s0); /* the documented window */
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(seq, s0 + 1);
	/* Another front-end deletes the computer: its token works until the
	 * next poll, not after. */
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	remote("DELETE FROM computers WHERE id = $1", id1);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_ENOTFOUND);
	/* A fill that reads a sequence other than the cache's (the database
	 * moved before the poll noticed) keeps nothing and drops the rest. */
	assert_int_equal(look(c, 2, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.entries, 1);
	remote(NULL, NULL);
	add_computer(5, 1); /* a new computer takes no sequence number */
	assert_int_equal(look(c, 5, &cs, &seq, &e), SL_OK);
	assert_int_equal(seq, seq_now());
	store_tokcache_stats(&st, c);
	assert_int_equal(st.entries, 0);
	assert_int_equal(look(c, 2, &cs, &seq, &e), SL_OK);
	assert_int_equal(seq, seq_now());
	store_tokcache_stats(&st, c);
	assert_int_equal(st.entries, 1);
	store_tokcache_free(c);
}

static void
test_overdue_poll(void **state)
{
	struct store_tokcache_stats st;
	struct store_computer_sync cs;
	struct store_tokcache *c;
	struct err e;
	int64_t seq;

	(void)state;
	assert_int_equal(store_tokcache_new(&c, NULL, 64, 200, &e), SL_OK);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.hits, 1);
	usleep(800000); /* three polls missed: the database answers */
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.hits, 1);
	store_tokcache_free(c);
}

static void
test_capped(void **state)
{
	struct store_tokcache_stats st;
	struct store_computer_sync cs;
	struct store_tokcache *c;
	struct err e;
	int64_t seq;

	(void)state;
	for (int i = 10; i < 30; i++)
		add_computer(i, 1);
	/* 8 entries: one set, the oldest goes. */
	assert_int_equal(store_tokcache_new(&c, NULL, 1, 1000, &e), SL_OK);
	assert_int_equal(store_tokcache_poll(c, s, &e), SL_OK);
	for (int round = 0; round < 2; round++)
		for (int i = 10; i < 30; i++)
			assert_int_equal(look(c, i, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.entries, 8);
	assert_int_equal(st.evictions, 40 - 8);
	assert_int_equal(st.hits, 0);
	/* The 8 newest are there. */
	for (int i = 22; i < 30; i++)
		assert_int_equal(look(c, i, &cs, &seq, &e), SL_OK);
	store_tokcache_stats(&st, c);
	assert_int_equal(st.hits, 8);
	store_tokcache_free(c);
}

static void
test_poll_thread(void **state)
{
	struct store_computer_sync cs;
	struct store_tokcache *c;
	char id1[40], h[65];
	struct err e;
	int64_t seq;
	int i, rc = SL_OK;

	(void)state;
	ids(id1, h, 1);
	assert_int_equal(
	        store_tokcache_new(&c, fixture_db_target(path), 64, 20, &e),
	        SL_OK);
	assert_int_equal(look(c, 1, &cs, &seq, &e), SL_OK);
	remote("DELETE FROM computers WHERE id = $1", id1);
	for (i = 0; i < 200 && (rc = look(c, 1, &cs, &seq, &e)) == SL_OK; i++)
		usleep(10000);
	assert_int_equal(rc, SL_ENOTFOUND);
	store_tokcache_free(c);
}

static void
test_errors(void **state)
{
	struct store_tokcache *c = NULL;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(store_tokcache_new(&c, NULL, 64, 5, &e), SL_EINVAL);
	assert_string_equal(e.msg, "token cache: poll interval under 10 ms");
	assert_null(c);
	err_clear(&e);
	assert_int_equal(
	        store_tokcache_new(&c, "/nonexistent/dir/x.db", 64, 100, &e),
	        SL_EDB);
	assert_null(c);
	assert_non_null(strstr(e.msg, "token cache: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_hits_and_misses, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_local_changes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_reregistered, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_remote_changes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_overdue_poll, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_capped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_poll_thread, setup,
	                                        teardown),
	        cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
