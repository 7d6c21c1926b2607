/*
 * store_contact: last-contact times batched in memory (store_contact.h).
 *
 * Two tables of (computer id, time), open-addressed by a hash of the id:
 * syncs note into the current one under a mutex (a probe and a copy); the
 * flush swaps it for the empty spare under the same mutex and writes the
 * full one outside it, so a sync never waits for the database.
 */
#include "store_contact.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define ID_MAX 64

struct slot {
	char id[ID_MAX]; /* "" = free */
	int64_t t;
};

struct table {
	struct slot *slots; /* cap slots */
	size_t n;
};

struct store_contacts {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t flush_mu; /* one flush at a time */
	pthread_t thread;
	bool started, stop, urgent;
	int interval_ms;
	size_t cap; /* slots per table (power of two, 2 x the max count) */
	struct table cur, spare;
	struct store *db;
};

static uint64_t
hash_id(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Under mu. Returns false when the table is full. */
static bool
table_put(struct table *t, size_t cap, const char *id, int64_t now)
{
	size_t i = (size_t)hash_id(id) & (cap - 1);

	for (;;) {
		struct slot *s = &t->slots[i];

		if (s->id[0] == '\0') {
			if (t->n >= cap / 2)
				return false;
			snprintf(s->id, sizeof(s->id), "%s", id);
			s->t = now;
			t->n++;
			return true;
		}
		if (strcmp(s->id, id) == 0) {
			if (now > s->t)
				s->t = now;
			return true;
		}
		i = (i + 1) & (cap - 1);
	}
}

void
store_contacts_note(struct store_contacts *c, const char *computer_id,
                    int64_t now)
{
	if (c == NULL || computer_id[0] == '\0' ||
	    strlen(computer_id) >= ID_MAX)
		return;
	pthread_mutex_lock(&c->mu);
	if (!table_put(&c->cur, c->cap, computer_id, now)) {
		/* Full: this contact is lost from the batch (the computer's
		 * next sync notes it again); wake the writer at once. */
		c->urgent = true;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

static int
write_batch(struct store_contacts *c, struct table *t, struct err *e)
{
	int rc;

	rc = store_begin(c->db, e);
	if (rc != SL_OK)
		return rc;
	for (size_t i = 0; i < c->cap && rc == SL_OK; i++) {
		struct slot *s = &t->slots[i];

		if (s->id[0] == '\0')
			continue;
		/* Never back: a report may have written a later time. */
		rc = store_q_run(c->db, NULL, e,
		                 "UPDATE computers SET last_contact = $1 WHERE "
		                 "id = $2 AND (last_contact IS NULL OR "
		                 "last_contact < $1)",
		                 "it", s->t, s->id);
	}
	if (rc == SL_OK)
		rc = store_commit(c->db, e);
	if (rc != SL_OK)
		store_rollback(c->db);
	return rc;
}

int
store_contacts_flush(struct store_contacts *c, struct err *e)
{
	struct table full;
	int rc;

	pthread_mutex_lock(&c->flush_mu);
	pthread_mutex_lock(&c->mu);
	full = c->cur;
	c->cur = c->spare;
	c->spare = full;
	c->urgent = false;
	pthread_mutex_unlock(&c->mu);
	/* c->spare (the full table) is touched only under flush_mu. */
	rc = full.n == 0 ? SL_OK : write_batch(c, &full, e);
	pthread_mutex_lock(&c->mu);
	if (rc != SL_OK) {
		/* Keep the batch: merge what was noted since into it. */
		for (size_t i = 0; i < c->cap; i++) {
			struct slot *s = &c->cur.slots[i];
			if (s->id[0] != '\0')
				(void)table_put(&c->spare, c->cap, s->id, s->t);
		}
		full = c->cur;
		c->cur = c->spare;
		c->spare = full;
	}
	/* Clear only the slots in use: the untouched pages of the tables
	 * stay unmapped. */
	for (size_t i = 0; i < c->cap && c->spare.n > 0; i++)
		if (c->spare.slots[i].id[0] != '\0') {
			c->spare.slots[i].id[0] = '\0';
			c->spare.n--;
		}
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_unlock(&c->flush_mu);
	return rc != SL_OK ? err_prefix(e, "last contacts") : SL_OK;
}

static void *
writer(void *arg)
{
	struct store_contacts *c = arg;
	struct timespec until;
	struct err e;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		store_deadline(&until, c->interval_ms);
		while (!c->stop && !c->urgent &&
		       pthread_cond_timedwait(&c->cv, &c->mu, &until) !=
		               ETIMEDOUT)
			;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		err_clear(&e);
		/* A failure keeps the batch for the next round. */
		(void)store_contacts_flush(c, &e);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
store_contacts_new(struct store_contacts **out, const char *target,
                   int interval_ms, struct err *e)
{
	struct store_contacts *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->flush_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->interval_ms = interval_ms < 10 ? 10 : interval_ms;
	c->cap = 2 * (size_t)STORE_CONTACTS_MAX;
	/* calloc'd pages are touched only as computers are noted. */
	c->cur.slots = calloc(c->cap, sizeof(struct slot));
	c->spare.slots = calloc(c->cap, sizeof(struct slot));
	if (c->cur.slots == NULL || c->spare.slots == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_open(&c->db, target, e);
	if (rc != SL_OK)
		goto out;
	if (pthread_create(&c->thread, NULL, writer, c) != 0) {
		rc = err_set(e, SL_EINTERNAL, "cannot start a thread");
		goto out;
	}
	c->started = true;
	*out = c;
	c = NULL;
out:
	store_contacts_free(c);
	return rc != SL_OK ? err_prefix(e, "last contacts") : SL_OK;
}

void
store_contacts_free(struct store_contacts *c)
{
	struct err e;

	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		err_clear(&e);
		(void)store_contacts_flush(c, &e);
	}
	store_close(c->db);
	free(c->cur.slots);
	free(c->spare.slots);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->flush_mu);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
