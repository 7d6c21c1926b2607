/*
 * store_batch: group commit (store_batch.h). The queue and the writer's
 * turn are under one mutex; each caller sleeps on a condition of its own.
 * A caller queues its piece and waits; whoever finds no writer at work
 * takes the turn, writes what is queued (up to BATCH_MAX pieces), marks
 * each piece done and wakes its caller, then wakes the oldest caller
 * still queued, who takes the next turn (one wake-up per caller, not a
 * herd of every waiter at every commit). The
 * pieces run on the writer's connection while their callers sleep, so
 * what they point to (the parsed report, the error object) stays valid.
 */
#include "store_batch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store_int.h"

/* Pieces per transaction: a report is at most a few thousand rows, so a
 * batch stays a few megabytes of WAL. */
#define BATCH_MAX 64

struct job {
	store_batch_fn fn;
	void *arg;
	struct err *e;
	int rc;
	bool done;
	pthread_cond_t cv; /* its caller sleeps on it */
	struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct job *head, **tailp = &head;
static bool writing;
static _Atomic uint64_t n_batches, n_pieces;

void
store_batch_stats(uint64_t *batches, uint64_t *pieces)
{
	*batches = atomic_load(&n_batches);
	*pieces = atomic_load(&n_pieces);
}

size_t
store_batch_queued(void)
{
	size_t n = 0;

	pthread_mutex_lock(&mu);
	for (struct job *j = head; j != NULL; j = j->next)
		n++;
	pthread_mutex_unlock(&mu);
	return n;
}

/* The piece in a transaction of its own. */
static int
run_alone(struct store *s, struct job *j)
{
	int rc = store_begin(s, j->e);

	if (rc == SL_OK)
		rc = j->fn(j->arg, s, j->e);
	if (rc == SL_OK)
		rc = store_commit(s, j->e);
	if (rc != SL_OK) {
		store_rollback(s);
		return rc;
	}
	atomic_fetch_add(&n_batches, 1);
	atomic_fetch_add(&n_pieces, 1);
	return SL_OK;
}

/* Every piece of jobs[0..n) under its own savepoint in one transaction.
 * A piece that fails is undone alone (jobs[i]->rc, its message in its own
 * err); false when the transaction as a whole failed, to be retried
 * piece by piece. */
static bool
run_together(struct store *s, struct job **jobs, size_t n)
{
	struct err be;
	size_t i;

	err_clear(&be);
	if (store_begin(s, &be) != SL_OK)
		return false;
	for (i = 0; i < n; i++) {
		struct job *j = jobs[i];

		if (db_exec(s->db, "SAVEPOINT piece", &be) != SL_OK)
			goto fail;
		j->rc = j->fn(j->arg, s, j->e);
		if (j->rc != SL_OK &&
		    db_exec(s->db, "ROLLBACK TO piece", &be) != SL_OK)
			goto fail; /* the transaction itself is gone */
		if (db_exec(s->db, "RELEASE piece", &be) != SL_OK)
			goto fail;
	}
	if (store_commit(s, &be) != SL_OK)
		goto fail;
	atomic_fetch_add(&n_batches, 1);
	for (i = 0; i < n; i++)
		if (jobs[i]->rc == SL_OK)
			atomic_fetch_add(&n_pieces, 1);
	return true;
fail:
	store_rollback(s);
	return false;
}

static void
write_batch(struct store *s, struct job **jobs, size_t n)
{
	size_t i;

	if (n == 1) {
		jobs[0]->rc = run_alone(s, jobs[0]);
		return;
	}
	for (i = 0; i < n; i++)
		jobs[i]->rc = SL_OK;
	if (run_together(s, jobs, n))
		return;
	/* Nothing of the batch was kept: each piece again, alone (a piece
	 * that failed alone inside the batch fails again the same way). */
	for (i = 0; i < n; i++) {
		err_clear(jobs[i]->e);
		jobs[i]->rc = run_alone(s, jobs[i]);
	}
}

int
store_batch_run(struct store *s, store_batch_fn fn, void *arg, struct err *e)
{
	struct job me = {.fn = fn, .arg = arg, .e = e}, *jobs[BATCH_MAX];
	size_t n;

	if (db_engine(s->db) != DB_SQLITE)
		return run_alone(s, &me);
	pthread_cond_init(&me.cv, NULL);
	pthread_mutex_lock(&mu);
	*tailp = &me;
	tailp = &me.next;
	while (!me.done) {
		if (writing) {
			pthread_cond_wait(&me.cv, &mu);
			continue;
		}
		/* This thread's turn: everything queued, oldest first. */
		writing = true;
		for (n = 0; head != NULL && n < BATCH_MAX; n++) {
			jobs[n] = head;
			head = head->next;
		}
		if (head == NULL)
			tailp = &head;
		pthread_mutex_unlock(&mu);
		write_batch(s, jobs, n);
		pthread_mutex_lock(&mu);
		writing = false;
		/* Wake the callers of the pieces written (one at a time, not
		 * every waiter), and the oldest still queued: the next turn
		 * is its, unless a caller arriving now takes it first. */
		for (size_t i = 0; i < n; i++) {
			jobs[i]->done = true;
			if (jobs[i] != &me)
				pthread_cond_signal(&jobs[i]->cv);
		}
		if (head != NULL)
			pthread_cond_signal(&head->cv);
	}
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&me.cv);
	return me.rc;
}
