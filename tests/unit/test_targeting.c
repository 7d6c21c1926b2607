/*
 * Unit tests for sluiced's targeting: the per-server mode (server-side or
 * client-side) and what a declared group name that does not exist does
 * (ignore, create, reject).
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
#include "api_targeting.h"

static char tmp[64], path[128];
static struct store *db;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-targ.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&db, fixture_db_target(path), &e), SL_OK);
	assert_int_equal(db_exec(fixture_db(db),
	                         "INSERT INTO groups(name, parent_id) "
	                         "VALUES('web', 1)",
	                         &e),
	                 SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int64_t
pick(const char *json, int want)
{
	json_t *g = json_loads(json, 0, NULL);
	int64_t gid = -1;
	struct err e;

	err_clear(&e);
	assert_int_equal(api_targeting_pick_group(&gid, db, g, &e), want);
	json_decref(g);
	return gid;
}

static void
test_modes(void **state)
{
	struct targeting t;
	int64_t web, unassigned, lab;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(store_group_id(&web, db, "web", &e), SL_OK);
	assert_int_equal(
	        store_group_id(&unassigned, db, STORE_GROUP_UNASSIGNED, &e),
	        SL_OK);
	assert_int_equal(api_targeting_get(&t, db, &e), SL_OK);
	assert_string_equal(t.mode, "client");
	assert_string_equal(t.unknown, "ignore");
	/* client + ignore: the first existing name, else Unassigned. */
	assert_int_equal(pick("[\"nope\",\"web\"]", SL_OK), web);
	assert_int_equal(pick("[\"nope\"]", SL_OK), unassigned);
	assert_int_equal(pick("[]", SL_OK), unassigned);
	/* reject */
	assert_int_equal(api_targeting_set(db, NULL, "reject", &e), SL_OK);
	{
		json_t *g = json_pack("[s]", "nope");
		assert_int_equal(api_targeting_pick_group(&lab, db, g, &e),
		                 SL_EINVAL);
		json_decref(g);
	}
	assert_string_equal(e.msg,
	                    "groups: no group named 'nope' on this server "
	                    "(client-side targeting rejects unknown groups: "
	                    "ask an administrator to create it)");
	assert_int_equal(pick("[\"web\"]", SL_OK), web);
	/* create */
	err_clear(&e);
	assert_int_equal(api_targeting_set(db, NULL, "create", &e), SL_OK);
	lab = pick("[\"lab\"]", SL_OK);
	assert_true(lab > 0);
	assert_int_equal(pick("[\"lab\"]", SL_OK), lab);
	pick("[\"a/b\"]", SL_EINVAL);
	/* server-side: whatever the agent declares. */
	assert_int_equal(api_targeting_set(db, "server", NULL, &e), SL_OK);
	assert_int_equal(pick("[\"web\"]", SL_OK), unassigned);
	/* bad values */
	assert_int_equal(api_targeting_set(db, "both", NULL, &e), SL_EINVAL);
	assert_string_equal(e.msg, "targeting: expected 'server' or 'client'");
	err_clear(&e);
	assert_int_equal(api_targeting_set(db, NULL, "maybe", &e), SL_EINVAL);
	assert_string_equal(e.msg, "unknown_groups: expected 'ignore', "
	                           "'create' or 'reject'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_modes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
