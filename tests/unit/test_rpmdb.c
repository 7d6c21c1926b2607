/* Unit tests for rpmdb: the query when rpm is absent from PATH, bad names,
 * and (only where rpm is installed) a package that is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpmdb.h"

static void
test_bad_name(void **state)
{
	struct err e;
	char *out = NULL;

	(void)state;
	err_clear(&e);
	assert_int_equal(rpmdb_query(&out, "/", "--eval", &e), SL_EINVAL);
	assert_string_equal(e.msg, "bad package name");
	assert_int_equal(rpmdb_query(&out, "/", "", &e), SL_EINVAL);
	assert_null(out);
}

static void
test_not_installed_when_present(void **state)
{
	char root[] = "/tmp/sluice-rpmdb-XXXXXX";
	struct err e;
	char *out = NULL;
	int rc;

	(void)state;
	if (!rpmdb_available())
		skip();
	assert_non_null(mkdtemp(root));
	err_clear(&e);
	rc = rpmdb_query(&out, root, "sluice-no-such-package", &e);
	assert_int_equal(rc, SL_OK);
	assert_null(out);
	rmdir(root);
}

static void
test_rpm_missing(void **state)
{
	char empty[] = "/tmp/sluice-rpmdb-XXXXXX";
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct err e;
	char *out = NULL;

	(void)state;
	assert_non_null(mkdtemp(empty));
	setenv("PATH", empty, 1);
	err_clear(&e);
	assert_false(rpmdb_available());
	assert_int_equal(rpmdb_query(&out, "/", "openssl", &e),
	                 SL_EUNSUPPORTED);
	assert_string_equal(e.msg, "rpm is not available");
	assert_null(out);
	if (old != NULL)
		setenv("PATH", old, 1);
	free(old);
	rmdir(empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bad_name),
	        cmocka_unit_test(test_not_installed_when_present),
	        cmocka_unit_test(test_rpm_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
