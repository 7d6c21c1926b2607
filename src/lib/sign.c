/*
 * sign: Ed25519 key files, canonical JSON and signed envelopes.
 */
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fsx.h"
#include "hash.h"

#define SECRET_TAG  "sluice-ed25519-secret "
#define PUBLIC_TAG  "sluice-ed25519-public "
#define CANON_MAX   (64u << 20)
#define CANON_DEPTH 64

static void
key_set_id(struct sign_key *k)
{
	char hex[HASH_HEX_LEN + 1];

	hash_buf_hex(k->pk, sizeof(k->pk), hex);
	memcpy(k->keyid, hex, SIGN_KEYID_LEN);
	k->keyid[SIGN_KEYID_LEN] = '\0';
}

int
sign_key_generate(struct sign_key *out, struct err *e)
{
	int rc;

	if ((rc = hash_global_init(e)) != SL_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	crypto_sign_keypair(out->pk, out->sk);
	out->has_secret = true;
	key_set_id(out);
	return SL_OK;
}

int
sign_key_save(const struct sign_key *k, const char *secret_path,
              const char *public_path, struct err *e)
{
	char line[sizeof(SECRET_TAG) + 2 * crypto_sign_SECRETKEYBYTES + 2];
	size_t n;
	int rc;

	if (secret_path != NULL) {
		if (!k->has_secret)
			return err_set(e, SL_EINVAL, "no secret key to save");
		n = strlen(SECRET_TAG);
		memcpy(line, SECRET_TAG, n);
		hex_encode(k->sk, sizeof(k->sk), line + n);
		n += 2 * sizeof(k->sk);
		line[n++] = '\n';
		rc = fsx_write_atomic(secret_path, line, n, 0600, e);
		sodium_memzero(line, sizeof(line));
		if (rc != SL_OK)
			return rc;
	}
	if (public_path != NULL) {
		n = strlen(PUBLIC_TAG);
		memcpy(line, PUBLIC_TAG, n);
		hex_encode(k->pk, sizeof(k->pk), line + n);
		n += 2 * sizeof(k->pk);
		line[n++] = '\n';
		if ((rc = fsx_write_atomic(public_path, line, n, 0644, e)) !=
		    SL_OK)
			return rc;
	}
	return SL_OK;
}

int
sign_key_load(struct sign_key *out, const char *path, struct err *e)
{
	char *text = NULL, *p;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = hash_global_init(e)) != SL_OK)
		return rc;
	if ((rc = fsx_read(path, 4096, &text, &len, e)) != SL_OK)
		return rc;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	                   text[len - 1] == ' '))
		text[--len] = '\0';
	if (strncmp(text, SECRET_TAG, strlen(SECRET_TAG)) == 0) {
		p = text + strlen(SECRET_TAG);
		if (hex_decode(p, out->sk, sizeof(out->sk)) != SL_OK) {
			rc = err_set(e, SL_EPARSE, "%s: bad secret key", path);
			goto out;
		}
		crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
		out->has_secret = true;
	} else if (strncmp(text, PUBLIC_TAG, strlen(PUBLIC_TAG)) == 0) {
		p = text + strlen(PUBLIC_TAG);
		if (hex_decode(p, out->pk, sizeof(out->pk)) != SL_OK) {
			rc = err_set(e, SL_EPARSE, "%s: bad public key", path);
			goto out;
		}
	} else {
		rc = err_set(e, SL_EPARSE, "%s: not a sluice key file", path);
		goto out;
	}
	key_set_id(out);
out:
	sodium_memzero(text, len);
	free(text);
	return rc;
}

int
sign_keyring_add(struct sign_keyring *kr, const struct sign_key *k,
                 struct err *e)
{
	if (kr->n >= SIGN_MAX_KEYS)
		return err_set(e, SL_ETOOBIG, "more than %d trusted keys",
		               SIGN_MAX_KEYS);
	kr->keys[kr->n] = *k;
	/* A keyring holds public keys only. */
	sodium_memzero(kr->keys[kr->n].sk, sizeof(kr->keys[kr->n].sk));
	kr->keys[kr->n].has_secret = false;
	kr->n++;
	return SL_OK;
}

int
sign_keyring_add_file(struct sign_keyring *kr, const char *path, struct err *e)
{
	struct sign_key k;
	int rc;

	if ((rc = sign_key_load(&k, path, e)) != SL_OK)
		return rc;
	rc = sign_keyring_add(kr, &k, e);
	sodium_memzero(&k, sizeof(k));
	return rc;
}

static int
canon_string(struct buf *b, const char *s, size_t len, struct err *e)
{
	int rc = buf_puts(b, "\"", e);

	for (size_t i = 0; rc == SL_OK && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			rc = buf_puts(b, "\\\"", e);
			break;
		case '\\':
			rc = buf_puts(b, "\\\\", e);
			break;
		case '\b':
			rc = buf_puts(b, "\\b", e);
			break;
		case '\f':
			rc = buf_puts(b, "\\f", e);
			break;
		case '\n':
			rc = buf_puts(b, "\\n", e);
			break;
		case '\r':
			rc = buf_puts(b, "\\r", e);
			break;
		case '\t':
			rc = buf_puts(b, "\\t", e);
			break;
		default:
			if (c < 0x20)
				rc = buf_printf(b, e, "\\u%04x", c);
			else
				rc = buf_append(b, &s[i], 1, e);
		}
	}
	return rc == SL_OK ? buf_puts(b, "\"", e) : rc;
}

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
canon_value(struct buf *b, const json_t *v, int depth, struct err *e)
{
	const char **keys = NULL;
	size_t n, i;
	int rc = SL_OK;

	if (depth > CANON_DEPTH)
		return err_set(e, SL_EINVAL, "nested deeper than %d",
		               CANON_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *val;

		n = json_object_size(v);
		if (n > 0 && (keys = calloc(n, sizeof(*keys))) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		i = 0;
		json_object_foreach((json_t *)v, k, val) keys[i++] = k;
		if (n > 1) /* qsort() takes no NULL, even for nothing */
			qsort(keys, n, sizeof(*keys), cmp_keys);
		rc = buf_puts(b, "{", e);
		for (i = 0; rc == SL_OK && i < n; i++) {
			if (i > 0 && (rc = buf_puts(b, ",", e)) != SL_OK)
				break;
			if ((rc = canon_string(b, keys[i], strlen(keys[i]),
			                       e)) != SL_OK ||
			    (rc = buf_puts(b, ":", e)) != SL_OK)
				break;
			rc = canon_value(b, json_object_get(v, keys[i]),
			                 depth + 1, e);
		}
		free(keys);
		return rc == SL_OK ? buf_puts(b, "}", e) : rc;
	}
	case JSON_ARRAY:
		rc = buf_puts(b, "[", e);
		for (i = 0; rc == SL_OK && i < json_array_size(v); i++) {
			if (i > 0 && (rc = buf_puts(b, ",", e)) != SL_OK)
				break;
			rc = canon_value(b, json_array_get(v, i), depth + 1, e);
		}
		return rc == SL_OK ? buf_puts(b, "]", e) : rc;
	case JSON_STRING:
		return canon_string(b, json_string_value(v),
		                    json_string_length(v), e);
	case JSON_INTEGER:
		return buf_printf(b, e, "%" JSON_INTEGER_FORMAT,
		                  json_integer_value(v));
	case JSON_TRUE:
		return buf_puts(b, "true", e);
	case JSON_FALSE:
		return buf_puts(b, "false", e);
	case JSON_NULL:
		return buf_puts(b, "null", e);
	case JSON_REAL:
		return err_set(e, SL_EINVAL,
		               "floating-point numbers are not allowed in "
		               "signed documents");
	}
	return err_set(e, SL_EINTERNAL, "unknown JSON type");
}

int
sign_canonical(char **out, size_t *len, const json_t *v, struct err *e)
{
	struct buf b;
	int rc;

	buf_init(&b, CANON_MAX);
	if ((rc = canon_value(&b, v, 0, e)) != SL_OK) {
		buf_free(&b);
		return err_prefix(e, "canonical JSON");
	}
	*out = buf_steal(&b, len);
	return SL_OK;
}

int
sign_envelope(json_t **out, const json_t *doc, const struct sign_key *k,
              struct err *e)
{
	unsigned char sig[crypto_sign_BYTES];
	char hex[2 * crypto_sign_BYTES + 1];
	char *canon = NULL;
	size_t len;
	json_t *env;
	int rc;

	if (!k->has_secret)
		return err_set(e, SL_EINVAL, "signing needs a secret key");
	if ((rc = sign_canonical(&canon, &len, doc, e)) != SL_OK)
		return rc;
	crypto_sign_detached(sig, NULL, (unsigned char *)canon, len, k->sk);
	free(canon);
	hex_encode(sig, sizeof(sig), hex);
	env = json_pack("{s:O,s:[{s:s,s:s}]}", "signed", (json_t *)doc,
	                "signatures", "keyid", k->keyid, "sig", hex);
	if (env == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	*out = env;
	return SL_OK;
}

int
sign_key_from_hex(struct sign_key *out, const char *hex, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = hash_global_init(e)) != SL_OK)
		return rc;
	if (hex == NULL || strlen(hex) != 2 * sizeof(out->pk) ||
	    hex_decode(hex, out->pk, sizeof(out->pk)) != SL_OK)
		return err_set(e, SL_EINVAL,
		               "expected a public key of %zu hex "
		               "digits",
		               2 * sizeof(out->pk));
	key_set_id(out);
	return SL_OK;
}

void
sign_key_public_hex(const struct sign_key *k, char out[65])
{
	hex_encode(k->pk, sizeof(k->pk), out);
	out[64] = '\0';
}

bool
sign_keyring_has(const struct sign_keyring *kr, const char *keyid)
{
	for (size_t i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].keyid, keyid) == 0)
			return true;
	return false;
}

int
sign_verify_sigs(const char *canon, size_t len, const json_t *sigs,
                 const struct sign_keyring *kr, struct err *e)
{
	unsigned char sig[crypto_sign_BYTES];
	bool good[SIGN_MAX_KEYS] = {false};
	unsigned need = kr->threshold > 1 ? kr->threshold : 1, have = 0;
	const json_t *s;
	size_t i;
	int rc;

	if (json_array_size(sigs) == 0)
		return err_set(e, SL_EVERIFY, "unsigned document");
	/* The message is written only when there is an error to tell:
	 * every document of a sync comes through here. */
	rc = SL_OK;
	json_array_foreach(sigs, i, s)
	{
		const char *keyid =
		        json_string_value(json_object_get(s, "keyid"));
		const char *hex = json_string_value(json_object_get(s, "sig"));
		if (keyid == NULL || hex == NULL)
			continue;
		for (size_t k = 0; k < kr->n && have < need; k++) {
			if (good[k] || strcmp(kr->keys[k].keyid, keyid) != 0)
				continue;
			if (hex_decode(hex, sig, sizeof(sig)) != SL_OK ||
			    crypto_sign_verify_detached(
			            sig, (const unsigned char *)canon, len,
			            kr->keys[k].pk) != 0) {
				rc = err_set(e, SL_EVERIFY,
				             "signature by key %s does not "
				             "verify",
				             keyid);
				continue;
			}
			good[k] = true;
			have++;
		}
	}
	if (have >= need) {
		err_clear(e);
		return SL_OK;
	}
	if (have > 0)
		return err_set(e, SL_EVERIFY,
		               "signed by %u trusted key%s, %u required", have,
		               have == 1 ? "" : "s", need);
	if (rc == SL_OK)
		rc = err_set(e, SL_EVERIFY, "no signature by a trusted key");
	return rc;
}

int
sign_envelope_verify(const json_t *env, const struct sign_keyring *kr,
                     const json_t **doc_out, struct err *e)
{
	const json_t *doc, *sigs;
	char *canon = NULL;
	size_t len;
	int rc;

	if (!json_is_object(env) ||
	    !json_is_object(doc = json_object_get(env, "signed")) ||
	    !json_is_array(sigs = json_object_get(env, "signatures")))
		return err_set(e, SL_EVERIFY,
		               "not a signed envelope (needs \"signed\" and "
		               "\"signatures\")");
	if (json_array_size(sigs) == 0)
		return err_set(e, SL_EVERIFY, "unsigned document");
	if ((rc = sign_canonical(&canon, &len, doc, e)) != SL_OK)
		return rc;
	rc = sign_verify_sigs(canon, len, sigs, kr, e);
	free(canon);
	if (rc == SL_OK && doc_out != NULL)
		*doc_out = doc;
	return rc;
}

int
sign_time_format(char out[21], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		return SL_EINVAL;
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return SL_OK;
}

int
sign_time_parse(const char *s, long long *out, struct err *e)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) != 20 ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return err_set(e, SL_EINVAL,
		               "expected a UTC time like 2026-11-24T12:00:00Z");
	*out = (long long)timegm(&tm);
	return SL_OK;
}
