/* Unit tests for err: codes, prefixes, HTTP mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"

static void
test_set_and_prefix(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(e.code, SL_OK);
	assert_int_equal(err_set(&e, SL_EVERIFY, "signature does not verify"),
	                 SL_EVERIFY);
	assert_int_equal(err_prefix(&e, "upstream %s", "index"), SL_EVERIFY);
	assert_int_equal(err_prefix(&e, "sync"), SL_EVERIFY);
	assert_string_equal(e.msg,
	                    "sync: upstream index: signature does not verify");
}

static void
test_null_error_object(void **state)
{
	(void)state;
	assert_int_equal(err_set(NULL, SL_EIO, "x"), SL_EIO);
	assert_int_equal(err_prefix(NULL, "y"), SL_EINTERNAL);
}

static void
test_long_message_truncates(void **state)
{
	struct err e;
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, SL_EINVAL, "%s", big);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	err_prefix(&e, "p");
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "p: aaa", 6);
}

static void
test_http_mapping(void **state)
{
	(void)state;
	assert_int_equal(err_http_status(SL_OK), 200);
	assert_int_equal(err_http_status(SL_EINVAL), 400);
	assert_int_equal(err_http_status(SL_EAUTH), 401);
	assert_int_equal(err_http_status(SL_EDENIED), 403);
	assert_int_equal(err_http_status(SL_ENOTFOUND), 404);
	assert_int_equal(err_http_status(SL_ETOOBIG), 413);
	assert_int_equal(err_http_status(SL_EUNAVAILABLE), 503);
	assert_int_equal(err_http_status(-999), 500);
	assert_string_equal(err_name(SL_EROLLBACK), "rollback");
	assert_string_equal(err_name(-999), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_and_prefix),
	        cmocka_unit_test(test_null_error_object),
	        cmocka_unit_test(test_long_message_truncates),
	        cmocka_unit_test(test_http_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
