/* Unit tests for rpmver: rpm's rpmvercmp ordering and EVR comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rpmver.h"

static const struct {
	const char *a, *b;
	int want;
} table[] = {
        {"1.0", "1.0", 0},
        {"1.0", "2.0", -1},
        {"2.0.1", "2.0", 1},
        {"2.0", "2.0.1", -1},
        {"2.0.1a", "2.0.1", 1},
        {"5.5p1", "5.5p2", -1},
        {"5.5p1", "5.5p10", -1},
        {"10xyz", "10.1xyz", -1},
        {"xyz10", "xyz10.1", -1},
        {"xyz.4", "8", -1},
        {"xyz.4", "2", -1},
        {"5.5p2", "5.6p1", -1},
        {"5.6p1", "6.5p1", -1},
        {"6.0.rc1", "6.0", 1},
        {"10b2", "10a1", 1},
        {"10a2", "10b2", -1},
        {"1.0a", "1.0aa", -1},
        {"10.0001", "10.1", 0},
        {"10.0001", "10.0039", -1},
        {"4.999.9", "5.0", -1},
        {"20101121", "20101122", -1},
        {"2.0", "2_0", 0},
        {"a+", "a_", 0},
        {"+a", "_a", 0},
        {"_+", "+_", 0},
        {"+", "_", 0},
        {"1.0~rc1", "1.0", -1},
        {"1.0~rc1", "1.0~rc2", -1},
        {"1.0~rc1~git123", "1.0~rc1", -1},
        {"1.0^", "1.0", 1},
        {"1.0^", "1.0^", 0},
        {"1.0^git1", "1.0", 1},
        {"1.0^git1", "1.0^git2", -1},
        {"1.0^git1", "1.01", -1},
        {"1.0^20160101", "1.0.1", -1},
        {"1.0^20160101^git1", "1.0^20160101", 1},
        {"1.0~rc1^git1", "1.0~rc1", 1},
        {"1.0^git1~pre", "1.0^git1", -1},
        {"1.0^git1", "1.0~rc1", 1},
        {"123456789012345678901234567890", "123456789012345678901234567891",
         -1},
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
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int r = sgn(rpmver_cmp(table[i].a, table[i].b));
		int s = sgn(rpmver_cmp(table[i].b, table[i].a));

		if (r != table[i].want || s != -table[i].want)
			fail_msg("%s vs %s: got %d/%d want %d", table[i].a,
			         table[i].b, r, s, table[i].want);
	}
	assert_int_equal(rpmver_cmp(NULL, NULL), 0);
	assert_true(rpmver_cmp(NULL, "1") < 0);
	assert_int_equal(rpmver_cmp("", ""), 0);
	assert_true(rpmver_cmp("", "1") < 0);
}

static void
test_evr(void **state)
{
	(void)state;
	assert_int_equal(rpmver_cmp_evr("(none):1.0-1", "1.0-1"), 0);
	assert_int_equal(rpmver_cmp_evr("0:1.0-1", "1.0-1"), 0);
	assert_true(rpmver_cmp_evr("1:1.0-1", "2.0-1") > 0);
	assert_true(rpmver_cmp_evr("(none):1.0-1.el9", "1.0-2.el9") < 0);
	assert_true(rpmver_cmp_evr("(none):3.0.7-24.el9", "3.0.7-25.el9") < 0);
	assert_true(rpmver_cmp_evr("1:3.0.7-24.el9", "1:3.0.7-6.el9") > 0);
	/* no release on one side: only epoch and version count */
	assert_int_equal(rpmver_cmp_evr("(none):1.0-5", "1.0"), 0);
	assert_true(rpmver_cmp_evr("(none):1.1-5", "1.0") > 0);
	assert_true(rpmver_cmp_evr("2:1.0", "10:1.0") < 0);
	assert_int_equal(rpmver_cmp_evr(NULL, NULL), 0);
	assert_true(rpmver_cmp_evr("1", NULL) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_evr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
