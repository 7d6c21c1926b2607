/*
 * test_store: the store functions the other server tests do not reach
 * through their modules: groups, computers and their reports, content
 * rows, downstream servers, rules, admin tokens, sync history.
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

static char tmp[64], path[128];
static struct store *s;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-store.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
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

static void
test_groups(void **state)
{
	struct store_group_info gi;
	int64_t all, web, sub, id;
	json_t *arr;
	struct err e;

	(void)state;
	assert_int_equal(store_group_id(&all, s, STORE_GROUP_ALL, &e), SL_OK);
	assert_int_equal(store_group_create(&web, s, "web", all, &e), SL_OK);
	assert_int_equal(store_group_create(&sub, s, "web-eu", web, &e), SL_OK);
	assert_int_equal(store_group_create(&id, s, "web", all, &e),
	                 SL_EEXISTS);
	assert_string_equal(e.msg, "group 'web' already exists");
	assert_int_equal(store_group_info(&gi, s, web, &e), SL_OK);
	assert_int_equal(gi.parent_id, all);
	assert_string_equal(gi.parent_name, STORE_GROUP_ALL);
	assert_int_equal(gi.n_subgroups, 1);
	assert_int_equal(gi.n_computers, 0);
	assert_int_equal(store_group_info(&gi, s, 999, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no group #999");
	assert_int_equal(store_group_rename(s, sub, "web-europe", &e), SL_OK);
	assert_int_equal(store_group_id(&id, s, "web-europe", &e), SL_OK);
	assert_int_equal(id, sub);
	/* Deleting web moves its subgroup to All Computers. */
	assert_int_equal(store_group_delete(s, web, all, &e), SL_OK);
	assert_int_equal(store_group_info(&gi, s, sub, &e), SL_OK);
	assert_int_equal(gi.parent_id, all);
	arr = json_array();
	assert_int_equal(store_groups_list(arr, s, &e), SL_OK);
	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 2), "name")),
	                    "web-europe");
	json_decref(arr);
}

static void
test_computers(void **state)
{
	struct store_computer_new c = {
	        .id = "c1",
	        .token_hash = "h1",
	        .hostname = "host1",
	        .os_id = "debian",
	        .group_id = 2,
	        .now = 1000,
	};
	struct store_computer_sync cs;
	int64_t rev = 1, code = 0, seq0, seq1;
	struct store_event ev = {.event_id = "ev1",
	                         .update_id = "u1",
	                         .kind = "install",
	                         .result = "success",
	                         .revision = &rev,
	                         .exit_code = &code};
	struct store_state st = {
	        .update_id = "u1", .revision = &rev, .state = "installed"};
	char id[64], replaced[40];
	bool moved, inserted;
	struct err e;

	(void)state;
	assert_int_equal(store_computer_register(replaced, s, &c, &e), SL_OK);
	assert_string_equal(replaced, "");
	assert_int_equal(store_computer_register(replaced, s, &c, &e),
	                 SL_EEXISTS);
	assert_int_equal(store_computer_by_token(id, s, "h1", &e), SL_OK);
	assert_string_equal(id, "c1");
	assert_int_equal(store_computer_by_token(id, s, "h2", &e),
	                 SL_ENOTFOUND);
	assert_int_equal(store_computer_sync_state(&cs, s, "c1", &e), SL_OK);
	assert_int_equal(cs.group_id, 2);
	assert_true(cs.has_contact);
	assert_int_equal(cs.last_contact, 1000);
	assert_int_equal(store_computer_touch(s, "c1", 2000, true, &e), SL_OK);
	assert_int_equal(fixture_int(s, "SELECT last_report FROM computers"),
	                 2000);
	assert_int_equal(store_computer_sync_state(&cs, s, "c9", &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "unknown computer");
	/* A move takes a fresh change sequence (full sync next time). */
	assert_int_equal(store_seq_current(s, &seq0, &e), SL_OK);
	assert_int_equal(store_computer_move(&moved, s, "c1", 1, &e), SL_OK);
	assert_true(moved);
	assert_int_equal(store_computer_move(&moved, s, "c1", 1, &e), SL_OK);
	assert_false(moved);
	assert_int_equal(store_seq_current(s, &seq1, &e), SL_OK);
	assert_int_equal(seq1, seq0 + 1);
	assert_int_equal(store_computer_sync_state(&cs, s, "c1", &e), SL_OK);
	assert_int_equal(cs.group_seq, seq1);
	assert_int_equal(store_computer_move(&moved, s, "c9", 1, &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "no computer c9");
	/* Reports: a state is replaced, an event is stored once. A state
	 * of an update the server does not hold is not kept. */
	assert_int_equal(store_state_upsert(s, "c1", &st, 3000, &e), SL_OK);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM states"), 0);
	assert_int_equal(db_exec(fixture_db(s),
	                         "INSERT INTO update_status(id, "
	                         "latest_revision, change_seq) VALUES('u1', "
	                         "1, 0)",
	                         &e),
	                 SL_OK);
	assert_int_equal(store_state_upsert(s, "c1", &st, 3000, &e), SL_OK);
	st.state = "failed";
	assert_int_equal(store_state_upsert(s, "c1", &st, 3001, &e), SL_OK);
	assert_string_equal(fixture_text(s, "SELECT state FROM update_states"),
	                    "failed");
	assert_int_equal(store_event_insert(&inserted, s, "c1", &ev, 3000, &e),
	                 SL_OK);
	assert_true(inserted);
	assert_int_equal(store_event_insert(&inserted, s, "c1", &ev, 3000, &e),
	                 SL_OK);
	assert_false(inserted);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM events"), 1);
}

/* Many events in multi-row statements (50, 10 and 1 rows): an id repeated
 * inside the batch and the whole batch sent again store nothing twice;
 * the key is the computer's, so another computer's same ids are its own. */
static void
test_events_batch(void **state)
{
	enum { N = 123 };
	struct store_event ev[N];
	char ids[N][16];
	int64_t rev = 2, code = 1, n = -1;
	struct err e;

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "ev-%d", i == 77 ? 5 : i);
		ev[i] = (struct store_event){.event_id = ids[i],
		                             .update_id = "u1",
		                             .kind = "install",
		                             .result = "success",
		                             .output = i == 3 ? "three" : NULL,
		                             .revision = &rev,
		                             .exit_code = i % 2 ? &code : NULL};
	}
	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_events_insert(&n, s, "c1", ev, N, 4000, &e),
	                 SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
	assert_int_equal(n, N - 1);
	assert_int_equal(store_events_insert(&n, s, "c1", ev, N, 4001, &e),
	                 SL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_events_insert(&n, s, "c2", ev, 7, 4002, &e),
	                 SL_OK);
	assert_int_equal(n, 7);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM events"), N + 6);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM events WHERE "
	                                "computer_id = 'c1' AND received_at = "
	                                "4000 AND revision = 2"),
	                 N - 1);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM events WHERE "
	                                "exit_code = 1 AND computer_id = 'c1'"),
	                 N / 2 - 1); /* the odd ones but 77, a repeat */
	assert_string_equal(fixture_text(s, "SELECT output FROM events WHERE "
	                                    "event_id = 'ev-3' AND "
	                                    "computer_id = 'c1'"),
	                    "three");
	assert_int_equal(store_events_insert(&n, s, "c1", ev, 0, 4003, &e),
	                 SL_OK);
	assert_int_equal(n, 0);
}

static void
test_content(void **state)
{
	struct store_content_due *rows = NULL;
	int64_t at;
	size_t n = 0;
	bool any;
	struct err e;

	(void)state;
	assert_int_equal(db_exec(fixture_db(s),
	                         "INSERT INTO content(sha256, size, "
	                         "upstream_url, state, updated_at) VALUES"
	                         "('aa', 1, 'http://x/a', 'wanted', 1),"
	                         "('bb', 2, 'http://x/b', 'wanted', 2)",
	                         &e),
	                 SL_OK);
	assert_int_equal(store_content_next_retry(&at, &any, s, &e), SL_OK);
	assert_false(any);
	assert_int_equal(
	        store_content_failed(s, "aa", 1, 500, "HTTP 404", 10, &e),
	        SL_OK);
	assert_int_equal(store_content_next_retry(&at, &any, s, &e), SL_OK);
	assert_true(any);
	assert_int_equal(at, 500);
	/* Before its next attempt a failed row is not due. */
	assert_int_equal(store_content_next_due(&rows, &n, s, 100, 10, &e),
	                 SL_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].sha256, "bb");
	assert_string_equal(rows[0].url, "http://x/b");
	store_content_due_free(rows, n);
	/* Wanted first, then failed; the limit holds. */
	assert_int_equal(store_content_next_due(&rows, &n, s, 600, 10, &e),
	                 SL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].sha256, "bb");
	assert_string_equal(rows[1].sha256, "aa");
	assert_int_equal(rows[1].attempts, 1);
	store_content_due_free(rows, n);
	assert_int_equal(store_content_next_due(&rows, &n, s, 600, 1, &e),
	                 SL_OK);
	assert_int_equal(n, 1);
	store_content_due_free(rows, n);
	assert_int_equal(store_content_present(s, "aa", 700, &e), SL_OK);
	assert_string_equal(
	        fixture_text(s, "SELECT state || coalesce(error, '-') FROM "
	                        "content WHERE sha256 = 'aa'"),
	        "present-");
	assert_int_equal(store_content_want_update(s, "nope", 1, &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "update nope: not found");
}

static void
test_tokens_and_downstreams(void **state)
{
	struct store_admin_token t;
	int64_t id, n, admins;
	bool taken;
	json_t *arr;
	struct err e;

	(void)state;
	assert_int_equal(store_admin_token_count(&n, s, &e), SL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_admin_token_insert(&id, s, "ops", "reporter",
	                                          "th1", 5, &e),
	                 SL_OK);
	assert_int_equal(store_admin_token_by_hash(&t, s, "th1", &e), SL_OK);
	assert_int_equal(t.id, id);
	assert_string_equal(t.name, "ops");
	assert_string_equal(t.role, "reporter");
	assert_int_equal(store_admin_token_name_taken(&taken, s, "ops", &e),
	                 SL_OK);
	assert_true(taken);
	assert_int_equal(store_admin_token_active(&t, &admins, s, "ops", &e),
	                 SL_OK);
	assert_int_equal(admins, 0);
	assert_int_equal(store_admin_token_revoke(s, id, &e), SL_OK);
	assert_int_equal(store_admin_token_by_hash(&t, s, "th1", &e),
	                 SL_ENOTFOUND);
	arr = json_array();
	assert_int_equal(store_admin_tokens_list(arr, s, &e), SL_OK);
	assert_true(json_is_true(
	        json_object_get(json_array_get(arr, 0), "revoked")));
	json_decref(arr);

	assert_int_equal(store_downstream_add(s, "branch", "dh1", 5, &e),
	                 SL_OK);
	assert_int_equal(store_downstream_add(s, "branch", "dh2", 5, &e),
	                 SL_EEXISTS);
	assert_string_equal(e.msg, "a downstream server named 'branch' exists");
	assert_int_equal(store_downstream_revoke(s, "branch", &e), SL_OK);
	/* A revoked name may be added again, with a new token. */
	assert_int_equal(store_downstream_add(s, "branch", "dh2", 6, &e),
	                 SL_OK);
	{
		char name[128];
		assert_int_equal(
		        store_downstream_by_token(&id, name, s, "dh2", &e),
		        SL_OK);
		assert_string_equal(name, "branch");
		assert_int_equal(
		        store_downstream_by_token(&id, name, s, "dh1", &e),
		        SL_ENOTFOUND);
	}
	assert_int_equal(store_downstream_revoke(s, "nope", &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no downstream server named 'nope'");
}

static void
test_rules_and_history(void **state)
{
	int64_t dd = 3;
	struct store_rule_new r = {.name = "sec",
	                           .classification = "security",
	                           .action = "install",
	                           .deadline_days = &dd,
	                           .enabled = true,
	                           .created_by = "ops",
	                           .now = 9};
	struct store_rule rules[4];
	struct store_sync_end end = {0};
	int64_t rid, id, hid;
	size_t n;
	json_t *arr;
	int cnt;
	struct err e;

	(void)state;
	assert_int_equal(store_rule_create(&rid, s, &r, &e), SL_OK);
	assert_int_equal(store_rule_create(&id, s, &r, &e), SL_EEXISTS);
	assert_string_equal(e.msg, "a rule named 'sec' exists");
	assert_int_equal(store_rule_add_group(s, rid, 2, &e), SL_OK);
	assert_int_equal(store_rule_add_group(s, rid, 2, &e), SL_OK);
	assert_int_equal(store_rules_to_run(rules, 4, &n, s, 0, &e), SL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rules[0].deadline_days, 3);
	arr = json_array();
	assert_int_equal(store_rules_list(arr, s, &e), SL_OK);
	assert_int_equal(json_array_size(json_object_get(json_array_get(arr, 0),
	                                                 "groups")),
	                 1);
	json_decref(arr);
	assert_int_equal(store_rule_id(&id, s, "sec", &e), SL_OK);
	assert_int_equal(id, rid);
	assert_int_equal(store_rule_delete(s, rid, &e), SL_OK);
	assert_int_equal(store_rule_id(&id, s, "sec", &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no rule named 'sec'");

	assert_int_equal(store_sync_start(&hid, s, 100, &e), SL_OK);
	end = (struct store_sync_end){.id = hid, .now = 101, .new_count = 2};
	assert_int_equal(store_sync_finish(s, &end, &e), SL_OK);
	assert_int_equal(store_sync_start(&hid, s, 200, &e), SL_OK);
	assert_int_equal(store_sync_interrupted(&cnt, s, 300, &e), SL_OK);
	assert_int_equal(cnt, 1);
	arr = json_array();
	assert_int_equal(store_sync_history(arr, s, &e), SL_OK);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 0), "result")),
	                    "failure");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(arr, 1), "new")),
	                 2);
	json_decref(arr);
}

/* LIKE patterns from user text are escaped: '%' and '_' match only
 * themselves. */
static void
test_audit_like_escaped(void **state)
{
	json_t *arr;
	struct err e;

	(void)state;
	assert_int_equal(
	        store_audit_add(s, &e, "root", "group.create", "web", NULL),
	        SL_OK);
	assert_int_equal(
	        store_audit_add(s, &e, "root", "group_x.del", "web", NULL),
	        SL_OK);
	assert_int_equal(store_audit_add(s, &e, "root", "a%b\\c", "web", NULL),
	                 SL_OK);
	arr = json_array();
	assert_int_equal(store_audit_list(arr, s, NULL, "%", 100, &e), SL_OK);
	assert_int_equal(json_array_size(arr), 0);
	json_array_clear(arr);
	assert_int_equal(store_audit_list(arr, s, NULL, "group_", 100, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 0), "action")),
	                    "group_x.del");
	json_array_clear(arr);
	assert_int_equal(store_audit_list(arr, s, NULL, "a%b\\", 100, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	json_array_clear(arr);
	assert_int_equal(store_audit_list(arr, s, NULL, "group", 100, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 2);
	json_array_clear(arr);
	assert_int_equal(store_audit_list(arr, s, NULL, NULL, 100, &e), SL_OK);
	assert_int_equal(json_array_size(arr), 3);
	json_decref(arr);
}

/* Statements of many rows: VALUES tuples with shared and own
 * parameters, IN lists, and what does not fit. */
static void
test_sql_rows(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(store_sql_rows(out, sizeof(out),
	                                "INSERT INTO t(a, b, c) VALUES($1, $2, "
	                                "lower($3)) ON CONFLICT DO NOTHING",
	                                "VALUES", 3, 2, 2),
	                 0);
	assert_string_equal(out, "INSERT INTO t(a, b, c) VALUES($1, $2, "
	                         "lower($3)), ($1, $4, lower($5)), ($1, $6, "
	                         "lower($7)) ON CONFLICT DO NOTHING");
	assert_int_equal(store_sql_rows(out, sizeof(out),
	                                "SELECT x FROM t WHERE k = $1 AND id "
	                                "IN ($2) ORDER BY x",
	                                "IN (", 4, 2, 1),
	                 0);
	assert_string_equal(out, "SELECT x FROM t WHERE k = $1 AND id IN ($2, "
	                         "$3, $4, $5) ORDER BY x");
	/* One row is the statement itself; $10 and up are numbers too. */
	assert_int_equal(
	        store_sql_rows(out, sizeof(out),
	                       "UPDATE t SET a = v.column2 FROM "
	                       "(VALUES($9, CAST($10 AS BIGINT))) AS v",
	                       "VALUES", 2, 9, 2),
	        0);
	assert_string_equal(out, "UPDATE t SET a = v.column2 FROM (VALUES($9, "
	                         "CAST($10 AS BIGINT)), ($11, CAST($12 AS "
	                         "BIGINT))) AS v");
	assert_int_equal(
	        store_sql_rows(out, sizeof(out), "SELECT 1", "VALUES", 2, 1, 1),
	        -1);
	assert_int_equal(store_sql_rows(out, sizeof(out),
	                                "INSERT INTO t VALUES($1, $2", "VALUES",
	                                2, 1, 2),
	                 -1);
	assert_int_equal(store_sql_rows(out, 40, "INSERT INTO t(a) VALUES($1)",
	                                "VALUES", 10, 1, 1),
	                 -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sql_rows),
	        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_computers, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_events_batch, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_content, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tokens_and_downstreams,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rules_and_history, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_audit_like_escaped, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
