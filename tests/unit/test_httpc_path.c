/*
 * Unit tests for httpc_path: a file:// GET read directly answers what the
 * curl transfer answers (body, a missing file, over the cap), the URLs it
 * leaves to curl, and plain relative paths joined to the base's directory
 * giving what httpc_resolve() gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsx.h"
#include "httpc.h"
#include "httpc_path.h"

static char tmp[64];

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sl-httpc-path-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	assert_int_equal(httpc_global_init(&e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_file_get(void **state)
{
	struct httpc_resp r = {0}, c = {0};
	char path[128], url[160];
	struct err e;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/doc.json", tmp);
	assert_int_equal(fsx_write_atomic(path, "{\"a\":1}", 7, 0644, &e),
	                 SL_OK);
	snprintf(url, sizeof(url), "file://%s", path);
	assert_true(httpc_path_file_get(&rc, &r, url, 100, &e));
	assert_int_equal(rc, SL_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 7);
	assert_string_equal(r.body, "{\"a\":1}");
	httpc_resp_free(&r);
	/* At the cap exactly, and one byte over it. */
	assert_true(httpc_path_file_get(&rc, &r, url, 7, &e));
	assert_int_equal(rc, SL_OK);
	httpc_resp_free(&r);
	assert_true(httpc_path_file_get(&rc, &r, url, 6, &e));
	assert_int_equal(rc, SL_ETOOBIG);
	assert_null(r.body);
	assert_non_null(strstr(e.msg, ": response body over the limit of 6 "
	                              "bytes"));
	/* httpc_get() (which takes this path) answers alike. */
	assert_int_equal(httpc_get(&c, url, 100, NULL, &e), SL_OK);
	assert_int_equal(c.status, 200);
	assert_string_equal(c.body, "{\"a\":1}");
	httpc_resp_free(&c);
	snprintf(url, sizeof(url), "file://localhost%s", path);
	assert_true(httpc_path_file_get(&rc, &r, url, 100, &e));
	assert_int_equal(rc, SL_OK);
	assert_string_equal(r.body, "{\"a\":1}");
	httpc_resp_free(&r);
}

static void
test_file_missing(void **state)
{
	struct httpc_resp r = {0};
	char url[160], msg[512];
	struct err e;
	int rc;

	(void)state;
	snprintf(url, sizeof(url), "file://%s/none.json", tmp);
	assert_true(httpc_path_file_get(&rc, &r, url, 100, &e));
	assert_int_equal(rc, SL_ENOTFOUND);
	snprintf(msg, sizeof(msg), "GET %s: Couldn't open file %s/none.json",
	         url, tmp);
	assert_string_equal(e.msg, msg);
	assert_int_equal(httpc_get(&r, url, 100, NULL, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, msg);
}

/* What needs decoding or normalising, a directory, other schemes: left
 * to curl, nothing done. */
static void
test_file_left_to_curl(void **state)
{
	struct httpc_resp r = {0};
	char url[160];
	struct err e;
	int rc = 12345;
	const char *tails[] = {"/a%20b",  "/a?x=1",   "/a#f", "/./a",
	                       "/x/../a", "/.hidden", "/a b"};

	(void)state;
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(url, sizeof(url), "file://%s%s", tmp, tails[i]);
		assert_false(httpc_path_file_get(&rc, &r, url, 100, &e));
	}
	snprintf(url, sizeof(url), "file://%s", tmp);
	assert_false(httpc_path_file_get(&rc, &r, url, 100, &e));
	assert_false(
	        httpc_path_file_get(&rc, &r, "http://127.0.0.1:1/x", 100, &e));
	assert_false(httpc_path_file_get(&rc, &r, "file://host/x", 100, &e));
	assert_int_equal(rc, 12345);
	assert_null(r.body);
}

static void
test_join(void **state)
{
	static const char *const bases[] = {
	        "file:///srv/origin/public/index.json",
	        "http://h.example:8080/cat/index.json?x=1#f",
	        "https://h.example/index.json",
	        "http://h.example/a/./b/../index.json",
	};
	static const char *const refs[] = {
	        "updates/0b8f5a52/1.json",
	        "content/ab/ab12",
	        "a~b_c-d.e",
	        "../x",
	        "./x",
	        "a/./b",
	        "a/../b",
	        "/abs",
	        "a?b",
	        "a#b",
	        "a%20b",
	        "a b",
	        "http://other/x",
	        "",
	        "..",
	        "x/..",
	};
	struct err e;
	char *got;

	(void)state;
	assert_int_equal(httpc_global_init(&e), SL_OK);
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		char *dir = httpc_path_dir(bases[b]);

		assert_non_null(dir);
		assert_int_equal(dir[strlen(dir) - 1], '/');
		for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
			char *want = httpc_resolve(bases[b], refs[i]);

			got = httpc_path_join(dir, bases[b], refs[i]);
			if (want == NULL) {
				assert_null(got);
				continue;
			}
			if (got == NULL || strcmp(got, want) != 0)
				fail_msg("%s + %s: %s, not %s", bases[b],
				         refs[i], got ? got : "NULL", want);
			free(want);
			free(got);
		}
		free(dir);
	}
	got = httpc_path_dir("file:///srv/origin/public/index.json");
	assert_string_equal(got, "file:///srv/origin/public/");
	free(got);
	/* Without a directory every path takes the long way. */
	got = httpc_path_join(NULL, bases[0], "updates/x.json");
	assert_string_equal(got, "file:///srv/origin/public/updates/x.json");
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_file_get, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_file_missing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_file_left_to_curl, setup,
	                                        teardown),
	        cmocka_unit_test(test_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
