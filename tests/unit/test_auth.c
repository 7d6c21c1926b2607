/*
 * Unit tests for sluiced's auth: token and UUID shapes, Bearer parsing,
 * hashed storage, computer and admin lookups, the first-start admin token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "db_fixture.h"
#include "server_fixture.h"
#include "fsx.h"
#include "hash.h"

static char tmp[64], path[128];

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(hash_global_init(NULL), SL_OK);
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-auth.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
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
test_shapes(void **state)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1],
	        h[AUTH_TOKEN_LEN + 1];
	char u[AUTH_UUID_LEN + 1];

	(void)state;
	auth_token_new(a);
	auth_token_new(b);
	assert_true(hash_is_hex(a));
	assert_string_not_equal(a, b);
	auth_token_hash(h, a);
	assert_true(hash_is_hex(h));
	assert_string_not_equal(h, a);
	auth_uuid(u);
	assert_true(auth_is_uuid(u));
	assert_int_equal(u[14], '4');
	assert_non_null(strchr("89ab", u[19]));
	assert_true(auth_is_uuid("11111111-2222-4333-8444-555555555501"));
	assert_false(auth_is_uuid("11111111-2222-4333-8444-55555555550"));
	assert_false(auth_is_uuid("11111111-2222-4333-8444-5555555555011"));
	assert_false(auth_is_uuid("11111111x2222-4333-8444-555555555501"));
	assert_false(auth_is_uuid("11111111-2222-4333-8444-55555555550A"));
	assert_false(auth_is_uuid(""));
}

static void
test_bearer(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], hdr[128];
	const char *t = NULL;
	struct err e;

	(void)state;
	auth_token_new(tok);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	assert_int_equal(auth_bearer(&t, hdr, &e), SL_OK);
	assert_string_equal(t, tok);
	snprintf(hdr, sizeof(hdr), "bearer  %s", tok);
	assert_int_equal(auth_bearer(&t, hdr, &e), SL_OK);
	assert_string_equal(t, tok);
	assert_int_equal(auth_bearer(&t, NULL, &e), SL_EAUTH);
	assert_string_equal(e.msg, "missing Authorization header");
	assert_int_equal(auth_bearer(&t, "Basic Zm9vOmJhcg==", &e), SL_EAUTH);
	assert_string_equal(e.msg, "Authorization: expected 'Bearer <token>'");
	assert_int_equal(auth_bearer(&t, "Bearer abc", &e), SL_EAUTH);
	assert_string_equal(e.msg, "malformed token");
	snprintf(hdr, sizeof(hdr), "Bearer %s ", tok);
	assert_int_equal(auth_bearer(&t, hdr, &e), SL_EAUTH);
}

static void
test_lookups_and_bootstrap(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], tok2[AUTH_TOKEN_LEN + 1], other[65],
	        h[AUTH_TOKEN_LEN + 1], id[64], file[192], *text = NULL;
	struct store *db = NULL;
	struct db_stmt *st;
	struct stat sb;
	int64_t admin;
	bool created;
	size_t len;
	struct err e;

	(void)state;
	assert_int_equal(store_open(&db, fixture_db_target(path), &e), SL_OK);
	assert_int_equal(auth_admin_bootstrap(tok, &created, db, tmp, &e),
	                 SL_OK);
	assert_true(created);
	assert_true(hash_is_hex(tok));
	snprintf(file, sizeof(file), "%s/admin.token", tmp);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(fsx_read(file, 1024, &text, &len, &e), SL_OK);
	assert_int_equal(len, AUTH_TOKEN_LEN + 1);
	assert_memory_equal(text, tok, AUTH_TOKEN_LEN);
	free(text);
	assert_int_equal(auth_admin(&admin, db, tok, &e), SL_OK);
	assert_int_equal(admin, 1);
	/* Second start: nothing new. */
	assert_int_equal(auth_admin_bootstrap(tok2, &created, db, tmp, &e),
	                 SL_OK);
	assert_false(created);
	auth_token_new(other);
	assert_int_equal(auth_admin(&admin, db, other, &e), SL_EAUTH);
	assert_string_equal(e.msg, "bad admin token");

	/* A computer is found by the hash of its token only. */
	auth_token_hash(h, other);
	assert_int_equal(db_stmt(fixture_db(db), &st,
	                         "INSERT INTO computers(id, token_hash, "
	                         "hostname, group_id, registered_at) "
	                         "VALUES('c1', $1, 'h', 2, 0)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_text(st, 1, h, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	assert_int_equal(auth_computer(id, db, other, &e), SL_OK);
	assert_string_equal(id, "c1");
	assert_int_equal(auth_computer(id, db, tok, &e), SL_EAUTH);
	assert_string_equal(e.msg, "unknown computer or bad token");
	/* The admin token is no computer token and vice versa. */
	assert_int_equal(auth_admin(&admin, db, other, &e), SL_EAUTH);
	/* A revoked admin token no longer works. */
	assert_int_equal(db_exec(fixture_db(db),
	                         "UPDATE admin_tokens SET revoked = 1", &e),
	                 SL_OK);
	assert_int_equal(auth_admin(&admin, db, tok, &e), SL_EAUTH);
	store_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_shapes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bearer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lookups_and_bootstrap,
	                                        setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
