/* Unit tests for advisory: each format read from its fixture under
 * tests/data/advisories, lookups for one release, merging across formats,
 * and broken inputs written to a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "advisory.h"
#include "buf.h"
#include "fsx.h"

static char tmp[] = "/tmp/sluice-advisory-XXXXXX";

static const char *
data(const char *kind, const char *name)
{
	static char spec[PATH_MAX + 64];
	const char *root = getenv("SOURCE_ROOT");

	snprintf(spec, sizeof(spec), "%s:%s/tests/data/advisories/%s", kind,
	         root ? root : ".", name);
	return spec;
}

/* Write text to TMP/name; returns "kind:TMP/name" (static). */
static const char *
scratch(const char *kind, const char *name, const char *text)
{
	static char spec[PATH_MAX + 64];
	char path[PATH_MAX];
	struct err e;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	assert_int_equal(fsx_write_atomic(path, text, strlen(text), 0644, &e),
	                 SL_OK);
	snprintf(spec, sizeof(spec), "%s:%s", kind, path);
	return spec;
}

static struct advisory_db *
db_for(const char *codename, const char *version)
{
	struct advisory_db *db = NULL;
	struct err e;

	assert_int_equal(advisory_db_new(&db, codename, version, &e), SL_OK);
	return db;
}

static void
load_ok(struct advisory_db *db, const char *spec)
{
	struct err e;

	err_clear(&e);
	if (advisory_db_load(db, spec, &e) != SL_OK)
		fail_msg("%s: %s", spec, e.msg);
}

static struct advisory *
get(const struct advisory_db *db, const char *src, const char *ver)
{
	struct advisory *a = NULL;
	struct err e;

	if (advisory_db_lookup(db, src, ver, &a, &e) != SL_OK)
		fail_msg("%s %s: %s", src, ver, e.msg);
	return a;
}

static void
assert_missing(const struct advisory_db *db, const char *src, const char *ver,
               const char *msg)
{
	struct advisory *a = NULL;
	struct err e;

	assert_int_equal(advisory_db_lookup(db, src, ver, &a, &e),
	                 SL_ENOTFOUND);
	assert_null(a);
	if (msg != NULL)
		assert_string_equal(e.msg, msg);
}

/* The CVE ids, NULL-terminated argument list. */
static void
assert_cves(const struct advisory *a, ...)
{
	const char *want;
	va_list ap;
	size_t i = 0;

	assert_non_null(a->cve_ids);
	va_start(ap, a);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_non_null(a->cve_ids[i]);
		assert_string_equal(a->cve_ids[i], want);
		i++;
	}
	va_end(ap);
	assert_null(a->cve_ids[i]);
}

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void
assert_adv(const struct advisory *a, const char *id, const char *title,
           const char *date, const char *url, const char *sev)
{
	assert_str_or_null(a->id, id);
	assert_str_or_null(a->title, title);
	assert_str_or_null(a->release_date, date);
	assert_str_or_null(a->support_url, url);
	assert_str_or_null(a->severity, sev);
}

/* advisory_db_each collected into one string "src ver id;..." */
struct collect {
	char text[4096];
	size_t n;
};

static void
collect_fn(void *arg, const char *src, const char *ver, const char *id)
{
	struct collect *c = arg;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s %s %s;", src, ver,
	         id ? id : "-");
	c->n++;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmp) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_dsa_list(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	struct collect c = {0};
	struct advisory *a;

	(void)state;
	load_ok(db, data("dsa-list", "dsa.list"));
	a = get(db, "zlib", "1:1.2.13.dfsg-1+deb12u1");
	assert_adv(a, "DSA-5521-1", "DSA-5521-1 zlib - security update",
	           "2023-10-10",
	           "https://www.debian.org/security/2023/dsa-5521", NULL);
	assert_null(a->description);
	assert_cves(a, "CVE-2023-45853", NULL);
	advisory_free(a);

	/* duplicates and malformed ids dropped, the rest sorted */
	a = get(db, "curl", "7.88.1-10+deb12u6");
	assert_adv(a, "DSA-5631-1", "DSA-5631-1 curl - security update",
	           "2024-02-29",
	           "https://www.debian.org/security/2024/dsa-5631", NULL);
	assert_cves(a, "CVE-2024-2004", "CVE-2024-2398", NULL);
	advisory_free(a);

	/* a regression update keeps its revision in the URL */
	a = get(db, "haproxy", "2.6.12-1+deb12u2");
	assert_adv(a, "DSA-5590-2", "DSA-5590-2 haproxy - regression update",
	           "2024-01-05",
	           "https://www.debian.org/security/2024/dsa-5590-2", NULL);
	assert_cves(a, NULL);
	advisory_free(a);

	/* other releases' versions and markers are not entries */
	assert_missing(db, "zlib", "1:1.2.11.dfsg-2+deb11u1",
	               "no advisory names zlib 1:1.2.11.dfsg-2+deb11u1 for "
	               "bookworm");
	assert_missing(db, "openssl", "1.1.1n-0+deb11u5", NULL);
	/* equal in dpkg's order is not enough: the string must match */
	assert_missing(db, "openssl", "0:3.0.9-1", NULL);
	assert_missing(db, "zlib", "3.0.9-1", NULL);

	advisory_db_each(db, collect_fn, &c);
	assert_string_equal(c.text, "curl 7.88.1-10+deb12u6 DSA-5631-1;"
	                            "haproxy 2.6.12-1+deb12u2 DSA-5590-2;"
	                            "openssl 3.0.9-1 DSA-5430-1;"
	                            "zlib 1:1.2.13.dfsg-1+deb12u1 DSA-5521-1;");
	assert_int_equal(advisory_db_count(db), 4);
	advisory_db_free(db);

	/* the same file for another release: an advisory naming several */
	db = db_for("bullseye", "11");
	load_ok(db, data("dsa-list", "dsa.list"));
	/* the urgency noted after the version ("(bug #N; high)") */
	a = get(db, "zlib", "1:1.2.11.dfsg-2+deb11u1");
	assert_adv(a, "DSA-5111-1", "DSA-5111-1 zlib - security update",
	           "2022-04-01",
	           "https://www.debian.org/security/2022/dsa-5111",
	           "important");
	assert_cves(a, "CVE-2018-25032", NULL);
	advisory_free(a);
	a = get(db, "openssl", "1.1.1n-0+deb11u5");
	assert_string_equal(a->id, "DSA-5430-1");
	assert_cves(a, "CVE-2023-0464", "CVE-2023-2650", NULL);
	advisory_free(a);
	assert_missing(db, "openssl", "3.0.9-1", NULL);
	assert_int_equal(advisory_db_count(db), 2);
	advisory_db_free(db);
}

static void
test_dla_list(void **state)
{
	struct advisory_db *db = db_for("buster", "10");
	struct advisory *a;

	(void)state;
	load_ok(db, data("dla-list", "dla.list"));
	a = get(db, "lemonldap-ng", "2.0.2+ds-7+deb10u9");
	assert_adv(a, "DLA-3500-1", "DLA-3500-1 lemonldap-ng - security update",
	           "2023-07-20",
	           "https://www.debian.org/lts/security/2023/dla-3500-1", NULL);
	assert_cves(a, "CVE-2023-28862", NULL);
	advisory_free(a);
	a = get(db, "tzdata", "2021a-0+deb10u10");
	assert_string_equal(a->title,
	                    "DLA-3366-1 tzdata - new timezone database");
	assert_cves(a, NULL);
	advisory_free(a);
	/* a line without a [release] tag counts for the release loaded */
	a = get(db, "gnutls26", "2.8.6-1+squeeze4");
	assert_string_equal(a->id, "DLA-0001-1");
	assert_string_equal(
	        a->support_url,
	        "https://www.debian.org/lts/security/2014/dla-0001-1");
	advisory_free(a);
	assert_missing(db, "zlib", "1:1.2.11.dfsg-2+deb11u3", NULL);
	advisory_db_free(db);
}

static void
test_tracker(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	struct collect c = {0};
	struct advisory *a;

	(void)state;
	load_ok(db, data("debian-tracker", "tracker.json"));
	/* two CVEs fixed by one version: one entry, highest urgency */
	a = get(db, "zlib", "1:1.2.13.dfsg-1+deb12u1");
	assert_adv(a, NULL, NULL, NULL, NULL, "important");
	assert_cves(a, "CVE-2022-37434", "CVE-2023-45853", NULL);
	assert_non_null(a->description);
	assert_non_null(strstr(a->description,
	                       "CVE-2023-45853: MiniZip in zlib through 1.3"));
	assert_non_null(
	        strstr(a->description, "CVE-2022-37434: zlib through 1.2.12"));
	advisory_free(a);

	a = get(db, "openssl", "3.0.9-1");
	assert_adv(a, NULL, NULL, NULL, NULL, "moderate");
	assert_cves(a, "CVE-2023-2650", "CVE-2023-2975", NULL);
	advisory_free(a);

	/* "not yet assigned" gives no severity; a TEMP- id is no CVE */
	a = get(db, "tiff", "4.5.0-6+deb12u1");
	assert_adv(a, NULL, NULL, NULL, NULL, "low");
	assert_cves(a, "CVE-2023-3316", NULL);
	advisory_free(a);

	/* "0" (not affected), open issues and other releases add nothing */
	assert_missing(db, "zlib", "0", NULL);
	assert_missing(db, "haproxy", "2.2.9-2+deb11u6", NULL);
	advisory_db_each(db, collect_fn, &c);
	assert_string_equal(c.text, "openssl 3.0.9-1 -;"
	                            "tiff 4.5.0-6+deb12u1 -;"
	                            "zlib 1:1.2.13.dfsg-1+deb12u1 -;");
	advisory_db_free(db);
}

static void
test_usn(void **state)
{
	struct advisory_db *db = db_for("jammy", "22.04");
	struct advisory *a;

	(void)state;
	load_ok(db, data("usn", "usn-db.json"));
	a = get(db, "curl", "7.81.0-1ubuntu1.10");
	assert_adv(a, "USN-6001-1", "USN-6001-1: curl vulnerabilities",
	           "2023-04-06",
	           "https://ubuntu.com/security/notices/USN-6001-1",
	           "moderate");
	assert_string_equal(a->description,
	                    "Harry Sintonen discovered that "
	                    "curl reused connections wrongly.\n");
	assert_cves(a, "CVE-2023-27533", "CVE-2023-27535", NULL);
	advisory_free(a);

	/* a notice naming binaries only: their source, once */
	a = get(db, "foo", "1.0-1ubuntu0.1");
	assert_adv(a, "USN-5000-1", "USN-5000-1: libfoo vulnerability",
	           "2021-05-03",
	           "https://ubuntu.com/security/notices/USN-5000-1", NULL);
	assert_cves(a, "CVE-2021-12345", NULL);
	advisory_free(a);
	assert_int_equal(advisory_db_count(db), 2);

	assert_missing(db, "linux-bluefield", "5.4.0-1059.65", NULL);
	assert_missing(db, "curl", "7.68.0-1ubuntu2.18", NULL);

	/* one notice per file */
	load_ok(db, data("usn", "usn-6100-1.json"));
	a = get(db, "openssl", "3.0.2-0ubuntu1.10");
	assert_adv(a, "USN-6100-1", "USN-6100-1: OpenSSL vulnerabilities",
	           "2023-05-30",
	           "https://ubuntu.com/security/notices/USN-6100-1",
	           "important");
	assert_cves(a, "CVE-2023-1255", "CVE-2023-2650", NULL);
	advisory_free(a);
	advisory_db_free(db);
}

static void
test_osv(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	struct advisory *a;

	(void)state;
	load_ok(db, data("osv", "osv"));
	a = get(db, "zlib", "1:1.2.13.dfsg-1+deb12u1");
	assert_adv(a, "DSA-5521-1", "DSA-5521-1 zlib - security update",
	           "2023-10-10",
	           "https://www.debian.org/security/2023/dsa-5521", NULL);
	assert_string_equal(a->description,
	                    "\nMiniZip in zlib could overflow an integer.\n");
	assert_cves(a, "CVE-2023-45853", NULL);
	advisory_free(a);

	/* a CVE record: no advisory id, its own id as the CVE */
	a = get(db, "tiff", "4.5.0-6+deb12u1");
	assert_adv(a, NULL, NULL, NULL, NULL, "critical");
	assert_cves(a, "CVE-2024-26256", NULL);
	advisory_free(a);

	assert_missing(db, "zlib", "1:1.2.11.dfsg-2+deb11u9", NULL);
	assert_missing(db, "curl", "7.81.0-1ubuntu1.10", NULL);
	/* a withdrawn record names nothing */
	assert_missing(db, "zlib", "1:1.2.13.dfsg-1+deb12u2", NULL);
	assert_int_equal(advisory_db_count(db), 2);
	advisory_db_free(db);

	db = db_for("jammy", "22.04");
	load_ok(db, data("osv", "osv"));
	a = get(db, "curl", "7.81.0-1ubuntu1.10");
	assert_adv(a, "USN-6001-1", "USN-6001-1: curl vulnerabilities",
	           "2023-04-06",
	           "https://ubuntu.com/security/notices/USN-6001-1",
	           "important");
	assert_cves(a, "CVE-2023-27535", "CVE-2023-27536", NULL);
	advisory_free(a);
	assert_missing(db, "curl", "7.68.0-1ubuntu2.18", NULL);
	assert_int_equal(advisory_db_count(db), 1);
	advisory_db_free(db);
}

static void
test_merge_debian(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	struct collect c = {0};
	struct advisory *a;

	(void)state;
	load_ok(db, data("debian-tracker", "tracker.json"));
	load_ok(db, data("dsa-list", "dsa.list"));
	load_ok(db, data("osv", "osv"));

	/* the id from the first source that has one; the tracker's
	 * description; CVEs unioned; the highest severity */
	a = get(db, "zlib", "1:1.2.13.dfsg-1+deb12u1");
	assert_adv(a, "DSA-5521-1", "DSA-5521-1 zlib - security update",
	           "2023-10-10",
	           "https://www.debian.org/security/2023/dsa-5521",
	           "important");
	assert_non_null(strstr(a->description, "CVE-2022-37434: "));
	assert_cves(a, "CVE-2022-37434", "CVE-2023-45853", NULL);
	advisory_free(a);

	a = get(db, "openssl", "3.0.9-1");
	assert_adv(a, "DSA-5430-1", "DSA-5430-1 openssl - security update",
	           "2023-06-12",
	           "https://www.debian.org/security/2023/dsa-5430", "moderate");
	assert_cves(a, "CVE-2023-0464", "CVE-2023-2650", "CVE-2023-2975", NULL);
	advisory_free(a);

	a = get(db, "tiff", "4.5.0-6+deb12u1");
	assert_adv(a, NULL, NULL, NULL, NULL, "critical");
	assert_non_null(strstr(a->description, "CVE-2023-3316: "));
	assert_cves(a, "CVE-2023-3316", "CVE-2024-26256", NULL);
	advisory_free(a);

	/* each (source, version, id) once, sorted */
	advisory_db_each(db, collect_fn, &c);
	assert_string_equal(c.text, "curl 7.88.1-10+deb12u6 DSA-5631-1;"
	                            "haproxy 2.6.12-1+deb12u2 DSA-5590-2;"
	                            "openssl 3.0.9-1 -;"
	                            "openssl 3.0.9-1 DSA-5430-1;"
	                            "tiff 4.5.0-6+deb12u1 -;"
	                            "zlib 1:1.2.13.dfsg-1+deb12u1 -;"
	                            "zlib 1:1.2.13.dfsg-1+deb12u1 DSA-5521-1;");
	advisory_db_free(db);

	/* load order decides the id: the OSV record first now */
	db = db_for("bookworm", "12");
	load_ok(db, data("osv", "osv"));
	load_ok(db, data("dsa-list", "dsa.list"));
	a = get(db, "zlib", "1:1.2.13.dfsg-1+deb12u1");
	assert_string_equal(a->id, "DSA-5521-1");
	assert_string_equal(a->description,
	                    "\nMiniZip in zlib could overflow an integer.\n");
	advisory_free(a);
	advisory_db_free(db);
}

static void
test_merge_ubuntu(void **state)
{
	struct advisory_db *db = db_for("jammy", "22.04");
	struct advisory *a;

	(void)state;
	load_ok(db, data("usn", "usn-db.json"));
	load_ok(db, data("osv", "osv"));
	a = get(db, "curl", "7.81.0-1ubuntu1.10");
	assert_adv(a, "USN-6001-1", "USN-6001-1: curl vulnerabilities",
	           "2023-04-06",
	           "https://ubuntu.com/security/notices/USN-6001-1",
	           "important");
	assert_cves(a, "CVE-2023-27533", "CVE-2023-27535", "CVE-2023-27536",
	            NULL);
	advisory_free(a);
	advisory_db_free(db);
}

static void
assert_load_fails(struct advisory_db *db, const char *spec, int code,
                  const char *msg)
{
	struct err e;
	size_t before = advisory_db_count(db);

	err_clear(&e);
	assert_int_equal(advisory_db_load(db, spec, &e), code);
	assert_string_equal(e.msg, msg);
	assert_int_equal(advisory_db_count(db), before);
}

/* Like assert_load_fails when the tail of the message is jansson's. */
static void
assert_load_fails_prefix(struct advisory_db *db, const char *spec,
                         const char *prefix)
{
	struct err e;

	err_clear(&e);
	assert_int_equal(advisory_db_load(db, spec, &e), SL_EPARSE);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not start with '%s'", e.msg, prefix);
}

static void
test_broken_lists(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12"), *db2;
	char msg[PATH_MAX + 256], *long_line;
	struct advisory *a;
	const char *spec;

	(void)state;
	load_ok(db, data("dsa-list", "dsa.list"));

	/* a good advisory before the broken line is not kept either */
	spec = scratch("dsa-list", "nopkg.list",
	               "[02 Apr 2022] DSA-5112-1 foo - security update\n"
	               "\t[bookworm] - foo 1.0-1+deb12u1\n"
	               "\n"
	               "[01 Apr 2022] DSA-5111-1\n"
	               "\t[bookworm] - zlib 1.2\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:4: advisory DSA-5111-1 names no package",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);
	assert_missing(db, "foo", "1.0-1+deb12u1", NULL);

	/* the real list has "ID  - text" headers: the package comes from
	 * the release lines then */
	load_ok(db, scratch("dsa-list", "dash.list",
	                    "[26 Feb 2009] DSA-1727-1  - SQL injection\n"
	                    "\t[bookworm] - proftpd-dfsg 1.3.1-17lenny1\n"));
	a = get(db, "proftpd-dfsg", "1.3.1-17lenny1");
	assert_string_equal(a->title, "DSA-1727-1  - SQL injection");
	advisory_free(a);
	db2 = db_for("bookworm", "12");
	spec = scratch("dsa-list", "bare.list",
	               "[01 Apr 2022] DSA-5111-1   \n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1: advisory DSA-5111-1 names no package",
	         spec + 9);
	assert_load_fails(db2, spec, SL_EPARSE, msg);
	advisory_db_free(db2);

	spec = scratch("dsa-list", "date.list",
	               "[31 Feb 2022] DSA-5111-1 zlib - security update\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1: bad date in '[31 Feb 2022]' (want [DD Mon "
	         "YYYY])",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("dsa-list", "month.list",
	               "[01 Apr 2022] DSA-5111-1 zlib - security update\n"
	               "[01 Avr 2022] DSA-5112-1 zlib - security update\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:2: bad date in '[01 Avr 2022]' (want [DD Mon "
	         "YYYY])",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("dla-list", "nover.list",
	               "[01 Apr 2023] DLA-3380-1 foo - security update\n"
	               "\t{CVE-2023-0001}\n"
	               "\t[bookworm] - foo\n");
	snprintf(msg, sizeof(msg), "advisories: %s:3: foo without a version",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("dla-list", "orphan.list", "\t[bookworm] - foo 1.0\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1: indented line before any advisory header",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("dla-list", "cves.list",
	               "[01 Apr 2023] DLA-3380-1 foo - security update\n"
	               "\t{CVE-2023-0001\n");
	snprintf(msg, sizeof(msg), "advisories: %s:2: CVE list without '}'",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("dsa-list", "id.list",
	               "[01 Apr 2022] dsa-5111 zlib - security update\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1: bad advisory id 'dsa-5111'", spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("dsa-list", "text.list", "DSA-5111-1 zlib\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1: expected '[DD Mon YYYY] ID PACKAGE - "
	         "TEXT'",
	         spec + 9);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	long_line = malloc(ADVISORY_LINE_CAP + 100);
	assert_non_null(long_line);
	memset(long_line, 'x', ADVISORY_LINE_CAP + 98);
	memcpy(long_line, "\tNOTE: ", 7);
	long_line[ADVISORY_LINE_CAP + 98] = '\n';
	long_line[ADVISORY_LINE_CAP + 99] = '\0';
	spec = scratch("dsa-list", "long.list", long_line);
	free(long_line);
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1: line longer than %u bytes", spec + 9,
	         ADVISORY_LINE_CAP);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	/* what loaded before is intact */
	assert_int_equal(advisory_db_count(db), 5);
	advisory_free(get(db, "zlib", "1:1.2.13.dfsg-1+deb12u1"));
	advisory_db_free(db);
}

static void
test_broken_json(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	char msg[PATH_MAX + 256], dir[PATH_MAX], path[PATH_MAX + 8];
	const char *spec;
	struct err e;

	(void)state;
	spec = scratch("debian-tracker", "trunc.json",
	               "{\"zlib\": {\"CVE-2023-45853\": {\"releases\": {\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:2:1: unexpected end of input", spec + 15);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	/* an error inside one package: the position is the file's */
	spec = scratch("debian-tracker", "num.json",
	               "{\"zlib\": {\"CVE-1\": {\"releases\": {\"bookworm\": "
	               "{\"status\": \"resolved\",\n"
	               "  \"fixed_version\": 1.0.}}}},\n \"x\": {}}");
	snprintf(msg, sizeof(msg), "advisories: %s:2:23: ", spec + 15);
	assert_load_fails_prefix(db, spec, msg);

	spec = scratch("debian-tracker", "tail.json", "{\"zlib\": {}} x");
	snprintf(msg, sizeof(msg), "advisories: %s:1:14: data after the object",
	         spec + 15);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("debian-tracker", "notobj.json",
	               "{\"zlib\": [\"CVE-2023-45853\"]}\n");
	snprintf(msg, sizeof(msg), "advisories: %s: zlib: not an object",
	         spec + 15);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("debian-tracker", "fixed.json",
	               "{\"zlib\": {\"CVE-2023-45853\": {\"releases\": "
	               "{\"bookworm\": {\"status\": \"resolved\", "
	               "\"fixed_version\": 12}}}}}\n");
	snprintf(msg, sizeof(msg),
	         "advisories: %s: zlib/CVE-2023-45853/releases/bookworm: "
	         "fixed_version is not a string",
	         spec + 15);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("usn", "trunc-usn.json", "{\"id\": \"USN-1-1\",");
	snprintf(msg, sizeof(msg),
	         "advisories: %s:1:18: unexpected end of input", spec + 4);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("usn", "date-usn.json",
	               "{\"id\": \"USN-1-1\", \"published\": \"2023-13-01\", "
	               "\"releases\": {}}");
	snprintf(msg, sizeof(msg),
	         "advisories: %s: USN-1-1: bad published date '2023-13-01'",
	         spec + 4);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	spec = scratch("usn", "norel-usn.json",
	               "{\"6000-1\": {\"id\": \"6000-1\", \"cves\": []}}");
	snprintf(msg, sizeof(msg),
	         "advisories: %s: 6000-1: releases is missing", spec + 4);
	assert_load_fails(db, spec, SL_EPARSE, msg);

	/* OSV: the record file is named */
	snprintf(dir, sizeof(dir), "%s/osv-bad", tmp);
	assert_int_equal(fsx_mkdirs(dir, 0755, &e), SL_OK);
	scratch("osv", "osv-bad/A.json",
	        "{\"id\": \"DSA-1-1\", \"affected\": []}");
	scratch("osv", "osv-bad/B.json", "{\"id\": \"DSA-2-1\", \"affec");
	snprintf(path, sizeof(path), "osv:%s", dir);
	snprintf(msg, sizeof(msg), "advisories: %s/B.json:1:", dir);
	assert_load_fails_prefix(db, path, msg);

	scratch("osv", "osv-bad/B.json",
	        "{\"id\": \"DSA-2-1\", \"published\": \"yesterday\"}");
	snprintf(msg, sizeof(msg),
	         "advisories: %s/B.json: DSA-2-1: bad published date "
	         "'yesterday'",
	         dir);
	assert_load_fails(db, path, SL_EPARSE, msg);

	scratch("osv", "osv-bad/B.json",
	        "{\"id\": \"DSA-2-1\", \"affected\": [{\"package\": "
	        "{\"ecosystem\": \"Debian:12\"}}]}");
	snprintf(msg, sizeof(msg),
	         "advisories: %s/B.json: affected[0]: package without "
	         "ecosystem or name",
	         dir);
	assert_load_fails(db, path, SL_EPARSE, msg);

	assert_int_equal(advisory_db_count(db), 0);
	advisory_db_free(db);
}

static void
test_bad_specs(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	char path[PATH_MAX], spec[PATH_MAX + 16], msg[PATH_MAX + 64];
	struct err e;
	int fd;

	(void)state;
	assert_load_fails(db, "rpm-list:/tmp/x", SL_EINVAL,
	                  "advisories: unknown kind 'rpm-list' (want dsa-list, "
	                  "dla-list, debian-tracker, usn or osv)");
	assert_load_fails(db, "/tmp/dsa.list", SL_EINVAL,
	                  "advisories: '/tmp/dsa.list': want KIND:PATH");
	assert_load_fails(db, "dsa-list:/nonexistent/DSA/list", SL_ENOTFOUND,
	                  "advisories: /nonexistent/DSA/list: no such file");
	assert_load_fails(db, "usn:/nonexistent/usn.json", SL_ENOTFOUND,
	                  "advisories: /nonexistent/usn.json: no such file");
	assert_load_fails(db, "osv:/nonexistent/osv", SL_ENOTFOUND,
	                  "advisories: /nonexistent/osv: no such directory");
	assert_load_fails(db, "debian-tracker:/nonexistent/json", SL_ENOTFOUND,
	                  "advisories: /nonexistent/json: no such file");

	/* over the cap (a sparse file: nothing is written) */
	snprintf(path, sizeof(path), "%s/huge.json", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)ADVISORY_FILE_CAP + 1), 0);
	close(fd);
	snprintf(spec, sizeof(spec), "usn:%s", path);
	snprintf(msg, sizeof(msg), "advisories: %s: larger than %u bytes", path,
	         ADVISORY_FILE_CAP);
	assert_load_fails(db, spec, SL_ETOOBIG, msg);
	snprintf(spec, sizeof(spec), "dsa-list:%s", tmp);
	snprintf(msg, sizeof(msg), "advisories: %s: not a regular file", tmp);
	assert_load_fails(db, spec, SL_EINVAL, msg);
	advisory_db_free(db);

	assert_int_equal(advisory_db_new(&db, NULL, NULL, &e), SL_EINVAL);
	assert_string_equal(e.msg, "advisories: a release codename or "
	                           "version is required");
	advisory_free(NULL);
	advisory_db_free(NULL);
}

/* A list the size of the real one (~6,000 advisories, most for other
 * releases) plus a tracker export with 20,000 entries: one pass each, and
 * lookups by binary search. */
static void
test_many_fast(void **state)
{
	struct advisory_db *db = db_for("bookworm", "12");
	struct timespec t0, t1;
	struct advisory *a;
	struct buf b;
	struct err e;
	char src[64], ver[64];
	const char *list, *json;
	double ms;
	int i;

	(void)state;
	buf_init(&b, 64u << 20);
	for (i = 8000; i > 0; i--)
		assert_int_equal(
		        buf_printf(&b, &e,
		                   "[%02d Jan 2023] DSA-%d-1 pkg%d - security "
		                   "update\n"
		                   "\t{CVE-2023-%04d CVE-2022-%04d}\n"
		                   "\t[bullseye] - pkg%d 1.%d-1+deb11u1\n"
		                   "\t[bookworm] - pkg%d 1.%d-1+deb12u1\n"
		                   "\tNOTE: https://example.org/%d\n",
		                   i % 28 + 1, i, i, i, i, i, i, i, i, i),
		        SL_OK);
	list = scratch("dsa-list", "many.list", b.data);
	list = strdup(list);
	assert_non_null(list);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "{", &e), SL_OK);
	for (i = 0; i < 20000; i++)
		assert_int_equal(
		        buf_printf(&b, &e,
		                   "%s\"pkg%d\": {\"CVE-2021-%04d\": {"
		                   "\"description\": \"issue %d\", "
		                   "\"releases\": {\"bookworm\": {\"status\": "
		                   "\"resolved\", \"fixed_version\": "
		                   "\"1.%d-1+deb12u1\", \"urgency\": "
		                   "\"low\"}}}}",
		                   i ? ", " : "", i, i, i, i),
		        SL_OK);
	assert_int_equal(buf_puts(&b, "}", &e), SL_OK);
	json = scratch("debian-tracker", "many.json", b.data);
	buf_free(&b);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	load_ok(db, json);
	load_ok(db, list);
	for (i = 0; i < 20000; i++) {
		snprintf(src, sizeof(src), "pkg%d", i);
		snprintf(ver, sizeof(ver), "1.%d-1+deb12u1", i);
		assert_int_equal(advisory_db_lookup(db, src, ver, &a, &e),
		                 SL_OK);
		assert_int_equal(a->id == NULL, i == 0 || i > 8000);
		advisory_free(a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_int_equal(advisory_db_count(db), 28000);
	a = get(db, "pkg1234", "1.1234-1+deb12u1");
	assert_string_equal(a->title, "DSA-1234-1 pkg1234 - security update");
	assert_string_equal(a->description, "CVE-2021-1234: issue 1234");
	assert_string_equal(a->severity, "low");
	assert_cves(a, "CVE-2021-1234", "CVE-2022-1234", "CVE-2023-1234", NULL);
	advisory_free(a);
	free((char *)list);
	advisory_db_free(db);
	/* generous even under sanitizers */
	if (ms > 5000.0)
		fail_msg("loading and 20000 lookups took %.1f ms", ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dsa_list),
	        cmocka_unit_test(test_dla_list),
	        cmocka_unit_test(test_tracker),
	        cmocka_unit_test(test_usn),
	        cmocka_unit_test(test_osv),
	        cmocka_unit_test(test_merge_debian),
	        cmocka_unit_test(test_merge_ubuntu),
	        cmocka_unit_test(test_broken_lists),
	        cmocka_unit_test(test_broken_json),
	        cmocka_unit_test(test_bad_specs),
	        cmocka_unit_test(test_many_fast),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
