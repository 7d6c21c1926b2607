/*
 * trust: parse, check and sign the origin's key list and timestamp (see
 * trust.h). Used by `sluice catalog`, sluiced's sync and the agent.
 */
#include "trust.h"

#include <string.h>

#include "hash.h"

/* Load text as an envelope and verify it with kr; *env_out holds the
 * reference (json_decref()), *doc_out borrows from it. */
static int
open_envelope(json_t **env_out, const json_t **doc_out, const char *text,
              size_t len, const struct sign_keyring *kr, const char *type,
              struct err *e)
{
	json_error_t jerr;
	const char *t;
	json_t *env;
	int rc;

	if (len > TRUST_DOC_MAX)
		return err_set(e, SL_ETOOBIG, "larger than %u bytes",
		               TRUST_DOC_MAX);
	if ((env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return err_set(e, SL_EPARSE, "line %d column %d: %s", jerr.line,
		               jerr.column, jerr.text);
	if ((rc = sign_envelope_verify(env, kr, doc_out, e)) != SL_OK) {
		json_decref(env);
		return rc;
	}
	t = json_string_value(json_object_get(*doc_out, "type"));
	if (t == NULL || strcmp(t, type) != 0) {
		json_decref(env);
		return err_set(e, SL_EINVAL, "type: expected \"%s\"", type);
	}
	*env_out = env;
	return SL_OK;
}

/* version (>= 1) and expires of a signed document. */
static int
version_expires(int64_t *version, long long *expires, const json_t *doc,
                struct err *e)
{
	const json_t *v = json_object_get(doc, "version");
	int rc;

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return err_set(e, SL_EINVAL,
		               "version: expected an integer >= 1");
	*version = json_integer_value(v);
	rc = sign_time_parse(json_string_value(json_object_get(doc, "expires")),
	                     expires, e);
	return rc != SL_OK ? err_prefix(e, "expires") : SL_OK;
}

/* The freshness checks both documents share. */
static int
check_fresh(int64_t version, long long expires, long long now,
            int64_t min_version, struct err *e)
{
	char when[21];

	if (version < min_version)
		return err_set(e, SL_EROLLBACK,
		               "version %lld is older than version %lld "
		               "already seen (rollback refused)",
		               (long long)version, (long long)min_version);
	if (now != 0 && expires <= now) {
		sign_time_format(when, expires);
		return err_set(e, SL_EEXPIRED, "expired at %s", when);
	}
	return SL_OK;
}

static int
keys_from_doc(struct trust_keys *out, const json_t *doc, struct err *e)
{
	const json_t *keys = json_object_get(doc, "keys"), *k;
	const json_t *th = json_object_get(doc, "threshold");
	struct sign_key key;
	size_t i;
	int rc;

	if ((rc = version_expires(&out->version, &out->expires, doc, e)) !=
	    SL_OK)
		return rc;
	if (!json_is_array(keys) || json_array_size(keys) == 0)
		return err_set(e, SL_EINVAL,
		               "keys: expected a non-empty array");
	if (json_array_size(keys) > SIGN_MAX_KEYS)
		return err_set(e, SL_ETOOBIG, "keys: more than %d keys",
		               SIGN_MAX_KEYS);
	json_array_foreach(keys, i, k)
	{
		const char *id = json_string_value(json_object_get(k, "keyid"));
		const char *pub =
		        json_string_value(json_object_get(k, "public"));

		if ((rc = sign_key_from_hex(&key, pub, e)) != SL_OK)
			return err_prefix(e, "keys[%zu].public", i);
		if (id == NULL || strcmp(id, key.keyid) != 0)
			return err_set(
			        e, SL_EINVAL,
			        "keys[%zu].keyid: expected %s (the id of "
			        "its public key)",
			        i, key.keyid);
		if (sign_keyring_has(&out->kr, key.keyid))
			return err_set(e, SL_EINVAL,
			               "keys[%zu]: key %s listed twice", i,
			               key.keyid);
		if ((rc = sign_keyring_add(&out->kr, &key, e)) != SL_OK)
			return rc;
	}
	if (!json_is_integer(th) || json_integer_value(th) < 1 ||
	    json_integer_value(th) > (json_int_t)out->kr.n)
		return err_set(e, SL_EINVAL,
		               "threshold: expected an integer from 1 to %zu",
		               out->kr.n);
	out->kr.threshold = (unsigned)json_integer_value(th);
	return SL_OK;
}

int
trust_keys_parse(struct trust_keys *out, const char *text, size_t len,
                 const struct sign_keyring *root, long long now,
                 int64_t min_version, struct err *e)
{
	struct trust_keys k;
	const json_t *doc;
	json_t *env = NULL;
	int rc;

	memset(&k, 0, sizeof(k));
	if ((rc = open_envelope(&env, &doc, text, len, root, TRUST_KEYS_TYPE,
	                        e)) != SL_OK ||
	    (rc = keys_from_doc(&k, doc, e)) != SL_OK ||
	    (rc = check_fresh(k.version, k.expires, now, min_version, e)) !=
	            SL_OK)
		goto out;
	*out = k;
out:
	json_decref(env);
	return rc != SL_OK ? err_prefix(e, "key list") : SL_OK;
}

int
trust_timestamp_parse(struct trust_timestamp *out, const char *text, size_t len,
                      const struct sign_keyring *kr, long long now,
                      int64_t min_version, struct err *e)
{
	struct trust_timestamp t;
	const json_t *doc, *idx, *v, *size;
	const char *sha;
	json_t *env = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = open_envelope(&env, &doc, text, len, kr, TRUST_TIMESTAMP_TYPE,
	                        e)) != SL_OK ||
	    (rc = version_expires(&t.version, &t.expires, doc, e)) != SL_OK)
		goto out;
	idx = json_object_get(doc, "index");
	v = json_object_get(idx, "version");
	size = json_object_get(idx, "size");
	sha = json_string_value(json_object_get(idx, "sha256"));
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    !json_is_integer(size) || json_integer_value(size) < 0 ||
	    !hash_is_hex(sha)) {
		rc = err_set(e, SL_EINVAL,
		             "index: expected {\"version\": >= 1, \"sha256\": "
		             "64 hex digits, \"size\": >= 0}");
		goto out;
	}
	t.index_version = json_integer_value(v);
	t.index_size = (uint64_t)json_integer_value(size);
	memcpy(t.index_sha256, sha, sizeof(t.index_sha256));
	if ((rc = check_fresh(t.version, t.expires, now, min_version, e)) !=
	    SL_OK)
		goto out;
	*out = t;
out:
	json_decref(env);
	return rc != SL_OK ? err_prefix(e, "timestamp") : SL_OK;
}

int
trust_keys_sign(json_t **out, const struct sign_keyring *kr, int64_t version,
                long long now, long long expires, const struct sign_key *root,
                struct err *e)
{
	char created[21], exp[21], hex[65];
	json_t *doc, *keys;
	int rc;

	if ((keys = json_array()) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < kr->n; i++) {
		sign_key_public_hex(&kr->keys[i], hex);
		if (json_array_append_new(keys, json_pack("{s:s,s:s}", "keyid",
		                                          kr->keys[i].keyid,
		                                          "public", hex)) !=
		    0) {
			json_decref(keys);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	sign_time_format(created, now);
	sign_time_format(exp, expires);
	doc = json_pack("{s:s,s:I,s:s,s:s,s:I,s:o}", "type", TRUST_KEYS_TYPE,
	                "version", (json_int_t)version, "created", created,
	                "expires", exp, "threshold",
	                (json_int_t)(kr->threshold > 1 ? kr->threshold : 1),
	                "keys", keys);
	if (doc == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = sign_envelope(out, doc, root, e);
	json_decref(doc);
	return rc;
}

int
trust_timestamp_sign(json_t **out, int64_t version, long long now,
                     long long expires, int64_t index_version,
                     const char *sha256, uint64_t size,
                     const struct sign_key *k, struct err *e)
{
	char created[21], exp[21];
	json_t *doc;
	int rc;

	sign_time_format(created, now);
	sign_time_format(exp, expires);
	doc = json_pack("{s:s,s:I,s:s,s:s,s:{s:I,s:s,s:I}}", "type",
	                TRUST_TIMESTAMP_TYPE, "version", (json_int_t)version,
	                "created", created, "expires", exp, "index", "version",
	                (json_int_t)index_version, "sha256", sha256, "size",
	                (json_int_t)size);
	if (doc == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = sign_envelope(out, doc, k, e);
	json_decref(doc);
	return rc;
}
