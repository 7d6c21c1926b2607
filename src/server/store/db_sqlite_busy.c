/*
 * db_sqlite_busy: waiting for the write lock on a condition the process
 * signals (db_sqlite_busy.h). The generation counter tells a waiter that a
 * transaction ended since it last looked; a wake-up that came between the
 * failed attempt and the wait is caught by the 1 ms bound.
 */
#include "db_sqlite_busy.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define BUSY_TOTAL_MS 5000
#define BUSY_STEP_US  1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint64_t generation;

static void
cv_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &a);
	pthread_condattr_destroy(&a);
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* SQLite's busy callback: count is 0 on the first retry of a lock. The
 * start of this wait is kept per thread (a connection is used by one
 * thread at a time). */
static int
busy(void *arg, int count)
{
	static _Thread_local int64_t t0;
	struct timespec until;
	int64_t now = now_us(), end;
	uint64_t g;

	(void)arg;
	if (count == 0)
		t0 = now;
	if (now - t0 >= (int64_t)BUSY_TOTAL_MS * 1000)
		return 0;
	end = now + BUSY_STEP_US;
	until.tv_sec = (time_t)(end / 1000000);
	until.tv_nsec = (long)(end % 1000000) * 1000;
	pthread_mutex_lock(&mu);
	g = generation;
	while (g == generation)
		if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
			break;
	pthread_mutex_unlock(&mu);
	return 1;
}

void
sqbusy_install(sqlite3 *h)
{
	pthread_once(&once, cv_init);
	sqlite3_busy_handler(h, busy, NULL);
}

void
sqbusy_wake(void)
{
	pthread_once(&once, cv_init);
	pthread_mutex_lock(&mu);
	generation++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}
