/* Unit tests for debver: dpkg's version ordering, checked against a table
 * verified with `dpkg --compare-versions`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "debver.h"

static const struct {
	const char *a, *b;
	int want;
} table[] = {
        {"1.0", "1.0", 0},
        {"1.0", "1.1", -1},
        {"1.1", "1.0", 1},
        {"1.0~rc1", "1.0", -1},
        {"1.0~rc1", "1.0~rc2", -1},
        {"1.0~~", "1.0~", -1},
        {"1.0~", "1.0", -1},
        {"1.0~~a", "1.0~~", 1},
        {"1.0", "1.0+b1", -1},
        {"1.0", "1.0.1", -1},
        {"1.0a", "1.0", 1},
        {"1.0a", "1.0+", -1},
        {"1.0a", "1.0.", -1},
        {"1.0+", "1.0.", -1},
        {"1.0-1", "1.0-1ubuntu1", -1},
        {"1.0-1", "1.0-1ubuntu", -1},
        {"1.0-1ubuntu1", "1.0-2", -1},
        {"1:0.9", "2.0", 1},
        {"0:2.0", "2.0", 0},
        {"1:1.0", "2:0.1", -1},
        {"10:1.0", "9:1.0", 1},
        {"01.0", "1.0", 0},
        {"1.001", "1.1", 0},
        {"1.010", "1.9", 1},
        {"1.0-0", "1.0", 0},
        {"1.0-", "1.0", 0},
        {"3.0.11-1~deb12u2", "3.0.11-1", -1},
        {"3.0.11-1~deb12u1", "3.0.11-1~deb12u2", -1},
        {"3.0.11-1", "3.0.11-1+deb12u1", -1},
        {"1.2.3-4-5", "1.2.3-4-6", -1},
        {"1.2.3-4-5", "1.2.3-5", 1},
        {"2.30-1", "2.4-1", 1},
        {"1.0a", "1.0b", -1},
        {"1.0A", "1.0a", -1},
        {"1.0Z", "1.0a", -1},
        {"1.0z", "1.0+", -1},
        {"99999999999999999999999", "99999999999999999999998", 1},
        {"1.99999999999999999999999", "1.100000000000000000000000", -1},
        {"000000000000000000000000001", "1", 0},
        {"1.0rc1", "1.0", 1},
        {"1.0.0", "1.0", 1},
        {"1.0", "1.0.0~", -1},
        {"6.1.0-13-amd64", "6.1", 1},
        {"6.1.0-13-amd64", "6.1.0-9-amd64", 1},
        {"5.10.0", "6.1", -1},
        {"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
        {"1:2.3", "1:2.3-0", 0},
        {"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
        {"1.0+dfsg-1", "1.0-1", 1},
        {"1.0~dfsg-1", "1.0-1", -1},
        {"a", "1", 1},
        {"1.0~rc1-1", "1.0-1", -1},
};

static int
sgn(int x)
{
	return (x > 0) - (x < 0);
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	assert_true(sizeof(table) / sizeof(table[0]) >= 40);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int r = sgn(debver_cmp(table[i].a, table[i].b));
		int s = sgn(debver_cmp(table[i].b, table[i].a));

		if (r != table[i].want || s != -table[i].want)
			fail_msg("%s vs %s: got %d/%d want %d", table[i].a,
			         table[i].b, r, s, table[i].want);
	}
}

static void
test_odd_input(void **state)
{
	(void)state;
	assert_int_equal(debver_cmp(NULL, NULL), 0);
	assert_true(debver_cmp(NULL, "1") < 0);
	assert_true(debver_cmp("1", NULL) > 0);
	assert_int_equal(debver_cmp("", ""), 0);
	assert_true(debver_cmp("", "0~") > 0);
	assert_int_equal(debver_cmp("  1.0 \n", "1.0"), 0);
	assert_int_equal(debver_cmp(":", ":"), 0);
	assert_int_equal(debver_cmp("-", "-"), 0);
}

static void
expect_invalid(const char *v, const char *msg)
{
	struct err e;

	err_clear(&e);
	assert_int_equal(debver_valid(v, &e), SL_EINVAL);
	assert_string_equal(e.msg, msg);
}

static void
test_valid(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(debver_valid("1.0", &e), SL_OK);
	assert_int_equal(debver_valid("1:2.3~rc1+dfsg-1ubuntu0.1", &e), SL_OK);
	assert_int_equal(debver_valid("3.0.11-1~deb12u2", &e), SL_OK);
	assert_int_equal(debver_valid("1.2-3-4", &e), SL_OK);
	assert_int_equal(debver_valid("2:1.0:1-1", &e), SL_OK);
	expect_invalid(NULL, "version is missing");
	expect_invalid("", "version string is empty");
	expect_invalid("   ", "version string is empty");
	expect_invalid("1.0 1", "version string has embedded spaces");
	expect_invalid(":1.0", "epoch in version is empty");
	expect_invalid("a:1.0", "epoch in version is not a number");
	expect_invalid("-1:1.0", "epoch in version is not a number");
	expect_invalid("9999999999:1.0", "epoch in version is too big");
	expect_invalid("1:", "nothing after colon in version number");
	expect_invalid("-1", "version number is empty");
	expect_invalid("1.0-", "revision number is empty");
	expect_invalid("a1.0", "version number does not start with digit");
	expect_invalid("1.0_1", "invalid character in version number");
	expect_invalid("1.0-1_2", "invalid character in revision number");
}

static void
test_ops(void **state)
{
	static const struct {
		const char *op;
		bool lt, eq, gt;
	} ops[] = {
	        {"<", 1, 0, 0},  {"<<", 1, 0, 0}, {"<=", 1, 1, 0},
	        {"=", 0, 1, 0},  {"!=", 1, 0, 1}, {">=", 0, 1, 1},
	        {">", 0, 0, 1},  {">>", 0, 0, 1}, {"lt", 1, 0, 0},
	        {"ge", 0, 1, 1},
	};
	struct err e;
	bool out;
	size_t i;

	(void)state;
	err_clear(&e);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_int_equal(debver_op_holds(ops[i].op, -5, &out, &e),
		                 SL_OK);
		assert_int_equal(out, ops[i].lt);
		assert_int_equal(debver_op_holds(ops[i].op, 0, &out, &e),
		                 SL_OK);
		assert_int_equal(out, ops[i].eq);
		assert_int_equal(debver_op_holds(ops[i].op, 7, &out, &e),
		                 SL_OK);
		assert_int_equal(out, ops[i].gt);
	}
	assert_int_equal(debver_op_holds("=>", 0, &out, &e), SL_EINVAL);
	assert_string_equal(e.msg, "unknown comparison operator '=>'");
	assert_int_equal(debver_op_holds(NULL, 0, &out, &e), SL_EINVAL);
	assert_string_equal(e.msg, "missing comparison operator");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_odd_input),
	        cmocka_unit_test(test_valid),
	        cmocka_unit_test(test_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
