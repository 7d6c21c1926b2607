/* Unit tests for netopts: the download window and the proxy/limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "netopts.h"

static void
test_window_parse(void **state)
{
	struct err e;
	int a, b;

	(void)state;
	assert_int_equal(netopts_window_parse(&a, &b, "22:00-06:30", &e),
	                 SL_OK);
	assert_int_equal(a, 22 * 60);
	assert_int_equal(b, 6 * 60 + 30);
	assert_int_equal(netopts_window_parse(&a, &b, "", &e), SL_OK);
	assert_int_equal(a, -1);
	assert_int_equal(netopts_window_parse(&a, &b, "24:00-01:00", &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "network.download_window '24:00-01:00': "
	                           "expected HH:MM-HH:MM (e.g. 22:00-06:00)");
	assert_int_equal(netopts_window_parse(&a, &b, "01:00-01:00", &e),
	                 SL_EINVAL);
	assert_non_null(strstr(e.msg, "an empty window"));
}

/* A local time today at h:m. */
static time_t
at(int h, int m)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void
test_window_wait(void **state)
{
	struct server_config cfg = {.window_start_min = 22 * 60,
	                            .window_end_min = 6 * 60};

	(void)state;
	assert_int_equal(netopts_window_wait(&cfg, at(23, 0)), 0);
	assert_int_equal(netopts_window_wait(&cfg, at(3, 0)), 0);
	assert_int_equal(netopts_window_wait(&cfg, at(21, 0)), 3600);
	assert_int_equal(netopts_window_wait(&cfg, at(6, 0)), 16 * 3600);
	cfg.window_start_min = cfg.window_end_min = -1;
	assert_int_equal(netopts_window_wait(&cfg, at(12, 0)), 0);
}

static void
test_http(void **state)
{
	struct server_config cfg = {.proxy_url = "http://p:3128",
	                            .download_limit_kbps = 2};
	struct httpc_opts o = {0};

	(void)state;
	netopts_http(&o, &cfg, false);
	assert_string_equal(o.proxy, "http://p:3128");
	assert_int_equal(o.max_bytes_per_s, 0);
	netopts_http(&o, &cfg, true);
	assert_int_equal(o.max_bytes_per_s, 2048);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_window_parse),
	        cmocka_unit_test(test_window_wait),
	        cmocka_unit_test(test_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
