/*
 * Unit tests for sluiced's config: the defaults of the option table, INI
 * files (every option, unknown keys, bad values with file:line), flag-style
 * setters, derived paths, trusted key loading and the dump.
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

#include "config.h"
#include "hash.h"
#include "log.h"
#include "sign.h"

static char tmp[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-config.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	assert_int_equal(hash_global_init(NULL), SL_OK);
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
write_file(char *path, size_t n, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, n, "%s/%s", tmp, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_defaults(void **state)
{
	struct server_config c;
	struct err e;

	(void)state;
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_string_equal(c.listen_addr, "127.0.0.1");
	assert_int_equal(c.port, 8530);
	assert_string_equal(c.data_dir, "/var/lib/sluice");
	assert_null(c.public_url);
	assert_int_equal(c.threads, 0);
	assert_null(c.upstream_url);
	assert_int_equal(c.syncs_per_day, 4);
	assert_null(c.products);
	assert_null(c.classifications);
	assert_int_equal(c.storage_mode, STORAGE_NONE);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_string_equal(c.db_path, "/var/lib/sluice/sluice.db");
	assert_string_equal(c.content_dir, "/var/lib/sluice/content");
	/* threads 0: one per core, at least 2 */
	assert_int_equal(c.http_threads,
	                 sysconf(_SC_NPROCESSORS_ONLN) < 2
	                         ? 2
	                         : sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(c.trusted_keys.n, 0);
	config_free(&c);
	config_free(&c); /* zeroed: a second free is harmless */
	config_free(NULL);
}

static void
test_full_file(void **state)
{
	struct server_config c;
	struct sign_key k;
	char key[256], ini[256], text[1024];
	struct err e;

	(void)state;
	assert_int_equal(sign_key_generate(&k, &e), SL_OK);
	snprintf(key, sizeof(key), "%s/origin.pub", tmp);
	assert_int_equal(sign_key_save(&k, NULL, key, &e), SL_OK);
	snprintf(text, sizeof(text),
	         "; comment\n[server]\nlisten = 0.0.0.0:9000\n"
	         "data = %s/data\npublic_url = http://updates.example:9000\n"
	         "threads = 8\n\n[upstream]\nurl = file://%s/public\n"
	         "trusted_keys = %s , %s\nsyncs_per_day = 0\n"
	         "products = Debian 12 / openssl,  Product B ,\n"
	         "classifications = security\n[storage]\nmode = "
	         "on-approval\n",
	         tmp, tmp, key, key);
	write_file(ini, sizeof(ini), "s.ini", text);
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_load_file(&c, ini, &e), SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_string_equal(c.listen_addr, "0.0.0.0");
	assert_int_equal(c.port, 9000);
	assert_string_equal(c.public_url, "http://updates.example:9000");
	assert_int_equal(c.threads, 8);
	assert_int_equal(c.http_threads, 8);
	assert_int_equal(c.syncs_per_day, 0);
	assert_string_equal(c.products[0], "Debian 12 / openssl");
	assert_string_equal(c.products[1], "Product B");
	assert_null(c.products[2]);
	assert_string_equal(c.classifications[0], "security");
	assert_null(c.classifications[1]);
	assert_int_equal(c.storage_mode, STORAGE_ON_APPROVAL);
	assert_int_equal(c.trusted_keys.n, 2);
	assert_string_equal(c.trusted_keys.keys[0].keyid, k.keyid);

	/* Flags override the file. */
	assert_int_equal(config_set_listen(&c, "127.0.0.1:8531", &e), SL_OK);
	assert_int_equal(c.port, 8531);
	assert_int_equal(config_set(&c, "server", "data", "/srv/x", &e), SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_string_equal(c.db_path, "/srv/x/sluice.db");

	/* The dump is itself a valid configuration that reads back. */
	{
		char dump[256];
		struct server_config c2;
		FILE *f;

		snprintf(dump, sizeof(dump), "%s/dump.ini", tmp);
		assert_non_null(f = fopen(dump, "w"));
		config_dump(&c, f);
		fclose(f);
		assert_int_equal(config_defaults(&c2, &e), SL_OK);
		assert_int_equal(config_load_file(&c2, dump, &e), SL_OK);
		assert_int_equal(config_finish(&c2, &e), SL_OK);
		assert_int_equal(c2.port, 8531);
		assert_string_equal(c2.products[1], "Product B");
		assert_int_equal(c2.storage_mode, STORAGE_ON_APPROVAL);
		assert_int_equal(c2.trusted_keys.n, 2);
		config_free(&c2);
	}
	config_free(&c);
}

/* Load text as a config file and expect code + message. */
static void
expect_load(const char *text, int code, const char *msg_suffix)
{
	struct server_config c;
	char ini[256];
	struct err e;
	size_t ls, lm;

	write_file(ini, sizeof(ini), "bad.ini", text);
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_load_file(&c, ini, &e), code);
	ls = strlen(msg_suffix);
	lm = strlen(e.msg);
	if (lm < ls || strcmp(e.msg + lm - ls, msg_suffix) != 0 ||
	    strncmp(e.msg, ini, strlen(ini)) != 0)
		fail_msg("message '%s' does not end with '%s'", e.msg,
		         msg_suffix);
	config_free(&c);
}

static void
test_bad_files(void **state)
{
	struct server_config c;
	struct err e;

	(void)state;
	expect_load("[server]\nbogus = 1\n", SL_EINVAL,
	            ":2: unknown option server.bogus");
	expect_load(
	        "[server]\nthreads = 257\n", SL_EINVAL,
	        ":2: server.threads = '257': expected an integer in 0..256");
	expect_load("[server]\nthreads = 4x\n", SL_EINVAL,
	            ":2: server.threads = '4x': expected an integer in "
	            "0..256");
	expect_load("[upstream]\nsyncs_per_day = 1441\n", SL_EINVAL,
	            ":2: upstream.syncs_per_day = '1441': expected an "
	            "integer in 0..1440");
	expect_load("\n[storage]\nmode = sometimes\n", SL_EINVAL,
	            ":3: storage.mode: storage mode 'sometimes': expected "
	            "none, full or on-approval");
	expect_load("[server]\nlisten = 127.0.0.1\n", SL_EINVAL,
	            ":2: listen '127.0.0.1': expected ADDR:PORT");
	expect_load("[server]\nlisten = 127.0.0.1:70000\n", SL_EINVAL,
	            ":2: listen: port '70000': expected 1..65535");
	expect_load("[server\nlisten = 127.0.0.1:1\n", SL_EPARSE,
	            ":1: syntax error");

	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_load_file(&c, "/nonexistent/s.ini", &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg,
	                    "/nonexistent/s.ini: No such file or directory");
	config_free(&c);
}

static void
test_finish_checks(void **state)
{
	struct server_config c;
	struct err e;

	(void)state;
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_set(&c, "upstream", "url", "ftp://x", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.url 'ftp://x': expected file://, "
	                           "http:// or https://");
	assert_int_equal(
	        config_set(&c, "upstream", "url", "file:///srv/c/public", &e),
	        SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.trusted_root (or trusted_keys) "
	                           "must name at least one key when "
	                           "upstream.url is set");
	assert_int_equal(config_set(&c, "upstream", "trusted_keys",
	                            "/nonexistent/k.pub", &e),
	                 SL_OK);
	assert_int_not_equal(config_finish(&c, &e), SL_OK);
	assert_non_null(strstr(e.msg, "upstream.trusted_keys: "));
	assert_int_equal(config_set(&c, "server", "public_url", "ftp://h", &e),
	                 SL_OK);
	assert_int_equal(config_set(&c, "upstream", "url", "", &e), SL_OK);
	assert_int_equal(config_set(&c, "upstream", "trusted_keys", "", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "server.public_url 'ftp://h': expected "
	                           "http:// or https://");
	assert_int_equal(config_set(&c, "nope", "x", "1", &e), SL_EINVAL);
	assert_string_equal(e.msg, "unknown option nope.x");
	config_free(&c);
}

/* [database] url: a PostgreSQL URL becomes the database target; the dump
 * shows it without password or parameters; anything else is refused
 * without being echoed. */
static void
test_database_url(void **state)
{
	struct server_config c;
	char ini[256], dump[256], text[2048];
	size_t n;
	FILE *f;
	struct err e;

	(void)state;
	write_file(ini, sizeof(ini), "db.ini",
	           "[server]\ndata = /srv/s\n[database]\nurl = "
	           "postgresql://sluice:pw1@db.example:5433/sluice"
	           "?sslmode=require\n");
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_load_file(&c, ini, &e), SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_string_equal(c.db_path, "postgresql://sluice:pw1@db.example:5433"
	                               "/sluice?sslmode=require");
	assert_string_equal(c.content_dir, "/srv/s/content");
	snprintf(dump, sizeof(dump), "%s/dump.ini", tmp);
	assert_non_null(f = fopen(dump, "w"));
	config_dump(&c, f);
	fclose(f);
	assert_non_null(f = fopen(dump, "r"));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_null(strstr(text, "pw1"));
	assert_non_null(strstr(text, "[database]\n# PostgreSQL database "));
	assert_non_null(strstr(text, "\nurl = postgresql://sluice@db.example:"
	                             "5433/sluice ; password and parameters "
	                             "not shown\n"));

	/* The flag's way in; SQLite again when emptied. */
	assert_int_equal(
	        config_set(&c, "database", "url", "postgres://h/db", &e),
	        SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_string_equal(c.db_path, "postgres://h/db");
	/* A shared port: front-ends of PostgreSQL only. */
	assert_false(c.reuse_port_on);
	assert_int_equal(config_set(&c, "server", "reuse_port", "on", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_true(c.reuse_port_on);
	assert_int_equal(config_set(&c, "database", "url", "", &e), SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg,
	                    "server.reuse_port: needs database.url (only "
	                    "front-ends of one PostgreSQL database may "
	                    "share a port)");
	assert_int_equal(config_set(&c, "server", "reuse_port", "yes", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "server.reuse_port: expected on or off");
	assert_int_equal(config_set(&c, "server", "reuse_port", "off", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_string_equal(c.db_path, "/srv/s/sluice.db");
	assert_int_equal(
	        config_set(&c, "database", "url", "mysql://root:pw2@h/db", &e),
	        SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "database.url: expected a postgresql:// URL "
	                           "(empty: the SQLite file DATA/sluice.db)");
	config_free(&c);
}

static void
test_storage_names(void **state)
{
	enum storage_mode m;
	struct err e;

	(void)state;
	assert_int_equal(config_storage_parse(&m, "full", &e), SL_OK);
	assert_int_equal(m, STORAGE_FULL);
	assert_string_equal(config_storage_name(m), "full");
	assert_int_equal(config_storage_parse(&m, "on-approval", &e), SL_OK);
	assert_string_equal(config_storage_name(m), "on-approval");
	assert_int_equal(config_storage_parse(&m, "none", &e), SL_OK);
	assert_string_equal(config_storage_name(m), "none");
	assert_int_equal(config_storage_parse(&m, "Full", &e), SL_EINVAL);
	assert_string_equal(e.msg, "storage mode 'Full': expected none, full "
	                           "or on-approval");
}

/* The template (the packaged sluiced.conf) names every option with its
 * default: uncommented, it loads and gives exactly the defaults. */
static void
test_template(void **state)
{
	struct server_config d, c;
	char *tpl = NULL, *a = NULL, *b = NULL, ini[256];
	size_t n = 0, na = 0, nb = 0;
	struct err e;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&tpl, &n));
	config_template(f);
	fclose(f);
	assert_non_null(strstr(tpl, "[server]\n# address and port to listen "
	                            "on\n#listen = 127.0.0.1:8530\n"));
	assert_non_null(strstr(tpl, "\n#public_url =\n"));
	assert_non_null(strstr(tpl, "[storage]\n# none | full | on-approval\n"
	                            "#mode = none\n"));
	/* uncomment every "#name =" line (inih reads an indented line as
	 * the previous value's continuation: drop the '#') */
	for (char *p = tpl; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] >= 'a' && p[2] <= 'z')
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
	write_file(ini, sizeof(ini), "template.ini", tpl);
	assert_int_equal(config_defaults(&d, &e), SL_OK);
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_set(&c, "server", "threads", "9", &e), SL_OK);
	assert_int_equal(config_load_file(&c, ini, &e), SL_OK);
	assert_non_null(f = open_memstream(&a, &na));
	config_dump(&d, f);
	fclose(f);
	assert_non_null(f = open_memstream(&b, &nb));
	config_dump(&c, f);
	fclose(f);
	assert_string_equal(a, b);
	config_free(&d);
	config_free(&c);
	free(tpl);
	free(a);
	free(b);
}

struct changes {
	char text[512];
};

static void
note(const char *section, const char *name, bool applied, void *arg)
{
	struct changes *c = arg;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s.%s:%s ", section,
	         name, applied ? "applied" : "restart");
}

/* SIGHUP's comparison: [log] options move into the running config, the
 * others are reported as needing a restart and keep their running value;
 * bad [log] values and [metrics] listen are refused with the option's
 * name. */
static void
test_reload(void **state)
{
	struct server_config cur, next;
	struct changes c = {{0}};
	struct err e;

	(void)state;
	assert_int_equal(config_defaults(&cur, &e), SL_OK);
	assert_int_equal(config_finish(&cur, &e), SL_OK);
	assert_int_equal(cur.log_level, LOG_LVL_INFO);
	assert_int_equal(cur.access_level, LOG_LVL_INFO);
	assert_null(cur.log_file);
	assert_int_equal(config_defaults(&next, &e), SL_OK);
	assert_int_equal(config_reload(&cur, &next, note, &c), 0);
	assert_int_equal(config_set(&next, "log", "level", "debug", &e), SL_OK);
	assert_int_equal(config_set(&next, "log", "access", "off", &e), SL_OK);
	assert_int_equal(config_set(&next, "log", "file", "/tmp/x.log", &e),
	                 SL_OK);
	assert_int_equal(config_set(&next, "server", "threads", "9", &e),
	                 SL_OK);
	assert_int_equal(config_set(&next, "upstream", "products", "a,b", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&next, &e), SL_OK);
	assert_int_equal(config_reload(&cur, &next, note, &c), 5);
	assert_string_equal(c.text, "server.threads:restart "
	                            "upstream.products:restart "
	                            "log.level:applied log.access:applied "
	                            "log.file:applied ");
	assert_int_equal(cur.log_level, LOG_LVL_DEBUG);
	assert_int_equal(cur.access_level, CONFIG_LEVEL_OFF);
	assert_string_equal(cur.log_file, "/tmp/x.log");
	assert_int_equal(cur.threads, 0);
	assert_null(cur.products);
	config_free(&next);

	assert_int_equal(config_defaults(&next, &e), SL_OK);
	assert_int_equal(config_set(&next, "log", "level", "off", &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "log.level = 'off': expected debug, info, "
	                           "warn or error");
	assert_int_equal(config_set(&next, "log", "access", "loud", &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "log.access = 'loud': expected debug, "
	                           "info, warn or error or off");
	assert_int_equal(config_set(&next, "metrics", "listen", "nope", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&next, &e), SL_EINVAL);
	assert_string_equal(e.msg, "metrics.listen 'nope': expected ADDR:PORT");
	assert_int_equal(
	        config_set(&next, "metrics", "listen", "127.0.0.1:9530", &e),
	        SL_OK);
	assert_int_equal(config_finish(&next, &e), SL_OK);
	assert_string_equal(next.metrics_addr, "127.0.0.1");
	assert_int_equal(next.metrics_port, 9530);
	config_free(&next);
	config_free(&cur);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_full_file, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_bad_files, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_finish_checks, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_database_url, setup,
	                                        teardown),
	        cmocka_unit_test(test_storage_names),
	        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_template, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
