/*
 * catalog_keys: the root key of a local catalog and what it signs (see
 * trust.h): create it for a new or an existing catalog (migrate), rotate
 * the signing key, revoke an old one, re-sign the key list, and write the
 * timestamp that every index write and `sluice catalog timestamp` renew.
 *
 *   DIR/private/root.key            the root secret key (0600)
 *   DIR/private/retired-<id>.key    a signing key replaced by rotate
 *   DIR/public/root.pub             the root public key (trust it out of
 *                                   band: servers and agents name it)
 *   DIR/public/keys.json            the key list, signed by the root key
 *   DIR/public/timestamp.json       the timestamp, signed by the signing key
 *   DIR/private/state.json          also keys_version, timestamp_version
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog_priv.h"
#include "fsx.h"
#include "hash.h"
#include "trust.h"

int
timestamp_write(const struct catalog_dir *d, const struct sign_key *k,
                int64_t index_version, const char *text, size_t len,
                long long seconds, struct err *e)
{
	char sha[HASH_HEX_LEN + 1];
	long long now = (long long)time(NULL);
	int64_t version = state_get(d, "timestamp_version") + 1;
	json_t *env = NULL;
	int rc;

	if (seconds <= 0)
		seconds = TRUST_TS_DEFAULT_SECONDS;
	hash_buf_hex(text, len, sha);
	if ((rc = trust_timestamp_sign(&env, version, now, now + seconds,
	                               index_version, sha, (uint64_t)len, k,
	                               e)) != SL_OK ||
	    (rc = write_json(d->ts, env, 0644, e)) != SL_OK ||
	    (rc = state_set(d, "timestamp_version", version, e)) != SL_OK)
		err_prefix(e, "timestamp");
	json_decref(env);
	return rc;
}

/* The root key of d (secret when the catalog has it). */
static int
load_root(struct sign_key *root, const struct catalog_dir *d, struct err *e)
{
	if (!fsx_exists(d->root))
		return err_set(e, SL_ENOTFOUND,
		               "%s: no root key (run `sluice catalog migrate` "
		               "first)",
		               d->root);
	return sign_key_load(root, d->root, e);
}

/* d's key list, verified with its root key (expiry not checked: the
 * tools re-sign it). */
static int
keys_read(struct trust_keys *out, const struct catalog_dir *d,
          const struct sign_key *root, struct err *e)
{
	struct sign_keyring rkr = {0};
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = sign_keyring_add(&rkr, root, e)) != SL_OK ||
	    (rc = fsx_read(d->keys, TRUST_DOC_MAX, &text, &len, e)) != SL_OK)
		return rc;
	rc = trust_keys_parse(out, text, len, &rkr, 0,
	                      state_get(d, "keys_version"), e);
	free(text);
	return rc != SL_OK ? err_prefix(e, "%s", d->keys) : SL_OK;
}

/* Sign kr as the next key list and write it. */
static int
keys_write(const struct catalog_dir *d, const struct sign_keyring *kr,
           const struct sign_key *root, struct err *e)
{
	long long now = (long long)time(NULL);
	int64_t version = state_get(d, "keys_version") + 1;
	json_t *env = NULL;
	int rc;

	if ((rc = trust_keys_sign(&env, kr, version, now,
	                          now + (long long)TRUST_KEYS_DEFAULT_DAYS *
	                                          86400,
	                          root, e)) != SL_OK ||
	    (rc = write_json(d->keys, env, 0644, e)) != SL_OK ||
	    (rc = state_set(d, "keys_version", version, e)) != SL_OK)
		err_prefix(e, "key list");
	json_decref(env);
	return rc;
}

int
local_keyring(struct sign_keyring *kr, const struct catalog_dir *d,
              struct err *e)
{
	struct trust_keys tk;
	struct sign_key k;
	int rc;

	if (fsx_exists(d->root) && fsx_exists(d->keys)) {
		if ((rc = load_root(&k, d, e)) == SL_OK &&
		    (rc = keys_read(&tk, d, &k, e)) == SL_OK)
			*kr = tk.kr;
	} else if ((rc = sign_key_load(&k, d->key, e)) == SL_OK) {
		rc = sign_keyring_add(kr, &k, e);
	}
	sodium_memzero(&k, sizeof(k));
	return rc;
}

/* Read index.json's bytes and version (checked with the catalog's keys,
 * expiry aside). */
static int
index_bytes(char **text, size_t *len, int64_t *version,
            const struct catalog_dir *d, struct err *e)
{
	struct catalog_index *idx = NULL;
	struct sign_keyring kr = {0};
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = local_keyring(&kr, d, e)) ||
	    (rc = fsx_join(path, sizeof(path), d->public, "index.json", e)) ||
	    (rc = fsx_read(path, CATALOG_INDEX_MAX, text, len, e)))
		return rc;
	if ((rc = catalog_index_parse(&idx, *text, *len, &kr, 0, 0, e)) !=
	    SL_OK) {
		free(*text);
		*text = NULL;
		return rc;
	}
	*version = idx->version;
	catalog_index_free(idx);
	return SL_OK;
}

int
catalog_migrate(const char *dir, char root_keyid[SIGN_KEYID_LEN + 1],
                struct err *e)
{
	struct sign_key root = {0}, k = {0};
	struct sign_keyring kr = {0};
	struct catalog_dir d;
	char *text = NULL;
	int64_t version;
	size_t len;
	int rc, lockfd = -1;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_own_key(&k, &d, e)))
		goto out;
	if (fsx_exists(d.root)) {
		rc = err_set(e, SL_EEXISTS, "%s: the catalog has a root key",
		             d.root);
		goto out;
	}
	if ((rc = index_bytes(&text, &len, &version, &d, e)) ||
	    (rc = sign_key_generate(&root, e)) ||
	    (rc = sign_key_save(&root, d.root, d.root_pub, e)) ||
	    (rc = sign_keyring_add(&kr, &k, e)) ||
	    (rc = keys_write(&d, &kr, &root, e)) ||
	    (rc = timestamp_write(&d, &k, version, text, len, 0, e)))
		goto out;
	memcpy(root_keyid, root.keyid, SIGN_KEYID_LEN + 1);
out:
	sodium_memzero(&root, sizeof(root));
	sodium_memzero(&k, sizeof(k));
	free(text);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
catalog_rotate(const char *dir, char new_keyid[SIGN_KEYID_LEN + 1],
               struct err *e)
{
	struct sign_key root = {0}, old = {0}, k = {0};
	char path[PATH_MAX_LEN], name[64];
	struct catalog_dir d;
	struct trust_keys tk;
	json_t *idoc = NULL;
	int64_t version, last;
	int rc, lockfd = -1;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_own_key(&old, &d, e)) ||
	    (rc = load_root(&root, &d, e)) ||
	    (rc = keys_read(&tk, &d, &root, e)) ||
	    (rc = index_read(&idoc, &version, NULL, &d, &old, e)) ||
	    (rc = sign_key_generate(&k, e)))
		goto out;
	/* The new key is listed before it signs anything; the old one stays
	 * listed (its documents keep verifying) until it is revoked. */
	snprintf(name, sizeof(name), "keys/%s.pub", k.keyid);
	if ((rc = fsx_join(path, sizeof(path), d.public, name, e)) ||
	    (rc = sign_key_save(&k, NULL, path, e)) ||
	    (rc = sign_keyring_add(&tk.kr, &k, e)) ||
	    (rc = keys_write(&d, &tk.kr, &root, e)))
		goto out;
	snprintf(name, sizeof(name), "private/retired-%s.key", old.keyid);
	if ((rc = fsx_join(path, sizeof(path), dir, name, e)) ||
	    (rc = sign_key_save(&old, path, NULL, e)) ||
	    (rc = sign_key_save(&k, d.key, NULL, e)))
		goto out;
	last = state_last_version(&d);
	rc = index_write(&d, &k, json_incref(json_object_get(idoc, "updates")),
	                 (version > last ? version : last) + 1, 0, e);
	if (rc == SL_OK)
		memcpy(new_keyid, k.keyid, SIGN_KEYID_LEN + 1);
out:
	sodium_memzero(&root, sizeof(root));
	sodium_memzero(&old, sizeof(old));
	sodium_memzero(&k, sizeof(k));
	json_decref(idoc);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
catalog_revoke(const char *dir, const char *keyid, struct err *e)
{
	struct sign_key root = {0}, k = {0};
	struct sign_keyring kr = {0};
	struct catalog_dir d;
	struct trust_keys tk;
	int rc, lockfd = -1;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_own_key(&k, &d, e)) || (rc = load_root(&root, &d, e)) ||
	    (rc = keys_read(&tk, &d, &root, e)))
		goto out;
	if (strcmp(keyid, k.keyid) == 0) {
		rc = err_set(e, SL_ECONFLICT,
		             "key %s is the current signing key: rotate "
		             "first (`sluice catalog rotate`)",
		             keyid);
		goto out;
	}
	if (!sign_keyring_has(&tk.kr, keyid)) {
		rc = err_set(e, SL_ENOTFOUND, "key %s is not in the key list",
		             keyid);
		goto out;
	}
	kr.threshold = tk.kr.threshold;
	for (size_t i = 0; rc == SL_OK && i < tk.kr.n; i++)
		if (strcmp(tk.kr.keys[i].keyid, keyid) != 0)
			rc = sign_keyring_add(&kr, &tk.kr.keys[i], e);
	if (rc == SL_OK && kr.threshold > kr.n)
		kr.threshold = (unsigned)kr.n;
	if (rc == SL_OK)
		rc = keys_write(&d, &kr, &root, e);
out:
	sodium_memzero(&root, sizeof(root));
	sodium_memzero(&k, sizeof(k));
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
catalog_keys(struct trust_keys *out, const char *dir, bool resign,
             struct err *e)
{
	struct sign_key root = {0};
	struct catalog_dir d;
	int rc, lockfd = -1;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_root(&root, &d, e)) ||
	    (rc = keys_read(out, &d, &root, e)))
		goto out;
	if (resign && ((rc = keys_write(&d, &out->kr, &root, e)) ||
	               (rc = keys_read(out, &d, &root, e))))
		goto out;
out:
	sodium_memzero(&root, sizeof(root));
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
catalog_timestamp(const char *dir, long long seconds, struct err *e)
{
	struct sign_key k = {0};
	struct catalog_dir d;
	char *text = NULL;
	int64_t version;
	size_t len;
	int rc, lockfd = -1;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_own_key(&k, &d, e)) ||
	    (rc = index_bytes(&text, &len, &version, &d, e)))
		goto out;
	rc = timestamp_write(&d, &k, version, text, len, seconds, e);
out:
	sodium_memzero(&k, sizeof(k));
	free(text);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
