/*
 * progress: the process-wide record of sync and fetch progress
 * (progress.h).
 */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROUND_IDLE_S 10 /* a pause this long ends a fetch round */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static struct {
	bool running;
	char phase[16];
	long long started;
	unsigned total, verified, imported;
	char last[16];
} sy;

static struct {
	bool active;
	char sha[65];
	uint64_t size, received;
	unsigned done, failed;
	uint64_t bytes_done;
	struct timespec round_start, last_end;
	bool any;
} fe;

static double
secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
progress_sync_begin(void)
{
	pthread_mutex_lock(&mu);
	sy.running = true;
	snprintf(sy.phase, sizeof(sy.phase), "index");
	sy.started = (long long)time(NULL);
	sy.total = sy.verified = sy.imported = 0;
	pthread_mutex_unlock(&mu);
}

void
progress_sync_phase(const char *phase)
{
	pthread_mutex_lock(&mu);
	snprintf(sy.phase, sizeof(sy.phase), "%s", phase);
	pthread_mutex_unlock(&mu);
}

void
progress_sync_docs_total(unsigned n)
{
	pthread_mutex_lock(&mu);
	sy.total = n;
	pthread_mutex_unlock(&mu);
}

void
progress_sync_doc_verified(void)
{
	pthread_mutex_lock(&mu);
	sy.verified++;
	pthread_mutex_unlock(&mu);
}

void
progress_sync_doc_imported(void)
{
	pthread_mutex_lock(&mu);
	sy.imported++;
	pthread_mutex_unlock(&mu);
}

void
progress_sync_end(bool ok)
{
	pthread_mutex_lock(&mu);
	sy.running = false;
	sy.phase[0] = '\0';
	snprintf(sy.last, sizeof(sy.last), "%s", ok ? "success" : "failure");
	pthread_mutex_unlock(&mu);
}

void
progress_fetch_begin(const char *sha256, uint64_t size)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&mu);
	if (!fe.any || secs(&fe.last_end, &now) > ROUND_IDLE_S) {
		fe.done = fe.failed = 0;
		fe.bytes_done = 0;
		fe.round_start = now;
		fe.any = true;
	}
	fe.active = true;
	snprintf(fe.sha, sizeof(fe.sha), "%s", sha256);
	fe.size = size;
	fe.received = 0;
	pthread_mutex_unlock(&mu);
}

void
progress_fetch_bytes(void *arg, uint64_t received)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	fe.received = received;
	pthread_mutex_unlock(&mu);
}

void
progress_fetch_end(bool ok)
{
	pthread_mutex_lock(&mu);
	fe.active = false;
	if (ok) {
		fe.done++;
		fe.bytes_done += fe.received;
	} else {
		fe.failed++;
		fe.bytes_done += fe.received;
	}
	fe.received = 0;
	clock_gettime(CLOCK_MONOTONIC, &fe.last_end);
	pthread_mutex_unlock(&mu);
}

json_t *
progress_json(void)
{
	struct timespec now;
	json_t *cur, *out;
	double el, rate;
	uint64_t bytes;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&mu);
	bytes = fe.bytes_done + (fe.active ? fe.received : 0);
	el = fe.any ? secs(&fe.round_start, fe.active ? &now : &fe.last_end)
	            : 0;
	rate = el > 0.05 ? (double)bytes / el : 0;
	cur = fe.active ? json_pack("{s:s,s:I,s:I}", "sha256", fe.sha, "size",
	                            (json_int_t)fe.size, "received",
	                            (json_int_t)fe.received)
	                : json_null();
	out = json_pack(
	        "{s:{s:b,s:s?,s:I,s:{s:i,s:i,s:i},s:s?},"
	        "s:{s:b,s:o,s:{s:i,s:i,s:I,s:f,s:I}}}",
	        "sync", "running", sy.running, "phase",
	        sy.running ? sy.phase : NULL, "started", (json_int_t)sy.started,
	        "documents", "total", (int)sy.total, "verified",
	        (int)sy.verified, "imported", (int)sy.imported, "last_result",
	        sy.last[0] ? sy.last : NULL, "fetch", "active", fe.active,
	        "current", cur, "round", "files_done", (int)fe.done,
	        "files_failed", (int)fe.failed, "bytes_done", (json_int_t)bytes,
	        "seconds", el, "rate_bps", (json_int_t)rate);
	pthread_mutex_unlock(&mu);
	return out;
}
