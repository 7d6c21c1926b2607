/*
 * test_store_console: the web console's queries (store_console.c): the
 * updates some group approves, and the states reported in a window.
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

#include "server_fixture.h"
#include "store/store.h"

static char tmp[64], path[128];
static struct store *s;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-console.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&s, path, &e), SL_OK);
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
test_approved(void **state)
{
	int64_t all, web;
	json_t *map = NULL;
	struct err e;

	(void)state;
	assert_int_equal(store_group_id(&all, s, STORE_GROUP_ALL, &e), SL_OK);
	assert_int_equal(store_group_create(&web, s, "web", all, &e), SL_OK);
	assert_int_equal(store_approval_set(s, "u1", web, "install", false, 0,
	                                    "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(s, "u2", web, "not-approved", false,
	                                    0, "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(s, "u3", all, "uninstall", false, 0,
	                                    "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_console_approved(&map, s, &e), SL_OK);
	/* An explicit not-approved is no approval. */
	assert_int_equal(json_object_size(map), 2);
	assert_string_equal(json_string_value(json_object_get(map, "u1")),
	                    "install");
	assert_string_equal(json_string_value(json_object_get(map, "u3")),
	                    "uninstall");
	assert_null(json_object_get(map, "u2"));
	json_decref(map);
}

static void
test_states(void **state)
{
	struct store_computer_new c = {.id = "c1",
	                               .token_hash = "h1",
	                               .hostname = "host1",
	                               .os_id = "debian",
	                               .group_id = 2,
	                               .now = 1000};
	int64_t rev = 1;
	struct store_state failed = {.update_id = "u1",
	                             .revision = &rev,
	                             .state = "failed",
	                             .detail = "exit code 3"};
	struct store_state old = {
	        .update_id = "u2", .revision = &rev, .state = "failed"};
	struct store_state inst = {
	        .update_id = "u3", .revision = &rev, .state = "installed"};
	json_t *arr = json_array(), *row;
	char replaced[40];
	struct err e;

	(void)state;
	assert_int_equal(store_computer_register(replaced, s, &c, &e), SL_OK);
	assert_int_equal(db_exec(fixture_db(s),
	                         "INSERT INTO update_status(id, "
	                         "latest_revision, change_seq) VALUES('u1', 1, "
	                         "0), ('u2', 1, 0), ('u3', 1, 0)",
	                         &e),
	                 SL_OK);
	assert_int_equal(store_state_upsert(s, "c1", &failed, 5000, &e), SL_OK);
	assert_int_equal(store_state_upsert(s, "c1", &old, 100, &e), SL_OK);
	assert_int_equal(store_state_upsert(s, "c1", &inst, 5001, &e), SL_OK);
	/* Only failures at or after 4000: u2's is older. */
	assert_int_equal(store_console_states(arr, s, "failed", 4000, 10, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	row = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(row, "computer")),
	                    "c1");
	assert_string_equal(json_string_value(json_object_get(row, "hostname")),
	                    "host1");
	assert_string_equal(json_string_value(json_object_get(row, "update")),
	                    "u1");
	assert_string_equal(json_string_value(json_object_get(row, "detail")),
	                    "exit code 3");
	/* Unknown update: no title. */
	assert_true(json_is_null(json_object_get(row, "title")));
	assert_string_equal(json_string_value(json_object_get(row, "reported")),
	                    "1970-01-01T01:23:20Z");
	json_array_clear(arr);
	/* The limit holds; the newest first. */
	assert_int_equal(store_console_states(arr, s, "failed", 0, 1, &e),
	                 SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(arr, 0), "update")),
	                    "u1");
	json_array_clear(arr);
	assert_int_equal(
	        store_console_states(arr, s, "installed", 4000, 10, &e), SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_approved, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
