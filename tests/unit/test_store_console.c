/*
 * test_store_console: the web console's queries (store_console.c): the
 * updates some group approves, the dashboard's figures of updates and
 * computers (from the counters; the status report's too), and the install
 * outcomes of a window (kept by the state triggers of migration 14). Runs
 * on both engines.
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
#include <unistd.h>

#include "db_fixture.h"
#include "server_fixture.h"
#include "store/store.h"
#include "store/store_maint.h"

static char tmp[64], path[128];
static struct store *s;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-console.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(s);
	s = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_approved(void **state)
{
	int64_t all, web;
	json_t *map = NULL;
	struct err e;

	(void)state;
	assert_int_equal(store_group_id(&all, s, STORE_GROUP_ALL, &e), SL_OK);
	assert_int_equal(store_group_create(&web, s, "web", all, &e), SL_OK);
	assert_int_equal(store_approval_set(s, "u1", web, "install", false, 0,
	                                    "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(s, "u2", web, "not-approved", false,
	                                    0, "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(s, "u3", all, "uninstall", false, 0,
	                                    "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_console_approved(&map, s, &e), SL_OK);
	/* An explicit not-approved is no approval. */
	assert_int_equal(json_object_size(map), 2);
	assert_string_equal(json_string_value(json_object_get(map, "u1")),
	                    "install");
	assert_string_equal(json_string_value(json_object_get(map, "u3")),
	                    "uninstall");
	assert_null(json_object_get(map, "u2"));
	json_decref(map);
}

/* c1 with the updates u1..u3 (revision 1), as a report would find them. */
static void
console_fixture(void)
{
	struct store_computer_new c = {.id = "c1",
	                               .token_hash = "h1",
	                               .hostname = "host1",
	                               .os_id = "debian",
	                               .group_id = 2,
	                               .now = 1000};
	char replaced[40];
	struct err e;

	assert_int_equal(store_computer_register(replaced, s, &c, &e), SL_OK);
	assert_int_equal(db_exec(fixture_db(s),
	                         "INSERT INTO update_status(id, "
	                         "latest_revision, change_seq) VALUES('u1', 1, "
	                         "0), ('u2', 1, 0), ('u3', 1, 0)",
	                         &e),
	                 SL_OK);
}

static void
put_for(const char *computer, const char *update, int64_t rev,
        const char *state, const char *detail, int64_t t)
{
	struct store_state st = {.update_id = update,
	                         .revision = &rev,
	                         .state = state,
	                         .detail = detail};
	struct err e;

	assert_int_equal(store_state_upsert(s, computer, &st, t, &e), SL_OK);
}

static void
put(const char *update, int64_t rev, const char *state, const char *detail,
    int64_t t)
{
	put_for("c1", update, rev, state, detail, t);
}

static const char *
field(json_t *arr, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(arr, i), key));
}

static json_int_t
figure(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_non_null(v);
	return json_integer_value(v);
}

/* The dashboard's figures: of the updates neither declined nor expired,
 * those needed (needed, downloaded or failed somewhere) by classification
 * and severity, those failed, those approved; the computers by status
 * (failed before needed before never reported) and those not seen within
 * the window. */
static void
test_figures(void **state)
{
	static const char *const comps[] = {"c2", "c3", "c4"};
	int64_t now = (int64_t)time(NULL), web;
	json_t *u = NULL, *c = NULL;
	char sql[96];
	struct err e;

	(void)state;
	console_fixture();
	for (size_t i = 0; i < 3; i++) {
		struct store_computer_new n = {.id = comps[i],
		                               .token_hash = comps[i],
		                               .hostname = comps[i],
		                               .os_id = "debian",
		                               .group_id = 2,
		                               .now = 1000};
		char replaced[40];
		assert_int_equal(store_computer_register(replaced, s, &n, &e),
		                 SL_OK);
	}
	assert_int_equal(
	        db_exec(fixture_db(s),
	                "INSERT INTO update_status(id, latest_revision, "
	                "change_seq, declined) VALUES('u4', 1, 0, 1);"
	                "INSERT INTO updates(id, revision, title, "
	                "classification, product, severity, document, "
	                "doc_sha256, imported_at) VALUES('u1', 1, 'One', "
	                "'security', 'P', 'critical', '{}', 'x', 0), ('u2', "
	                "1, 'Two', 'security', 'P', NULL, '{}', 'x', 0), "
	                "('u3', 1, 'Three', 'bugfix', 'P', '', '{}', 'x', 0), "
	                "('u4', 1, 'Four', 'feature', 'P', 'low', '{}', 'x', "
	                "0);"
	                "UPDATE computers SET last_report = 1000, "
	                "last_contact = 1000 WHERE id <> 'c2';",
	                &e),
	        SL_OK);
	snprintf(sql, sizeof(sql),
	         "UPDATE computers SET last_contact = %lld WHERE id = 'c3'",
	         (long long)now);
	assert_int_equal(db_exec(fixture_db(s), sql, &e), SL_OK);
	put("u1", 1, "needed", NULL, 1000);
	put("u2", 1, "failed", "exit code 2", 1000);
	put("u3", 1, "installed", NULL, 1000);
	put("u4", 1, "needed", NULL, 1000); /* declined: not counted */
	put_for("c3", "u3", 1, "installed", NULL, 1000);
	put_for("c4", "u1", 1, "downloaded", NULL, 1000);
	assert_int_equal(store_group_create(&web, s, "web", 1, &e), SL_OK);
	assert_int_equal(store_approval_set(s, "u1", web, "install", false, 0,
	                                    "t", NULL, &e),
	                 SL_OK);
	assert_int_equal(store_approval_set(s, "u4", web, "install", false, 0,
	                                    "t", NULL, &e),
	                 SL_OK);

	assert_int_equal(store_console_update_figures(&u, s, &e), SL_OK);
	assert_int_equal(figure(u, "total"), 3);
	assert_int_equal(figure(u, "needed"), 2);
	assert_int_equal(figure(u, "with_failures"), 1);
	assert_int_equal(figure(u, "approved"), 1);
	json_t *cls = json_object_get(u, "needed_by_classification");
	json_t *sev = json_object_get(u, "needed_by_severity");
	assert_int_equal(json_object_size(cls), 1);
	assert_int_equal(figure(cls, "security"), 2);
	assert_int_equal(json_object_size(sev), 2);
	assert_int_equal(figure(sev, "critical"), 1);
	assert_int_equal(figure(sev, "unspecified"), 1);

	assert_int_equal(
	        store_console_computer_figures(&c, s, now - 30 * 86400, &e),
	        SL_OK);
	assert_int_equal(figure(c, "total"), 4);
	assert_int_equal(figure(c, "failed"), 1);     /* c1 */
	assert_int_equal(figure(c, "needed"), 1);     /* c4: downloaded */
	assert_int_equal(figure(c, "no_status"), 1);  /* c2 */
	assert_int_equal(figure(c, "up_to_date"), 1); /* c3 */
	assert_int_equal(figure(c, "stale"), 3);      /* all but c3 */
	json_decref(u);
	json_decref(c);

	/* The status report counts the same way; its failed installs and
	 * their list leave declined updates out. */
	put_for("c3", "u4", 1, "failed", NULL, 1000);
	assert_int_equal(store_maint_status(&c, s, 10, &e), SL_OK);
	assert_int_equal(figure(c, "computers"), 4);
	assert_int_equal(figure(c, "computers_needing"), 3); /* c1 c3 c4 */
	assert_int_equal(figure(c, "failed_installs"), 1);
	u = json_object_get(c, "failures");
	assert_int_equal(json_array_size(u), 1);
	assert_string_equal(field(u, 0, "hostname"), "host1");
	assert_string_equal(field(u, 0, "update"), "u2");
	assert_string_equal(field(u, 0, "title"), "Two");
	assert_string_equal(field(u, 0, "detail"), "exit code 2");
	json_decref(c);
}

/* The outcomes of the window from since, at most limit, into arr
 * (cleared first); their number. */
static size_t
outcomes(json_t *arr, bool failed, int64_t since, int64_t limit)
{
	struct err e;

	json_array_clear(arr);
	assert_int_equal(
	        store_console_outcomes(arr, s, failed, since, limit, &e),
	        SL_OK);
	return json_array_size(arr);
}

/* An hour ago, and the API's text of base + x. */
static int64_t base;
static char when_text[32];

static const char *
when(int64_t x)
{
	time_t t = (time_t)(base + x);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when_text, sizeof(when_text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return when_text;
}

static void
test_outcomes(void **state)
{
	json_t *arr = json_array();

	(void)state;
	base = (int64_t)time(NULL) - 3600;
	console_fixture();
	put("u1", 1, "needed", NULL, base + 450);
	put("u1", 1, "failed", "exit code 3", base + 500);
	put("u2", 1, "failed", NULL, base + 10);
	put("u3", 1, "needed", NULL, base + 450);
	put("u3", 1, "installed", NULL, base + 501);
	/* Only failures at or after base + 400: u2's is older. */
	assert_int_equal(outcomes(arr, true, base + 400, 10), 1);
	assert_string_equal(field(arr, 0, "computer"), "c1");
	assert_string_equal(field(arr, 0, "hostname"), "host1");
	assert_string_equal(field(arr, 0, "update"), "u1");
	assert_string_equal(field(arr, 0, "detail"), "exit code 3");
	/* Unknown update: no title. */
	assert_true(
	        json_is_null(json_object_get(json_array_get(arr, 0), "title")));
	assert_string_equal(field(arr, 0, "reported"), when(500));
	/* The limit holds; the newest first. */
	assert_int_equal(outcomes(arr, true, 0, 1), 1);
	assert_string_equal(field(arr, 0, "update"), "u1");
	assert_int_equal(outcomes(arr, true, 0, 10), 2);
	assert_int_equal(outcomes(arr, false, base + 400, 10), 1);
	assert_string_equal(field(arr, 0, "update"), "u3");
	assert_true(json_is_null(
	        json_object_get(json_array_get(arr, 0), "detail")));
	json_decref(arr);
}

/* An outcome is the moment a state turns installed or failed: the same
 * state reported again adds none, a new revision or the other outcome
 * does, the failure stays listed after a later install, a first state is
 * one only when failed; outcomes older
 * than two days (by the clock) are not kept; a computer deleted takes its
 * outcomes along. */
static void
test_outcome_moments(void **state)
{
	json_t *arr = json_array();
	struct err e;

	(void)state;
	base = (int64_t)time(NULL) - 3600;
	console_fixture();
	put("u1", 1, "failed", "exit code 1", base);
	put("u1", 1, "failed", "exit code 1", base + 100); /* again */
	put("u1", 1, "installed", NULL, base + 200);
	put("u1", 1, "installed-pending-reboot", NULL, base + 300);
	put("u1", 1, "installed", NULL, base + 400);
	put("u1", 2, "installed", NULL, base + 500); /* a new revision */
	assert_int_equal(outcomes(arr, true, 0, 10), 1);
	assert_string_equal(field(arr, 0, "reported"), when(0));
	assert_int_equal(outcomes(arr, false, 0, 10), 2);
	assert_string_equal(field(arr, 0, "reported"), when(500));
	assert_string_equal(field(arr, 1, "reported"), when(200));
	/* Installed as a computer's first state of an update: found so,
	 * not an install seen; failed as a first state is one. */
	put("u2", 1, "installed", NULL, base + 600);
	assert_int_equal(outcomes(arr, false, 0, 10), 2);
	/* Three days old: cut as it is written, and with it nothing else. */
	put("u2", 1, "needed", NULL, base - 3 * 86400);
	put("u2", 1, "installed", NULL, base - 3 * 86400);
	put("u3", 1, "failed", NULL, base - 3 * 86400);
	assert_int_equal(outcomes(arr, false, 0, 10), 2);
	assert_int_equal(outcomes(arr, true, 0, 10), 1);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM state_outcomes"),
	                 3);
	/* A computer deleted takes its outcomes along. */
	assert_int_equal(db_exec(fixture_db(s),
	                         "DELETE FROM computers WHERE id = 'c1'", &e),
	                 SL_OK);
	assert_int_equal(fixture_int(s, "SELECT count(*) FROM state_outcomes"),
	                 0);
	json_decref(arr);
}

/* A computer's state mask: bit 1 << state while some update is in that
 * state, set and cleared as its counters cross zero. */
static int64_t
mask_of(const char *computer)
{
	char sql[96];

	snprintf(sql, sizeof(sql),
	         "SELECT state_mask FROM computers WHERE id = '%s'", computer);
	return fixture_int(s, sql);
}

static void
register_host(const char *id, const char *host, const char *os, const char *osv,
              int64_t gid)
{
	struct store_computer_new n = {.id = id,
	                               .token_hash = id,
	                               .hostname = host,
	                               .os_id = os,
	                               .os_version = osv,
	                               .group_id = gid,
	                               .now = 1000};
	char replaced[40];
	struct err e;

	assert_int_equal(store_computer_register(replaced, s, &n, &e), SL_OK);
}

static void
test_state_mask(void **state)
{
	(void)state;
	console_fixture();
	assert_int_equal(mask_of("c1"), 0);
	put("u1", 1, "needed", NULL, 1000);
	put("u2", 1, "needed", NULL, 1000);
	assert_int_equal(mask_of("c1"), 1 << 1);
	put("u1", 1, "failed", "exit code 1", 1100);
	assert_int_equal(mask_of("c1"), (1 << 1) | (1 << 5));
	put("u2", 1, "installed", NULL, 1200); /* the last needed one */
	assert_int_equal(mask_of("c1"), (1 << 3) | (1 << 5));
	put("u1", 1, "installed", NULL, 1300);
	put("u3", 1, "not-applicable", NULL, 1300);
	assert_int_equal(mask_of("c1"), (1 << 0) | (1 << 3));
	put("u2", 2, "downloaded", NULL, 1400); /* a new revision */
	assert_int_equal(mask_of("c1"), (1 << 0) | (1 << 2) | (1 << 3));
}

/* The dashboard's downstream servers count the computers behind each
 * (its own and its downstreams') by their state masks. */
static void
test_downstream_counts(void **state)
{
	json_t *arr = json_array(), *c;
	struct err e;

	(void)state;
	console_fixture();
	register_host("c2", "leaf1", "debian", "12", 2);
	register_host("c3", "here", "debian", "12", 2);
	assert_int_equal(store_downstream_add(s, "branch", "th", 1000, &e),
	                 SL_OK);
	assert_int_equal(db_exec(fixture_db(s),
	                         "UPDATE computers SET server = 'branch' "
	                         "WHERE id = 'c1';"
	                         "UPDATE computers SET server = "
	                         "'branch/leaf' WHERE id = 'c2'",
	                         &e),
	                 SL_OK);
	put("u1", 1, "failed", NULL, 1000);
	put("u2", 1, "installed-pending-reboot", NULL, 1000);
	put_for("c2", "u1", 1, "needed", NULL, 1000);
	put_for("c3", "u1", 1, "failed", NULL, 1000); /* not behind it */
	assert_int_equal(store_downstreams_list(arr, s, &e), SL_OK);
	assert_int_equal(json_array_size(arr), 1);
	c = json_object_get(json_array_get(arr, 0), "computers");
	assert_int_equal(figure(c, "total"), 2);
	assert_int_equal(figure(c, "direct"), 1);
	assert_int_equal(figure(c, "needing"), 1);
	assert_int_equal(figure(c, "failed"), 1);
	assert_int_equal(figure(c, "pending_reboot"), 1);
	json_decref(arr);
}

/* A database of the schema before the mask gets it from the counters
 * when opened. */
static void
test_state_mask_upgrade(void **state)
{
	struct err e;

	(void)state;
	console_fixture();
	put("u1", 1, "failed", NULL, 1000);
	put("u2", 1, "installed", NULL, 1000);
	store_close(s);
	s = NULL;
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
	assert_int_equal(
	        db_exec(fixture_db(s),
	                fixture_pg_enabled()
	                        ? "DROP FUNCTION computer_counts_mask() "
	                          "CASCADE;"
	                          "DROP INDEX computers_hostname;"
	                          "DROP INDEX computers_status;"
	                          "ALTER TABLE computers DROP COLUMN "
	                          "state_mask;"
	                          "UPDATE meta SET value = '14' WHERE key = "
	                          "'schema_version'"
	                        : "DROP TRIGGER computer_counts_mask_add;"
	                          "DROP TRIGGER computer_counts_mask;"
	                          "DROP INDEX computers_hostname;"
	                          "DROP INDEX computers_status;"
	                          "ALTER TABLE computers DROP COLUMN "
	                          "state_mask;"
	                          "UPDATE meta SET value = '14' WHERE key = "
	                          "'schema_version'",
	                &e),
	        SL_OK);
	store_close(s);
	s = NULL;
	assert_int_equal(store_open(&s, fixture_db_target(path), &e), SL_OK);
	assert_int_equal(mask_of("c1"), (1 << 3) | (1 << 5));
	put("u1", 1, "installed", NULL, 1100);
	assert_int_equal(mask_of("c1"), 1 << 3);
}

/* The console's computers list: filters, the total, the page by host
 * name and each row's status and counts. */
static json_t *
page_of(const struct store_computer_query *q, int64_t want_total)
{
	json_t *arr = json_array();
	int64_t total = -1;
	struct err e;

	assert_int_equal(store_console_computers(arr, &total, s, q, &e), SL_OK);
	assert_int_equal(total, want_total);
	return arr;
}

static void
test_computers_page(void **state)
{
	int64_t now = (int64_t)time(NULL), web;
	struct store_computer_query q = {.stale_before = now - 30 * 86400,
	                                 .limit = 50};
	char big[1100];
	json_t *arr;
	struct err e;

	(void)state;
	console_fixture(); /* c1 host1 debian, no version */
	assert_int_equal(store_group_create(&web, s, "web", 1, &e), SL_OK);
	register_host("c2", "db_1", "Ubuntu", "24.04", web);
	register_host("c3", "db%2", "debian", "12", web);
	register_host("c4", "dbx2", NULL, NULL, 2);
	put("u1", 1, "failed", "exit code 2", 1000);
	put_for("c2", "u1", 1, "downloaded", NULL, 1000);
	put_for("c3", "u1", 1, "installed", NULL, 1000);
	assert_int_equal(db_exec(fixture_db(s),
	                         "UPDATE computers SET last_report = 1000 "
	                         "WHERE id <> 'c4'",
	                         &e),
	                 SL_OK);
	assert_int_equal(store_computer_touch(s, "c3", now, false, &e), SL_OK);

	arr = page_of(&q, 4);
	assert_int_equal(json_array_size(arr), 4);
	assert_string_equal(field(arr, 0, "hostname"), "db%2");
	assert_string_equal(field(arr, 0, "status"), "up_to_date");
	assert_string_equal(field(arr, 0, "os"), "debian 12");
	assert_string_equal(field(arr, 0, "group"), "web");
	assert_false(
	        json_is_true(json_object_get(json_array_get(arr, 0), "stale")));
	assert_string_equal(field(arr, 1, "hostname"), "db_1");
	assert_string_equal(field(arr, 1, "status"), "needed");
	assert_int_equal(
	        figure(json_object_get(json_array_get(arr, 1), "counts"),
	               "downloaded"),
	        1);
	assert_string_equal(field(arr, 2, "status"), "no_status");
	assert_null(field(arr, 2, "os"));
	assert_string_equal(field(arr, 3, "hostname"), "host1");
	assert_string_equal(field(arr, 3, "status"), "failed");
	assert_string_equal(field(arr, 3, "os"), "debian");
	assert_true(
	        json_is_true(json_object_get(json_array_get(arr, 3), "stale")));
	assert_int_equal(
	        figure(json_object_get(json_array_get(arr, 3), "counts"),
	               "failed"),
	        1);
	assert_null(json_object_get(
	        json_object_get(json_array_get(arr, 3), "counts"),
	        "no_status"));
	json_decref(arr);

	/* A page: the total stays the filter's. */
	q.offset = 1;
	q.limit = 2;
	arr = page_of(&q, 4);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(field(arr, 0, "hostname"), "db_1");
	assert_string_equal(field(arr, 1, "hostname"), "dbx2");
	json_decref(arr);
	q.offset = 10;
	arr = page_of(&q, 4);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	q.offset = 0;
	q.limit = 50;

	/* LIKE's wildcards in the text are plain characters; any case. */
	q.search = "_";
	arr = page_of(&q, 1);
	assert_string_equal(field(arr, 0, "id"), "c2");
	json_decref(arr);
	q.search = "DB%";
	arr = page_of(&q, 1);
	assert_string_equal(field(arr, 0, "id"), "c3");
	json_decref(arr);
	q.search = "";
	q.os = "ubuntu 24";
	arr = page_of(&q, 1);
	assert_string_equal(field(arr, 0, "id"), "c2");
	json_decref(arr);
	q.os = "debian";
	arr = page_of(&q, 2);
	json_decref(arr);
	q.os = NULL;

	q.group = "web";
	arr = page_of(&q, 2);
	json_decref(arr);
	q.group = "nothing";
	arr = page_of(&q, 0);
	json_decref(arr);
	q.group = NULL;

	static const char *const statuses[][2] = {
	        {"failed", "c1"},    {"needed", "c2"},  {"up_to_date", "c3"},
	        {"no_status", "c4"}, {"unknown", NULL},
	};
	for (size_t i = 0; i < 5; i++) {
		q.status = statuses[i][0];
		arr = page_of(&q, statuses[i][1] ? 1 : 0);
		if (statuses[i][1] != NULL)
			assert_string_equal(field(arr, 0, "id"),
			                    statuses[i][1]);
		json_decref(arr);
	}
	q.status = "stale"; /* all but c3, seen now */
	arr = page_of(&q, 3);
	json_decref(arr);
	q.status = NULL;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	q.search = big;
	arr = json_array();
	int64_t total = 0;
	assert_int_equal(store_console_computers(arr, &total, s, &q, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "computers: search: over 1024 bytes");
	json_decref(arr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_approved, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_outcome_moments, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_state_mask, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_state_mask_upgrade, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_downstream_counts, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_computers_page, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
