/*
 * test_agent_body: an agent sync's request body. The scanner takes the
 * bodies agents send (and nothing it cannot read exactly as jansson
 * would); every other body goes to jansson, with the same answers and
 * errors as before: the two paths agree on every case here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/api_agent_body.h"

static int
args(struct agent_sync_args *a, const char *body, struct err *e)
{
	struct req r = {.body = body, .body_len = strlen(body)};

	err_clear(e);
	return agent_sync_args(a, &r, e);
}

static void
test_scanned(void **state)
{
	struct agent_sync_args a;

	(void)state;
	assert_true(agent_sync_scan(&a, "{\"anchor\":\"40000\",\"protocol\":2}",
	                            31));
	assert_int_equal(a.since, 40000);
	assert_int_equal(a.proto, 2);
	assert_int_equal(a.limit, AGENT_PAGE_DEFAULT);
	assert_false(a.has_cursor);
	/* The agent's own text (jansson's default separators). */
	const char *agent = "{\"anchor\": \"7\", \"protocol\": 2, "
	                    "\"cursor\": \"f/7/abc\"}\n";
	assert_true(agent_sync_scan(&a, agent, strlen(agent)));
	assert_int_equal(a.since, 7);
	assert_true(a.has_cursor);
	assert_string_equal(a.cursor, "f/7/abc");
	const char *nulls = " { \"anchor\" : null , \"limit\":10,"
	                    "\"cursor\":null,\"protocol\":null } ";
	assert_true(agent_sync_scan(&a, nulls, strlen(nulls)));
	assert_int_equal(a.since, -1);
	assert_int_equal(a.proto, 1);
	assert_int_equal(a.limit, 10);
	assert_false(a.has_cursor);
	assert_true(agent_sync_scan(&a, "{}", 2));
	/* Not an anchor of ours: -1, as before. */
	assert_true(agent_sync_scan(&a, "{\"anchor\":\"x1\"}", 15));
	assert_int_equal(a.since, -1);
	assert_true(agent_sync_scan(&a, "{\"anchor\":\"\"}", 13));
	assert_int_equal(a.since, -1);
}

static void
test_left_to_jansson(void **state)
{
	static const char *const bodies[] = {
	        "",
	        "[]",
	        "{",
	        "{\"anchor\":\"1\"",
	        "{\"anchor\":\"1\"} x",
	        "{\"anchor\":\"1\",}",
	        "{\"anchor\":1}",
	        "{\"protocol\":\"2\"}",
	        "{\"protocol\":-1}",
	        "{\"protocol\":2.0}",
	        "{\"protocol\":02}",
	        "{\"protocol\":2e0}",
	        "{\"limit\":1234567890123456789012}",
	        "{\"anchor\":\"1\",\"anchor\":\"2\"}",
	        "{\"anchor\":\"a\\\"b\"}",
	        "{\"anch\\u006fr\":\"1\"}",
	        "{\"anchor\":\"\xc3\xa9\"}",
	        "{\"other\":1}",
	        "{\"anchor\":{}}",
	        "{\"anchor\":nul}",
	        "{\"anchor\":nullx}",
	        "{\"cursor\":\"" /* 129 characters */
	        "0123456789012345678901234567890123456789012345678901234567890"
	        "1234567890123456789012345678901234567890123456789012345678901"
	        "2345678\"}",
	};
	struct agent_sync_args a;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (agent_sync_scan(&a, bodies[i], strlen(bodies[i])))
			fail_msg("scanned: %s", bodies[i]);
}

static void
test_errors_both_paths(void **state)
{
	struct agent_sync_args a;
	struct err e;

	(void)state;
	/* Range errors from the scanner's path ... */
	assert_int_equal(args(&a, "{\"protocol\":3}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "protocol: expected 1 or 2");
	assert_int_equal(args(&a, "{\"protocol\":0}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "protocol: expected 1 or 2");
	assert_int_equal(args(&a, "{\"limit\":0}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "limit: expected 1 to 5000");
	assert_int_equal(args(&a, "{\"limit\":5001}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "limit: expected 1 to 5000");
	/* ... and the same from jansson's. */
	assert_int_equal(args(&a, "{\"protocol\":3,\"x\":1}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "protocol: expected 1 or 2");
	assert_int_equal(args(&a, "{\"protocol\":-1}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "protocol: expected 1 or 2");
	assert_int_equal(args(&a, "{\"limit\":0,\"x\":1}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "limit: expected 1 to 5000");
	assert_int_equal(args(&a, "{\"anchor\":1}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "anchor: expected a string or null");
	assert_int_equal(args(&a, "{\"cursor\":1}", &e), SL_EINVAL);
	assert_string_equal(e.msg, "cursor: expected a string or null");
	assert_int_equal(args(&a, "", &e), SL_EPARSE);
	assert_string_equal(
	        e.msg, "request body: expected a JSON object, got nothing");
	assert_int_equal(args(&a, "[]", &e), SL_EPARSE);
	assert_string_equal(e.msg, "request body: expected a JSON object");
	assert_int_equal(args(&a, "{\"anchor\":\"1\",\"anchor\":\"2\"}", &e),
	                 SL_EPARSE);
	assert_non_null(strstr(e.msg, "duplicate"));
	/* Accepted by jansson: the same arguments as the scanner gives. */
	assert_int_equal(args(&a, "{\"anch\\u006fr\":\"12\",\"x\":[1]}", &e),
	                 SL_OK);
	assert_int_equal(a.since, 12);
	assert_int_equal(a.proto, 1);
	assert_int_equal(args(&a,
	                      "{\"anchor\":\"12\",\"protocol\":2,"
	                      "\"limit\":5,\"cursor\":\"a\\/b\"}",
	                      &e),
	                 SL_OK);
	assert_int_equal(a.since, 12);
	assert_int_equal(a.proto, 2);
	assert_int_equal(a.limit, 5);
	assert_string_equal(a.cursor, "a/b");
	/* A cursor too long to be ours reads as "" (not ours either). */
	assert_int_equal(args(&a,
	                      "{\"cursor\":\""
	                      "01234567890123456789012345678901234567890123"
	                      "45678901234567890123456789012345678901234567"
	                      "890123456789012345678901234567890123456789\"}",
	                      &e),
	                 SL_OK);
	assert_true(a.has_cursor);
	assert_string_equal(a.cursor, "");
}

static void
test_decimal(void **state)
{
	(void)state;
	assert_int_equal(agent_decimal("0", 1), 0);
	assert_int_equal(agent_decimal("123456789012345678", 18),
	                 123456789012345678);
	assert_int_equal(agent_decimal("1234567890123456789", 19), -1);
	assert_int_equal(agent_decimal("", 0), -1);
	assert_int_equal(agent_decimal("12a", 3), -1);
	assert_int_equal(agent_decimal("-1", 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_scanned),
	        cmocka_unit_test(test_left_to_jansson),
	        cmocka_unit_test(test_errors_both_paths),
	        cmocka_unit_test(test_decimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
