/*
 * scheduler: one thread, one condition variable; a sync runs when it is due or
 * requested, outside the lock so triggers never block on it.
 */
#include "scheduler.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "store/store.h"
#include "fetch.h"
#include "log.h"
#include "notify.h"
#include "sync.h"

struct sched {
	const struct server_config *cfg;
	struct fetch *fetch;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending, running, stop;
};

static void
run_one(struct sched *s, struct store *db)
{
	struct sync_result res = {0};
	int64_t since = (int64_t)time(NULL);
	struct err e;
	int sent, rc;

	err_clear(&e);
	log_info("sync: starting from %s",
	         s->cfg->upstream_url ? s->cfg->upstream_url : "(no upstream)");
	rc = sync_run(db, s->cfg, &res, &e);
	/* A sync's working memory (a large catalog's documents and index)
	 * goes back to the system, not into malloc's free lists for the
	 * rest of the process's life. */
	malloc_trim(0);
	if (rc != SL_OK) {
		log_warn("sync failed: %s", e.msg);
		return;
	}
	log_info("sync: done, index version %lld, %u new, %u revised, "
	         "%u expired, %u files to download",
	         (long long)res.index_version, res.new_count, res.revised_count,
	         res.expired_count, res.files_wanted);
	fetch_wake(s->fetch);
	if (res.new_count + res.revised_count > 0) {
		if (notify_after_sync(db, s->cfg, since, &sent, &e) != SL_OK)
			log_warn("notify: %s", e.msg);
		else if (sent > 0)
			log_info("notify: sync summary sent");
	}
}

static void *
sched_main(void *arg)
{
	struct sched *s = arg;
	struct store *db = NULL;
	struct timespec due;
	struct err e;
	long interval = 0;

	err_clear(&e);
	if (store_open(&db, s->cfg->db_path, &e) != SL_OK) {
		log_error("scheduler: %s", e.msg);
		return NULL;
	}
	if (s->cfg->syncs_per_day > 0 && s->cfg->upstream_url != NULL)
		interval = 86400L / s->cfg->syncs_per_day;
	/* The first scheduled sync comes shortly after start, so a server
	 * that was down catches up; then every interval. */
	clock_gettime(CLOCK_MONOTONIC, &due);
	due.tv_sec += SCHED_FIRST_DELAY_S;
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (!s->pending) {
			int rc = 0;
			if (interval > 0)
				rc = pthread_cond_timedwait(&s->cv, &s->mu,
				                            &due);
			else
				pthread_cond_wait(&s->cv, &s->mu);
			if (s->stop)
				break;
			if (rc != 0 && interval > 0) {
				s->pending = true; /* scheduled time */
				clock_gettime(CLOCK_MONOTONIC, &due);
				due.tv_sec += interval;
			}
			if (!s->pending)
				continue;
		}
		s->pending = false;
		s->running = true;
		pthread_mutex_unlock(&s->mu);
		run_one(s, db);
		pthread_mutex_lock(&s->mu);
		s->running = false;
	}
	pthread_mutex_unlock(&s->mu);
	store_close(db);
	return NULL;
}

int
sched_start(struct sched **out, const struct server_config *cfg,
            struct fetch *fetch, struct err *e)
{
	pthread_condattr_t ca;
	struct sched *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	s->cfg = cfg;
	s->fetch = fetch;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->thread, NULL, sched_main, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return err_set(e, SL_EINTERNAL, "cannot start the scheduler");
	}
	*out = s;
	return SL_OK;
}

void
sched_trigger(struct sched *s, bool *started)
{
	pthread_mutex_lock(&s->mu);
	*started = !s->pending && !s->running;
	if (*started) {
		s->pending = true;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

void
sched_stop(struct sched *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
