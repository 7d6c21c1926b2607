/*
 * db_wlock: one writer lock per SQLite database file in this process (see
 * db_wlock.h). A small table of the files open, keyed by real path.
 */
#include "db_wlock.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WLOCK_FILES 32

struct db_wlock {
	char path[PATH_MAX];
	unsigned refs;
	pthread_mutex_t mu;
};

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static struct db_wlock *table[WLOCK_FILES];

void
db_wlock_get(struct db_wlock **out, const char *path)
{
	char real[PATH_MAX];
	struct db_wlock *l = NULL;
	size_t i, free_slot = WLOCK_FILES;

	*out = NULL;
	if (realpath(path, real) == NULL)
		return;
	pthread_mutex_lock(&table_mu);
	for (i = 0; i < WLOCK_FILES; i++) {
		if (table[i] == NULL) {
			if (free_slot == WLOCK_FILES)
				free_slot = i;
		} else if (strcmp(table[i]->path, real) == 0) {
			l = table[i];
			break;
		}
	}
	if (l == NULL && free_slot < WLOCK_FILES &&
	    (l = calloc(1, sizeof(*l))) != NULL) {
		memcpy(l->path, real, strlen(real) + 1);
		pthread_mutex_init(&l->mu, NULL);
		table[free_slot] = l;
	}
	if (l != NULL)
		l->refs++;
	pthread_mutex_unlock(&table_mu);
	*out = l;
}

void
db_wlock_put(struct db_wlock *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&table_mu);
	if (--l->refs == 0) {
		for (size_t i = 0; i < WLOCK_FILES; i++)
			if (table[i] == l)
				table[i] = NULL;
		pthread_mutex_destroy(&l->mu);
		free(l);
	}
	pthread_mutex_unlock(&table_mu);
}

int
db_wlock_acquire(struct db_wlock *l, int timeout_ms, struct err *e)
{
	struct timespec until;
	int rc;

	if (l == NULL)
		return SL_OK;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	rc = pthread_mutex_timedlock(&l->mu, &until);
	if (rc == 0)
		return SL_OK;
	return err_set(e, SL_EUNAVAILABLE,
	               "database busy: other writers held it for %d ms",
	               timeout_ms);
}

void
db_wlock_release(struct db_wlock *l)
{
	if (l != NULL)
		pthread_mutex_unlock(&l->mu);
}
