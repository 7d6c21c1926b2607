/*
 * Unit tests for store_effective: the table of each group's effective
 * approvals stays equal to a rebuild through every change of approvals
 * and of the group tree (set, remove, replica copies, group create,
 * re-parent, delete), and the agent's sets read from it are exactly those
 * the walk of the group tree gave before the table existed (the reference
 * queries below), for computers in one group and in several, at several
 * anchors and page positions; migration 8 fills it for existing data.
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
#include "hash.h"

#define N_UPD    5
#define N_GROUPS 24
#define COMPUTER "c0000000-0000-4000-8000-0000000000e1"

static char tmp[64], path[128];
static struct store *db;

/* The tree walk the table replaced (store_approvals.c before migration
 * 8), kept as the reference: $1 first group, $2 computer or NULL, $3
 * since; evaluate adds $4 after and $5 limit. */
#define OLD_CTE(fa, fr)                                                        \
	"WITH RECURSIVE mem(root) AS (SELECT CAST($1 AS BIGINT) UNION SELECT " \
	"group_id FROM computer_groups WHERE computer_id = CAST($2 AS "        \
	"TEXT)), chain(root, gid, depth) AS (SELECT root, root, 0 FROM mem "   \
	"UNION ALL SELECT c.root, g.parent_id, c.depth + 1 FROM groups g "     \
	"JOIN chain c ON g.id = c.gid WHERE g.parent_id IS NOT NULL AND "      \
	"c.depth < 64), own AS (SELECT c.root, a.update_id, a.action, "        \
	"a.deadline, a.change_seq, c.depth FROM approvals a JOIN chain c ON "  \
	"c.gid = a.group_id" fa "), near AS (SELECT root, update_id, "         \
	"min(depth) AS depth FROM own GROUP BY root, update_id), per AS "      \
	"(SELECT o.update_id, o.action, o.deadline FROM own o JOIN near n ON " \
	"n.root = o.root AND n.update_id = o.update_id AND n.depth = "         \
	"o.depth), win AS (SELECT update_id, CASE WHEN sum(CASE WHEN action "  \
	"= 'install' THEN 1 ELSE 0 END) > 0 THEN 'install' WHEN sum(CASE "     \
	"WHEN action = 'uninstall' THEN 1 ELSE 0 END) > 0 THEN 'uninstall' "   \
	"ELSE 'not-approved' END AS action FROM per GROUP BY update_id), eff " \
	"AS (SELECT w.update_id, w.action, min(p.deadline) AS deadline FROM "  \
	"win w JOIN per p ON p.update_id = w.update_id AND p.action = "        \
	"w.action GROUP BY w.update_id, w.action), chg AS (SELECT update_id, " \
	"max(change_seq) AS seq FROM (SELECT update_id, change_seq FROM own "  \
	"UNION ALL SELECT r.update_id, r.change_seq FROM approval_removals r " \
	"JOIN chain c ON c.gid = r.group_id" fr ") AS x GROUP BY update_id) "
#define LIC                                                                    \
	"(u.eula_sha256 IS NULL OR EXISTS (SELECT 1 FROM license_acceptances " \
	"la JOIN updates ua ON ua.id = la.update_id AND ua.revision = "        \
	"la.revision WHERE la.update_id = u.id AND (la.revision = u.revision " \
	"OR ua.eula_sha256 = u.eula_sha256)))"

static const char *const old_evaluate = OLD_CTE(
        " WHERE a.update_id > CAST($4 AS TEXT)",
        " WHERE r.update_id > CAST($4 AS TEXT)") "SELECT s.id, CASE WHEN "
                                                 "f.action = 'install' AND "
                                                 "NOT " LIC
                                                 " THEN NULL ELSE f.action "
                                                 "END, f.deadline FROM "
                                                 "update_status s "
                                                 "JOIN updates u ON u.id = "
                                                 "s.id AND u.revision = "
                                                 "s.latest_revision "
                                                 "LEFT JOIN eff f ON "
                                                 "f.update_id = s.id LEFT JOIN "
                                                 "chg ON "
                                                 "chg.update_id = s.id WHERE "
                                                 "s.declined = 0 AND "
                                                 "(s.expired = 0 OR "
                                                 "f.action = 'uninstall') AND "
                                                 "(coalesce(chg.seq, 0) > $3 "
                                                 "OR "
                                                 "s.change_seq > $3) AND s.id "
                                                 "> CAST($4 AS TEXT) ORDER BY "
                                                 "s.id "
                                                 "LIMIT $5";
static const char *const old_gone =
        OLD_CTE("", "") "SELECT s.id FROM update_status s LEFT JOIN eff f ON "
                        "f.update_id = s.id LEFT JOIN chg ON chg.update_id = "
                        "s.id WHERE (coalesce(chg.seq, 0) > $3 OR "
                        "s.change_seq > $3) AND (s.declined != 0 OR "
                        "(s.expired != 0 AND coalesce(f.action, '') != "
                        "'uninstall')) ORDER BY s.id";
static const char *const old_approved =
        OLD_CTE("", "") "SELECT f.update_id, f.action, f.deadline FROM eff f "
                        "JOIN chg ON chg.update_id = f.update_id JOIN "
                        "update_status s ON s.id = f.update_id JOIN updates "
                        "u ON u.id = s.id AND u.revision = s.latest_revision "
                        "WHERE f.action IN ('install', 'uninstall') AND "
                        "(s.expired = 0 OR f.action = 'uninstall') AND "
                        "s.declined = 0 AND (f.action = 'uninstall' OR " LIC
                        ") AND (chg.seq > $3 OR s.change_seq > $3) ORDER BY "
                        "f.update_id";
static const char *const old_removed =
        OLD_CTE("", "") "SELECT chg.update_id FROM chg LEFT JOIN "
                        "update_status s ON s.id = chg.update_id LEFT JOIN "
                        "updates u ON u.id = s.id AND u.revision = "
                        "s.latest_revision LEFT JOIN eff f ON f.update_id = "
                        "chg.update_id WHERE (chg.seq > $3 OR "
                        "coalesce(s.change_seq, 0) > $3) AND (f.action IS "
                        "NULL OR f.action NOT IN ('install', 'uninstall') OR "
                        "(s.expired != 0 AND f.action != 'uninstall') OR "
                        "(f.action = 'install' AND NOT " LIC
                        ") OR s.declined != 0) ORDER BY 1";

static void
exec_ok(const char *sql)
{
	struct err e;

	err_clear(&e);
	if (db_exec(fixture_db(db), sql, &e) != SL_OK)
		fail_msg("%s", e.msg);
}

static const char *
upd(int i)
{
	static char ids[N_UPD][40];

	snprintf(ids[i], sizeof(ids[i]),
	         "11111111-2222-4333-8444-5555555555%02d", i);
	return ids[i];
}

static int
setup(void **state)
{
	char sql[1024];
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(hash_global_init(NULL), SL_OK);
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-eff.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&db, fixture_db_target(path), &e), SL_OK);
	for (int i = 0; i < N_UPD; i++) {
		snprintf(sql, sizeof(sql),
		         "INSERT INTO updates VALUES('%s', 1, 'T', 'security', "
		         "'P', NULL, NULL, NULL, '{}', 'x', 0, %s, NULL);"
		         "INSERT INTO update_status(id, latest_revision, "
		         "expired, declined, change_seq, declined_at) "
		         "VALUES('%s', 1, 0, 0, 0, NULL);",
		         upd(i), i == 3 ? "'terms'" : "NULL", upd(i));
		exec_ok(sql);
	}
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

/* The rows of sql (columns id[, action, deadline]) as "id:action:dl;". */
static void
old_rows(char *out, size_t n, const char *sql, int cols, int64_t gid,
         const char *computer, int64_t since, const char *after, int64_t limit)
{
	struct db_stmt *st;
	size_t used = 0;
	struct err e;
	int rc;

	err_clear(&e);
	out[0] = '\0';
	if (db_stmt(fixture_db(db), &st, sql, &e) != SL_OK)
		fail_msg("%s", e.msg);
	assert_int_equal(db_bind_int(st, 1, gid, &e), SL_OK);
	if (computer != NULL)
		assert_int_equal(db_bind_text(st, 2, computer, &e), SL_OK);
	else
		assert_int_equal(db_bind_null(st, 2, &e), SL_OK);
	assert_int_equal(db_bind_int(st, 3, since, &e), SL_OK);
	if (after != NULL) {
		assert_int_equal(db_bind_text(st, 4, after, &e), SL_OK);
		assert_int_equal(db_bind_int(st, 5, limit, &e), SL_OK);
	}
	while ((rc = db_step(st, &e)) == DB_ROW) {
		const char *a = cols > 1 && !db_col_null(st, 1)
		                        ? db_col_text(st, 1)
		                        : "none";
		bool dl = cols > 1 && !db_col_null(st, 2);

		if (strcmp(a, "not-approved") == 0)
			a = "none";
		used += (size_t)snprintf(out + used, n - used, "%s:%s:%lld;",
		                         db_col_text(st, 0) + 34,
		                         cols > 1 ? a : "-",
		                         dl && strcmp(a, "none") != 0
		                                 ? (long long)db_col_int(st, 2)
		                                 : -1LL);
	}
	db_done(st);
	if (rc != DB_DONE)
		fail_msg("%s", e.msg);
}

struct acc {
	char *out;
	size_t n, used;
};

static int
acc_update(void *arg, const struct store_approved *a, struct err *e)
{
	struct acc *c = arg;

	(void)e;
	c->used += (size_t)snprintf(c->out + c->used, c->n - c->used,
	                            "%s:%s:%lld;", a->update_id + 34, a->action,
	                            a->has_deadline ? (long long)a->deadline
	                                            : -1LL);
	return SL_OK;
}

static int
acc_id(void *arg, const char *id, struct err *e)
{
	struct acc *c = arg;

	(void)e;
	c->used += (size_t)snprintf(c->out + c->used, c->n - c->used,
	                            "%s:-:-1;", id + 34);
	return SL_OK;
}

/* The ids walk gives equal the reference query's. */
static void
same_ids(const char *ref,
         int (*walk)(struct store *s, int64_t gid, const char *computer,
                     int64_t since, store_id_fn fn, void *arg, struct err *e),
         int64_t gid, const char *computer, int64_t since)
{
	char want[1024], got[1024] = "";
	struct acc c = {got, sizeof(got), 0};
	struct err e;

	err_clear(&e);
	old_rows(want, sizeof(want), ref, 1, gid, computer, since, NULL, 0);
	assert_int_equal(walk(db, gid, computer, since, acc_id, &c, &e), SL_OK);
	assert_string_equal(got, want);
}

/* Every set of the computers of gid (computer NULL: in gid alone) equals
 * the reference's, at anchor since. */
static void
same_sets(int64_t gid, const char *computer, int64_t since)
{
	static const char *const afters[] = {"", "11111111-2222-4333-8444-"
	                                         "555555555501"};
	char want[1024], got[1024];
	struct acc c = {got, sizeof(got), 0};
	struct err e;

	err_clear(&e);
	for (size_t k = 0; k < 2; k++)
		for (int64_t limit = 1; limit <= N_UPD; limit += 2) {
			old_rows(want, sizeof(want), old_evaluate, 3, gid,
			         computer, since, afters[k], limit);
			c.used = 0;
			got[0] = '\0';
			assert_int_equal(store_evaluate_each(db, gid, computer,
			                                     since, afters[k],
			                                     limit, acc_update,
			                                     &c, &e),
			                 SL_OK);
			assert_string_equal(got, want);
		}
	old_rows(want, sizeof(want), old_approved, 3, gid, computer, since,
	         NULL, 0);
	c.used = 0;
	got[0] = '\0';
	assert_int_equal(store_approved_each(db, gid, computer, since,
	                                     acc_update, &c, &e),
	                 SL_OK);
	assert_string_equal(got, want);
	same_ids(old_removed, store_removed_each, gid, computer, since);
	same_ids(old_gone, store_gone_each, gid, computer, since);
}

static void
consistent(void)
{
	int64_t wrong = -1;
	struct err e;

	err_clear(&e);
	assert_int_equal(store_effective_verify(&wrong, db, &e), SL_OK);
	assert_int_equal(wrong, 0);
}

static int64_t gids[N_GROUPS];
static size_t n_gids;

static void
load_groups(void)
{
	struct db_stmt *st;
	struct err e;

	err_clear(&e);
	n_gids = 0;
	assert_int_equal(db_stmt(fixture_db(db), &st,
	                         "SELECT id FROM groups ORDER BY id", &e),
	                 SL_OK);
	while (db_step(st, &e) == DB_ROW && n_gids < N_GROUPS)
		gids[n_gids++] = db_col_int(st, 0);
	db_done(st);
}

/* One random change of approvals or of the group tree. */
static void
random_change(unsigned *seed, int step)
{
	static const char *const acts[] = {"install", "uninstall",
	                                   "not-approved", NULL};
	int64_t g = gids[(size_t)rand_r(seed) % n_gids];
	int64_t p = gids[(size_t)rand_r(seed) % n_gids];
	const char *u = upd(rand_r(seed) % N_UPD);
	int kind = rand_r(seed) % 10, desc;
	char name[32], sql[512];
	bool changed;
	struct err e;

	err_clear(&e);
	if (kind < 5) {
		const char *a = acts[rand_r(seed) % 4];
		bool dl = rand_r(seed) % 2;

		assert_int_equal(store_approval_set(db, u, g, a, dl,
		                                    100 + rand_r(seed) % 3,
		                                    "test", &changed, &e),
		                 SL_OK);
	} else if (kind == 5) {
		int64_t dl = 200 + rand_r(seed) % 3;
		const char *a = acts[rand_r(seed) % 4];

		assert_int_equal(store_replica_approval(
		                         db, u, g, a,
		                         rand_r(seed) % 2 ? &dl : NULL, 1, &e),
		                 SL_OK);
	} else if (kind == 6 && n_gids < N_GROUPS) {
		int64_t id;

		snprintf(name, sizeof(name), "g%d", step);
		assert_int_equal(store_group_create(&id, db, name, p, &e),
		                 SL_OK);
	} else if (kind == 7 && g != 1 && g != 2) {
		assert_int_equal(store_group_is_descendant(&desc, db, p, g, &e),
		                 SL_OK);
		if (!desc)
			assert_int_equal(store_group_reparent(db, g, p, &e),
			                 SL_OK);
	} else if (kind == 8 && g > 2 && n_gids > 6) {
		struct store_group_info gi;

		assert_int_equal(store_group_info(&gi, db, g, &e), SL_OK);
		assert_int_equal(store_group_delete(db, g, gi.parent_id, &e),
		                 SL_OK);
	} else {
		/* Declines and expiries move with the change sequence. */
		snprintf(sql, sizeof(sql),
		         "UPDATE update_status SET declined = %d, expired = "
		         "%d, change_seq = %d WHERE id = '%s'",
		         rand_r(seed) % 4 == 0, rand_r(seed) % 3 == 0, step * 3,
		         u);
		exec_ok(sql);
		if (rand_r(seed) % 2)
			exec_ok("INSERT INTO license_acceptances VALUES("
			        "'11111111-2222-4333-8444-555555555503', 1, "
			        "'a', 1) ON CONFLICT DO NOTHING");
		else
			exec_ok("DELETE FROM license_acceptances");
	}
	load_groups();
}

static void
test_matches_tree_walk(void **state)
{
	struct store_computer_new c = {.id = COMPUTER,
	                               .token_hash = "th-eff",
	                               .hostname = "multi",
	                               .group_id = 2,
	                               .now = 1};
	struct store_computer_sync cs;
	unsigned seed = 20261129;
	char replaced[40];
	bool changed;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(store_computer_register(replaced, db, &c, &e), SL_OK);
	load_groups();
	for (int step = 1; step <= 160; step++) {
		random_change(&seed, step);
		consistent();
		/* The computer joins a random other group now and then. */
		if (step % 7 == 0)
			assert_int_equal(store_computer_group_add(
			                         &changed, db, COMPUTER,
			                         gids[(size_t)step % n_gids],
			                         &e),
			                 SL_OK);
		if (step % 4 != 0)
			continue;
		assert_int_equal(
		        store_computer_sync_state(&cs, db, COMPUTER, &e),
		        SL_OK);
		for (int64_t since = -1; since < step * 3; since += step / 2)
			same_sets(cs.group_id, COMPUTER, since);
		for (size_t i = 0; i < n_gids; i++)
			same_sets(gids[i], NULL, step % 8 ? -1 : step);
	}
}

/* A table emptied and rebuilt from the approvals gets the same rows (the
 * rebuild is the text migration 8 filled the table of an existing
 * database with, every group a root). */
static void
test_rebuild_fills(void **state)
{
	struct db_stmt *st;
	struct err e;

	(void)state;
	err_clear(&e);
	exec_ok("CREATE TABLE eff_copy AS SELECT * FROM effective_approvals");
	exec_ok("DELETE FROM effective_approvals");
	assert_int_equal(store_effective_rebuild(db, &e), SL_OK);
	consistent();
	assert_int_equal(db_stmt(fixture_db(db), &st,
	                         "SELECT (SELECT count(*) FROM eff_copy), "
	                         "(SELECT count(*) FROM (SELECT * FROM "
	                         "eff_copy EXCEPT SELECT * FROM "
	                         "effective_approvals) AS d), (SELECT "
	                         "count(*) FROM effective_approvals)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_ROW);
	assert_true(db_col_int(st, 0) > 0);
	assert_int_equal(db_col_int(st, 1), 0);
	assert_int_equal(db_col_int(st, 2), db_col_int(st, 0));
	db_done(st);
	exec_ok("DROP TABLE eff_copy");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_matches_tree_walk),
	        cmocka_unit_test(test_rebuild_fills),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
