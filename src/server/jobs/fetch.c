/*
 * fetch: the download thread that fills the content store from the
 * content table (see fetch.h). fetch_stop() cancels a transfer in flight
 * (httpc's cancel flag) and joins the thread; the .part file is resumed on
 * the next start.
 */
#include "fetch.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsx.h"
#include "hash.h"
#include "httpc.h"
#include "log.h"

#define FETCH_ABORTED       1 /* internal: stop requested mid-transfer */
#define FETCH_ONCE_MAX_ROWS 100000

struct fetch {
	const struct server_config *cfg;
	struct store *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	bool wake;         /* under mu */
	atomic_bool stop;
};

/* A content row due for download. */
struct row {
	char sha256[HASH_HEX_LEN + 1];
	uint64_t size;
	char *url;
	int attempts;
};

static long long
backoff_seconds(int attempts)
{
	long long d = FETCH_BACKOFF_BASE_S;

	for (int i = 0; i < attempts && d < FETCH_BACKOFF_MAX_S; i++)
		d *= 2;
	return d < FETCH_BACKOFF_MAX_S ? d : FETCH_BACKOFF_MAX_S;
}

static int
mark_present(struct store *db, const char *sha256, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "UPDATE content SET state = 'present', error = NULL, "
	                "updated_at = ? WHERE sha256 = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, e, "content");
	sqlite3_finalize(st);
	return rc;
}

static int
mark_failed(struct store *db, const struct row *r, const char *msg,
            long long next, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                "UPDATE content SET state = 'failed', attempts = ?, "
	                "next_attempt = ?, error = ?, updated_at = ? "
	                "WHERE sha256 = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int(st, 1, r->attempts + 1);
	sqlite3_bind_int64(st, 2, next);
	sqlite3_bind_text(st, 3, msg, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 5, r->sha256, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, e, "content");
	sqlite3_finalize(st);
	return rc;
}

/* Bring one row's file into the store (f NULL: synchronously). Download
 * failures are recorded in the row; only database errors are returned
 * (and FETCH_ABORTED). */
static int
process_row(struct fetch *f, struct store *db, const struct server_config *cfg,
            const struct row *r, struct fetch_stats *stats, struct err *e)
{
	char dir[4096], dst[4096], sub[3], hex[HASH_HEX_LEN + 1];
	struct err de;
	uint64_t have;
	int rc;

	err_clear(&de);
	memcpy(sub, r->sha256, 2);
	sub[2] = '\0';
	if (!hash_is_hex(r->sha256)) {
		rc = err_set(&de, SL_EINVAL, "not a SHA-256: %s", r->sha256);
	} else if ((rc = fsx_join(dir, sizeof(dir), cfg->content_dir, sub,
	                          &de)) == SL_OK &&
	           (rc = fsx_join(dst, sizeof(dst), dir, r->sha256, &de)) ==
	                   SL_OK &&
	           (rc = fsx_mkdirs(dir, 0755, &de)) == SL_OK) {
		/* Already stored (another row of the same content, or an
		 * earlier run stopped before recording it)? Names are only
		 * ever made by a verified rename, but check anyway. */
		if (fsx_exists(dst) &&
		    hash_file_hex(dst, hex, &have, &de) == SL_OK &&
		    have == r->size && strcmp(hex, r->sha256) == 0)
			rc = SL_OK;
		else {
			log_info("fetch: %s: downloading %" PRIu64
			         " bytes from %s%s",
			         r->sha256, r->size, r->url,
			         r->attempts > 0 ? " (retry)" : "");
			struct httpc_opts o = {.cancel = f != NULL ? &f->stop
			                                           : NULL};
			rc = httpc_download(r->url, dst, r->size, r->sha256, &o,
			                    &de);
			/* Stopped mid-transfer: the .part stays for the
			 * next start; nothing to record. */
			if (rc != SL_OK && f != NULL && atomic_load(&f->stop))
				rc = FETCH_ABORTED;
		}
	}
	if (rc == FETCH_ABORTED)
		return rc;
	if (rc == SL_OK) {
		log_info("fetch: %s: stored (%" PRIu64 " bytes)", r->sha256,
		         r->size);
		if (stats != NULL)
			stats->downloaded++;
		return mark_present(db, r->sha256, e);
	}
	long long delay = backoff_seconds(r->attempts);
	log_warn("fetch: %s: attempt %d failed, retry in %lld s: %s", r->sha256,
	         r->attempts + 1, delay, de.msg);
	if (stats != NULL)
		stats->failed++;
	return mark_failed(db, r, de.msg, (long long)time(NULL) + delay, e);
}

static const char due_sql[] =
        "SELECT sha256, size, upstream_url, attempts FROM content "
        "WHERE state = 'wanted' OR (state = 'failed' AND next_attempt <= ?) "
        "ORDER BY state = 'failed', next_attempt, updated_at, sha256 "
        "LIMIT ?";

static int
row_read(struct row *r, sqlite3_stmt *st, struct err *e)
{
	const char *sha = (const char *)sqlite3_column_text(st, 0);
	const char *url = (const char *)sqlite3_column_text(st, 2);

	memset(r, 0, sizeof(*r));
	snprintf(r->sha256, sizeof(r->sha256), "%s", sha != NULL ? sha : "");
	r->size = (uint64_t)sqlite3_column_int64(st, 1);
	r->attempts = sqlite3_column_int(st, 3);
	if ((r->url = strdup(url != NULL ? url : "")) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* Up to max due rows into *rows (free each url and the array). */
static int
due_rows(struct row **rows, size_t *n, size_t max, struct store *db,
         struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct row *arr = NULL, *na;
	size_t cnt = 0, alloc = 0;
	int rc, s;

	if ((rc = db_prepare(db, &st, due_sql, e)) != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			if ((na = realloc(arr, alloc * sizeof(*arr))) == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			arr = na;
		}
		if ((rc = row_read(&arr[cnt], st, e)) != SL_OK)
			goto out;
		cnt++;
	}
	if (s != SQLITE_DONE)
		rc = db_error(db, e, "due content");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		for (size_t i = 0; i < cnt; i++)
			free(arr[i].url);
		free(arr);
		return rc;
	}
	*rows = arr;
	*n = cnt;
	return SL_OK;
}

static void
rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].url);
	free(rows);
}

int
fetch_run_once(struct fetch_stats *out, struct store *db,
               const struct server_config *cfg, struct err *e)
{
	struct fetch_stats stats = {0};
	struct row *rows = NULL;
	size_t n = 0;
	int rc;

	if (cfg->storage_mode == STORAGE_NONE) {
		if (out != NULL)
			*out = stats;
		return SL_OK;
	}
	if ((rc = due_rows(&rows, &n, FETCH_ONCE_MAX_ROWS, db, e)) != SL_OK) {
		err_prefix(e, "fetch");
		return rc;
	}
	for (size_t i = 0; i < n && rc == SL_OK; i++)
		rc = process_row(NULL, db, cfg, &rows[i], &stats, e);
	rows_free(rows, n);
	if (rc != SL_OK) {
		err_prefix(e, "fetch");
		return rc;
	}
	if (out != NULL)
		*out = stats;
	return SL_OK;
}

/* Seconds until the earliest failed row is due again (capped at idle). */
static long long
idle_seconds(struct store *db)
{
	sqlite3_stmt *st = NULL;
	long long wait = FETCH_IDLE_SECONDS;

	if (db_prepare(db, &st,
	               "SELECT MIN(next_attempt) FROM content "
	               "WHERE state = 'failed'",
	               NULL) != SL_OK)
		return wait;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		long long d =
		        sqlite3_column_int64(st, 0) - (long long)time(NULL);

		if (d < wait)
			wait = d < 1 ? 1 : d;
	}
	sqlite3_finalize(st);
	return wait;
}

static void
wait_for_work(struct fetch *f, long long seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&f->mu);
	while (!f->wake && !atomic_load(&f->stop))
		if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&f->mu);
}

static void *
fetch_main(void *arg)
{
	struct fetch *f = arg;
	struct err e;

	while (!atomic_load(&f->stop)) {
		struct row *rows = NULL;
		size_t n = 0;
		int rc;

		pthread_mutex_lock(&f->mu);
		f->wake = false;
		pthread_mutex_unlock(&f->mu);
		err_clear(&e);
		if (f->cfg->storage_mode == STORAGE_NONE) {
			wait_for_work(f, FETCH_IDLE_SECONDS);
			continue;
		}
		/* One row at a time, so that new work and retries are
		 * picked up in order between transfers. */
		if ((rc = due_rows(&rows, &n, 1, f->db, &e)) != SL_OK) {
			log_error("fetch: %s", e.msg);
			wait_for_work(f, FETCH_IDLE_SECONDS);
			continue;
		}
		if (n == 0) {
			wait_for_work(f, idle_seconds(f->db));
			continue;
		}
		rc = process_row(f, f->db, f->cfg, &rows[0], NULL, &e);
		rows_free(rows, n);
		if (rc == FETCH_ABORTED)
			break;
		if (rc != SL_OK) {
			log_error("fetch: %s", e.msg);
			wait_for_work(f, FETCH_IDLE_SECONDS);
		}
	}
	return NULL;
}

int
fetch_start(struct fetch **out, const struct server_config *cfg, struct err *e)
{
	struct fetch *f;
	pthread_condattr_t ca;
	int rc, prc;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return err_set(e, SL_ENOMEM, "fetch: out of memory");
	f->cfg = cfg;
	atomic_init(&f->stop, false);
	if ((rc = store_open(&f->db, cfg->db_path, e)) != SL_OK) {
		free(f);
		err_prefix(e, "fetch");
		return rc;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((prc = pthread_create(&f->thread, NULL, fetch_main, f)) != 0) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		store_close(f->db);
		free(f);
		return err_set(e, SL_EINTERNAL,
		               "fetch: cannot start the thread: %s",
		               strerror(prc));
	}
	*out = f;
	return SL_OK;
}

void
fetch_wake(struct fetch *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->wake = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void
fetch_stop(struct fetch *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	atomic_store(&f->stop, true);
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	store_close(f->db);
	free(f);
}

int
fetch_mark_wanted_for_update(struct store *db, const char *update_id,
                             struct err *e)
{
	sqlite3_stmt *st = NULL;
	bool known = false;
	int rc, s;

	rc = db_prepare(db, &st, "SELECT 1 FROM update_status WHERE id = ?", e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, update_id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		known = true;
	else if (s != SQLITE_DONE)
		rc = db_error(db, e, "update status");
	sqlite3_finalize(st);
	if (rc != SL_OK)
		return rc;
	if (!known)
		return err_set(e, SL_ENOTFOUND, "update %s: not found",
		               update_id);
	/* The WHERE of the SELECT keeps the upsert unambiguous for SQLite. */
	rc = db_prepare(
	        db, &st,
	        "INSERT INTO content(sha256, size, upstream_url, state, "
	        "updated_at) "
	        "SELECT f.sha256, f.size, f.upstream_url, 'wanted', ? "
	        "FROM update_files f JOIN update_status s "
	        "ON s.id = f.update_id AND s.latest_revision = f.revision "
	        "WHERE f.update_id = ? "
	        "ON CONFLICT(sha256) DO UPDATE SET state = 'wanted', "
	        "attempts = 0, next_attempt = 0, "
	        "updated_at = excluded.updated_at "
	        "WHERE content.state = 'failed'",
	        e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, update_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, e, "wanted content");
	sqlite3_finalize(st);
	return rc;
}
