/*
 * test_store_states: the compact update states (store_states.c) and the
 * counters the reports read (store_reports.c): a state written, replaced,
 * moved with its computer to another group, deleted with the computer;
 * a computer in two groups counts once; the paged computer list of one
 * update's report; a report's states written at once
 * (store_states_report.c) store exactly what writing them one by one
 * stores, rows and counters; update keys at PostgreSQL's page edges
 * (store_states_pg_put) written, replaced, moved, cleared and removed,
 * the counters recounted from the states; whether an incremental sync has
 * changes to read (store_changes.c). Runs on both engines (suite pg under
 * with_cluster.sh).
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
#include "store/db.h"
#include "store/store.h"
#include "store/store_int.h"

#define U1 "11111111-0000-4000-8000-000000000001"
#define U2 "11111111-0000-4000-8000-000000000002"

static char tmp[64], path[128];
static struct store *s;
static int64_t web, unassigned;

static void
exec_ok(const char *sql)
{
	struct err e;

	err_clear(&e);
	if (db_exec(fixture_db(s), sql, &e) != SL_OK)
		fail_msg("%s", e.msg);
}

static void
add_computer(const char *id, int64_t gid)
{
	struct store_computer_new c = {.id = id,
	                               .token_hash = id,
	                               .hostname = id,
	                               .group_id = gid,
	                               .now = 1000};
	char replaced[40];
	struct err e;

	assert_int_equal(store_computer_register(replaced, s, &c, &e), SL_OK);
}

static void
put(const char *cid, const char *uid, const char *state, const char *detail)
{
	int64_t rev = 1;
	struct store_state st = {.update_id = uid,
	                         .revision = &rev,
	                         .state = state,
	                         .detail = detail};
	struct err e;

	assert_int_equal(store_state_upsert(s, cid, &st, 5000, &e), SL_OK);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-states.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
	exec_ok("INSERT INTO updates(id, revision, title, classification, "
	        "product, document, doc_sha256, imported_at) VALUES('" U1
	        "', 1, 'One', 'security', 'P', '{}', 'x', 0), ('" U2
	        "', 1, 'Two', 'security', 'P', '{}', 'x', 0);"
	        "INSERT INTO update_status(id, latest_revision, change_seq) "
	        "VALUES('" U1 "', 1, 0), ('" U2 "', 1, 0);");
	assert_int_equal(store_group_create(&web, s, "web", 1, &e), SL_OK);
	assert_int_equal(
	        store_group_id(&unassigned, s, STORE_GROUP_UNASSIGNED, &e),
	        SL_OK);
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

static json_int_t
count_in(json_t *counts, const char *key)
{
	return json_integer_value(json_object_get(counts, key));
}

/* The counts of group g in update id's report. */
static json_t *
group_counts(json_t *rep, const char *g)
{
	json_t *x;
	size_t i;

	json_array_foreach(
	        json_object_get(rep, "groups"), i,
	        x) if (strcmp(json_string_value(json_object_get(x, "group")),
	                      g) == 0) return json_object_get(x, "counts");
	return NULL;
}

static json_t *
report(const char *id)
{
	json_t *rep = NULL;
	struct err e;

	assert_int_equal(store_report_update(&rep, s, id, &e), SL_OK);
	return rep;
}

/* store_computer_states callbacks: "TITLE STATE" of each row into the
 * array arg; an error at the first row. */
static int
state_title(void *arg, const struct store_computer_state *st, struct err *e)
{
	char line[128];

	(void)e;
	assert_true(st->reported > 0);
	snprintf(line, sizeof(line), "%s %s", st->title, st->state);
	return json_array_append_new(arg, json_string(line)) == 0 ? SL_OK
	                                                          : SL_ENOMEM;
}

static int
state_stop(void *arg, const struct store_computer_state *st, struct err *e)
{
	(void)arg;
	(void)st;
	return err_set(e, SL_ETOOBIG, "enough");
}

static void
test_counters(void **state)
{
	json_t *rep, *all = NULL;
	bool changed, needed;
	struct err e;

	(void)state;
	add_computer("c1", unassigned);
	add_computer("c2", web);
	add_computer("c3", web);
	put("c1", U1, "installed", NULL);
	put("c2", U1, "needed", NULL);
	put("c2", U2, "failed", "exit 3");
	put("c1", U2, "not-applicable", NULL);
	rep = report(U1);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "installed"),
	                 1);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "needed"), 1);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "no_status"),
	                 1);
	assert_int_equal(count_in(group_counts(rep, "web"), "needed"), 1);
	assert_int_equal(count_in(group_counts(rep, "web"), "no_status"), 1);
	assert_int_equal(count_in(group_counts(rep, STORE_GROUP_UNASSIGNED),
	                          "installed"),
	                 1);
	json_decref(rep);
	/* The view shows what was reported; not-applicable takes the
	 * computer's last report time. */
	assert_string_equal(fixture_text(s, "SELECT detail FROM update_states "
	                                    "WHERE computer_id = 'c2' AND "
	                                    "state = 'failed'"),
	                    "exit 3");
	assert_int_equal(store_computer_touch(s, "c1", 7000, true, &e), SL_OK);
	assert_int_equal(fixture_int(s, "SELECT reported_at FROM update_states "
	                                "WHERE computer_id = 'c1' AND state = "
	                                "'not-applicable'"),
	                 7000);
	assert_int_equal(fixture_int(s, "SELECT reported_at FROM update_states "
	                                "WHERE computer_id = 'c1' AND state = "
	                                "'installed'"),
	                 5000);
	/* Replaced; then the computer moves: its counts go along. */
	put("c2", U1, "installed", NULL);
	put("c2", U1, "installed", NULL);
	assert_int_equal(store_computer_move(&changed, s, "c2", unassigned, &e),
	                 SL_OK);
	/* In a second group too: it still counts once, in its first. */
	assert_int_equal(
	        store_computer_group_add(&changed, s, "c3", unassigned, &e),
	        SL_OK);
	rep = report(U1);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "installed"),
	                 2);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "needed"), 0);
	assert_int_equal(count_in(group_counts(rep, STORE_GROUP_UNASSIGNED),
	                          "installed"),
	                 2);
	assert_int_equal(count_in(group_counts(rep, "web"), "installed"), 0);
	assert_int_equal(count_in(group_counts(rep, "web"), "no_status"), 1);
	json_decref(rep);
	assert_int_equal(store_update_needed(&needed, s, U2, &e), SL_OK);
	assert_true(needed);
	/* Deleted with its states. */
	assert_int_equal(store_computer_delete(s, "c2", &e), SL_OK);
	assert_int_equal(store_update_needed(&needed, s, U2, &e), SL_OK);
	assert_false(needed);
	assert_int_equal(store_report_counts(&all, s, &e), SL_OK);
	assert_int_equal(count_in(json_object_get(all, U1), "installed"), 1);
	assert_int_equal(count_in(json_object_get(all, U1), "no_status"), 1);
	assert_int_equal(count_in(json_object_get(all, U2), "failed"), 0);
	assert_int_equal(count_in(json_object_get(all, U2), "not_applicable"),
	                 1);
	json_decref(all);
	{
		struct store_page pg = {.state = "installed", .limit = 10};
		json_t *c = NULL, *arr = json_array();
		assert_int_equal(store_computer_counts(&c, s, "c1", &e), SL_OK);
		assert_int_equal(count_in(c, "installed"), 1);
		assert_int_equal(count_in(c, "not_applicable"), 1);
		assert_null(json_object_get(c, "no_status"));
		json_decref(c);
		assert_int_equal(store_computer_states(s, "c1", &pg,
		                                       state_title, arr, &e),
		                 SL_OK);
		assert_int_equal(json_array_size(arr), 1);
		assert_string_equal(json_string_value(json_array_get(arr, 0)),
		                    "One installed");
		/* Every state, by title; a callback's error ends the walk. */
		pg.state = NULL;
		json_array_clear(arr);
		assert_int_equal(store_computer_states(s, "c1", &pg,
		                                       state_title, arr, &e),
		                 SL_OK);
		assert_int_equal(json_array_size(arr), 2);
		assert_string_equal(json_string_value(json_array_get(arr, 1)),
		                    "Two not-applicable");
		assert_int_equal(store_computer_states(s, "c1", &pg, state_stop,
		                                       NULL, &e),
		                 SL_ETOOBIG);
		assert_string_equal(e.msg, "computer states: enough");
		pg.state = "bogus";
		assert_int_equal(store_computer_states(s, "c1", &pg,
		                                       state_title, arr, &e),
		                 SL_EINVAL);
		assert_string_equal(e.msg, "state: unknown state 'bogus'");
		json_decref(arr);
	}
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"), 2);
	assert_int_equal(fixture_int(s, "SELECT sum(members) FROM groups"), 2);
}

static void
test_pages(void **state)
{
	struct store_page pg = {.limit = 2};
	json_t *arr = json_array();
	struct err e;

	(void)state;
	add_computer("c1", unassigned);
	add_computer("c2", web);
	add_computer("c3", web);
	put("c2", U1, "failed", "exit 3");
	assert_int_equal(store_report_update_computers(arr, s, U1, &pg, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 1), "detail")),
	                    "exit 3");
	json_array_clear(arr);
	pg.after = "c2";
	assert_int_equal(store_report_update_computers(arr, s, U1, &pg, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 0), "state")),
	                    "no-status");
	json_array_clear(arr);
	pg.after = NULL;
	pg.state = "no-status";
	assert_int_equal(store_report_update_computers(arr, s, U1, &pg, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 0), "id")),
	                    "c1");
	pg.state = "bogus";
	assert_int_equal(store_report_update_computers(arr, s, U1, &pg, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "state: unknown state 'bogus'");
	pg.state = NULL;
	assert_int_equal(store_report_update_computers(arr, s, "nope", &pg, &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "no update nope");
	json_decref(arr);
}

static void
test_invalid(void **state)
{
	int64_t rev = 1;
	struct store_state st = {
	        .update_id = U1, .revision = &rev, .state = "bogus"};
	struct err e;

	(void)state;
	add_computer("c1", unassigned);
	assert_int_equal(store_state_upsert(s, "c1", &st, 1, &e), SL_EINVAL);
	assert_string_equal(e.msg, "store state: state: unknown state 'bogus'");
	st.state = "installed";
	st.revision = NULL;
	assert_int_equal(store_state_upsert(s, "c1", &st, 1, &e), SL_EINVAL);
	assert_string_equal(e.msg, "store state: state: revision: expected a "
	                           "non-negative integer");
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"), 0);
}

#define BULK_N 150 /* more than the largest chunk of store_states_report */

/* The bulk updates' ids, in id order; BULK_N is an id no update has. */
static void
bulk_id(char out[40], int i)
{
	snprintf(out, 40, "%s-0000-4000-8000-%012d",
	         i < BULK_N ? "22222222" : "ffffffff", i);
}

/* Reported state of update i in round r (detail on failed ones). */
static void
bulk_state(struct store_state *st, int64_t *rev, char id[40], int i, int r)
{
	static const char *const names[] = {"not-applicable", "needed",
	                                    "installed", "failed"};
	int k = (r == 1 && i % 10 == 0) ? 2 : i % 4;

	bulk_id(id, i);
	*rev = 1 + (r == 1 && i % 15 == 0);
	*st = (struct store_state){.update_id = id,
	                           .revision = rev,
	                           .state = names[k],
	                           .detail = k == 3 ? "exit 3" : NULL};
}

/* Computer a gets round r at once, computer b one state at a time. */
static void
bulk_round(int r, int64_t now)
{
	struct store_state sts[BULK_N + 1];
	int64_t revs[BULK_N + 1];
	char ids[BULK_N + 1][40];
	struct err e;

	for (int i = 0; i <= BULK_N; i++) {
		bulk_state(&sts[i], &revs[i], ids[i], i, r);
		assert_int_equal(store_state_upsert(s, "b", &sts[i], now, &e),
		                 SL_OK);
	}
	assert_int_equal(store_states_report(s, "a", sts, BULK_N + 1, now, &e),
	                 SL_OK);
}

/* The two computers' rows and counters agree. */
static void
bulk_same(void)
{
	json_t *ca = NULL, *cb = NULL, *rep;
	char id[40];
	struct err e;

	assert_int_equal(fixture_int(s, "SELECT count(*) FROM update_states "
	                                "WHERE computer_id = 'a'"),
	                 BULK_N);
	assert_int_equal(
	        fixture_int(s, "SELECT count(*) FROM update_states x JOIN "
	                       "update_states y ON x.update_id = y.update_id "
	                       "WHERE x.computer_id = 'a' AND y.computer_id "
	                       "= 'b' AND x.revision = y.revision AND "
	                       "x.state = y.state AND coalesce(x.detail, '') "
	                       "= coalesce(y.detail, '') AND x.reported_at = "
	                       "y.reported_at"),
	        BULK_N);
	/* Both computers reported the same: every counter is even. */
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM state_counts "
	                                "WHERE n % 2 <> 0"),
	                 0);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM group_counts "
	                                "WHERE n % 2 <> 0"),
	                 0);
	assert_int_equal(fixture_int(s, "SELECT sum(n) FROM state_counts"),
	                 2 * BULK_N);
	assert_int_equal(store_computer_counts(&ca, s, "a", &e), SL_OK);
	assert_int_equal(store_computer_counts(&cb, s, "b", &e), SL_OK);
	assert_true(json_equal(ca, cb));
	json_decref(ca);
	json_decref(cb);
	bulk_id(id, 30);
	rep = report(id);
	assert_int_equal(count_in(group_counts(rep, "web"), "installed"), 2);
	json_decref(rep);
}

static void
test_report_at_once(void **state)
{
	char id[40], sql[512];
	struct err e;

	(void)state;
	for (int i = 0; i < BULK_N; i++) {
		bulk_id(id, i);
		snprintf(sql, sizeof(sql),
		         "INSERT INTO updates(id, revision, title, "
		         "classification, product, document, doc_sha256, "
		         "imported_at) VALUES('%s', 1, 'B', 'security', 'P', "
		         "'{}', 'x', 0);"
		         "INSERT INTO update_status(id, latest_revision, "
		         "change_seq) VALUES('%s', 1, 0)",
		         id, id);
		exec_ok(sql);
	}
	add_computer("a", web);
	add_computer("b", web);
	bulk_round(0, 5000);
	bulk_same();
	/* The same again later: times move, nothing else. */
	bulk_round(0, 6000);
	bulk_same();
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states WHERE t "
	                                "= 6000"),
	                 2 * 112); /* all but the 38 not-applicable */
	/* Some states and revisions change: their counters move. */
	bulk_round(1, 7000);
	bulk_same();
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM update_states "
	                                "WHERE computer_id = 'a' AND revision "
	                                "= 2"),
	                 BULK_N / 15);
	/* A computer that is gone stores nothing. */
	{
		int64_t rev = 1;
		struct store_state st = {
		        .update_id = U1, .revision = &rev, .state = "needed"};
		assert_int_equal(store_states_report(s, "gone", &st, 1, 1, &e),
		                 SL_OK);
	}
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"),
	                 2 * BULK_N);
}

static void
test_report_at_once_invalid(void **state)
{
	int64_t rev = 1;
	struct store_state sts[2] = {
	        {.update_id = U2, .revision = &rev, .state = "needed"},
	        {.update_id = U1, .revision = &rev, .state = "needed"},
	};
	struct err e;

	(void)state;
	add_computer("c1", unassigned);
	assert_int_equal(store_states_report(s, "c1", sts, 2, 1, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "store states: states[1]: '" U1
	                           "' is not after '" U2
	                           "' (expected each id once, in order)");
	sts[0].update_id = U1;
	assert_int_equal(store_states_report(s, "c1", sts, 2, 1, &e),
	                 SL_EINVAL);
	sts[1].update_id = U2;
	sts[1].state = "bogus";
	assert_int_equal(store_states_report(s, "c1", sts, 2, 1, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "store states: states[1]: state: unknown "
	                           "state 'bogus'");
	sts[1].state = "needed";
	sts[1].revision = NULL;
	assert_int_equal(store_states_report(s, "c1", sts, 2, 1, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "store states: states[1]: state: revision: "
	                           "expected a non-negative integer");
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"), 0);
}

/* Every counter equals a count of the stored states (none missing, none
 * left over), and groups.members the computers of each group. */
static void
counters_exact(void)
{
	static const char *const sql[] = {
	        "SELECT count(*) FROM (SELECT ukey, v / 16, v % 8, count(*) "
	        "FROM states GROUP BY 1, 2, 3 EXCEPT SELECT ukey, rev, st, n "
	        "FROM state_counts WHERE n <> 0) x",
	        "SELECT count(*) FROM (SELECT ukey, rev, st, n FROM "
	        "state_counts WHERE n <> 0 EXCEPT SELECT ukey, v / 16, v % 8, "
	        "count(*) FROM states GROUP BY 1, 2, 3) x",
	        "SELECT count(*) FROM (SELECT s.ukey, c.group_id, s.v % 8, "
	        "count(*) FROM states s JOIN computers c ON c.ckey = s.ckey "
	        "GROUP BY 1, 2, 3 EXCEPT SELECT ukey, gid, st, n FROM "
	        "group_counts WHERE n <> 0) x",
	        "SELECT count(*) FROM (SELECT ukey, gid, st, n FROM "
	        "group_counts WHERE n <> 0 EXCEPT SELECT s.ukey, c.group_id, "
	        "s.v % 8, count(*) FROM states s JOIN computers c ON c.ckey = "
	        "s.ckey GROUP BY 1, 2, 3) x",
	        "SELECT count(*) FROM (SELECT ckey, v % 8, count(*) FROM "
	        "states GROUP BY 1, 2 EXCEPT SELECT ckey, st, n FROM "
	        "computer_counts WHERE n <> 0) x",
	        "SELECT count(*) FROM (SELECT ckey, st, n FROM computer_counts "
	        "WHERE n <> 0 EXCEPT SELECT ckey, v % 8, count(*) FROM states "
	        "GROUP BY 1, 2) x",
	        "SELECT count(*) FROM groups g WHERE members <> (SELECT "
	        "count(*) FROM computers c WHERE c.group_id = g.id)",
	};

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (fixture_int(s, sql[i]) != 0)
			fail_msg("counters differ from the states: %s", sql[i]);
}

/* Updates with keys on both sides of PostgreSQL's page edges (a page
 * holds 128 keys: 127 | 128, 255 | 256), written at once, one by one,
 * replaced, moved with their computer, removed with it: the states and
 * counters are the same as SQLite's rows give. */
static void
test_page_edges(void **state)
{
	static const int keys[] = {127, 128, 255, 256, 1000};
	static const char *const names[] = {"failed", "installed", "needed",
	                                    "not-applicable", "downloaded"};
	struct store_state sts[5];
	int64_t revs[5], big = INT32_MAX >> 4;
	char ids[5][40], sql[1024];
	bool changed;
	json_t *rep;
	struct err e;

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(ids[i], sizeof(ids[i]),
		         "33333333-0000-4000-8000-%012d", keys[i]);
		snprintf(sql, sizeof(sql),
		         "INSERT INTO updates(id, revision, title, "
		         "classification, product, document, doc_sha256, "
		         "imported_at) VALUES('%s', 1, 'E', 'security', 'P', "
		         "'{}', 'x', 0);"
		         "INSERT INTO update_status(id, latest_revision, "
		         "change_seq, ukey) VALUES('%s', 1, 0, %d)",
		         ids[i], ids[i], keys[i]);
		exec_ok(sql);
		revs[i] = i == 4 ? big : 1 + i;
		sts[i] = (struct store_state){.update_id = ids[i],
		                              .revision = &revs[i],
		                              .state = names[i],
		                              .detail =
		                                      i == 0 ? "exit 1" : NULL};
	}
	add_computer("a", web);
	add_computer("b", unassigned);
	assert_int_equal(store_states_report(s, "a", sts, 5, 5000, &e), SL_OK);
	for (int i = 4; i >= 0; i--)
		assert_int_equal(store_state_upsert(s, "b", &sts[i], 5000, &e),
		                 SL_OK);
	counters_exact();
	for (int i = 0; i < 5; i++) {
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM update_states x JOIN "
		         "update_states y ON x.update_id = y.update_id AND "
		         "x.revision = y.revision AND x.state = y.state AND "
		         "x.reported_at = y.reported_at WHERE x.computer_id = "
		         "'a' AND y.computer_id = 'b' AND x.update_id = '%s' "
		         "AND x.state = '%s' AND x.revision = %lld",
		         ids[i], names[i], (long long)revs[i]);
		assert_int_equal(fixture_int(s, sql), 1);
	}
	assert_int_equal(fixture_int(s, "SELECT t FROM states WHERE ukey = "
	                                "128 AND ckey = (SELECT ckey FROM "
	                                "computers WHERE id = 'a')"),
	                 5000);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states WHERE "
	                                "ukey = 256 AND t IS NULL"),
	                 2);
	/* The largest revision a slot holds; one more is refused. */
	revs[4] = big + 1;
	assert_int_equal(store_states_report(s, "a", &sts[4], 1, 5000, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "store states: states[0]: state: revision: "
	                           "expected a non-negative integer");
	revs[4] = big;
	/* Replaced at the edges, the neighbours untouched. */
	sts[0].state = "installed";
	sts[0].detail = NULL;
	sts[3].state = "needed";
	assert_int_equal(store_states_report(s, "a", sts, 5, 6000, &e), SL_OK);
	counters_exact();
	rep = report(ids[0]);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "installed"),
	                 1);
	assert_int_equal(count_in(json_object_get(rep, "totals"), "failed"), 1);
	assert_int_equal(count_in(group_counts(rep, "web"), "installed"), 1);
	json_decref(rep);
	{
		struct store_page pg = {.state = "needed", .limit = 10};
		json_t *arr = json_array();

		assert_int_equal(
		        store_report_update_computers(arr, s, ids[3], &pg, &e),
		        SL_OK);
		assert_int_equal(json_array_size(arr), 1);
		assert_string_equal(json_string_value(json_object_get(
		                            json_array_get(arr, 0), "id")),
		                    "a");
		assert_int_equal(json_integer_value(json_object_get(
		                         json_array_get(arr, 0), "revision")),
		                 4);
		json_array_clear(arr);
		pg.state = NULL;
		assert_int_equal(
		        store_report_update_computers(arr, s, ids[4], &pg, &e),
		        SL_OK);
		assert_int_equal(json_array_size(arr), 2);
		assert_int_equal(json_integer_value(json_object_get(
		                         json_array_get(arr, 1), "revision")),
		                 big);
		json_decref(arr);
	}
	assert_int_equal(fixture_int(s, "SELECT t FROM states WHERE ukey = "
	                                "127 AND ckey = (SELECT ckey FROM "
	                                "computers WHERE id = 'b')"),
	                 5000);
	/* Moved between groups, both ways: the counts follow. */
	assert_int_equal(store_computer_move(&changed, s, "a", unassigned, &e),
	                 SL_OK);
	counters_exact();
	assert_int_equal(store_computer_move(&changed, s, "b", web, &e), SL_OK);
	counters_exact();
	rep = report(ids[0]);
	assert_int_equal(count_in(group_counts(rep, "web"), "failed"), 1);
	assert_int_equal(count_in(group_counts(rep, STORE_GROUP_UNASSIGNED),
	                          "installed"),
	                 1);
	json_decref(rep);
	/* Cleared (a rolled-up computer's states replaced), then removed. */
	assert_int_equal(store_states_clear(s, "b", &e), SL_OK);
	counters_exact();
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"), 5);
	assert_int_equal(store_computer_delete(s, "a", &e), SL_OK);
	counters_exact();
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"), 0);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM update_states"),
	                 0);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM computer_counts "
	                                "WHERE n <> 0"),
	                 0);
}

/* store_changed_since (store_changes.c): whether an incremental sync has
 * anything to read. */
static void
test_changed_since(void **state)
{
	bool changed = true, added;
	struct err e;

	(void)state;
	add_computer("c1", unassigned);
	assert_int_equal(
	        store_changed_since(&changed, s, unassigned, "c1", 0, &e),
	        SL_OK);
	assert_false(changed);
	exec_ok("UPDATE update_status SET change_seq = 5 WHERE id = '" U1 "'");
	assert_int_equal(
	        store_changed_since(&changed, s, unassigned, "c1", 4, &e),
	        SL_OK);
	assert_true(changed);
	assert_int_equal(
	        store_changed_since(&changed, s, unassigned, "c1", 5, &e),
	        SL_OK);
	assert_false(changed);
	/* An approval of another group counts for its computers only. */
	exec_ok("INSERT INTO effective_approvals(group_id, update_id, action, "
	        "change_seq) SELECT id, '" U2 "', 'install', 9 FROM groups "
	        "WHERE name = 'web'");
	assert_int_equal(
	        store_changed_since(&changed, s, unassigned, "c1", 5, &e),
	        SL_OK);
	assert_false(changed);
	assert_int_equal(store_changed_since(&changed, s, web, NULL, 5, &e),
	                 SL_OK);
	assert_true(changed);
	assert_int_equal(store_computer_group_add(&added, s, "c1", web, &e),
	                 SL_OK);
	assert_int_equal(
	        store_changed_since(&changed, s, unassigned, "c1", 5, &e),
	        SL_OK);
	assert_true(changed);
	assert_int_equal(
	        store_changed_since(&changed, s, unassigned, "c1", 9, &e),
	        SL_OK);
	assert_false(changed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_report_at_once, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_report_at_once_invalid,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_page_edges, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_changed_since, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
