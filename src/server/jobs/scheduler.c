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
#include "lease.h"
#include "store/store_lease.h"
#include "log.h"
#include "notify.h"
#include "sync.h"

struct sched {
	const struct server_config *cfg;
	struct fetch *fetch;
	struct lease *lease;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending, running, stop;
};

/* What a sync attempt came to. */
enum sched_outcome {
	SCHED_RAN,     /* this front-end ran a sync */
	SCHED_BUSY,    /* another front-end holds the sync: ask again later */
	SCHED_NOT_DUE, /* the scheduled sync is not due yet (*due says when) */
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

/* One sync under the cluster-wide "sync" lease. It runs when requested
 * (manual), when the shared next_due has come (so of several front-ends
 * waking at the same time one syncs and the others find it done), or when
 * the lease lapsed on a sync still marked running: its front-end died and
 * this one takes the sync over. A due or taken-over sync moves next_due
 * one interval on. */
static enum sched_outcome
attempt(struct sched *s, struct store *db, bool manual, long interval,
        int64_t *due)
{
	struct err e;
	int64_t now;
	bool is_due;
	int n = 0;

	if (!lease_take(s->lease, db, "sync"))
		return SCHED_BUSY;
	now = (int64_t)time(NULL);
	err_clear(&e);
	/* Holding the lease, a 'running' sync is one whose front-end died. */
	if (store_sync_interrupted(&n, db, now, &e) != SL_OK ||
	    store_lease_due(due, db, "sync", &e) != SL_OK) {
		log_warn("scheduler: %s", e.msg);
		lease_drop(s->lease, db, "sync");
		return SCHED_BUSY;
	}
	if (n > 0)
		log_warn("sync: %d sync(s) interrupted on another front-end, "
		         "taking over",
		         n);
	is_due = interval > 0 && *due <= now;
	if (!manual && n == 0 && !is_due) {
		lease_drop(s->lease, db, "sync");
		return SCHED_NOT_DUE;
	}
	run_one(s, db);
	if (interval > 0 && (is_due || n > 0)) {
		*due = (int64_t)time(NULL) + interval;
		err_clear(&e);
		if (store_lease_set_due(db, "sync", lease_holder(s->lease),
		                        *due, &e) != SL_OK)
			log_warn("scheduler: %s", e.msg);
	}
	lease_drop(s->lease, db, "sync");
	return SCHED_RAN;
}

static void
mono_in(struct timespec *t, long secs)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += secs;
}

static bool
mono_reached(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *
sched_main(void *arg)
{
	struct sched *s = arg;
	struct store *db = NULL;
	struct timespec check;
	enum sched_outcome o;
	struct err e;
	long interval = 0;
	bool want = false;
	int64_t due = 0, wait;

	err_clear(&e);
	if (store_open(&db, s->cfg->db_path, &e) != SL_OK) {
		log_error("scheduler: %s", e.msg);
		return NULL;
	}
	if (s->cfg->syncs_per_day > 0 && s->cfg->upstream_url != NULL)
		interval = 86400L / s->cfg->syncs_per_day;
	/* The first check comes shortly after start, so a server that was
	 * down past the due time catches up; the due time itself is shared
	 * by every front-end on the database. Checks come at least every
	 * LEASE_TTL_S, to take over a sync whose front-end died. */
	mono_in(&check, SCHED_FIRST_DELAY_S);
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (!s->pending) {
			pthread_cond_timedwait(&s->cv, &s->mu, &check);
			if (s->stop)
				break;
		}
		if (s->pending)
			want = true;
		s->pending = false;
		if (!want && !mono_reached(&check))
			continue;
		s->running = true;
		pthread_mutex_unlock(&s->mu);
		o = attempt(s, db, want, interval, &due);
		if (want)
			want = o == SCHED_BUSY;
		wait = LEASE_TTL_S;
		if (o == SCHED_BUSY)
			wait = LEASE_RETRY_S;
		else if (interval > 0 && due - (int64_t)time(NULL) < wait)
			wait = due - (int64_t)time(NULL);
		mono_in(&check, wait < 1 ? 1 : (long)wait);
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
	if (lease_start(&s->lease, cfg, e) != SL_OK) {
		free(s);
		return err_prefix(e, "scheduler");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->thread, NULL, sched_main, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		lease_stop(s->lease);
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
	lease_stop(s->lease);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
