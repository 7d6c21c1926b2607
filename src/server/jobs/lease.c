/*
 * lease: job leases held by this front-end (lease.h); one keeper thread
 * renews them on its own connection.
 */
#include "lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store/store.h"
#include "store/store_lease.h"

struct lease {
	const struct server_config *cfg;
	char holder[128];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	const char *held[LEASE_MAX]; /* string constants; NULL = free */
};

static void
renew_all(struct lease *l, struct store *db)
{
	const char *names[LEASE_MAX];
	int64_t now = (int64_t)time(NULL);
	struct err e;
	bool got;
	int i;

	pthread_mutex_lock(&l->mu);
	memcpy(names, l->held, sizeof(names));
	pthread_mutex_unlock(&l->mu);
	for (i = 0; i < LEASE_MAX; i++) {
		if (names[i] == NULL)
			continue;
		err_clear(&e);
		if (store_lease_take(&got, db, names[i], l->holder, now,
		                     now + LEASE_TTL_S, &e) != SL_OK)
			log_warn("lease: cannot renew: %s", e.msg);
		else if (!got)
			log_warn("lease %s: taken over by another front-end",
			         names[i]);
	}
}

static void *
keeper_main(void *arg)
{
	struct lease *l = arg;
	struct store *db = NULL;
	struct timespec t;
	struct err e;

	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_sec += LEASE_RENEW_S;
		pthread_cond_timedwait(&l->cv, &l->mu, &t);
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		err_clear(&e);
		if (db == NULL && store_open(&db, l->cfg->db_path, &e) != SL_OK)
			log_warn("lease: %s", e.msg);
		if (db != NULL)
			renew_all(l, db);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	store_close(db);
	return NULL;
}

int
lease_start(struct lease **out, const struct server_config *cfg, struct err *e)
{
	pthread_condattr_t ca;
	struct lease *l;
	char host[64] = "host";
	unsigned r = 0;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	l->cfg = cfg;
	gethostname(host, sizeof(host) - 1);
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
	}
	snprintf(l->holder, sizeof(l->holder), "%s:%ld:%08x", host,
	         (long)getpid(), r);
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&l->thread, NULL, keeper_main, l) != 0) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		free(l);
		return err_set(e, SL_EINTERNAL,
		               "cannot start the lease keeper");
	}
	*out = l;
	return SL_OK;
}

void
lease_stop(struct lease *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void
set_held(struct lease *l, const char *name, bool held)
{
	int i, slot = -1;

	pthread_mutex_lock(&l->mu);
	for (i = 0; i < LEASE_MAX; i++) {
		if (l->held[i] != NULL && strcmp(l->held[i], name) == 0)
			slot = i;
		else if (slot < 0 && held && l->held[i] == NULL)
			slot = i;
	}
	if (slot >= 0)
		l->held[slot] = held ? name : NULL;
	pthread_mutex_unlock(&l->mu);
}

bool
lease_take(struct lease *l, struct store *db, const char *name)
{
	int64_t now = (int64_t)time(NULL);
	struct err e;
	bool got = false;

	err_clear(&e);
	if (store_lease_take(&got, db, name, l->holder, now, now + LEASE_TTL_S,
	                     &e) != SL_OK) {
		log_warn("lease: %s", e.msg);
		return false;
	}
	if (got)
		set_held(l, name, true);
	return got;
}

void
lease_drop(struct lease *l, struct store *db, const char *name)
{
	struct err e;

	set_held(l, name, false);
	err_clear(&e);
	if (store_lease_release(db, name, l->holder, &e) != SL_OK)
		log_warn("lease: %s", e.msg);
}

const char *
lease_holder(const struct lease *l)
{
	return l->holder;
}
