/*
 * content_cache: set-associative (4 ways), least recently used within a
 * set. A key is a SHA-256 in hex, so its first digits are already evenly
 * spread: they pick the set.
 */
#include "content_cache.h"

#include <stdlib.h>
#include <string.h>

#define WAYS 4

struct entry {
	char key[CCACHE_KEY_LEN];
	struct ccache_id id;
	void *val;     /* NULL: the slot is free */
	uint64_t used; /* the cache's clock when last used */
};

struct ccache {
	struct entry *e;
	size_t n_sets, count;
	uint64_t clock;
	ccache_release_fn release;
};

int
ccache_new(struct ccache **out, size_t cap, ccache_release_fn release,
           struct err *e)
{
	struct ccache *c;

	if (cap < WAYS)
		cap = WAYS;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	c->n_sets = (cap + WAYS - 1) / WAYS;
	c->e = calloc(c->n_sets * WAYS, sizeof(*c->e));
	if (c->e == NULL) {
		free(c);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	c->release = release;
	*out = c;
	return SL_OK;
}

static void
release(struct ccache *c, struct entry *en)
{
	if (en->val == NULL)
		return;
	c->release(en->val);
	en->val = NULL;
	c->count--;
}

void
ccache_free(struct ccache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_sets * WAYS; i++)
		release(c, &c->e[i]);
	free(c->e);
	free(c);
}

void
ccache_id_of(struct ccache_id *out, const struct stat *sb)
{
	out->dev = (uint64_t)sb->st_dev;
	out->ino = (uint64_t)sb->st_ino;
	out->size = (uint64_t)sb->st_size;
	out->mtime_s = (int64_t)sb->st_mtim.tv_sec;
	out->mtime_ns = (int64_t)sb->st_mtim.tv_nsec;
	out->ctime_s = (int64_t)sb->st_ctim.tv_sec;
	out->ctime_ns = (int64_t)sb->st_ctim.tv_nsec;
}

int
ccache_id_eq(const struct ccache_id *a, const struct ccache_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

/* The set of key: its first 8 hex digits as a number (any byte will do:
 * only the spread matters). */
static struct entry *
set_of(struct ccache *c, const char *key)
{
	uint32_t h = 0;

	for (int i = 0; i < 8; i++)
		h = h * 16 + (uint32_t)((unsigned char)key[i] & 0x0f) +
		    (uint32_t)((unsigned char)key[i] >> 6) * 9;
	return &c->e[(h % c->n_sets) * WAYS];
}

static struct entry *
find(struct entry *set, const char *key)
{
	for (int w = 0; w < WAYS; w++)
		if (set[w].val != NULL &&
		    memcmp(set[w].key, key, CCACHE_KEY_LEN) == 0)
			return &set[w];
	return NULL;
}

void *
ccache_get(struct ccache *c, const char *key, const struct ccache_id *id)
{
	struct entry *en = find(set_of(c, key), key);

	if (en == NULL)
		return NULL;
	if (!ccache_id_eq(&en->id, id)) {
		release(c, en);
		return NULL;
	}
	en->used = ++c->clock;
	return en->val;
}

void
ccache_put(struct ccache *c, const char *key, const struct ccache_id *id,
           void *val)
{
	struct entry *set = set_of(c, key), *en = find(set, key);

	if (en == NULL) {
		en = &set[0];
		for (int w = 0; w < WAYS && en->val != NULL; w++)
			if (set[w].val == NULL || set[w].used < en->used)
				en = &set[w];
	}
	release(c, en);
	memcpy(en->key, key, CCACHE_KEY_LEN);
	en->id = *id;
	en->val = val;
	en->used = ++c->clock;
	c->count++;
}

void
ccache_drop(struct ccache *c, const char *key)
{
	struct entry *en = find(set_of(c, key), key);

	if (en != NULL)
		release(c, en);
}

size_t
ccache_count(const struct ccache *c)
{
	return c->count;
}
