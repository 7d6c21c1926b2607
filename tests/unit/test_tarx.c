/* Unit tests for tarx: round trip, and the extractor's refusals (unsafe
 * names, links, truncation, limits, the caller's name check). */
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
#include "tarx.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_tarx.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void
test_round_trip(void **state)
{
	struct tarx_writer *w;
	char tar[128], src[128], out[128], got[200], *text;
	struct err e;
	size_t n, len;

	(void)state;
	path(tar, sizeof(tar), "a.tar");
	path(src, sizeof(src), "src.bin");
	assert_int_equal(fsx_write_atomic(src, "0123456789", 10, 0644, &e),
	                 SL_OK);
	assert_int_equal(tarx_writer_open(&w, tar, &e), SL_OK);
	assert_int_equal(tarx_add_bytes(w, "index.json", "{}", 2, &e), SL_OK);
	assert_int_equal(tarx_add_file(w, "content/ab/file", src, &e), SL_OK);
	assert_int_equal(tarx_writer_finish(w, &e), SL_OK);
	tarx_writer_free(w);
	path(out, sizeof(out), "out");
	assert_int_equal(fsx_mkdirs(out, 0755, &e), SL_OK);
	assert_int_equal(tarx_extract(tar, out, NULL, NULL, NULL, &n, &e),
	                 SL_OK);
	assert_int_equal(n, 2);
	snprintf(got, sizeof(got), "%s/content/ab/file", out);
	assert_int_equal(fsx_read(got, 100, &text, &len, &e), SL_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(text, "0123456789", 10);
	free(text);
	/* The system's tar reads it too. */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "tar tf %s >/dev/null 2>&1", tar);
	assert_int_equal(system(cmd), 0);
}

static void
test_name_too_long(void **state)
{
	struct tarx_writer *w;
	char tar[128], name[120];
	struct err e;

	(void)state;
	path(tar, sizeof(tar), "long.tar");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(tarx_writer_open(&w, tar, &e), SL_OK);
	assert_int_equal(tarx_add_bytes(w, name, "", 0, &e), SL_EINVAL);
	assert_non_null(strstr(e.msg, "1 to 100 bytes"));
	tarx_writer_free(w);
}

/* An archive made by the system's tar with the member names given. */
static void
system_tar(const char *tar, const char *member, const char *how)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd),
	         "cd %s && rm -rf m && mkdir -p m && cd m && %s && "
	         "tar --format=ustar -cf %s %s 2>/dev/null",
	         dir, how, tar, member);
	assert_int_equal(system(cmd), 0);
}

static void
test_refuses_dotdot_and_links(void **state)
{
	char tar[128], out[128];
	struct err e;

	(void)state;
	path(out, sizeof(out), "x");
	assert_int_equal(fsx_mkdirs(out, 0755, &e), SL_OK);
	path(tar, sizeof(tar), "dots.tar");
	system_tar(tar, "--transform=s,^,../, evil", "echo hi > evil");
	assert_int_equal(tarx_extract(tar, out, NULL, NULL, NULL, NULL, &e),
	                 SL_EINVAL);
	assert_non_null(strstr(e.msg, "member '../evil': unsafe name"));
	path(tar, sizeof(tar), "link.tar");
	system_tar(tar, "l", "ln -s /etc/passwd l");
	assert_int_equal(tarx_extract(tar, out, NULL, NULL, NULL, NULL, &e),
	                 SL_EUNSUPPORTED);
	assert_non_null(strstr(e.msg, "member 'l': type '2'"));
}

static int
only_index(void *arg, const char *name, struct err *e)
{
	(void)arg;
	return strcmp(name, "index.json") == 0
	               ? SL_OK
	               : err_set(e, SL_EINVAL, "not expected here");
}

static void
test_check_limits_truncation(void **state)
{
	struct tarx_writer *w;
	struct tarx_limits lim = {.max_member = 4};
	char tar[128], out[128], cmd[300];
	struct err e;

	(void)state;
	path(out, sizeof(out), "y");
	assert_int_equal(fsx_mkdirs(out, 0755, &e), SL_OK);
	path(tar, sizeof(tar), "c.tar");
	assert_int_equal(tarx_writer_open(&w, tar, &e), SL_OK);
	assert_int_equal(tarx_add_bytes(w, "other", "12345", 5, &e), SL_OK);
	assert_int_equal(tarx_writer_finish(w, &e), SL_OK);
	tarx_writer_free(w);
	assert_int_equal(
	        tarx_extract(tar, out, NULL, only_index, NULL, NULL, &e),
	        SL_EINVAL);
	assert_non_null(strstr(e.msg, "member 'other': not expected here"));
	assert_int_equal(tarx_extract(tar, out, &lim, NULL, NULL, NULL, &e),
	                 SL_ETOOBIG);
	assert_non_null(strstr(e.msg, "over the archive's limits"));
	/* Cut inside the member's data. */
	snprintf(cmd, sizeof(cmd), "truncate -s 514 %s", tar);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tarx_extract(tar, out, NULL, NULL, NULL, NULL, &e),
	                 SL_EPARSE);
	assert_non_null(strstr(e.msg, "member 'other': truncated"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_name_too_long),
	        cmocka_unit_test(test_refuses_dotdot_and_links),
	        cmocka_unit_test(test_check_limits_truncation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
