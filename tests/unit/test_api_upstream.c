/*
 * Unit tests for the server hierarchy's local rules: which administration
 * routes a replica refuses (over the real route table) and the [upstream]
 * kind/mode/token configuration they depend on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "hash.h"

static void
replica_config(struct server_config *c, const char *kind, const char *mode)
{
	struct err e;

	assert_int_equal(config_defaults(c, &e), SL_OK);
	assert_int_equal(config_set(c, "server", "data", "/tmp/x", &e), SL_OK);
	assert_int_equal(
	        config_set(c, "upstream", "url", "http://root:8530", &e),
	        SL_OK);
	assert_int_equal(config_set(c, "upstream", "kind", kind, &e), SL_OK);
	assert_int_equal(config_set(c, "upstream", "mode", mode, &e), SL_OK);
	assert_int_equal(config_set(c, "upstream", "token", "abc", &e), SL_OK);
}

/* Whether the route must be refused on a replica. */
static int
expect_refused(const struct route *rt)
{
	static const char *const ro[] = {
	        "POST /v1/admin/groups",
	        "PUT /v1/admin/groups/*",
	        "DELETE /v1/admin/groups/*",
	        "POST /v1/admin/approvals",
	        "POST /v1/admin/rules",
	        "POST /v1/admin/rules/run",
	        "DELETE /v1/admin/rules/*",
	        "POST /v1/admin/updates/*/decline",
	        "POST /v1/admin/updates/decline-superseded",
	        NULL,
	};
	char key[256];

	snprintf(key, sizeof(key), "%s %s", rt->method, rt->pattern);
	for (size_t i = 0; ro[i] != NULL; i++)
		if (strcmp(key, ro[i]) == 0)
			return 1;
	return 0;
}

static void
test_replica_refuses(void **state)
{
	struct server_config c;
	struct http_env env = {.cfg = &c};
	struct req r = {.env = &env};
	size_t refused = 0;
	struct err e;
	int rc;

	(void)state;
	replica_config(&c, "sluiced", "replica");
	/* Kind and mode are parsed before the (missing) keys are checked. */
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_int_equal(c.upstream_kind, UPSTREAM_SLUICED);
	assert_int_equal(c.upstream_mode, UPSTREAM_REPLICA);
	for (size_t i = 0; i < n_routes; i++) {
		err_clear(&e);
		rc = routes_replica_refuse(&r, &routes[i], &e);
		if (expect_refused(&routes[i])) {
			refused++;
			assert_int_equal(rc, SL_ECONFLICT);
			assert_string_equal(e.msg,
			                    "this server is a replica of "
			                    "http://root:8530: change groups "
			                    "and approvals there");
		} else {
			/* Reading, syncing, moving computers, tokens,
			 * settings, downstream servers stay local. */
			assert_int_equal(rc, SL_OK);
		}
	}
	/* The table has at least the contract's two modifying routes. */
	assert_true(refused >= 2);
	config_free(&c);
}

static void
test_autonomous_and_catalog_refuse_nothing(void **state)
{
	static const char *const kinds[][2] = {{"sluiced", "autonomous"},
	                                       {"catalog", "replica"}};
	struct server_config c;
	struct http_env env = {.cfg = &c};
	struct req r = {.env = &env};
	struct err e;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		replica_config(&c, kinds[k][0], kinds[k][1]);
		assert_int_equal(config_finish(&c, &e), SL_EINVAL); /* keys */
		c.upstream_kind = strcmp(kinds[k][0], "sluiced") == 0
		                          ? UPSTREAM_SLUICED
		                          : UPSTREAM_CATALOG;
		c.upstream_mode = strcmp(kinds[k][1], "replica") == 0
		                          ? UPSTREAM_REPLICA
		                          : UPSTREAM_AUTONOMOUS;
		for (size_t i = 0; i < n_routes; i++)
			assert_int_equal(
			        routes_replica_refuse(&r, &routes[i], &e),
			        SL_OK);
		config_free(&c);
	}
}

static void
test_upstream_config(void **state)
{
	struct server_config c;
	struct err e;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	/* Defaults: a catalog origin, autonomous. */
	assert_int_equal(config_defaults(&c, &e), SL_OK);
	assert_int_equal(config_set(&c, "server", "data", "/tmp/x", &e), SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_OK);
	assert_int_equal(c.upstream_kind, UPSTREAM_CATALOG);
	assert_int_equal(c.upstream_mode, UPSTREAM_AUTONOMOUS);
	assert_null(c.upstream_token);

	assert_int_equal(config_set(&c, "upstream", "kind", "ftp", &e), SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg,
	                    "upstream.kind 'ftp': expected catalog or sluiced");
	assert_int_equal(config_set(&c, "upstream", "kind", "sluiced", &e),
	                 SL_OK);
	assert_int_equal(config_set(&c, "upstream", "mode", "mirror", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.mode 'mirror': expected "
	                           "autonomous or replica");
	assert_int_equal(config_set(&c, "upstream", "mode", "replica", &e),
	                 SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.kind sluiced: upstream.url must "
	                           "be the upstream server's http:// or "
	                           "https:// URL");
	assert_int_equal(
	        config_set(&c, "upstream", "url", "file:///srv/catalog", &e),
	        SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.kind sluiced: upstream.url must "
	                           "be the upstream server's http:// or "
	                           "https:// URL");
	assert_int_equal(
	        config_set(&c, "upstream", "url", "http://root:8530", &e),
	        SL_OK);
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.kind sluiced: upstream.token "
	                           "must be set (sluice downstream add NAME "
	                           "on the upstream prints it)");
	assert_int_equal(config_set(&c, "upstream", "token", "s3cr3t", &e),
	                 SL_OK);
	/* Past the upstream checks: now the origin's keys are missing. */
	assert_int_equal(config_finish(&c, &e), SL_EINVAL);
	assert_string_equal(e.msg, "upstream.trusted_root (or trusted_keys) "
	                           "must name at least one key when "
	                           "upstream.url is set");
	assert_int_equal(c.upstream_kind, UPSTREAM_SLUICED);
	assert_int_equal(c.upstream_mode, UPSTREAM_REPLICA);

	/* The dump shows kind and mode, never the token. */
	assert_non_null(f = open_memstream(&text, &len));
	config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(text, "kind = sluiced\n"));
	assert_non_null(strstr(text, "mode = replica\n"));
	assert_non_null(strstr(text, "token = (set; not shown)\n"));
	assert_null(strstr(text, "s3cr3t"));
	free(text);
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_replica_refuses),
	        cmocka_unit_test(test_autonomous_and_catalog_refuse_nothing),
	        cmocka_unit_test(test_upstream_config),
	};

	if (hash_global_init(NULL) != SL_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
