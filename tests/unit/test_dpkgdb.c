/* Unit tests for dpkgdb: status-file parsing, multiarch names, speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dpkgdb.h"
#include "fsx.h"

static const char status[] = "Package: openssl\n"
                             "Status: install ok installed\n"
                             "Priority: optional\n"
                             "Architecture: amd64\n"
                             "Version: 3.0.11-1~deb12u2\n"
                             "Description: Secure Sockets Layer toolkit\n"
                             " This package contains the openssl binary.\n"
                             " Package: fake-from-description\n"
                             " .\n"
                             " Version: 9.9\n"
                             "\n"
                             "Package: removed\n"
                             "Status: deinstall ok config-files\n"
                             "Architecture: amd64\n"
                             "Version: 1.0-1\n"
                             "\n"
                             "Package: half\n"
                             "Status: install reinstreq half-installed\n"
                             "Version: 2.0\n"
                             "\n"
                             "Package: held\n"
                             "Status: hold ok installed\n"
                             "Architecture: all\n"
                             "Version: 1:2.3-4\n"
                             "\n"
                             "Package: libc6\n"
                             "Status: install ok installed\n"
                             "Architecture: amd64\n"
                             "Version: 2.36-9+deb12u4\n"
                             "\n"
                             "\n"
                             "Package: libc6\n"
                             "Status: install ok installed\n"
                             "Architecture: i386\n"
                             "Version: 2.36-9+deb12u3\n"
                             "\n"
                             "Package: noversion\n"
                             "Status: install ok installed\n"
                             "\n"
                             "Package: crlf\r\n"
                             "Status: install ok installed  \r\n"
                             "Version: 5.0-1\r\n"
                             "\r\n"
                             "Status: install ok installed\n"
                             "Version: 7.0\n"
                             "Package: last\n";

static char dir[] = "/tmp/sluice-dpkgdb-XXXXXX";
static char path[PATH_MAX];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/status", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
write_status(const char *text, size_t len)
{
	struct err e;

	assert_int_equal(fsx_write_atomic(path, text, len, 0644, &e), SL_OK);
}

static void
test_parse(void **state)
{
	struct dpkgdb *db = NULL;
	struct err e;

	(void)state;
	write_status(status, sizeof(status) - 1);
	err_clear(&e);
	assert_int_equal(dpkgdb_load(&db, path, &e), SL_OK);
	assert_string_equal(dpkgdb_version(db, "openssl"), "3.0.11-1~deb12u2");
	assert_string_equal(dpkgdb_version(db, "openssl:amd64"),
	                    "3.0.11-1~deb12u2");
	assert_null(dpkgdb_version(db, "openssl:i386"));
	assert_null(dpkgdb_version(db, "fake-from-description"));
	assert_null(dpkgdb_version(db, "removed"));
	assert_null(dpkgdb_version(db, "half"));
	assert_string_equal(dpkgdb_version(db, "held"), "1:2.3-4");
	assert_string_equal(dpkgdb_version(db, "held:all"), "1:2.3-4");
	assert_string_equal(dpkgdb_version(db, "libc6"), "2.36-9+deb12u4");
	assert_string_equal(dpkgdb_version(db, "libc6:amd64"),
	                    "2.36-9+deb12u4");
	assert_string_equal(dpkgdb_version(db, "libc6:i386"), "2.36-9+deb12u3");
	assert_null(dpkgdb_version(db, "noversion"));
	assert_string_equal(dpkgdb_version(db, "crlf"), "5.0-1");
	assert_string_equal(dpkgdb_version(db, "last"), "7.0");
	assert_null(dpkgdb_version(db, "absent"));
	assert_null(dpkgdb_version(db, ""));
	assert_null(dpkgdb_version(db, NULL));
	assert_int_equal(dpkgdb_count(db), 6);
	dpkgdb_free(db);
	dpkgdb_free(NULL);
	assert_null(dpkgdb_version(NULL, "openssl"));
}

static void
test_empty_and_missing(void **state)
{
	struct dpkgdb *db = NULL;
	char msg[PATH_MAX + 64];
	struct err e;

	(void)state;
	write_status("", 0);
	err_clear(&e);
	assert_int_equal(dpkgdb_load(&db, path, &e), SL_OK);
	assert_int_equal(dpkgdb_count(db), 0);
	assert_null(dpkgdb_version(db, "openssl"));
	dpkgdb_free(db);
	db = NULL;

	assert_int_equal(dpkgdb_new_empty(&db, &e), SL_OK);
	assert_null(dpkgdb_version(db, "openssl"));
	dpkgdb_free(db);
	db = NULL;

	unlink(path);
	assert_int_equal(dpkgdb_load(&db, path, &e), SL_ENOTFOUND);
	assert_null(db);
	snprintf(msg, sizeof(msg), "dpkg status: %s: No such file or directory",
	         path);
	assert_string_equal(e.msg, msg);
}

static void
test_many_packages_fast(void **state)
{
	struct dpkgdb *db = NULL;
	struct timespec t0, t1;
	struct buf b;
	struct err e;
	char name[64];
	double ms;
	int i;

	(void)state;
	buf_init(&b, 64u << 20);
	for (i = 0; i < 2000; i++)
		assert_int_equal(
		        buf_printf(&b, &e,
		                   "Package: pkg%04d\n"
		                   "Status: install ok installed\n"
		                   "Priority: optional\n"
		                   "Section: libs\n"
		                   "Installed-Size: 1234\n"
		                   "Maintainer: Someone <someone@example.org>\n"
		                   "Architecture: amd64\n"
		                   "Version: 1.%d-1\n"
		                   "Depends: libc6 (>= 2.34)\n"
		                   "Description: package number %d\n"
		                   " A long description line for package %d.\n"
		                   " .\n"
		                   " Another paragraph.\n\n",
		                   i, i, i, i),
		        SL_OK);
	write_status(b.data, b.len);
	buf_free(&b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dpkgdb_load(&db, path, &e), SL_OK);
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "pkg%04d", i % 2500);
		if (i % 2500 < 2000)
			assert_non_null(dpkgdb_version(db, name));
		else
			assert_null(dpkgdb_version(db, name));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_int_equal(dpkgdb_count(db), 2000);
	assert_string_equal(dpkgdb_version(db, "pkg1234"), "1.1234-1");
	assert_string_equal(dpkgdb_version(db, "pkg0000:amd64"), "1.0-1");
	dpkgdb_free(db);
	/* generous even under sanitizers; unsanitized it takes ~1 ms */
	if (ms > 250.0)
		fail_msg("load + 20000 lookups took %.1f ms", ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_empty_and_missing),
	        cmocka_unit_test(test_many_packages_fast),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
