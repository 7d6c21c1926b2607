/*
 * Unit tests for deb822: Packages and Release stanzas, folded and
 * multi-line fields, comments, case-insensitive names, `Source: name
 * (version)`, a Release's SHA256 list and the errors naming file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deb822.h"

static const char packages[] =
        "# a comment before the first stanza\n"
        "Package: libssl3\n"
        "Source: openssl (3.0.11-1~deb12u2)\n"
        "Version: 3.0.11-1~deb12u2+b1\n"
        "Architecture: amd64\n"
        "Depends: libc6 (>= 2.34),\n"
        " zlib1g\n"
        "Description: Secure Sockets Layer toolkit - shared libraries\n"
        " This package is part of the OpenSSL project.\n"
        " .\n"
        " It provides the libssl and libcrypto shared libraries.\n"
        "\n"
        "\n"
        "package: openssl\n"
        "SOURCE:  openssl  \n"
        "# a comment inside a stanza\n"
        "Version: 3.0.11-1~deb12u2\n"
        "\tcontinued by a tab\n";

static void
test_packages(void **state)
{
	const struct deb822_field *f;
	const char *p, *name, *ver;
	size_t n, nn, vn;
	struct deb822 d;
	struct err e;
	char *text;
	bool got;

	(void)state;
	deb822_init(&d, "Packages", packages, strlen(packages));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_true(got);
	assert_int_equal(d.n, 6);
	assert_int_equal(d.stanza_line, 2);
	deb822_trim(deb822_get(&d, "package"), &p, &n);
	assert_true(deb822_eq(p, n, "libssl3"));
	f = deb822_get(&d, "Depends");
	assert_int_equal(f->line, 6);
	text = deb822_text(f);
	assert_string_equal(text, "libc6 (>= 2.34),\nzlib1g");
	free(text);
	f = deb822_get(&d, "DESCRIPTION");
	deb822_first_line(f, &p, &n);
	assert_true(deb822_eq(p, n,
	                      "Secure Sockets Layer toolkit - shared "
	                      "libraries"));
	text = deb822_text(f);
	assert_string_equal(text,
	                    "Secure Sockets Layer toolkit - shared libraries\n"
	                    "This package is part of the OpenSSL project.\n"
	                    "\n"
	                    "It provides the libssl and libcrypto shared "
	                    "libraries.");
	free(text);
	assert_int_equal(deb822_source(deb822_get(&d, "Source"), &name, &nn,
	                               &ver, &vn, &e),
	                 SL_OK);
	assert_true(deb822_eq(name, nn, "openssl"));
	assert_true(deb822_eq(ver, vn, "3.0.11-1~deb12u2"));

	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_true(got);
	assert_int_equal(d.stanza_line, 14);
	assert_int_equal(d.n, 3);
	assert_int_equal(deb822_source(deb822_get(&d, "source"), &name, &nn,
	                               &ver, &vn, &e),
	                 SL_OK);
	assert_true(deb822_eq(name, nn, "openssl"));
	assert_int_equal(vn, 0);
	text = deb822_text(deb822_get(&d, "Version"));
	assert_string_equal(text, "3.0.11-1~deb12u2\ncontinued by a tab");
	free(text);
	assert_null(deb822_get(&d, "Filename"));

	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_false(got);
}

static void
expect_error(const char *text, int code, const char *msg)
{
	struct deb822 d;
	struct err e;
	bool got;
	int rc;

	deb822_init(&d, "Packages", text, strlen(text));
	do
		rc = deb822_next(&d, &got, &e);
	while (rc == SL_OK && got);
	assert_int_equal(rc, code);
	assert_string_equal(e.msg, msg);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("Package: a\n\nPackage: b\n: nameless\n", SL_EPARSE,
	             "Packages:4: field without a name");
	expect_error(" continued\n", SL_EPARSE,
	             "Packages:1: continuation line outside a field");
	expect_error("Package: a\nno colon here\n", SL_EPARSE,
	             "Packages:2: line without a ':'");
	expect_error("Package: a\nVersion: 1\npackage: b\n", SL_EPARSE,
	             "Packages:3: duplicate field package");
	expect_error("Pack age: a\n", SL_EPARSE,
	             "Packages:1: blank in a field name");
}

static void
test_source_forms(void **state)
{
	struct deb822_field f = {.name = "Source", .name_len = 6, .line = 1};
	const char *name, *ver;
	size_t nn, vn;
	struct err e;

	(void)state;
	f.value = "glibc (2.36-9+deb12u4)";
	f.value_len = strlen(f.value);
	assert_int_equal(deb822_source(&f, &name, &nn, &ver, &vn, &e), SL_OK);
	assert_true(deb822_eq(name, nn, "glibc"));
	assert_true(deb822_eq(ver, vn, "2.36-9+deb12u4"));
	f.value = "glibc(1:2.36)";
	f.value_len = strlen(f.value);
	assert_int_equal(deb822_source(&f, &name, &nn, &ver, &vn, &e), SL_OK);
	assert_true(deb822_eq(ver, vn, "1:2.36"));
	f.value = "glibc (2.36";
	f.value_len = strlen(f.value);
	assert_int_equal(deb822_source(&f, &name, &nn, &ver, &vn, &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg, "Source: expected 'NAME' or 'NAME "
	                           "(VERSION)', got 'glibc (2.36'");
	f.value = "glibc ()";
	f.value_len = strlen(f.value);
	assert_int_equal(deb822_source(&f, &name, &nn, &ver, &vn, &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg, "Source: empty version in 'glibc ()'");
}

static const char release[] =
        "Origin: Debian\n"
        "Label: Debian-Security\n"
        "Suite: stable-security\n"
        "Codename: bookworm-security\n"
        "Date: Sat, 10 Jun 2023 09:37:14 UTC\n"
        "Architectures: amd64 arm64\n"
        "Components: updates/main\n"
        "SHA256:\n"
        " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF "
        "1234 main/binary-amd64/Packages.xz\n"
        " fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
        "    56 main/binary-amd64/Release\n";

static void
test_release_hashes(void **state)
{
	struct deb822_hashent *h = NULL;
	struct deb822 d;
	struct err e;
	size_t n = 0;
	bool got;

	(void)state;
	deb822_init(&d, "Release", release, strlen(release));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_int_equal(deb822_hashents(&h, &n, deb822_get(&d, "sha256"),
	                                 "Release", &e),
	                 SL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].sha256, "0123456789abcdef0123456789abcdef"
	                                 "0123456789abcdef0123456789abcdef");
	assert_int_equal(h[0].size, 1234);
	assert_string_equal(h[0].path, "main/binary-amd64/Packages.xz");
	assert_int_equal(h[1].size, 56);
	deb822_hashents_free(h, n);

	static const char bad[] = "SHA256:\n abcd 12 x\n";
	deb822_init(&d, "Release", bad, strlen(bad));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_int_equal(deb822_hashents(&h, &n, deb822_get(&d, "SHA256"),
	                                 "Release", &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg, "Release:2: SHA256: bad hash or size");
	static const char short_line[] = "SHA256:\n abcd 12\n";
	deb822_init(&d, "Release", short_line, strlen(short_line));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_int_equal(deb822_hashents(&h, &n, deb822_get(&d, "SHA256"),
	                                 "Release", &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg,
	                    "Release:2: SHA256: expected 'HASH SIZE PATH'");
}

/* No final newline, CRLF line ends, blank lines of spaces. */
static void
test_edges(void **state)
{
	static const char t[] = "A: 1\r\n  \t\nB: 2";
	const char *p;
	struct deb822 d;
	struct err e;
	size_t n;
	bool got;

	(void)state;
	deb822_init(&d, "x", t, strlen(t));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	deb822_trim(deb822_get(&d, "a"), &p, &n);
	assert_true(deb822_eq(p, n, "1"));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_true(got);
	deb822_trim(deb822_get(&d, "b"), &p, &n);
	assert_true(deb822_eq(p, n, "2"));
	assert_int_equal(deb822_next(&d, &got, &e), SL_OK);
	assert_false(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_packages),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_source_forms),
	        cmocka_unit_test(test_release_hashes),
	        cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
