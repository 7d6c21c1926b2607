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

/* Rows per statement, largest first; the last is 1: a batch of 10,000
 * contacts is 79 statements, not 10,000 (on PostgreSQL each statement is
 * a round trip, and two front-ends flush every computer they both saw).
 * A later time is never taken back: a report may have written a later
 * one. */
static const int chunk_rows[] = {128, 16, 1};
#define ROWS_MAX     128 /* chunk_rows[0] */
#define N_CHUNKS     (sizeof(chunk_rows) / sizeof(chunk_rows[0]))
#define CHUNK_SQLMAX 8192

/* The one-row statement; the others repeat its row (store_sql_rows).
 * Whole here so that tests/pg/prepare_store_sql.py prepares it. */
static const char one_row[] =
        "UPDATE computers SET last_contact = v.column2 FROM (VALUES($1, "
        "CAST($2 AS BIGINT))) AS v WHERE computers.id = v.column1 AND "
        "(computers.last_contact IS NULL OR computers.last_contact < "
        "v.column2)";

static char chunk_sql[N_CHUNKS][CHUNK_SQLMAX];
static pthread_once_t chunk_once = PTHREAD_ONCE_INIT;

static void
chunk_build(void)
{
	for (size_t c = 0; c < N_CHUNKS; c++)
		store_sql_rows(chunk_sql[c], CHUNK_SQLMAX, one_row, "VALUES",
		               chunk_rows[c], 1, 2);
}

/* One statement of chunk c over the slots rows[0..chunk_rows[c]). */
static int
write_chunk(struct store_contacts *c, size_t k, struct slot *const *rows,
            struct err *e)
{
	struct db_stmt *st;
	int rc = db_stmt(c->db->db, &st, chunk_sql[k], e);

	if (rc != SL_OK)
		return rc;
	for (int r = 0; rc == SL_OK && r < chunk_rows[k]; r++) {
		rc = db_bind_text_ref(st, 1 + 2 * r, rows[r]->id, e);
		if (rc == SL_OK)
			rc = db_bind_int(st, 2 + 2 * r, rows[r]->t, e);
	}
	if (rc == SL_OK)
		rc = db_step(st, e);
	if (rc == DB_DONE)
		rc = SL_OK;
	else if (rc == DB_ROW)
		rc = err_set(e, SL_EINTERNAL, "an update returned a row");
	db_done(st);
	return rc;
}

static int
write_batch(struct store_contacts *c, struct table *t, struct err *e)
{
	struct slot *rows[ROWS_MAX];
	size_t n = 0, i = 0, k;
	int rc;

	pthread_once(&chunk_once, chunk_build);
	rc = store_begin(c->db, e);
	if (rc != SL_OK)
		return rc;
	/* Fill rows from the table; write a full chunk of 128, and what is
	 * left at the end in the largest chunks that fit. */
	while (rc == SL_OK) {
		for (; i < c->cap && n < ROWS_MAX; i++)
			if (t->slots[i].id[0] != '\0')
				rows[n++] = &t->slots[i];
		if (n == 0)
			break;
		for (k = 0; (size_t)chunk_rows[k] > n; k++)
			;
		rc = write_chunk(c, k, rows, e);
		n -= (size_t)chunk_rows[k];
		memmove(rows, rows + chunk_rows[k], n * sizeof(*rows));
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
