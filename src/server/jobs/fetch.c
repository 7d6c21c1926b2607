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
#include "netopts.h"
#include "progress.h"
#include "httpc.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"

#define FETCH_ABORTED       1 /* internal: stop requested mid-transfer */
#define FETCH_ONCE_MAX_ROWS 100000

struct fetch {
	const struct server_config *cfg;
	struct store *db;
	struct lease *lease; /* the cluster-wide "fetch" job */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	bool wake;         /* under mu */
	atomic_bool stop;
};

/* A content row due for download. */

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
	return store_content_present(db, sha256, (int64_t)time(NULL), e);
}

static int
mark_failed(struct store *db, const struct store_content_due *r,
            const char *msg, long long next, struct err *e)
{
	return store_content_failed(db, r->sha256, r->attempts + 1, next, msg,
	                            (int64_t)time(NULL), e);
}

/* Bring one row's file into the store (f NULL: synchronously). Download
 * failures are recorded in the row; only database errors are returned
 * (and FETCH_ABORTED). */
static int
process_row(struct fetch *f, struct store *db, const struct server_config *cfg,
            const struct store_content_due *r, struct fetch_stats *stats,
            struct err *e)
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
		    have == (uint64_t)r->size && strcmp(hex, r->sha256) == 0)
			rc = SL_OK;
		else {
			log_info("fetch: %s: downloading %" PRIu64
			         " bytes from %s%s",
			         r->sha256, (uint64_t)r->size, r->url,
			         r->attempts > 0 ? " (retry)" : "");
			struct httpc_opts o = {
			        .cancel = f != NULL ? &f->stop : NULL,
			        .progress = progress_fetch_bytes};
			netopts_http(&o, cfg, true);
			progress_fetch_begin(r->sha256, (uint64_t)r->size);
			metrics_download_running(1);
			rc = httpc_download(r->url, dst, (uint64_t)r->size,
			                    r->sha256, &o, &de);
			metrics_download_running(-1);
			if (rc == SL_OK)
				metrics_download_bytes((uint64_t)r->size);
			progress_fetch_end(rc == SL_OK);
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
		         (uint64_t)r->size);
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

static int
due_rows(struct store_content_due **rows, size_t *n, size_t max,
         struct store *db, struct err *e)
{
	return store_content_next_due(rows, n, db, (int64_t)time(NULL), max, e);
}

static void
rows_free(struct store_content_due *rows, size_t n)
{
	store_content_due_free(rows, n);
}

int
fetch_run_once(struct fetch_stats *out, struct store *db,
               const struct server_config *cfg, struct err *e)
{
	struct fetch_stats stats = {0};
	struct store_content_due *rows = NULL;
	size_t n = 0;
	int rc;

	if (config_storage_mode(cfg) == STORAGE_NONE) {
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
	long long wait = FETCH_IDLE_SECONDS;
	int64_t at;
	bool any;

	if (store_content_next_retry(&at, &any, db, NULL) == SL_OK && any) {
		long long d = (long long)at - (long long)time(NULL);

		if (d < wait)
			wait = d < 1 ? 1 : d;
	}
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
		struct store_content_due *rows = NULL;
		size_t n = 0;
		int rc;

		pthread_mutex_lock(&f->mu);
		f->wake = false;
		pthread_mutex_unlock(&f->mu);
		err_clear(&e);
		if (config_storage_mode(f->cfg) == STORAGE_NONE) {
			wait_for_work(f, FETCH_IDLE_SECONDS);
			continue;
		}
		/* Of several front-ends on one database, the holder of the
		 * "fetch" lease downloads (into the shared content
		 * directory); the others stand by to take over. */
		if (!lease_take(f->lease, f->db, "fetch")) {
			wait_for_work(f, LEASE_RETRY_S);
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
		/* Outside the download window: wait for it (woken early
		 * only to check again). */
		long long closed = netopts_window_wait(f->cfg, time(NULL));
		if (closed > 0) {
			rows_free(rows, n);
			wait_for_work(f, closed < FETCH_IDLE_SECONDS
			                         ? closed
			                         : FETCH_IDLE_SECONDS);
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
	if ((rc = lease_start(&f->lease, cfg, e)) != SL_OK) {
		store_close(f->db);
		free(f);
		return err_prefix(e, "fetch");
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((prc = pthread_create(&f->thread, NULL, fetch_main, f)) != 0) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		lease_stop(f->lease);
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
	lease_drop(f->lease, f->db, "fetch");
	lease_stop(f->lease);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	store_close(f->db);
	free(f);
}

int
fetch_mark_wanted_for_update(struct store *db, const char *update_id,
                             struct err *e)
{
	return store_content_want_update(db, update_id, (int64_t)time(NULL), e);
}
