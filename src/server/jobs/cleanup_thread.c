/*
 * cleanup_thread: the scheduled maintenance (cleanup.h). A thread with its
 * own database connection that asks cleanup_due() and notify_report_due()
 * once a minute and logs what each run did, one line per step. Both run
 * under the cluster-wide "maintenance" lease (lease.h): of several
 * front-ends on one database, one at a time asks, so a scheduled cleanup
 * or status report runs once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "cleanup.h"
#include "lease.h"
#include "log.h"
#include "notify.h"

#define CHECK_EVERY_S 60

struct cleanup_thread {
	const struct server_config *cfg;
	struct lease *lease;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void
log_report(json_t *rep)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rep, "steps"), i, s) log_info(
	        "cleanup: %s: %lld (%lld bytes)",
	        json_string_value(json_object_get(s, "step")),
	        (long long)json_integer_value(json_object_get(s, "count")),
	        (long long)json_integer_value(json_object_get(s, "bytes")));
	log_info("cleanup: done in %lld ms, longest batch %.1f ms",
	         (long long)json_integer_value(
	                 json_object_get(rep, "duration_ms")),
	         json_real_value(json_object_get(rep, "longest_batch_ms")));
}

static void *
run(void *arg)
{
	struct cleanup_thread *t = arg;
	struct store *db = NULL;
	struct err e;

	err_clear(&e);
	if (store_open(&db, t->cfg->db_path, &e) != SL_OK) {
		log_error("cleanup: database: %s", e.msg);
		return NULL;
	}
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		struct timespec ts;
		json_t *rep = NULL;
		bool ran;

		pthread_mutex_unlock(&t->mu);
		if (lease_take(t->lease, db, "maintenance")) {
			err_clear(&e);
			if (cleanup_due(&ran, &rep, db, t->cfg,
			                (long long)time(NULL), &e) != SL_OK)
				log_warn("cleanup: %s", e.msg);
			else if (ran)
				log_report(rep);
			json_decref(rep);
			err_clear(&e);
			if (notify_report_due(&ran, db, t->cfg,
			                      (long long)time(NULL),
			                      &e) != SL_OK)
				log_warn("notify: status report: %s", e.msg);
			else if (ran)
				log_info("notify: status report sent");
			lease_drop(t->lease, db, "maintenance");
		}
		pthread_mutex_lock(&t->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += CHECK_EVERY_S;
		while (!t->stop &&
		       pthread_cond_timedwait(&t->cv, &t->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&t->mu);
	store_close(db);
	return NULL;
}

int
cleanup_start(struct cleanup_thread **out, const struct server_config *cfg,
              struct err *e)
{
	struct cleanup_thread *t;

	*out = NULL;
	if (cfg->cleanup_hours <= 0 && cfg->notify_report_hours <= 0)
		return SL_OK;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	t->cfg = cfg;
	if (lease_start(&t->lease, cfg, e) != SL_OK) {
		free(t);
		return err_prefix(e, "cleanup");
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, run, t) != 0) {
		lease_stop(t->lease);
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return err_set(e, SL_EINTERNAL, "cleanup: cannot start thread");
	}
	*out = t;
	return SL_OK;
}

void
cleanup_stop(struct cleanup_thread *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	lease_stop(t->lease);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
