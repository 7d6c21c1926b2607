/*
 * Unit tests for aptrepo: a suite's Release signed inline and detached
 * with a real gpg key, tampered, signed by another key, expired
 * (Valid-Until), unsigned; indexes whose hash does not match or that are
 * truncated; and the same archive served over HTTP on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "apt_fixture.h"
#include "aptrepo.h"
#include "fsx.h"
#include "httpc.h"

static struct aptfix fx;
static char packages[8192];

static int
group_setup(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(httpc_global_init(&e), SL_OK);
	aptfix_setup(&fx);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aptfix_teardown(&fx);
	return 0;
}

/* A suite "s" with two amd64 packages, signed as mode says. */
static int
setup(void **state)
{
	(void)state;
	aptfix_reset(&fx);
	packages[0] = '\0';
	aptfix_stanza(packages, sizeof(packages), "hello", NULL, "1.0-1",
	              "amd64", &fx);
	aptfix_stanza(packages, sizeof(packages), "libhello1", "hello", "1.0-1",
	              "amd64", &fx);
	aptfix_write(&fx, "dists/s/main/binary-amd64/Packages", packages);
	return 0;
}

static void
publish(const char *extra, const char *mode)
{
	aptfix_publish(&fx, "s", "amd64 arm64", extra, fx.home, mode);
}

static int
fetch_release(struct aptrepo_release **r, const char *keyring, struct err *e)
{
	return aptrepo_release_fetch(r, fx.url, "s", keyring,
	                             (long long)time(NULL), e);
}

static void
test_good_inline(void **state)
{
	struct aptrepo_release *r = NULL;
	char *buf = NULL, *name = NULL;
	size_t len;
	struct err e;

	(void)state;
	publish(NULL, "inline");
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_OK);
	assert_string_equal(r->origin, "Test");
	assert_string_equal(r->codename, "s");
	assert_string_equal(r->version, "12");
	assert_true(r->date_t > 0);
	assert_true(aptrepo_release_has_arch(r, "arm64"));
	assert_false(aptrepo_release_has_arch(r, "i386"));
	assert_int_equal(r->n_files, 3);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, &name, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_OK);
	assert_string_equal(name, "dists/s/main/binary-amd64/Packages.xz");
	assert_int_equal(len, strlen(packages));
	assert_memory_equal(buf, packages, len);
	free(buf);
	free(name);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, &name, fx.url, "s",
	                                        r, "main", "arm64", &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "dists/s/Release lists no "
	                           "main/binary-arm64/Packages");
	aptrepo_release_free(r);
}

/* Only the signed part of an InRelease is read: text added around the
 * signature block is not. */
static void
test_only_signed_content_read(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish(NULL, "inline");
	aptfix_sh("printf 'Origin: Evil\\n' >> %s/dists/s/InRelease", fx.repo);
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_OK);
	assert_string_equal(r->origin, "Test");
	aptrepo_release_free(r);
}

/* A validly signed Release of another suite is not this suite's. */
static void
test_other_suite(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish(NULL, "inline");
	aptfix_sh("cp -r %s/dists/s %s/dists/t", fx.repo, fx.repo);
	assert_int_equal(aptrepo_release_fetch(&r, fx.url, "t", fx.keyring,
	                                       (long long)time(NULL), &e),
	                 SL_EVERIFY);
	assert_string_equal(e.msg, "dists/t/InRelease: is the Release of suite "
	                           "s (codename s), not of t");
}

static void
test_good_detached(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish(NULL, "detached");
	char inrel[256];
	snprintf(inrel, sizeof(inrel), "%s/dists/s/InRelease", fx.repo);
	assert_false(fsx_exists(inrel));
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_OK);
	assert_string_equal(r->suite, "s");
	aptrepo_release_free(r);
	/* A detached signature of other bytes does not verify. */
	aptfix_sh("sed -i 's/^Origin: Test/Origin: Tset/' %s/dists/s/Release",
	          fx.repo);
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_EVERIFY);
	assert_non_null(strstr(e.msg, "dists/s/Release: signature does not "
	                              "verify (BADSIG "));
}

static void
test_tampered(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish(NULL, "inline");
	aptfix_sh("sed -i 's/^Version: 12/Version: 13/' %s/dists/s/InRelease",
	          fx.repo);
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_EVERIFY);
	assert_non_null(strstr(e.msg, "dists/s/InRelease: signature does not "
	                              "verify (BADSIG "));
	assert_non_null(strstr(e.msg, "the file was altered"));
	assert_null(r);
}

static void
test_wrong_key(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish(NULL, "inline");
	assert_int_equal(fetch_release(&r, fx.other_keyring, &e), SL_EVERIFY);
	assert_non_null(strstr(e.msg, "dists/s/InRelease: signed by key "));
	assert_non_null(strstr(e.msg, "which is not in"));
	assert_non_null(strstr(e.msg, "(NO_PUBKEY)"));
	/* A missing keyring file is named. */
	assert_int_equal(fetch_release(&r, "/nonexistent.gpg", &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "keyring /nonexistent.gpg: No such file or "
	                           "directory");
}

static void
test_expired(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish("Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC", "inline");
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_EEXPIRED);
	assert_string_equal(e.msg, "dists/s/InRelease: expired on Sat, 01 Jan "
	                           "2000 00:00:00 UTC (Valid-Until)");
	publish("Valid-Until: Sat, 01 Jan 2100 00:00:00 UTC", "inline");
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_OK);
	assert_true(r->valid_until_t > 4000000000LL);
	aptrepo_release_free(r);
}

static void
test_unsigned(void **state)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	(void)state;
	publish(NULL, "none");
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "dists/s/Release: not signed (no "
	                           "InRelease, no Release.gpg)");
	/* An InRelease that is only the Release text. */
	aptfix_sh("cp %s/dists/s/Release %s/dists/s/InRelease", fx.repo,
	          fx.repo);
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "dists/s/InRelease: not signed");
}

static void
test_index_mismatch_and_truncated(void **state)
{
	struct aptrepo_release *r = NULL;
	char *buf = NULL, *name = NULL;
	size_t len;
	struct err e;

	(void)state;
	publish(NULL, "inline");
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_OK);
	/* Same size, other bytes: the next form listed (.gz) is used. */
	aptfix_sh("cd %s/dists/s/main/binary-amd64 && "
	          "printf 'X' | dd of=Packages.xz bs=1 seek=20 conv=notrunc "
	          "status=none",
	          fx.repo);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, &name, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_OK);
	assert_string_equal(name, "dists/s/main/binary-amd64/Packages.gz");
	assert_int_equal(len, strlen(packages));
	free(buf);
	free(name);
	/* No good form: the first one's error. */
	aptfix_sh("cd %s/dists/s/main/binary-amd64 && rm Packages.gz && "
	          "printf 'X' | dd of=Packages bs=1 seek=20 conv=notrunc "
	          "status=none",
	          fx.repo);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, NULL, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_EVERIFY);
	assert_non_null(strstr(e.msg, "dists/s/main/binary-amd64/Packages.xz: "
	                              "SHA-256 "));
	assert_non_null(strstr(e.msg, "does not match the Release's"));
	/* Cut short. */
	aptfix_sh("cd %s/dists/s/main/binary-amd64 && truncate -s 40 "
	          "Packages.xz",
	          fx.repo);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, NULL, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_EVERIFY);
	assert_non_null(strstr(e.msg, "dists/s/main/binary-amd64/Packages.xz: "
	                              "truncated: 40 bytes of the "));
	/* Longer than listed. */
	aptfix_sh("cd %s/dists/s/main/binary-amd64 && truncate -s 100000 "
	          "Packages.xz",
	          fx.repo);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, NULL, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_EVERIFY);
	assert_non_null(strstr(e.msg, "larger than the "));
	/* Listed but gone. */
	aptfix_sh("rm %s/dists/s/main/binary-amd64/Packages*", fx.repo);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, NULL, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_ENET);
	assert_string_equal(e.msg, "dists/s/main/binary-amd64/Packages.xz: not "
	                           "found, though the Release lists it");
	aptrepo_release_free(r);
}

/* With Acquire-By-Hash, the index is fetched by its hash: a stale file
 * under the plain name (a mirror mid-update) does not matter. */
static void
test_by_hash(void **state)
{
	struct aptrepo_release *r = NULL;
	char *buf = NULL, *name = NULL;
	size_t len;
	struct err e;

	(void)state;
	publish("Acquire-By-Hash: yes", "inline");
	aptfix_sh("cd %s/dists/s/main/binary-amd64 && mkdir -p by-hash/SHA256 "
	          "&& cp Packages.xz by-hash/SHA256/$(sha256sum < Packages.xz "
	          "| cut -d' ' -f1) && echo stale > Packages.xz",
	          fx.repo);
	assert_int_equal(fetch_release(&r, fx.keyring, &e), SL_OK);
	assert_true(r->by_hash);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, &name, fx.url, "s",
	                                        r, "main", "amd64", &e),
	                 SL_OK);
	assert_non_null(strstr(name, "dists/s/main/binary-amd64/by-hash/"
	                             "SHA256/"));
	assert_int_equal(len, strlen(packages));
	free(buf);
	free(name);
	aptrepo_release_free(r);
}

/* ---- over HTTP ---- */

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
      const char *version, const char *upload, size_t *upload_len, void **ptr)
{
	char path[1024], *body = NULL;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;

	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)ptr;
	snprintf(path, sizeof(path), "%s%s", fx.repo, url);
	if (strstr(url, "..") != NULL ||
	    fsx_read(path, 1u << 24, &body, &len, NULL) != SL_OK) {
		r = MHD_create_response_from_buffer(0, "",
		                                    MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, 404, r);
	} else {
		r = MHD_create_response_from_buffer(len, body,
		                                    MHD_RESPMEM_MUST_FREE);
		ret = MHD_queue_response(c, 200, r);
	}
	MHD_destroy_response(r);
	return ret;
}

static void
test_http(void **state)
{
	struct aptrepo_release *r = NULL;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	char url[64], *buf = NULL;
	size_t len;
	struct err e;

	(void)state;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                     serve, NULL, MHD_OPTION_END);
	assert_non_null(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", info->port);
	/* Release + Release.gpg found after InRelease's 404. */
	publish(NULL, "detached");
	assert_int_equal(aptrepo_release_fetch(&r, url, "s", fx.keyring,
	                                       (long long)time(NULL), &e),
	                 SL_OK);
	assert_int_equal(aptrepo_packages_fetch(&buf, &len, NULL, url, "s", r,
	                                        "main", "amd64", &e),
	                 SL_OK);
	assert_int_equal(len, strlen(packages));
	free(buf);
	aptrepo_release_free(r);
	/* The archive goes away. */
	MHD_stop_daemon(d);
	assert_int_equal(aptrepo_release_fetch(&r, url, "s", fx.keyring,
	                                       (long long)time(NULL), &e),
	                 SL_ENET);
	assert_non_null(strstr(e.msg, "127.0.0.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_good_inline, setup),
	        cmocka_unit_test_setup(test_only_signed_content_read, setup),
	        cmocka_unit_test_setup(test_other_suite, setup),
	        cmocka_unit_test_setup(test_good_detached, setup),
	        cmocka_unit_test_setup(test_tampered, setup),
	        cmocka_unit_test_setup(test_wrong_key, setup),
	        cmocka_unit_test_setup(test_expired, setup),
	        cmocka_unit_test_setup(test_unsigned, setup),
	        cmocka_unit_test_setup(test_index_mismatch_and_truncated,
	                               setup),
	        cmocka_unit_test_setup(test_by_hash, setup),
	        cmocka_unit_test_setup(test_http, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
