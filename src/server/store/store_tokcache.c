/*
 * store_tokcache: token answers kept in memory (store_tokcache.h).
 *
 * Sets of 8 positions, the set chosen by the token hash (a SHA-256, so
 * its first bytes are uniform), each position naming an entry of a pool
 * (below). An entry is valid when its generation is the cache's;
 * dropping the cache is one increment. All
 * valid entries were read at the change sequence c->seq: a fill that read
 * another sequence, a poll that reads another one, or a local commit that
 * took one (store_changes_count()) starts a new generation. A fill keeps
 * its answer only when no drop happened since the lookup that missed
 * (the generation it took before reading), so an answer read before a
 * change can never outlive it. One mutex guards it all: a lookup holds it
 * for a few dozen instructions.
 */
#include "store_tokcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define WAYS    8
#define HASH_N  32
#define ID_MAX  40
#define STALE_X 3 /* polls missed before the cache stops answering */

struct slot {
	unsigned char h[HASH_N];
	uint64_t gen;   /* valid when == c->gen (0: never filled) */
	uint64_t stamp; /* fill order, for eviction */
	char id[ID_MAX];
	int64_t group_id, group_seq, last_contact;
	bool has_contact;
};

/* A set is 8 positions; a position holds a tag (the hash's first 8
 * bytes: a set's tags are one cache line, so a lookup reads one line to
 * find its entry, not eight) and the number of its slot in a pool that is
 * filled from the start (0: none yet). The pool is as large as the
 * positions but mapped only as far as it is used: memory follows the
 * number of computers (12 bytes a position + 120 a computer), not the
 * cap. */
struct store_tokcache {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stop;
	int poll_ms;
	struct store *db; /* the poller's connection */

	struct slot *slots; /* the pool */
	size_t used;        /* slots of the pool handed out */
	uint64_t *tags;     /* tags[i]: position i's hash, first 8 bytes */
	uint32_t *slot_of;  /* slot_of[i]: position i's slot + 1; 0: none */
	size_t n_sets;
	uint64_t gen, stamp, local_seen;
	int64_t seq;
	bool seq_known;
	int64_t valid_until_ms; /* monotonic; answers only before it */
	struct store_tokcache_stats st;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Hex digit values; 0xff: not a lowercase hex digit. */
static unsigned char hexval[256];
static pthread_once_t hexval_once = PTHREAD_ONCE_INIT;

static void
hexval_init(void)
{
	memset(hexval, 0xff, sizeof(hexval));
	for (int i = 0; i < 10; i++)
		hexval['0' + i] = (unsigned char)i;
	for (int i = 0; i < 6; i++)
		hexval['a' + i] = (unsigned char)(10 + i);
}

static int
unhex(unsigned char out[HASH_N], const char *s)
{
	for (size_t i = 0; i < HASH_N; i++) {
		/* 0xff also for the NUL of a short string: never read past. */
		unsigned char hi = hexval[(unsigned char)s[2 * i]], lo;

		if (hi == 0xff)
			return -1;
		lo = hexval[(unsigned char)s[2 * i + 1]];
		if (lo == 0xff)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return s[2 * HASH_N] == '\0' ? 0 : -1;
}

static uint64_t
tag_of(const unsigned char h[HASH_N])
{
	uint64_t k;

	memcpy(&k, h, sizeof(k));
	return k;
}

/* The index of h's set's first slot. */
static size_t
set_of(struct store_tokcache *c, const unsigned char h[HASH_N])
{
	return (size_t)(tag_of(h) & (c->n_sets - 1)) * WAYS;
}

/* Under mu: start a new generation (every slot invalid). */
static void
drop(struct store_tokcache *c)
{
	c->gen++;
	c->seq_known = false;
	c->st.drops++;
}

/* Under mu: follow this process's commits that took a sequence number. */
static void
follow_local(struct store_tokcache *c)
{
	uint64_t n = store_changes_count();

	if (n != c->local_seen) {
		c->local_seen = n;
		drop(c);
	}
}

static void *
poller(void *arg)
{
	struct store_tokcache *c = arg;
	struct timespec until;
	struct err e;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		pthread_mutex_unlock(&c->mu);
		err_clear(&e);
		/* A failure is retried next time; after STALE_X of them the
		 * cache answers nothing until a poll succeeds. */
		(void)store_tokcache_poll(c, c->db, &e);
		pthread_mutex_lock(&c->mu);
		store_deadline(&until, c->poll_ms);
		while (!c->stop &&
		       pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
store_tokcache_new(struct store_tokcache **out, const char *target,
                   size_t max_entries, int poll_ms, struct err *e)
{
	struct store_tokcache *c;
	size_t n = WAYS;
	int rc = SL_OK;

	pthread_once(&hexval_once, hexval_init);
	if (poll_ms < 10)
		return err_set(e, SL_EINVAL,
		               "token cache: poll interval "
		               "under 10 ms");
	while (n < max_entries && n < ((size_t)1 << 30))
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->poll_ms = poll_ms;
	c->n_sets = n / WAYS;
	c->gen = 1;
	c->local_seen = store_changes_count();
	/* calloc: large enough to be mapped lazily, as the pool fills. */
	c->slots = calloc(n, sizeof(*c->slots));
	c->slot_of = calloc(n, sizeof(*c->slot_of));
	/* A set's tags on one cache line. */
	c->tags = aligned_alloc(64, n * sizeof(*c->tags));
	if (c->slots == NULL || c->slot_of == NULL || c->tags == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	memset(c->tags, 0, n * sizeof(*c->tags));
	if (target == NULL)
		goto out;
	rc = store_open(&c->db, target, e);
	if (rc != SL_OK)
		goto out;
	if (pthread_create(&c->thread, NULL, poller, c) != 0) {
		rc = err_set(e, SL_EINTERNAL, "cannot start a thread");
		goto out;
	}
	c->started = true;
out:
	if (rc != SL_OK) {
		store_tokcache_free(c);
		return err_prefix(e, "token cache");
	}
	*out = c;
	return SL_OK;
}

void
store_tokcache_free(struct store_tokcache *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	store_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c->slot_of);
	free(c->tags);
	free(c);
}

int
store_tokcache_poll(struct store_tokcache *c, struct store *s, struct err *e)
{
	int64_t seq;
	int rc = store_seq_current(s, &seq, e);

	if (rc != SL_OK)
		return err_prefix(e, "token cache");
	pthread_mutex_lock(&c->mu);
	follow_local(c);
	if (c->seq_known && c->seq != seq)
		drop(c);
	/* Every valid slot was read at c->seq, and the database is still
	 * there: answers may be given until the next poll is overdue. */
	c->seq = seq;
	c->seq_known = true;
	c->valid_until_ms = now_ms() + (int64_t)STALE_X * c->poll_ms;
	pthread_mutex_unlock(&c->mu);
	return SL_OK;
}

/* Under mu: the valid slot of h, or NULL. */
static struct slot *
find(struct store_tokcache *c, const unsigned char h[HASH_N])
{
	size_t b = set_of(c, h);
	uint64_t tag = tag_of(h);

	for (size_t i = b; i < b + WAYS; i++) {
		struct slot *v;

		if (c->tags[i] != tag || c->slot_of[i] == 0)
			continue;
		v = &c->slots[c->slot_of[i] - 1];
		if (v->gen == c->gen && memcmp(v->h, h, HASH_N) == 0)
			return v;
	}
	return NULL;
}

/* Under mu: keep an answer read at seq, when no drop happened since gen
 * was taken. */
static void
fill(struct store_tokcache *c, uint64_t gen, const unsigned char h[HASH_N],
     const char *id, const struct store_computer_sync *sync, int64_t seq)
{
	size_t b, at = SIZE_MAX;
	struct slot *v;

	follow_local(c);
	if (gen != c->gen)
		return;
	if (!c->seq_known) {
		c->seq = seq;
		c->seq_known = true;
	} else if (c->seq != seq) {
		/* The database moved on since what the cache holds. */
		drop(c);
		return;
	}
	b = set_of(c, h);
	/* This token's position (another thread may have filled it since
	 * the miss), else a free one or one whose entry is stale, else the
	 * oldest entry of the set goes. */
	for (size_t i = b; i < b + WAYS && at == SIZE_MAX; i++)
		if (c->slot_of[i] != 0 && c->tags[i] == tag_of(h) &&
		    memcmp(c->slots[c->slot_of[i] - 1].h, h, HASH_N) == 0)
			at = i;
	for (size_t i = b; i < b + WAYS && at == SIZE_MAX; i++)
		if (c->slot_of[i] == 0 ||
		    c->slots[c->slot_of[i] - 1].gen != c->gen)
			at = i;
	if (at == SIZE_MAX) {
		at = b;
		for (size_t i = b + 1; i < b + WAYS; i++)
			if (c->slots[c->slot_of[i] - 1].stamp <
			    c->slots[c->slot_of[at] - 1].stamp)
				at = i;
		c->st.evictions++;
	}
	if (c->slot_of[at] == 0)
		c->slot_of[at] = (uint32_t)++c->used;
	v = &c->slots[c->slot_of[at] - 1];
	c->tags[at] = tag_of(h);
	memcpy(v->h, h, HASH_N);
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->group_id = sync->group_id;
	v->group_seq = sync->group_seq;
	v->has_contact = sync->has_contact;
	v->last_contact = sync->last_contact;
	v->stamp = ++c->stamp;
	v->gen = c->gen;
}

int
store_tokcache_lookup(char id_out[64], struct store_computer_sync *sync,
                      int64_t *seq, struct store_tokcache *c, struct store *s,
                      const char *token_hash, struct err *e)
{
	unsigned char h[HASH_N];
	struct slot *v;
	uint64_t gen;
	int rc;

	if (unhex(h, token_hash) != 0)
		return store_computer_by_token_sync(id_out, sync, seq, s,
		                                    token_hash, e);
	pthread_mutex_lock(&c->mu);
	follow_local(c);
	gen = c->gen;
	v = c->seq_known && now_ms() < c->valid_until_ms ? find(c, h) : NULL;
	if (v != NULL) {
		memcpy(id_out, v->id, ID_MAX);
		sync->group_id = v->group_id;
		sync->group_seq = v->group_seq;
		sync->has_contact = v->has_contact;
		sync->last_contact = v->last_contact;
		*seq = c->seq;
		c->st.hits++;
		pthread_mutex_unlock(&c->mu);
		return SL_OK;
	}
	c->st.misses++;
	pthread_mutex_unlock(&c->mu);
	rc = store_computer_by_token_sync(id_out, sync, seq, s, token_hash, e);
	if (rc != SL_OK || strlen(id_out) >= ID_MAX)
		return rc;
	pthread_mutex_lock(&c->mu);
	fill(c, gen, h, id_out, sync, *seq);
	pthread_mutex_unlock(&c->mu);
	return SL_OK;
}

void
store_tokcache_stats(struct store_tokcache_stats *out, struct store_tokcache *c)
{
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	out->entries = 0;
	for (size_t i = 0; i < c->used; i++)
		out->entries += c->slots[i].gen == c->gen;
	pthread_mutex_unlock(&c->mu);
}
