/*
 * test_lease: job leases (store/store_lease.h) on SQLite, and with
 * SLUICE_TEST_DATABASE on PostgreSQL: two connections stand for two
 * front-ends on one database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_fixture.h"
#include "server_fixture.h"
#include "store/store.h"
#include "store/store_lease.h"

static char tmp[64], path[128], target[1024];
static struct store *a, *b;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-lease.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	snprintf(target, sizeof(target), "%s", fixture_db_target(path));
	assert_int_equal(store_open(&a, target, &e), SL_OK);
	assert_int_equal(store_open(&b, target, &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(a);
	store_close(b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_take_renew_expire(void **state)
{
	char holder[64];
	struct err e;
	bool got;

	(void)state;
	/* Free: a takes it; b cannot while it runs; a renews. */
	assert_int_equal(store_lease_take(&got, a, "sync", "A", 100, 115, &e),
	                 SL_OK);
	assert_true(got);
	assert_int_equal(store_lease_take(&got, b, "sync", "B", 110, 125, &e),
	                 SL_OK);
	assert_false(got);
	assert_int_equal(store_lease_take(&got, a, "sync", "A", 112, 127, &e),
	                 SL_OK);
	assert_true(got);
	assert_int_equal(
	        store_lease_holder(holder, sizeof(holder), b, "sync", 120, &e),
	        SL_OK);
	assert_string_equal(holder, "A");
	/* A dies: past its expiry b takes over, and a's renewal fails. */
	assert_int_equal(store_lease_take(&got, b, "sync", "B", 128, 143, &e),
	                 SL_OK);
	assert_true(got);
	assert_int_equal(store_lease_take(&got, a, "sync", "A", 129, 144, &e),
	                 SL_OK);
	assert_false(got);
	/* Leases are per job. */
	assert_int_equal(store_lease_take(&got, a, "fetch", "A", 129, 144, &e),
	                 SL_OK);
	assert_true(got);
	/* A release frees it at once; another holder's release does not. */
	assert_int_equal(store_lease_release(a, "sync", "A", &e), SL_OK);
	assert_int_equal(
	        store_lease_holder(holder, sizeof(holder), a, "sync", 130, &e),
	        SL_OK);
	assert_string_equal(holder, "B");
	assert_int_equal(store_lease_release(b, "sync", "B", &e), SL_OK);
	assert_int_equal(
	        store_lease_holder(holder, sizeof(holder), a, "sync", 130, &e),
	        SL_OK);
	assert_string_equal(holder, "");
	assert_int_equal(store_lease_take(&got, a, "sync", "A", 131, 146, &e),
	                 SL_OK);
	assert_true(got);
}

static void
test_due(void **state)
{
	struct err e;
	int64_t due = -1;
	bool got;

	(void)state;
	assert_int_equal(store_lease_due(&due, a, "sync", &e), SL_OK);
	assert_int_equal(due, 0); /* never ran */
	assert_int_equal(store_lease_take(&got, a, "sync", "A", 100, 115, &e),
	                 SL_OK);
	assert_int_equal(store_lease_set_due(a, "sync", "A", 500, &e), SL_OK);
	assert_int_equal(store_lease_due(&due, b, "sync", &e), SL_OK);
	assert_int_equal(due, 500);
	/* Only the holder moves the due time. */
	err_clear(&e);
	assert_int_equal(store_lease_set_due(b, "sync", "B", 900, &e),
	                 SL_EDENIED);
	assert_string_equal(e.msg, "lease sync: held by another");
	assert_int_equal(store_lease_due(&due, a, "sync", &e), SL_OK);
	assert_int_equal(due, 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_take_renew_expire, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_due, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
