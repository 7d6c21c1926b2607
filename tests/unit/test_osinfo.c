/* Unit tests for osinfo: os-release parsing, overrides under a temporary
 * root, architecture aliases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fsx.h"
#include "osinfo.h"

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct err e;
	char *slash;

	assert_int_equal(fsx_join(path, sizeof(path), root, rel, &e), SL_OK);
	assert_true(strlen(path) < sizeof(dir));
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	*slash = '\0';
	assert_int_equal(fsx_mkdirs(dir, 0755, &e), SL_OK);
	assert_int_equal(fsx_write_atomic(path, text, strlen(text), 0644, &e),
	                 SL_OK);
}

static int
setup(void **state)
{
	char *root = strdup("/tmp/sluice-osinfo-XXXXXX");

	if (root == NULL || mkdtemp(root) == NULL)
		return -1;
	*state = root;
	return 0;
}

static int
teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static void
test_parse_value(void **state)
{
	const char *text = "# comment\n"
	                   "NAME=\"Debian GNU/Linux\"\n"
	                   "ID_LIKE=debian\n"
	                   "ID=debian\n"
	                   "VERSION_ID='12'\n"
	                   "PRETTY=\"a \\\"quoted\\\" \\$word\\\\\"\n"
	                   "  BLANK=\n"
	                   "TWICE=1\nTWICE=2\n"
	                   "UNQ=some\\ thing\r\n";
	struct err e;
	char *v;

	(void)state;
	err_clear(&e);
	assert_int_equal(osinfo_parse_value(text, "ID", &v, &e), SL_OK);
	assert_string_equal(v, "debian");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "VERSION_ID", &v, &e), SL_OK);
	assert_string_equal(v, "12");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "NAME", &v, &e), SL_OK);
	assert_string_equal(v, "Debian GNU/Linux");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "PRETTY", &v, &e), SL_OK);
	assert_string_equal(v, "a \"quoted\" $word\\");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "BLANK", &v, &e), SL_OK);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "TWICE", &v, &e), SL_OK);
	assert_string_equal(v, "2");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "UNQ", &v, &e), SL_OK);
	assert_string_equal(v, "some thing");
	free(v);
	assert_int_equal(osinfo_parse_value(text, "VERSION", &v, &e), SL_OK);
	assert_null(v);
	assert_int_equal(osinfo_parse_value("", "ID", &v, &e), SL_OK);
	assert_null(v);
}

static void
test_load_with_overrides(void **state)
{
	const char *root = *state;
	struct osinfo *oi = NULL;
	struct err e;

	put(root, "etc/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n");
	put(root, "usr/lib/os-release", "ID=wrong\n");
	put(root, "etc/sluice/arch", "arm64\nignored\n");
	put(root, "etc/sluice/kernel", "6.1.0-13-arm64  \n");
	err_clear(&e);
	assert_int_equal(osinfo_load(&oi, root, &e), SL_OK);
	assert_string_equal(oi->id, "ubuntu");
	assert_string_equal(oi->version_id, "22.04");
	assert_string_equal(oi->arch, "arm64");
	assert_string_equal(oi->kernel, "6.1.0-13-arm64");
	osinfo_free(oi);
}

static void
test_load_fallback_and_uname(void **state)
{
	const char *root = *state;
	struct osinfo *oi = NULL;
	struct utsname u;
	struct err e;

	put(root, "usr/lib/os-release", "ID=fedora\nVERSION_ID=40\n");
	err_clear(&e);
	assert_int_equal(osinfo_load(&oi, root, &e), SL_OK);
	assert_string_equal(oi->id, "fedora");
	assert_string_equal(oi->version_id, "40");
	assert_int_equal(uname(&u), 0);
	assert_string_equal(oi->arch, u.machine);
	assert_string_equal(oi->kernel, u.release);
	osinfo_free(oi);
}

static void
test_load_missing_os_release(void **state)
{
	const char *root = *state;
	struct osinfo *oi = NULL;
	struct err e;

	err_clear(&e);
	assert_int_equal(osinfo_load(&oi, root, &e), SL_OK);
	assert_string_equal(oi->id, "linux");
	assert_null(oi->version_id);
	osinfo_free(oi);
	osinfo_free(NULL);
}

static void
test_load_oversized(void **state)
{
	const char *root = *state;
	struct osinfo *oi = NULL;
	char path[PATH_MAX], msg[PATH_MAX + 64];
	char *big;
	struct err e;

	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	put(root, "etc/os-release", big);
	free(big);
	err_clear(&e);
	assert_int_equal(osinfo_load(&oi, root, &e), SL_ETOOBIG);
	assert_null(oi);
	snprintf(path, sizeof(path), "%s/etc/os-release", root);
	snprintf(msg, sizeof(msg), "os info: %s: larger than 65536 bytes",
	         path);
	assert_string_equal(e.msg, msg);
}

static void
test_arch_matches(void **state)
{
	(void)state;
	assert_true(osinfo_arch_matches("x86_64", "amd64"));
	assert_true(osinfo_arch_matches("amd64", "x86_64"));
	assert_true(osinfo_arch_matches("amd64", "amd64"));
	assert_true(osinfo_arch_matches("aarch64", "arm64"));
	assert_true(osinfo_arch_matches("arm64", "aarch64"));
	assert_true(osinfo_arch_matches("i686", "i386"));
	assert_true(osinfo_arch_matches("i386", "i586"));
	assert_true(osinfo_arch_matches("i486", "i686"));
	assert_true(osinfo_arch_matches("armv7l", "armhf"));
	assert_true(osinfo_arch_matches("riscv64", "riscv64"));
	assert_false(osinfo_arch_matches("x86_64", "arm64"));
	assert_false(osinfo_arch_matches("amd64", "i386"));
	assert_false(osinfo_arch_matches("armhf", "arm64"));
	assert_false(osinfo_arch_matches(NULL, "amd64"));
	assert_false(osinfo_arch_matches("amd64", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_value),
	        cmocka_unit_test_setup_teardown(test_load_with_overrides, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_load_fallback_and_uname,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_load_missing_os_release,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_load_oversized, setup,
	                                        teardown),
	        cmocka_unit_test(test_arch_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
