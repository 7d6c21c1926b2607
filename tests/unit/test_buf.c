/* Unit tests for buf: growth, cap, steal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void
test_append_and_printf(void **state)
{
	struct buf b;
	struct err e;
	char *s;
	size_t n;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "hello", &e), SL_OK);
	assert_int_equal(buf_printf(&b, &e, " %d %s", 42, "world"), SL_OK);
	assert_string_equal(b.data, "hello 42 world");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_puts(&b, "0123456789", &e), SL_OK);
	assert_int_equal(b.len, 14 + 10000);
	s = buf_steal(&b, &n);
	assert_int_equal(n, 10014);
	assert_null(b.data);
	free(s);
	buf_free(&b);
}

static void
test_cap_enforced(void **state)
{
	struct buf b;
	struct err e;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678", &e), SL_OK);
	assert_int_equal(buf_puts(&b, "9", &e), SL_ETOOBIG);
	assert_string_equal(e.msg, "over the limit of 8 bytes");
	assert_int_equal(buf_printf(&b, &e, "%s", "x"), SL_ETOOBIG);
	assert_string_equal(b.data, "12345678");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_steal_empty(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 16);
	s = buf_steal(&b, NULL);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_append_and_printf),
	        cmocka_unit_test(test_cap_enforced),
	        cmocka_unit_test(test_steal_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
