/*
 * Unit tests for sluiced's approvals: effective approval with inheritance
 * along the group tree, explicit not-approved overriding the parent,
 * removal back to "inherit", the agent's approved and removed sets by
 * anchor, group ancestry; plus the audit log and admin token roles they
 * are recorded with.
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

#include "db_fixture.h"
#include "server_fixture.h"
#include "store/store.h"
#include "auth.h"
#include "hash.h"

#define U1 "11111111-2222-4333-8444-555555555501"
#define U2 "11111111-2222-4333-8444-555555555502"

static char tmp[64], path[128];
static struct store *db;
static int64_t web, canary, other;

static void
exec_ok(const char *sql)
{
	struct err e;

	err_clear(&e);
	if (db_exec(fixture_db(db), sql, &e) != SL_OK)
		fail_msg("%s", e.msg);
}

/* Approvals deleted by hand: the effective table follows. */
static void
delete_approvals(void)
{
	struct err e;

	err_clear(&e);
	exec_ok("DELETE FROM approvals");
	if (store_effective_rebuild(db, &e) != SL_OK)
		fail_msg("%s", e.msg);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(hash_global_init(NULL), SL_OK);
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-appr.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&db, fixture_db_target(path), &e), SL_OK);
	exec_ok("INSERT INTO groups(name, parent_id) VALUES('web', 1);"
	        "INSERT INTO groups(name, parent_id) VALUES('canary', "
	        "(SELECT id FROM groups WHERE name = 'web'));"
	        "INSERT INTO groups(name, parent_id) VALUES('other', 1);"
	        "INSERT INTO updates VALUES('" U1 "', 1, 'One', 'security', "
	        "'P', NULL, NULL, NULL, '{}', 'x', 0, NULL, NULL);"
	        "INSERT INTO updates VALUES('" U2 "', 1, 'Two', 'feature', "
	        "'P', NULL, NULL, NULL, '{}', 'x', 0, NULL, NULL);"
	        "INSERT INTO update_status(id, latest_revision, expired, "
	        "declined, change_seq, declined_at) VALUES('" U1 "', 1, 0, 0, "
	        "0, NULL);"
	        "INSERT INTO update_status(id, latest_revision, expired, "
	        "declined, change_seq, declined_at) VALUES('" U2
	        "', 1, 0, 0, 0, NULL);");
	assert_int_equal(store_group_id(&web, db, "web", &e), SL_OK);
	assert_int_equal(store_group_id(&canary, db, "canary", &e), SL_OK);
	assert_int_equal(store_group_id(&other, db, "other", &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Ids of the approved or removed set, comma-joined. */
struct ids {
	char *out;
	size_t n, used;
};

static int
add_id(void *arg, const char *id, struct err *e)
{
	struct ids *c = arg;

	(void)e;
	c->used += (size_t)snprintf(c->out + c->used, c->n - c->used, "%s%s",
	                            c->used ? "," : "", id);
	return SL_OK;
}

static int
add_approved(void *arg, const struct store_approved *a, struct err *e)
{
	return add_id(arg, a->update_id, e);
}

static void
set_ids(char *out, size_t n, int64_t gid, int64_t since)
{
	struct ids c = {out, n, 0};
	struct err e;

	err_clear(&e);
	out[0] = '\0';
	assert_int_equal(
	        store_approved_each(db, gid, NULL, since, add_approved, &c, &e),
	        SL_OK);
}

static void
removed_ids(char *out, size_t n, int64_t gid, int64_t since)
{
	struct ids c = {out, n, 0};
	struct err e;

	err_clear(&e);
	out[0] = '\0';
	assert_int_equal(
	        store_removed_each(db, gid, NULL, since, add_id, &c, &e),
	        SL_OK);
}

static void
test_inheritance(void **state)
{
	struct store_approval_eff eff;
	char ids[256];
	bool changed;
	int64_t a0, a1;
	struct err e;

	(void)state;
	err_clear(&e);
	/* Nothing anywhere: no setting. */
	assert_int_equal(store_approval_effective(&eff, db, U1, canary, &e),
	                 SL_OK);
	assert_string_equal(eff.action, "");
	assert_int_equal(eff.from_gid, 0);
	/* web approves: canary inherits it, other does not. */
	assert_int_equal(store_approval_set(db, U1, web, "install", true, 1000,
	                                    "alice", &changed, &e),
	                 SL_OK);
	assert_true(changed);
	assert_int_equal(store_approval_effective(&eff, db, U1, canary, &e),
	                 SL_OK);
	assert_string_equal(eff.action, "install");
	assert_int_equal(eff.from_gid, web);
	assert_true(eff.has_deadline);
	assert_int_equal(eff.deadline, 1000);
	assert_int_equal(store_approval_effective(&eff, db, U1, other, &e),
	                 SL_OK);
	assert_string_equal(eff.action, "");
	set_ids(ids, sizeof(ids), canary, -1);
	assert_string_equal(ids, U1);
	set_ids(ids, sizeof(ids), other, -1);
	assert_string_equal(ids, "");
	/* The same setting again changes nothing (no new sequence). */
	assert_int_equal(store_seq_current(db, &a0, &e), SL_OK);
	assert_int_equal(store_approval_set(db, U1, web, "install", true, 1000,
	                                    "alice", &changed, &e),
	                 SL_OK);
	assert_false(changed);
	assert_int_equal(store_seq_current(db, &a1, &e), SL_OK);
	assert_int_equal(a0, a1);
	set_ids(ids, sizeof(ids), canary, a0);
	assert_string_equal(ids, "");
	/* canary's own not-approved overrides web. */
	assert_int_equal(store_approval_set(db, U1, canary, "not-approved",
	                                    false, 0, "bob", &changed, &e),
	                 SL_OK);
	assert_true(changed);
	assert_int_equal(store_approval_effective(&eff, db, U1, canary, &e),
	                 SL_OK);
	assert_string_equal(eff.action, "not-approved");
	assert_int_equal(eff.from_gid, canary);
	assert_int_equal(store_approval_effective(&eff, db, U1, web, &e),
	                 SL_OK);
	assert_string_equal(eff.action, "install");
	set_ids(ids, sizeof(ids), canary, -1);
	assert_string_equal(ids, "");
	removed_ids(ids, sizeof(ids), canary, a0);
	assert_string_equal(ids, U1);
	removed_ids(ids, sizeof(ids), web, a0);
	assert_string_equal(ids, "");
	/* Back to inherit: canary gets web's approval again, incrementally. */
	assert_int_equal(store_seq_current(db, &a0, &e), SL_OK);
	assert_int_equal(store_approval_set(db, U1, canary, NULL, false, 0,
	                                    "bob", &changed, &e),
	                 SL_OK);
	assert_true(changed);
	set_ids(ids, sizeof(ids), canary, a0);
	assert_string_equal(ids, U1);
	/* Removing a setting that does not exist changes nothing. */
	assert_int_equal(store_approval_set(db, U2, canary, NULL, false, 0,
	                                    "bob", &changed, &e),
	                 SL_OK);
	assert_false(changed);
	/* web's approval withdrawn: canary's agents see it removed. */
	assert_int_equal(store_seq_current(db, &a0, &e), SL_OK);
	assert_int_equal(store_approval_set(db, U1, web, NULL, false, 0,
	                                    "alice", &changed, &e),
	                 SL_OK);
	removed_ids(ids, sizeof(ids), canary, a0);
	assert_string_equal(ids, U1);
	/* A declined update leaves the set and is listed as removed. */
	assert_int_equal(store_approval_set(db, U2, 1, "install", false, 0,
	                                    "alice", &changed, &e),
	                 SL_OK);
	set_ids(ids, sizeof(ids), canary, -1);
	assert_string_equal(ids, U2);
	assert_int_equal(store_seq_current(db, &a0, &e), SL_OK);
	exec_ok("UPDATE update_status SET declined = 1, change_seq = "
	        "(SELECT CAST(value AS BIGINT) + 1 FROM meta WHERE key = "
	        "'change_seq') WHERE "
	        "id = '" U2 "';"
	        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS "
	        "TEXT) "
	        "WHERE key = 'change_seq'");
	set_ids(ids, sizeof(ids), canary, -1);
	assert_string_equal(ids, "");
	removed_ids(ids, sizeof(ids), other, a0);
	assert_string_equal(ids, U2);
}

static void
test_tree(void **state)
{
	struct update *u = NULL;
	struct err e;
	int d;

	(void)state;
	err_clear(&e);
	assert_int_equal(store_group_is_descendant(&d, db, canary, web, &e),
	                 SL_OK);
	assert_int_equal(d, 1);
	assert_int_equal(store_group_is_descendant(&d, db, web, canary, &e),
	                 SL_OK);
	assert_int_equal(d, 0);
	assert_int_equal(store_group_is_descendant(&d, db, web, web, &e),
	                 SL_OK);
	assert_int_equal(d, 1);
	assert_int_equal(store_group_touch_subtree(db, web, &e), SL_OK);
	/* Stored documents are parsed from their envelope. */
	assert_int_equal(store_update_load(&u, NULL, NULL, db, U1, &e),
	                 SL_EINTERNAL);
	assert_string_equal(e.msg, "stored document of " U1 " does not parse");
	err_clear(&e);
	assert_int_equal(
	        store_update_load(&u, NULL, NULL, db,
	                          "99999999-2222-4333-8444-555555555501", &e),
	        SL_ENOTFOUND);
	assert_string_equal(e.msg,
	                    "no update 99999999-2222-4333-8444-555555555501");
}

static void
test_audit_roles(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], actor[STORE_ACTOR_MAX];
	struct db_stmt *st = NULL;
	int64_t id, got;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(auth_token_create(&id, tok, db, "rep", "reporter", &e),
	                 SL_OK);
	assert_int_equal(auth_token_create(&id, tok, db, "x", "root", &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "role: expected administrator or reporter");
	err_clear(&e);
	assert_int_equal(auth_token_create(&id, tok, db, "rep", "reporter", &e),
	                 SL_EEXISTS);
	assert_string_equal(e.msg, "an active token named 'rep' exists "
	                           "(revoke it first or pick another name)");
	err_clear(&e);
	assert_int_equal(auth_token_create(&id, tok, db, "ops", "reporter", &e),
	                 SL_OK);
	assert_int_equal(auth_admin_for(&got, db, tok, "GET", &e), SL_OK);
	assert_int_equal(got, id);
	assert_int_equal(auth_admin_for(&got, db, tok, "POST", &e), SL_EDENIED);
	assert_string_equal(e.msg, "token 'ops' has the role reporter "
	                           "(read-only): changes need an "
	                           "administrator token");
	err_clear(&e);
	assert_int_equal(auth_admin(&got, db, tok, &e), SL_EAUTH);
	err_clear(&e);
	assert_int_equal(store_audit_actor(actor, db, id, &e), SL_OK);
	assert_string_equal(actor, "ops");
	assert_int_equal(store_audit_actor(actor, db, 9999, &e), SL_OK);
	assert_string_equal(actor, "token #9999");
	assert_int_equal(store_audit_add(db, &e, actor, "group.create", "web",
	                                 "parent '%s'", "All Computers"),
	                 SL_OK);
	assert_int_equal(db_stmt(fixture_db(db), &st,
	                         "SELECT actor, action, target, detail FROM "
	                         "audit_log ORDER BY id DESC LIMIT 1",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "token #9999");
	assert_string_equal(db_col_text(st, 1), "group.create");
	assert_string_equal(db_col_text(st, 2), "web");
	assert_string_equal(db_col_text(st, 3), "parent 'All Computers'");
	db_done(st);
}

static int
add_evaluated(void *arg, const struct store_approved *a, struct err *e)
{
	char item[64];

	snprintf(item, sizeof(item), "%s:%s", a->update_id + 34, a->action);
	return add_id(arg, item, e);
}

static void
eval_ids(char *out, size_t n, int64_t gid, int64_t since, const char *after,
         int64_t limit)
{
	struct ids c = {out, n, 0};
	struct err e;

	err_clear(&e);
	out[0] = '\0';
	assert_int_equal(store_evaluate_each(db, gid, NULL, since, after, limit,
	                                     add_evaluated, &c, &e),
	                 SL_OK);
}

/* Protocol 2: every update not declined, approved or not, in pages; an
 * expired one only while approved for removal. */
static void
test_evaluated_set(void **state)
{
	char ids[256];
	bool changed;
	int64_t a0;
	struct err e;

	(void)state;
	err_clear(&e);
	exec_ok("UPDATE update_status SET declined = 0 WHERE id = '" U2 "'");
	assert_int_equal(store_approval_set(db, U1, other, "install", false, 0,
	                                    "alice", &changed, &e),
	                 SL_OK);
	/* other's own not-approved overrides All Computers' install. */
	assert_int_equal(store_approval_set(db, U2, other, "not-approved",
	                                    false, 0, "alice", &changed, &e),
	                 SL_OK);
	eval_ids(ids, sizeof(ids), other, -1, "", 100);
	assert_string_equal(ids, "01:install,02:none");
	eval_ids(ids, sizeof(ids), other, -1, "", 1);
	assert_string_equal(ids, "01:install");
	eval_ids(ids, sizeof(ids), other, -1, U1, 1);
	assert_string_equal(ids, "02:none");
	/* Expired: gone unless approved for removal. */
	assert_int_equal(store_seq_current(db, &a0, &e), SL_OK);
	exec_ok("UPDATE update_status SET expired = 1, change_seq = 1000 "
	        "WHERE id = '" U1 "'");
	exec_ok("UPDATE meta SET value = '1000' WHERE key = 'change_seq'");
	eval_ids(ids, sizeof(ids), other, -1, "", 100);
	assert_string_equal(ids, "02:none");
	{
		struct ids c = {ids, sizeof(ids), 0};
		ids[0] = '\0';
		assert_int_equal(
		        store_gone_each(db, other, NULL, a0, add_id, &c, &e),
		        SL_OK);
		assert_string_equal(ids, U1);
	}
	assert_int_equal(store_approval_set(db, U1, other, "uninstall", false,
	                                    0, "alice", &changed, &e),
	                 SL_OK);
	eval_ids(ids, sizeof(ids), other, a0, "", 100);
	assert_string_equal(ids, "01:uninstall");
	exec_ok("UPDATE update_status SET expired = 0 WHERE id = '" U1 "'");
	assert_int_equal(store_approval_set(db, U1, other, NULL, false, 0,
	                                    "alice", &changed, &e),
	                 SL_OK);
}

static int
add_with_deadline(void *arg, const struct store_approved *a, struct err *e)
{
	char item[64];

	snprintf(item, sizeof(item), "%s:%s:%lld", a->update_id + 34, a->action,
	         a->has_deadline ? (long long)a->deadline : -1LL);
	return add_id(arg, item, e);
}

/* A computer in canary (under web) and other: where the groups disagree,
 * install wins over uninstall, either over not approved, and the earliest
 * deadline of the winning action wins; each group inherits on its own. */
static void
test_several_groups(void **state)
{
	struct store_computer_new c = {
	        .id = "c0000000-0000-4000-8000-000000000001",
	        .token_hash = "th-several",
	        .hostname = "multi",
	        .group_id = canary,
	        .now = 1};
	char ids[256], replaced[40];
	struct ids acc = {ids, sizeof(ids), 0};
	bool changed;
	struct err e;

	(void)state;
	err_clear(&e);
	delete_approvals();
	exec_ok("UPDATE update_status SET declined = 0, expired = 0");
	assert_int_equal(store_computer_register(replaced, db, &c, &e), SL_OK);
	assert_int_equal(
	        store_computer_group_add(&changed, db, c.id, other, &e), SL_OK);
	assert_true(changed);
	/* U1: canary uninstall, other install (deadlines 200 and 100). */
	assert_int_equal(store_approval_set(db, U1, canary, "uninstall", false,
	                                    0, "a", &changed, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(db, U1, other, "install", true, 100,
	                                    "a", &changed, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(db, U1, web, "install", true, 50,
	                                    "a", &changed, &e),
	                 SL_OK);
	/* U2: web not-approved (canary inherits it), other uninstall. */
	assert_int_equal(store_approval_set(db, U2, web, "not-approved", false,
	                                    0, "a", &changed, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(db, U2, other, "uninstall", true,
	                                    500, "a", &changed, &e),
	                 SL_OK);
	ids[0] = '\0';
	assert_int_equal(store_evaluate_each(db, canary, c.id, -1, "", 100,
	                                     add_with_deadline, &acc, &e),
	                 SL_OK);
	/* U1: canary's own uninstall hides web's install for canary; other's
	 * install wins over it with its deadline. */
	assert_string_equal(ids, "01:install:100,02:uninstall:500");
	/* Alone in canary: U1 uninstall, U2 not approved. */
	acc.used = 0;
	ids[0] = '\0';
	assert_int_equal(store_evaluate_each(db, canary, NULL, -1, "", 100,
	                                     add_with_deadline, &acc, &e),
	                 SL_OK);
	assert_string_equal(ids, "01:uninstall:-1,02:none:-1");
	/* Leaving its first group: other becomes it; the only group stays. */
	assert_int_equal(store_computer_group_remove(db, c.id, canary, &e),
	                 SL_OK);
	assert_int_equal(store_computer_group_remove(db, c.id, other, &e),
	                 SL_ECONFLICT);
	assert_string_equal(e.msg, "it is the computer's only group: move it "
	                           "to another instead");
	err_clear(&e);
	assert_int_equal(store_computer_group_remove(db, c.id, web, &e),
	                 SL_ENOTFOUND);
	assert_int_equal(store_computer_delete(db, c.id, &e), SL_OK);
	assert_int_equal(store_computer_delete(db, c.id, &e), SL_ENOTFOUND);
	delete_approvals();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_inheritance),
	        cmocka_unit_test(test_tree),
	        cmocka_unit_test(test_evaluated_set),
	        cmocka_unit_test(test_several_groups),
	        cmocka_unit_test(test_audit_roles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
