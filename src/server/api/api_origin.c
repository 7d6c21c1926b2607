/*
 * api_origin: hand on the origin's key list and timestamp (api_origin.h).
 */
#include "api_origin.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "store/store.h"

struct api_origin_cache {
	pthread_mutex_t mu;
	char *keys, *ts; /* NULL: not kept */
	long long at;    /* when read; 0: never */
};

int
api_origin_cache_new(struct api_origin_cache **out, struct err *e)
{
	struct api_origin_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return SL_OK;
}

void
api_origin_cache_free(struct api_origin_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->keys);
	free(c->ts);
	free(c);
}

/* One meta value, NULL when absent. */
static int
meta_opt(char **out, struct store *s, const char *key, struct err *e)
{
	int rc = store_meta_get(s, key, out, e);

	if (rc == SL_ENOTFOUND) {
		*out = NULL;
		return SL_OK;
	}
	return rc;
}

/* Copies of the kept texts (free()), from the cache when fresh. */
static int
docs(char **keys, char **ts, const struct req *r, struct err *e)
{
	struct api_origin_cache *c = r->env->origin;
	long long now = (long long)time(NULL);
	char *k = NULL, *t = NULL;
	int rc = SL_OK;

	*keys = *ts = NULL;
	if (c != NULL) {
		pthread_mutex_lock(&c->mu);
		if (c->at != 0 && now - c->at < 1) {
			*keys = c->keys ? strdup(c->keys) : NULL;
			*ts = c->ts ? strdup(c->ts) : NULL;
			pthread_mutex_unlock(&c->mu);
			if ((c->keys && !*keys) || (c->ts && !*ts))
				goto nomem;
			return SL_OK;
		}
		pthread_mutex_unlock(&c->mu);
	}
	if ((rc = meta_opt(&k, r->store, "upstream_keys", e)) != SL_OK ||
	    (rc = meta_opt(&t, r->store, "upstream_timestamp", e)) != SL_OK)
		goto fail;
	if (c != NULL) {
		pthread_mutex_lock(&c->mu);
		free(c->keys);
		free(c->ts);
		c->keys = k ? strdup(k) : NULL;
		c->ts = t ? strdup(t) : NULL;
		c->at = (k && !c->keys) || (t && !c->ts) ? 0 : now;
		pthread_mutex_unlock(&c->mu);
	}
	*keys = k;
	*ts = t;
	return SL_OK;
nomem:
	free(*keys);
	free(*ts);
	*keys = *ts = NULL;
	return err_set(e, SL_ENOMEM, "out of memory");
fail:
	free(k);
	free(t);
	return rc;
}

/* The "origin" member, from the two texts (either may be NULL). */
static int
put_origin(struct buf *b, const char *k, const char *t, struct err *e)
{
	int rc = SL_OK;

	if (k != NULL || t != NULL) {
		rc = buf_puts(b, ",\"origin\":{", e);
		if (rc == SL_OK && k != NULL)
			rc = buf_puts(b, "\"keys\":", e);
		if (rc == SL_OK && k != NULL)
			rc = buf_puts(b, k, e);
		if (rc == SL_OK && k != NULL && t != NULL)
			rc = buf_puts(b, ",", e);
		if (rc == SL_OK && t != NULL)
			rc = buf_puts(b, "\"timestamp\":", e);
		if (rc == SL_OK && t != NULL)
			rc = buf_puts(b, t, e);
		if (rc == SL_OK)
			rc = buf_puts(b, "}", e);
	}
	return rc;
}

int
api_origin_raw(struct buf *b, const struct req *r, struct err *e)
{
	struct api_origin_cache *c = r->env->origin;
	char *k, *t;
	int rc;

	/* Fresh in the cache: written from it under its lock (no copies;
	 * every agent sync's first page carries these texts). */
	if (c != NULL) {
		long long now = (long long)time(NULL);

		pthread_mutex_lock(&c->mu);
		if (c->at != 0 && now - c->at < 1) {
			rc = put_origin(b, c->keys, c->ts, e);
			pthread_mutex_unlock(&c->mu);
			return rc != SL_OK ? err_prefix(e, "origin") : SL_OK;
		}
		pthread_mutex_unlock(&c->mu);
	}
	if ((rc = docs(&k, &t, r, e)) != SL_OK)
		return err_prefix(e, "origin");
	rc = put_origin(b, k, t, e);
	free(k);
	free(t);
	return rc;
}

int
api_origin_json(json_t *o, const struct req *r, struct err *e)
{
	json_t *v = NULL;
	char *k, *t;
	int rc;

	if ((rc = docs(&k, &t, r, e)) != SL_OK)
		return err_prefix(e, "origin");
	if (k != NULL || t != NULL) {
		v = json_object();
		if (v == NULL ||
		    (k && json_object_set_new(v, "keys", json_string(k))) ||
		    (t &&
		     json_object_set_new(v, "timestamp", json_string(t))) ||
		    json_object_set_new(o, "origin", v)) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	free(k);
	free(t);
	return rc;
}
