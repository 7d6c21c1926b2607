/*
 * origin_trust: check and keep the origin's key list and timestamp (see
 * origin_trust.h).
 */
#include "origin_trust.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define META_KEYS   "upstream_keys"
#define META_KEYS_V "upstream_keys_version"
#define META_TS     "upstream_timestamp"
#define META_TS_V   "upstream_timestamp_version"

static bool
has_root(const struct server_config *cfg)
{
	return cfg->trusted_root.n > 0;
}

/* kr += every key of add not in it yet. */
static int
merge(struct sign_keyring *kr, const struct sign_keyring *add, struct err *e)
{
	int rc = SL_OK;

	for (size_t i = 0; rc == SL_OK && i < add->n; i++)
		if (!sign_keyring_has(kr, add->keys[i].keyid))
			rc = sign_keyring_add(kr, &add->keys[i], e);
	return rc;
}

static int
set_doc(struct store *db, const char *key, const char *vkey, const char *text,
        size_t len, int64_t version, struct err *e)
{
	char num[32], *copy;
	int rc;

	if ((copy = strndup(text, len)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	snprintf(num, sizeof(num), "%" PRId64, version);
	if ((rc = store_meta_set(db, key, copy, e)) == SL_OK)
		rc = store_meta_set(db, vkey, num, e);
	free(copy);
	return rc;
}

/* The stored key list, checked again with the root key. */
static int
stored_keys(struct trust_keys *out, struct store *db,
            const struct server_config *cfg, struct err *e)
{
	char *text = NULL;
	int rc;

	if ((rc = store_meta_get(db, META_KEYS, &text, e)) == SL_ENOTFOUND)
		return err_set(e, SL_ENOTFOUND,
		               "key list: none received from the upstream yet "
		               "(upstream.trusted_root is set: the origin must "
		               "publish keys.json; `sluice catalog migrate`)");
	if (rc != SL_OK)
		return rc;
	rc = trust_keys_parse(out, text, strlen(text), &cfg->trusted_root, 0, 0,
	                      e);
	free(text);
	return rc;
}

int
origin_trust_keyring(struct sign_keyring *out, struct store *db,
                     const struct server_config *cfg, struct err *e)
{
	struct sign_keyring kr = cfg->trusted_keys;
	struct trust_keys tk;
	int rc;

	if (has_root(cfg)) {
		if ((rc = stored_keys(&tk, db, cfg, e)) != SL_OK ||
		    (rc = merge(&kr, &tk.kr, e)) != SL_OK)
			return rc;
		kr.threshold = tk.kr.threshold;
	}
	*out = kr;
	return SL_OK;
}

static int
accept_keys(struct store *db, const struct server_config *cfg, const char *keys,
            size_t keys_len, long long now, struct err *e)
{
	struct trust_keys tk;
	int64_t min;
	int rc;

	if (keys == NULL)
		return SL_OK;
	if (!has_root(cfg)) {
		/* Nothing to check it with: passed on for the agents that
		 * trust the root (they check it), if it is a JSON object. */
		json_t *v = json_loadb(keys, keys_len, 0, NULL);
		bool obj = json_is_object(v);

		json_decref(v);
		return obj ? set_doc(db, META_KEYS, META_KEYS_V, keys, keys_len,
		                     0, e)
		           : SL_OK;
	}
	if ((rc = store_meta_int(&min, db, META_KEYS_V, e)) != SL_OK ||
	    (rc = trust_keys_parse(&tk, keys, keys_len, &cfg->trusted_root, now,
	                           min, e)) != SL_OK)
		return rc;
	if (tk.version == min)
		return SL_OK; /* the list we hold */
	return set_doc(db, META_KEYS, META_KEYS_V, keys, keys_len, tk.version,
	               e);
}

int
origin_trust_keep_timestamp(struct store *db, const char *ts, size_t ts_len,
                            const struct trust_timestamp *t, struct err *e)
{
	int64_t min;
	int rc;

	if (t->version == 0 ||
	    (rc = store_meta_int(&min, db, META_TS_V, e)) != SL_OK)
		return t->version == 0 ? SL_OK : rc;
	if (t->version <= min)
		return SL_OK;
	return set_doc(db, META_TS, META_TS_V, ts, ts_len, t->version, e);
}

int
origin_trust_accept(struct sign_keyring *kr_out, struct trust_timestamp *ts_out,
                    struct store *db, const struct server_config *cfg,
                    const char *keys, size_t keys_len, const char *ts,
                    size_t ts_len, bool keep, long long now, struct err *e)
{
	struct trust_timestamp t;
	struct sign_keyring kr;
	int64_t min;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = accept_keys(db, cfg, keys, keys_len, now, e)) != SL_OK ||
	    (rc = origin_trust_keyring(&kr, db, cfg, e)) != SL_OK)
		return rc;
	if (ts == NULL && has_root(cfg))
		return err_set(e, SL_ENOTFOUND,
		               "timestamp: the upstream publishes none "
		               "(upstream.trusted_root is set)");
	if (ts != NULL) {
		if ((rc = store_meta_int(&min, db, META_TS_V, e)) != SL_OK)
			return rc;
		rc = trust_timestamp_parse(&t, ts, ts_len, &kr, now, min, e);
		if (rc != SL_OK && has_root(cfg))
			return rc;
		if (rc == SL_OK && t.version > min && keep)
			rc = origin_trust_keep_timestamp(db, ts, ts_len, &t, e);
		else if (rc != SL_OK) {
			/* Old setup: not checkable or not fresh; the
			 * agents judge the copy they get. */
			memset(&t, 0, sizeof(t));
			rc = SL_OK;
		}
		if (rc != SL_OK)
			return rc;
	}
	*kr_out = kr;
	if (ts_out != NULL)
		*ts_out = t;
	return SL_OK;
}
