/*
 * fold: the counters' fold job (fold.h). The front-end that holds the
 * "counters" lease keeps it (the lease keeper renews it) and folds every
 * FOLD_EVERY_S; the others ask as often and find it held.
 */
#include "fold.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lease.h"
#include "log.h"
#include "store/db.h"
#include "store/store_fold.h"

struct fold_thread {
	const struct server_config *cfg;
	struct lease *lease;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *
run(void *arg)
{
	struct fold_thread *t = arg;
	struct store *db = NULL;
	struct err e;

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		struct timespec ts;
		int64_t moved;

		pthread_mutex_unlock(&t->mu);
		err_clear(&e);
		/* Opened (again) here: the database may be away at start or
		 * go away meanwhile. */
		if (db == NULL && store_open(&db, t->cfg->db_path, &e) != SL_OK)
			log_warn("fold: database: %s", e.msg);
		else if (db != NULL && lease_take(t->lease, db, "counters") &&
		         store_counts_fold(&moved, db, &e) != SL_OK) {
			log_warn("fold: %s", e.msg);
			store_close(db);
			db = NULL;
		}
		pthread_mutex_lock(&t->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += FOLD_EVERY_S;
		while (!t->stop &&
		       pthread_cond_timedwait(&t->cv, &t->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&t->mu);
	if (db != NULL)
		lease_drop(t->lease, db, "counters");
	store_close(db);
	return NULL;
}

int
fold_start(struct fold_thread **out, const struct server_config *cfg,
           struct err *e)
{
	struct fold_thread *t;

	*out = NULL;
	if (!db_target_is_postgres(cfg->db_path))
		return SL_OK;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	t->cfg = cfg;
	if (lease_start(&t->lease, cfg, e) != SL_OK) {
		free(t);
		return err_prefix(e, "fold");
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, run, t) != 0) {
		lease_stop(t->lease);
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return err_set(e, SL_EINTERNAL, "fold: cannot start thread");
	}
	*out = t;
	return SL_OK;
}

void
fold_stop(struct fold_thread *t)
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
