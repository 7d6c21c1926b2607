/* Unit tests for jsonx: member access and the string writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

static void
test_members(void **state)
{
	json_t *o = json_pack("{s:s,s:i,s:s,s:n}", "name", "web", "n", 3,
	                      "long", "abcdef", "none");
	const char *v;
	struct err e;

	(void)state;
	assert_int_equal(jsonx_req_str(&v, o, "name", 16, &e), SL_OK);
	assert_string_equal(v, "web");
	assert_int_equal(jsonx_opt_str(&v, o, "none", 16, &e), SL_OK);
	assert_null(v);
	assert_int_equal(jsonx_opt_str(&v, o, "n", 16, &e), SL_EINVAL);
	assert_string_equal(e.msg, "n: expected a string");
	assert_int_equal(jsonx_opt_str(&v, o, "long", 3, &e), SL_EINVAL);
	assert_string_equal(e.msg, "long: longer than 3 bytes");
	assert_int_equal(jsonx_req_str(&v, o, "missing", 16, &e), SL_EINVAL);
	assert_string_equal(e.msg, "missing: required");
	json_decref(o);
}

/* What the writer escapes reads back as the same text with jansson. */
static void
test_put_str(void **state)
{
	static const char text[] = "a \"quoted\" \\ path\n\ttab \x01 é ✓";
	struct buf b;
	struct err e;
	json_t *back;

	(void)state;
	buf_init(&b, 1 << 10);
	assert_int_equal(buf_puts(&b, "[", &e), SL_OK);
	assert_int_equal(jsonx_put_str(&b, text, &e), SL_OK);
	assert_int_equal(buf_puts(&b, ",", &e), SL_OK);
	assert_int_equal(jsonx_put_str(&b, NULL, &e), SL_OK);
	assert_int_equal(buf_puts(&b, ",", &e), SL_OK);
	assert_int_equal(jsonx_put_str(&b, "", &e), SL_OK);
	assert_int_equal(buf_puts(&b, "]", &e), SL_OK);
	assert_non_null(strstr(b.data, "\\\"quoted\\\" \\\\ path\\u000a"));
	back = json_loads(b.data, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_array_get(back, 0)), text);
	assert_true(json_is_null(json_array_get(back, 1)));
	assert_string_equal(json_string_value(json_array_get(back, 2)), "");
	json_decref(back);
	buf_free(&b);
	/* The cap holds. */
	buf_init(&b, 8);
	assert_int_equal(jsonx_put_str(&b, "0123456789", &e), SL_ETOOBIG);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_members),
	        cmocka_unit_test(test_put_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
