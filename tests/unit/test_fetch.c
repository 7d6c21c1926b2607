/*
 * Unit tests for sluiced's download thread: real files behind file://
 * URLs, a real SQLite database. Success, failure with backoff, resuming
 * a .part, a corrupt .part, an already stored file, marking an update's
 * files wanted, and the background thread woken by fetch_wake().
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

#include "config.h"
#include "fetch.h"
#include "fsx.h"
#include "hash.h"
#include "httpc.h"
#include "db_fixture.h"
#include "server_fixture.h"

static char tmp[64], dbtmp[128], dbpath[512], content[192];
static struct server_config cfg;
static struct store *db;

/* A source file of n bytes; its sha256, file:// URL and store path. */
struct src {
	char *data;
	size_t n;
	char sha[HASH_HEX_LEN + 1];
	char url[300];
	char dst[400];
};

static void
src_make(struct src *s, const char *name, size_t n, unsigned seed)
{
	char path[256];
	struct err e;

	s->n = n;
	assert_non_null(s->data = malloc(n));
	for (size_t i = 0; i < n; i++)
		s->data[i] = (char)((i * 31 + seed) & 0xff);
	hash_buf_hex(s->data, n, s->sha);
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	assert_int_equal(fsx_write_atomic(path, s->data, n, 0644, &e), SL_OK);
	snprintf(s->url, sizeof(s->url), "file://%s", path);
	snprintf(s->dst, sizeof(s->dst), "%s/%.2s/%s", content, s->sha, s->sha);
}

static void
exec_sql(const char *sql)
{
	struct err e;

	if (db_exec(fixture_db(db), sql, &e) != SL_OK)
		fail_msg("%s: %s", sql, e.msg);
}

static void
want(const struct src *s, const char *url)
{
	struct db_stmt *st;
	struct err e;

	assert_int_equal(db_stmt(fixture_db(db), &st,
	                         "INSERT INTO content(sha256, size, "
	                         "upstream_url, state, updated_at) "
	                         "VALUES($1, $2, $3, 'wanted', 1)",
	                         &e),
	                 SL_OK);
	assert_int_equal(db_bind_text(st, 1, s->sha, &e), SL_OK);
	assert_int_equal(db_bind_int(st, 2, (int64_t)s->n, &e), SL_OK);
	assert_int_equal(db_bind_text(st, 3, url != NULL ? url : s->url, &e),
	                 SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
}

static long long
q(const char *sql)
{
	return fixture_int(db, sql);
}

static const char *
qs(const char *sql)
{
	return fixture_text(db, sql);
}

static void
file_equals(const char *path, const struct src *s)
{
	char *text;
	size_t len;
	struct err e;

	assert_int_equal(fsx_read(path, 1 << 26, &text, &len, &e), SL_OK);
	assert_int_equal(len, s->n);
	assert_memory_equal(text, s->data, s->n);
	free(text);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-fetch-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(dbtmp, sizeof(dbtmp), "%s/sluice.db", tmp);
	/* The jobs open their own connections to cfg.db_path. */
	snprintf(dbpath, sizeof(dbpath), "%s", fixture_db_target(dbtmp));
	snprintf(content, sizeof(content), "%s/content", tmp);
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = dbpath;
	cfg.content_dir = content;
	cfg.storage_mode = STORAGE_FULL;
	assert_int_equal(store_open(&db, dbpath, &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(db);
	db = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd);
}

static void
test_download(void **state)
{
	struct fetch_stats fs;
	struct src a, b;
	struct err e;

	(void)state;
	src_make(&a, "a.bin", 100000, 1);
	src_make(&b, "b.bin", 10, 2);
	want(&a, NULL);
	want(&b, NULL);
	/* Storage mode none downloads nothing. */
	cfg.storage_mode = STORAGE_NONE;
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded + fs.failed, 0);
	assert_false(fsx_exists(a.dst));
	cfg.storage_mode = STORAGE_FULL;
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 2);
	assert_int_equal(fs.failed, 0);
	file_equals(a.dst, &a);
	file_equals(b.dst, &b);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'present' AND error IS NULL"),
	                 2);
	/* Nothing left to do. */
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded + fs.failed, 0);
	free(a.data);
	free(b.data);
}

static void
test_failure_backoff(void **state)
{
	struct fetch_stats fs;
	char missing[300];
	long long now, next;
	struct src a;
	struct err e;

	(void)state;
	src_make(&a, "a.bin", 1000, 3);
	snprintf(missing, sizeof(missing), "file://%s/missing.bin", tmp);
	want(&a, missing);
	now = (long long)time(NULL);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.failed, 1);
	assert_string_equal(qs("SELECT state FROM content"), "failed");
	assert_int_equal(q("SELECT attempts FROM content"), 1);
	next = q("SELECT next_attempt FROM content");
	assert_true(next >= now + 5 && next <= now + 7);
	assert_non_null(strstr(qs("SELECT error FROM content"), "missing.bin"));
	assert_false(fsx_exists(a.dst));

	/* Not due yet: nothing happens. */
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded + fs.failed, 0);

	/* Due again: the second failure waits twice as long. */
	exec_sql("UPDATE content SET next_attempt = 0");
	now = (long long)time(NULL);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.failed, 1);
	assert_int_equal(q("SELECT attempts FROM content"), 2);
	next = q("SELECT next_attempt FROM content");
	assert_true(next >= now + 10 && next <= now + 12);

	/* The backoff is capped at an hour. */
	exec_sql("UPDATE content SET next_attempt = 0, attempts = 40");
	now = (long long)time(NULL);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	next = q("SELECT next_attempt FROM content");
	assert_true(next >= now + 3600 && next <= now + 3602);

	/* The upstream is fixed: the next due attempt succeeds. */
	exec_sql("UPDATE content SET next_attempt = 0");
	struct db_stmt *st;
	assert_int_equal(db_stmt(fixture_db(db), &st,
	                         "UPDATE content SET upstream_url = $1", &e),
	                 SL_OK);
	assert_int_equal(db_bind_text(st, 1, a.url, &e), SL_OK);
	assert_int_equal(db_step(st, &e), DB_DONE);
	db_done(st);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 1);
	file_equals(a.dst, &a);
	free(a.data);
}

static void
test_resume_and_corrupt_part(void **state)
{
	struct fetch_stats fs;
	char part[450], dir[300];
	struct src a;
	struct err e;

	(void)state;
	src_make(&a, "a.bin", 200000, 4);
	snprintf(dir, sizeof(dir), "%s/%.2s", content, a.sha);
	assert_int_equal(fsx_mkdirs(dir, 0755, &e), SL_OK);
	snprintf(part, sizeof(part), "%s.part", a.dst);

	/* A corrupt .part of the full size: refused, deleted, retried. */
	memset(a.data, 'x', 10);
	assert_int_equal(fsx_write_atomic(part, a.data, a.n, 0644, &e), SL_OK);
	for (size_t i = 0; i < 10; i++)
		a.data[i] = (char)((i * 31 + 4) & 0xff);
	want(&a, NULL);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.failed, 1);
	assert_false(fsx_exists(part));
	assert_false(fsx_exists(a.dst));
	exec_sql("UPDATE content SET next_attempt = 0");

	/* A good first half: resumed, and the result verifies. */
	assert_int_equal(fsx_write_atomic(part, a.data, a.n / 2, 0644, &e),
	                 SL_OK);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 1);
	assert_false(fsx_exists(part));
	file_equals(a.dst, &a);
	assert_string_equal(qs("SELECT state FROM content"), "present");
	free(a.data);
}

static void
test_already_stored(void **state)
{
	struct fetch_stats fs;
	char dir[300], missing[300];
	struct src a;
	struct err e;

	(void)state;
	src_make(&a, "a.bin", 5000, 5);
	snprintf(dir, sizeof(dir), "%s/%.2s", content, a.sha);
	assert_int_equal(fsx_mkdirs(dir, 0755, &e), SL_OK);
	assert_int_equal(fsx_write_atomic(a.dst, a.data, a.n, 0644, &e), SL_OK);
	/* The upstream does not have it: no transfer is needed anyway. */
	snprintf(missing, sizeof(missing), "file://%s/missing.bin", tmp);
	want(&a, missing);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 1);
	assert_string_equal(qs("SELECT state FROM content"), "present");
	free(a.data);
}

static void
test_mark_wanted(void **state)
{
	struct fetch_stats fs;
	struct src a, b, c;
	char sql[2048];
	struct err e;

	(void)state;
	src_make(&a, "a.bin", 300, 6); /* revision 1 only */
	src_make(&b, "b.bin", 400, 7); /* revision 2 */
	src_make(&c, "c.bin", 500, 8); /* revision 2, failed before */
	exec_sql("INSERT INTO update_status(id, latest_revision, change_seq) "
	         "VALUES('0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01', 2, 1)");
	snprintf(sql, sizeof(sql),
	         "INSERT INTO update_files VALUES"
	         "('0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01', 1, '%s', 300, 'a', "
	         "'%s'),"
	         "('0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01', 2, '%s', 400, 'b', "
	         "'%s'),"
	         "('0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01', 2, '%s', 500, 'c', "
	         "'%s')",
	         a.sha, a.url, b.sha, b.url, c.sha, c.url);
	exec_sql(sql);
	snprintf(sql, sizeof(sql),
	         "INSERT INTO content VALUES('%s', 500, '%s', 'failed', 9, "
	         "9999999999, 'boom', 1)",
	         c.sha, c.url);
	exec_sql(sql);
	assert_int_equal(
	        fetch_mark_wanted_for_update(
	                db, "0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01", &e),
	        SL_OK);
	assert_int_equal(q("SELECT COUNT(*) FROM content"), 2);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'wanted' AND attempts = 0 AND next_attempt = 0"),
	                 2);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 2);
	file_equals(b.dst, &b);
	file_equals(c.dst, &c);
	assert_false(fsx_exists(a.dst));
	/* Marking again leaves present rows alone. */
	assert_int_equal(
	        fetch_mark_wanted_for_update(
	                db, "0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01", &e),
	        SL_OK);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'present'"),
	                 2);
	free(a.data);
	free(b.data);
	free(c.data);
}

static void
test_thread(void **state)
{
	struct fetch *f = NULL;
	struct src a, b;
	struct err e;
	int i;

	(void)state;
	src_make(&a, "a.bin", 70000, 9);
	src_make(&b, "b.bin", 80000, 10);
	/* Wanted before the start: resumed at once. */
	want(&a, NULL);
	assert_int_equal(fetch_start(&f, &cfg, &e), SL_OK);
	for (i = 0; i < 100 && !fsx_exists(a.dst); i++)
		usleep(50000);
	file_equals(a.dst, &a);
	/* New work: picked up on fetch_wake(), long before the idle 30 s. */
	want(&b, NULL);
	fetch_wake(f);
	for (i = 0; i < 100 && !fsx_exists(b.dst); i++)
		usleep(50000);
	file_equals(b.dst, &b);
	for (i = 0; i < 100 && q("SELECT COUNT(*) FROM content WHERE state = "
	                         "'present'") < 2;
	     i++)
		usleep(50000);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'present'"),
	                 2);
	fetch_stop(f);
	fetch_stop(NULL);
	fetch_wake(NULL);
	free(a.data);
	free(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_download, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failure_backoff, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_resume_and_corrupt_part,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_already_stored, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_mark_wanted, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_thread, setup, teardown),
	};
	struct err e;

	if (httpc_global_init(&e) != SL_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
