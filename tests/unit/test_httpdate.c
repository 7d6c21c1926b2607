/*
 * Unit tests for httpdate: known instants (RFC 9110's own example, the
 * epoch, a leap day, the last second of a year, a four-digit year's end)
 * as IMF-fixdate whatever the locale and time zone, and the refusals: a
 * buffer too small, a time outside the years 1 to 9999.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpdate.h"

static void
check(time_t t, const char *want)
{
	char out[HTTPDATE_LEN + 1];
	struct err e;

	err_clear(&e);
	assert_int_equal(httpdate_format(out, sizeof(out), t, &e), SL_OK);
	assert_string_equal(out, want);
	assert_int_equal((int)strlen(out), HTTPDATE_LEN);
}

static void
test_known_instants(void **state)
{
	(void)state;
	check(784111777, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110 */
	check(0, "Thu, 01 Jan 1970 00:00:00 GMT");
	check(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
	check(1798761599, "Thu, 31 Dec 2026 23:59:59 GMT");
	check(253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT");
}

/* UTC and English names however the process is set up. */
static void
test_time_zone_and_locale(void **state)
{
	(void)state;
	setenv("TZ", "America/New_York", 1);
	tzset();
	setlocale(LC_ALL, "");
	check(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
	unsetenv("TZ");
	tzset();
}

static void
test_refusals(void **state)
{
	char small[HTTPDATE_LEN], out[HTTPDATE_LEN + 1] = "untouched";
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(httpdate_format(small, sizeof(small), 0, &e),
	                 SL_ETOOBIG);
	assert_string_equal(e.msg, "HTTP date: buffer of 29 bytes, need 30");
	err_clear(&e);
	assert_int_equal(httpdate_format(out, sizeof(out), 253402300800LL, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "HTTP date: time 253402300800 is outside "
	                           "the years 1 to 9999");
	assert_string_equal(out, "untouched");
	err_clear(&e);
	assert_int_equal(httpdate_format(out, sizeof(out), -62135596801LL, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "HTTP date: time -62135596801 is outside "
	                           "the years 1 to 9999");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_instants),
	        cmocka_unit_test(test_time_zone_and_locale),
	        cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
