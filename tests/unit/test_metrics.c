/*
 * Unit tests for the operator modules of the HTTP layer: metrics (the
 * per-route counters, the histogram, the exposition with and without a
 * store, store_stats and store_backup underneath) and access_log (what a
 * path becomes in a log line).
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

#include "access_log.h"
#include "http.h"
#include "metrics.h"
#include "server_fixture.h"

static char tmp[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-metrics.XXXXXX");
	assert_non_null(mkdtemp(tmp));
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

static int
route_index(const char *method, const char *pattern)
{
	for (size_t i = 0; i < n_routes; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return (int)i;
	fail_msg("no route %s %s", method, pattern);
	return -1;
}

static char *
render(struct store *db, const struct server_config *cfg)
{
	struct buf b;
	struct err e;

	buf_init(&b, METRICS_BODY_MAX);
	assert_int_equal(metrics_render(&b, db, cfg, &e), SL_OK);
	return buf_steal(&b, NULL);
}

/* Counters by route and status; the histogram is cumulative; content
 * bytes count for /content/ only; unknown statuses are "other". */
static void
test_counters(void **state)
{
	int sync = route_index("POST", "/v1/agent/sync");
	int content = route_index("GET", "/content/*");
	char *t;

	(void)state;
	metrics_request(sync, 200, 10, 800);      /* <= 1 ms */
	metrics_request(sync, 200, 10, 3000);     /* <= 5 ms */
	metrics_request(sync, 401, 10, 20000000); /* +Inf */
	metrics_request(sync, 299, 0, 10);
	metrics_request(content, 206, 4096, 10);
	metrics_request(-1, 404, 50, 10);
	t = render(NULL, NULL);
	assert_non_null(strstr(t, "# TYPE sluice_http_requests_total "
	                          "counter\n"));
	assert_non_null(strstr(t, "sluice_http_requests_total{route=\"/v1/"
	                          "agent/sync\",method=\"POST\",status=\"200\"}"
	                          " 2\n"));
	assert_non_null(strstr(t, "{route=\"/v1/agent/sync\",method=\"POST\","
	                          "status=\"401\"} 1\n"));
	assert_non_null(strstr(t, "{route=\"/v1/agent/sync\",method=\"POST\","
	                          "status=\"other\"} 1\n"));
	assert_non_null(strstr(t, "{route=\"none\",method=\"\",status=\"404\"}"
	                          " 1\n"));
	assert_non_null(strstr(t, "sluice_http_request_duration_seconds_bucket{"
	                          "route=\"/v1/agent/sync\",method=\"POST\","
	                          "le=\"0.001\"} 2\n"));
	assert_non_null(strstr(t, "sluice_http_request_duration_seconds_bucket{"
	                          "route=\"/v1/agent/sync\",method=\"POST\","
	                          "le=\"0.005\"} 3\n"));
	assert_non_null(strstr(t, "sluice_http_request_duration_seconds_bucket{"
	                          "route=\"/v1/agent/sync\",method=\"POST\","
	                          "le=\"10\"} 3\n"));
	assert_non_null(strstr(t, "sluice_http_request_duration_seconds_bucket{"
	                          "route=\"/v1/agent/sync\",method=\"POST\","
	                          "le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(t, "sluice_http_request_duration_seconds_sum{"
	                          "route=\"/v1/agent/sync\",method=\"POST\"} "
	                          "20.003810\n"));
	assert_non_null(strstr(t, "sluice_agent_syncs_total 2\n"));
	assert_non_null(strstr(t, "sluice_agent_reports_total 0\n"));
	assert_non_null(strstr(t, "sluice_content_served_bytes_total 4096\n"));
	/* No store: no figures from it. */
	assert_null(strstr(t, "sluice_events_stored"));
	free(t);
}

/* With a store: the figures from the database, and an online backup of
 * it that opens with the same rows. */
static void
test_store(void **state)
{
	struct server_config cfg = {0};
	struct store *db = NULL, *copy = NULL;
	char path[128], bak[160];
	struct err e;
	char *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/sluice.db", tmp);
	snprintf(bak, sizeof(bak), "%s/backup.db", tmp);
	cfg.db_path = path;
	assert_int_equal(store_open(&db, path, &e), SL_OK);
	assert_int_equal(db_exec(fixture_db(db),
	                         "INSERT INTO computers(id, token_hash, "
	                         "hostname, group_id, registered_at, "
	                         "last_contact) VALUES('a', 'ha', 'a', 1, 0, "
	                         "strftime('%s','now') - 60), ('b', 'hb', 'b', "
	                         "1, 0, strftime('%s','now') - 7200), ('c', "
	                         "'hc', 'c', 1, 0, NULL);"
	                         "INSERT INTO content(sha256, size, "
	                         "upstream_url, state, updated_at) VALUES('x', "
	                         "10, 'u', 'wanted', 0), ('y', 32, 'u', "
	                         "'present', 0);"
	                         "INSERT INTO sync_history(started_at, "
	                         "finished_at, result) VALUES(1, 1000, "
	                         "'success'), (2, 2000, 'failure')",
	                         &e),
	                 SL_OK);
	t = render(db, &cfg);
	assert_non_null(strstr(t, "sluice_events_stored 0\n"));
	assert_non_null(strstr(t, "sluice_computers{last_contact=\"1h\"} 1\n"
	                          "sluice_computers{last_contact=\"1d\"} 1\n"
	                          "sluice_computers{last_contact=\"7d\"} 0\n"
	                          "sluice_computers{last_contact=\"older\"} "
	                          "1\n"));
	assert_non_null(strstr(t,
	                       "sluice_sync_runs_total{result=\"success\"} "
	                       "1\nsluice_sync_runs_total{result=\"failure\"}"
	                       " 1\n"));
	assert_non_null(strstr(t, "sluice_sync_last_success_timestamp_seconds "
	                          "1000\n"));
	assert_non_null(strstr(t, "sluice_downloads{state=\"queued\"} 1\n"));
	assert_non_null(strstr(t, "sluice_downloads_bytes{state=\"present\"} "
	                          "32\n"));
	assert_null(strstr(t, "sluice_database_size_bytes 0\n"));
	free(t);

	assert_int_equal(store_backup(path, bak, &e), SL_OK);
	assert_int_equal(access(bak, F_OK), 0);
	assert_int_equal(store_open(&copy, bak, &e), SL_OK);
	assert_int_equal(fixture_int(copy, "SELECT count(*) FROM computers"),
	                 3);
	store_close(copy);
	assert_int_equal(store_backup("postgresql://x/y", bak, &e),
	                 SL_EUNSUPPORTED);
	assert_string_equal(e.msg, "backup: the database is PostgreSQL: use "
	                           "pg_dump (docs/deploy.md)");
	snprintf(bak, sizeof(bak), "%s/none/backup.db", tmp);
	assert_int_equal(store_backup(path, bak, &e), SL_EIO);
	assert_non_null(strstr(e.msg, "/none/backup.db.tmp: "));
	store_close(db);
}

static void
test_access_clean(void **state)
{
	char out[16];

	(void)state;
	assert_string_equal(access_log_clean(out, sizeof(out), "/healthz"),
	                    "/healthz");
	assert_string_equal(
	        access_log_clean(out, sizeof(out), "/a?token=secret"), "/a");
	assert_string_equal(access_log_clean(out, sizeof(out), "/a b\n\x7f"),
	                    "/a?b??");
	assert_string_equal(
	        access_log_clean(out, sizeof(out), "/0123456789abcdefgh"),
	        "/0123456789a...");
	assert_string_equal(
	        access_log_clean(out, sizeof(out), "/0123456789a?secret=long"),
	        "/0123456789a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_counters),
	        cmocka_unit_test_setup_teardown(test_store, setup, teardown),
	        cmocka_unit_test(test_access_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
