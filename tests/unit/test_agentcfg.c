/* Unit tests for agentcfg: defaults, the INI file, flags as options,
 * errors naming file and line, trusted keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentcfg.h"
#include "fsx.h"
#include "sign.h"

static char dir[64];

static void
put(const char *name, const char *text, char *path, size_t n)
{
	struct err e;

	snprintf(path, n, "%s/%s", dir, name);
	assert_int_equal(fsx_write_atomic(path, text, strlen(text), 0644, &e),
	                 SL_OK);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sluice-agentcfg-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
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
test_defaults(void **state)
{
	struct agentcfg c;
	struct err e;

	(void)state;
	assert_int_equal(agentcfg_init(&c, &e), SL_OK);
	assert_string_equal(c.server, "http://127.0.0.1:8530");
	assert_string_equal(c.state_dir, "/var/lib/sluice-agent");
	assert_string_equal(c.root, "/");
	assert_int_equal(c.detect_interval_hours, 22);
	assert_int_equal(c.install_hour, 3);
	assert_int_equal(c.install_minute, 0);
	assert_int_equal(c.bandwidth_limit, 0);
	assert_int_equal(c.install_timeout, 3600);
	assert_null(c.groups[0]);
	agentcfg_free(&c);
	agentcfg_free(&c); /* freeing twice is harmless */
}

static void
test_file_and_flags(void **state)
{
	char path[128];
	struct agentcfg c;
	struct err e;

	(void)state;
	put("a.conf",
	    "; comment\n[agent]\nserver = https://updates.example.org/\n"
	    "groups = web, db ,\ninstall_time = 22:45\n"
	    "bandwidth_limit = 500000\ndetect_interval_hours = 4\n",
	    path, sizeof(path));
	assert_int_equal(agentcfg_init(&c, &e), SL_OK);
	assert_int_equal(agentcfg_load(&c, path, &e), SL_OK);
	/* The trailing slash of a base URL is dropped. */
	assert_string_equal(c.server, "https://updates.example.org");
	assert_string_equal(c.groups[0], "web");
	assert_string_equal(c.groups[1], "db");
	assert_null(c.groups[2]);
	assert_int_equal(c.install_hour, 22);
	assert_int_equal(c.install_minute, 45);
	assert_int_equal(c.bandwidth_limit, 500000);
	assert_int_equal(c.detect_interval_hours, 4);
	/* Flags go through the same table. */
	assert_int_equal(agentcfg_set(&c, "root", "/srv/test-root", &e), SL_OK);
	assert_string_equal(c.root, "/srv/test-root");
	agentcfg_free(&c);
}

static void
test_errors(void **state)
{
	char path[128], want[256];
	struct agentcfg c;
	struct err e;

	(void)state;
	assert_int_equal(agentcfg_init(&c, &e), SL_OK);
	put("b.conf", "[agent]\nserver = ftp://x\n", path, sizeof(path));
	assert_int_equal(agentcfg_load(&c, path, &e), SL_EINVAL);
	snprintf(want, sizeof(want),
	         "%s:2: server: expected an http(s) URL, got \"ftp://x\"",
	         path);
	assert_string_equal(e.msg, want);

	put("c.conf", "[agent]\n\ninstall_time = 3:00\n", path, sizeof(path));
	assert_int_equal(agentcfg_load(&c, path, &e), SL_EINVAL);
	snprintf(want, sizeof(want),
	         "%s:3: install_time: expected HH:MM, got \"3:00\"", path);
	assert_string_equal(e.msg, want);

	put("d.conf", "[server]\nx = 1\n", path, sizeof(path));
	assert_int_equal(agentcfg_load(&c, path, &e), SL_EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown section [server]", path);
	assert_string_equal(e.msg, want);

	put("e.conf", "[agent]\ndetect_interval_hours = 0\n", path,
	    sizeof(path));
	assert_int_equal(agentcfg_load(&c, path, &e), SL_EINVAL);
	snprintf(want, sizeof(want),
	         "%s:2: detect_interval_hours: expected an integer in "
	         "1..720, got \"0\"",
	         path);
	assert_string_equal(e.msg, want);

	assert_int_equal(agentcfg_set(&c, "colour", "blue", &e), SL_EINVAL);
	assert_string_equal(e.msg, "unknown option \"colour\"");
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_int_equal(agentcfg_load(&c, path, &e), SL_ENOTFOUND);
	agentcfg_free(&c);
}

static void
test_keys(void **state)
{
	char pub[128], list[300];
	struct sign_key k;
	struct agentcfg c;
	struct err e;

	(void)state;
	assert_int_equal(agentcfg_init(&c, &e), SL_OK);
	snprintf(pub, sizeof(pub), "%s/origin.pub", dir);
	assert_int_equal(sign_key_generate(&k, &e), SL_OK);
	assert_int_equal(sign_key_save(&k, NULL, pub, &e), SL_OK);
	snprintf(list, sizeof(list), "%s, %s/none.pub", pub, dir);
	assert_int_equal(agentcfg_set(&c, "trusted_keys", list, &e), SL_OK);
	assert_int_not_equal(agentcfg_finish(&c, &e), SL_OK);
	assert_non_null(strstr(e.msg, "trusted_keys: "));
	assert_int_equal(agentcfg_set(&c, "trusted_keys", pub, &e), SL_OK);
	assert_int_equal(agentcfg_finish(&c, &e), SL_OK);
	assert_int_equal(c.keyring.n, 1);
	assert_string_equal(c.keyring.keys[0].keyid, k.keyid);
	assert_int_equal(agentcfg_set(&c, "trusted_keys", "", &e), SL_OK);
	assert_int_equal(agentcfg_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "trusted_keys: no key configured (name the "
	                           "origin's root.pub in trusted_root, or its "
	                           "signing key in trusted_keys)");
	/* A root key alone: the signing keys come from its key list. */
	assert_int_equal(agentcfg_set(&c, "trusted_root", pub, &e), SL_OK);
	assert_int_equal(agentcfg_finish(&c, &e), SL_OK);
	assert_int_equal(c.root_keys.n, 1);
	assert_int_equal(c.keyring.n, 0);
	snprintf(list, sizeof(list), "%s/none.pub", dir);
	assert_int_equal(agentcfg_set(&c, "trusted_root", list, &e), SL_OK);
	assert_int_equal(agentcfg_finish(&c, &e), SL_ENOTFOUND);
	assert_non_null(strstr(e.msg, "trusted_root: "));
	agentcfg_free(&c);
}

/* The template (the packaged agent.conf) names every option with its
 * default: uncommented, it loads and gives exactly the defaults. */
static void
test_template(void **state)
{
	struct agentcfg d, c;
	char *tpl = NULL, *a = NULL, *b = NULL, path[128];
	size_t n = 0, na = 0, nb = 0;
	struct err e;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&tpl, &n));
	agentcfg_template(f);
	fclose(f);
	assert_non_null(strstr(tpl, "\n[agent]\n# base URL of the sluiced\n"
	                            "#server = http://127.0.0.1:8530\n"));
	assert_non_null(strstr(tpl, "\n#groups =\n"));
	/* uncomment every "#name =" line (inih reads an indented line as
	 * the previous value's continuation: drop the '#') */
	for (char *p = tpl; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] >= 'a' && p[2] <= 'z')
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
	put("template.conf", tpl, path, sizeof(path));
	assert_int_equal(agentcfg_init(&d, &e), SL_OK);
	assert_int_equal(agentcfg_init(&c, &e), SL_OK);
	assert_int_equal(agentcfg_set(&c, "install_time", "04:30", &e), SL_OK);
	assert_int_equal(agentcfg_load(&c, path, &e), SL_OK);
	assert_int_equal(c.install_hour, 3);
	assert_non_null(f = open_memstream(&a, &na));
	agentcfg_dump(&d, f);
	fclose(f);
	assert_non_null(f = open_memstream(&b, &nb));
	agentcfg_dump(&c, f);
	fclose(f);
	assert_string_equal(a, b);
	agentcfg_free(&d);
	agentcfg_free(&c);
	free(tpl);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_file_and_flags),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_template),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
